/**
 * A retrying client that treats a redirect like "no leader known": it goes
 * to the named leader, but only after a backoff, and counts it as a retry.
 * Nothing is applied twice; every leader change costs a wait for nothing.
 */
import * as solution from "../../solutions/week-12/src/retry-client.js";
import type { AttemptResult, Next, OperationState, RetryPolicy } from "../../../week-12/src/retry-client.js";
import type { Prng } from "@dslab/protocol";
import type { Mutant } from "./mutant.js";

export type { AttemptResult, BackoffPolicy, Classification, ClientState, Next, Operation, OperationState, Outcome, RetryPolicy } from "../../../week-12/src/retry-client.js";
export const { newClient, newOperation, classify, backoffMs, settle, transportError, afterOperation } = solution;

export function onResult(state: OperationState, result: AttemptResult, prng: Prng, policy: RetryPolicy): { state: OperationState; next: Next } {
  const step = solution.onResult(state, result, prng, policy);
  if (!("send" in step.next)) return step;
  // The mistake: a backoff before going to the leader the error names.
  const retries = state.retries + 1;
  if (retries > policy.maxRetries) return { state: { ...step.state, retries }, next: { done: solution.settle(step.state) } };
  return { state: { ...step.state, retries }, next: { wait: solution.backoffMs(retries, prng, policy.backoff), then: step.next.send } };
}

export const MUTANT: Mutant = {
  replaces: "src/retry-client.ts",
  mistake: "a backoff before following a redirect to the named leader",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#2",
    message: /waited \d+ ms before following the redirect to n3: a redirect names the leader; follow it at once, without backoff/,
  },
};
