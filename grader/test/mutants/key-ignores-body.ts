/**
 * An idempotency handler that looks records up by key alone: a different
 * payment sent with a key already used gets the first payment's stored
 * response, as if it had been made, instead of 422.
 */
import * as solution from "../../solutions/week-12/src/idempotency-handler.js";
import type { Lookup } from "../../../week-12/src/idempotency-handler.js";
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
  override lookup(key: string, _fingerprint: string): Lookup {
    const record = this.state.records[key];
    if (record === undefined) return { kind: "new" };
    // The mistake: the stored fingerprint is never compared with the request's.
    if (record.inProgress || record.response === null) return { kind: "in-progress" };
    return { kind: "replay", response: record.response };
  }
}

export const MUTANT: Mutant = {
  replaces: "src/idempotency-handler.ts",
  mistake: "a key already used replays its stored response for a different request instead of refusing it with 422",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h#2",
    message: /with a different amount .* got the first payment's stored response \(a replay\) instead of 422: compare the request's fingerprint/,
  },
};
