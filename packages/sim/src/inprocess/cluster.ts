/**
 * The in-process cluster: reference node cores under simulated time. Each
 * node has a MemoryStorage that outlives its core, so SIGKILL is "drop the
 * core" and restart is "a new core from what storage holds". A paused node
 * keeps its inbox (as a stopped process keeps its pipe) and gets no ticks;
 * each node reads its own skewed clock.
 */
import type { Message } from "@dslab/protocol";
import type { CoreFactory, Effects, KvNodeCore, NodeConfig, NodeStatus, PersistentState, PersistOp } from "@dslab/cluster";
import type { SimScheduler, TimerHandle } from "../world/scheduler.js";
import type { WorldSeeds } from "../world/seeds.js";
import { NodeClock, SIM_EPOCH_MS, type ClockSkew } from "../world/node-clock.js";
import type { PacketSimulator } from "../network/packet-simulator.js";
import type { PacketFate } from "../network/trace.js";
import type { FaultTarget } from "../nemesis/applier.js";

/** What the sim needs from a storage: the synchronous half of MemoryStorage. */
export interface SyncStorage {
  loadSync(): PersistentState;
  persistSync(ops: readonly PersistOp[]): void;
}

export type { CoreFactory };

/** Node settings the harness passes through (everything in NodeConfig but id/nodeIds/prng). */
export type NodeTuning = Omit<NodeConfig, "id" | "nodeIds" | "prng">;

export interface InProcessClusterOptions {
  scheduler: SimScheduler;
  seeds: WorldSeeds;
  nodeIds: readonly string[];
  network: PacketSimulator;
  createCore: CoreFactory;
  createStorage: () => SyncStorage;
  /** Simulated ms per Raft tick. */
  tickMs: number;
  tuning: NodeTuning;
  skews: Map<string, ClockSkew>;
  /** Receives every log line the cores produce, prefixed by node id. */
  onLog?: (line: string) => void;
}

interface SimNode {
  id: string;
  storage: SyncStorage;
  core: KvNodeCore | null;
  life: number;
  paused: boolean;
  inbox: Message[];
  clock: NodeClock;
  tick: TimerHandle | null;
}

export class InProcessCluster implements FaultTarget {
  readonly nodeIds: readonly string[];
  private readonly nodes = new Map<string, SimNode>();
  /** Counters for results.json. */
  readonly stats = { kills: 0, restarts: 0, pauses: 0, dedupHits: 0, persistOps: 0 };
  /** Per term, the nodes that said they became its leader (from their events). */
  readonly leaders = new Map<number, Set<string>>();

  constructor(private readonly opts: InProcessClusterOptions) {
    this.nodeIds = opts.nodeIds;
    for (const id of opts.nodeIds) {
      const skew = opts.skews.get(id) ?? { offsetMs: 0, drift: 0 };
      this.nodes.set(id, {
        id,
        storage: opts.createStorage(),
        core: null,
        life: 0,
        paused: false,
        inbox: [],
        clock: new NodeClock(opts.scheduler, { ...skew }, SIM_EPOCH_MS),
        tick: null,
      });
    }
  }

  start(): void {
    for (const id of this.nodeIds) this.boot(this.node(id));
  }

  private node(id: string): SimNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  private config(n: SimNode): NodeConfig {
    return {
      ...this.opts.tuning,
      id: n.id,
      nodeIds: [...this.nodeIds],
      prng: this.opts.seeds.node(n.id, n.life),
    };
  }

  private boot(n: SimNode): void {
    n.core = this.opts.createCore(this.config(n), n.storage.loadSync());
    n.life++;
    this.scheduleTick(n, this.opts.tickMs * (0.1 + 0.9 * (this.nodeIds.indexOf(n.id) + 1) / this.nodeIds.length));
  }

  private scheduleTick(n: SimNode, delayMs: number): void {
    n.tick = this.opts.scheduler.after(delayMs, this.tickEvent, n);
  }

  /** Whether a scheduled event's function is a node's tick (for a benchmark's breakdown of events by kind). */
  isTick(fn: unknown): boolean {
    return fn === this.tickEvent;
  }

  /** A node's tick: one function for every node and tick, its argument the node. */
  private readonly tickEvent = (n: SimNode): void => {
    n.tick = null;
    if (!n.core) return;
    if (!n.paused) this.run(n, n.core.tick(n.clock.nowMs()));
    this.scheduleTick(n, this.opts.tickMs);
  };

  /** Network delivery into a node. */
  deliver(message: Message): PacketFate | void {
    const n = this.nodes.get(message.dest);
    if (!n || !n.core) return "dropped-node-down";
    if (n.paused) {
      n.inbox.push(message);
      return;
    }
    this.run(n, n.core.receive(message, n.clock.nowMs()));
  }

  /** Execute effects in the contract's order: persist, then send. */
  private run(n: SimNode, effects: Effects): void {
    if (effects.persist.length > 0) {
      n.storage.persistSync(effects.persist);
      this.stats.persistOps += effects.persist.length;
    }
    const onLog = this.opts.onLog;
    if (onLog) for (const line of effects.logs) onLog(`${n.id} ${line}`);
    // Which replies came from a session: read from the core's events, never its text.
    let hits: Set<string> | undefined;
    if (effects.events) {
      for (const e of effects.events) {
        if (e.type === "leader-elected") {
          let ids = this.leaders.get(e.term);
          if (ids === undefined) this.leaders.set(e.term, (ids = new Set()));
          ids.add(n.id);
          continue;
        }
        if (e.type !== "duplicate-answered") continue;
        this.stats.dedupHits++;
        (hits ??= new Set()).add(`${e.clientId}/${e.seq}`);
      }
    }
    const extra = hits ? { sessionHits: hits } : undefined;
    for (const m of effects.send) this.opts.network.send(m, extra);
  }

  // ------------------------------------------------------------ faults ----

  kill(id: string): void {
    const n = this.node(id);
    if (!n.core) return;
    n.core = null;
    n.paused = false;
    n.inbox = [];
    n.tick?.cancel();
    n.tick = null;
    this.stats.kills++;
  }

  restart(id: string): void {
    const n = this.node(id);
    if (n.core) return;
    this.stats.restarts++;
    this.boot(n);
  }

  pause(id: string): void {
    const n = this.node(id);
    if (!n.core || n.paused) return;
    n.paused = true;
    this.stats.pauses++;
  }

  resume(id: string): void {
    const n = this.node(id);
    if (!n.paused) return;
    n.paused = false;
    const inbox = n.inbox;
    n.inbox = [];
    for (const m of inbox) {
      if (!n.core || n.paused) break;
      this.run(n, n.core.receive(m, n.clock.nowMs()));
    }
  }

  isDown(id: string): boolean {
    const n = this.node(id);
    return !n.core || n.paused;
  }

  setClock(id: string, offsetMs: number, drift: number): void {
    this.node(id).clock.skew = { offsetMs, drift };
  }

  resetClocks(): void {
    for (const n of this.nodes.values()) n.clock.skew = { ...(this.opts.skews.get(n.id) ?? { offsetMs: 0, drift: 0 }) };
  }

  // ------------------------------------------------------------ status ----

  status(id: string): NodeStatus | null {
    return this.node(id).core?.status() ?? null;
  }

  statuses(): NodeStatus[] {
    const out: NodeStatus[] = [];
    for (const n of this.nodes.values()) if (n.core) out.push(n.core.status());
    return out;
  }

  /** The live, unpaused leader with the highest term, if any. */
  leader(): string | null {
    let best: NodeStatus | null = null;
    for (const n of this.nodes.values()) {
      if (!n.core || n.paused) continue;
      const s = n.core.status();
      if (s.role === "leader" && (!best || s.term > best.term)) best = s;
    }
    return best?.id ?? null;
  }
}
