/**
 * Reading a trace file as `kv-sim search` writes it (`TraceFile` in
 * search/index.ts) from outside: the command line's `--trace FILE` or a
 * file pasted into the page. Every problem is one sentence naming the field;
 * the explorer never trusts the file's shape beyond what is checked here.
 */

import { jsonDepthExceeds, MAX_MESSAGE_DEPTH } from "@dslab/protocol";

/** The parts of a trace file the explorer reads (the search's `TraceFile`, any scenario). */
export interface ExploreTrace {
  kind: "dslab-search-trace";
  scenario: string;
  shape: unknown;
  invariants: string[];
  events: unknown[];
  lines: string[];
  violation?: { invariant: string; message: string };
}

/**
 * Deepest nesting of a trace file: a message nests at most
 * MAX_MESSAGE_DEPTH levels, inside the file's own few (the file, its events,
 * an event, a world's parts). Deeper is not a trace kv-sim wrote, and the
 * recursive walks that compare events would run out of stack on it.
 */
export const MAX_TRACE_DEPTH = MAX_MESSAGE_DEPTH + 16;

export class TraceFileError extends Error {
  override readonly name = "TraceFileError";
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

/** Parses and checks a trace file's text; throws TraceFileError with the reason. */
export function parseTrace(text: string, options: { maxEvents: number }): ExploreTrace {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new TraceFileError(`not JSON: ${(e as Error).message}`);
  }
  if (!isRecord(data)) throw new TraceFileError("not a search trace: expected a JSON object");
  if (jsonDepthExceeds(data, MAX_TRACE_DEPTH)) throw new TraceFileError(`not a search trace: it nests deeper than ${MAX_TRACE_DEPTH} levels`);
  if (data.kind !== "dslab-search-trace") throw new TraceFileError(`not a search trace: "kind" is ${JSON.stringify(data.kind)}, expected "dslab-search-trace"`);
  if (typeof data.scenario !== "string" || data.scenario === "") throw new TraceFileError('"scenario": expected the scenario\'s name');
  if (!Array.isArray(data.events)) throw new TraceFileError('"events": expected a list of events');
  if (data.events.length > options.maxEvents) throw new TraceFileError(`"events": ${data.events.length} events, more than the explorer keeps (${options.maxEvents})`);
  if (data.invariants !== undefined && !isStringArray(data.invariants)) throw new TraceFileError('"invariants": expected a list of invariant names');
  if (data.lines !== undefined && !isStringArray(data.lines)) throw new TraceFileError('"lines": expected a list of strings');
  if (data.shape !== undefined && !isRecord(data.shape)) throw new TraceFileError('"shape": expected an object');
  let violation: ExploreTrace["violation"];
  if (data.violation !== undefined) {
    const v = data.violation;
    if (!isRecord(v) || typeof v.invariant !== "string" || typeof v.message !== "string") throw new TraceFileError('"violation": expected {"invariant", "message"}');
    violation = { invariant: v.invariant, message: v.message };
  }
  return {
    kind: "dslab-search-trace",
    scenario: data.scenario,
    shape: data.shape,
    invariants: (data.invariants as string[] | undefined) ?? [],
    events: data.events,
    lines: (data.lines as string[] | undefined) ?? [],
    ...(violation ? { violation } : {}),
  };
}
