/**
 * A retrying client whose backoff has no jitter: exactly 100, 200, 400, ...
 * ms. Clients that failed together (a leader crash) all retry at the same
 * instants, again and again.
 */
import * as solution from "../../solutions/week-12/src/retry-client.js";
import type { AttemptResult, BackoffPolicy, Next, OperationState, RetryPolicy } from "../../../week-12/src/retry-client.js";
import type { Prng } from "@dslab/protocol";
import type { Mutant } from "./mutant.js";

export type { AttemptResult, BackoffPolicy, Classification, ClientState, Next, Operation, OperationState, Outcome, RetryPolicy } from "../../../week-12/src/retry-client.js";
export const { newClient, newOperation, classify, settle, transportError, afterOperation } = solution;

export function backoffMs(retry: number, _prng: Prng, policy: BackoffPolicy): number {
  // The mistake: the exponential wait alone, nothing drawn from the prng.
  return Math.max(policy.floorMs, Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1)));
}

export function onResult(state: OperationState, result: AttemptResult, prng: Prng, policy: RetryPolicy): { state: OperationState; next: Next } {
  const step = solution.onResult(state, result, prng, policy);
  if (!("wait" in step.next)) return step;
  return { state: step.state, next: { wait: backoffMs(step.state.retries, prng, policy.backoff), then: step.next.then } };
}

export const MUTANT: Mutant = {
  replaces: "src/retry-client.ts",
  mistake: "backoff without jitter: every client waits exactly 100, 200, 400, ... ms",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#3",
    message: /no jitter: every wait is exactly 100 × 2\^\(n-1\) ms/,
  },
};
