/**
 * An idempotency handler that only knows finished requests: a record still
 * in progress is taken for no record at all, so a duplicate that arrives
 * while the first payment runs is paid a second time.
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
  override lookup(key: string, fingerprint: string): Lookup {
    // The mistake: an in-progress record counts as absent.
    if (this.state.records[key]?.inProgress === true) return { kind: "new" };
    return super.lookup(key, fingerprint);
  }
}

export const MUTANT: Mutant = {
  replaces: "src/idempotency-handler.ts",
  mistake: "a duplicate that arrives while the first request is in progress runs the payment again instead of getting 409",
  caughtBy: {
    criterion: "w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h#3",
    message: /still in progress was applied too: the ledger shows 2 payments for key k3/,
  },
};
