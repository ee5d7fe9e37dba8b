/**
 * `kv-sim swarm`: many in-process seeds; a progress bar on a TTY (plain
 * progress lines otherwise), a summary, and every failing seed with the
 * command that replays it.
 */
import { DEFAULT_CONFIG, type RunConfig } from "../run/config.js";
import { FAULT_KINDS } from "../nemesis/schedule.js";
import { WORKLOAD_NAMES } from "../workload/workloads.js";
import { runSwarmInline, serveSwarmWorker, SPREAD_CHOICES, type SeedResult, type Spread, type SwarmSummary } from "../swarm/swarm.js";
import { EXIT, type Io } from "@dslab/protocol/cli";
import { getNumber, getString, parseArgs, UsageError } from "./args.js";
import { CONFIG_OPTIONS, configFromArgs, configHelp } from "./config-args.js";
import { codeUnderTestThrew, moduleSources } from "./module-error.js";
import { plural } from "../output/plural.js";

export const SWARM_DEFAULTS: RunConfig = { ...DEFAULT_CONFIG, timeLimitS: 5, nemesis: [...FAULT_KINDS] };

/** Seeds a swarm runs without --seeds, from --start-seed, with --jobs runners (this process and its workers). */
export const DEFAULT_SWARM_SEEDS = 100;
export const DEFAULT_START_SEED = 1;
export const DEFAULT_JOBS = 1;

export const SWARM_HELP = `kv-sim swarm: many in-process seeds, each a full run with faults, heal, liveness and checkers

Usage: kv-sim swarm [--seeds ${DEFAULT_SWARM_SEEDS}] [--start-seed ${DEFAULT_START_SEED}] [--jobs ${DEFAULT_JOBS}] [--workload all] [--nodes N]
                    [--concurrency N] [--time-limit-s S] [--rate R] [--nemesis all]
                    [--liveness-bound-s S] [--core FILE] [--client FILE]
                    [--stop-on-failure] [--json]

  --seeds N              how many seeds (default ${DEFAULT_SWARM_SEEDS})
  --start-seed S         first seed (default ${DEFAULT_START_SEED}); seeds S .. S+N-1
  --jobs J               seeds run at once: this process and J-1 child processes (default ${DEFAULT_JOBS};
                         at most one per seed); a child takes 0.3-0.4 s to start and warm up, so
                         2 jobs on 2 cores pay off on long swarms (1,000 seeds), not on 100
  --workload W|all       "all" (default) cycles lin-kv, exactly-once, sessions by seed
${configHelp(SWARM_DEFAULTS, { workload: false, spread: true })}
  --stop-on-failure      stop at the first failing seed (with --jobs 1)
  --json                 one JSON line per seed, then a summary line

Swarm defaults: --nemesis all, and the cluster's shape spread across seeds: unless given,
each seed draws its node count from {${[...new Set(SPREAD_CHOICES.nodes)].join(", ")}}, its clients from {${[...new Set(SPREAD_CHOICES.concurrency)].join(", ")}}
and its run length from {${[...new Set(SPREAD_CHOICES.timeLimitS)].join(", ")}} s (weighted toward the cheaper ones). Give
--nodes, --concurrency or --time-limit-s to fix that one for every seed. Each failing seed
prints its replay command, which names the shape it drew.

Example:
  npm run kv-sim -- swarm --seeds 1000 --jobs 2
`;

export async function swarmCommand(argv: string[], io: Io): Promise<number> {
  const a = parseArgs(argv, { command: "swarm", options: [...CONFIG_OPTIONS, "seeds", "start-seed", "jobs"], flags: ["json", "help", "stop-on-failure"] });
  if (a.flags.has("help")) {
    io.stdout(SWARM_HELP);
    return 0;
  }
  if (getString(a, "seed") !== undefined) throw new UsageError("--seed: the swarm takes --start-seed and --seeds; use kv-sim run --seed N for one seed");
  const workload = getString(a, "workload") ?? "all";
  if (workload !== "all" && !(WORKLOAD_NAMES as readonly string[]).includes(workload)) {
    throw new UsageError(`--workload: expected all, ${WORKLOAD_NAMES.slice(0, -1).join(", ")} or ${WORKLOAD_NAMES.at(-1)}, got ${JSON.stringify(workload)}`);
  }
  const rotate = workload === "all";
  if (rotate) a.options.delete("workload");
  const spread: Spread = {
    nodes: getString(a, "nodes") === undefined,
    concurrency: getString(a, "concurrency") === undefined,
    timeLimit: getString(a, "time-limit-s") === undefined,
  };
  const base = configFromArgs(a, SWARM_DEFAULTS);
  const seeds = getNumber(a, "seeds", { integer: true, min: 1 }) ?? DEFAULT_SWARM_SEEDS;
  const startSeed = getNumber(a, "start-seed", { integer: true, min: 0 }) ?? DEFAULT_START_SEED;
  if (seeds - 1 > Number.MAX_SAFE_INTEGER - startSeed) throw new UsageError(`--start-seed ${startSeed} --seeds ${seeds}: the last seed would be past ${Number.MAX_SAFE_INTEGER}, the largest a seed number can be exactly`);
  const jobs = getNumber(a, "jobs", { integer: true, min: 1 }) ?? DEFAULT_JOBS;
  const json = a.flags.has("json");
  const progress = createProgress(seeds, json);
  let summary: SwarmSummary;
  try {
    summary = await runSwarmInline({
      seeds,
      startSeed,
      jobs,
      base,
      rotateWorkloads: rotate,
      spread,
      stopOnFailure: a.flags.has("stop-on-failure"),
      onSeed: (r, done) => {
        if (json) io.stdout(JSON.stringify(r) + "\n");
        progress(r, done);
      },
    });
  } catch (e) {
    throw codeUnderTestThrew(e, moduleSources(base)) ?? e;
  }
  progress.end?.();
  const perMin = (summary.seeds / (summary.wallMs / 60_000)).toFixed(0);
  if (json) {
    io.stdout(JSON.stringify({ summary: { ...summary, failures: summary.failures.map((f) => f.seed) } }) + "\n");
  } else {
    const out = [``, swarmHeadline(summary, startSeed), `       ${plural(summary.ops, "op")}, ${(summary.simulatedMs / 1000).toFixed(0)} s simulated in ${(summary.wallMs / 1000).toFixed(1)} s wall (${perMin} seeds/min, ${jobsText(summary.jobs, jobs)})`];
    if (summary.failures.length) {
      const byKind = new Map<string, number>();
      for (const f of summary.failures) {
        const kind = /^([^:]+):/.exec(f.anomalies[0] ?? "")?.[1] ?? f.verdict;
        byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      }
      out.push(`failures by kind: ${[...byKind].map(([k, n]) => `${k} ${n}`).join(", ")}`);
      out.push(`failing seeds (${summary.failures.length}):`);
      for (const f of summary.failures.slice(0, 50)) {
        out.push(`  seed ${f.seed} ${f.workload}: ${f.verdict}: ${f.anomalies[0] ?? f.unknown?.[0] ?? ""}`);
        out.push(`    replay: ${f.command}`);
      }
    }
    io.stdout(out.join("\n") + "\n");
  }
  return summary.invalid > 0 ? EXIT.negative : summary.unknown > 0 ? EXIT.unknown : EXIT.ok;
}

/** "swarm: 20 seeds (1..20), ..." or, stopped at a failure, "swarm: 1 of 20 seeds run (1..20; stopped at the first failure), ...". */
export function swarmHeadline(s: SwarmSummary, startSeed: number): string {
  const range = `${startSeed}..${startSeed + s.seedsAsked - 1}`;
  const ran = s.seeds === s.seedsAsked ? `${plural(s.seeds, "seed")} (${range})` : `${s.seeds} of ${plural(s.seedsAsked, "seed")} run (${range}; stopped at the first failure)`;
  return `swarm: ${ran}, ${s.valid} valid, ${s.invalid} invalid, ${s.unknown} unknown`;
}

/** The runners that ran, and the --jobs asked for when it was more than one per seed. */
function jobsText(ran: number, asked: number): string {
  return ran === asked ? `jobs ${ran}` : `jobs ${ran}: --jobs ${asked} capped at one per seed`;
}

type Progress = ((r: SeedResult, done: number) => void) & { end?: () => void };

function createProgress(total: number, quiet: boolean): Progress {
  const stream = process.stderr;
  let failing = 0;
  const t0 = performance.now();
  if (quiet) return () => {};
  if (stream.isTTY) {
    const p: Progress = (r, done) => {
      if (r.verdict !== "valid") failing++;
      const width = 30;
      const filled = Math.round((done / total) * width);
      const rate = done / ((performance.now() - t0) / 1000);
      stream.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${plural(total, "seed")}, ${failing} failing, ${rate.toFixed(1)} seeds/s `);
    };
    p.end = () => stream.write("\n");
    return p;
  }
  const every = Math.max(1, Math.floor(total / 20));
  return (r, done) => {
    if (r.verdict !== "valid") {
      failing++;
      stream.write(`seed ${r.seed}: ${r.verdict}\n`);
    }
    if (done % every === 0 || done === total) stream.write(`progress: ${done}/${plural(total, "seed")}, ${failing} failing\n`);
  };
}

/** Internal: one child of `kv-sim swarm --jobs N`, fed seeds over its IPC channel. */
export async function swarmWorkerCommand(argv: string[], io: Io): Promise<number> {
  const a = parseArgs(argv, { options: ["config", "rotate", "spread"], flags: [] });
  if (process.send === undefined) {
    io.stderr("kv-sim swarm-worker: runs only as a child of kv-sim swarm --jobs N (it takes its seeds over an IPC channel)\n");
    return EXIT.usage;
  }
  const base = JSON.parse(getString(a, "config") ?? "{}") as RunConfig;
  const rotate = getString(a, "rotate") !== "false";
  const spread = JSON.parse(getString(a, "spread") ?? "{}") as Spread;
  await serveSwarmWorker({ base, rotate, spread });
  return EXIT.ok;
}
