/**
 * An idempotency handler that restarts a key's TTL on every replay: a
 * client that keeps retrying keeps its key alive forever, and the key's
 * expiry no longer depends on when it was first used.
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
  private lastNowMs = 0;

  override expire(nowMs: number): string[] {
    this.lastNowMs = nowMs;
    return super.expire(nowMs);
  }

  override lookup(key: string, fingerprint: string): Lookup {
    const found = super.lookup(key, fingerprint);
    // The mistake: a replay pushes the expiry out by a whole TTL again.
    const record = this.state.records[key];
    if (found.kind === "replay" && record !== undefined) record.expiresMs = this.lastNowMs + this.ttlMs;
    return found;
  }
}

export const MUTANT: Mutant = {
  replaces: "src/idempotency-handler.ts",
  mistake: "a replay extends the key's TTL, so a retried key never expires",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h#4",
    message: /24 h 1 min after its first use, key k4 was not expired .*a retry does not extend it/,
  },
};
