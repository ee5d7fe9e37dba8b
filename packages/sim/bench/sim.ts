/**
 * Benchmark (`npm run bench`): simulated seconds per wall second for a
 * 5-node in-process cluster under every fault at a 100 ops/s target, with
 * the events and operations per second behind it, and the swarm's seeds per
 * minute on 1 and 2 jobs (each a `kv-sim swarm` process, start-up included).
 *
 *   tsx bench/sim.ts [--swarm-seeds 1000] [--no-swarm]
 */
import { execFile } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runInProcess } from "../src/run/in-process.js";
import { DEFAULT_CONFIG, type RunConfig } from "../src/run/config.js";
import { FAULT_KINDS } from "../src/nemesis/schedule.js";

const { values: args } = parseArgs({ options: { "swarm-seeds": { type: "string", default: "1000" }, "no-swarm": { type: "boolean", default: false } } });
const allFaults = [...FAULT_KINDS];

/** The 5-node exactly-once runs, for their total row. */
const totals = { simulatedMs: 0, wallMs: 0, cpuMs: 0, ops: 0, events: 0 };

async function simSpeed(label: string, config: RunConfig, total = false): Promise<string[]> {
  const a = await runInProcess(config);
  const r = a.results!;
  const cpuMs = a.cpuMs ?? r.wallMs;
  const events = a.nodeStats.events ?? 0;
  if (total) {
    totals.simulatedMs += r.simulatedMs;
    totals.wallMs += a.wallMs;
    totals.cpuMs += cpuMs;
    totals.ops += r.ops.invoked;
    totals.events += events;
  }
  return row(label, r.simulatedMs, a.wallMs, cpuMs, r.ops.invoked, events, r.verdict);
}

function row(label: string, simulatedMs: number, wallMs: number, cpuMs: number, ops: number, events: number, verdict: string): string[] {
  const wallS = wallMs / 1000;
  return [
    label,
    (simulatedMs / 1000).toFixed(1),
    wallS.toFixed(2),
    `${(simulatedMs / wallMs).toFixed(0)}x`,
    `${(simulatedMs / cpuMs).toFixed(0)}x`,
    String(ops),
    (ops / (simulatedMs / 1000)).toFixed(0),
    String(events),
    (events / wallS / 1000).toFixed(0) + "k",
    (ops / wallS).toFixed(0),
    verdict,
  ];
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(w[i]!)).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

const load = (): string => loadavg().map((l) => l.toFixed(1)).join(" ");

// 32 clients, so that the achieved rate stays near the 100 ops/s target
// while faults stall some of them (each client has one operation at a time).
const base: RunConfig = { ...DEFAULT_CONFIG, nodes: 5, rate: 100, concurrency: 32, nemesis: allFaults, workload: "exactly-once" };
// Warm the JIT so the figures measure the steady state, not module loading.
for (const seed of ["warmup-1", "warmup-2", "warmup-3"]) await runInProcess({ ...base, seed, timeLimitS: 10 });

console.log(`load average before: ${load()}`);
const rows: string[][] = [];
for (const seed of ["1", "2", "3"]) rows.push(await simSpeed(`5 nodes exactly-once seed ${seed}`, { ...base, seed, timeLimitS: 60 }, true));
rows.push(row("5 nodes exactly-once, seeds 1-3", totals.simulatedMs, totals.wallMs, totals.cpuMs, totals.ops, totals.events, ""));
rows.push(await simSpeed("5 nodes lin-kv seed 1", { ...base, seed: "1", workload: "lin-kv", timeLimitS: 60 }));
rows.push(await simSpeed("3 nodes exactly-once seed 1", { ...base, nodes: 3, seed: "1", timeLimitS: 60 }));
console.log(
  "\nSimulation speed, every fault, 100 ops/s target, 32 clients. speed: simulated s per wall s of the simulation (checkers excluded);\n" +
    "cpu speed: per CPU s of the process meanwhile; ops/s: simulated; events/s and ops/wall s: per wall second\n",
);
console.log(table(["run", "sim s", "wall s", "speed", "cpu speed", "ops", "ops/s", "events", "events/s", "ops/wall s", "verdict"], rows));
console.log(`load average after: ${load()}`);

if (!args["no-swarm"]) {
  const seeds = Number(args["swarm-seeds"]);
  const bin = fileURLToPath(new URL("../bin/kv-sim.js", import.meta.url));
  const swarmRows: string[][] = [];
  for (const jobs of [1, 2]) {
    const loadBefore = load();
    const t0 = performance.now();
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [bin, "swarm", "--seeds", String(seeds), "--jobs", String(jobs), "--nodes", "3", "--time-limit-s", "5", "--concurrency", "8", "--json"],
        { maxBuffer: 64 * 1024 * 1024 },
        (err, stdout) => (err && err.code !== 1 ? reject(err) : resolve(stdout)),
      ),
    );
    const wallS = (performance.now() - t0) / 1000;
    const summary = JSON.parse(out.trim().split("\n").at(-1)!).summary as { ops: number; invalid: number; unknown: number };
    swarmRows.push([String(seeds), String(jobs), String(summary.ops), wallS.toFixed(1), ((seeds / wallS) * 60).toFixed(0), String(summary.invalid), String(summary.unknown), loadBefore]);
  }
  console.log(`\nSwarm: kv-sim swarm --seeds ${seeds} --jobs J --nodes 3 --time-limit-s 5 --concurrency 8 (workloads in turn, every fault), wall time of the whole command`);
  console.log(table(["seeds", "jobs", "ops", "wall s", "seeds/min", "invalid", "unknown", "load before"], swarmRows));
  const [one, two] = swarmRows.map((r) => Number(r[3]));
  console.log(`2 jobs / 1 job speed-up: ${(one! / two!).toFixed(2)}x`);
}
