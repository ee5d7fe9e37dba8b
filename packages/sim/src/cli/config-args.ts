/**
 * Options shared by `run` and `swarm`, turned into a RunConfig.
 */
import { DEFAULT_CONFIG, parseNemesis, validateConfig, type RunConfig } from "../run/config.js";
import type { WorkloadName } from "../workload/workloads.js";
import { getNumber, getString, UsageError, type ParsedArgs } from "./args.js";

export const CONFIG_OPTIONS = ["seed", "nodes", "time-limit-s", "rate", "concurrency", "workload", "nemesis", "liveness-bound-s", "core", "client"] as const;

export const CONFIG_HELP = `  --nodes N              cluster size (default ${DEFAULT_CONFIG.nodes})
  --time-limit-s S       length of the safety phase with faults, seconds (simulated in-process)
  --rate R               target operations per second across clients (default ${DEFAULT_CONFIG.rate})
  --concurrency C        concurrent clients, each the real retrying client (default ${DEFAULT_CONFIG.concurrency})
  --workload W           lin-kv | exactly-once | sessions
  --nemesis LIST         comma-separated faults: partition, kill, pause, duplicate, lose-reply,
                         replay, loss, delay, clock; or "all", or "none"
  --liveness-bound-s S   after the heal, a leader and all final reads within S seconds (default ${DEFAULT_CONFIG.livenessBoundS})
  --core MODULE          in-process with another core: a module exporting createKvNodeCore(config, restored)
  --client MODULE        another retrying client for the workload: a module exporting createClient(options)`;

export function configFromArgs(a: ParsedArgs, defaults: RunConfig): RunConfig {
  const nemesisText = getString(a, "nemesis");
  let nemesis = defaults.nemesis;
  try {
    if (nemesisText !== undefined) nemesis = parseNemesis(nemesisText);
  } catch (e) {
    throw new UsageError(`--nemesis: ${(e as Error).message}`, { cause: e });
  }
  const core = getString(a, "core");
  const client = getString(a, "client");
  const config = {
    ...defaults,
    seed: getString(a, "seed") ?? defaults.seed,
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
