/**
 * `kv-sim --core week-12/plug/vote-core.ts` (and `kv-cluster --core`, for a
 * real election): the reference node core with the vote rules of the
 * workbook `DSLAB_WORKBOOK` names and the reference session table. The
 * vote-rules checks run this core, and print it in their replay command:
 * that lesson judges the vote rules alone.
 */
import type { KvNodeCore, NodeConfig, PersistentState } from "@dslab/cluster/core";
import { coreFromEnv, VOTE_CORE_MODULE } from "./core-factory.js";

const create = await coreFromEnv(VOTE_CORE_MODULE, { sessionStore: false });

export function createKvNodeCore(config: NodeConfig, restored: PersistentState | null): KvNodeCore {
  return create(config, restored);
}
