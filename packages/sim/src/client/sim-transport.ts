/**
 * The client's `Transport` over the harness network: a client endpoint (a
 * Maelstrom-style client id such as "c3") sends a request body to a node and
 * waits for the reply with the matching `in_reply_to`, or for its timeout on
 * the harness timeline. Works under simulated time and in real time.
 */
import type { Body, Message } from "@dslab/protocol";
import { copyFields, TransportError, type Transport } from "@dslab/client";
import type { SimTask, Timeline, TimerHandle, Wait } from "../world/scheduler.js";

/** Where a client endpoint sends: the network (in-process) or the process router. */
export interface ClientNetwork {
  send(message: Message): void;
}

interface Pending {
  wait: Wait<Body>;
  timer: TimerHandle;
}

export class ClientEndpoint implements Transport {
  private nextMsgId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Replies that arrived after their attempt timed out (or duplicates). */
  lateReplies = 0;

  constructor(
    readonly id: string,
    private readonly network: ClientNetwork,
    private readonly timeline: Timeline,
    private readonly nodeIds: readonly string[],
    /** The task whose client sends through this endpoint. */
    private readonly task?: SimTask,
  ) {}

  send(node: string, body: Body, timeoutMs: number): Promise<Body> {
    const msgId = this.nextMsgId++;
    const wait = this.timeline.wait<Body>(this.task);
    const timer = this.timeline.after(timeoutMs, () => {
      if (!this.pending.delete(msgId)) return;
      wait.reject(timeoutError(node, msgId, timeoutMs));
    });
    this.pending.set(msgId, { wait, timer });
    // `{ ...body, msg_id }` without the generic copy a spread of several request shapes takes (copy-fields.ts).
    const sent = copyFields(body);
    sent.msg_id = msgId;
    this.network.send({ src: this.id, dest: node, body: sent });
    return wait.promise;
  }

  canReach(node: string): boolean {
    return this.nodeIds.includes(node);
  }

  /** A message addressed to this endpoint arrived. */
  deliver(message: Message): void {
    const id = message.body.in_reply_to;
    const p = typeof id === "number" ? this.pending.get(id) : undefined;
    if (!p || typeof id !== "number") {
      this.lateReplies++;
      return;
    }
    this.pending.delete(id);
    p.timer.cancel();
    p.wait.resolve(message.body);
  }

  /** Fail every outstanding request (end of a process-mode run). */
  abandon(): void {
    for (const [id, p] of this.pending) {
      p.timer.cancel();
      this.pending.delete(id);
    }
  }
}

/**
 * A timeout is an expected outcome here, caught by the client and turned into
 * an attempt record; its stack (always the scheduler's) is never read, and
 * capturing one per timeout is a measurable share of a faulty run.
 */
function timeoutError(node: string, msgId: number, timeoutMs: number): TransportError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new TransportError("timeout", node, `no reply from ${node} to msg ${msgId} within ${timeoutMs} ms`);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
