/**
 * Throughput benchmark: acknowledged writes/s and p50/p99 latency
 * through a real 3-node localhost TCP cluster with fsync on, at 1, 8 and 64
 * concurrent clients. Each client is one TCP connection with its own
 * client_id, sending `write` requests with increasing seq, one outstanding.
 *
 * Then, on a second cluster whose nodes time each write (DSLAB_WRITE_TIMINGS,
 * runtime/write-timing.ts), where a write's time goes, per level: the
 * client's own work, the network and event loops, the leader's write, the
 * replication (to the first follower's acknowledgement) and commit + apply +
 * reply. The first table is measured without that timing. Each cluster
 * first takes `--start-warmup-ms` of unmeasured load, split over the levels,
 * so the first level is not its start-up (V8 compiling the write path).
 *
 *   npm run bench -w @dslab/cluster
 *   npx tsx bench/throughput.ts --duration-ms 5000 --clients 1,8,64 [--start-warmup-ms 6000] [--no-breakdown]
 *
 * Not a timed test: it prints tables and the goal (>= 5,000 acked writes/s
 * at 64 clients on a 2-core machine).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { promises as fsp, readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureSecretIn, freePortRun } from "../src/testing/processes.js";
import { wholeNumber } from "./options.js";

const { values } = parseArgs({
  options: {
    "duration-ms": { type: "string", default: "5000" },
    "warmup-ms": { type: "string", default: "1000" },
    "start-warmup-ms": { type: "string", default: "6000" },
    clients: { type: "string", default: "1,8,64" },
    "tick-ms": { type: "string", default: "10" },
    "no-breakdown": { type: "boolean", default: false },
    "breakdown-ms": { type: "string", default: "3000" },
    /** Measure a cluster that is already running (kv-cluster start) instead of starting one. */
    "base-port": { type: "string" },
    verbose: { type: "boolean", short: "v", default: false },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "Usage: tsx bench/throughput.ts [--duration-ms 5000] [--warmup-ms 1000] [--start-warmup-ms 6000] [--clients 1,8,64] [--tick-ms 10] [--no-breakdown] [--breakdown-ms 3000] [--base-port P: use a running cluster] [-v]\n\n" +
      "  --duration-ms      measured time per level\n" +
      "  --warmup-ms        unmeasured load before each level\n" +
      "  --start-warmup-ms  unmeasured load each cluster takes before its first level, split over the levels (0: from a cold start)\n" +
      "  --clients          the levels: concurrent clients, one connection and one write outstanding each\n" +
      "  --tick-ms          the nodes' tick\n" +
      "  --no-breakdown     skip the second, timed cluster and its tables\n" +
      "  --breakdown-ms     measured time per level on the timed cluster\n" +
      "  --base-port P      measure a cluster already running on P, P+1, P+2 (no breakdown)\n" +
      "  -v                 the nodes' logs on stderr",
  );
  process.exit(0);
}
const count = (name: string, text: string, min: number): number => wholeNumber("bench/throughput", name, text, min);
let durationMs = count("duration-ms", values["duration-ms"]!, 1);
let warmupMs = count("warmup-ms", values["warmup-ms"]!, 0);
const startWarmupMs = count("start-warmup-ms", values["start-warmup-ms"]!, 0);
const concurrencies = values.clients!.split(",").map((c) => count("clients", c, 1));
const breakdownMs = count("breakdown-ms", values["breakdown-ms"]!, 1);
count("tick-ms", values["tick-ms"]!, 1);
if (values["base-port"] !== undefined) count("base-port", values["base-port"], 1);

const BIN = fileURLToPath(new URL("../bin/kv-cluster.js", import.meta.url));
const NODES = ["n1", "n2", "n3"];

interface Reply {
  type: string;
  code?: number;
  leader?: string;
  in_reply_to?: number;
  [k: string]: unknown;
}

/** The client's own time on one request (ms): encoding and writing it, then reading and decoding the reply. */
interface ClientSide {
  msgId: number;
  ownMs: number;
}

class Conn {
  private next = 1;
  private readonly waiting = new Map<number, (r: Reply) => void>();
  /** The last request's own time, read by the caller after it resolves. */
  last: ClientSide = { msgId: 0, ownMs: 0 };
  private sendMs = 0;
  constructor(readonly socket: net.Socket, private readonly src: string) {
    socket.setNoDelay(true);
    readline.createInterface({ input: socket }).on("line", (l) => {
      const t0 = performance.now();
      const body = JSON.parse(l).body as Reply;
      const w = body.in_reply_to === undefined ? undefined : this.waiting.get(body.in_reply_to);
      if (w) {
        this.waiting.delete(body.in_reply_to!);
        this.last = { msgId: body.in_reply_to!, ownMs: this.sendMs + (performance.now() - t0) };
        w(body);
      }
    });
    socket.on("error", () => {});
  }
  static open(port: number, src: string): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: "127.0.0.1" }, () => resolve(new Conn(s, src)));
      s.once("error", reject);
    });
  }
  request(body: Record<string, unknown>, timeoutMs = 5000): Promise<Reply> {
    const id = this.next++;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ type: "error", code: 0, text: "client timeout" });
      }, timeoutMs);
      this.waiting.set(id, (r) => (clearTimeout(t), resolve(r)));
      const t0 = performance.now();
      this.socket.write(`${JSON.stringify({ src: this.src, dest: "n?", body: { ...body, msg_id: id } })}\n`);
      this.sendMs = performance.now() - t0;
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

/** Connects, retrying every 50 ms for up to 5 s (a node may be restarting). */
async function reconnect(port: number, src: string): Promise<Conn> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await Conn.open(port, src);
    } catch (e) {
      if (attempt >= 100) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function status(port: number): Promise<Reply | null> {
  try {
    const c = await Conn.open(port, "bench-probe");
    const r = await c.request({ type: "status" }, 1000);
    c.close();
    return r.type === "status_ok" ? r : null;
  } catch {
    return null;
  }
}

async function waitForLeader(basePort: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    for (let i = 0; i < NODES.length; i++) if ((await status(basePort + i))?.role === "leader") return basePort + i;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("no leader within 15 s");
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Row {
  clients: number;
  acked: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Definite errors other than "not the leader" (none expected). */
  errors: number;
  /** Redirects, "no leader" and timeouts retried with the same seq (a leader change during the run). */
  retries: number;
}

/** One write acknowledged at the first try, as the client saw it. */
interface Sample {
  src: string;
  msgId: number;
  totalMs: number;
  /** The client's own share (ClientSide). */
  ownMs: number;
}

async function runLoad(basePort: number, leaderPort: number, clients: number, run: string, samples?: Sample[]): Promise<Row> {
  const latencies: number[] = [];
  let acked = 0;
  let errors = 0;
  let retries = 0;
  let measuring = false;
  let stop = false;
  const portOf = (node: string) => basePort + NODES.indexOf(node);
  // One client: one connection, its own client_id, one write outstanding. A
  // redirect (11 + leader) moves it to the leader; "no leader" or a timeout
  // retries the same seq (the session answers it if it was applied).
  const worker = async (i: number) => {
    const clientId = `bench-${run}-${i}`;
    let conn = await Conn.open(leaderPort, clientId);
    let seq = 0;
    while (!stop) {
      seq++;
      const t0 = performance.now();
      for (let attempt = 1; ; attempt++) {
        const reply = await conn.request({ type: "write", key: `k${i % 16}`, value: seq, client_id: clientId, seq });
        if (reply.type === "write_ok") {
          if (measuring) {
            acked++;
            const totalMs = performance.now() - t0;
            latencies.push(totalMs);
            if (samples && attempt === 1) samples.push({ src: clientId, msgId: conn.last.msgId, totalMs, ownMs: conn.last.ownMs });
          }
          break;
        }
        if (stop) break;
        if (reply.code === 11 || reply.code === 0) {
          if (measuring) retries++;
          if (typeof reply.leader === "string" && NODES.includes(reply.leader)) {
            conn.close();
            conn = await reconnect(portOf(reply.leader), clientId);
          } else await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        if (measuring) errors++;
        break;
      }
    }
    conn.close();
  };
  const done = Array.from({ length: clients }, (_, i) => worker(i));
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  const elapsed = performance.now() - t0;
  stop = true;
  await Promise.all(done);
  latencies.sort((a, b) => a - b);
  return { clients, acked, perSecond: acked / (elapsed / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, retries };
}

function spawnCluster(basePort: number, dataDir: string, env: NodeJS.ProcessEnv = process.env): ChildProcess[] {
  return NODES.map((id) =>
    spawn(
      process.execPath,
      [BIN, "node", "--id", id, "--nodes", "3", "--base-port", String(basePort), "--data-dir", dataDir, "--tick-ms", values["tick-ms"]!],
      { stdio: ["ignore", "ignore", values.verbose ? "inherit" : "ignore"], env },
    ),
  );
}

/** A node's timing of one write (runtime/write-timing.ts), as written to DSLAB_WRITE_TIMINGS/<id>.jsonl. */
interface NodeTiming {
  src: string;
  msgId: number;
  durableUs: number | null;
  firstAckUs: number | null;
  repliedUs: number;
}

const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * Runs every level again on a cluster that times each write, joins the
 * nodes' timings with the client's, and prints the mean of each part.
 */
async function breakdown(cleanups: Array<() => Promise<void>>): Promise<void> {
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-bench-timed-"));
  const timings = path.join(dataDir, "timings");
  await fsp.mkdir(timings);
  await ensureSecretIn(dataDir);
  const basePort = await freePortRun(3);
  const children = spawnCluster(basePort, dataDir, { ...process.env, DSLAB_WRITE_TIMINGS: timings });
  const exits = children.map((c) => new Promise<void>((r) => c.once("exit", () => r())));
  cleanups.push(async () => {
    for (const c of children) c.kill("SIGKILL");
    await fsp.rm(dataDir, { recursive: true, force: true });
  });
  const leaderPort = await waitForLeader(basePort);
  const perLevel: Array<{ clients: number; samples: Sample[] }> = [];
  const ms = breakdownMs;
  await warmUp(basePort, leaderPort, "tw");
  for (const [i, c] of concurrencies.entries()) {
    const samples: Sample[] = [];
    await runLoadFor(ms, () => runLoad(basePort, leaderPort, c, `t${i}`, samples));
    perLevel.push({ clients: c, samples });
  }
  // SIGTERM: the nodes write out the timings they still hold as they exit.
  for (const c of children) c.kill("SIGTERM");
  await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5000))]);
  const byRequest = new Map<string, NodeTiming>();
  for (const id of NODES) {
    let text = "";
    try {
      text = readFileSync(path.join(timings, `${id}.jsonl`), "utf8");
    } catch {
      continue; // a node that never led wrote none
    }
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const t = JSON.parse(line) as NodeTiming;
      byRequest.set(`${t.src} ${t.msgId}`, t);
    }
  }
  console.log("");
  console.log(`Where a write's time goes (mean ms per write acknowledged at the first try, ${ms} ms per level on a second cluster that times each write;`);
  console.log("the leader's write and the replication run at once, so the parts after the client's and the network's overlap):");
  console.log("");
  console.log("| clients | writes | total | client | network + event loops | leader write | replication (first follower ack) | commit + apply + reply |");
  console.log("| ------: | -----: | ----: | -----: | --------------------: | -----------: | -------------------------------: | ---------------------: |");
  const tails: string[] = [];
  for (const { clients, samples } of perLevel) {
    const joined = samples.flatMap((s) => {
      const t = byRequest.get(`${s.src} ${s.msgId}`);
      return t ? [{ s, t }] : [];
    });
    console.log(breakdownRow(String(clients), joined));
    // The slowest 1%: where the p99 goes.
    const cut = percentile(joined.map((j) => j.s.totalMs).sort((a, b) => a - b), 99);
    tails.push(breakdownRow(`${clients}, slowest 1%`, joined.filter((j) => j.s.totalMs >= cut)));
  }
  console.log("");
  console.log("The same parts for the writes at or above the p99 of each level:");
  console.log("");
  console.log("| clients | writes | total | client | network + event loops | leader write | replication (first follower ack) | commit + apply + reply |");
  console.log("| ------: | -----: | ----: | -----: | --------------------: | -----------: | -------------------------------: | ---------------------: |");
  for (const row of tails) console.log(row);
}

/** One table row: the mean of each part of a write's time over `joined`. */
function breakdownRow(label: string, joined: Array<{ s: Sample; t: NodeTiming }>): string {
  const parts = { total: [] as number[], client: [] as number[], network: [] as number[], persist: [] as number[], replication: [] as number[], commit: [] as number[] };
  for (const { s, t } of joined) {
    const serverMs = t.repliedUs / 1000;
    parts.total.push(s.totalMs);
    parts.client.push(s.ownMs);
    parts.network.push(Math.max(0, s.totalMs - s.ownMs - serverMs));
    if (t.durableUs !== null) parts.persist.push(t.durableUs / 1000);
    if (t.firstAckUs !== null) parts.replication.push(t.firstAckUs / 1000);
    const ready = Math.max(t.durableUs ?? 0, t.firstAckUs ?? 0) / 1000;
    parts.commit.push(Math.max(0, serverMs - ready));
  }
  const f = (xs: number[]) => mean(xs).toFixed(3);
  return `| ${label.padStart(7)} | ${String(parts.total.length).padStart(6)} | ${f(parts.total)} | ${f(parts.client)} | ${f(parts.network).padStart(21)} | ${f(parts.persist).padStart(12)} | ${f(parts.replication).padStart(32)} | ${f(parts.commit).padStart(22)} |`;
}

/**
 * The unmeasured load a cluster takes before its first level:
 * `--start-warmup-ms` in all, split over the levels. A Node server runs its
 * first thousands of writes before V8 has optimised their paths; without
 * this the first level (1 client) measured the cluster's start-up.
 */
async function warmUp(basePort: number, leaderPort: number, tag: string): Promise<void> {
  if (startWarmupMs === 0) return;
  const saved = warmupMs;
  warmupMs = 0;
  try {
    for (const [i, c] of concurrencies.entries()) await runLoadFor(startWarmupMs / concurrencies.length, () => runLoad(basePort, leaderPort, c, `${tag}${i}`));
  } finally {
    warmupMs = saved;
  }
}

/** runLoad with another duration. */
async function runLoadFor(ms: number, run: () => Promise<Row>): Promise<Row> {
  const saved = durationMs;
  durationMs = ms;
  try {
    return await run();
  } finally {
    durationMs = saved;
  }
}

async function main(): Promise<void> {
  const external = values["base-port"] !== undefined;
  const dataDir = external ? "(running cluster)" : await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-bench-"));
  const basePort = external ? Number(values["base-port"]) : await freePortRun(3);
  if (!external) await ensureSecretIn(dataDir);
  const children: ChildProcess[] = external ? [] : spawnCluster(basePort, dataDir);
  const cleanups: Array<() => Promise<void>> = [
    async () => {
      for (const c of children) c.kill("SIGKILL");
      if (!external) await fsp.rm(dataDir, { recursive: true, force: true });
    },
  ];
  const cleanup = async () => {
    for (const c of cleanups.splice(0)) await c();
  };
  process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));
  try {
    const leaderPort = await waitForLeader(basePort);
    console.log(
      `3-node cluster on 127.0.0.1:${basePort}-${basePort + 2}, fsync on (${dataDir}), ${os.cpus().length} CPUs ` +
        `(load average ${os.loadavg()[0]!.toFixed(1)}: other jobs on these cores lower the figures), ` +
        `leader on port ${leaderPort}; ${startWarmupMs > 0 ? `${startWarmupMs} ms warm-up first, then ` : "from a cold start, "}` +
        `${durationMs} ms per run after ${warmupMs} ms warm-up`,
    );
    await warmUp(basePort, leaderPort, "w");
    const rows: Row[] = [];
    for (const [i, c] of concurrencies.entries()) rows.push(await runLoad(basePort, leaderPort, c, `r${i}`));
    console.log("");
    console.log("| clients | acked writes/s | p50 ms | p99 ms | retries | errors |");
    console.log("| ------: | -------------: | -----: | -----: | ------: | -----: |");
    for (const r of rows) {
      console.log(
        `| ${String(r.clients).padStart(7)} | ${r.perSecond.toFixed(0).padStart(14)} | ${r.p50.toFixed(2).padStart(6)} | ${r.p99.toFixed(2).padStart(6)} | ${String(r.retries).padStart(7)} | ${String(r.errors).padStart(6)} |`,
      );
    }
    const at64 = rows.find((r) => r.clients === 64);
    if (at64) console.log(`\ngoal: >= 5000 acked writes/s at 64 clients: ${at64.perSecond >= 5000 ? "met" : "NOT met"} (${at64.perSecond.toFixed(0)}/s)`);
    if (!external && !values["no-breakdown"]) {
      for (const c of children) c.kill("SIGKILL");
      await breakdown(cleanups);
    }
  } finally {
    await cleanup();
  }
}

await main();
