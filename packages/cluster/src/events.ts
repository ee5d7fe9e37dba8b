/**
 * What a node reports about the requests it dedups and the sessions it
 * keeps, as typed events. Tools read the events (the simulator counts
 * answers served from a session by them); people read the line each one
 * renders to, written in one place, `renderEvent`. So the line a lesson
 * asks students to find, `[dedup] client 42 seq 5 is duplicate, returning
 * cached result`, comes from exactly one template.
 */

/** Why a session ended. */
export type SessionEndReason = "expired" | "evicted";

export type NodeEvent =
  /** A copy of an applied request, answered with the reply cached in its session. */
  | { type: "duplicate-answered"; clientId: string; seq: number }
  /** A copy of a request still waiting to commit: it will get the same answer. */
  | { type: "duplicate-pending"; clientId: string; seq: number; index: number }
  /** The last applied seq, reused for a different request: refused (1007). */
  | { type: "seq-reused"; clientId: string; seq: number }
  /** A seq below the last applied one: refused (1000). */
  | { type: "stale-request"; clientId: string; seq: number; lastSeq: number }
  /** The last seq of an ended session: applied once, its reply gone (1005). */
  | { type: "reply-unavailable"; clientId: string; seq: number; reason: SessionEndReason }
  /** A seq above an ended session's last one: refused for good (1001). */
  | { type: "session-ended-refused"; clientId: string; seq: number; reason: SessionEndReason; lastSeq: number }
  /** No record of the client and seq > 1: refused (1006). */
  | { type: "session-unknown"; clientId: string; seq: number }
  | { type: "session-expired"; clientId: string; idleMs: number; timeoutMs: number; lastSeq: number }
  | { type: "session-evicted"; clientId: string; bound: number; lastSeq: number }
  | { type: "tombstone-dropped"; clientId: string; bound: number }
  /** A retry under an idempotency key, answered with the stored result. */
  | { type: "idempotency-replayed"; key: string }
  /** An idempotency key reused for a different request: refused (1003). */
  | { type: "idempotency-mismatch"; key: string }
  | { type: "idempotency-key-dropped"; key: string; bound: number }
  /** This node became leader (Raft logs its own line for it). */
  | { type: "leader-elected"; term: number };

const ENDED_BY: Record<SessionEndReason, string> = {
  expired: "its session expired",
  evicted: "its session was evicted (too many sessions)",
};

/** The line a person reads for an event (the shell prefixes the node id). */
export function renderEvent(e: NodeEvent): string {
  switch (e.type) {
    case "duplicate-answered":
      return `[dedup] client ${e.clientId} seq ${e.seq} is duplicate, returning cached result`;
    case "duplicate-pending":
      return `[dedup] client ${e.clientId} seq ${e.seq} is already pending at index ${e.index}; it will get the same answer`;
    case "seq-reused":
      return `[dedup] client ${e.clientId} seq ${e.seq} was applied for a different request, refused`;
    case "stale-request":
      return `[dedup] client ${e.clientId} seq ${e.seq} is stale (last applied seq ${e.lastSeq}), refused`;
    case "reply-unavailable":
      return `[session] client ${e.clientId} seq ${e.seq} was applied, but ${ENDED_BY[e.reason]} and its reply is gone`;
    case "session-ended-refused":
      return `[session] client ${e.clientId} seq ${e.seq} refused: ${ENDED_BY[e.reason]} at seq ${e.lastSeq}`;
    case "session-unknown":
      return `[session] client ${e.clientId} seq ${e.seq} refused: it has no session and a session begins at seq 1 (it may be a late copy from a session already forgotten)`;
    case "session-expired":
      return `[session] client ${e.clientId} expired after ${e.idleMs} ms idle (timeout ${e.timeoutMs} ms), last seq ${e.lastSeq}`;
    case "session-evicted":
      return `[session] client ${e.clientId} evicted: the bound of ${e.bound} live sessions was reached and it was the least recently active (last seq ${e.lastSeq})`;
    case "tombstone-dropped":
      return `[session] tombstone of client ${e.clientId} dropped: the bound of ${e.bound} tombstones was reached`;
    case "idempotency-replayed":
      return `[idempotency] key ${JSON.stringify(e.key)} is a retry, returning stored result`;
    case "idempotency-mismatch":
      return `[idempotency] key ${JSON.stringify(e.key)} reused for a different request, refused`;
    case "idempotency-key-dropped":
      return `[idempotency] key ${JSON.stringify(e.key)} dropped before its TTL: the bound of ${e.bound} keys was reached`;
    case "leader-elected":
      return `became leader for term ${e.term}`;
  }
}

/** The human-readable reasons, for reply texts that say why a session ended. */
export function endedBy(reason: SessionEndReason): string {
  return ENDED_BY[reason];
}
