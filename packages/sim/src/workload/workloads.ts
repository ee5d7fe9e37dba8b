/**
 * The workloads, as operation generators for the real retrying client:
 *
 * - `lin-kv`: Maelstrom's read/write/cas on a few integer keys; the register
 *   linearizability checker judges it.
 * - `exactly-once`: append (values unique per client and seq, so a double
 *   application is visible) and incr; the exactly-once checker judges it.
 * - `sessions`: the exactly-once mix from many short-lived clients, against a
 *   small session table and a short session timeout, to exercise expiry and
 *   the bound on session memory.
 */
import type { Key, Prng } from "@dslab/protocol";
import type { Operation } from "@dslab/client";
import type { NodeTuning } from "../inprocess/cluster.js";
import type { ClientSettings } from "./driver.js";

export const WORKLOAD_NAMES = ["lin-kv", "exactly-once", "sessions"] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export interface OpContext {
  /** Short, stable name of the client endpoint ("c7"). */
  clientName: string;
  /** The seq the client will use for a mutating op. */
  nextSeq: number;
}

export interface Workload {
  readonly name: WorkloadName;
  /** Which checker model judges the history. */
  readonly model: "register" | "exactly-once";
  /** Keys the final reads cover: every key written so far. */
  keys(): Key[];
  /** Replace a worker's client after this many ops (sessions), or never. */
  readonly clientLifetimeOps?: number;
  /** Node settings this workload needs (a small session table for `sessions`). */
  readonly tuning: Partial<NodeTuning>;
  /** Client settings this workload needs on top of the harness's. */
  readonly client?: Partial<ClientSettings>;
  nextOp(prng: Prng, ctx: OpContext): Operation;
}

export function linKv(): Workload {
  const keys = [0, 1, 2, 3, 4];
  return {
    name: "lin-kv",
    model: "register",
    keys: () => keys,
    tuning: {},
    nextOp(prng) {
      const key = prng.pick(keys);
      const r = prng.next();
      if (r < 0.4) return { type: "read", key };
      if (r < 0.75) return { type: "write", key, value: prng.int(0, 9) };
      return { type: "cas", key, from: prng.int(0, 9), to: prng.int(0, 9) };
    },
  };
}

/**
 * Append keys rotate (as Jepsen's list-append does): each key takes a bounded
 * number of appends, then a fresh one replaces it, so lists, replies and
 * snapshots stay small however long the run.
 */
class RotatingKeys {
  private generation = 0;
  private appendsInGeneration = 0;
  private readonly used = new Set<string>();
  constructor(
    private readonly prefix: string,
    private readonly width: number,
    private readonly appendsPerGeneration: number,
  ) {}
  pick(prng: Prng): string {
    if (this.appendsInGeneration >= this.appendsPerGeneration) {
      this.generation++;
      this.appendsInGeneration = 0;
    }
    this.appendsInGeneration++;
    const key = `${this.prefix}${this.generation}.${prng.int(0, this.width - 1)}`;
    this.used.add(key);
    return key;
  }
  /** A key of the current generation (for reads). */
  current(prng: Prng): string {
    const key = `${this.prefix}${this.generation}.${prng.int(0, this.width - 1)}`;
    this.used.add(key);
    return key;
  }
  keys(): string[] {
    return [...this.used];
  }
}

function exactlyOnceWorkload(name: "exactly-once" | "sessions", prefix: string, counters: readonly string[], extra: Partial<Workload>): Workload {
  const lists = new RotatingKeys(prefix, 3, 150);
  const usedCounters = new Set<string>();
  return {
    name,
    model: "exactly-once",
    keys: () => [...lists.keys(), ...usedCounters],
    tuning: {},
    ...extra,
    nextOp(prng, ctx) {
      const r = prng.next();
      if (r < 0.65) return { type: "append", key: lists.pick(prng), value: `${ctx.clientName}:${ctx.nextSeq}` };
      const counter = prng.pick(counters);
      usedCounters.add(counter);
      if (r < 0.9) return { type: "incr", key: counter, delta: 1 };
      return prng.chance(0.5) ? { type: "read", key: lists.current(prng) } : { type: "read", key: counter };
    },
  };
}

export function exactlyOnce(): Workload {
  return exactlyOnceWorkload("exactly-once", "a", ["n0", "n1"], {});
}

export function sessions(): Workload {
  return exactlyOnceWorkload("sessions", "s", ["m0"], {
    clientLifetimeOps: 4,
    // A small table and a short timeout, so eviction and expiry happen
    // within a run of a few seconds. Bounded memory remembers a client (its
    // session, then its tombstone) only so long: with this churn, about two
    // seconds. Retries stop within that window, so exactly-once is a promise
    // the cluster can keep; a retry after it could be applied again.
    tuning: { maxSessions: 32, sessionTimeoutMs: 3_000, snapshotEveryEntries: 20 },
    client: { maxTotalMs: 1_500 },
  });
}

export function createWorkload(name: string): Workload {
  switch (name) {
    case "lin-kv":
      return linKv();
    case "exactly-once":
      return exactlyOnce();
    case "sessions":
      return sessions();
    default:
      throw new Error(`unknown workload "${name}": expected one of ${WORKLOAD_NAMES.join(", ")}`);
  }
}
