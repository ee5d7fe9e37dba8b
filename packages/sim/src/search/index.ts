/**
 * Model checking from TypeScript: `searchScenario(options)` explores every
 * reachable state of a named scenario (see engine.ts and the scenario's
 * file), and `replayTrace` re-runs a trace file event by event.
 */
import { pathToFileURL } from "node:url";
import { randomWalks, search, stableStringify, type EndCondition, type HashName, type Model, type Strategy, type TraceStep } from "./engine.js";
import { DEDUP_DEFAULTS, dedupSingleModel, type DedupEvent, type DedupStoreClass, type DedupWorld } from "./dedup-single.js";

export { search, randomWalks, stableStringify, fnv1a64, hashText, type Model, type SearchLimits, type SearchOutcome, type EndCondition } from "./engine.js";
export { dedupSingleModel, DEDUP_DEFAULTS, type DedupStoreClass, type DedupWorld, type DedupEvent } from "./dedup-single.js";

export const SCENARIOS = ["dedup-single"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface SearchScenarioOptions {
  scenario: ScenarioName;
  /** The module's `DedupKVStore` class (load one with `loadStore`). */
  store: DedupStoreClass;
  strategy?: Strategy;
  seed?: number;
  maxDepth?: number;
  maxTimeS?: number;
  /** Default: every invariant of the scenario. */
  invariants?: readonly string[];
  prune?: readonly string[];
  goal?: readonly string[];
  hash?: HashName;
  clients?: number;
  appends?: number;
  maxRetries?: number;
  maxDrops?: number;
  maxDuplicates?: number;
}

export const SEARCH_DEFAULTS = { strategy: "bfs" as Strategy, seed: 1, maxDepth: 1_000, maxTimeS: 60, hash: "sha1" as HashName };

export interface SearchReport {
  scenario: ScenarioName;
  end: EndCondition;
  explored: number;
  unique: number;
  depth: number;
  depthBounded: boolean;
  wallMs: number;
  statesPerS: number;
  violation?: { invariant: string; message: string };
  /** One line per event, for a violation or a goal. */
  trace?: string[];
  /** The trace as a file `kv-sim replay` re-runs. */
  traceFile?: TraceFile;
}

export interface TraceFile {
  kind: "dslab-search-trace";
  scenario: ScenarioName;
  /** The scenario's shape (clients, appends, bounds). */
  shape: { clients: number; appends: number; maxRetries: number; maxDrops: number; maxDuplicates: number };
  invariants: string[];
  events: DedupEvent[];
  lines: string[];
  violation?: { invariant: string; message: string };
}

type Shape = TraceFile["shape"];

function shapeOf(o: Partial<Shape>): Shape {
  return {
    clients: o.clients ?? DEDUP_DEFAULTS.clients,
    appends: o.appends ?? DEDUP_DEFAULTS.appends,
    maxRetries: o.maxRetries ?? DEDUP_DEFAULTS.maxRetries,
    maxDrops: o.maxDrops ?? DEDUP_DEFAULTS.maxDrops,
    maxDuplicates: o.maxDuplicates ?? DEDUP_DEFAULTS.maxDuplicates,
  };
}

export function scenarioModel(scenario: ScenarioName, store: DedupStoreClass, shape: Shape): Model<DedupWorld, DedupEvent> {
  if (scenario !== "dedup-single") throw new Error(`no scenario named ${String(scenario)}`);
  if (shape.clients < 1 || shape.clients > 2) throw new Error(`dedup-single takes 1 or 2 clients, not ${shape.clients}`);
  return dedupSingleModel({ store, ...shape });
}

export function searchScenario(options: SearchScenarioOptions): SearchReport {
  const shape = shapeOf(options);
  const model = scenarioModel(options.scenario, options.store, shape);
  const invariants = [...(options.invariants ?? Object.keys(model.invariants))];
  const r = search(model, {
    strategy: options.strategy ?? SEARCH_DEFAULTS.strategy,
    seed: options.seed ?? SEARCH_DEFAULTS.seed,
    maxDepth: options.maxDepth ?? SEARCH_DEFAULTS.maxDepth,
    maxTimeS: options.maxTimeS ?? SEARCH_DEFAULTS.maxTimeS,
    invariants,
    prune: options.prune ?? [],
    goal: options.goal ?? [],
    hash: options.hash ?? SEARCH_DEFAULTS.hash,
  });
  const report: SearchReport = {
    scenario: options.scenario,
    end: r.end,
    explored: r.explored,
    unique: r.unique,
    depth: r.depth,
    depthBounded: r.depthBounded,
    wallMs: r.wallMs,
    statesPerS: r.unique / Math.max(r.wallMs / 1000, 1e-3),
  };
  if (r.violation) report.violation = r.violation;
  if (r.trace) {
    report.trace = r.trace.map((s: TraceStep<DedupEvent>) => s.line);
    report.traceFile = {
      kind: "dslab-search-trace",
      scenario: options.scenario,
      shape,
      invariants,
      events: r.trace.map((s) => s.event),
      lines: report.trace,
      ...(r.violation ? { violation: r.violation } : {}),
    };
  }
  return report;
}

/** The random-testing baseline on a scenario: see `randomWalks`. */
export function randomWalkScenario(options: SearchScenarioOptions & { walks: number; startSeed?: number }) {
  const shape = shapeOf(options);
  const model = scenarioModel(options.scenario, options.store, shape);
  return randomWalks(model, {
    walks: options.walks,
    startSeed: options.startSeed ?? 1,
    maxDepth: options.maxDepth ?? 200,
    invariants: options.invariants ?? Object.keys(model.invariants),
  });
}

export interface ReplayResult {
  lines: string[];
  violation?: { invariant: string; message: string };
}

/**
 * Re-runs a trace file's events one by one from the initial state. Each
 * event must be enabled where it comes; the invariants are checked at the
 * end (and the first step that breaks one stops the replay).
 */
export function replayTrace(trace: TraceFile, store: DedupStoreClass): ReplayResult {
  if (trace.kind !== "dslab-search-trace") throw new Error("not a search trace (kind is not dslab-search-trace)");
  const model = scenarioModel(trace.scenario, store, shapeOf(trace.shape));
  let state = model.initial();
  const lines: string[] = [];
  for (const [i, event] of trace.events.entries()) {
    const wanted = stableStringify(event);
    const enabled = model.events(state).find((e) => stableStringify(e) === wanted);
    if (enabled === undefined) throw new Error(`step ${i + 1} of the trace (${trace.lines[i] ?? wanted}) is not possible here: this store behaves differently from the one that made the trace`);
    const next = model.step(state, enabled);
    lines.push(model.describe(enabled, state, next));
    state = next;
    for (const name of trace.invariants) {
      const message = model.invariants[name]?.(state) ?? null;
      if (message !== null) return { lines, violation: { invariant: name, message } };
    }
  }
  return { lines };
}

/** Imports a module's `DedupKVStore` (a TypeScript file needs tsx, as kv-sim has). */
export async function loadStore(file: string): Promise<DedupStoreClass> {
  const mod = (await import(pathToFileURL(file).href)) as { DedupKVStore?: unknown };
  if (typeof mod.DedupKVStore !== "function") throw new Error(`${file} exports no DedupKVStore class`);
  return mod.DedupKVStore as DedupStoreClass;
}
