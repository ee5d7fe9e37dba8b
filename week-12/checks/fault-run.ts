/**
 * Seeded fault runs for the integrated criteria: the student's pieces inside
 * the reference cluster, under the simulator's faults, checked by the
 * project's checkers. The first seed that fails stops the run and becomes a
 * `CheckFailure` with the seed, the command that replays it (through the
 * plug modules in week-12/plug/) and the paths of its HTML timeline and
 * message diagram.
 */
import { join } from "node:path";
import { DEFAULT_CONFIG, runInProcess, writeOutputs, type CoreFactory, type InProcessOptions, type RunConfig, type RunResults } from "@dslab/sim";
import { CheckFailure, type CheckContext } from "./types.js";

export interface FaultRunSpec {
  /** What runs, for messages: "your vote rules, 5 nodes". */
  label: string;
  /** The run's configuration; the seed is filled in per run. */
  config: Omit<RunConfig, "seed">;
  /** First seed; runs `seeds` consecutive ones. */
  firstSeed: number;
  /** Seeds to run unless `--seeds` says otherwise. */
  defaultSeeds: number;
  /** The core to run in-process (built from the workbook's pieces). */
  createCore?: CoreFactory;
  /** Further in-process options (the client factory, node tuning). */
  options?: Omit<InProcessOptions, "createCore">;
  /** Which of the run's checks decide this criterion (default: all of them, i.e. the verdict). */
  checks?: string[];
  /** Turns a failed run's results into the one-line message (default: the first anomaly). */
  explain?: (results: RunResults) => string;
}

export interface FaultRunSummary {
  seeds: number;
  ops: number;
}

export async function faultRuns(ctx: CheckContext, spec: FaultRunSpec, progress?: { offset: number; total: number }): Promise<FaultRunSummary> {
  const n = ctx.seeds ?? spec.defaultSeeds;
  let ops = 0;
  for (let i = 0; i < n; i++) {
    const seed = spec.firstSeed + i;
    const config: RunConfig = { ...DEFAULT_CONFIG, ...spec.config, seed: String(seed) };
    const artifacts = await runInProcess(config, { ...spec.options, ...(spec.createCore ? { createCore: spec.createCore } : {}) });
    const results = artifacts.results!;
    ops += results.ops.invoked;
    const failing = spec.checks
      ? spec.checks.filter((c) => results.checks[c] !== undefined && results.checks[c]!.valid !== true)
      : Object.keys(results.checks).filter((c) => results.checks[c]!.valid !== true);
    if (failing.length > 0) {
      const dir = join(ctx.outDir, `seed-${seed}`);
      const written = await writeOutputs(dir, artifacts);
      const anomaly = results.anomalies.find((a) => failing.includes(a.check));
      const message = spec.explain?.(results) ?? `${spec.label}: seed ${seed} broke ${failing.join(", ")}${anomaly ? `: ${anomaly.message}` : ""}`;
      throw new CheckFailure(message, {
        replay: {
          seed,
          command: ctx.workbook.replayEnv + results.command,
          ...(written.files.includes("timeline.html") ? { timeline: join(dir, "timeline.html") } : {}),
          ...(written.files.includes("messages.html") ? { diagram: join(dir, "messages.html") } : {}),
        },
      });
    }
    ctx.progress((progress?.offset ?? 0) + i + 1, progress?.total ?? n);
  }
  return { seeds: n, ops };
}
