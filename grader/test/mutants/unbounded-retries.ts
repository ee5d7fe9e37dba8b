/**
 * A retrying client with no retry limit: under a long outage an operation
 * never ends, and its caller never hears back.
 */
import * as solution from "../../solutions/week-12/src/retry-client.js";
import type { AttemptResult, Next, OperationState, RetryPolicy } from "../../../week-12/src/retry-client.js";
import type { Prng } from "@dslab/protocol";
import type { Mutant } from "./mutant.js";

export type { AttemptResult, BackoffPolicy, Classification, ClientState, Next, Operation, OperationState, Outcome, RetryPolicy } from "../../../week-12/src/retry-client.js";
export const { newClient, newOperation, classify, backoffMs, settle, transportError, afterOperation } = solution;

export function onResult(state: OperationState, result: AttemptResult, prng: Prng, policy: RetryPolicy): { state: OperationState; next: Next } {
  // The mistake: retries are counted but never compared with the limit.
  return solution.onResult(state, result, prng, { ...policy, maxRetries: Number.POSITIVE_INFINITY });
}

export const MUTANT: Mutant = {
  replaces: "src/retry-client.ts",
  mistake: "no retry limit: under endless timeouts the client retries forever",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#4",
    message: /still retrying after \d+ retries under endless timeouts: stop after 5 retries/,
  },
};
