/**
 * A small deterministic in-memory driver for a cluster of `KvNodeCore`s: it
 * executes their effects the way a shell does (persist into a real
 * `MemoryStorage`, then send), queues the messages between nodes in FIFO
 * order, and lets a test tick nodes, deliver, drop, partition, crash and
 * restart. No timers, no randomness beyond the seeded PRNG each node gets.
 * Everything a node logs or answers a client is recorded in `trace`.
 *
 * Used by the Raft scenario tests (test/raft) and readable by the simulator.
 */
import { createPrng, deriveSeed, type Body, type Message } from "@dslab/protocol";
import type { Effects, KvNodeCore, NodeConfig, NodeStatus, PersistentState } from "../contract.js";
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

  constructor(opts: RaftDriverOptions) {
    this.opts = opts;
    this.nodeIds = [...opts.nodeIds];
    this.msPerTick = opts.msPerTick ?? 10;
    this.traceMessages = opts.traceMessages ?? false;
    for (const id of this.nodeIds) {
      this.storages.set(id, new MemoryStorage());
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

  /** The node stops; what it persisted stays in its storage; messages to it are lost. */
  crash(id: string): void {
    this.node(id);
    this.nodes.delete(id);
    this.queue = this.queue.filter((m) => m.dest !== id && m.src !== id);
    this.trace.push(`-- crash ${id}`);
  }

  /** A new node from what the crashed one persisted. */
  restart(id: string): void {
    if (this.nodes.has(id)) throw new Error(`driver: ${id} is running; crash it first`);
    this.restarts.set(id, (this.restarts.get(id) ?? 0) + 1);
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

  /** As a shell does: persist first (durable), then send. */
  private execute(id: string, effects: Effects): void {
    this.storages.get(id)!.persistSync(effects.persist);
    for (const line of effects.logs) this.trace.push(`${id}: ${line}`);
    for (const m of effects.send) {
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
