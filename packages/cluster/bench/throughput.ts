/**
 * Throughput benchmark: acknowledged writes/s and p50/p99 latency
 * through a real 3-node localhost TCP cluster with fsync on, at 1, 8 and 64
 * concurrent clients. Each client is one TCP connection with its own
 * client_id, sending `write` requests with increasing seq, one outstanding.
 *
 *   npm run bench -w @dslab/cluster
 *   npx tsx bench/throughput.ts --duration-ms 5000 --clients 1,8,64
 *
 * Not a timed test: it prints a table and the goal (>= 5,000 acked writes/s
 * at 64 clients on a 2-core machine).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { promises as fsp } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureSecretIn, freePortRun } from "../src/testing/processes.js";

const { values } = parseArgs({
  options: {
    "duration-ms": { type: "string", default: "5000" },
    "warmup-ms": { type: "string", default: "1000" },
    clients: { type: "string", default: "1,8,64" },
    "tick-ms": { type: "string", default: "10" },
    /** Measure a cluster that is already running (kv-cluster start) instead of starting one. */
    "base-port": { type: "string" },
    verbose: { type: "boolean", short: "v", default: false },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("Usage: tsx bench/throughput.ts [--duration-ms 5000] [--warmup-ms 1000] [--clients 1,8,64] [--tick-ms 10] [--base-port P: use a running cluster] [-v]");
  process.exit(0);
}
const durationMs = Number(values["duration-ms"]);
const warmupMs = Number(values["warmup-ms"]);
const concurrencies = values.clients!.split(",").map(Number);

const BIN = fileURLToPath(new URL("../bin/kv-cluster.js", import.meta.url));
const NODES = ["n1", "n2", "n3"];

interface Reply {
  type: string;
  code?: number;
  leader?: string;
  in_reply_to?: number;
  [k: string]: unknown;
}

class Conn {
  private next = 1;
  private readonly waiting = new Map<number, (r: Reply) => void>();
  constructor(readonly socket: net.Socket, private readonly src: string) {
    socket.setNoDelay(true);
    readline.createInterface({ input: socket }).on("line", (l) => {
      const body = JSON.parse(l).body as Reply;
      const w = body.in_reply_to === undefined ? undefined : this.waiting.get(body.in_reply_to);
      if (w) {
        this.waiting.delete(body.in_reply_to!);
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
      this.socket.write(`${JSON.stringify({ src: this.src, dest: "n?", body: { ...body, msg_id: id } })}\n`);
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

async function runLoad(basePort: number, leaderPort: number, clients: number, run: string): Promise<Row> {
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
      for (;;) {
        const reply = await conn.request({ type: "write", key: `k${i % 16}`, value: seq, client_id: clientId, seq });
        if (reply.type === "write_ok") {
          if (measuring) {
            acked++;
            latencies.push(performance.now() - t0);
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

async function main(): Promise<void> {
  const external = values["base-port"] !== undefined;
  const dataDir = external ? "(running cluster)" : await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-bench-"));
  const basePort = external ? Number(values["base-port"]) : await freePortRun(3);
  if (!external) await ensureSecretIn(dataDir);
  const children: ChildProcess[] = external ? [] : NODES.map((id) =>
    spawn(
      process.execPath,
      [BIN, "node", "--id", id, "--nodes", "3", "--base-port", String(basePort), "--data-dir", dataDir, "--tick-ms", values["tick-ms"]!],
      { stdio: ["ignore", "ignore", values.verbose ? "inherit" : "ignore"] },
    ),
  );
  const cleanup = async () => {
    for (const c of children) c.kill("SIGKILL");
    if (!external) await fsp.rm(dataDir, { recursive: true, force: true });
  };
  process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));
  try {
    const leaderPort = await waitForLeader(basePort);
    console.log(
      `3-node cluster on 127.0.0.1:${basePort}-${basePort + 2}, fsync on (${dataDir}), ${os.cpus().length} CPUs ` +
        `(load average ${os.loadavg()[0]!.toFixed(1)}: other jobs on these cores lower the figures), ` +
        `leader on port ${leaderPort}; ${durationMs} ms per run after ${warmupMs} ms warm-up`,
    );
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
  } finally {
    await cleanup();
  }
}

await main();
