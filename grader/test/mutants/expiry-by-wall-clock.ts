/**
 * An idempotency handler that expires keys by the machine's clock
 * (Date.now()) instead of the injected one: under a driven clock keys
 * vanish at once or never, and two replicas would disagree on which keys
 * are alive.
 */
import * as solution from "../../solutions/week-12/src/idempotency-handler.js";
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
  override expire(_nowMs: number): string[] {
    // The mistake: the wall clock instead of the time handed in.
    return super.expire(Date.now());
  }
}

export const MUTANT: Mutant = {
  replaces: "src/idempotency-handler.ts",
  mistake: "keys expire by Date.now() instead of the injected clock",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h#4",
    message: /expired before its 24 h TTL; expiry follows the injected clock's nowMs, never Date\.now\(\)/,
  },
};
