/**
 * Where a write's time goes on the leader, for benchmarks: the runtime
 * builds a `WriteTimer` only when asked (`NodeRuntimeOptions.onWriteTiming`;
 * `kv-cluster` does when DSLAB_WRITE_TIMINGS names a directory), so a node
 * run without it pays nothing.
 *
 * For each client request that made the leader write an entry, from its
 * arrival (`deliver`) to:
 *   durable   the leader's own write of the entry is on disk;
 *   firstAck  the first follower's acknowledgement of the entry arrives
 *             (the network both ways and that follower's write);
 *   replied   the reply is handed to the transport (commit, apply, reply).
 * The leader's write and the replication run in parallel (the leader
 * sends its entries while its own write is in flight), so `replied` follows
 * the later of the two it needs.
 */
import fs from "node:fs";
import type { Message } from "@dslab/protocol";
import type { PersistOp } from "../contract.js";

export interface WriteTiming {
  /** The client's `src` and `msg_id`: the bench joins them with its own clock readings. */
  src: string;
  msgId: number;
  /** The log index of the request's entry. */
  index: number;
  /** Microseconds after the request arrived; null when it did not happen before the reply (a follower's ack after the commit). */
  durableUs: number | null;
  firstAckUs: number | null;
  repliedUs: number;
}

interface Tracked {
  src: string;
  msgId: number;
  index: number;
  /** The write (runtime sequence number) that carries the entry. */
  seq: number;
  receivedMs: number;
  durableMs: number | null;
  firstAckMs: number | null;
}

const key = (src: string, msgId: number): string => `${src}\u0000${msgId}`;

/** Requests tracked at once. */
const MAX_TRACKED = 10_000;

export class WriteTimer {
  /** By src and msg_id, in arrival order (so by index). */
  private readonly tracked = new Map<string, Tracked>();

  constructor(
    private readonly peers: ReadonlySet<string>,
    private readonly emit: (timing: WriteTiming) => void,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  now(): number {
    return this.nowMs();
  }

  /** A message was delivered at `receivedMs` and its effects wrote `persist` as write `seq`. */
  delivered(message: Message, receivedMs: number, persist: readonly PersistOp[], seq: number): void {
    const body = message.body;
    if (this.peers.has(message.src)) {
      if (body.type === "raft_append_ok" && body.success === true && typeof body.match_index === "number") this.acked(body.match_index);
      return;
    }
    if (body.msg_id === undefined || persist.length === 0) return;
    let index = 0;
    for (const op of persist) if (op.type === "append") index = op.entries[op.entries.length - 1]!.index;
    if (index === 0) return;
    // A request never answered (its client gone) must not hold memory for good: keep the latest ones.
    if (this.tracked.size >= MAX_TRACKED) this.tracked.delete(this.tracked.keys().next().value!);
    this.tracked.set(key(message.src, body.msg_id), { src: message.src, msgId: body.msg_id, index, seq, receivedMs, durableMs: null, firstAckMs: null });
  }

  /** Writes up to `seq` are durable. */
  durable(seq: number): void {
    const now = this.nowMs();
    for (const t of this.tracked.values()) if (t.durableMs === null && t.seq <= seq) t.durableMs = now;
  }

  private acked(matchIndex: number): void {
    const now = this.nowMs();
    for (const t of this.tracked.values()) if (t.firstAckMs === null && t.index <= matchIndex) t.firstAckMs = now;
  }

  /** A message is handed to the transport: if it answers a tracked request, that request's timing is complete. */
  sent(message: Message): void {
    const inReplyTo = message.body.in_reply_to;
    if (inReplyTo === undefined) return;
    const k = key(message.dest, inReplyTo);
    const t = this.tracked.get(k);
    if (!t) return;
    this.tracked.delete(k);
    const since = (ms: number | null) => (ms === null ? null : Math.round((ms - t.receivedMs) * 1000));
    this.emit({
      src: t.src,
      msgId: t.msgId,
      index: t.index,
      durableUs: since(t.durableMs),
      firstAckUs: since(t.firstAckMs),
      repliedUs: since(this.nowMs())!,
    });
  }
}

/**
 * The timings as JSON lines in `file`, gathered in memory and written every
 * `everyMs` and at exit, with plain synchronous writes: no stream and no
 * thread-pool work between a write's steps, so the measuring disturbs
 * little what it measures.
 */
export function writeTimingsTo(file: string, everyMs = 200): (timing: WriteTiming) => void {
  const fd = fs.openSync(file, "a");
  let lines: string[] = [];
  const flush = (): void => {
    if (lines.length === 0) return;
    const text = `${lines.join("\n")}\n`;
    lines = [];
    fs.writeSync(fd, text);
  };
  setInterval(flush, everyMs).unref();
  process.on("exit", flush);
  return (timing) => void lines.push(JSON.stringify(timing));
}
