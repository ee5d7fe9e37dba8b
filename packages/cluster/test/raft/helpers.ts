/** Small helpers for driving `RaftCore`s by hand in the paper tests. */
import { createPrng, type Message } from "@dslab/protocol";
import type { LogEntry, PersistentState, Snapshot } from "../../src/contract.js";
import { RaftCore, type RaftOptions, type RaftReady } from "../../src/raft/index.js";

export function entry(index: number, term: number): LogEntry {
  return { index, term, command: { kind: "noop", ts: index } };
}

/** A persisted state with a log of `[index, term]` pairs (noop commands). */
export function persisted(term: number, log: Array<[number, number]>, votedFor: string | null = null): PersistentState {
  return { hardState: { term, votedFor }, snapshot: null, entries: log.map(([i, t]) => entry(i, t)) };
}

/** The no-op a new leader appends, stamped with the leader's clock (the node's job; here the plainest one). */
export const noopAt = (nowMs: number) => ({ kind: "noop" as const, ts: nowMs });

/** A core with pre-vote and check-quorum off unless asked: the paper's plain algorithm. */
export function raft(id: string, opts: Partial<RaftOptions> = {}, restored: PersistentState | null = null): RaftCore {
  return new RaftCore(
    { id, nodeIds: ["n1", "n2", "n3"], prng: createPrng(`test/${id}`), preVote: false, checkQuorum: false, leaderNoop: noopAt, ...opts },
    restored,
  );
}

export function tickUntil(r: RaftCore, done: () => boolean, max = 100): { ticks: number; ready: RaftReady } {
  const ready: RaftReady = { persist: [], send: [], logs: [], restore: null, reads: [], sendBeforePersist: false, durable: null };
  for (let ticks = 1; ticks <= max; ticks++) {
    r.tick(0);
    const step = r.takeReady();
    ready.persist.push(...step.persist);
    ready.send.push(...step.send);
    ready.logs.push(...step.logs);
    if (done()) return { ticks, ready };
  }
  throw new Error(`tickUntil: not done after ${max} ticks`);
}

/** A tiny network: deliver messages among cores until none are left (or `filter` drops them). */
export class Net {
  readonly nodes = new Map<string, RaftCore>();
  readonly delivered: Message[] = [];
  /** Snapshots each node was told to restore its state machine from, in order. */
  readonly restores: Array<{ node: string; snapshot: Snapshot }> = [];

  constructor(cores: RaftCore[]) {
    for (const c of cores) this.nodes.set(c.id, c);
  }

  get(id: string): RaftCore {
    return this.nodes.get(id)!;
  }

  /** Drain every node's ready output into the returned list of messages. */
  collect(): Message[] {
    const out: Message[] = [];
    for (const n of this.nodes.values()) {
      const ready = n.takeReady();
      if (ready.restore) this.restores.push({ node: n.id, snapshot: ready.restore });
      out.push(...ready.send);
    }
    return out;
  }

  /** Deliver `messages` (and what they cause) until quiet; returns rounds taken. */
  run(messages: Message[], filter: (m: Message) => boolean = () => true, maxRounds = 100): number {
    let queue = messages;
    let rounds = 0;
    while (queue.length > 0) {
      if (++rounds > maxRounds) throw new Error("Net.run: no quiescence");
      for (const m of queue) {
        if (!filter(m)) continue;
        const dest = this.nodes.get(m.dest);
        if (!dest) continue;
        this.delivered.push(m);
        dest.step(m, 0);
      }
      queue = this.collect();
    }
    return rounds;
  }

  /** Deliver one hop only; returns what it caused. */
  hop(messages: Message[], filter: (m: Message) => boolean = () => true): Message[] {
    for (const m of messages) {
      if (!filter(m)) continue;
      this.delivered.push(m);
      this.nodes.get(m.dest)?.step(m, 0);
    }
    return this.collect();
  }
}

/** Tick `id` and deliver everything, until it leads (or give up). */
export function campaignUntilLeader(net: Net, id: string, maxTicks = 200, filter?: (m: Message) => boolean): void {
  const r = net.get(id);
  for (let i = 0; i < maxTicks && r.role !== "leader"; i++) {
    r.tick(0);
    net.run(net.collect(), filter);
  }
  if (r.role !== "leader") throw new Error(`${id} did not become leader in ${maxTicks} ticks`);
}

export function terms(r: RaftCore): number[] {
  const out: number[] = [];
  for (let i = r.log.snapshotIndex + 1; i <= r.log.lastIndex(); i++) out.push(r.log.term(i)!);
  return out;
}
