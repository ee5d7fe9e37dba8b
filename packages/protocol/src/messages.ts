/**
 * Message shapes, compatible with Jepsen's Maelstrom: one JSON object per
 * line, `{"src","dest","body":{"type","msg_id","in_reply_to",...}}`.
 */

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keys are strings or integers, as Maelstrom's lin-kv workload sends them. */
export type Key = string | number;

export interface Message<B extends Body = Body> {
  src: string;
  dest: string;
  body: B;
}

export interface Body {
  type: string;
  msg_id?: number;
  in_reply_to?: number;
  [field: string]: unknown;
}

/**
 * The identity every mutating request carries: `client_id` (uint64 ids
 * travel as decimal strings) and a positive `seq`, increasing per client. A
 * retry reuses the same pair.
 */
export interface RequestIdentity {
  client_id?: string;
  seq?: number;
  /**
   * HTTP front only: the request's Idempotency-Key. The state machine keeps
   * the first response per key (with a TTL) and answers a retry from it,
   * marked `replayed: true`.
   */
  idempotency_key?: string;
  /** HTTP front only: a hash of method, path and body; the same key with another fingerprint is refused (1003). */
  fingerprint?: string;
}

export interface InitBody extends Body {
  type: "init";
  node_id: string;
  node_ids: string[];
}
export interface InitOkBody extends Body {
  type: "init_ok";
}

export interface ReadBody extends Body {
  type: "read";
  key: Key;
}
export interface WriteBody extends Body, RequestIdentity {
  type: "write";
  key: Key;
  value: Json;
}
export interface CasBody extends Body, RequestIdentity {
  type: "cas";
  key: Key;
  from: Json;
  to: Json;
  create_if_not_exists?: boolean;
}
export interface AppendBody extends Body, RequestIdentity {
  type: "append";
  key: Key;
  value: Json;
}
export interface IncrBody extends Body, RequestIdentity {
  type: "incr";
  key: Key;
  delta: number;
}
export interface DeleteBody extends Body, RequestIdentity {
  type: "delete";
  key: Key;
}

export type ClientRequestBody = ReadBody | WriteBody | CasBody | AppendBody | IncrBody | DeleteBody;
export type MutatingRequestBody = Exclude<ClientRequestBody, ReadBody>;

export interface ReadOkBody extends Body {
  type: "read_ok";
  value: Json;
}
export interface WriteOkBody extends Body {
  type: "write_ok";
}
export interface CasOkBody extends Body {
  type: "cas_ok";
}
export interface AppendOkBody extends Body {
  type: "append_ok";
  value: Json[];
}
export interface IncrOkBody extends Body {
  type: "incr_ok";
  value: number;
}
export interface DeleteOkBody extends Body {
  type: "delete_ok";
}
export interface ErrorBody extends Body {
  type: "error";
  code: number;
  text?: string;
  /** On error 11: the node this node believes is the leader (a redirect). */
  leader?: string;
  /** A hint: wait at least this long before retrying. */
  retry_after_ms?: number;
}

export type ClientReplyBody =
  | ReadOkBody
  | WriteOkBody
  | CasOkBody
  | AppendOkBody
  | IncrOkBody
  | DeleteOkBody
  | ErrorBody;

export const CLIENT_REQUEST_TYPES = ["read", "write", "cas", "append", "incr", "delete"] as const;
export type ClientRequestType = (typeof CLIENT_REQUEST_TYPES)[number];

export const MUTATING_REQUEST_TYPES = ["write", "cas", "append", "incr", "delete"] as const;

export function isClientRequest(body: Body): body is ClientRequestBody {
  return (CLIENT_REQUEST_TYPES as readonly string[]).includes(body.type);
}

export function isMutating(body: Body): body is MutatingRequestBody {
  return (MUTATING_REQUEST_TYPES as readonly string[]).includes(body.type);
}

/** The reply type for a request type: `write` -> `write_ok`. */
export function okType(requestType: string): string {
  return `${requestType}_ok`;
}

export function errorBody(code: number, text: string, extra: Partial<ErrorBody> = {}): ErrorBody {
  return { type: "error", code, text, ...extra };
}
