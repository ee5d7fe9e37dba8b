/**
 * The measuring half of the simulation bench (bench/sim.ts runs it in a
 * child process, compiled as kv-sim's bundle is, or from these sources
 * through tsx): three 60 s warm-up runs, then 60 s simulated runs under
 * every fault at a 100 ops/s target with 32 clients (`--repeat N`: N passes
 * over them), one JSON line per run on stdout; then the 5-node exactly-once
 * runs once more with every event timed, one `EventBreakdown` line.
 */
import { runInProcess } from "../src/run/in-process.js";
import { DEFAULT_CONFIG, type RunConfig } from "../src/run/config.js";
import { FAULT_KINDS } from "../src/nemesis/schedule.js";

/** One measured run, as bench/sim.ts reads it. */
export interface SpeedRow {
  label: string;
  /** Which pass over the measured runs (0, 1, ...: `--repeat N` runs them N times). */
  pass: number;
  /** Part of the 5-node exactly-once total. */
  total: boolean;
  simulatedMs: number;
  wallMs: number;
  cpuMs: number;
  ops: number;
  events: number;
  verdict: string;
}

/** Where the wall time of the 5-node exactly-once runs went: inside events by kind, and between them. */
export interface EventBreakdown {
  breakdown: true;
  wallMs: number;
  events: number;
  kinds: Array<{ kind: string; events: number; ms: number }>;
}

// 32 clients, so that the achieved rate stays near the 100 ops/s target
// while faults stall some of them (each client has one operation at a time).
const base: RunConfig = { ...DEFAULT_CONFIG, nodes: 5, rate: 100, concurrency: 32, nemesis: [...FAULT_KINDS], workload: "exactly-once" };

async function measure(pass: number, label: string, config: RunConfig, total = false): Promise<void> {
  const a = await runInProcess(config);
  const r = a.results!;
  const row: SpeedRow = { label, pass, total, simulatedMs: r.simulatedMs, wallMs: a.wallMs, cpuMs: a.cpuMs ?? a.wallMs, ops: r.ops.invoked, events: a.nodeStats.events ?? 0, verdict: r.verdict };
  process.stdout.write(JSON.stringify(row) + "\n");
}

// Warm the JIT so the figures measure the steady state, not module loading
// or a cold JIT: warm-up runs of the measured shape, since after three 10 s
// runs the first 60 s run still ran at about half the speed of the next ones.
for (const seed of ["warmup-1", "warmup-2", "warmup-3"]) await runInProcess({ ...base, seed, timeLimitS: 60 });

// `--repeat N`: the measured runs N times over, so bench/sim.ts can print each one's median.
const at = process.argv.indexOf("--repeat");
const passes = at === -1 ? 1 : Number(process.argv[at + 1]);
for (let pass = 0; pass < passes; pass++) {
  for (const seed of ["1", "2", "3"]) await measure(pass, `5 nodes exactly-once seed ${seed}`, { ...base, seed, timeLimitS: 60 }, true);
  await measure(pass, "5 nodes lin-kv seed 1", { ...base, seed: "1", workload: "lin-kv", timeLimitS: 60 });
  await measure(pass, "3 nodes exactly-once seed 1", { ...base, nodes: 3, seed: "1", timeLimitS: 60 });
}

// The breakdown: the total runs again with every event timed (the timing's own cost lands in the events' times).
const kinds = new Map<string, { events: number; ms: number }>();
const breakdown: EventBreakdown = { breakdown: true, wallMs: 0, events: 0, kinds: [] };
for (const seed of ["1", "2", "3"]) {
  const a = await runInProcess({ ...base, seed, timeLimitS: 60 }, { profileEvents: true });
  breakdown.wallMs += a.wallMs;
  breakdown.events += a.nodeStats.events ?? 0;
  for (const k of a.eventProfile ?? []) {
    const t = kinds.get(k.kind) ?? { events: 0, ms: 0 };
    kinds.set(k.kind, { events: t.events + k.events, ms: t.ms + k.ms });
  }
}
breakdown.kinds = [...kinds].map(([kind, k]) => ({ kind, ...k })).sort((a, b) => b.ms - a.ms);
process.stdout.write(JSON.stringify(breakdown) + "\n");
