/** Builders shared by the state-machine tests. */
import type { ClientRequestBody } from "@dslab/protocol";
import type { Command } from "../../src/contract.js";
import { renderEvent, type NodeEvent } from "../../src/events.js";
import { KvStateMachine, type KvStateMachineOptions } from "../../src/state-machine/index.js";

export const MINUTE_MS = 60_000;

export const defaults: KvStateMachineOptions = {
  sessionTimeoutMs: 10 * MINUTE_MS,
  maxSessions: 1000,
  idempotencyTtlMs: 24 * 60 * MINUTE_MS,
  maxIdempotencyKeys: 1000,
  maxValueBytes: 1024,
};

/** A machine that applies entries 1, 2, 3, ... and records its log lines. */
export class Harness {
  readonly sm: KvStateMachine;
  /** What the machine reported, and the lines those events render to. */
  readonly events: NodeEvent[] = [];
  readonly logs: string[] = [];
  index = 0;

  constructor(opts: Partial<KvStateMachineOptions> = {}) {
    this.sm = new KvStateMachine({
      ...defaults,
      ...opts,
      emit: (e) => {
        this.events.push(e);
        this.logs.push(renderEvent(e));
      },
    });
  }

  /** Applies a client request stamped `tsMs` by the leader. */
  req(request: Record<string, unknown>, tsMs = 0) {
    const command: Command = { kind: "client", ts: tsMs, request: request as unknown as ClientRequestBody };
    return this.sm.apply(command, ++this.index);
  }

  noop(tsMs = 0) {
    return this.sm.apply({ kind: "noop", ts: tsMs }, ++this.index);
  }

  /** A copy restored from this machine's snapshot through JSON (as from disk). */
  restoredCopy(opts: Partial<KvStateMachineOptions> = {}): Harness {
    const h = new Harness(opts);
    h.sm.restore(JSON.parse(JSON.stringify(this.sm.snapshot())));
    h.index = this.index;
    return h;
  }
}
