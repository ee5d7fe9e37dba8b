/**
 * The one error registry. Every package reads this table:
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
  /**
   * For definite errors: whether every copy of the same request (the same
   * client_id and seq, sent before or after this one) gets this answer, so
   * no copy was or will be applied. A refusal that is not durable speaks for
   * the one copy that got it (a follower's 11 says nothing of the copy the
   * network duplicated to the leader, or will replay late). A client may
   * report an operation as definitely failed only after a durable answer,
   * or when no copy of it was ever sent. Always false for indefinite errors.
   */
  readonly durable: boolean;
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
  ReplyUnavailable: 1005,
  SessionUnknown: 1006,
  SeqReused: 1007,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const specs: ErrorSpec[] = [
  {
    code: 0,
    name: "timeout",
    meaning: "The request timed out. It may or may not have been applied.",
    definite: false,
    retryable: true,
    durable: false,
  },
  {
    code: 1,
    name: "node-not-found",
    meaning: "The request was addressed to a node that does not exist.",
    definite: true,
    retryable: false,
    durable: false,
  },
  {
    code: 10,
    name: "not-supported",
    meaning: "The node does not support this request type.",
    definite: true,
    retryable: false,
    durable: true,
  },
  {
    code: 11,
    name: "temporarily-unavailable",
    meaning:
      "The node cannot serve this right now (not the leader, or no leader is known). " +
      "With a `leader` field it is a redirect. The request was not applied.",
    definite: true,
    retryable: true,
    durable: false,
  },
  {
    code: 12,
    name: "malformed-request",
    meaning: "The request is not valid: a field is missing or of the wrong type. Retrying will not help.",
    definite: true,
    retryable: false,
    durable: true,
  },
  {
    code: 13,
    name: "crash",
    meaning: "The node failed while handling the request. It may or may not have been applied.",
    definite: false,
    retryable: true,
    durable: false,
  },
  {
    code: 14,
    name: "abort",
    meaning: "The operation was aborted and did not take place.",
    definite: true,
    retryable: true,
    durable: false,
  },
  {
    code: 20,
    name: "key-does-not-exist",
    meaning: "The key does not exist.",
    definite: true,
    retryable: false,
    durable: true,
  },
  {
    code: 21,
    name: "key-already-exists",
    meaning: "The key already exists.",
    definite: true,
    retryable: false,
    durable: true,
  },
  {
    code: 22,
    name: "precondition-failed",
    meaning: "The current value did not match the expected one (cas `from`), so nothing changed.",
    definite: true,
    retryable: false,
    durable: true,
  },
  {
    code: 30,
    name: "txn-conflict",
    meaning: "The transaction conflicted with another and was not applied.",
    definite: true,
    retryable: true,
    durable: false,
  },
  {
    code: 1000,
    name: "stale-request",
    meaning:
      "The request's seq is below the last seq applied for its client_id: a late copy of an old " +
      "request. This copy was not applied and never will be; whether an earlier copy was, the " +
      "session does not record.",
    definite: true,
    retryable: false,
    durable: false,
  },
  {
    code: 1001,
    name: "session-expired",
    meaning:
      "The client's session ended (expired by the leader's clock recorded in the log, or evicted " +
      "by the session bound) and seq is above the last seq it applied: no copy of this request was " +
      "applied, and the record of the ended session refuses every copy. Start a new client_id at seq 1.",
    definite: true,
    retryable: false,
    durable: true,
  },
  {
    code: 1002,
    name: "request-too-large",
    meaning: "The request or one of its values exceeds the node's size limit. It was not applied.",
    definite: true,
    retryable: false,
    durable: true,
  },
  {
    code: 1003,
    name: "idempotency-key-reused",
    meaning: "The idempotency key was already used for a different request. Nothing was applied.",
    definite: true,
    retryable: false,
    durable: true,
  },
  {
    code: 1004,
    name: "idempotency-key-in-flight",
    meaning: "A request with this idempotency key is still being processed. Retry later.",
    definite: true,
    retryable: true,
    durable: false,
  },
  {
    code: 1005,
    name: "reply-unavailable",
    meaning:
      "The client's session ended after this seq was applied (it is the last seq the session " +
      "applied), and the reply is no longer kept. The request was applied once and is not applied " +
      "again; its result cannot be returned. Start a new client_id at seq 1.",
    definite: false,
    retryable: false,
    durable: false,
  },
  {
    code: 1006,
    name: "session-unknown",
    meaning:
      "The client_id has no session and no record of an ended one, and seq is above 1 (a session " +
      "begins at seq 1). It may be a late copy of a request applied before the cluster forgot the " +
      "session, so it is refused, and the client_id is marked ended; whether an earlier copy was " +
      "applied cannot be told. Start a new client_id at seq 1.",
    definite: false,
    retryable: false,
    durable: false,
  },
  {
    code: 1007,
    name: "seq-reused",
    meaning:
      "The client_id and seq were already used for a different request (another operation, key " +
      "or argument). This request was not applied and never will be; give each operation its own seq.",
    definite: true,
    retryable: false,
    durable: true,
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
      durable: false,
    }
  );
}

export function errorSpecByName(name: string): ErrorSpec | undefined {
  return byName.get(name);
}

export function isDefinite(code: number): boolean {
  return errorSpec(code).definite;
}

/**
 * The errors after which a client_id is finished: the cluster holds (or
 * held) a record of its session ending and refuses every later request
 * under it. The client continues under a new client_id from seq 1.
 */
export function endsSession(code: number): boolean {
  return code === ErrorCode.SessionExpired || code === ErrorCode.ReplyUnavailable || code === ErrorCode.SessionUnknown;
}
