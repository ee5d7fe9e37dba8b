/**
 * A retrying client that gives every retry a new seq, as if each attempt
 * were a new operation: the cluster cannot tell a retry from a new request,
 * and applies the operation once per attempt that arrives.
 */
import * as solution from "../../solutions/week-12/src/retry-client.js";
import type { AttemptResult, Next, OperationState, RetryPolicy } from "../../../week-12/src/retry-client.js";
import type { Prng } from "@dslab/protocol";
import type { Mutant } from "./mutant.js";

export type { AttemptResult, BackoffPolicy, Classification, ClientState, Next, Operation, OperationState, Outcome, RetryPolicy } from "../../../week-12/src/retry-client.js";
export const { newClient, newOperation, classify, backoffMs, settle, transportError, afterOperation } = solution;

export function onResult(state: OperationState, result: AttemptResult, prng: Prng, policy: RetryPolicy): { state: OperationState; next: Next } {
  const step = solution.onResult(state, result, prng, policy);
  if ("done" in step.next || step.state.seq === null) return step;
  // The mistake: the next attempt is numbered like a new operation.
  const seq = step.state.seq + 1;
  return { state: { ...step.state, seq, request: { ...step.state.request, seq } }, next: step.next };
}

export const MUTANT: Mutant = {
  replaces: "src/retry-client.ts",
  mistake: "a new seq for every retry, so the cluster applies each retry again",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#1",
    message: /retry 1 was sent with seq 2, but the operation's seq is 1: a retry must reuse the operation's identity/,
  },
};
