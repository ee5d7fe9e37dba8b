/**
 * The swarm: many in-process seeds, each a full run (safety under faults,
 * heal, liveness, checkers), the workload rotating with the seed. Failing
 * seeds come back with the command that replays each one. With `jobs > 1`
 * the seeds are split over child processes (`kv-sim swarm-worker`), which
 * print one JSON line per seed.
 */
import { fileURLToPath } from "node:url";
import { createPrng } from "@dslab/protocol";
import { execa } from "execa";
import { runInProcess } from "../run/in-process.js";
import { replayCommand, type RunConfig } from "../run/config.js";
import type { Verdict } from "../run/results.js";
import { WORKLOAD_NAMES, type WorkloadName } from "../workload/workloads.js";

export interface SwarmOptions {
  seeds: number;
  startSeed: number;
  jobs: number;
  /** Everything but the seed (and the workload, when `rotateWorkloads`). */
  base: RunConfig;
  /** Cycle lin-kv, exactly-once, sessions by seed. Default true. */
  rotateWorkloads?: boolean;
  /** Which of the cluster's shape the swarm draws per seed instead of taking from `base`. Default: none. */
  spread?: Spread;
  /** Called after every seed. */
  onSeed?: (r: SeedResult, done: number) => void;
  /** Stop at the first failing seed. */
  stopOnFailure?: boolean;
}

export interface SeedResult {
  seed: string;
  workload: WorkloadName;
  verdict: Verdict;
  anomalies: string[];
  ops: number;
  simulatedMs: number;
  wallMs: number;
  command: string;
}

export interface SwarmSummary {
  seeds: number;
  valid: number;
  invalid: number;
  unknown: number;
  ops: number;
  simulatedMs: number;
  wallMs: number;
  failures: SeedResult[];
}

/**
 * The parts of a run's shape a swarm can spread across seeds, so that one
 * swarm explores more of the space than one configuration does: a bug that
 * needs five nodes, or sixteen clients churning sessions for twenty seconds,
 * is found by seeds that draw them.
 */
export interface Spread {
  nodes?: boolean;
  concurrency?: boolean;
  timeLimit?: boolean;
}

/** What a spread draws from, per seed. Weighted toward the cheaper shapes, so a swarm's cost stays near that of 5 s runs on 8 clients. */
export const SPREAD_CHOICES = {
  nodes: [3, 3, 3, 3, 5, 5, 5, 5, 7, 7],
  concurrency: [4, 6, 8, 8, 10, 12, 12, 16],
  timeLimitS: [3, 5, 5, 5, 8, 10, 10, 15, 20],
} as const;

export const SPREAD_ALL: Required<Spread> = { nodes: true, concurrency: true, timeLimit: true };

export function seedConfig(base: RunConfig, seed: number, rotate: boolean, spread: Spread = {}): RunConfig {
  const workload = rotate ? WORKLOAD_NAMES[seed % WORKLOAD_NAMES.length]! : base.workload;
  const config: RunConfig = { ...base, seed: String(seed), workload };
  if (!spread.nodes && !spread.concurrency && !spread.timeLimit) return config;
  // Drawn from the seed alone (never from the run's own PRNG streams), so
  // the replay command, which names the drawn shape, reproduces the run.
  const shape = createPrng(`swarm-shape:${seed}`);
  const nodes = shape.pick(SPREAD_CHOICES.nodes);
  const concurrency = shape.pick(SPREAD_CHOICES.concurrency);
  const timeLimitS = shape.pick(SPREAD_CHOICES.timeLimitS);
  if (spread.nodes) config.nodes = nodes;
  if (spread.concurrency) config.concurrency = concurrency;
  if (spread.timeLimit) config.timeLimitS = timeLimitS;
  return config;
}

export async function runOneSeed(config: RunConfig): Promise<SeedResult> {
  const a = await runInProcess(config);
  const r = a.results!;
  return {
    seed: config.seed,
    workload: config.workload,
    verdict: r.verdict,
    anomalies: r.anomalies.slice(0, 5).map((x) => `${x.check}/${x.kind}: ${x.message}`),
    ops: r.ops.invoked,
    simulatedMs: r.simulatedMs,
    wallMs: r.wallMs,
    command: replayCommand(config),
  };
}

function summarize(results: SeedResult[], wallMs: number): SwarmSummary {
  return {
    seeds: results.length,
    valid: results.filter((r) => r.verdict === "valid").length,
    invalid: results.filter((r) => r.verdict === "invalid").length,
    unknown: results.filter((r) => r.verdict === "unknown").length,
    ops: results.reduce((n, r) => n + r.ops, 0),
    simulatedMs: results.reduce((n, r) => n + r.simulatedMs, 0),
    wallMs,
    failures: results.filter((r) => r.verdict !== "valid").sort((a, b) => Number(a.seed) - Number(b.seed)),
  };
}

/** Seeds of worker `job` of `jobs`: interleaved, so every worker sees every workload. */
export function seedsFor(startSeed: number, seeds: number, job: number, jobs: number): number[] {
  const out: number[] = [];
  for (let s = startSeed + job; s < startSeed + seeds; s += jobs) out.push(s);
  return out;
}

/** Runs in this process (jobs = 1) or fans out to child processes. */
export async function runSwarmInline(opts: SwarmOptions): Promise<SwarmSummary> {
  const t0 = performance.now();
  const rotate = opts.rotateWorkloads ?? true;
  const spread = opts.spread ?? {};
  const results: SeedResult[] = [];
  if (opts.jobs <= 1) {
    for (const s of seedsFor(opts.startSeed, opts.seeds, 0, 1)) {
      const r = await runOneSeed(seedConfig(opts.base, s, rotate, spread));
      results.push(r);
      opts.onSeed?.(r, results.length);
      if (opts.stopOnFailure && r.verdict !== "valid") break;
    }
    return summarize(results, performance.now() - t0);
  }
  const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
  const workers = Array.from({ length: opts.jobs }, async (_, job) => {
    const seeds = seedsFor(opts.startSeed, opts.seeds, job, opts.jobs);
    if (seeds.length === 0) return;
    const child = execa(process.execPath, [
        bin,
        "swarm-worker",
        "--config",
        JSON.stringify(opts.base),
        "--seeds",
        seeds.join(","),
        "--rotate",
        String(rotate),
        "--spread",
        JSON.stringify(spread),
      ], {
      buffer: false,
      stderr: "inherit",
      lines: true,
    });
    for await (const line of child.iterable({ from: "stdout" })) {
      const text = String(line).trim();
      if (!text.startsWith("{")) continue;
      const r = JSON.parse(text) as SeedResult;
      results.push(r);
      opts.onSeed?.(r, results.length);
    }
    await child;
  });
  await Promise.all(workers);
  return summarize(results, performance.now() - t0);
}
