/**
 * Idempotency keys for a payment API.
 *
 * Lesson w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h
 * (Quest: Idempotency Keys over HTTP). This file serves its pass criteria:
 *   1. A retry with the same Idempotency-Key gets the stored response; the payment is made once
 *   2. The same key with different parameters is refused with 422
 *   3. A duplicate that arrives while the first request is still in progress gets 409
 *   4. A key expires after its TTL (24 h by default), by the injected clock
 *
 * A client whose `POST /payments` timed out cannot tell whether the payment
 * was made. So it sends an `Idempotency-Key` header (a UUID it made for this
 * payment) and sends the same key with every retry. The server keeps a record
 * per key: which request it was (a fingerprint), whether it is still running,
 * what it answered, and when the record expires.
 *
 * | the request's key is ...                     | answer                                      |
 * | -------------------------------------------- | ------------------------------------------- |
 * | absent                                       | run the payment (not idempotent)            |
 * | malformed (empty, > 255 characters)          | 400                                         |
 * | unknown, or its record has expired           | run the payment once, store the response    |
 * | known, same request, finished                | the stored status and body, replayed        |
 * | known, same request, still running           | 409, Retry-After: 1                         |
 * | known, different request                     | 422                                         |
 *
 * You write the four methods marked `todo(...)`: the decisions, over `state`.
 * `handle` is given: it reads the header, reads the clock once per request,
 * calls your methods and runs the payment (the asynchronous part).
 * Your methods get the time as an argument (`nowMs`), never from
 * `Date.now()`: the checks drive the clock, and a copy of the state must
 * behave the same whenever it is replayed.
 *
 * All of the handler's memory is `state`: plain objects, strings and numbers
 * (no Map, no Set, no class instances), so it can be copied, printed and
 * compared as data.
 */
import { createHash } from "node:crypto";
import type { Json } from "@dslab/protocol";
import { todo } from "./todo.js";

/** Milliseconds; only differences matter. */
export interface Clock {
  now(): number;
}

/** A key lives this long after its first use: 24 hours. */
export const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;

/** Longest accepted Idempotency-Key, in characters. */
export const MAX_KEY_LENGTH = 255;

export interface HttpRequest {
  method: string;
  /** The URL's path, e.g. "/payments". */
  path: string;
  /** Header names in lower case, e.g. `headers["idempotency-key"]`. */
  headers: Record<string, string>;
  /** The parsed JSON body. */
  body: Json;
}

/** What the wrapped endpoint answers. */
export interface OperationResponse {
  status: number;
  headers?: Record<string, string>;
  body: Json;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Json;
}

/** What a replay gives back: the first answer's status and body. */
export interface StoredResponse {
  status: number;
  body: Json;
}

export interface IdempotencyRecord {
  key: string;
  /** `requestFingerprint` of the request that first used the key. */
  fingerprint: string;
  /** True from `begin` until `complete`: the payment is still running. */
  inProgress: boolean;
  /** The answer to replay; null while in progress. */
  response: StoredResponse | null;
  /** When the key was first used (the clock's `nowMs`). */
  createdMs: number;
  /** From this time on the record is expired and the key may be used anew. */
  expiresMs: number;
}

export interface IdempotencyState {
  /** One record per key. Built without a prototype, so a key named "toString" is just a key. */
  records: Record<string, IdempotencyRecord>;
}

/** What `lookup` decides for a request carrying a key. */
export type Lookup =
  /** No record: run the payment. */
  | { kind: "new" }
  /** The same request already finished: answer with its stored response. */
  | { kind: "replay"; response: StoredResponse }
  /** The same request is still running: 409. */
  | { kind: "in-progress" }
  /** The key belongs to a different request: 422. */
  | { kind: "mismatch" };

export interface IdempotencyHandlerOptions {
  /** How long a key lives after its first use. Default `DEFAULT_TTL_MS` (24 h). */
  ttlMs?: number;
  clock: Clock;
}

export class IdempotencyHandler {
  state: IdempotencyState;
  readonly ttlMs: number;
  private readonly clock: Clock;

  constructor(options: IdempotencyHandlerOptions, state?: IdempotencyState) {
    const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    if (!(Number.isSafeInteger(ttlMs) && ttlMs > 0)) {
      throw new RangeError(`IdempotencyHandler: ttlMs must be a positive integer of milliseconds, got ${String(options.ttlMs)}`);
    }
    this.ttlMs = ttlMs;
    this.clock = options.clock;
    this.state = { records: Object.assign(Object.create(null) as Record<string, IdempotencyRecord>, state?.records) };
  }

  /**
   * Called first, for every request with a key (in the order `handle` calls
   * the four methods: expire, lookup, begin, complete).
   * Removes every finished record that has expired at `nowMs` (a record is
   * expired once `nowMs >= expiresMs`) and returns their keys. A record still
   * in progress stays: its payment is running.
   */
  expire(nowMs: number): string[] {
    return todo("expire");
  }

  /**
   * What to do with a request that carries `key` and has this `fingerprint`
   * (expired records are already gone: `handle` calls `expire` first).
   */
  lookup(key: string, fingerprint: string): Lookup {
    return todo("lookup");
  }

  /** Records `key` as in progress, before the payment runs, with its expiry `ttlMs` after `nowMs`. */
  begin(key: string, fingerprint: string, nowMs: number): void {
    return todo("begin");
  }

  /** Stores the payment's answer for `key` and ends its in-progress mark. */
  complete(key: string, response: StoredResponse): void {
    return todo("complete");
  }

  /** Given: runs `next` (the payment endpoint) at most once per key, as your methods decide. */
  async handle(request: HttpRequest, next: (request: HttpRequest) => Promise<OperationResponse>): Promise<HttpResponse> {
    const header = parseIdempotencyKey(request.headers["idempotency-key"]);
    if (header.kind === "absent") return answer(await next(request));
    if (header.kind === "invalid") return errorResponse(400, "idempotency-key-invalid", header.message);
    const key = header.key;
    const fingerprint = requestFingerprint(request);

    const nowMs = this.clock.now();
    this.expire(nowMs);
    const found = this.lookup(key, fingerprint);
    switch (found.kind) {
      case "replay":
        return { status: found.response.status, headers: { "Idempotent-Replayed": "true" }, body: found.response.body };
      case "in-progress":
        return errorResponse(409, "idempotency-key-in-flight", `a request with Idempotency-Key ${JSON.stringify(key)} is still being processed; retry later`, {
          "Retry-After": "1",
        });
      case "mismatch":
        return errorResponse(422, "idempotency-key-reused", `Idempotency-Key ${JSON.stringify(key)} is in use for a different request`);
      case "new":
        break;
    }

    this.begin(key, fingerprint, nowMs);
    let response: OperationResponse;
    try {
      response = await next(request);
    } catch (e) {
      // No answer, and the endpoint applies a payment whole or not at all:
      // forget the key so that a retry runs the payment.
      delete this.state.records[key];
      throw e;
    }
    this.complete(key, { status: response.status, body: response.body });
    return answer(response);
  }
}

export type KeyHeader = { kind: "absent" } | { kind: "invalid"; message: string } | { kind: "ok"; key: string };

/**
 * Given. The header's value is a string, quoted or not
 * (`Idempotency-Key: "8e03978e-..."` or a bare `8e03978e-...`): 1 to 255
 * printable ASCII characters.
 */
export function parseIdempotencyKey(raw: string | undefined): KeyHeader {
  if (raw === undefined) return { kind: "absent" };
  let key = raw.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1).replace(/\\(["\\])/g, "$1");
  if (key.length === 0) return { kind: "invalid", message: "Idempotency-Key is empty" };
  if (key.length > MAX_KEY_LENGTH) return { kind: "invalid", message: `Idempotency-Key is longer than ${MAX_KEY_LENGTH} characters` };
  if (!/^[\x20-\x7e]+$/.test(key)) return { kind: "invalid", message: "Idempotency-Key must be printable ASCII" };
  return { kind: "ok", key };
}

/**
 * Given. What makes two requests "the same request": method, path and body,
 * the body as canonical JSON (object keys sorted), so a retry that lists
 * the same fields in another order or with other spacing is the same
 * request. SHA-256, so a record stays small whatever the body's size.
 */
export function requestFingerprint(request: Pick<HttpRequest, "method" | "path" | "body">): string {
  return createHash("sha256").update(canonicalJson([request.method, request.path, request.body])).digest("hex");
}

function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const fields = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`);
    return `{${fields.join(",")}}`;
  }
  return JSON.stringify(value);
}

function answer(response: OperationResponse): HttpResponse {
  return { status: response.status, headers: { ...response.headers }, body: response.body };
}

function errorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers, body: { error: { code, message } } };
}
