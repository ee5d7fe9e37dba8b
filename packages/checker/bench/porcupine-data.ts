/**
 * Histories in the shapes of porcupine's test data, generated from a seed:
 *
 * - etcd-like (porcupine's `test_data/jepsen/etcd_*.log`): 5 clients on one
 *   register, values 0..4, reads, writes and cas; a client that times out
 *   completes with info and is replaced by process + 5, as Jepsen does. Each
 *   operation takes effect at one instant between its call and its return
 *   (a timed-out one later or never), so the history is linearizable by
 *   construction, unless `invalid`: then one read in the second half is
 *   changed to a value every op that could set was surely overwritten by an
 *   ok write before the read was called (a stale read: no order explains
 *   it, whatever the small value domain allows).
 * - kv (porcupine's `test_data/kv/c01-ok.txt` ... `c50-bad.txt`): 6.824
 *   get / put / append on 10 keys, from `generateHistory`.
 */
import type { History } from "../src/index.js";
import { HistoryBuilder, kw } from "../src/index.js";
import { generateHistory, mulberry32 } from "./generate.js";

interface EtcdOp {
  process: number;
  f: "read" | "write" | "cas";
  arg: number | null | [number, number];
  call: number;
  /** Return time; undefined: timed out (info) at `timeout`. */
  ret: number | undefined;
  timeout: number;
  /** When it takes effect; undefined: never. */
  effect: number | undefined;
  out: number | null;
  failed: boolean;
}

const CLIENTS = 5;
const VALUES = 5;

/** One etcd-like history of `ops` operations. */
export function etcdHistory(seed: number, ops: number, invalid: boolean): History {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const gen: EtcdOp[] = [];
  const perClient = Math.ceil(ops / CLIENTS);
  for (let c = 0; c < CLIENTS; c++) {
    let t = int(10);
    let process = c;
    for (let i = 0; i < perClient && gen.length < ops; i++) {
      const r = rnd();
      const f = r < 0.4 ? "read" : r < 0.7 ? "write" : "cas";
      const arg: EtcdOp["arg"] = f === "read" ? null : f === "write" ? int(VALUES) : [int(VALUES), int(VALUES)];
      const latency = 1 + int(30);
      const op: EtcdOp = { process, f, arg, call: t, ret: t + latency, timeout: t + 100, effect: t + int(latency), out: null, failed: false };
      if (rnd() < 0.03) {
        // Timed out: it took effect (perhaps after the client gave up) or never.
        op.ret = undefined;
        op.effect = f !== "read" && rnd() < 0.5 ? t + int(150) : undefined;
        t = op.timeout + 1 + int(5);
        process += CLIENTS;
      } else {
        t = op.ret! + 1 + int(10);
      }
      gen.push(op);
    }
  }
  let cur: number | null = null;
  for (const g of gen.filter((x) => x.effect !== undefined).sort((a, b) => a.effect! - b.effect! || a.call - b.call)) {
    if (g.f === "read") g.out = cur;
    else if (g.f === "write") cur = g.arg as number;
    else {
      const [from, to] = g.arg as [number, number];
      if (cur === from) cur = to;
      else g.failed = true;
    }
  }
  if (invalid && !staleRead(gen)) throw new Error(`seed ${seed}: no read in the second half can be made stale`);
  const events: Array<[time: number, kind: number, g: EtcdOp]> = [];
  for (const g of gen) events.push([g.call, 0, g], [g.ret ?? g.timeout, 1, g]);
  events.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const b = new HistoryBuilder();
  for (const [, kind, g] of events) {
    if (kind === 0) b.invoke(g.process, g.f, g.arg);
    else if (g.ret === undefined) b.info(g.process, { error: kw("timed-out") });
    else if (g.failed) b.fail(g.process);
    else if (g.f === "read") b.ok(g.process, g.out);
    else b.ok(g.process);
  }
  return b.build();
}

/**
 * Makes one answered read in the second half return a value v such that
 * every op that could set v (a write of v, a cas to v, the initial nil when
 * v is nil) returned before some ok overwrite that itself returned before
 * the read was called. Returns whether such a read was found.
 */
function staleRead(gen: EtcdOp[]): boolean {
  const sets = (g: EtcdOp, v: number | null) => v !== null && ((g.f === "write" && g.arg === v) || (g.f === "cas" && (g.arg as [number, number])[1] === v));
  const overwrites = (g: EtcdOp, v: number | null) => g.ret !== undefined && !g.failed && ((g.f === "write" && g.arg !== v) || (g.f === "cas" && (g.arg as [number, number])[1] !== v));
  const reads = gen.filter((g) => g.f === "read" && g.ret !== undefined).sort((a, b) => a.call - b.call);
  for (const read of reads.slice(Math.floor(reads.length / 2))) {
    for (const v of [null, ...Array.from({ length: VALUES }, (_, i) => i)]) {
      if (v === read.out) continue;
      // The latest any setter of v could take effect; a timed-out one never stops.
      let lastSet = v === null ? 0 : -1;
      for (const g of gen) if (sets(g, v) && g.call < read.ret!) lastSet = Math.max(lastSet, g.ret ?? Infinity);
      if (v !== null && lastSet === -1) continue;
      const overwritten = gen.some((g) => overwrites(g, v) && g.call > lastSet && g.ret! < read.call);
      if (overwritten) {
        read.out = v;
        return true;
      }
    }
  }
  return false;
}

export interface BenchFile {
  name: string;
  model: "register" | "kv";
  history: History;
  /** What the history is by construction. */
  expected: "valid" | "invalid";
}

/**
 * The data set: `etcd` etcd-like histories (every 20th invalid, sizes from
 * a few hundred to a few thousand operations) and porcupine's six kv cases.
 */
export function porcupineLikeFiles(seed: number, etcd = 103): BenchFile[] {
  const rnd = mulberry32(seed);
  const files: BenchFile[] = [];
  for (let i = 0; i < etcd; i++) {
    const ops = 200 + Math.floor(rnd() * rnd() * 2800);
    const invalid = i % 20 === 2;
    files.push({ name: `etcd_${String(i).padStart(3, "0")}.edn`, model: "register", history: etcdHistory(seed * 1000 + i, ops, invalid), expected: invalid ? "invalid" : "valid" });
  }
  for (const clients of [1, 10, 50]) {
    for (const invalid of [false, true]) {
      const history = generateHistory({ model: "kv", clients, ops: 1000 + clients * 40, keys: 10, seed: seed + clients, invalid, partitions: false });
      files.push({ name: `c${String(clients).padStart(2, "0")}-${invalid ? "bad" : "ok"}.edn`, model: "kv", history, expected: invalid ? "invalid" : "valid" });
    }
  }
  return files;
}
