/**
 * The one error registry (DESIGN principle 3). Every package reads this table:
 * the client decides whether to retry from it, the harness decides whether a
 * history operation is `fail` (definite) or `info` (indefinite), and the
 * lessons print it.
 *
 * Codes below 1000 follow Jepsen's Maelstrom (`errors.edn`); 1000 and up are
 * dslab's own.
 */
export interface ErrorSpec {
  readonly code: number;
  readonly name: string;
  /** What the error means, written for the person reading a log. */
  readonly meaning: string;
  /**
   * Definite: the operation certainly did not take place and never will.
   * Indefinite: it may have taken place, or may still take place later.
   */
  readonly definite: boolean;
  /**
   * Whether sending the same request again (same client_id and seq) may
   * succeed. A definite, non-retryable error is the final answer.
   */
  readonly retryable: boolean;
}

export const ErrorCode = {
  Timeout: 0,
  NodeNotFound: 1,
  NotSupported: 10,
  TemporarilyUnavailable: 11,
  MalformedRequest: 12,
  Crash: 13,
  Abort: 14,
  KeyDoesNotExist: 20,
  KeyAlreadyExists: 21,
  PreconditionFailed: 22,
  TxnConflict: 30,
  StaleRequest: 1000,
  SessionExpired: 1001,
  RequestTooLarge: 1002,
  IdempotencyKeyReused: 1003,
  IdempotencyKeyInFlight: 1004,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const specs: ErrorSpec[] = [
  {
    code: 0,
    name: "timeout",
    meaning: "The request timed out. It may or may not have been applied.",
    definite: false,
    retryable: true,
  },
  {
    code: 1,
    name: "node-not-found",
    meaning: "The request was addressed to a node that does not exist.",
    definite: true,
    retryable: false,
  },
  {
    code: 10,
    name: "not-supported",
    meaning: "The node does not support this request type.",
    definite: true,
    retryable: false,
  },
  {
    code: 11,
    name: "temporarily-unavailable",
    meaning:
      "The node cannot serve this right now (not the leader, or no leader is known). " +
      "With a `leader` field it is a redirect. The request was not applied.",
    definite: true,
    retryable: true,
  },
  {
    code: 12,
    name: "malformed-request",
    meaning: "The request is not valid: a field is missing or of the wrong type. Retrying will not help.",
    definite: true,
    retryable: false,
  },
  {
    code: 13,
    name: "crash",
    meaning: "The node failed while handling the request. It may or may not have been applied.",
    definite: false,
    retryable: true,
  },
  {
    code: 14,
    name: "abort",
    meaning: "The operation was aborted and did not take place.",
    definite: true,
    retryable: true,
  },
  {
    code: 20,
    name: "key-does-not-exist",
    meaning: "The key does not exist.",
    definite: true,
    retryable: false,
  },
  {
    code: 21,
    name: "key-already-exists",
    meaning: "The key already exists.",
    definite: true,
    retryable: false,
  },
  {
    code: 22,
    name: "precondition-failed",
    meaning: "The current value did not match the expected one (cas `from`), so nothing changed.",
    definite: true,
    retryable: false,
  },
  {
    code: 30,
    name: "txn-conflict",
    meaning: "The transaction conflicted with another and was not applied.",
    definite: true,
    retryable: true,
  },
  {
    code: 1000,
    name: "stale-request",
    meaning:
      "The request's seq is below the last seq applied for its client_id: a late replay of an " +
      "old request. It was not applied and never will be.",
    definite: true,
    retryable: false,
  },
  {
    code: 1001,
    name: "session-expired",
    meaning:
      "The client's session ended (expired by the leader's clock recorded in the log, or evicted " +
      "by the session bound), or the client_id is unknown and seq is above 1 (a session begins at " +
      "seq 1), so a retry can no longer be recognised as a duplicate. It was not applied; start a " +
      "new client_id at seq 1.",
    definite: true,
    retryable: false,
  },
  {
    code: 1002,
    name: "request-too-large",
    meaning: "The request or one of its values exceeds the node's size limit. It was not applied.",
    definite: true,
    retryable: false,
  },
  {
    code: 1003,
    name: "idempotency-key-reused",
    meaning: "The idempotency key was already used for a different request. Nothing was applied.",
    definite: true,
    retryable: false,
  },
  {
    code: 1004,
    name: "idempotency-key-in-flight",
    meaning: "A request with this idempotency key is still being processed. Retry later.",
    definite: true,
    retryable: true,
  },
];

const byCode = new Map<number, ErrorSpec>(specs.map((s) => [s.code, s]));
const byName = new Map<string, ErrorSpec>(specs.map((s) => [s.name, s]));

/** Every registered error, ordered by code. */
export const errorRegistry: readonly ErrorSpec[] = Object.freeze(specs.slice());

/**
 * Look up an error code. An unregistered code is treated as indefinite and
 * retryable: an answer we do not understand never proves the write did not
 * happen.
 */
export function errorSpec(code: number): ErrorSpec {
  return (
    byCode.get(code) ?? {
      code,
      name: code >= 1000 ? "unknown-project-error" : "unknown-error",
      meaning: `Unregistered error code ${code}; treated as indefinite.`,
      definite: false,
      retryable: true,
    }
  );
}

export function errorSpecByName(name: string): ErrorSpec | undefined {
  return byName.get(name);
}

export function isDefinite(code: number): boolean {
  return errorSpec(code).definite;
}
