/**
 * A small deterministic in-memory driver for a cluster of `KvNodeCore`s: it
 * executes their effects the way a shell does (persist into a real
 * `MemoryStorage`, then send), queues the messages between nodes in FIFO
 * order, and lets a test tick nodes, deliver, drop, partition, crash and
 * restart. No timers, no randomness beyond the seeded PRNG each node gets.
 * Everything a node logs or answers a client is recorded in `trace`.
 *
 * With `config.asyncPersist` it runs the effects as KvNodeRuntime does:
 * a leader's messages marked `sendBeforePersist` are queued before its
 * write, every other message waits for the writes before it, and a
 * `durable` mark is reported back (`persisted`) once its write is done.
 * Writes complete right after each input, unless the test holds a node's
 * writes (`holdWrites`): they then stay in flight, off its disk, until
 * `flushWrites`, and a crash loses them (or keeps a prefix: a torn write).
 *
 * Used by the Raft scenario tests (test/raft) and readable by the simulator.
 */
import { createPrng, deriveSeed, type Body, type Message } from "@dslab/protocol";
import type { DurableMark, Effects, KvNodeCore, NodeConfig, NodeStatus, PersistentState, PersistOp } from "../contract.js";
import { createKvNodeCore } from "../node/core.js";
import { MemoryStorage } from "../storage/memory-storage.js";

export interface RaftDriverOptions {
  nodeIds: string[];
  /** The master seed: node n's PRNG is derived from it and its id. */
  seed?: string | number;
  /** Applied to every node's config. */
  config?: Partial<Omit<NodeConfig, "id" | "nodeIds" | "prng">>;
  /** Simulated clock advance per `tickAll` round. Default 10 ms. */
  msPerTick?: number;
  /** Record every delivered message in the trace too. Default false. */
  traceMessages?: boolean;
  /** Called with every message a node sends (to a peer or a client), before any fault applies. */
  observe?: (message: Message) => void;
  /** Makes each node's core. Default: the reference `createKvNodeCore`. */
  createCore?: (config: NodeConfig, restored: PersistentState | null) => KvNodeCore;
}

/** One node's writes between its core and its disk (the runtime's bookkeeping, node-runtime.ts). */
interface Disk {
  /** Writes handed over and not yet durable, numbered in order. */
  inFlight: Array<{ seq: number; ops: PersistOp[]; durable: DurableMark | undefined }>;
  /** Messages waiting for the writes up to `afterSeq`, in order. */
  held: Array<{ afterSeq: number; send: Message[] }>;
  lastSeq: number;
  durableSeq: number;
  barrierSeq: number;
  /** Writes stay in flight until flushWrites. */
  holding: boolean;
}

const freshDisk = (): Disk => ({ inFlight: [], held: [], lastSeq: 0, durableSeq: 0, barrierSeq: 0, holding: false });

export class RaftDriver {
  readonly nodeIds: string[];
  readonly storages = new Map<string, MemoryStorage>();
  readonly nodes = new Map<string, KvNodeCore>();
  /** Messages in flight between nodes, oldest first. */
  queue: Message[] = [];
  /** Everything sent to a non-node destination (client replies). */
  readonly clientInbox: Message[] = [];
  /** Human-readable events: `n1: became leader for term 1`, client replies, faults. */
  readonly trace: string[] = [];
  nowMs = 0;
  traceMessages: boolean;
  private readonly opts: RaftDriverOptions;
  private readonly msPerTick: number;
  /** Directed links that drop everything: "n1>n2". */
  private readonly cut = new Set<string>();
  private restarts = new Map<string, number>();
  private readonly disks = new Map<string, Disk>();

  constructor(opts: RaftDriverOptions) {
    this.opts = opts;
    this.nodeIds = [...opts.nodeIds];
    this.msPerTick = opts.msPerTick ?? 10;
    this.traceMessages = opts.traceMessages ?? false;
    for (const id of this.nodeIds) {
      this.storages.set(id, new MemoryStorage());
      this.disks.set(id, freshDisk());
      this.nodes.set(id, this.makeNode(id));
    }
  }

  private makeNode(id: string): KvNodeCore {
    const generation = this.restarts.get(id) ?? 0;
    const seed = deriveSeed(this.opts.seed ?? 1, generation === 0 ? id : `${id}#${generation}`);
    const config: NodeConfig = { ...this.opts.config, id, nodeIds: this.nodeIds, prng: createPrng(seed) };
    return (this.opts.createCore ?? createKvNodeCore)(config, this.storages.get(id)!.loadSync());
  }

  node(id: string): KvNodeCore {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`driver: ${id} is not running (crashed, or not in [${this.nodeIds.join(", ")}])`);
    return n;
  }

  status(id: string): NodeStatus {
    return this.node(id).status();
  }

  isUp(id: string): boolean {
    return this.nodes.has(id);
  }

  /** The current leader with the highest term among running nodes, or null. */
  leader(): string | null {
    let best: NodeStatus | null = null;
    for (const n of this.nodes.values()) {
      const s = n.status();
      if (s.role === "leader" && (!best || s.term > best.term)) best = s;
    }
    return best?.id ?? null;
  }

  // ------------------------------------------------------------- inputs --

  /** Tick one node `times` times (messages it sends are queued, not delivered). */
  tick(id: string, times = 1): void {
    for (let i = 0; i < times; i++) this.execute(id, this.node(id).tick(this.nowMs));
  }

  /** One round: the clock advances and every running node ticks once. */
  tickAll(rounds = 1): void {
    for (let r = 0; r < rounds; r++) {
      this.nowMs += this.msPerTick;
      for (const id of this.nodeIds) if (this.nodes.has(id)) this.tick(id);
    }
  }

  /** Time passes on a working network: tick everyone, deliver everything, `rounds` times. */
  run(rounds: number): void {
    for (let r = 0; r < rounds; r++) {
      this.tickAll();
      this.stabilize();
    }
  }

  /** A client request (from `client`) to node `to`; queued like any message. */
  request(client: string, to: string, body: Body): void {
    this.queue.push({ src: client, dest: to, body });
  }

  /** Deliver the messages queued now (not the ones they cause). Returns how many were delivered. */
  deliverRound(filter: (m: Message) => boolean = () => true): number {
    const now = this.queue;
    this.queue = [];
    let delivered = 0;
    for (const m of now) {
      if (!filter(m)) {
        this.queue.push(m);
        continue;
      }
      if (!this.deliverable(m)) continue;
      delivered++;
      if (this.traceMessages) this.trace.push(`${m.src}->${m.dest} ${describeBody(m.body)}`);
      this.execute(m.dest, this.node(m.dest).receive(m, this.nowMs));
    }
    return delivered;
  }

  /** Deliver until nothing is in flight (bounded, in case of a livelock). */
  stabilize(maxRounds = 1000): void {
    for (let i = 0; i < maxRounds && this.queue.length > 0; i++) this.deliverRound();
    if (this.queue.length > 0) throw new Error(`driver: still ${this.queue.length} messages in flight after ${maxRounds} rounds`);
  }

  /** Drop what is in flight from `from` to `to` (both directions when `bothWays`). */
  drop(from: string, to: string, bothWays = false): void {
    this.queue = this.queue.filter((m) => !((m.src === from && m.dest === to) || (bothWays && m.src === to && m.dest === from)));
  }

  /** Split the nodes into groups that cannot reach each other (messages in flight across groups are lost too). */
  partition(groups: string[][]): void {
    this.heal();
    const groupOf = new Map<string, number>();
    groups.forEach((g, i) => g.forEach((id) => groupOf.set(id, i)));
    for (const a of this.nodeIds)
      for (const b of this.nodeIds) if (a !== b && groupOf.get(a) !== groupOf.get(b)) this.cut.add(`${a}>${b}`);
    this.trace.push(`-- partition ${groups.map((g) => g.join(" ")).join(" | ")}`);
  }

  /** Cut one direction only: `from` can no longer reach `to`. */
  cutLink(from: string, to: string): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    if (this.cut.size > 0) this.trace.push("-- heal");
    this.cut.clear();
  }

  /**
   * The node stops; what it persisted stays in its storage; messages to it
   * are lost, and so are its writes in flight and the messages held behind
   * them, except the first `keptOps` ops of those writes (a write the disk
   * finished before the crash, though nobody heard).
   */
  crash(id: string, keptOps = 0): void {
    this.node(id);
    this.nodes.delete(id);
    this.queue = this.queue.filter((m) => m.dest !== id && m.src !== id);
    const disk = this.disks.get(id)!;
    const inFlight = disk.inFlight.flatMap((w) => w.ops);
    this.disks.set(id, freshDisk());
    const kept = inFlight.slice(0, keptOps);
    if (kept.length > 0) this.storages.get(id)!.persistSync(kept);
    const lost = inFlight.slice(kept.length);
    this.trace.push(`-- crash ${id}${lost.length > 0 ? ` (writes in flight lost: ${describeOps(lost)})` : ""}`);
  }

  /** From now on the node's writes stay in flight (an fsync that has not returned) until `flushWrites`. Only for a core built with asyncPersist. */
  holdWrites(id: string): void {
    this.node(id);
    if (!this.opts.config?.asyncPersist) throw new Error(`driver: holding writes needs config.asyncPersist (a core that persists before its next input has no writes in flight)`);
    this.disks.get(id)!.holding = true;
    this.trace.push(`-- ${id} holds its writes`);
  }

  /** The node's writes in flight become durable (one fsync); its writes complete at once again. */
  flushWrites(id: string): void {
    this.node(id);
    const disk = this.disks.get(id)!;
    disk.holding = false;
    const ops = disk.inFlight.flatMap((w) => w.ops);
    this.trace.push(`-- ${id} writes durable${ops.length > 0 ? `: ${describeOps(ops)}` : " (none in flight)"}`);
    this.completeWrites(id);
  }

  /** Writes the node has in flight (not yet on its disk). */
  writesInFlight(id: string): number {
    return this.disks.get(id)!.inFlight.length;
  }

  /** A new node from what the crashed one persisted. */
  restart(id: string): void {
    if (this.nodes.has(id)) throw new Error(`driver: ${id} is running; crash it first`);
    this.restarts.set(id, (this.restarts.get(id) ?? 0) + 1);
    this.disks.set(id, freshDisk());
    this.nodes.set(id, this.makeNode(id));
    this.trace.push(`-- restart ${id}`);
  }

  /** Replace what a crashed node has on disk (to start a scenario from a given log). */
  setDisk(id: string, state: PersistentState): void {
    if (this.nodes.has(id)) throw new Error(`driver: ${id} is running; crash it first`);
    this.storages.set(id, new MemoryStorage(state));
  }

  /** Replies a client got so far, in order; removes them from the inbox. */
  takeReplies(client?: string): Message[] {
    const taken: Message[] = [];
    for (let i = 0; i < this.clientInbox.length; ) {
      const m = this.clientInbox[i]!;
      if (client === undefined || m.dest === client) {
        taken.push(m);
        this.clientInbox.splice(i, 1);
      } else i++;
    }
    return taken;
  }

  // ------------------------------------------------------------ effects --

  private deliverable(m: Message): boolean {
    if (!this.nodes.has(m.dest)) return false;
    return !this.cut.has(`${m.src}>${m.dest}`);
  }

  /**
   * As a shell does: the writes in order, each message after the writes it
   * waits for (all before it; for a leader's marked messages, the unmarked
   * ones only). Without asyncPersist and held writes that is "persist, then
   * send".
   */
  private execute(id: string, effects: Effects): void {
    for (const line of effects.logs) this.trace.push(`${id}: ${line}`);
    const disk = this.disks.get(id)!;
    if (effects.persist.length > 0) {
      const seq = ++disk.lastSeq;
      disk.inFlight.push({ seq, ops: effects.persist, durable: effects.durable });
      if (!effects.sendBeforePersist) disk.barrierSeq = seq;
    }
    if (effects.send.length > 0) {
      const afterSeq = effects.sendBeforePersist ? disk.barrierSeq : disk.lastSeq;
      if (disk.held.length === 0 && afterSeq <= disk.durableSeq) this.dispatch(effects.send);
      else disk.held.push({ afterSeq, send: effects.send });
    }
    if (!disk.holding) this.completeWrites(id);
  }

  /** Every write in flight reaches the disk; the messages waiting for them leave; the core hears of the last mark. */
  private completeWrites(id: string): void {
    const disk = this.disks.get(id)!;
    while (disk.inFlight.length > 0) {
      const batch = disk.inFlight;
      disk.inFlight = [];
      this.storages.get(id)!.persistSync(batch.flatMap((w) => w.ops));
      disk.durableSeq = batch[batch.length - 1]!.seq;
      let i = 0;
      for (; i < disk.held.length && disk.held[i]!.afterSeq <= disk.durableSeq; i++) this.dispatch(disk.held[i]!.send);
      disk.held.splice(0, i);
      let durable: DurableMark | undefined;
      for (const w of batch) if (w.durable) durable = w.durable;
      if (durable === undefined) continue;
      const node = this.node(id);
      if (!node.persisted) throw new Error(`driver: ${id}'s core asked to hear of durable writes but has no persisted()`);
      this.execute(id, node.persisted(durable, this.nowMs));
      if (disk.holding) return;
    }
  }

  private dispatch(messages: Message[]): void {
    for (const m of messages) {
      this.opts.observe?.(m);
      if (this.nodeIds.includes(m.dest)) {
        if (!this.cut.has(`${m.src}>${m.dest}`)) this.queue.push(m);
      } else {
        this.clientInbox.push(m);
        this.trace.push(`${m.dest} <- ${m.src}: ${describeBody(m.body)}`);
      }
    }
  }
}

/** Ops as a short phrase: `append 2..3, hard state term 2 vote n1`. */
function describeOps(ops: PersistOp[]): string {
  return ops
    .map((op) => {
      if (op.type === "append") return `append ${op.entries[0]!.index}..${op.entries[op.entries.length - 1]!.index}`;
      if (op.type === "hardState") return `hard state term ${op.hardState.term}${op.hardState.votedFor ? ` vote ${op.hardState.votedFor}` : ""}`;
      return `snapshot at ${op.snapshot.lastIncludedIndex}`;
    })
    .join(", ");
}

/** One body as a short line: `write_ok in_reply_to=3`, `error code=11 leader=n2`. */
export function describeBody(body: Body): string {
  const parts: string[] = [body.type];
  for (const [k, v] of Object.entries(body)) {
    if (k === "type" || k === "text" || v === undefined) continue;
    if (k === "entries" && Array.isArray(v)) {
      const entries = v as Array<{ index: number; term: number }>;
      parts.push(entries.length === 0 ? "entries=[]" : `entries=[${entries[0]!.index}..${entries[entries.length - 1]!.index}]`);
      continue;
    }
    if (k === "chunk" && typeof v === "string") {
      parts.push(`chunk=(${v.length} chars)`);
      continue;
    }
    parts.push(`${k}=${JSON.stringify(v)}`);
  }
  return parts.join(" ");
}
