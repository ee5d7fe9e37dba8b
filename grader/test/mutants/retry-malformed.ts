/**
 * A retrying client that retries error 12 (malformed request) like a
 * transient error: the same malformed request is sent again and again, and
 * can never succeed.
 */
import * as solution from "../../solutions/week-12/src/retry-client.js";
import type { AttemptResult, Classification, Next, OperationState, RetryPolicy } from "../../../week-12/src/retry-client.js";
import { ErrorCode, type Prng } from "@dslab/protocol";
import type { Mutant } from "./mutant.js";

export type { AttemptResult, BackoffPolicy, Classification, ClientState, Next, Operation, OperationState, Outcome, RetryPolicy } from "../../../week-12/src/retry-client.js";
export const { newClient, newOperation, backoffMs, settle, transportError, afterOperation } = solution;

function isMalformed(result: AttemptResult): boolean {
  return result.kind === "reply" && result.body.type === "error" && result.body.code === ErrorCode.MalformedRequest;
}

export function classify(result: AttemptResult): Classification {
  // The mistake: a malformed request is retried as if the node might accept it later.
  return isMalformed(result) ? "retry-backoff" : solution.classify(result);
}

export function onResult(state: OperationState, result: AttemptResult, prng: Prng, policy: RetryPolicy): { state: OperationState; next: Next } {
  if (result.kind !== "reply" || !isMalformed(result)) return solution.onResult(state, result, prng, policy);
  const asTransient: AttemptResult = { kind: "reply", body: { ...result.body, code: ErrorCode.Abort } };
  const step = solution.onResult(state, asTransient, prng, policy);
  const s = { ...step.state, lastError: { ...result.body, type: "error" as const, code: ErrorCode.MalformedRequest } };
  return { state: s, next: "done" in step.next ? { done: solution.settle(s) } : step.next };
}

export const MUTANT: Mutant = {
  replaces: "src/retry-client.ts",
  mistake: "a malformed request (error 12) retried like a transient error",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#4",
    message: /retried a malformed request \(error 12\) \d+ times: a malformed request can never succeed: retrying it is a loop/,
  },
};
