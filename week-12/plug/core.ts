/**
 * `kv-sim --core week-12/plug/core.ts`: the reference node core with the
 * pieces of the workbook `DSLAB_WORKBOOK` names (unset: week-12/ itself;
 * `solution`: the reference solutions; or a directory laid out like
 * week-12/): its vote rules and its session store (./core-factory.ts). The
 * replay command a failed check prints loads this module, so it runs the
 * same code the check ran:
 *
 *     DSLAB_WORKBOOK=solution npm run kv-sim -- run --seed 7 ... --core week-12/plug/core.ts
 */
import type { KvNodeCore, NodeConfig, PersistentState } from "@dslab/cluster/core";
import { CORE_MODULE, coreFromEnv } from "./core-factory.js";

export { CORE_MODULE, coreFactoryFor, voteRulesFor } from "./core-factory.js";

const create = await coreFromEnv(CORE_MODULE);

export function createKvNodeCore(config: NodeConfig, restored: PersistentState | null): KvNodeCore {
  return create(config, restored);
}
