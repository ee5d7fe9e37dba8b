/**
 * The `leader-change-3` scenario: three replicas, each running the
 * workbook's DedupKVStore as its state machine (the sessions travel in the
 * log: every replica applies the same entries), a leader that may crash
 * while a client's append is in flight, and one client that retries.
 *
 * The replication is Raft's, reduced to what the client and the sessions
 * see: the leader appends a client request to its log; a replicate event
 * copies the leader's log to one follower (its log becomes the leader's, as
 * AppendEntries leaves it), and the leader commits the longest prefix a
 * majority holds that ends in an entry of its own term (§5.4.2), applies it
 * to its store and answers the client with the store's reply; a follower
 * applies what the leader has committed. A leader change crashes the leader
 * (it stays down) and elects one of the others whose log is at least as up
 * to date as the other's (the vote rule, §5.4.1); the new leader appends a
 * no-op of its term. A request to a node that does not lead is answered
 * with a redirect to the leader it knows (none when it knows none); a
 * request to a crashed node is lost.
 *
 * The client is the workbook's retrying client (week-12/src/retry-client.ts,
 * given as `client`): its state in the world is the state its functions
 * return (plain data, copied and hashed with the rest), and the model only
 * drives it, as week-12/plug/client.ts does with real time. Operation i
 * appends "c1:i" (`newOperation`); the request it returns goes to the node
 * it names, and the client's timer is armed. Time is abstract: the timer
 * may fire at any point. While an attempt waits for its reply, the timer is
 * the attempt timeout (`onResult` with a transport timeout); after `onResult`
 * said `{ wait, then }`, it is the end of the backoff (the request goes to
 * `then`). A reply to the operation's (client_id, seq) that arrives while
 * an attempt waits is that attempt's answer (`onResult`); one that arrives
 * during a backoff is discarded, as a timed-out attempt's reply is. `{ send }`
 * sends at once (a redirect), `{ done }` settles the operation
 * (`afterOperation`, then the next one). How many attempts an operation gets
 * is the client's own decision (its policy's `maxRetries`, the shape's
 * `--max-retries`; `maxRedirects` 2): a client past it is a violation
 * (retries-bounded) and is not run further. The backoff's jitter draws from
 * a PRNG of a fixed seed at each call, so a step is a function of the
 * world; the wait only labels the trace.
 *
 * Without `client` (the store alone, as the dedup-store checks search it)
 * the client is scripted as in dedup-single: each append keeps its identity
 * (client c1, seq) for every attempt; its retry timer resends to the next
 * node (a timeout moves on), up to 1 + maxRetries attempts, then gives the
 * append up (outcome unknown); a redirect resends to the named leader at
 * once (at most 2 per append, not counted as retries).
 *
 * Invariants, watched by the step that can break them and latched:
 * results-ok (an acknowledged append's reply ends with its own value, has
 * no repeats and is a prefix of the list then), appends-linearizable (a
 * replica's list only grows, by the applied request's value),
 * appends-at-most-once, committed-entry-kept (a new leader holds every entry
 * committed before it, at its index), sessions-bounded (no replica holds
 * more sessions than `sessionsMax`). With the workbook's client also:
 * retry-keeps-identity (every attempt of an operation sends its first
 * request unchanged: the same client_id and seq), retries-bounded (at most
 * maxRetries retries and maxRedirects redirects per operation), and
 * outcome-honest (`ok` only for an `*_ok` reply to the operation; `failed`
 * only for an append no replica has applied or will apply), and
 * redirect-at-once (an error 11 naming a leader, with redirects left, is
 * answered `{ send: leader }`: no backoff).
 */
import { createPrng, type Body, type ErrorBody, type Prng } from "@dslab/protocol";
import type { Model } from "./engine.js";
import { stableStringify } from "./engine.js";
import { clone, distinctMessages, latch, messageText, stableText, withMessage, withoutMessage } from "./world-parts.js";
import { plural } from "../output/plural.js";
import type { AppendRequest, DedupStoreClass, StoreReply } from "./dedup-single.js";

const IDS = ["n1", "n2", "n3"];
const KEY = "l";
const NOW_MS = 1_000;
const SESSION_TIMEOUT_MS = 1e12;
const MAX_REDIRECTS = 2;
/** The seed of the PRNG the workbook's client draws from (a fresh one at each call: a step is a function of the world). */
const CLIENT_SEED = "leader-change-3:c1";
/** The course's backoff numbers (`DEFAULT_BACKOFF`); in this model a wait only labels the trace. */
const BACKOFF = { baseMs: 100, capMs: 5_000, jitterRatio: 0.25, floorMs: 10 };

export interface Entry {
  term: number;
  /** A client request, or null for a leader's no-op. */
  request: AppendRequest | null;
}

export interface Replica {
  id: string;
  up: boolean;
  term: number;
  role: "leader" | "follower";
  /** The leader it knows of its term. */
  leader: string | null;
  log: Entry[];
  commit: number;
  /** The store's state after applying log[0..commit). */
  server: unknown;
  /** As leader: how far each follower's log matches its own. */
  match: Record<string, number>;
}

export type LcMessage =
  | { kind: "request"; from: "c1"; to: string; body: AppendRequest }
  | { kind: "reply"; from: string; to: "c1"; seq: number; body: StoreReply; problem?: string };

/** The scripted client (no `client` piece). */
export interface LcClient {
  seq: number;
  attempts: number;
  redirects: number;
  /** The node the next attempt goes to. */
  node: string;
  outcomes: string;
}

/** What the retrying client's functions are called with and return (week-12/src/retry-client.ts); its states are plain data. */
export interface RetryOperationLike {
  /** The exact body every attempt sends. */
  request: Body;
  /** Where the current attempt goes (after `onResult`, where the next one goes). */
  node: string;
  [field: string]: unknown;
}
export type RetryAttemptResult = { kind: "reply"; body: Body } | { kind: "transport"; failure: "timeout" | "disconnected" | "refused"; message: string };
export type RetryOutcome = { outcome: "ok"; reply: Body } | { outcome: "failed"; error: ErrorBody } | { outcome: "unknown"; lastError: ErrorBody };
export type RetryNext = { send: string } | { wait: number; then: string } | { done: RetryOutcome };
export interface RetryPolicyLike {
  maxRetries: number;
  maxRedirects: number;
  backoff: { baseMs: number; capMs: number; jitterRatio: number; floorMs: number };
}

/** The workbook's retrying client: the functions this scenario calls (load one with `loadRetryClient`). */
export interface RetryClientLike {
  newClient(nodes: readonly string[], prng: Prng): unknown;
  newOperation(client: unknown, op: Body): { client: unknown; operation: RetryOperationLike };
  onResult(state: RetryOperationLike, result: RetryAttemptResult, prng: Prng, policy: RetryPolicyLike): { state: RetryOperationLike; next: RetryNext };
  classify(result: RetryAttemptResult): string;
  afterOperation(client: unknown, operation: RetryOperationLike): unknown;
}

/** The workbook's client in the world: its own states, and what the driver keeps beside them. */
export interface RetryClientWorld {
  /** The operation running (operation i appends "c1:i"); past `appends` the client is done. */
  op: number;
  /** The client's state, as newClient, newOperation and afterOperation returned it. */
  client: unknown;
  /** The operation's state, as newOperation and onResult returned it; null once the client is done. */
  operation: RetryOperationLike | null;
  /** The request the operation's first attempt sent: every later attempt sends it unchanged. */
  first: Body | null;
  /** The client's timer: an attempt waiting for its reply (the timer is its timeout), or a backoff (the timer sends to `node`); null: nothing armed. */
  waiting: { for: "reply"; node: string } | { for: "backoff"; node: string; waitMs: number } | null;
  /** Attempts of this operation sent after a backoff (retries) and at once after a reply (redirects). */
  retries: number;
  redirects: number;
  /** One letter per operation settled: a ok, f failed, u unknown. */
  outcomes: string;
}

export interface LeaderChangeWorld {
  replicas: Replica[];
  /** The scripted client (no `client` piece). */
  client?: LcClient;
  /** The workbook's client (the `client` piece). */
  retry?: RetryClientWorld;
  inFlight: LcMessage[];
  duplicates: number;
  leaderChanges: number;
  /** Entries committed so far, by index (their term): a later leader must hold them. */
  committed: number[];
  broken?: Record<string, string>;
}

export type LeaderChangeEvent =
  | { kind: "deliver"; message: LcMessage }
  | { kind: "duplicate"; message: LcMessage }
  | { kind: "replicate"; from: string; to: string }
  | { kind: "crash-leader"; elect: string }
  | { kind: "timer" };

export interface LeaderChangeOptions {
  store: DedupStoreClass;
  /** The workbook's retrying client; absent, the scripted one. */
  client?: RetryClientLike;
  appends: number;
  maxRetries: number;
  leaderChanges: number;
  maxDuplicates: number;
  sessionsMax: number;
}

export const LEADER_CHANGE_DEFAULTS = { appends: 1, maxRetries: 1, leaderChanges: 1, maxDuplicates: 1, sessionsMax: 1 } as const;
export const LEADER_CHANGE_INVARIANTS = [
  "results-ok",
  "appends-linearizable",
  "appends-at-most-once",
  "committed-entry-kept",
  "sessions-bounded",
  "retry-keeps-identity",
  "retries-bounded",
  "outcome-honest",
  "redirect-at-once",
] as const;

function listOf(server: unknown): string[] {
  const data = (server as { data?: Record<string, unknown> } | null)?.data;
  const list = data !== undefined && data !== null && typeof data === "object" && Object.hasOwn(data, KEY) ? data[KEY] : [];
  return Array.isArray(list) ? list.map((v) => JSON.stringify(v)) : [];
}

function sessionCount(server: unknown): number {
  const sessions = (server as { tracker?: { sessions?: Record<string, unknown> } } | null)?.tracker?.sessions;
  return sessions !== undefined && sessions !== null && typeof sessions === "object" ? Object.keys(sessions).length : 0;
}

const requestOf = (seq: number, to: string): LcMessage => ({ kind: "request", from: "c1", to, body: { type: "append", key: KEY, value: `c1:${seq}`, client_id: "c1", seq } });
const lastTerm = (r: Replica) => r.log.at(-1)?.term ?? 0;
const upToDate = (a: Replica, b: Replica) => lastTerm(a) > lastTerm(b) || (lastTerm(a) === lastTerm(b) && a.log.length >= b.log.length);
const OUTCOME_LETTER = { ok: "a", failed: "f", unknown: "u" } as const;
const OUTCOME_WORD: Record<string, string> = { a: "ok", f: "failed", u: "unknown" };

function show(m: LcMessage): string {
  if (m.kind === "request") return `c1->${m.to} append ${JSON.stringify(m.body.value)} (seq ${m.body.seq})`;
  const b = m.body;
  return `${m.from}->c1 reply to seq ${m.seq}: ${b.type === "error" ? `error ${String(b.code)}${typeof b.leader === "string" ? ` (leader ${b.leader})` : ""}` : `${b.type} ${JSON.stringify(b.value)}`}`;
}

/** Where `value` is not plain JSON data (a Map, a class instance, a function, undefined, a non-finite number), or null. */
export function notPlainData(value: unknown, path: string): string | null {
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") return Number.isFinite(value) ? null : `${path} is ${value}`;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const p = notPlainData(v, `${path}[${i}]`);
      if (p !== null) return p;
    }
    return null;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return `${path} is a ${(value as { constructor?: { name?: string } }).constructor?.name ?? "class instance"}`;
    for (const [k, v] of Object.entries(value)) {
      const p = notPlainData(v, `${path}.${k}`);
      if (p !== null) return p;
    }
    return null;
  }
  return `${path} is ${typeof value === "undefined" ? "undefined" : `a ${typeof value}`}`;
}

/** An answer of the retrying client that breaks its contract: `code` tells a command to blame the client's module (a usage error), a check to fail it. */
export class RetryClientContractError extends Error {
  override name = "RetryClientContractError";
  readonly code = "E_CLIENT_CONTRACT";
}

/** Throws when a value the workbook's client returned is not plain data (the search copies and hashes it). */
function plain<T>(value: T, what: string): T {
  const problem = notPlainData(value, what);
  if (problem !== null) throw new RetryClientContractError(`${what} is not plain data (${problem}): the retrying client's states are JSON data, so a model checker can copy and compare them`);
  return value;
}

function checkNext(next: unknown): RetryNext {
  const n = next as Record<string, unknown> | null | undefined;
  if (n && typeof n === "object") {
    if (typeof n.send === "string") return n as RetryNext;
    if (typeof n.wait === "number" && typeof n.then === "string") return n as RetryNext;
    const done = n.done as { outcome?: unknown } | undefined;
    if (done && typeof done === "object" && (done.outcome === "ok" || done.outcome === "failed" || done.outcome === "unknown")) return n as RetryNext;
  }
  throw new RetryClientContractError(`onResult returned next = ${JSON.stringify(next)}: expected { send: node }, { wait: ms, then: node } or { done: { outcome: "ok" | "failed" | "unknown", ... } }`);
}

export function leaderChange3Model(options: LeaderChangeOptions): Model<LeaderChangeWorld, LeaderChangeEvent> {
  const Store = options.store;
  const machine = options.client;
  const maxAttempts = 1 + options.maxRetries;
  const policy: RetryPolicyLike = { maxRetries: options.maxRetries, maxRedirects: MAX_REDIRECTS, backoff: BACKOFF };
  const applyMemo = new Map<string, { server: unknown; reply: StoreReply }>();
  /** Requests numbered for the canonical text (a log entry is its term and this number). */
  const requestIds = new Map<string, number>();
  const requestId = (request: AppendRequest): number => {
    const t = JSON.stringify(request);
    let id = requestIds.get(t);
    if (id === undefined) requestIds.set(t, (id = requestIds.size));
    return id;
  };

  const apply = (server: unknown, request: AppendRequest): { server: unknown; reply: StoreReply } => {
    const k = stableText(server) + "|" + JSON.stringify(request);
    let r = applyMemo.get(k);
    if (r === undefined) {
      const store = new Store({ sessionTimeoutMs: SESSION_TIMEOUT_MS }, clone(server) as never);
      const reply = clone(store.handleRequest(clone(request), NOW_MS));
      r = { server: clone(store.state), reply };
      applyMemo.set(k, r);
    }
    return r;
  };

  const put = (world: LeaderChangeWorld, r: Replica) => {
    world.replicas = world.replicas.map((x) => (x.id === r.id ? r : x));
  };
  const replica = (world: LeaderChangeWorld, id: string) => world.replicas.find((r) => r.id === id)!;
  const leaderOf = (world: LeaderChangeWorld) => world.replicas.find((r) => r.up && r.role === "leader");
  /** The seq whose replies the client reads (its current operation's), or undefined when it is done. */
  const awaited = (world: LeaderChangeWorld): unknown => {
    if (world.retry !== undefined) return world.retry.operation?.request.seq;
    return world.client!.seq <= options.appends ? world.client!.seq : undefined;
  };
  /** The operation that appends `value` (operation i appends "c1:i"), 1-based. */
  const opOf = (value: unknown) => (typeof value === "string" && value.startsWith("c1:") ? Number(value.slice(3)) : NaN);

  /** Applies log entries up to `commit` to `r`'s store; the leader answers the client for each request it applies. */
  const catchUp = (world: LeaderChangeWorld, r: Replica, applied: number, answer: boolean): Replica => {
    let server = r.server;
    for (let i = applied; i < r.commit; i++) {
      const request = r.log[i]!.request;
      if (request === null) continue;
      const before = listOf(server);
      const step = apply(server, request);
      server = step.server;
      const after = listOf(server);
      if (before.length !== after.length || before.some((v, j) => v !== after[j])) {
        if (new Set(after).size !== after.length) latch(world, "appends-at-most-once", `${r.id} applied entry ${i + 1} (seq ${request.seq}) and its list is [${after.join(",")}]: an append applied twice`);
        const grew = after.length === before.length + 1 && before.every((v, j) => v === after[j]) && after.at(-1) === JSON.stringify(request.value);
        if (!grew) latch(world, "appends-linearizable", `${r.id} applied entry ${i + 1} and its list went from [${before.join(",")}] to [${after.join(",")}]: an append only adds its own value at the end`);
        const op = opOf(request.value);
        if (world.retry?.outcomes[op - 1] === "f") latch(world, "outcome-honest", `${r.id} applied ${JSON.stringify(request.value)} (seq ${request.seq}) after the client reported operation ${op} failed: failed means it was not and will not be applied`);
      }
      if (sessionCount(server) > options.sessionsMax) latch(world, "sessions-bounded", `${r.id} holds ${plural(sessionCount(server), "session")}, more than ${options.sessionsMax} for one client`);
      // The node that appended the entry answers it; an entry of an earlier term has nobody waiting here.
      if (answer && r.log[i]!.term === r.term && awaited(world) === request.seq) {
        const problem = replyProblem(after, request, step.reply);
        const reply: LcMessage = { kind: "reply", from: r.id, to: "c1", seq: request.seq, body: step.reply, ...(problem === null ? {} : { problem }) };
        world.inFlight = withMessage(world.inFlight, reply);
      }
    }
    return { ...r, server };
  };

  const leaderCommit = (world: LeaderChangeWorld, leader: Replica): Replica => {
    let commit = leader.commit;
    for (let i = leader.log.length; i > leader.commit; i--) {
      const holders = 1 + Object.values(leader.match).filter((m) => m >= i).length;
      if (holders >= 2 && leader.log[i - 1]!.term === leader.term) {
        commit = i;
        break;
      }
    }
    if (commit === leader.commit) return leader;
    const applied = leader.commit;
    const next = catchUp(world, { ...leader, commit }, applied, true);
    world.committed = next.log.slice(0, commit).map((e) => e.term);
    return next;
  };

  // ---- The scripted client.

  const settle = (world: LeaderChangeWorld, outcome: "a" | "f" | "u", reply?: Extract<LcMessage, { kind: "reply" }>) => {
    const c = world.client!;
    if (reply !== undefined && outcome === "a" && reply.problem !== undefined) latch(world, "results-ok", reply.problem);
    world.inFlight = world.inFlight.filter((m) => m.kind !== "reply");
    const next: LcClient = { seq: c.seq + 1, attempts: 0, redirects: 0, node: c.node, outcomes: c.outcomes + outcome };
    if (next.seq <= options.appends) {
      next.attempts = 1;
      world.inFlight = withMessage(world.inFlight, requestOf(next.seq, next.node));
    }
    world.client = next;
  };

  const scriptedReply = (world: LeaderChangeWorld, m: Extract<LcMessage, { kind: "reply" }>) => {
    const c = world.client!;
    if (c.seq !== m.seq) return;
    if (m.body.type === "error" && m.body.code === 11) {
      const leader = typeof m.body.leader === "string" ? m.body.leader : undefined;
      if (leader !== undefined && c.redirects < MAX_REDIRECTS) {
        world.client = { ...c, redirects: c.redirects + 1, node: leader };
        world.inFlight = withMessage(world.inFlight, requestOf(c.seq, leader));
      }
      return; // no leader known: the retry timer moves on
    }
    settle(world, typeof m.body.type === "string" && m.body.type.endsWith("_ok") ? "a" : "f", m);
  };

  const scriptedTimer = (world: LeaderChangeWorld) => {
    const c = world.client!;
    if (c.attempts >= maxAttempts) settle(world, "u");
    else {
      const node = IDS[(IDS.indexOf(c.node) + 1) % IDS.length]!;
      world.client = { ...c, attempts: c.attempts + 1, node };
      world.inFlight = withMessage(world.inFlight, requestOf(c.seq, node));
    }
  };

  // ---- The workbook's client, driven as week-12/plug/client.ts drives it.

  const prng = () => createPrng(CLIENT_SEED);

  /** Sends the operation's request to `node`: its first attempt, a retry after a backoff, or a redirect. */
  const send = (world: LeaderChangeWorld, node: string, how: "first" | "retry" | "redirect") => {
    const c = { ...world.retry! };
    const op = c.operation!;
    if (how === "retry") c.retries++;
    if (how === "redirect") c.redirects++;
    world.retry = c;
    if (c.retries > policy.maxRetries || c.redirects > policy.maxRedirects) {
      const past = c.retries > policy.maxRetries ? `retry ${c.retries}, past maxRetries ${policy.maxRetries}` : `redirect ${c.redirects}, past maxRedirects ${policy.maxRedirects}`;
      latch(world, "retries-bounded", `the client sent operation ${c.op} (seq ${String(op.request.seq)}) a ${past}: an operation stops by its policy`);
      world.retry = { ...c, waiting: null }; // not run further
      return;
    }
    if (c.first !== null && stableStringify(op.request) !== stableStringify(c.first)) {
      latch(world, "retry-keeps-identity", `the client sent operation ${c.op} again as ${JSON.stringify(op.request)}, but its first attempt sent ${JSON.stringify(c.first)}: every attempt of an operation sends the same request (client_id ${JSON.stringify(c.first.client_id)}, seq ${String(c.first.seq)})`);
    }
    if (!IDS.includes(node)) throw new RetryClientContractError(`the retrying client sent to ${JSON.stringify(node)}, which is not one of its nodes ${IDS.join(", ")}`);
    world.inFlight = withMessage(world.inFlight, { kind: "request", from: "c1", to: node, body: op.request as unknown as AppendRequest });
    world.retry = { ...c, waiting: { for: "reply", node } };
  };

  /** Starts the next operation, or marks the client done. */
  const startOperation = (world: LeaderChangeWorld) => {
    const c = world.retry!;
    const op = c.op + 1;
    if (op > options.appends) {
      world.retry = { ...c, op, operation: null, first: null, waiting: null, retries: 0, redirects: 0 };
      return;
    }
    const started = machine!.newOperation(c.client, { type: "append", key: KEY, value: `c1:${op}` });
    plain(started, "newOperation's { client, operation }");
    if (typeof started.operation?.request !== "object" || typeof started.operation.node !== "string") {
      throw new RetryClientContractError(`newOperation returned the operation ${JSON.stringify(started.operation)}: expected { request, node, ... }`);
    }
    world.retry = { ...c, op, client: started.client, operation: started.operation, first: started.operation.request, waiting: null, retries: 0, redirects: 0 };
    send(world, started.operation.node, "first");
  };

  /** One attempt's result through `onResult`, and what the client does next. */
  const result = (world: LeaderChangeWorld, attempt: RetryAttemptResult, reply?: Extract<LcMessage, { kind: "reply" }>) => {
    const c = world.retry!;
    const step = machine!.onResult(c.operation!, attempt, prng(), policy);
    plain(step?.state, "onResult's state");
    const next = checkNext(step.next);
    const leader = attempt.kind === "reply" && attempt.body.type === "error" && attempt.body.code === 11 ? attempt.body.leader : undefined;
    if (typeof leader === "string" && IDS.includes(leader) && c.redirects < policy.maxRedirects && !("send" in next && next.send === leader)) {
      latch(world, "redirect-at-once", `${reply?.from ?? "a node"} redirected operation ${c.op} to the leader ${leader} (redirect ${c.redirects + 1} of ${policy.maxRedirects}), and the client answered ${JSON.stringify(next)}: a redirect is followed at once, to the leader it names`);
    }
    world.retry = { ...c, operation: step.state, waiting: null };
    if ("send" in next) send(world, next.send, "redirect");
    else if ("wait" in next) world.retry = { ...world.retry, waiting: { for: "backoff", node: next.then, waitMs: next.wait } };
    else {
      const outcome = next.done;
      const value = (c.first?.value as unknown) ?? `c1:${c.op}`;
      if (outcome.outcome === "ok") {
        if (reply === undefined || typeof reply.body.type !== "string" || !reply.body.type.endsWith("_ok")) {
          latch(world, "outcome-honest", `the client reported operation ${c.op} ok after ${reply === undefined ? "its attempt timed out" : `the reply ${JSON.stringify(reply.body)}`}: ok needs an *_ok reply to the operation`);
        } else if (reply.problem !== undefined) latch(world, "results-ok", reply.problem);
      }
      if (outcome.outcome === "failed") {
        const applied = world.replicas.find((r) => listOf(r.server).includes(JSON.stringify(value)));
        if (applied !== undefined) latch(world, "outcome-honest", `the client reported operation ${c.op} (${JSON.stringify(value)}) failed, but ${applied.id} has applied it: failed means it was not and will not be applied`);
      }
      const client = machine!.afterOperation(c.client, world.retry.operation!);
      plain(client, "afterOperation's client");
      world.inFlight = world.inFlight.filter((m) => m.kind !== "reply");
      world.retry = { ...world.retry, client, outcomes: c.outcomes + (OUTCOME_LETTER[outcome.outcome] ?? "?") };
      startOperation(world);
    }
  };

  const workbookReply = (world: LeaderChangeWorld, m: Extract<LcMessage, { kind: "reply" }>) => {
    const c = world.retry!;
    // A reply outside an attempt (during a backoff, or to another seq) finds nobody waiting for it.
    if (c.waiting?.for !== "reply" || c.operation?.request.seq !== m.seq) return;
    result(world, { kind: "reply", body: clone(m.body) as Body }, m);
  };

  const workbookTimer = (world: LeaderChangeWorld) => {
    const w = world.retry!.waiting!;
    if (w.for === "reply") result(world, { kind: "transport", failure: "timeout", message: `no reply from ${w.node} within the attempt timeout` });
    else send(world, w.node, "retry");
  };

  // ---- The replicas and the network.

  const deliverRequest = (world: LeaderChangeWorld, m: Extract<LcMessage, { kind: "request" }>) => {
    const r = replica(world, m.to);
    if (!r.up) return; // lost
    if (r.role !== "leader") {
      if (awaited(world) === m.body.seq) {
        const body: StoreReply = r.leader === null ? { type: "error", code: 11, text: "no leader known" } : { type: "error", code: 11, text: `not the leader`, leader: r.leader };
        world.inFlight = withMessage(world.inFlight, { kind: "reply", from: r.id, to: "c1", seq: m.body.seq, body });
      }
      return;
    }
    put(world, { ...r, log: [...r.log, { term: r.term, request: m.body }] });
  };

  const initialClient = (world: LeaderChangeWorld) => {
    if (machine === undefined) {
      world.client = { seq: 1, attempts: 1, redirects: 0, node: "n1", outcomes: "" };
      world.inFlight = withMessage([], requestOf(1, "n1"));
      return;
    }
    const client = plain(machine.newClient(IDS, createPrng(CLIENT_SEED)), "newClient's client");
    world.retry = { op: 0, client, operation: null, first: null, waiting: null, retries: 0, redirects: 0, outcomes: "" };
    startOperation(world);
  };

  const timerArmed = (world: LeaderChangeWorld) => (world.retry !== undefined ? world.retry.waiting !== null : world.client!.seq <= options.appends);

  const describeClient = (event: LeaderChangeEvent, before: LeaderChangeWorld, after: LeaderChangeWorld): string => {
    const b = before.retry!;
    const a = after.retry!;
    const seq = String(b.operation?.request.seq);
    let cause: string;
    if (event.kind === "timer") {
      if (b.waiting?.for === "backoff") return `timer c1: the backoff of ${b.waiting.waitMs} ms ends; resends seq ${seq} to ${b.waiting.node} (retry ${a.retries}${a.retries > policy.maxRetries ? `, past maxRetries ${policy.maxRetries}: not sent` : ""})`;
      cause = `timer c1: the attempt to ${b.waiting?.node ?? "?"} times out`;
    } else cause = `deliver  ${show((event as { message: LcMessage }).message)}`;
    if (event.kind !== "timer" && (b.waiting?.for !== "reply" || b.operation?.request.seq !== (event as { message: Extract<LcMessage, { kind: "reply" }> }).message.seq)) return `${cause} (nobody waits for it)`;
    let kind = "";
    try {
      const attempt: RetryAttemptResult = event.kind === "timer" ? { kind: "transport", failure: "timeout", message: "" } : { kind: "reply", body: (event as { message: Extract<LcMessage, { kind: "reply" }> }).message.body as Body };
      kind = `classify ${machine!.classify(attempt)}, `;
    } catch {
      // classify only labels the line
    }
    if (a.outcomes.length > b.outcomes.length) {
      const word = OUTCOME_WORD[a.outcomes.at(-1)!] ?? a.outcomes.at(-1)!;
      return `${cause}; c1: ${kind}seq ${seq} settles ${word}${a.op > options.appends ? "" : `; sends operation ${a.op} (seq ${String(a.operation?.request.seq)}) to ${a.waiting?.node ?? "?"}`}`;
    }
    if (a.waiting?.for === "backoff") return `${cause}; c1: ${kind}waits ${a.waiting.waitMs} ms, then ${a.waiting.node}`;
    if (a.redirects > b.redirects) return `${cause}; c1: ${kind}follows the redirect to ${a.waiting?.node ?? "?"} at once`;
    return `${cause}; c1: ${kind}stops`;
  };

  return {
    initial() {
      const server = clone(new Store({ sessionTimeoutMs: SESSION_TIMEOUT_MS }).state);
      const replicas: Replica[] = IDS.map((id): Replica => ({ id, up: true, term: 1, role: id === "n1" ? "leader" : "follower", leader: "n1", log: [], commit: 0, server, match: id === "n1" ? { n2: 0, n3: 0 } : {} }));
      const world: LeaderChangeWorld = { replicas, inFlight: [], duplicates: 0, leaderChanges: 0, committed: [] };
      initialClient(world);
      return world;
    },

    events(world) {
      const out: LeaderChangeEvent[] = [];
      for (const message of distinctMessages(world.inFlight)) {
        out.push({ kind: "deliver", message });
        if (message.kind === "request" && world.duplicates < options.maxDuplicates) out.push({ kind: "duplicate", message });
      }
      const leader = leaderOf(world);
      if (leader !== undefined) {
        for (const f of world.replicas) {
          if (f.id === leader.id || !f.up) continue;
          // Only when it changes something: the follower lacks entries, or the commit point.
          if (leader.match[f.id] !== leader.log.length || f.commit !== leader.commit || f.term !== leader.term) out.push({ kind: "replicate", from: leader.id, to: f.id });
        }
        if (world.leaderChanges < options.leaderChanges) {
          const others = world.replicas.filter((r) => r.up && r.id !== leader.id);
          for (const r of others) if (others.every((o) => upToDate(r, o))) out.push({ kind: "crash-leader", elect: r.id });
        }
      }
      if (timerArmed(world)) out.push({ kind: "timer" });
      return out;
    },

    step(world, event) {
      const next: LeaderChangeWorld = { ...world };
      switch (event.kind) {
        case "timer":
          if (machine === undefined) scriptedTimer(next);
          else workbookTimer(next);
          return next;
        case "replicate": {
          const leader = replica(world, event.from);
          const f = replica(world, event.to);
          const follower: Replica = { ...f, term: leader.term, role: "follower", leader: leader.id, log: leader.log, commit: Math.max(f.commit, leader.commit), match: {} };
          // The follower's store is rebuilt from what it had applied when its log still agreed, else from the leader's.
          const agreed = f.log.length >= f.commit && f.log.slice(0, f.commit).every((e, i) => leader.log[i] === e || stableStringify(leader.log[i]) === stableStringify(e));
          put(next, agreed ? catchUp(next, follower, f.commit, false) : { ...follower, commit: leader.commit, server: leader.server });
          put(next, leaderCommit(next, { ...leader, match: { ...leader.match, [f.id]: leader.log.length } }));
          return next;
        }
        case "crash-leader": {
          const old = leaderOf(world)!;
          next.leaderChanges++;
          put(next, { ...old, up: false, role: "follower", match: {} });
          const elected = replica(next, event.elect);
          if (world.committed.some((t, i) => elected.log[i]?.term !== t)) {
            latch(next, "committed-entry-kept", `${elected.id} became leader with the log [${elected.log.map((e) => e.term).join(",")}], without the committed entries [${world.committed.join(",")}]`);
          }
          const term = old.term + 1;
          const match = Object.fromEntries(IDS.filter((id) => id !== elected.id).map((id) => [id, 0]));
          put(next, { ...elected, term, role: "leader", leader: elected.id, log: [...elected.log, { term, request: null }], match });
          for (const r of next.replicas) if (r.up && r.id !== elected.id) put(next, { ...r, term, leader: elected.id });
          return next;
        }
        case "duplicate":
        case "deliver": {
          if (event.kind === "duplicate") next.duplicates++;
          else next.inFlight = withoutMessage(next.inFlight, event.message);
          const m = event.message;
          if (m.kind === "request") deliverRequest(next, m);
          else if (machine === undefined) scriptedReply(next, m);
          else workbookReply(next, m);
          return next;
        }
      }
    },

    describe(event, before, after) {
      if (machine !== undefined && (event.kind === "timer" || (event.kind === "deliver" && event.message.kind === "reply"))) return describeClient(event, before, after);
      switch (event.kind) {
        case "timer": {
          const b = before.client!;
          const a = after.client!;
          return a.seq !== b.seq ? `timer c1: seq ${b.seq} gives up (outcome unknown)` : `timer c1: resends seq ${a.seq} to ${a.node} (attempt ${a.attempts})`;
        }
        case "replicate": {
          const l = replica(after, event.from);
          return `replicate ${event.from}->${event.to}: log of ${plural(l.log.length, "entry", "entries")}, commit ${l.commit}`;
        }
        case "crash-leader":
          return `crash the leader ${leaderOf(before)?.id ?? "?"}; ${event.elect} is elected leader of term ${replica(after, event.elect).term}`;
        case "duplicate":
        case "deliver":
          return `${event.kind === "duplicate" ? "duplicate" : "deliver  "} ${show(event.message)}`;
      }
    },

    canonical(world) {
      const replicas = world.replicas.map(
        (r) => `${r.up ? "u" : "d"}${r.term}${r.role[0]}${r.leader ?? "-"}:${r.log.map((e) => `${e.term}${e.request ? "r" + requestId(e.request) : "n"}`).join(".")}:${r.commit}:${stableText(r.server)}:${stableStringify(r.match)}`,
      );
      const broken = world.broken === undefined ? "" : Object.keys(world.broken).sort().join(",");
      let client: string;
      if (world.retry !== undefined) {
        // An acknowledged and an unknown outcome are never read again; a failed one is (outcome-honest).
        const c = world.retry;
        const w = c.waiting === null ? "-" : `${c.waiting.for}:${c.waiting.node}`;
        client = `${c.op},${stableText(c.client)},${stableText(c.operation)},${stableText(c.first)},${w},${c.retries},${c.redirects},${c.outcomes.replaceAll("a", "u")}`;
      } else {
        const c = world.client!;
        client = `${c.seq},${c.attempts},${c.redirects},${c.node},${c.outcomes.replaceAll("a", "u")}`;
      }
      return `${replicas.join(";")}|${client}|${world.inFlight.map(messageText).join(";")}|${world.duplicates},${world.leaderChanges}|${world.committed.join(".")}|${broken}`;
    },

    invariants: Object.fromEntries(LEADER_CHANGE_INVARIANTS.map((name) => [name, (w: LeaderChangeWorld) => w.broken?.[name] ?? null])),

    predicates: {
      "clients-done": (w) => (w.retry !== undefined ? w.retry.op > options.appends : w.client!.seq > options.appends),
    },
  };
}

/** An acknowledged append's reply when the leader makes it (`list`: its list then, as JSON texts). */
function replyProblem(list: readonly string[], request: AppendRequest, got: StoreReply): string | null {
  if (got.type === "error") return null;
  const seq = request.seq;
  const who = `client c1 seq ${String(seq)}`;
  const value = JSON.stringify(request.value);
  if (got.type !== "append_ok" || !Array.isArray(got.value)) return `${who} (an append) was answered ${JSON.stringify(got)}: an append's reply is append_ok with the list after it`;
  const seen = got.value.map((v) => JSON.stringify(v));
  if (seen.at(-1) !== value) return `${who} got the reply ${JSON.stringify(got.value)}, which does not end with its own value ${value}: it is the reply of another operation`;
  if (new Set(seen).size !== seen.length) return `${who} got the list ${JSON.stringify(got.value)}, in which an append appears twice`;
  if (seen.some((v, i) => list[i] !== v)) return `${who} got the list ${JSON.stringify(got.value)}, which is not a prefix of the list ([${list.join(",")}])`;
  return null;
}
