/**
 * A retrying client that reports "failed" whenever it gives up, though
 * every attempt timed out and any of them may have been applied. Its caller
 * retries under a new identity, and the write happens twice.
 */
import * as solution from "../../solutions/week-12/src/retry-client.js";
import type { AttemptResult, Next, OperationState, Outcome, RetryPolicy } from "../../../week-12/src/retry-client.js";
import type { Prng } from "@dslab/protocol";
import type { Mutant } from "./mutant.js";

export type { AttemptResult, BackoffPolicy, Classification, ClientState, Next, Operation, OperationState, Outcome, RetryPolicy } from "../../../week-12/src/retry-client.js";
export const { newClient, newOperation, classify, backoffMs, transportError, afterOperation } = solution;

export function settle(state: OperationState): Outcome {
  // The mistake: no ok reply is taken to mean it did not happen.
  return { outcome: "failed", error: state.lastError! };
}

export function onResult(state: OperationState, result: AttemptResult, prng: Prng, policy: RetryPolicy): { state: OperationState; next: Next } {
  const step = solution.onResult(state, result, prng, policy);
  return "done" in step.next && step.next.done.outcome !== "ok" ? { state: step.state, next: { done: settle(step.state) } } : step;
}

export const MUTANT: Mutant = {
  replaces: "src/retry-client.ts",
  mistake: "reports failure when the outcome is unknown (every attempt timed out)",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#5",
    message: /reporting failure when the outcome is unknown: every attempt timed out/,
  },
};
