/**
 * The retrying client. One operation = one identity (client_id, seq) kept
 * through every retry; redirects followed at once; backoff with jitter on
 * everything else that may succeed later; an answer that says what is known.
 *
 * One operation at a time per client: the cluster keeps only the last seq per
 * client_id, so a second concurrent operation would make the first one's
 * retries stale. `execute` throws `E_CLIENT_BUSY` if called while another
 * operation is outstanding; use one `KvClient` per concurrent worker.
 */
import { endsSession, type Body, type ErrorBody, type Json, type Key, type Prng } from "@dslab/protocol";
import { describeResult, formatAttempt, type AttemptRecord } from "./attempt-log.js";
import { applyHint, Backoff, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";
import { CircuitBreaker, type BreakerOptions } from "./breaker.js";
import { CLIENT_DEFAULTS } from "./defaults.js";
import { copyFields } from "./copy-fields.js";
import { systemClock, systemSleep, type Clock, type Sleep } from "./deps.js";
import { randomClientId, SeqCounter } from "./identity.js";
import {
  classify,
  isDurableRefusal,
  isErrorBody,
  leftACopy,
  transportErrorBody,
  type AttemptResult,
  type ClassifyContext,
  type RetryRule,
} from "./policy.js";
import { TransportError, type Transport } from "./transport/transport.js";

export type Operation =
  | { type: "read"; key: Key }
  | { type: "write"; key: Key; value: Json }
  | { type: "cas"; key: Key; from: Json; to: Json; create_if_not_exists?: boolean }
  | { type: "append"; key: Key; value: Json }
  | { type: "incr"; key: Key; delta: number }
  | { type: "delete"; key: Key };

export interface ClientOptions {
  /** Node ids the transport can reach; the first is tried first. */
  nodes: readonly string[];
  transport: Transport;
  /** Randomness for the client_id (unless given) and backoff jitter. */
  prng: Prng;
  clock?: Clock;
  sleep?: Sleep;
  /**
   * Use this client_id instead of a random 128-bit one. A random one is
   * replaced by a fresh one (seq from 1) after the cluster answers 1001
   * session-expired; a given one is kept, and its 1001 is the caller's to handle.
   */
  clientId?: string;
  /** The first seq to use. Default 1. */
  firstSeq?: number;
  /** Per-attempt timeout. Default 1000 ms. */
  attemptTimeoutMs?: number;
  /** Retries (after the first attempt) that back off; redirects do not count. Default 5. */
  maxRetries?: number;
  /** Redirects one operation may follow without backing off. Default 8. */
  maxRedirects?: number;
  /** Bound on one operation's total time, backoff and attempts included. Default 30000 ms. */
  maxTotalMs?: number;
  backoff?: BackoffOptions;
  /** Fail fast while nodes are known down. Off by default; `true` for defaults. */
  circuitBreaker?: boolean | BreakerOptions;
  /** Called once per attempt, e.g. to print the attempt log. */
  onAttempt?: (record: AttemptRecord, line: string) => void;
  /**
   * Matches an attempt's result against the retry rules. Default: the
   * reference table (`classify` in policy.ts). A rule named "redirect" whose
   * action backs off still goes to the named leader after the wait.
   */
  classify?: (result: AttemptResult, ctx: ClassifyContext) => RetryRule;
}

export interface OperationOptions {
  /** Use this seq (replaying a request by hand); later operations number above it. */
  seq?: number;
  /** Send the first attempt here instead of the last known leader. */
  node?: string;
}

/** Why the client stopped without an answer from the cluster that settles it. */
export type GiveUpReason = "max-retries" | "max-total-time" | "circuit-open";

interface ResultBase {
  clientId: string;
  /** Undefined for reads. */
  seq: number | undefined;
  /** Requests sent, redirects included. */
  attempts: number;
  nodesTried: string[];
  elapsedMs: number;
  log: AttemptRecord[];
}

/**
 * Why an outcome is unknown: an attempt may have applied the operation (a
 * timeout, a broken connection, an indefinite error), or every answered copy
 * was refused but only for itself, and another copy may still arrive.
 */
export type UnknownBecause = "an-attempt-may-have-applied" | "a-copy-may-still-arrive";

export type OpResult =
  | (ResultBase & { outcome: "ok"; reply: Body })
  /**
   * Definite: no copy of the operation was applied and none ever will be:
   * the cluster refused it durably, or no copy was ever sent.
   */
  | (ResultBase & { outcome: "failed"; error: ErrorBody; gaveUp?: GiveUpReason })
  /** Indefinite: it may have happened, or may still happen. */
  | (ResultBase & { outcome: "unknown"; lastError: ErrorBody; because: UnknownBecause; gaveUp?: GiveUpReason });

export class ClientError extends Error {
  override readonly name = "ClientError";
  constructor(
    readonly code: "E_CLIENT_BUSY" | "E_CLIENT_OPTIONS",
    message: string,
  ) {
    super(message);
  }
}

export { CLIENT_DEFAULTS };

/**
 * Named settings where a lesson teaches other numbers. `payment`: the
 * payment-API client, which gives up sooner (3 retries) but waits longer
 * between them (10 s cap). Spread one into the options: `{ ...RETRY_PRESETS.payment, nodes, transport, prng }`.
 */
export const RETRY_PRESETS = {
  course: { maxRetries: CLIENT_DEFAULTS.maxRetries, backoff: { baseMs: DEFAULT_BACKOFF.baseMs, capMs: DEFAULT_BACKOFF.capMs } },
  payment: { maxRetries: 3, backoff: { baseMs: DEFAULT_BACKOFF.baseMs, capMs: 10_000 } },
} as const satisfies Record<string, Pick<ClientOptions, "maxRetries" | "backoff">>;

export class KvClient {
  private currentClientId: string;
  private readonly nodes: readonly string[];
  private readonly transport: Transport;
  private readonly prng: Prng;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private seqs: SeqCounter;
  private readonly breaker: CircuitBreaker | undefined;
  private readonly opts: ClientOptions;
  /** Where the next operation starts: the last node that answered ok or was named leader. */
  private preferredNode: string;
  private busy = false;

  constructor(opts: ClientOptions) {
    if (opts.nodes.length === 0) throw new ClientError("E_CLIENT_OPTIONS", "nodes: give at least one node id");
    for (const [name, v] of [
      ["attemptTimeoutMs", opts.attemptTimeoutMs],
      ["maxRetries", opts.maxRetries],
      ["maxRedirects", opts.maxRedirects],
      ["maxTotalMs", opts.maxTotalMs],
    ] as const) {
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) {
        throw new ClientError("E_CLIENT_OPTIONS", `${name}: expected a non-negative number, got ${v}`);
      }
    }
    let breaker: CircuitBreaker | undefined;
    try {
      // Made per operation; made once here too, so bad settings are refused now rather than thrown from the first operation.
      new Backoff(opts.prng, opts.backoff);
      breaker = opts.circuitBreaker ? new CircuitBreaker(opts.clock ?? systemClock, opts.circuitBreaker === true ? {} : opts.circuitBreaker) : undefined;
    } catch (e) {
      throw new ClientError("E_CLIENT_OPTIONS", e instanceof Error ? e.message : String(e));
    }
    this.opts = opts;
    this.nodes = opts.nodes;
    this.transport = opts.transport;
    this.prng = opts.prng;
    this.clock = opts.clock ?? systemClock;
    this.sleep = opts.sleep ?? systemSleep;
    this.currentClientId = opts.clientId ?? randomClientId(opts.prng);
    if (this.currentClientId === "") throw new ClientError("E_CLIENT_OPTIONS", "clientId: must not be empty");
    const firstSeq = opts.firstSeq ?? 1;
    if (!Number.isSafeInteger(firstSeq) || firstSeq < 1) throw new ClientError("E_CLIENT_OPTIONS", `firstSeq: expected a positive integer, got ${firstSeq}`);
    this.seqs = new SeqCounter(firstSeq);
    this.breaker = breaker;
    this.preferredNode = opts.nodes[0] as string;
  }

  /** The client_id of the next operation (it changes only after a 1001 session-expired, see `clientId` option). */
  get clientId(): string {
    return this.currentClientId;
  }

  /** The seq the next mutating operation will use. */
  get nextSeq(): number {
    return this.seqs.peek();
  }

  get(key: Key, o?: OperationOptions): Promise<OpResult> {
    return this.execute({ type: "read", key }, o);
  }
  put(key: Key, value: Json, o?: OperationOptions): Promise<OpResult> {
    return this.execute({ type: "write", key, value }, o);
  }
  append(key: Key, value: Json, o?: OperationOptions): Promise<OpResult> {
    return this.execute({ type: "append", key, value }, o);
  }
  incr(key: Key, delta = 1, o?: OperationOptions): Promise<OpResult> {
    return this.execute({ type: "incr", key, delta }, o);
  }
  cas(key: Key, from: Json, to: Json, o?: OperationOptions): Promise<OpResult> {
    return this.execute({ type: "cas", key, from, to }, o);
  }
  delete(key: Key, o?: OperationOptions): Promise<OpResult> {
    return this.execute({ type: "delete", key }, o);
  }

  async execute(op: Operation, o: OperationOptions = {}): Promise<OpResult> {
    if (this.busy) {
      throw new ClientError(
        "E_CLIENT_BUSY",
        `client ${this.clientId} already has an operation outstanding; the cluster keeps only the last seq ` +
          `per client_id, so use one KvClient per concurrent worker`,
      );
    }
    this.busy = true;
    try {
      const result = await this.run(op, o);
      this.renewSessionAfter(result);
      return result;
    } finally {
      this.busy = false;
    }
  }

  /**
   * The cluster ended this client_id's session (1001, 1005, 1006: expired,
   * evicted, or unknown with seq > 1) and will refuse every later request
   * under it. The operation is not retried here: nothing sent under the old
   * identity can be applied any more. The next operation starts a new
   * session.
   */
  private renewSessionAfter(result: OpResult): void {
    const error = result.outcome === "failed" ? result.error : result.outcome === "unknown" ? result.lastError : undefined;
    if (error === undefined || !endsSession(error.code) || this.opts.clientId !== undefined) return;
    this.currentClientId = randomClientId(this.prng);
    this.seqs = new SeqCounter(1);
  }

  private takeSeq(explicit?: number): number {
    if (explicit === undefined) return this.seqs.take();
    if (!Number.isSafeInteger(explicit) || explicit < 1) {
      throw new ClientError("E_CLIENT_OPTIONS", `seq: expected a positive integer, got ${explicit}`);
    }
    this.seqs.observe(explicit);
    return explicit;
  }

  private readonly canReachNode = (node: string): boolean => this.canReach(node);

  private canReach(node: string): boolean {
    return this.nodes.includes(node) || (this.transport.canReach?.(node) ?? false);
  }

  /** The next node after `current` in list order whose breaker is closed. */
  private nextNode(current: string): string {
    const start = this.nodes.indexOf(current);
    for (let i = 1; i <= this.nodes.length; i++) {
      const n = this.nodes[(start + i) % this.nodes.length] as string;
      if (!this.breaker?.isOpen(n)) return n;
    }
    return this.nodes[(start + 1) % this.nodes.length] as string;
  }

  private async run(op: Operation, o: OperationOptions): Promise<OpResult> {
    const mutating = op.type !== "read";
    const seq = mutating ? this.takeSeq(o.seq) : undefined;
    const startMs = this.clock.now();
    const attemptTimeoutMs = this.opts.attemptTimeoutMs ?? CLIENT_DEFAULTS.attemptTimeoutMs;
    const maxRetries = this.opts.maxRetries ?? CLIENT_DEFAULTS.maxRetries;
    const maxRedirects = this.opts.maxRedirects ?? CLIENT_DEFAULTS.maxRedirects;
    const deadlineMs = startMs + (this.opts.maxTotalMs ?? CLIENT_DEFAULTS.maxTotalMs);
    const backoff = new Backoff(this.prng, this.opts.backoff);
    const classifyAttempt = this.opts.classify ?? classify;

    let node = o.node ?? this.preferredNode;
    let retries = 0;
    let redirects = 0;
    let lastError: ErrorBody | undefined;
    const st: RunState = { seq, startMs, attempts: 0, mayHaveApplied: false, copySent: false, nodesTried: [], log: [] };
    // Every attempt sends the same request (same identity): made once, not
    // per attempt, and as `{ ...op, client_id, seq }` without a spread (copy-fields.ts).
    const request: Body = copyFields(op);
    if (mutating) {
      request.client_id = this.clientId;
      request.seq = seq;
    }

    for (;;) {
      if (this.breaker?.isOpen(node)) {
        const next = this.nextNode(node);
        if (this.breaker.isOpen(next)) return this.settle(st, lastError ?? circuitOpenError(), "circuit-open");
        node = next;
      }
      const remainingMs = deadlineMs - this.clock.now();
      const timeoutMs = Math.min(attemptTimeoutMs, remainingMs);
      if (timeoutMs <= 0) {
        return this.settle(st, lastError ?? { type: "error", code: 0, text: "no time left for an attempt" }, "max-total-time");
      }

      st.attempts++;
      if (!st.nodesTried.includes(node)) st.nodesTried.push(node);
      const result = await this.attempt(node, request, timeoutMs);
      const r = classifyAttempt(result, { canReach: this.canReachNode, redirectsLeft: maxRedirects - redirects });
      if (r.mayHaveApplied && r.action !== "succeed") st.mayHaveApplied = true;
      if (leftACopy(result)) st.copySent = true;
      if (result.kind === "reply") this.breaker?.recordSuccess(node);
      else this.breaker?.recordFailure(node);
      const error =
        result.kind === "reply"
          ? isErrorBody(result.body)
            ? result.body
            : undefined
          : transportErrorBody(result.failure, node, result.message);
      if (error) lastError = error;

      const at: Attempt = { node, result, rule: r.id, timeoutMs };

      if (r.action === "succeed" && result.kind === "reply") {
        this.record(st, at, "succeed", 0);
        this.preferredNode = node;
        return this.succeed(st, result.body);
      }
      if (r.action === "fail") {
        this.record(st, at, "fail", 0);
        return this.settle(st, error as ErrorBody);
      }
      const leader = error?.leader;
      if (r.action === "redirect" && typeof leader === "string") {
        redirects++;
        this.record(st, at, "redirect", 0);
        node = leader;
        this.preferredNode = leader;
        continue;
      }

      // Back off: retry-same or retry-next.
      retries++;
      if (retries > maxRetries) {
        this.record(st, at, "give-up", 0);
        return this.settle(st, error as ErrorBody, "max-retries");
      }
      const hint = typeof error?.retry_after_ms === "number" ? error.retry_after_ms : undefined;
      const delayMs = applyHint(backoff.delayMs(retries), hint);
      if (this.clock.now() + delayMs >= deadlineMs) {
        this.record(st, at, "give-up", 0);
        return this.settle(st, error as ErrorBody, "max-total-time");
      }
      this.record(st, at, r.action, delayMs);
      await this.sleep(delayMs);
      if (r.id === "redirect" && typeof leader === "string") {
        node = leader;
        this.preferredNode = leader;
      } else if (r.action === "retry-next") {
        node = this.nextNode(node);
      }
    }
  }

  /**
   * The answers below are written out field by field, in one order (identity,
   * attempts, nodes tried, time, the attempt log, then the outcome): a spread
   * of a shared summary costs a generic object copy per operation.
   */
  private succeed(st: RunState, reply: Body): OpResult {
    return {
      clientId: this.clientId,
      seq: st.seq,
      attempts: st.attempts,
      nodesTried: st.nodesTried.slice(),
      elapsedMs: this.clock.now() - st.startMs,
      log: st.log,
      outcome: "ok",
      reply,
    };
  }

  /**
   * Never "failed" once an attempt may have applied the operation: a later
   * definite error only says THAT attempt did nothing. And never "failed"
   * on refusals that speak for one copy only (a follower's 11, a 1000 for
   * a late copy): while a copy sent earlier can still be duplicated or
   * replayed into a leader, only a durable refusal, or having sent nothing
   * at all, proves that no copy was or will be applied.
   */
  private settle(st: RunState, error: ErrorBody, gaveUp?: GiveUpReason): OpResult {
    const because: UnknownBecause | null = st.mayHaveApplied
      ? "an-attempt-may-have-applied"
      : st.copySent && !isDurableRefusal(error)
        ? "a-copy-may-still-arrive"
        : null;
    const clientId = this.clientId;
    const nodesTried = st.nodesTried.slice();
    const elapsedMs = this.clock.now() - st.startMs;
    const result: OpResult =
      because !== null
        ? { clientId, seq: st.seq, attempts: st.attempts, nodesTried, elapsedMs, log: st.log, outcome: "unknown", lastError: error, because }
        : { clientId, seq: st.seq, attempts: st.attempts, nodesTried, elapsedMs, log: st.log, outcome: "failed", error };
    if (gaveUp) result.gaveUp = gaveUp;
    return result;
  }

  private record(st: RunState, a: Attempt, action: AttemptRecord["action"], backoffMs: number): void {
    const rec: AttemptRecord = {
      clientId: this.clientId,
      seq: st.seq,
      attempt: st.attempts,
      node: a.node,
      outcome: describeResult(a.result, a.timeoutMs),
      rule: a.rule,
      action,
      backoffMs,
      tMs: this.clock.now() - st.startMs,
    };
    st.log.push(rec);
    this.opts.onAttempt?.(rec, formatAttempt(rec));
  }

  private async attempt(node: string, request: Body, timeoutMs: number): Promise<AttemptResult> {
    try {
      return { kind: "reply", body: await this.transport.send(node, request, timeoutMs) };
    } catch (e) {
      if (e instanceof TransportError) return { kind: "transport", failure: e.failure, message: e.message };
      return { kind: "transport", failure: "disconnected", message: e instanceof Error ? e.message : String(e) };
    }
  }
}

/** One operation's progress through its attempts (kept out of closures: the client is on the simulator's hot path). */
interface RunState {
  seq: number | undefined;
  startMs: number;
  attempts: number;
  mayHaveApplied: boolean;
  /** Some attempt put a copy of the request on the network. */
  copySent: boolean;
  nodesTried: string[];
  log: AttemptRecord[];
}

/** One attempt as the attempt log records it. */
interface Attempt {
  node: string;
  result: AttemptResult;
  rule: AttemptRecord["rule"];
  timeoutMs: number;
}

function circuitOpenError(): ErrorBody {
  return { type: "error", code: 11, text: "circuit open: every node is known down; not sent", circuit: "open" };
}

export function createClient(opts: ClientOptions): KvClient {
  return new KvClient(opts);
}
