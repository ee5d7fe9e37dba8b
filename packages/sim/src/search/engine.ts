/**
 * The model checker's engine: from a model's initial state, explore every
 * order of its events breadth-first (or depth-first in a seeded random
 * order), deduplicate states by a hash of their canonical text, check the
 * invariants in every state, and keep enough of the search tree to print the
 * shortest trace to the first violation found.
 *
 * A model is plain data and pure functions: `step` returns a new state and
 * never changes the one it is given, so any state can be kept and revisited.
 */
import { createHash } from "node:crypto";
import { stableStringify } from "@dslab/protocol";

/** Stable JSON (object keys sorted): the canonical text of plain data. */
export { stableStringify };

export interface Model<S, E> {
  initial(): S;
  /** The events enabled in `state`, each once (events with the same effect listed once). */
  events(state: S): E[];
  /** The state after `event`: a new state; `state` is left as it was. */
  step(state: S, event: E): S;
  /** One line: what `event` did (`after` is the state it led to). */
  describe(event: E, before: S, after: S): string;
  /** A canonical text of `state`: equal states give equal texts. */
  canonical(state: S): string;
  /** Invariants by name: null when it holds, else a sentence naming what broke. */
  invariants: Record<string, (state: S) => string | null>;
  /** Goals and prunes by name. */
  predicates: Record<string, (state: S) => boolean>;
}

export type Strategy = "bfs" | "random-dfs";
/** How the visited set keys a state: a hash of its canonical text, or the text itself ("text": no collision, more memory). */
export type HashName = "sha1" | "fnv1a-64" | "text";

export interface SearchLimits {
  strategy: Strategy;
  /** The order random DFS visits children in. */
  seed: number;
  /** States deeper than this are not expanded. */
  maxDepth: number;
  /** Stop after this many seconds of search. */
  maxTimeS: number;
  /** Invariants checked (names from the model). */
  invariants: readonly string[];
  /** A state that satisfies any of these is not expanded. */
  prune: readonly string[];
  /** The search stops at the first state that satisfies any of these. */
  goal: readonly string[];
  hash: HashName;
}

export type EndCondition = "space-exhausted" | "invariant-violated" | "goal-found" | "time-limit";

export interface TraceStep<E> {
  event: E;
  line: string;
}

export interface SearchOutcome<S, E> {
  end: EndCondition;
  /** States taken from the frontier and expanded or checked. */
  explored: number;
  /** Distinct states seen. */
  unique: number;
  /** The deepest state seen (events from the initial state). */
  depth: number;
  /** True when some state at --max-depth had enabled events left unexplored. */
  depthBounded: boolean;
  wallMs: number;
  /** For a violation: which invariant and its sentence. */
  violation?: { invariant: string; message: string };
  /** For a violation or a goal: the events from the initial state (shortest with BFS). */
  trace?: TraceStep<E>[];
  /** The state the trace ends in. */
  final?: S;
}

/** Hashes a canonical text to a short key (the visited set holds keys, not texts). */
export function hashText(text: string, hash: HashName): string {
  if (hash === "text") return text;
  if (hash === "sha1") return createHash("sha1").update(text).digest("base64");
  return fnv1a64(text);
}

/** 64-bit FNV-1a over the UTF-16 code units, as two 32-bit halves (no BigInt: fast). */
export function fnv1a64(text: string): string {
  // offset basis 0xcbf29ce484222325, prime 0x100000001b3 = 2^40 + 0x1b3
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < text.length; i++) {
    lo = (lo ^ text.charCodeAt(i)) >>> 0;
    // (hi:lo) * (2^40 + 0x1b3), modulo 2^64
    const loMul = lo * 0x1b3;
    const newLo = loMul >>> 0;
    const carry = Math.floor(loMul / 0x100000000);
    hi = (Math.imul(hi, 0x1b3) + (lo << 8) + carry) >>> 0;
    lo = newLo;
  }
  return hi.toString(36) + ":" + lo.toString(36);
}

/** A small seeded PRNG (mulberry32) for the random DFS order. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0 || 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function firstViolation<S, E>(model: Model<S, E>, state: S, names: readonly string[]): { invariant: string; message: string } | undefined {
  for (const name of names) {
    const message = model.invariants[name]!(state);
    if (message !== null) return { invariant: name, message };
  }
  return undefined;
}

/** Runs the search; see `SearchLimits` for what stops it. */
export function search<S, E>(model: Model<S, E>, limits: SearchLimits): SearchOutcome<S, E> {
  for (const name of limits.invariants) if (!model.invariants[name]) throw new Error(`no invariant named ${name}`);
  for (const name of [...limits.prune, ...limits.goal]) if (!model.predicates[name]) throw new Error(`no goal or prune named ${name}`);
  const started = performance.now();
  const deadline = started + limits.maxTimeS * 1000;
  const hash = limits.hash;
  const key = hash === "text" ? (s: S) => model.canonical(s) : (s: S) => hashText(model.canonical(s), hash);
  const prunes = limits.prune.map((n) => model.predicates[n]!);
  const goals = limits.goal.map((n) => model.predicates[n]!);
  const holds = (fns: readonly ((s: S) => boolean)[], s: S) => {
    for (const f of fns) if (f(s)) return true;
    return false;
  };
  const checks = limits.invariants.map((name) => ({ name, check: model.invariants[name]! }));
  const firstViolation = (s: S): { invariant: string; message: string } | undefined => {
    for (const { name, check } of checks) {
      const message = check(s);
      if (message !== null) return { invariant: name, message };
    }
    return undefined;
  };

  // The search tree: node i's parent and the event that led to it.
  const parent: number[] = [-1];
  const via: (E | undefined)[] = [undefined];
  const states: S[] = [];
  const visited = new Set<string>();
  const initial = model.initial();
  visited.add(key(initial));
  const outcome = { explored: 0, unique: 1, depth: 0, depthBounded: false };

  const traceTo = (node: number, final: S): { trace: TraceStep<E>[]; final: S } => {
    const events: E[] = [];
    for (let n = node; parent[n]! >= 0; n = parent[n]!) events.push(via[n]!);
    events.reverse();
    const trace: TraceStep<E>[] = [];
    let s = model.initial();
    for (const event of events) {
      const next = model.step(s, event);
      trace.push({ event, line: model.describe(event, s, next) });
      s = next;
    }
    return { trace, final };
  };
  const finish = (end: EndCondition, extra: Partial<SearchOutcome<S, E>> = {}): SearchOutcome<S, E> => ({
    end,
    ...outcome,
    wallMs: performance.now() - started,
    ...extra,
  });

  const first = firstViolation(initial);
  if (first) return finish("invariant-violated", { violation: first, trace: [], final: initial });
  if (holds(goals, initial)) return finish("goal-found", { trace: [], final: initial });

  const random = seededRandom(limits.seed);
  // BFS: a queue of (node, state, depth); random DFS: a stack of the same.
  const nodes: number[] = [0];
  const depths: number[] = [0];
  states.push(initial);
  let head = 0;
  while (limits.strategy === "bfs" ? head < nodes.length : nodes.length > 0) {
    if ((outcome.explored & 255) === 0 && performance.now() > deadline) return finish("time-limit");
    let node: number, state: S, depth: number;
    if (limits.strategy === "bfs") {
      node = nodes[head]!;
      state = states[head]!;
      depth = depths[head]!;
      states[head] = undefined as S; // let the state go once expanded
      head++;
    } else {
      node = nodes.pop()!;
      state = states.pop()!;
      depth = depths.pop()!;
    }
    outcome.explored++;
    if (prunes.length > 0 && holds(prunes, state)) continue;
    const events = model.events(state);
    if (events.length === 0) continue;
    if (depth >= limits.maxDepth) {
      outcome.depthBounded = true;
      continue;
    }
    if (limits.strategy === "random-dfs") shuffle(events, random);
    for (const event of events) {
      const next = model.step(state, event);
      const seen = visited.size;
      visited.add(key(next));
      if (visited.size === seen) continue; // already visited (one lookup, not two)
      outcome.unique++;
      const child = parent.length;
      parent.push(node);
      via.push(event);
      if (depth + 1 > outcome.depth) outcome.depth = depth + 1;
      const violation = firstViolation(next);
      if (violation) return finish("invariant-violated", { violation, ...traceTo(child, next) });
      if (goals.length > 0 && holds(goals, next)) return finish("goal-found", traceTo(child, next));
      nodes.push(child);
      depths.push(depth + 1);
      states.push(next);
    }
  }
  return finish("space-exhausted");
}

/**
 * The random-testing baseline: `walks` random executions, each choosing
 * uniformly among the enabled events until none is left or `maxDepth`
 * events have run; walk i uses seed `startSeed + i`. Returns the first walk
 * that breaks an invariant, or undefined.
 */
export function randomWalks<S, E>(
  model: Model<S, E>,
  options: { walks: number; startSeed: number; maxDepth: number; invariants: readonly string[] },
): { seed: number; violation: { invariant: string; message: string }; steps: number } | undefined {
  for (let w = 0; w < options.walks; w++) {
    const seed = options.startSeed + w;
    const random = seededRandom(seed);
    let state = model.initial();
    for (let steps = 0; steps < options.maxDepth; steps++) {
      const events = model.events(state);
      if (events.length === 0) break;
      state = model.step(state, events[Math.floor(random() * events.length)]!);
      const violation = firstViolation(model, state, options.invariants);
      if (violation) return { seed, violation, steps: steps + 1 };
    }
  }
  return undefined;
}
