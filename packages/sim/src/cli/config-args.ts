/**
 * Options shared by `run` and `swarm`, turned into a RunConfig.
 */
import { DEFAULT_CONFIG, MAX_TIME_LIMIT_S, parseNemesis, validateConfig, type RunConfig } from "../run/config.js";
import { FAULT_KINDS } from "../nemesis/schedule.js";
import type { WorkloadName } from "../workload/workloads.js";
import { getNonEmpty, getNumber, getString, UsageError, type ParsedArgs } from "./args.js";

export const CONFIG_OPTIONS = ["seed", "nodes", "time-limit-s", "rate", "concurrency", "workload", "nemesis", "liveness-bound-s", "core", "client"] as const;

/** The help lines of the shared options, with the defaults of the command they describe. */
export function configHelp(d: RunConfig, opts: { workload?: boolean; spread?: boolean } = {}): string {
  const drawn = "drawn per seed, see below";
  return [
    `  --nodes N              cluster size (default ${opts.spread ? drawn : d.nodes})`,
    `  --time-limit-s S       length of the safety phase with faults, seconds (simulated in-process;`,
    `                         at most ${MAX_TIME_LIMIT_S}; default ${opts.spread ? drawn : d.timeLimitS})`,
    `  --rate R               target operations per second across clients (default ${d.rate})`,
    `  --concurrency C        concurrent clients, each the real retrying client (default ${opts.spread ? drawn : d.concurrency})`,
    ...(opts.workload === false ? [] : [`  --workload W           lin-kv | exactly-once | sessions (default ${d.workload})`]),
    `  --nemesis LIST         comma-separated faults: ${FAULT_KINDS.slice(0, 5).join(", ")},`,
    `                         ${FAULT_KINDS.slice(5).join(", ")}; or "all", or "none" (default ${d.nemesis.length === FAULT_KINDS.length ? "all" : d.nemesis.join(",") || "none"})`,
    `  --liveness-bound-s S   after the heal, a leader and all final reads within S seconds (default ${d.livenessBoundS})`,
    `  --core MODULE          in-process with another core: a module exporting createKvNodeCore(config, restored)`,
    `  --client MODULE        another retrying client for the workload: a module exporting createClient(options)`,
  ].join("\n");
}

/** The shared options' help with kv-sim run's defaults. */
export const CONFIG_HELP = configHelp(DEFAULT_CONFIG);

export function configFromArgs(a: ParsedArgs, defaults: RunConfig): RunConfig {
  const nemesisText = getString(a, "nemesis");
  // "" or " , " names no fault at all: a typo, not "none".
  if (nemesisText !== undefined && nemesisText.split(",").every((s) => s.trim() === "")) {
    throw new UsageError('--nemesis: empty; give a comma-separated list of faults, "all" or "none", or leave the option out');
  }
  let nemesis = defaults.nemesis;
  try {
    if (nemesisText !== undefined) nemesis = parseNemesis(nemesisText);
  } catch (e) {
    throw new UsageError(`--nemesis: ${(e as Error).message}`, { cause: e });
  }
  const core = getNonEmpty(a, "core", "a module exporting createKvNodeCore");
  const client = getNonEmpty(a, "client", "a module exporting createClient");
  const config = {
    ...defaults,
    seed: getNonEmpty(a, "seed", "a seed (a number or any word)") ?? defaults.seed,
    nodes: getNumber(a, "nodes", { integer: true, min: 1 }) ?? defaults.nodes,
    timeLimitS: getNumber(a, "time-limit-s", { min: 0.001 }) ?? defaults.timeLimitS,
    rate: getNumber(a, "rate", { min: 0.001 }) ?? defaults.rate,
    concurrency: getNumber(a, "concurrency", { integer: true, min: 1 }) ?? defaults.concurrency,
    workload: (getString(a, "workload") as WorkloadName | undefined) ?? defaults.workload,
    nemesis,
    livenessBoundS: getNumber(a, "liveness-bound-s", { min: 0.001 }) ?? defaults.livenessBoundS,
    ...(core !== undefined ? { core } : {}),
    ...(client !== undefined ? { client } : {}),
  };
  try {
    return validateConfig(config);
  } catch (e) {
    // validateConfig names the option and what it expected: a usage error.
    throw new UsageError((e as Error).message, { cause: e });
  }
}
