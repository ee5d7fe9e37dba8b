/**
 * Generated histories for the benchmark and the large tests: clients run
 * operations against one correct (sequential) object; each operation takes
 * effect at a random instant between its call and its return, so the history
 * is linearizable by construction. Partition windows make some operations
 * time out (info): some of those took effect (perhaps late), some never did.
 * `invalid` then corrupts one read in the middle: the register's returns a
 * value that was surely overwritten before the read was called (a stale
 * read); the kv one's gains a value no one appended.
 */
import type { History, Value } from "../src/index.js";
import { HistoryBuilder } from "../src/index.js";

export interface GenerateOptions {
  model: "register" | "kv";
  clients: number;
  ops: number;
  /** Keys: the register uses lin-kv [key value] tuples when > 1. */
  keys: number;
  seed: number;
  invalid: boolean;
  /** Simulate network partitions (timeouts, indefinite operations). */
  partitions: boolean;
}

/** mulberry32: the generators' seeded randomness (the figures in the README were measured on its streams). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface GenOp {
  client: number;
  process: number;
  f: string;
  key: number;
  arg: Value;
  call: number;
  /** When it takes effect; undefined: never. */
  effect: number | undefined;
  /** When the answer arrives; undefined: it timed out (info) at `timeout`. */
  ret: number | undefined;
  timeout: number;
  out: Value;
}

export function generateHistory(o: GenerateOptions): History {
  const rnd = mulberry32(o.seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const perClient = Math.ceil(o.ops / o.clients);
  const gen: GenOp[] = [];
  let nextValue = 1;
  // Partition windows: every ~400 time units, 60 units long.
  const partitioned = (t: number) => o.partitions && t % 400 > 340;
  for (let c = 0; c < o.clients; c++) {
    let t = int(10);
    let process = c;
    for (let i = 0; i < perClient && gen.length < o.ops; i++) {
      const key = int(o.keys);
      const r = rnd();
      let f: string;
      let arg: Value;
      if (o.model === "register") {
        if (r < 0.5) (f = "read"), (arg = null);
        else if (r < 0.85) (f = "write"), (arg = nextValue++);
        else (f = "cas"), (arg = [int(nextValue), nextValue++]);
      } else {
        if (r < 0.45) (f = "get"), (arg = null);
        else if (r < 0.55) (f = "put"), (arg = `x ${c} ${i} y`);
        else (f = "append"), (arg = `x ${c} ${i} y`);
      }
      const latency = 1 + int(20);
      const op: GenOp = { client: c, process, f, key, arg, call: t, effect: t + int(latency), ret: t + latency, timeout: t + 50, out: null };
      if (partitioned(t) && rnd() < 0.7) {
        // Timed out: applied (maybe much later) or lost.
        op.ret = undefined;
        op.effect = rnd() < 0.5 ? t + int(300) : undefined;
        if (f === "read" || f === "get") op.effect = undefined;
        t = op.timeout + 1 + int(5);
        process += o.clients; // Jepsen: a process that timed out is replaced
      } else {
        t = op.ret! + 1 + int(5);
      }
      gen.push(op);
    }
  }
  // Apply effects in effect order to compute what reads returned.
  const byEffect = gen.filter((g) => g.effect !== undefined).sort((a, b) => a.effect! - b.effect! || a.call - b.call);
  const store = new Map<number, Value>();
  const history: GenOp[] = [];
  for (const g of byEffect) {
    const cur = store.get(g.key) ?? (o.model === "kv" ? "" : null);
    switch (g.f) {
      case "read":
      case "get":
        g.out = cur;
        break;
      case "write":
      case "put":
        store.set(g.key, g.arg);
        break;
      case "append":
        store.set(g.key, (cur as string) + (g.arg as string));
        break;
      case "cas": {
        const [from, to] = g.arg as [number, number];
        if (cur === from) store.set(g.key, to);
        else if (g.ret !== undefined) g.ret = -g.ret; // answered: a definite failure
        break;
      }
    }
    history.push(g);
  }
  if (o.invalid) {
    // A stale read in the middle: a read that saw an earlier value of its key.
    const reads = gen.filter((g) => (g.f === "read" || g.f === "get") && g.ret !== undefined && g.out !== null && g.out !== "");
    const mid = reads.slice(Math.floor(reads.length / 2));
    if (o.model === "kv") {
      const victim = mid.find((g) => gen.some((w) => w.key === g.key && (w.f === "write" || w.f === "put") && w.ret !== undefined && w.ret > 0 && w.ret < g.call && w.arg !== g.out));
      if (victim !== undefined) victim.out = (victim.out as string) + "x stale y";
    } else {
      // The register: the value of a write w1 that another write w2 surely
      // overwrote (w1 returned before w2 was called, w2 before the read was
      // called). Values are unique, so nothing wrote it again.
      const done = (w: GenOp) => w.f === "write" && w.ret !== undefined && w.ret > 0;
      for (const g of mid) {
        const w2 = gen.filter((w) => w.key === g.key && done(w) && w.ret! < g.call).sort((a, b) => b.ret! - a.ret!)[0];
        const w1 = w2 && gen.find((w) => w.key === g.key && done(w) && w.ret! < w2.call);
        if (w1 !== undefined && w1.arg !== g.out) {
          g.out = w1.arg;
          break;
        }
      }
    }
  }
  // Emit invoke and completion events in time order.
  const events: Array<[time: number, kind: number, g: GenOp]> = [];
  for (const g of gen) {
    events.push([g.call, 0, g]);
    events.push([g.ret === undefined ? g.timeout : Math.abs(g.ret), 1, g]);
  }
  events.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const b = new HistoryBuilder();
  const tuple = o.model === "register" && o.keys > 1;
  const wrap = (g: GenOp, v: Value): Value => (tuple ? [g.key, v] : v);
  for (const [time, kind, g] of events) {
    const key = o.model === "kv" ? { key: String(g.key) } : {};
    if (kind === 0) b.invoke(g.process, g.f, wrap(g, g.arg), { time: time * 1_000_000, ...key });
    else if (g.ret === undefined) b.info(g.process, { time: time * 1_000_000, error: "net-timeout" });
    else if (g.ret < 0) b.fail(g.process, { time: time * 1_000_000, error: "precondition-failed" });
    else if (g.f === "read" || g.f === "get") b.ok(g.process, wrap(g, g.out), { time: time * 1_000_000 });
    else b.ok(g.process, undefined, { time: time * 1_000_000 });
  }
  return b.build();
}
