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
  /** Keys the final reads cover. */
  readonly keys: readonly Key[];
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
    keys,
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

function exactlyOnceOp(prng: Prng, ctx: OpContext, appendKeys: readonly Key[], counterKeys: readonly Key[]): Operation {
  const r = prng.next();
  if (r < 0.65) return { type: "append", key: prng.pick(appendKeys), value: `${ctx.clientName}:${ctx.nextSeq}` };
  if (r < 0.9) return { type: "incr", key: prng.pick(counterKeys), delta: 1 };
  return { type: "read", key: prng.pick([...appendKeys, ...counterKeys]) };
}

export function exactlyOnce(): Workload {
  const appendKeys = ["a0", "a1", "a2"];
  const counterKeys = ["n0", "n1"];
  return {
    name: "exactly-once",
    model: "exactly-once",
    keys: [...appendKeys, ...counterKeys],
    tuning: {},
    nextOp: (prng, ctx) => exactlyOnceOp(prng, ctx, appendKeys, counterKeys),
  };
}

export function sessions(): Workload {
  const appendKeys = ["s0", "s1"];
  const counterKeys = ["m0"];
  return {
    name: "sessions",
    model: "exactly-once",
    keys: [...appendKeys, ...counterKeys],
    clientLifetimeOps: 4,
    // A small table and a short timeout, so eviction and expiry happen
    // within a run of a few seconds. Bounded memory remembers a client (its
    // session, then its tombstone) only so long: with this churn, about two
    // seconds. Retries stop within that window, so exactly-once is a promise
    // the cluster can keep; a retry after it could be applied again.
    tuning: { maxSessions: 32, sessionTimeoutMs: 3_000, snapshotEveryEntries: 20 },
    client: { maxTotalMs: 1_500 },
    nextOp: (prng, ctx) => exactlyOnceOp(prng, ctx, appendKeys, counterKeys),
  };
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
