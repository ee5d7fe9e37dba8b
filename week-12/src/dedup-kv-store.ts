/**
 * The dedup key-value store: the key-value map behind the node program,
 * with a `ClientTracker` in front of every write, so a retried write is
 * answered from the tracker instead of being applied a second time.
 *
 * Lessons: w11-l04 (idempotent writes), criteria 1, 2 and 3;
 * w12-leader-election-client-idempotency-d04-quest-dedup-store-2h, criteria
 * 1, 2 and 5 (through node/main.ts, which feeds it the requests it reads).
 *
 * `handleRequest(request, nowMs)` is yours to write:
 * - First end the sessions that expired by `nowMs`
 *   (`this.tracker.garbageCollectExpiredSessions`).
 * - A read is never deduplicated, whatever `client_id`/`seq` it carries:
 *   it always answers the latest value (`applyOperation`).
 * - A write or append without `client_id`/`seq` is applied as it is.
 * - With them, ask the tracker (`registerRequest`):
 *   - "new": apply it (`applyOperation`), record the reply
 *     (`recordResponse`), return the reply;
 *   - "duplicate": return the cached reply, apply nothing, and emit
 *     `{ type: "duplicate-answered", clientId, seq }` (the node logs
 *     `[dedup] client c1 seq 5 is duplicate, returning cached result`);
 *   - "stale": return `staleReply(clientId, seq, lastSeq)` (error 1000),
 *     apply nothing, and emit `{ type: "stale-request", clientId, seq, lastSeq }`.
 *
 * The store's whole state is `state`, plain JSON data: the map and the
 * tracker's state (the tracker works on `state.tracker` in place).
 */
import { ErrorCode, type Json, type Key } from "@dslab/protocol";
import { ClientTracker, type TrackerState } from "./client-tracker.js";
import { todo } from "./todo.js";

/** What identifies a write: the client and its per-operation sequence number. */
export interface RequestIdentity {
  client_id?: string;
  seq?: number;
}

/** The requests the node serves (bodies without msg_id), validated by node/main.ts. */
export type KvRequest =
  | ({ type: "read"; key: Key } & RequestIdentity)
  | ({ type: "write"; key: Key; value: Json } & RequestIdentity)
  | ({ type: "append"; key: Key; value: Json } & RequestIdentity);

/** A reply body without msg_id/in_reply_to: `{ type: "write_ok" }`, `{ type: "error", code, text }`. */
export type KvReply = { type: string } & { [field: string]: Json };

/** What the store reports; the node renders each as a log line. */
export type DedupEvent =
  | { type: "duplicate-answered"; clientId: string; seq: number }
  | { type: "stale-request"; clientId: string; seq: number; lastSeq: number };

export interface DedupKVOptions {
  /** A client's session ends once it has been idle this long (ms). */
  sessionTimeoutMs: number;
  /** Receives the store's events (default: dropped). */
  emit?: (event: DedupEvent) => void;
}

export interface DedupKVState {
  /** The map, by the key's text (integer key 1 and string key "1" are one key here). */
  data: Record<string, Json>;
  tracker: TrackerState;
}

export class DedupKVStore {
  readonly options: DedupKVOptions;
  state: DedupKVState;
  readonly tracker: ClientTracker;

  constructor(options: DedupKVOptions, state: DedupKVState = { data: {}, tracker: { sessions: {} } }) {
    this.options = options;
    this.state = state;
    this.tracker = new ClientTracker({ sessionTimeoutMs: options.sessionTimeoutMs }, state.tracker);
  }

  /** Answers one request at `nowMs` (see the header for the rules). */
  handleRequest(request: KvRequest, nowMs: number): KvReply {
    return todo("handleRequest");
  }

  protected emit(event: DedupEvent): void {
    this.options.emit?.(event);
  }
}

/**
 * Applies a request to the map and returns the reply: `read_ok {value}`
 * (error 20 for a missing key), `write_ok`, `append_ok {value: the list
 * after}` (a missing key starts as []; error 12 if it holds something else).
 * Values are never changed in place, so a cached reply stays as it was.
 */
export function applyOperation(data: Record<string, Json>, request: KvRequest): KvReply {
  const name = String(request.key);
  const current = Object.hasOwn(data, name) ? data[name] : undefined;
  switch (request.type) {
    case "read":
      if (current === undefined) return errorReply(ErrorCode.KeyDoesNotExist, `key ${JSON.stringify(request.key)} does not exist`);
      return { type: "read_ok", value: current };
    case "write":
      setOwn(data, name, request.value);
      return { type: "write_ok" };
    case "append": {
      if (current !== undefined && !Array.isArray(current)) {
        return errorReply(ErrorCode.MalformedRequest, `key ${JSON.stringify(request.key)} does not hold a list; append needs one`);
      }
      const list = [...(current ?? []), request.value];
      setOwn(data, name, list);
      return { type: "append_ok", value: list };
    }
  }
}

/** The refusal of a seq below the client's last applied one (error 1000, definite: never applied). */
export function staleReply(clientId: string, seq: number, lastSeq: number): KvReply {
  return errorReply(ErrorCode.StaleRequest, `client ${clientId} seq ${seq} is below the last applied seq ${lastSeq}; this copy was not applied and never will be`);
}

export function errorReply(code: number, text: string): KvReply {
  return { type: "error", code, text };
}

function setOwn(data: Record<string, Json>, name: string, value: Json): void {
  Object.defineProperty(data, name, { value, enumerable: true, writable: true, configurable: true });
}
