/**
 * HTTP benchmark: PUT throughput and p50/p99 latency through the
 * HTTP front of a real 3-node localhost cluster (fsync on), at 1, 8 and 64
 * concurrent keep-alive connections. When an `etcd` binary is on PATH, the
 * same load runs against a 3-node etcd on localhost through its JSON gateway
 * (`POST /v3/kv/put`, base64 key and value) and both are printed side by
 * side with the ratio.
 *
 *   npx tsx bench/http.ts [--duration-ms 3000] [--warmup-ms 1000] [--start-warmup-ms 6000] [--conns 1,8,64] [--rounds 3] [--no-etcd] [-v]
 *
 * Both systems get the same shape of load: each connection sends one PUT at
 * a time, straight to the leader (no redirects), to one of 100 keys of its
 * own. Both clusters run for the whole bench and the levels alternate
 * (dslab at 1, etcd at 1, dslab at 8, ...), so on a machine shared with
 * other jobs both see the same conditions; `--rounds N` repeats the levels
 * and prints each system's median round. Before the first level, each
 * cluster takes `--start-warmup-ms` of the same load, unmeasured and split
 * over the levels: a Node server runs its first thousands of requests
 * before V8 has compiled their paths (etcd's Go is compiled ahead, though
 * its first seconds are slower too), so without it the first level
 * measured dslab's start-up more than its steady state
 * (`--start-warmup-ms 0` shows that). Beside each level, the CPU time
 * (user + system, from /proc on Linux) the three servers spent per
 * acknowledged PUT: on a machine shared with other work, the system that
 * needs less CPU per write loses less to it. Not a timed test: it prints a
 * table.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureSecretIn, freePortRun } from "../src/testing/processes.js";
import { wholeNumber } from "./options.js";

const { values } = parseArgs({
  options: {
    "duration-ms": { type: "string", default: "3000" },
    "warmup-ms": { type: "string", default: "1000" },
    "start-warmup-ms": { type: "string", default: "6000" },
    conns: { type: "string", default: "1,8,64" },
    "no-etcd": { type: "boolean", default: false },
    rounds: { type: "string", default: "3" },
    verbose: { type: "boolean", short: "v", default: false },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "Usage: tsx bench/http.ts [--duration-ms 3000] [--warmup-ms 1000] [--start-warmup-ms 6000] [--conns 1,8,64] [--rounds 3] [--no-etcd] [-v]\n\n" +
      "  --duration-ms      measured time per level\n" +
      "  --warmup-ms        unmeasured load before each level\n" +
      "  --start-warmup-ms  unmeasured load each cluster takes once it has started, split over the levels (0: measure from a cold start)\n" +
      "  --conns            the levels: concurrent keep-alive connections, one PUT outstanding on each\n" +
      "  --rounds           how many times the levels run; each system's median round is printed\n" +
      "  --no-etcd          dslab alone, even with an etcd binary on PATH\n" +
      "  -v                 the servers' logs on stderr",
  );
  process.exit(0);
}
const count = (name: string, text: string, min: number): number => wholeNumber("bench/http", name, text, min);
const durationMs = count("duration-ms", values["duration-ms"]!, 1);
const warmupMs = count("warmup-ms", values["warmup-ms"]!, 0);
const startWarmupMs = count("start-warmup-ms", values["start-warmup-ms"]!, 0);
const levels = values.conns!.split(",").map((c) => count("conns", c, 1));
const rounds = count("rounds", values.rounds!, 1);
const verbose = values.verbose === true;
const BIN = fileURLToPath(new URL("../bin/kv-cluster.js", import.meta.url));

const children: ChildProcess[] = [];
const tmpDirs: string[] = [];
/** Set once the bench stops its servers: an exit before that is a failure worth saying. */
let stopping = false;
function cleanup(): void {
  stopping = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
}
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));

/**
 * A server process. Its stderr goes to the terminal with -v; otherwise the
 * last lines are kept, and printed if it exits before the bench stops it
 * (its figures, and the CPU column, would then be of a smaller cluster).
 */
function spawnLogged(cmd: string, args: string[], name: string): ChildProcess {
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", verbose ? "inherit" : "pipe"] });
  let tail = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (tail = (tail + d).slice(-4000)));
  child.on("exit", (code, signal) => {
    if (stopping) return;
    const last = tail.trimEnd().split("\n").slice(-8).join("\n");
    console.error(`bench/http: ${name} exited (${signal ?? `code ${code}`}) before the bench stopped it${last ? `; its last lines:\n${last}` : ""}`);
  });
  children.push(child);
  return child;
}

interface Res {
  status: number;
  text: string;
}

function request(agent: http.Agent | undefined, url: string, method: string, body?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {} }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

// --------------------------------------------------------------- load ----

interface Target {
  name: string;
  /** The cluster's three server processes. */
  pids: number[];
  /** One PUT of `value` to `key`; resolves true when acknowledged. */
  put(agent: http.Agent, key: string, value: string): Promise<boolean>;
}

interface Level {
  conns: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU (user + system) the three servers spent per acknowledged PUT, in µs; NaN where /proc is not there. */
  cpuUsPerOp: number;
}

/** User + system seconds of these processes so far, from /proc (Linux); NaN elsewhere or once one has exited. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      return NaN;
    }
  }
  return ticks / 100; // clock ticks: USER_HZ is 100 on Linux
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** The unmeasured load a cluster takes once it has started: `ms` in all, split over the levels. */
async function warmUp(target: Target, ms: number): Promise<void> {
  for (const conns of levels) await runLevel(target, conns, ms / levels.length, 0);
}

async function runLevel(target: Target, conns: number, warmMs = warmupMs, measureMs = durationMs): Promise<Level> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const measureFrom = start + warmMs;
  const end = measureFrom + measureMs;
  // The servers' CPU over the measured window (a read when the warm-up ends, one at the end).
  let cpuFrom = NaN;
  const warmedUp = setTimeout(() => (cpuFrom = cpuSeconds(target.pids)), warmMs);
  await Promise.all(
    Array.from({ length: conns }, async (_, w) => {
      for (let i = 0; ; i++) {
        const t0 = performance.now();
        if (t0 >= end) return;
        const ok = await target.put(agent, `bench-${w}-${i % 100}`, String(i)).catch(() => false);
        const t1 = performance.now();
        if (t0 < measureFrom) continue;
        if (ok) latencies.push(t1 - t0);
        else errors++;
      }
    }),
  );
  clearTimeout(warmedUp);
  const cpuS = cpuSeconds(target.pids) - cpuFrom;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const cpuUsPerOp = (cpuS / latencies.length) * 1e6;
  return { conns, opsPerSec: latencies.length / (measureMs / 1000), p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), errors, cpuUsPerOp };
}

// -------------------------------------------------------------- dslab ----

async function startDslab(): Promise<Target> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dslab-bench-http-"));
  tmpDirs.push(dir);
  const base = await freePortRun(6);
  const httpBase = base + 3;
  await ensureSecretIn(dir);
  const pids: number[] = [];
  for (const id of ["n1", "n2", "n3"]) {
    // The launcher runs the node in this process (its sh line execs node), so the pid is the server's.
    const child = spawnLogged(process.execPath, [BIN, "node", "--id", id, "--nodes", "3", "--base-port", String(base), "--http-port", String(httpBase), "--data-dir", dir], id);
    pids.push(child.pid!);
  }
  const urls = [0, 1, 2].map((i) => `http://127.0.0.1:${httpBase + i}`);
  // The leader answers a GET itself (404 for a missing key); followers redirect.
  const leaderUrl = await until("a dslab leader", 20_000, async () => {
    for (const u of urls) {
      const r = await request(undefined, `${u}/kv/__probe`, "GET").catch(() => undefined);
      if (r && (r.status === 404 || r.status === 200)) return u;
    }
    return undefined;
  });
  if (verbose) console.error(`dslab leader at ${leaderUrl}`);
  return {
    name: "dslab",
    pids,
    put: async (agent, key, value) => (await request(agent, `${leaderUrl}/kv/${key}`, "PUT", `{"value":${JSON.stringify(value)}}`)).status === 200,
  };
}

// --------------------------------------------------------------- etcd ----

function etcdBinary(): string | undefined {
  try {
    return execFileSync("which", ["etcd"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

async function startEtcd(bin: string): Promise<Target> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dslab-bench-etcd-"));
  tmpDirs.push(dir);
  const base = await freePortRun(6);
  const names = ["e1", "e2", "e3"];
  const clientUrl = (i: number) => `http://127.0.0.1:${base + i}`;
  const peerUrl = (i: number) => `http://127.0.0.1:${base + 3 + i}`;
  const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(",");
  const pids = names.map((name, i) =>
    spawnLogged(
      bin,
      [
        "--name", name, "--data-dir", path.join(dir, name),
        "--listen-client-urls", clientUrl(i), "--advertise-client-urls", clientUrl(i),
        "--listen-peer-urls", peerUrl(i), "--initial-advertise-peer-urls", peerUrl(i),
        "--initial-cluster", initialCluster, "--initial-cluster-state", "new", "--initial-cluster-token", "dslab-bench",
        "--log-level", "error",
      ],
      name,
    ).pid!,
  );
  const leaderUrl = await until("an etcd leader", 30_000, async () => {
    for (let i = 0; i < 3; i++) {
      const r = await request(undefined, `${clientUrl(i)}/v3/maintenance/status`, "POST", "{}");
      const s = JSON.parse(r.text) as { leader?: string; header?: { member_id?: string } };
      if (s.leader && s.leader !== "0" && s.leader === s.header?.member_id) return clientUrl(i);
    }
    return undefined;
  });
  if (verbose) console.error(`etcd leader at ${leaderUrl}`);
  return {
    name: "etcd",
    pids,
    put: async (agent, key, value) =>
      (await request(agent, `${leaderUrl}/v3/kv/put`, "POST", JSON.stringify({ key: b64(key), value: b64(JSON.stringify(value)) }))).status === 200,
  };
}

// -------------------------------------------------------------- table ----

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "-");

/** The round whose throughput is the median (so its latencies are one run's, not mixed). */
function median(runs: Level[]): Level {
  const sorted = [...runs].sort((a, b) => a.opsPerSec - b.opsPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function main(): Promise<void> {
  const cpus = os.cpus().length;
  console.log(
    `HTTP PUT through a 3-node localhost cluster, fsync on; ${cpus} CPU(s), load average ${os.loadavg()[0]!.toFixed(1)}; ` +
      `${startWarmupMs > 0 ? `${startWarmupMs} ms warm-up per cluster at start` : "measured from a cold start"}, then ${warmupMs} ms warm-up + ${durationMs} ms per level` +
      `${rounds > 1 ? `, ${rounds} rounds (median)` : ""}`,
  );
  const dslab = await startDslab();
  const bin = values["no-etcd"] ? undefined : etcdBinary();
  let etcd: Target | undefined;
  if (bin) {
    // etcd is the comparison, not the subject: if it cannot start, print dslab's figures alone.
    try {
      etcd = await startEtcd(bin);
    } catch (e) {
      console.log(`etcd: ${bin} did not start (${(e as Error).message}); dslab only (-v shows etcd's log)`);
    }
  } else {
    console.log(values["no-etcd"] ? "etcd: skipped (--no-etcd)" : "etcd: no `etcd` binary on PATH (Debian: apt install etcd-server); dslab only");
  }
  if (startWarmupMs > 0) {
    await warmUp(dslab, startWarmupMs);
    if (etcd) {
      try {
        await warmUp(etcd, startWarmupMs);
      } catch (e) {
        console.log(`etcd: failed under load (${(e as Error).message}); dslab only`);
        etcd = undefined;
      }
    }
  }
  const dslabRuns = levels.map(() => [] as Level[]);
  const etcdRuns = levels.map(() => [] as Level[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, c] of levels.entries()) {
      // Alternate which goes first, so neither always follows the other's load.
      const order: Array<[Target, Level[][]]> = [[dslab, dslabRuns]];
      if (etcd) order.splice((round + i) % 2, 0, [etcd, etcdRuns]);
      for (const [target, runs] of order) {
        try {
          runs[i]!.push(await runLevel(target, c));
        } catch (e) {
          if (target !== etcd) throw e;
          console.log(`etcd: failed under load (${(e as Error).message}); dslab only`);
          etcd = undefined;
        }
      }
    }
  }
  stopping = true;
  for (const c of children.splice(0)) c.kill("SIGKILL");
  const dslabLevels = dslabRuns.map(median);
  const etcdLevels = etcdRuns.every((r) => r.length > 0) ? etcdRuns.map(median) : undefined;

  const header = ["conns", "dslab ops/s", "p50 ms", "p99 ms", "errors", "cpu µs/op"];
  if (etcdLevels) header.push("etcd ops/s", "p50 ms", "p99 ms", "errors", "cpu µs/op", "dslab/etcd");
  const rows = dslabLevels.map((d, i) => {
    const row = [String(d.conns), fmt(d.opsPerSec, 0), fmt(d.p50, 2), fmt(d.p99, 2), String(d.errors), fmt(d.cpuUsPerOp, 0)];
    const e = etcdLevels?.[i];
    if (e) row.push(fmt(e.opsPerSec, 0), fmt(e.p50, 2), fmt(e.p99, 2), String(e.errors), fmt(e.cpuUsPerOp, 0), `${fmt(d.opsPerSec / e.opsPerSec, 2)}x`);
    return row;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join("  ");
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(`load average at the end: ${os.loadavg()[0]!.toFixed(1)}`);
}

main()
  .then(() => process.exit(0))
  .catch((e: unknown) => {
    console.error(`bench/http: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  });
