/**
 * Reference solution of week-12/src/client-tracker.ts (see the stub for the
 * rules). Sessions live in `state.sessions`, a plain object by client id;
 * every lookup is an own-property lookup and every store defines an own
 * property, so no client id ("__proto__", "constructor") reaches the
 * object's prototype.
 */
import type { Json } from "@dslab/protocol";
import type { ClientSession, Registration, TrackerOptions, TrackerState } from "@dslab/week-12/src/client-tracker.js";

export type { ClientSession, Registration, TrackerOptions, TrackerState };

export class ClientTracker {
  readonly options: TrackerOptions;
  state: TrackerState;

  constructor(options: TrackerOptions, state: TrackerState = { sessions: {} }) {
    this.options = options;
    this.state = state;
  }

  registerRequest(clientId: string, seq: number, nowMs: number): Registration {
    const session = this.session(clientId);
    if (session === undefined) return { kind: "new" };
    if (seq < session.lastSeq) return { kind: "stale", lastSeq: session.lastSeq };
    if (seq === session.lastSeq) {
      session.lastActivityMs = nowMs;
      return { kind: "duplicate", response: session.response };
    }
    return { kind: "new" };
  }

  recordResponse(clientId: string, seq: number, response: Json, nowMs: number): void {
    Object.defineProperty(this.state.sessions, clientId, {
      value: { lastSeq: seq, response, lastActivityMs: nowMs },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }

  garbageCollectExpiredSessions(nowMs: number): string[] {
    const ended: string[] = [];
    for (const [clientId, session] of Object.entries(this.state.sessions)) {
      if (nowMs - session.lastActivityMs > this.options.sessionTimeoutMs) ended.push(clientId);
    }
    for (const clientId of ended) delete this.state.sessions[clientId];
    return ended;
  }

  private session(clientId: string): ClientSession | undefined {
    return Object.hasOwn(this.state.sessions, clientId) ? this.state.sessions[clientId] : undefined;
  }
}
