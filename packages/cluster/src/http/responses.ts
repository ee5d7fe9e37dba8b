/**
 * Cluster reply -> HTTP response. Pure and deterministic, so a stored reply
 * replayed for an Idempotency-Key retry gets the same status and body as the
 * first time; only the `Idempotent-Replayed: true` header tells them apart.
 *
 * | reply                                  | status                     |
 * | -------------------------------------- | -------------------------- |
 * | `*_ok`                                 | 200                        |
 * | 20 key-does-not-exist                  | 404                        |
 * | 21 key-already-exists                  | 409                        |
 * | 22 precondition-failed                 | 409 (POST cas), 412 (PUT + If-Match) |
 * | 12 malformed-request                   | 400                        |
 * | 10 not-supported                       | 501                        |
 * | 1002 request-too-large                 | 413                        |
 * | 1003 idempotency-key-reused            | 422                        |
 * | 1004 idempotency-key-in-flight         | 409 + Retry-After          |
 * | 11 with a leader (HTTP URL known)      | 307 + Location (server.ts) |
 * | 11 without a leader, 14, 30            | 503 + Retry-After          |
 * | indefinite: 0 timeout, 13 crash, other | 504 (outcome unknown)      |
 */
import { ErrorCode, errorSpec, type Body, type Json } from "@dslab/protocol";

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Json;
}

export function errorJson(code: number | string, name: string, message: string, extra: Record<string, Json> = {}): Json {
  return { error: { code, name, message, ...extra } };
}

function retryAfterSeconds(body: Body): string {
  const ms = typeof body.retry_after_ms === "number" ? body.retry_after_ms : 1000;
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

function okJson(body: Body): Json {
  switch (body.type) {
    case "read_ok":
    case "append_ok":
    case "incr_ok":
      return { value: (body.value ?? null) as Json };
    default:
      return { ok: true };
  }
}

export function toHttp(reply: Body, opts: { preconditionStatus: 409 | 412 }): HttpResponse {
  const headers: Record<string, string> = {};
  if (reply.replayed === true) headers["Idempotent-Replayed"] = "true";
  if (reply.type !== "error") return { status: 200, headers, body: okJson(reply) };

  const code = typeof reply.code === "number" ? reply.code : -1;
  const spec = errorSpec(code);
  const text = typeof reply.text === "string" ? reply.text : spec.meaning;
  const extra: Record<string, Json> = { definite: spec.definite };
  if (typeof reply.leader === "string") extra.leader = reply.leader;
  const status = (() => {
    switch (code) {
      case ErrorCode.KeyDoesNotExist:
        return 404;
      case ErrorCode.KeyAlreadyExists:
        return 409;
      case ErrorCode.PreconditionFailed:
        return opts.preconditionStatus;
      case ErrorCode.MalformedRequest:
        return 400;
      case ErrorCode.NotSupported:
        return 501;
      case ErrorCode.RequestTooLarge:
        return 413;
      case ErrorCode.IdempotencyKeyReused:
        return 422;
      case ErrorCode.IdempotencyKeyInFlight:
        headers["Retry-After"] = retryAfterSeconds(reply);
        return 409;
      case ErrorCode.TemporarilyUnavailable:
      case ErrorCode.Abort:
      case ErrorCode.TxnConflict:
        headers["Retry-After"] = retryAfterSeconds(reply);
        return 503;
      default:
        return spec.definite ? 500 : 504;
    }
  })();
  const message =
    status === 504
      ? `${text} The outcome is unknown: retry with the same Idempotency-Key to learn it without applying it twice.`
      : text;
  return { status, headers, body: errorJson(code, spec.name, message, extra) };
}
