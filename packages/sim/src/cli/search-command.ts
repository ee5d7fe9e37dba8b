/**
 * `kv-sim search`: explore every order of message deliveries, drops,
 * duplicates and timer firings of a small scenario (model checking), check
 * the invariants in every state, and print the shortest trace to a
 * violation; `kv-sim replay TRACE` re-runs a trace file event by event.
 *
 * The store comes from the workbook, loaded from its TypeScript source:
 * `--workbook DIR` (a directory laid out like week-12/), `--solution` (the
 * reference solutions, instructor side), `--store FILE` (any module
 * exporting `DedupKVStore`), or else `DSLAB_WORKBOOK` as the workbook's
 * plug modules read it (unset: week-12/); leader-change-3's retrying client
 * from `--client FILE` or the same workbook, and `--client FILE` alone runs
 * it against the reference store (see pieces.ts).
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CliError, EXIT, makeDirectorySync, UsageError, type Io } from "@dslab/protocol/cli";
import { jsonDepthExceeds } from "@dslab/protocol";
import { MAX_TRACE_DEPTH } from "../explore/trace-file.js";
import { plural } from "../output/plural.js";
import { getList, getNonEmpty, getNumber, getString, parseArgs, type ParsedArgs } from "./args.js";
import {
  replayTrace,
  SCENARIO_INFO,
  SCENARIOS,
  SEARCH_DEFAULTS,
  searchScenario,
  type ScenarioName,
  type ScenarioPieces,
  type SearchReport,
  type TraceFile,
} from "../search/index.js";
import { renderTraceHtml } from "../search/trace-diagram.js";
import { checkShape, CLIENT_FILE, loadPiece, PIECE_FILE, PIECE_OPTIONS, pieceFile, pieceModules, replayLine } from "./pieces.js";
import { codeUnderTestThrew, type ModuleSource } from "./module-error.js";
import { MAX_TRACE_FILE_BYTES, readRegularFile } from "./read-regular.js";

/** Where a violation's trace goes without --trace: the OS temp directory, named by scenario, never inside the repository. */
export function defaultTracePath(scenario: string): string {
  return join(tmpdir(), `kv-sim-search-${scenario}`, "trace.json");
}

const PIECE_TEXT = {
  store: `DedupKVStore (${PIECE_FILE.store}; --store FILE)`,
  voteRules: `voteRules (${PIECE_FILE.voteRules}; --rules FILE)`,
  core: `the reference node core (--core FILE: a module exporting createKvNodeCore and fromState; --rules FILE, --solution, --workbook DIR: those vote rules in the reference core)`,
};

/** --max-retries for maxRetries, and so on. */
const optionOf = (shapeName: string) => shapeName.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
const SHAPE_OPTIONS = [...new Set(Object.values(SCENARIO_INFO).flatMap((i) => Object.keys(i.shape)))];

function scenarioHelp(): string {
  const out: string[] = [];
  for (const name of SCENARIOS) {
    const info = SCENARIO_INFO[name];
    out.push(`  ${name}: ${info.summary}`);
    out.push(`    piece: ${PIECE_TEXT[info.piece]}`);
    if (info.client) {
      out.push(`    and the retrying client (${CLIENT_FILE}; --client FILE; with --store FILE alone, a scripted client);`);
      out.push(`    --client FILE with no --store, --workbook or --solution: the client against the reference store (the cluster's state machine and sessions)`);
    }
    for (const [k, spec] of Object.entries(info.shape)) out.push(`    --${optionOf(k).padEnd(16)} ${spec.help} (default ${spec.default})`);
    out.push(`    invariants (--invariant; default all): ${info.invariants.join(", ")}`);
    out.push(`    goals and prunes (--goal, --prune): ${info.predicates.join(", ")}`);
  }
  return out.join("\n");
}

export const SEARCH_HELP = `kv-sim search: every reachable state of a small scenario, breadth-first; the shortest trace to a broken invariant

Usage: kv-sim search --scenario NAME [--bfs | --random-dfs --seed N] [--max-depth D] [--max-time-s T]
                     [--invariant NAME,...] [--prune NAME] [--goal NAME] [--no-reduce]
                     [--SHAPE-OPTION N ...] [--workbook DIR | --solution | --store FILE | --rules FILE | --core FILE] [--client FILE]
                     [--trace FILE] [--json]
       kv-sim replay TRACE [--workbook DIR | --solution | --store FILE | --rules FILE | --core FILE] [--client FILE] [--html FILE]

Scenarios, their shape options, invariants, goals and prunes:
${scenarioHelp()}

Options:
  --bfs                  breadth-first (default): a violation's trace is a shortest one
  --random-dfs           depth-first, children in a random order drawn from --seed (default ${SEARCH_DEFAULTS.seed})
  --max-depth D          expand no state deeper than D events (default ${SEARCH_DEFAULTS.maxDepth})
  --max-time-s T         stop after T seconds (default ${SEARCH_DEFAULTS.maxTimeS}); exit 3 if the space is not exhausted
  --invariant NAME,...   check these invariants (default: every invariant of the scenario)
  --prune NAME           do not expand states where NAME holds (e.g. clients-done: stop once the clients are done)
  --goal NAME            stop at the first state where NAME holds (exit 0; exit 1 if the space is exhausted without it)
  --no-reduce            explore every event: no drop-free network, no client symmetry, no partial-order
                         reduction (slower; the trace is then a shortest one among all orders)
  --workbook DIR         load the scenario's piece from DIR (default: DSLAB_WORKBOOK, else week-12/)
  --solution             load the reference solution's piece
  --store FILE           load any module exporting DedupKVStore
  --client FILE          load any module exporting the retrying client's functions (leader-change-3);
                         with no --store, --workbook or --solution, the replicas run the reference store
  --rules FILE           load any module exporting voteRules (or observeTerm and decide)
  --core FILE            raft-core-3: load node cores from a module exporting createKvNodeCore and fromState
  --trace FILE           where a violation's trace file is written (default ${defaultTracePath("SCENARIO")},
                         outside the repository); its message diagram goes beside it (FILE with .html)
  --json                 print the report as JSON

Output: states explored, unique states, depth reached, states per second, the end
condition (space exhausted, invariant violated, goal found, time limit), and for a
violation the shortest trace, one line per event, the trace file and its HTML message
diagram. Exit 0: space exhausted or goal found with no violation; 1: an invariant was
violated (or a goal is unreachable); 2: usage; 3: time limit reached first.
kv-sim replay re-runs a trace file step by step, prints the invariants' verdict (exit 1
if one is violated, 0 if not) and, with --html FILE, writes its message diagram.

Examples:
  npm run kv-sim -- search --scenario dedup-single --clients 2 --appends 3 --solution
  npm run kv-sim -- search --scenario leader-change-3 --client week-12/src/retry-client.ts
  npm run kv-sim -- search --scenario vote-rules-3 --goal leader-elected --solution
  npm run kv-sim -- search --scenario vote-rules-3 --network 0 --solution
  npm run kv-sim -- search --scenario raft-core-3
  npm run kv-sim -- search --scenario raft-core-3 --appends 0 --max-term 1 --rules grader/test/mutants/vote-twice.ts
`;

/** Runs `f`, which runs code under test: an error that code throws is a usage error naming its module (exit 2, as for a module that cannot load). */
function underTest<T>(modules: ModuleSource[], f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw codeUnderTestThrew(e, modules) ?? e;
  }
}

export function renderReport(r: SearchReport): string {
  const lines = [
    `scenario: ${r.scenario}`,
    `end: ${r.end.replace("-", " ")}${r.end === "space-exhausted" && r.depthBounded ? " (within --max-depth)" : ""}`,
    `states explored: ${r.explored}`,
    `unique states: ${r.unique}`,
    `depth reached: ${r.depth}`,
    `states per second: ${Math.round(r.statesPerS)}`,
    `time: ${(r.wallMs / 1000).toFixed(2)} s`,
  ];
  if (r.violation) lines.push(`violated: ${r.violation.invariant}: ${r.violation.message}`);
  if (r.trace) {
    lines.push(`${r.violation ? "trace" : "trace to the goal"} (${plural(r.trace.length, "event")}):`);
    for (const [i, line] of r.trace.entries()) lines.push(`  ${String(i + 1).padStart(3)}. ${line}`);
  }
  return lines.join("\n") + "\n";
}

export async function searchCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const a = parseArgs(argv, {
    command: "search",
    options: ["scenario", "seed", "max-depth", "max-time-s", "invariant", "prune", "goal", "trace", ...SHAPE_OPTIONS.map(optionOf), ...PIECE_OPTIONS],
    flags: ["bfs", "random-dfs", "solution", "json", "no-reduce", "help"],
  });
  if (a.flags.has("help")) {
    io.stdout(SEARCH_HELP);
    return EXIT.ok;
  }
  const scenario = getString(a, "scenario");
  if (scenario === undefined) throw new UsageError(`--scenario: required (one of ${SCENARIOS.join(", ")})`);
  if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new UsageError(`--scenario: expected one of ${SCENARIOS.join(", ")}, got ${JSON.stringify(scenario)}`);
  const name = scenario as ScenarioName;
  const info = SCENARIO_INFO[name];
  const tracePath = getNonEmpty(a, "trace", "a file for the trace");
  if (a.flags.has("bfs") && a.flags.has("random-dfs")) throw new UsageError("--bfs and --random-dfs: give one");
  if (getString(a, "seed") !== undefined && !a.flags.has("random-dfs")) throw new UsageError("--seed: only --random-dfs takes a seed (BFS has one order)");
  const names = (option: string, allowed: readonly string[]) => {
    const list = getList(a, option);
    if (a.options.has(option) && list.length === 0) throw new UsageError(`--${option}: empty; give one or more of ${allowed.join(", ")}, or leave the option out`);
    for (const n of list) if (!allowed.includes(n)) throw new UsageError(`--${option}: ${scenario} has ${allowed.join(", ")}; got ${JSON.stringify(n)}`);
    return list;
  };
  const invariants = names("invariant", info.invariants);
  const shape: Record<string, number> = {};
  for (const k of SHAPE_OPTIONS) {
    const v = getNumber(a, optionOf(k), { integer: true, min: 0 });
    if (v === undefined) continue;
    if (!(k in info.shape)) throw new UsageError(`--${optionOf(k)}: ${scenario} has no such shape option (it has ${Object.keys(info.shape).map((x) => "--" + optionOf(x)).join(", ")})`);
    shape[k] = v;
  }
  checkShape(name, shape);
  const options = {
    strategy: a.flags.has("random-dfs") ? ("random-dfs" as const) : ("bfs" as const),
    seed: getNumber(a, "seed", { integer: true, min: 0 }),
    maxDepth: getNumber(a, "max-depth", { integer: true, min: 0 }),
    maxTimeS: positiveSeconds(getNumber(a, "max-time-s", { min: 0 })),
    invariants: invariants.length > 0 ? invariants : undefined,
    prune: names("prune", info.predicates),
    goal: names("goal", info.predicates),
    reduce: !a.flags.has("no-reduce"),
  };
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as typeof options;
  const chosen = pieceFile(a, name, env);
  const pieces = await loadPiece(name, chosen);
  const report = underTest(pieceModules(chosen), () => searchScenario({ ...defined, ...pieces, scenario: name, shape }));
  const json = a.flags.has("json");
  let written: { trace: string; html: string } | undefined;
  let lost: string | undefined;
  if (report.violation && report.traceFile) {
    const out = resolve(tracePath ?? defaultTracePath(name));
    const html = out.replace(/\.json$/i, "") + ".html";
    const diagram = renderTraceHtml(report.traceFile, underTest(pieceModules(chosen), () => replayTrace(report.traceFile!, pieces)));
    try {
      makeDirectorySync(dirname(out));
      writeFileSync(out, JSON.stringify(report.traceFile, null, 2) + "\n");
      writeFileSync(html, diagram);
      written = { trace: out, html };
    } catch (e) {
      // The search's verdict stands; what is lost is the file, said after the report.
      lost = `--trace ${out}: cannot write the trace and its diagram: ${(e as Error).message}; the verdict above stands`;
    }
  }
  if (json) io.stdout(JSON.stringify({ ...report, traceFile: undefined, ...(written ? { traceFilePath: written.trace, diagramPath: written.html } : {}) }) + "\n");
  else {
    io.stdout(renderReport(report));
    if (written) io.stdout(`trace file: ${written.trace}\nmessage diagram: ${written.html}\nreplay: ${replayLine(written.trace, name, chosen)}\n`);
  }
  if (lost !== undefined) io.stderr(`kv-sim: ${lost}\n`);
  if (report.end === "invariant-violated") return EXIT.negative;
  if (report.end === "time-limit") return EXIT.unknown;
  if (options.goal.length > 0 && report.end === "space-exhausted") return EXIT.negative;
  return EXIT.ok;
}

/**
 * What in a trace file's shape, invariants or lines its scenario cannot take,
 * or undefined: an edited or foreign file is told as the file's fault, never
 * replayed under defaults nor judged by invariants that do not exist.
 */
function traceProblem(trace: TraceFile): string | undefined {
  if (jsonDepthExceeds(trace, MAX_TRACE_DEPTH)) return `it nests deeper than ${MAX_TRACE_DEPTH} levels, which no search trace does`;
  const info = SCENARIO_INFO[trace.scenario];
  const shape: unknown = trace.shape;
  if (shape !== undefined) {
    if (shape === null || typeof shape !== "object" || Array.isArray(shape)) return '"shape": expected an object of numbers';
    for (const name of Object.keys(info.shape)) {
      const v = (shape as Record<string, unknown>)[name];
      if (v !== undefined && !(typeof v === "number" && Number.isInteger(v) && v >= 0)) return `"shape": ${name}: expected an integer >= 0, got ${JSON.stringify(v)}`;
    }
  }
  const unknown = trace.invariants.find((n) => !info.invariants.includes(n));
  if (unknown !== undefined) return `"invariants": ${trace.scenario} has no invariant ${JSON.stringify(unknown)} (it has ${info.invariants.join(", ")})`;
  const lines: unknown = trace.lines;
  if (lines !== undefined && !(Array.isArray(lines) && lines.every((l) => typeof l === "string"))) return '"lines": expected a list of strings';
  return undefined;
}

export async function replayCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const path = argv[0];
  if (path === "--help" || path === "-h") {
    io.stdout(SEARCH_HELP);
    return EXIT.ok;
  }
  if (path === undefined || path.startsWith("-")) throw new UsageError("replay: name the trace file first: kv-sim replay TRACE [--workbook DIR | --solution | --store FILE | --rules FILE | --core FILE] [--client FILE] [--html FILE]");
  const a = parseArgs(argv.slice(1), { command: "replay", takes: "one trace file, then options", options: [...PIECE_OPTIONS, "html"], flags: ["solution", "help"] });
  if (a.flags.has("help")) {
    io.stdout(SEARCH_HELP);
    return EXIT.ok;
  }
  const html = getNonEmpty(a, "html", "a file for the message diagram");
  let trace: TraceFile;
  try {
    trace = JSON.parse(readRegularFile(path, MAX_TRACE_FILE_BYTES)) as TraceFile;
  } catch (e) {
    io.stderr(`kv-sim: cannot read the trace ${path}: ${(e as Error).message}\n`);
    return EXIT.badInput;
  }
  if (trace?.kind !== "dslab-search-trace") {
    io.stderr(`kv-sim: ${path} is not a search trace (no "kind": "dslab-search-trace")\n`);
    return EXIT.badInput;
  }
  if (!(SCENARIOS as readonly string[]).includes(trace.scenario) || !Array.isArray(trace.events) || !Array.isArray(trace.invariants)) {
    io.stderr(`kv-sim: ${path}: a search trace needs "scenario" (one of ${SCENARIOS.join(", ")}), "events" and "invariants"\n`);
    return EXIT.badInput;
  }
  const problem = traceProblem(trace);
  if (problem !== undefined) {
    io.stderr(`kv-sim: ${path}: ${problem}\n`);
    return EXIT.badInput;
  }
  const chosen = pieceFile(a, trace.scenario, env);
  const pieces = await loadPiece(trace.scenario, chosen);
  let result;
  try {
    result = underTest(pieceModules(chosen), () => replayTrace(trace, pieces));
  } catch (e) {
    if (e instanceof CliError) throw e;
    io.stderr(`kv-sim: ${path}: ${(e as Error).message}\n`);
    return EXIT.badInput;
  }
  for (const [i, line] of result.lines.entries()) io.stdout(`  ${String(i + 1).padStart(3)}. ${line}\n`);
  let lost = false;
  if (html !== undefined) {
    try {
      writeFileSync(resolve(html), renderTraceHtml(trace, result));
      io.stdout(`message diagram: ${resolve(html)}\n`);
    } catch (e) {
      io.stderr(`kv-sim: --html ${html}: cannot write the diagram: ${(e as Error).message}\n`);
      lost = true;
    }
  }
  if (result.violation) {
    io.stdout(`verdict: ${result.violation.invariant} violated: ${result.violation.message}\n`);
    return EXIT.negative;
  }
  if (result.diverged) io.stdout(`step ${result.diverged.step} of the trace (${result.diverged.line}) is not possible with these pieces: they behave differently from the ones that made the trace\n`);
  io.stdout(`verdict: every invariant holds (${trace.invariants.join(", ")})${result.diverged ? ` up to step ${result.diverged.step - 1}` : ""}\n`);
  // Nothing invalid, but the diagram asked for is lost: not 0 (as kv-sim run's outputs).
  return lost ? EXIT.badInput : EXIT.ok;
}

/** --max-time-s 0 would stop the search before its first state: a usage error, not an "unknown" verdict over nothing. */
function positiveSeconds(s: number | undefined): number | undefined {
  if (s === 0) throw new UsageError(`--max-time-s: expected a number of seconds above 0, got "0"`);
  return s;
}
