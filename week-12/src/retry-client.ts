/**
 * The retrying client, as a state machine over plain data: give every
 * operation one identity, follow redirects at once, back off with jitter on
 * everything else that may succeed later, stop after a bound, and say
 * honestly what is known when it stops.
 *
 * Lesson: w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,
 * criteria 1 to 5.
 *
 * The functions here decide; they never send, sleep or read a clock. The
 * driver (week-12/plug/client.ts) runs them: it calls `newOperation`, sends
 * `operation.request` to `operation.node`, hands what came back to
 * `onResult`, and does what `next` says: send again at once, wait and then
 * send, or stop with the outcome. Randomness comes in as the `prng` argument
 * (`next()` is a float in [0, 1)), never from `Math.random()`: the same seed
 * must give the same client_id and the same waits.
 *
 * All state is plain JSON data (objects, arrays, numbers, strings, booleans,
 * null). Return new state objects instead of changing the ones passed in: a
 * model checker copies and compares these states.
 *
 * The numbers, as the course teaches them (`CLIENT_DEFAULTS` and
 * `DEFAULT_BACKOFF` in @dslab/client): at most 5 retries after the first
 * attempt; backoff from 100 ms doubling to a 5 s cap, +-25% jitter, never
 * below 10 ms; at most 8 redirects per operation.
 */
import type { Operation, TransportFailure } from "@dslab/client";
import { ErrorCode, type Body, type ErrorBody, type Prng } from "@dslab/protocol";
import { todo } from "./todo.js";

export type { Operation };

/** How the client backs off (the driver fills it in from its options). */
export interface BackoffPolicy {
  /** The first retry's wait before jitter: 100 ms. */
  baseMs: number;
  /** No wait is longer than this: 5000 ms. */
  capMs: number;
  /** Jitter: +- this fraction of the wait, 0.25. */
  jitterRatio: number;
  /** No wait is shorter than this, whatever the jitter drew: 10 ms. */
  floorMs: number;
}

export interface RetryPolicy {
  /** Retries after the first attempt, each after a backoff: 5. Redirects do not count. */
  maxRetries: number;
  /** Redirects one operation may follow at once: 8. Past that, a redirect is treated like "no leader known". */
  maxRedirects: number;
  backoff: BackoffPolicy;
}

/** One client: its identity and where its next operation starts. */
export interface ClientState {
  /** 128 random bits as a decimal string, chosen once per client. */
  clientId: string;
  /** The seq the next mutating operation takes: 1, 2, 3, ... */
  nextSeq: number;
  /** The nodes this client may send to, in the order it tries them. */
  nodes: string[];
  /** Where the next operation is sent first. */
  preferredNode: string;
}

/** One operation, from its first attempt to its outcome. */
export interface OperationState {
  /** The identity every attempt of this operation carries. */
  clientId: string;
  /** This operation's seq; null for a read (a read changes nothing, so it carries no identity). */
  seq: number | null;
  /** The exact body every attempt sends: the operation plus `client_id` and `seq` (a read: the operation alone). */
  request: Body;
  /** The nodes the client may send to. */
  nodes: string[];
  /** Where the current attempt goes (and, after `onResult`, where the next one goes). */
  node: string;
  /** Requests sent so far, redirects included. */
  attempts: number;
  /** Attempts that came after a backoff (the first attempt and redirects are not retries). */
  retries: number;
  /** Redirects followed. */
  redirects: number;
  /** Some attempt may have been applied: a timeout, a broken connection, an indefinite error. */
  mayHaveApplied: boolean;
  /** Some attempt put a copy of the request on the network (everything but a refused connection or a reply marked `not_sent`). */
  copySent: boolean;
  /** The last error an attempt produced (a transport failure as its error body), or null. */
  lastError: ErrorBody | null;
}

/** What one attempt produced: a reply from the node, or a failure of the transport. */
export type AttemptResult =
  | { kind: "reply"; body: Body }
  /** `timeout` and `disconnected`: the request may have arrived. `refused`: it never left. */
  | { kind: "transport"; failure: TransportFailure; message: string };

/**
 * - `terminal`: stop retrying; the answer settles the operation.
 * - `redirect`: go to the leader the error names, at once.
 * - `retry-backoff`: wait, then ask the same node again.
 * - `retry-other-node`: wait, then ask the next node.
 */
export type Classification = "terminal" | "redirect" | "retry-backoff" | "retry-other-node";

/**
 * What the client says when it stops:
 * - `ok`: it happened (the reply says so);
 * - `failed`: it did not happen and never will;
 * - `unknown`: it may have happened, or may still happen.
 */
export type Outcome =
  | { outcome: "ok"; reply: Body }
  | { outcome: "failed"; error: ErrorBody }
  | { outcome: "unknown"; lastError: ErrorBody };

/** What the driver does next. */
export type Next =
  /** Send `request` to this node now (a redirect: no wait). */
  | { send: string }
  /** Sleep `wait` ms, then send `request` to the node `then` names. */
  | { wait: number; then: string }
  /** Stop: the operation's outcome. */
  | { done: Outcome };

/**
 * A new client. Its `clientId` is 128 random bits from `prng`, written as a
 * decimal string (JSON numbers lose precision past 2^53): for example four
 * `prng.int(0, 0xffffffff)` words joined with BigInt. The id is chosen here,
 * once; every operation of this client uses it. `nextSeq` starts at 1; the
 * first node of `nodes` is tried first.
 */
export function newClient(nodes: readonly string[], prng: Prng): ClientState {
  return todo("newClient");
}

/**
 * Starts an operation: fixes its identity now, before the first attempt.
 * A mutating operation takes the client's `nextSeq` (and the client moves
 * on to the next one); its `request` is the operation with `client_id` and
 * `seq` added. A read takes no seq (`seq: null`, `request` the operation
 * alone). The first attempt goes to the client's `preferredNode`; counters
 * start at 0, the flags at false, `lastError` at null.
 *
 * Every retry and every redirect sends this same `request`: the cluster
 * recognises a repeated (client_id, seq) and answers it from its session
 * table instead of applying it again. A retry sent under a new seq is a new
 * request, and is applied twice.
 */
export function newOperation(client: ClientState, op: Operation): { client: ClientState; operation: OperationState } {
  return todo("newOperation");
}

/**
 * The retry table: what one attempt's result means.
 *
 * | result | classification |
 * | --- | --- |
 * | an `*_ok` reply, fresh or `replayed` (an answered duplicate) | terminal |
 * | error 11 with a `leader` | redirect |
 * | error 11 without a `leader` (no leader known yet) | retry-backoff |
 * | error 12 malformed-request | terminal: it can never succeed, retrying it is a loop |
 * | any other error the registry marks `retryable` (0 timeout, 13 crash, 14 abort, an unregistered code, ...) | retry-backoff |
 * | any other error (20 not found, 22 precondition failed, 1000 stale, ...) | terminal |
 * | the transport timed out, broke or was refused | retry-other-node |
 *
 * An error reply is a body with `type: "error"` and a numeric `code`. Read
 * the registry with `errorSpec(code)` from `@dslab/protocol` (`definite`,
 * `retryable`, `durable`); `ErrorCode` names the codes.
 */
export function classify(result: AttemptResult): Classification {
  return todo("classify");
}

/**
 * The wait before counted retry number `retry` (1, 2, 3, ...): exponential,
 * capped, with jitter.
 *
 * 1. Before jitter: `baseMs * 2^(retry - 1)`, at most `capMs`
 *    (100, 200, 400, ..., 3200, 5000, 5000, ...).
 * 2. Jitter: multiply by `1 + jitterRatio * (2u - 1)`, u from ONE
 *    `prng.next()`: anywhere within +-25%. Clients that failed together
 *    then do not all retry together. Never above `capMs`.
 * 3. Whole milliseconds (`Math.floor`), and never below `floorMs`: jitter
 *    must not turn a backoff into an immediate retry.
 */
export function backoffMs(retry: number, prng: Prng, policy: BackoffPolicy): number {
  return todo("backoffMs");
}

/**
 * One attempt's result in, the next step out. Return a new state, counting
 * this attempt, with:
 * - `mayHaveApplied` set if this attempt may have been applied (a timeout
 *   or a broken connection; an error the registry calls indefinite);
 * - `copySent` set if it put a copy on the network (not for a refused
 *   connection, nor for a reply with `not_sent: true`);
 * - `lastError` set to its error, if it has one: the error body, or for a
 *   transport failure `transportError(result, state.node)`.
 *
 * Then, by `classify`:
 * - terminal: an `*_ok` reply is `{ done: { outcome: "ok", reply } }`; an
 *   error is `{ done: settle(state) }`.
 * - redirect: if the leader is one of `nodes` and fewer than
 *   `policy.maxRedirects` redirects were followed, count it and
 *   `{ send: leader }`: no wait, and it is not a retry. Otherwise treat it
 *   like retry-backoff.
 * - retry-backoff and retry-other-node: count a retry. Past
 *   `policy.maxRetries` retries, stop: `{ done: settle(state) }` (so at most
 *   1 + 5 attempts, not counting redirects). Otherwise
 *   `{ wait: backoffMs(retries, prng, policy.backoff), then: node }`, where
 *   node is the same one, or for retry-other-node the one after it in
 *   `nodes` (wrapping around).
 *
 * `state.node` of the returned state is where the next attempt goes.
 */
export function onResult(state: OperationState, result: AttemptResult, prng: Prng, policy: RetryPolicy): { state: OperationState; next: Next } {
  return todo("onResult");
}

/**
 * The outcome of an operation that stops without an `*_ok` reply (called
 * with `lastError` set):
 * - `unknown` if any attempt may have been applied: a timeout does not say
 *   the write did not happen. Reporting `failed` here is the worst answer:
 *   the caller tries again under a new identity, and the write happens twice.
 * - `failed` if the last error is a durable refusal (`errorSpec(code).durable`:
 *   every copy of the request gets it, so none was or will be applied), or
 *   if no copy was ever sent.
 * - `unknown` otherwise: every answered copy was refused, but a refusal
 *   such as a follower's 11 speaks for that copy alone; another copy (a
 *   network duplicate, a late one) may still reach a leader.
 */
export function settle(state: OperationState): Outcome {
  return todo("settle");
}

/** A transport failure as an error body: a timeout or a broken connection is error 0 (indefinite), a refused connection error 11. */
export function transportError(result: Extract<AttemptResult, { kind: "transport" }>, node: string): ErrorBody {
  const code = result.failure === "refused" ? ErrorCode.TemporarilyUnavailable : ErrorCode.Timeout;
  return { type: "error", code, text: `${node}: ${result.message}`, transport: result.failure };
}

/** The client after an operation: its next operation starts where this one's last attempt went. */
export function afterOperation(client: ClientState, operation: OperationState): ClientState {
  return { ...client, preferredNode: operation.node };
}
