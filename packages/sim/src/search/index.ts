/**
 * Model checking from TypeScript: `searchScenario(options)` explores every
 * reachable state of a named scenario (see engine.ts and the scenario's
 * file), `scenarioModel` builds any scenario's `Model` (for the explorer),
 * and `replayTrace` re-runs a trace file event by event.
 *
 * A scenario takes the workbook's pieces it runs (`ScenarioPieces`: the
 * dedup store, the vote rules, the retrying client) and a shape: small numbers (clients,
 * appends, bounds), each with a default (`SCENARIO_INFO`).
 */
import { pathToFileURL } from "node:url";
import { randomWalks, search, stableStringify, type HashName, type Model, type SearchOutcome, type Strategy, type TraceStep } from "./engine.js";
import { DEDUP_DEFAULTS, DEDUP_INVARIANTS, dedupSingleModel, type DedupStoreClass } from "./dedup-single.js";
import { VOTE_DEFAULTS, VOTE_INVARIANTS, voteRules3Model, type VoteRulesLike } from "./vote-rules-3.js";
import { LEADER_CHANGE_DEFAULTS, LEADER_CHANGE_INVARIANTS, leaderChange3Model, type RetryClientLike } from "./leader-change-3.js";
import { CORE_DEFAULTS, CORE_INVARIANTS, raftCore3Model, REFERENCE_CORE, type SearchCore } from "./raft-core-3.js";
import { ReferenceStore } from "./reference-store.js";

export { search, randomWalks, stableStringify, fnv1a64, hashText, type Model, type SearchLimits, type SearchOutcome, type EndCondition } from "./engine.js";
export { dedupSingleModel, DEDUP_DEFAULTS, type DedupStoreClass, type DedupWorld, type DedupEvent } from "./dedup-single.js";
export { voteRules3Model, VOTE_DEFAULTS, type VoteRulesLike, type ElectionWorld, type ElectionEvent } from "./vote-rules-3.js";
export { leaderChange3Model, LEADER_CHANGE_DEFAULTS, type LeaderChangeWorld, type LeaderChangeEvent, type RetryClientLike, type RetryClientWorld } from "./leader-change-3.js";

export { raftCore3Model, CORE_DEFAULTS, REFERENCE_CORE, type SearchCore, type SearchableCore, type CoreWorld, type CoreEvent } from "./raft-core-3.js";
export { ReferenceStore, type ReferenceStoreState, type ReferenceStoreOptions } from "./reference-store.js";

export const SCENARIOS = ["dedup-single", "vote-rules-3", "leader-change-3", "raft-core-3"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** The workbook's pieces a scenario runs. */
export interface ScenarioPieces {
  /** dedup-single and leader-change-3: a module's `DedupKVStore` class (load one with `loadStore`), or `ReferenceStore`. */
  store?: DedupStoreClass;
  /** vote-rules-3: `observeTerm` and `decide` (load them with `loadVoteRules`); raft-core-3: plugged into the reference core (optional). */
  voteRules?: VoteRulesLike;
  /** raft-core-3: the node cores (default the reference; load a module's with `loadSearchCore`). */
  core?: SearchCore;
  /** leader-change-3: the workbook's retrying client (load one with `loadRetryClient`); absent, a scripted client. */
  client?: RetryClientLike;
}

/** A scenario's shape: small numbers, by name (see `SCENARIO_INFO` for each scenario's and their defaults). */
export type ScenarioShape = Record<string, number>;

export interface ScenarioInfo {
  /** One line: what runs. */
  summary: string;
  /** Which piece it needs. */
  piece: "store" | "voteRules" | "core";
  /** It also runs the workbook's retrying client (src/retry-client.ts) when one is given. */
  client?: true;
  /** The shape's numbers and their defaults, with one line each. */
  shape: Record<string, { default: number; help: string }>;
  invariants: readonly string[];
  /** Goals and prunes. */
  predicates: readonly string[];
}

export const SCENARIO_INFO: Record<ScenarioName, ScenarioInfo> = {
  "dedup-single": {
    summary: 'one server running the workbook\'s DedupKVStore; 1-2 scripted clients appending "c1:1", "c1:2", ... to key "l" with retries',
    piece: "store",
    shape: {
      clients: { default: DEDUP_DEFAULTS.clients, help: "clients (1 or 2)" },
      appends: { default: DEDUP_DEFAULTS.appends, help: "appends per client" },
      maxRetries: { default: DEDUP_DEFAULTS.maxRetries, help: "retries per append after its first attempt" },
      maxDrops: { default: DEDUP_DEFAULTS.maxDrops, help: "messages the network may lose (explored as never delivered)" },
      maxDuplicates: { default: DEDUP_DEFAULTS.maxDuplicates, help: "requests the network may deliver twice" },
    },
    invariants: DEDUP_INVARIANTS,
    predicates: ["clients-done"],
  },
  "vote-rules-3": {
    summary: "3 nodes electing a leader, every vote decided by the workbook's observeTerm and decide inside Raft's election",
    piece: "voteRules",
    shape: {
      maxTerm: { default: VOTE_DEFAULTS.maxTerm, help: "no election timer fires at this term or later" },
      maxElections: { default: VOTE_DEFAULTS.maxElections, help: "election timers that fire in a run, all nodes together" },
      maxDuplicates: { default: VOTE_DEFAULTS.maxDuplicates, help: "messages the network may deliver twice" },
      network: { default: VOTE_DEFAULTS.network, help: "0: no message is ever delivered (the no-network check)" },
    },
    invariants: VOTE_INVARIANTS,
    predicates: ["leader-elected"],
  },
  "leader-change-3": {
    summary: "3 replicas of a DedupKVStore (sessions in the log; the workbook's, or with --client alone the reference store), a leader that may crash mid-append, and the workbook's retrying client (newOperation, onResult, ...; without one, a scripted client) appending across it",
    piece: "store",
    client: true,
    shape: {
      appends: { default: LEADER_CHANGE_DEFAULTS.appends, help: "appends of the client" },
      maxRetries: { default: LEADER_CHANGE_DEFAULTS.maxRetries, help: "the client's maxRetries: retries per append after its first attempt" },
      leaderChanges: { default: LEADER_CHANGE_DEFAULTS.leaderChanges, help: "leader crashes, each followed by an election" },
      maxDuplicates: { default: LEADER_CHANGE_DEFAULTS.maxDuplicates, help: "requests the network may deliver twice" },
      sessionsMax: { default: LEADER_CHANGE_DEFAULTS.sessionsMax, help: "sessions a replica may hold (sessions-bounded)" },
    },
    invariants: LEADER_CHANGE_INVARIANTS,
    predicates: ["clients-done"],
  },
  "raft-core-3": {
    summary: "3 real reference node cores (@dslab/cluster/core: Raft with pre-vote, the state machine with sessions) electing a leader and replicating a client's appends; time in ticks, a timer runs a node to its next deadline",
    piece: "core",
    shape: {
      appends: { default: CORE_DEFAULTS.appends, help: "appends of the client (c1), sent to a node that believes it leads" },
      maxRetries: { default: CORE_DEFAULTS.maxRetries, help: "attempts per append after its first (same client_id and seq)" },
      maxTerm: { default: CORE_DEFAULTS.maxTerm, help: "no election timer fires at this term or later" },
      maxElections: { default: CORE_DEFAULTS.maxElections, help: "election timers that fire in a run (nodes that do not lead), all nodes together" },
      maxHeartbeats: { default: CORE_DEFAULTS.maxHeartbeats, help: "heartbeat timers that fire in a run (leaders)" },
      maxDuplicates: { default: CORE_DEFAULTS.maxDuplicates, help: "messages the network may deliver twice" },
      maxCrashes: { default: CORE_DEFAULTS.maxCrashes, help: "crashes, each a restart from the node's disk at once" },
    },
    invariants: CORE_INVARIANTS,
    predicates: ["leader-elected", "write-committed", "clients-done"],
  },
};

export interface SearchScenarioOptions extends ScenarioPieces {
  scenario: ScenarioName;
  strategy?: Strategy;
  seed?: number;
  maxDepth?: number;
  maxTimeS?: number;
  /** Default: every invariant of the scenario. */
  invariants?: readonly string[];
  prune?: readonly string[];
  goal?: readonly string[];
  hash?: HashName;
  /** The scenario's sound reductions (default true; see the scenario's file). */
  reduce?: boolean;
  /** The shape's numbers, by name (also accepted one by one, below). */
  shape?: Partial<ScenarioShape>;
  clients?: number;
  appends?: number;
  maxRetries?: number;
  maxDrops?: number;
  maxDuplicates?: number;
  maxTerm?: number;
  maxElections?: number;
  network?: number;
  leaderChanges?: number;
  sessionsMax?: number;
  maxHeartbeats?: number;
  maxCrashes?: number;
}

export const SEARCH_DEFAULTS = { strategy: "bfs" as Strategy, seed: 1, maxDepth: 1_000, maxTimeS: 60, hash: "text" as HashName };

/** A search's outcome as the command and the course show it. */
export interface SearchReport extends Omit<SearchOutcome<unknown, unknown>, "trace" | "final"> {
  scenario: ScenarioName;
  statesPerS: number;
  /** One line per event, for a violation or a goal. */
  trace?: string[];
  /** The trace as a file `kv-sim replay` re-runs. */
  traceFile?: TraceFile;
}

export interface TraceFile {
  kind: "dslab-search-trace";
  scenario: ScenarioName;
  /** The scenario's shape (its numbers, defaults filled in). */
  shape: ScenarioShape;
  invariants: string[];
  events: unknown[];
  lines: string[];
  violation?: { invariant: string; message: string };
}

/** The shape with every default filled in; unknown names are refused. */
export function shapeOf(scenario: ScenarioName, given: Partial<ScenarioShape> | Record<string, unknown>): ScenarioShape {
  const info = SCENARIO_INFO[scenario];
  const out: ScenarioShape = {};
  for (const [name, spec] of Object.entries(info.shape)) {
    const v = (given as Record<string, unknown>)[name];
    out[name] = typeof v === "number" ? v : spec.default;
  }
  return out;
}

function pick(o: SearchScenarioOptions): Partial<ScenarioShape> {
  const out: Partial<ScenarioShape> = { ...o.shape };
  for (const k of ["clients", "appends", "maxRetries", "maxDrops", "maxDuplicates", "maxTerm", "maxElections", "network", "leaderChanges", "sessionsMax", "maxHeartbeats", "maxCrashes"] as const) {
    if (o[k] !== undefined) out[k] = o[k];
  }
  return out;
}

/**
 * The `Model` of a scenario. `pieces` is the pieces object, or (as before
 * there were several scenarios) the store class itself. `reduce` turns on
 * the scenario's reductions (the search's default; off, every event is
 * offered, as a person stepping through wants).
 */
export function scenarioModel(scenario: ScenarioName, pieces: ScenarioPieces | DedupStoreClass, shape: Partial<ScenarioShape> = {}, options: { reduce?: boolean } = {}): Model<unknown, unknown> {
  const p: ScenarioPieces = typeof pieces === "function" ? { store: pieces } : pieces;
  if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new Error(`no scenario named ${String(scenario)}`);
  const s = shapeOf(scenario, shape);
  const info = SCENARIO_INFO[scenario];
  if (info.piece === "store" && p.store === undefined) throw new Error(`${scenario} runs a DedupKVStore: give pieces.store`);
  if (info.piece === "voteRules" && p.voteRules === undefined) throw new Error(`${scenario} runs the vote rules: give pieces.voteRules`);
  switch (scenario) {
    case "dedup-single":
      if (s.clients! < 1 || s.clients! > 2) throw new Error(`dedup-single takes 1 or 2 clients, not ${s.clients}`);
      return dedupSingleModel({
        store: p.store!,
        clients: s.clients!,
        appends: s.appends!,
        maxRetries: s.maxRetries!,
        maxDrops: s.maxDrops!,
        maxDuplicates: s.maxDuplicates!,
        reduce: options.reduce ?? false,
      }) as Model<unknown, unknown>;
    case "vote-rules-3":
      return voteRules3Model({ rules: p.voteRules!, maxTerm: s.maxTerm!, maxElections: s.maxElections!, maxDuplicates: s.maxDuplicates!, network: s.network! }) as Model<unknown, unknown>;
    case "leader-change-3":
      return leaderChange3Model({
        store: p.store!,
        ...(p.client === undefined ? {} : { client: p.client }),
        appends: s.appends!,
        maxRetries: s.maxRetries!,
        leaderChanges: s.leaderChanges!,
        maxDuplicates: s.maxDuplicates!,
        sessionsMax: s.sessionsMax!,
      }) as Model<unknown, unknown>;
    case "raft-core-3":
      return raftCore3Model({
        core: p.core ?? REFERENCE_CORE,
        ...(p.voteRules === undefined ? {} : { voteRules: p.voteRules }),
        appends: s.appends!,
        maxRetries: s.maxRetries!,
        maxTerm: s.maxTerm!,
        maxElections: s.maxElections!,
        maxHeartbeats: s.maxHeartbeats!,
        maxDuplicates: s.maxDuplicates!,
        maxCrashes: s.maxCrashes!,
        reduce: options.reduce ?? false,
      }) as Model<unknown, unknown>;
  }
}

export function searchScenario(options: SearchScenarioOptions): SearchReport {
  const shape = shapeOf(options.scenario, pick(options));
  const model = scenarioModel(options.scenario, options, shape, { reduce: options.reduce ?? true });
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
    report.trace = r.trace.map((s: TraceStep<unknown>) => s.line);
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

/** The random-testing baseline on a scenario: see `randomWalks` (every event offered: no reduction). */
export function randomWalkScenario(options: SearchScenarioOptions & { walks: number; startSeed?: number }) {
  const model = scenarioModel(options.scenario, options, shapeOf(options.scenario, pick(options)));
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
  /** Each state from the initial one to the last replayed (for a message diagram or the explorer). */
  states: unknown[];
  events: unknown[];
  /** Where the trace stopped applying: its event is not enabled with these pieces (they behave differently from the ones that made it). */
  diverged?: { step: number; line: string };
}

/**
 * Re-runs a trace file's events one by one from the initial state, every
 * event offered (a reduced search's events are among them). The first step
 * that breaks one of the trace's invariants stops the replay, and so does
 * an event that is not enabled where it comes (`diverged`: pieces that
 * behave differently from the ones that made the trace, a fixed bug).
 */
export function replayTrace(trace: TraceFile, pieces: ScenarioPieces | DedupStoreClass): ReplayResult {
  if (trace.kind !== "dslab-search-trace") throw new Error("not a search trace (kind is not dslab-search-trace)");
  if (!(SCENARIOS as readonly string[]).includes(trace.scenario)) throw new Error(`the trace's scenario ${JSON.stringify(trace.scenario)} is not one of ${SCENARIOS.join(", ")}`);
  const model = scenarioModel(trace.scenario, pieces, shapeOf(trace.scenario, trace.shape ?? {}));
  let state = model.initial();
  const lines: string[] = [];
  const states: unknown[] = [state];
  const events: unknown[] = [];
  for (const [i, event] of trace.events.entries()) {
    const wanted = stableStringify(event);
    const enabled = model.events(state).find((e) => stableStringify(e) === wanted);
    if (enabled === undefined) return { lines, states, events, diverged: { step: i + 1, line: trace.lines?.[i] ?? wanted } };
    const next = model.step(state, enabled);
    lines.push(model.describe(enabled, state, next));
    events.push(enabled);
    states.push(next);
    state = next;
    for (const name of trace.invariants) {
      const message = model.invariants[name]?.(state) ?? null;
      if (message !== null) return { lines, violation: { invariant: name, message }, states, events };
    }
  }
  return { lines, states, events };
}

/** Why a store's `state` is not plain JSON data, or undefined when it is. */
function stateProblem(state: unknown): string | undefined {
  if (state === undefined) return "has no `state`";
  if (typeof state !== "object" || state === null) return `has a \`state\` that is ${state === null ? "null" : `a ${typeof state}`}, not an object`;
  try {
    JSON.stringify(state);
  } catch (e) {
    return `has a \`state\` that cannot be written as JSON (${(e as Error).message.split("\n")[0]})`;
  }
  return undefined;
}

/** Imports a module's `DedupKVStore` (a TypeScript file needs tsx, as kv-sim has). */
export async function loadStore(file: string): Promise<DedupStoreClass> {
  const mod = (await import(pathToFileURL(file).href)) as { DedupKVStore?: unknown };
  if (typeof mod.DedupKVStore !== "function") throw new Error(`${file} exports no DedupKVStore class`);
  const Store = mod.DedupKVStore as DedupStoreClass;
  // The search copies and compares a store's state as JSON: one that is not plain data is refused here, by name.
  // A constructor that throws is left to the search, which says where the module threw.
  let state: unknown;
  try {
    state = new Store({ sessionTimeoutMs: 1_000 }).state;
  } catch {
    return Store;
  }
  const problem = stateProblem(state);
  if (problem !== undefined) throw new Error(`a new DedupKVStore ${problem}: a store keeps its whole state as plain JSON data in its \`state\` field (the search copies and compares it)`);
  return Store;
}

/** Imports a module's vote rules: `voteRules`, or its own `observeTerm` and `decide`. */
export async function loadVoteRules(file: string): Promise<VoteRulesLike> {
  const mod = (await import(pathToFileURL(file).href)) as { voteRules?: Partial<VoteRulesLike>; observeTerm?: unknown; decide?: unknown };
  const rules = mod.voteRules ?? (mod as Partial<VoteRulesLike>);
  if (typeof rules.observeTerm !== "function" || typeof rules.decide !== "function") throw new Error(`${file} exports neither voteRules nor observeTerm and decide`);
  return { observeTerm: rules.observeTerm.bind(rules), decide: rules.decide.bind(rules) };
}

/** Imports a module's retrying client: `newClient`, `newOperation`, `onResult`, `classify` and `afterOperation` (week-12/src/retry-client.ts). */
export async function loadRetryClient(file: string): Promise<RetryClientLike> {
  const mod = (await import(pathToFileURL(file).href)) as Partial<Record<keyof RetryClientLike, unknown>>;
  const names = ["newClient", "newOperation", "onResult", "classify", "afterOperation"] as const;
  const missing = names.filter((n) => typeof mod[n] !== "function");
  if (missing.length > 0) throw new Error(`${file} exports no ${missing.join(", ")} (a retrying client's functions)`);
  return Object.fromEntries(names.map((n) => [n, mod[n]])) as unknown as RetryClientLike;
}

/**
 * Loads the piece a scenario runs from a module file (an empty file name:
 * the reference store, or raft-core-3's reference core), and, for a
 * scenario that runs one, the retrying client from `clientFile`.
 */
export async function loadPieces(scenario: ScenarioName, file: string, clientFile?: string): Promise<ScenarioPieces> {
  const piece = SCENARIO_INFO[scenario].piece;
  if (piece === "core") return loadCorePieces(file);
  const pieces: ScenarioPieces = piece === "voteRules" ? { voteRules: await loadVoteRules(file) } : { store: file === "" ? ReferenceStore : await loadStore(file) };
  if (clientFile !== undefined && SCENARIO_INFO[scenario].client) pieces.client = await loadRetryClient(clientFile);
  return pieces;
}

/**
 * raft-core-3's pieces from a module: cores (`createKvNodeCore` and
 * `fromState`, see `loadSearchCore`), or vote rules the reference core
 * runs; an empty file name: the reference core alone.
 */
export async function loadCorePieces(file: string): Promise<ScenarioPieces> {
  if (file === "") return {};
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  if (typeof mod.createKvNodeCore === "function") return { core: await loadSearchCore(file) };
  return { voteRules: await loadVoteRules(file) };
}

/**
 * Imports a module's node cores for raft-core-3: `createKvNodeCore(config,
 * restored)` as `--core` takes it, and `fromState(config, state)`, a core in
 * a state its cores exported (`exportState()`), as `KvNode.fromState` is for
 * the reference.
 */
export async function loadSearchCore(file: string): Promise<SearchCore> {
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const create = mod.createKvNodeCore;
  const fromState = mod.fromState;
  if (typeof create !== "function" || typeof fromState !== "function") {
    throw new Error(`${file} must export createKvNodeCore(config, restored) and fromState(config, state) (a core the search can copy); it exports ${Object.keys(mod).join(", ") || "nothing"}`);
  }
  return { create: create as SearchCore["create"], fromState: fromState as SearchCore["fromState"] };
}
