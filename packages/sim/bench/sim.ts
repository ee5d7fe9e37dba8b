/**
 * Benchmark (`npm run bench`): simulated seconds per wall second for a
 * 5-node in-process cluster under faults at 100 ops/s, and seeds per minute
 * for the in-process swarm. Goal: at least 200x faster than real time.
 */
import { runInProcess } from "../src/run/in-process.js";
import { DEFAULT_CONFIG, type RunConfig } from "../src/run/config.js";
import { FAULT_KINDS } from "../src/nemesis/schedule.js";
import { runSwarmInline } from "../src/swarm/swarm.js";

const allFaults = [...FAULT_KINDS];

/** Simulated and wall milliseconds of the 5-node exactly-once runs, for their total row. */
const totals = { simulatedMs: 0, wallMs: 0, cpuMs: 0, ops: 0, events: 0 };

async function simSpeed(label: string, config: RunConfig, total = false): Promise<string[]> {
  const cpu0 = process.cpuUsage();
  const a = await runInProcess(config);
  const cpu = process.cpuUsage(cpu0);
  const r = a.results!;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const opsPerS = r.ops.invoked / (r.simulatedMs / 1000);
  if (total) {
    totals.simulatedMs += r.simulatedMs;
    totals.wallMs += r.wallMs;
    totals.cpuMs += cpuMs;
    totals.ops += r.ops.invoked;
    totals.events += a.nodeStats.events ?? 0;
  }
  return [
    label,
    (r.simulatedMs / 1000).toFixed(1),
    (r.wallMs / 1000).toFixed(2),
    `${(r.simulatedMs / r.wallMs).toFixed(0)}x`,
    `${(r.simulatedMs / cpuMs).toFixed(0)}x`,
    String(r.ops.invoked),
    opsPerS.toFixed(0),
    String(a.nodeStats.events),
    r.verdict,
  ];
}

function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(w[i]!)).join("  ");
  return [line(head), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

// 32 clients, so that the achieved rate stays near the 100 ops/s target
// while faults stall some of them (each client has one operation at a time).
const base: RunConfig = { ...DEFAULT_CONFIG, nodes: 5, rate: 100, concurrency: 32, nemesis: allFaults, workload: "exactly-once" };
// Warm the JIT so the figures measure the steady state, not module loading.
for (const seed of ["warmup-1", "warmup-2", "warmup-3"]) await runInProcess({ ...base, seed, timeLimitS: 10 });

const rows: string[][] = [];
for (const seed of ["1", "2", "3"]) rows.push(await simSpeed(`5 nodes exactly-once seed ${seed}`, { ...base, seed, timeLimitS: 60 }, true));
rows.push([
  "5 nodes exactly-once, seeds 1-3",
  (totals.simulatedMs / 1000).toFixed(1),
  (totals.wallMs / 1000).toFixed(2),
  `${(totals.simulatedMs / totals.wallMs).toFixed(0)}x`,
  `${(totals.simulatedMs / totals.cpuMs).toFixed(0)}x`,
  String(totals.ops),
  (totals.ops / (totals.simulatedMs / 1000)).toFixed(0),
  String(totals.events),
  "",
]);
rows.push(await simSpeed("5 nodes lin-kv seed 1", { ...base, seed: "1", workload: "lin-kv", timeLimitS: 60 }));
rows.push(await simSpeed("3 nodes exactly-once seed 1", { ...base, nodes: 3, seed: "1", timeLimitS: 60 }));
console.log("Simulation speed: simulated seconds per wall second of the run (cpu speed: per CPU second, checkers included), every fault, 100 ops/s target, 32 clients\n");
console.log(table(["run", "sim s", "wall s", "speed", "cpu speed", "ops", "ops/s", "events", "verdict"], rows));

const swarmRows: string[][] = [];
for (const jobs of [1, 2]) {
  const seeds = 100;
  const t0 = performance.now();
  const swarm = await runSwarmInline({ seeds, startSeed: 1, jobs, base: { ...DEFAULT_CONFIG, nodes: 3, timeLimitS: 5, nemesis: allFaults } });
  const wallS = (performance.now() - t0) / 1000;
  swarmRows.push([String(seeds), String(jobs), String(swarm.ops), wallS.toFixed(1), ((seeds / wallS) * 60).toFixed(0), String(swarm.invalid), String(swarm.unknown)]);
}
console.log(`\nSwarm (kv-sim swarm): seeds of 5 s simulated, 3 nodes, workloads in turn, every fault`);
console.log(table(["seeds", "jobs", "ops", "wall s", "seeds/min", "invalid", "unknown"], swarmRows));
