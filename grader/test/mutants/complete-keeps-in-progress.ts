/**
 * An idempotency handler whose complete() stores the response but leaves
 * the record marked in progress: every retry after the payment finished is
 * refused with 409, and the client never learns the payment's outcome.
 */
import * as solution from "../../solutions/week-12/src/idempotency-handler.js";
import type { StoredResponse } from "../../../week-12/src/idempotency-handler.js";
import type { Mutant } from "./mutant.js";

export type {
  Clock,
  HttpRequest,
  HttpResponse,
  IdempotencyHandlerOptions,
  IdempotencyRecord,
  IdempotencyState,
  KeyHeader,
  Lookup,
  OperationResponse,
  StoredResponse,
} from "../../../week-12/src/idempotency-handler.js";
export const { DEFAULT_TTL_MS, MAX_KEY_LENGTH, parseIdempotencyKey, requestFingerprint } = solution;

export class IdempotencyHandler extends solution.IdempotencyHandler {
  override complete(key: string, response: StoredResponse): void {
    super.complete(key, response);
    // The mistake: the in-progress mark is never cleared.
    const record = this.state.records[key];
    if (record !== undefined) record.inProgress = true;
  }
}

export const MUTANT: Mutant = {
  replaces: "src/idempotency-handler.ts",
  mistake: "complete() stores the response but leaves the key in progress, so every retry gets 409",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h#1",
    message: /the retry got 409 \(in progress\) although the first request had finished: complete\(\) must store the response and end the in-progress mark/,
  },
};
