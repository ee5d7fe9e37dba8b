/**
 * Hidden fault runs: the workbook's pieces in the reference cluster under
 * faults aimed at one criterion, more seeds and longer runs than the visible
 * checks, 3 and 5 nodes, with the project's checkers over every history. A
 * failure is the visible machinery's `CheckFailure` (seed, the replay
 * command with --core week-12/plug/core.ts and --client
 * week-12/plug/client.ts), prefixed with what the hidden test looked for.
 */
import type { FaultKind, RunConfig, RunResults } from "@dslab/sim";
import { DEFAULT_CONFIG } from "@dslab/sim";
import { faultRuns } from "../../week-12/checks/fault-run.js";
import { CheckFailure, isCheckFailure, type CheckContext } from "../../week-12/checks/index.js";
import { clientFactoryFor, keepingErrors } from "../../week-12/plug/client.js";
import { CORE_MODULE, coreFactoryFor } from "../../week-12/plug/core-factory.js";
import { seeds } from "./types.js";

export const CLIENT_MODULE = "week-12/plug/client.ts";

export interface HiddenRun {
  nodes: 3 | 5;
  workload: RunConfig["workload"];
  nemesis: FaultKind[];
  timeLimitS: number;
  /** Seeds at full budget (scaled by the grader's seed scale). */
  seeds: number;
  firstSeed: number;
  rate?: number;
  concurrency?: number;
}

export interface HiddenFaultSpec {
  /** What the runs look for, for the message: "a repeated write applied twice". */
  looksFor: string;
  /** Which pieces of the workbook run: the node core (vote rules + session store), the retrying client, or both. */
  pieces: { core: boolean; client: boolean };
  runs: HiddenRun[];
  /** The run's checks that decide (default: the safety checker of the workload and elections). */
  checks?: (run: HiddenRun) => string[];
  /** The mistake to name when the runs fail. */
  hint: string;
}

export function safetyChecks(run: HiddenRun): string[] {
  return ["elections", run.workload === "lin-kv" ? "linearizability" : "exactly-once"];
}

export async function hiddenFaultRuns(ctx: CheckContext, spec: HiddenFaultSpec): Promise<void> {
  const createCore = spec.pieces.core ? await coreFactoryFor(ctx.workbook) : undefined;
  const kept = spec.pieces.client ? keepingErrors(await clientFactoryFor(ctx.workbook)) : undefined;
  for (const run of spec.runs) {
    const label = `${run.nodes} nodes, ${run.workload}, faults ${run.nemesis.join("+")}`;
    const config: Omit<RunConfig, "seed"> = {
      ...DEFAULT_CONFIG,
      nodes: run.nodes,
      workload: run.workload,
      nemesis: run.nemesis,
      timeLimitS: run.timeLimitS,
      rate: run.rate ?? DEFAULT_CONFIG.rate,
      concurrency: run.concurrency ?? DEFAULT_CONFIG.concurrency,
      ...(spec.pieces.core ? { core: CORE_MODULE } : {}),
      ...(spec.pieces.client ? { client: CLIENT_MODULE } : {}),
    };
    try {
      await faultRuns(
        { ...ctx, seeds: seeds(run.seeds) },
        {
          label,
          config,
          firstSeed: run.firstSeed,
          defaultSeeds: run.seeds,
          ...(createCore ? { createCore } : {}),
          ...(kept ? { options: { createClient: kept.factory } } : {}),
          checks: (spec.checks ?? safetyChecks)(run),
          explain: (r: RunResults) => explain(r, label, (spec.checks ?? safetyChecks)(run)),
        },
      );
      if (kept?.error() !== undefined) throw kept.error();
    } catch (e) {
      const thrown = kept?.error() ?? e;
      if (isCheckFailure(thrown)) {
        throw new CheckFailure(`looking for ${spec.looksFor}: ${thrown.message}. ${spec.hint}`, {
          ...(thrown.expected !== undefined ? { expected: thrown.expected } : {}),
          ...(thrown.received !== undefined ? { received: thrown.received } : {}),
          ...(thrown.replay ? { replay: thrown.replay } : {}),
        });
      }
      throw thrown;
    }
  }
}

function explain(r: RunResults, label: string, checks: string[]): string {
  const failing = checks.filter((c) => r.checks[c] !== undefined && r.checks[c]!.valid !== true);
  // The redirects check files its anomalies as "redirect-backoff".
  const anomaly = r.anomalies.find((a) => failing.includes(a.check) || failing.some((c) => a.check.startsWith(c.replace(/s$/, ""))));
  return `${label}, seed ${r.seed}: the ${failing.join(" and ")} checker${failing.length === 1 ? "" : "s"} found ${anomaly ? `${anomaly.kind}: ${anomaly.message}` : "an invalid history"}`;
}
