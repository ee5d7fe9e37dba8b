/**
 * Reference solution of week-12/src/retry-client.ts: the retrying client as
 * a state machine over plain data (the same table and numbers as the
 * reference client in packages/client).
 */
import { ErrorCode, errorSpec, type Body, type ErrorBody, type Prng } from "@dslab/protocol";
import type {
  AttemptResult,
  BackoffPolicy,
  Classification,
  ClientState,
  Next,
  Operation,
  OperationState,
  Outcome,
  RetryPolicy,
} from "@dslab/week-12/src/retry-client.js";

export type {
  AttemptResult,
  BackoffPolicy,
  Classification,
  ClientState,
  Next,
  Operation,
  OperationState,
  Outcome,
  RetryPolicy,
} from "@dslab/week-12/src/retry-client.js";

export function newClient(nodes: readonly string[], prng: Prng): ClientState {
  if (nodes.length === 0) throw new Error("newClient: give at least one node");
  let id = 0n;
  for (let i = 0; i < 4; i++) id = (id << 32n) | BigInt(prng.int(0, 0xffffffff));
  return { clientId: id.toString(10), nextSeq: 1, nodes: [...nodes], preferredNode: nodes[0]! };
}

export function newOperation(client: ClientState, op: Operation): { client: ClientState; operation: OperationState } {
  const mutating = op.type !== "read";
  const seq = mutating ? client.nextSeq : null;
  const request: Body = mutating ? { ...op, client_id: client.clientId, seq } : { ...op };
  return {
    client: mutating ? { ...client, nextSeq: client.nextSeq + 1 } : client,
    operation: {
      clientId: client.clientId,
      seq,
      request,
      nodes: client.nodes,
      node: client.preferredNode,
      attempts: 0,
      retries: 0,
      redirects: 0,
      mayHaveApplied: false,
      copySent: false,
      lastError: null,
    },
  };
}

function errorBodyOf(body: Body): ErrorBody | null {
  return body.type === "error" && typeof body.code === "number" ? (body as ErrorBody) : null;
}

export function classify(result: AttemptResult): Classification {
  if (result.kind === "transport") return "retry-other-node";
  const error = errorBodyOf(result.body);
  if (error === null) return "terminal";
  if (error.code === ErrorCode.TemporarilyUnavailable) {
    return typeof error.leader === "string" && error.leader !== "" ? "redirect" : "retry-backoff";
  }
  if (error.code === ErrorCode.MalformedRequest) return "terminal";
  return errorSpec(error.code).retryable ? "retry-backoff" : "terminal";
}

export function backoffMs(retry: number, prng: Prng, policy: BackoffPolicy): number {
  const exponential = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  const jittered = Math.min(policy.capMs, exponential * (1 + policy.jitterRatio * (2 * prng.next() - 1)));
  return Math.max(policy.floorMs, Math.floor(jittered));
}

export function onResult(state: OperationState, result: AttemptResult, prng: Prng, policy: RetryPolicy): { state: OperationState; next: Next } {
  const error = result.kind === "transport" ? transportError(result, state.node) : errorBodyOf(result.body);
  const s: OperationState = {
    ...state,
    attempts: state.attempts + 1,
    mayHaveApplied: state.mayHaveApplied || mayHaveApplied(result),
    copySent: state.copySent || leftACopy(result),
    lastError: error ?? state.lastError,
  };
  let c = classify(result);
  if (c === "terminal") {
    return { state: s, next: error === null && result.kind === "reply" ? { done: { outcome: "ok", reply: result.body } } : { done: settle(s) } };
  }
  if (c === "redirect") {
    const leader = error?.leader;
    if (typeof leader === "string" && s.nodes.includes(leader) && s.redirects < policy.maxRedirects) {
      return { state: { ...s, redirects: s.redirects + 1, node: leader }, next: { send: leader } };
    }
    c = "retry-backoff";
  }
  const retries = s.retries + 1;
  if (retries > policy.maxRetries) return { state: { ...s, retries }, next: { done: settle(s) } };
  const wait = backoffMs(retries, prng, policy.backoff);
  const node = c === "retry-other-node" ? nodeAfter(s.nodes, s.node) : s.node;
  return { state: { ...s, retries, node }, next: { wait, then: node } };
}

export function settle(state: OperationState): Outcome {
  const error = state.lastError;
  if (error === null) throw new Error("settle: no attempt has failed yet");
  if (state.mayHaveApplied) return { outcome: "unknown", lastError: error };
  if (!state.copySent || errorSpec(error.code).durable) return { outcome: "failed", error };
  return { outcome: "unknown", lastError: error };
}

function mayHaveApplied(result: AttemptResult): boolean {
  if (result.kind === "transport") return result.failure !== "refused";
  const error = errorBodyOf(result.body);
  return error !== null && !errorSpec(error.code).definite;
}

function leftACopy(result: AttemptResult): boolean {
  return result.kind === "reply" ? result.body.not_sent !== true : result.failure !== "refused";
}

function nodeAfter(nodes: readonly string[], node: string): string {
  return nodes[(nodes.indexOf(node) + 1) % nodes.length]!;
}

export function transportError(result: Extract<AttemptResult, { kind: "transport" }>, node: string): ErrorBody {
  const code = result.failure === "refused" ? ErrorCode.TemporarilyUnavailable : ErrorCode.Timeout;
  return { type: "error", code, text: `${node}: ${result.message}`, transport: result.failure };
}

export function afterOperation(client: ClientState, operation: OperationState): ClientState {
  return { ...client, preferredNode: operation.node };
}
