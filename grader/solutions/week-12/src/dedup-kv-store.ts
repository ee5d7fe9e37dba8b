/**
 * Reference solution of week-12/src/dedup-kv-store.ts (see the stub for the
 * rules). The helpers below the class are the stub's, unchanged.
 */
import { ErrorCode, type Json } from "@dslab/protocol";
import type { DedupEvent, DedupKVOptions, DedupKVState, KvReply, KvRequest, RequestIdentity } from "@dslab/week-12/src/dedup-kv-store.js";
import { ClientTracker } from "./client-tracker.js";

export type { DedupEvent, DedupKVOptions, DedupKVState, KvReply, KvRequest, RequestIdentity };

export class DedupKVStore {
  readonly options: DedupKVOptions;
  state: DedupKVState;
  readonly tracker: ClientTracker;

  constructor(options: DedupKVOptions, state: DedupKVState = { data: {}, tracker: { sessions: {} } }) {
    this.options = options;
    this.state = state;
    this.tracker = new ClientTracker({ sessionTimeoutMs: options.sessionTimeoutMs }, state.tracker);
  }

  handleRequest(request: KvRequest, nowMs: number): KvReply {
    this.tracker.garbageCollectExpiredSessions(nowMs);
    if (request.type === "read") return applyOperation(this.state.data, request);
    const { client_id: clientId, seq } = request;
    if (clientId === undefined || seq === undefined) return applyOperation(this.state.data, request);
    const registration = this.tracker.registerRequest(clientId, seq, nowMs);
    switch (registration.kind) {
      case "duplicate":
        this.emit({ type: "duplicate-answered", clientId, seq });
        return registration.response as KvReply;
      case "stale":
        this.emit({ type: "stale-request", clientId, seq, lastSeq: registration.lastSeq });
        return staleReply(clientId, seq, registration.lastSeq);
      case "new": {
        const reply = applyOperation(this.state.data, request);
        this.tracker.recordResponse(clientId, seq, reply, nowMs);
        return reply;
      }
    }
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
