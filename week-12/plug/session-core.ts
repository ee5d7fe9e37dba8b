/**
 * `kv-sim --core week-12/plug/session-core.ts`: the reference node core with
 * the session store of the workbook `DSLAB_WORKBOOK` names (its
 * ClientTracker, ./session-store.ts) and the reference vote rules. The
 * dedup-store lesson's fault run runs this core, and prints it in its replay
 * command: that lesson judges the session store alone, whatever state the
 * vote rules of day 2 are in.
 */
import type { KvNodeCore, NodeConfig, PersistentState } from "@dslab/cluster/core";
import { coreFromEnv, SESSION_CORE_MODULE } from "./core-factory.js";

const create = await coreFromEnv(SESSION_CORE_MODULE, { voteRules: false });

export function createKvNodeCore(config: NodeConfig, restored: PersistentState | null): KvNodeCore {
  return create(config, restored);
}
