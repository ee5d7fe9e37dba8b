/**
 * The swarm: many in-process seeds, each a full run (safety under faults,
 * heal, liveness, checkers), the workload rotating with the seed. Failing
 * seeds come back with the command that replays each one. With `jobs > 1`
 * child processes (`kv-sim swarm-worker`) run seeds beside this one, each
 * handed the next seed when it is free, over Node's IPC channel.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createPrng } from "@dslab/protocol";
import { EXIT_CLOSED_PIPE } from "@dslab/protocol/cli";
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
  /** Each check that could not decide, with its checker's reason ("exactly-once: no append or incr operation to judge ..."); absent when none. */
  unknown?: string[];
  ops: number;
  simulatedMs: number;
  wallMs: number;
  command: string;
}

export interface SwarmSummary {
  /** Seeds run (fewer than asked when stopped at a failure). */
  seeds: number;
  /** Seeds asked for. */
  seedsAsked: number;
  /** Runners used: the jobs asked for, at most one per seed. */
  jobs: number;
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
  // No outputs are written from a swarm (a failing seed is replayed from its command): no message trace.
  const a = await runInProcess(config, { traceMessages: false });
  const r = a.results!;
  const unknown = Object.entries(r.checks)
    .filter(([, c]) => c.valid === "unknown")
    .map(([name, c]) => `${name}: ${typeof c.detail.unknownReason === "string" ? c.detail.unknownReason : "unknown"}`);
  return {
    seed: config.seed,
    workload: config.workload,
    verdict: r.verdict,
    anomalies: r.anomalies.slice(0, 5).map((x) => `${x.check}/${x.kind}: ${x.message}`),
    ...(unknown.length > 0 ? { unknown } : {}),
    ops: r.ops.invoked,
    simulatedMs: r.simulatedMs,
    wallMs: Math.round(r.wallMs),
    command: replayCommand(config),
  };
}

function summarize(results: SeedResult[], wallMs: number, seedsAsked: number, jobs: number): SwarmSummary {
  return {
    seeds: results.length,
    seedsAsked,
    jobs,
    valid: results.filter((r) => r.verdict === "valid").length,
    invalid: results.filter((r) => r.verdict === "invalid").length,
    unknown: results.filter((r) => r.verdict === "unknown").length,
    ops: results.reduce((n, r) => n + r.ops, 0),
    simulatedMs: results.reduce((n, r) => n + r.simulatedMs, 0),
    wallMs: Math.round(wallMs),
    failures: results.filter((r) => r.verdict !== "valid").sort((a, b) => Number(a.seed) - Number(b.seed)),
  };
}

/**
 * The seeds still to run, handed out one at a time in seed order to whichever
 * runner (this process or a child) is free, so a slow seed or a busy core
 * holds up one runner, not a fixed share of the seeds.
 */
class SeedQueue {
  private next: number;
  stopped = false;
  constructor(
    start: number,
    private readonly end: number,
  ) {
    this.next = start;
  }
  take(): number | undefined {
    if (this.stopped || this.next >= this.end) return undefined;
    return this.next++;
  }
}

/** What a child process runs, as `kv-sim swarm-worker` reads it from its command line. */
export interface WorkerSetup {
  base: RunConfig;
  rotate: boolean;
  spread: Spread;
}

/** Messages between the swarm and its children (Node's IPC channel). */
export type ToWorker = { seed: number } | { done: true };
export type FromWorker = { ready: true } | { result: SeedResult } | { error: string };

/**
 * Seeds a child holds at once: one running and three waiting, so it never
 * idles while this process is busy with a seed of its own. This process
 * hears a child only between two of its own seeds or when its scheduler lets
 * the event loop turn (every 20 ms of wall time), and a 3-node seed of the
 * swarm's default shape takes about 10 to 15 ms: with one seed waiting, a
 * child sat idle about 100 times per 1,000 seeds (0.3 to 0.5 s in all).
 */
const CHILD_SEEDS_IN_HAND = 4;

/**
 * Runs the swarm: with `jobs` J (at most one per seed), J seeds at a time, one in this process and
 * one in each of J - 1 child processes (`kv-sim swarm-worker`, forked at the
 * start; this process runs seeds while they start up). Results arrive in
 * completion order; the summary sorts the failures by seed.
 */
export async function runSwarmInline(opts: SwarmOptions): Promise<SwarmSummary> {
  const t0 = performance.now();
  const setup: WorkerSetup = { base: opts.base, rotate: opts.rotateWorkloads ?? true, spread: opts.spread ?? {} };
  const queue = new SeedQueue(opts.startSeed, opts.startSeed + opts.seeds);
  const results: SeedResult[] = [];
  const record = (r: SeedResult): void => {
    results.push(r);
    opts.onSeed?.(r, results.length);
    if (opts.stopOnFailure && r.verdict !== "valid") queue.stopped = true;
  };
  // A runner without a seed of its own would start a process for nothing.
  const jobs = Math.max(1, Math.min(opts.jobs, opts.seeds));
  const runners: Promise<void>[] = [];
  for (let j = 1; j < jobs; j++) runners.push(childRunner(setup, queue, record));
  runners.push(localRunner(setup, queue, record, jobs > 1));
  await Promise.all(runners);
  return summarize(results, performance.now() - t0, opts.seeds, jobs);
}

async function localRunner(setup: WorkerSetup, queue: SeedQueue, record: (r: SeedResult) => void, shareLoop: boolean): Promise<void> {
  for (let s = queue.take(); s !== undefined; s = queue.take()) {
    record(await runOneSeed(seedConfig(setup.base, s, setup.rotate, setup.spread)));
    // Let the children's messages in between two seeds.
    if (shareLoop) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function childRunner(setup: WorkerSetup, queue: SeedQueue, record: (r: SeedResult) => void): Promise<void> {
  const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
  return new Promise<void>((resolve, reject) => {
    const child = fork(bin, ["swarm-worker", "--config", JSON.stringify(setup.base), "--rotate", String(setup.rotate), "--spread", JSON.stringify(setup.spread)], {
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    let inHand = 0;
    let finished = false;
    const fail = (why: string): void => {
      if (finished) return;
      finished = true;
      child.kill();
      reject(new Error(`kv-sim swarm: a worker process ${why}`));
    };
    const topUp = (): void => {
      while (inHand < CHILD_SEEDS_IN_HAND) {
        const seed = queue.take();
        if (seed === undefined) break;
        inHand++;
        child.send({ seed } satisfies ToWorker);
      }
      if (inHand === 0 && !finished) {
        finished = true;
        child.send({ done: true } satisfies ToWorker);
      }
    };
    child.on("message", (m: FromWorker) => {
      if ("ready" in m) return topUp();
      if ("error" in m) return fail(`failed: ${m.error}`);
      inHand--;
      record(m.result);
      topUp();
    });
    child.on("error", (e) => fail(`could not start: ${e.message}`));
    child.on("exit", (code, signal) => {
      if (finished && inHand === 0) resolve();
      else fail(`exited (${signal ?? `code ${code}`}) with ${inHand} seed(s) unfinished`);
    });
  });
}

/**
 * The child's side (`kv-sim swarm-worker`): says it is ready, runs each seed
 * it is handed in order, and sends back each result. When the swarm is gone
 * (stopped by a signal, or failed), the channel closes and the worker ends
 * quietly, as a program whose reader went away: no seed runs for nobody, and
 * no write to the closed channel is told as an error.
 */
export function serveSwarmWorker(setup: WorkerSetup): Promise<void> {
  const orphaned = (): never => process.exit(EXIT_CLOSED_PIPE);
  process.once("disconnect", orphaned);
  const send = (m: FromWorker): void => {
    if (process.connected) process.send!(m, undefined, undefined, (e) => void (e && orphaned()));
  };
  return new Promise<void>((resolve) => {
    const waiting: number[] = [];
    let running = false;
    let done = false;
    const pump = async (): Promise<void> => {
      if (running) return;
      running = true;
      try {
        for (let s = waiting.shift(); s !== undefined; s = waiting.shift()) {
          send({ result: await runOneSeed(seedConfig(setup.base, s, setup.rotate, setup.spread)) });
          await new Promise<void>((r) => setImmediate(r));
        }
      } catch (e) {
        send({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      }
      running = false;
      if (done && waiting.length === 0) finish();
    };
    const finish = (): void => {
      process.off("message", onMessage);
      process.off("disconnect", orphaned);
      process.disconnect?.();
      resolve();
    };
    const onMessage = (m: ToWorker): void => {
      if ("done" in m) {
        done = true;
        if (!running && waiting.length === 0) finish();
        return;
      }
      waiting.push(m.seed);
      void pump();
    };
    process.on("message", onMessage);
    send({ ready: true });
  });
}
