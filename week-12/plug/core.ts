/**
 * `kv-sim --core week-12/plug/core.ts`: the reference node core with the
 * pieces of the workbook `DSLAB_WORKBOOK` names (unset: week-12/ itself;
 * `solution`: the reference solutions; or a directory laid out like
 * week-12/), built by ./core-factory.ts. The replay command a failed check
 * prints loads this module, so it runs the same code the check ran:
 *
 *     DSLAB_WORKBOOK=solution npm run kv-sim -- run --seed 7 ... --core week-12/plug/core.ts
 */
import type { KvNodeCore, NodeConfig, PersistentState } from "@dslab/cluster/core";
import type { CoreFactory } from "@dslab/sim";
import { workbookFromEnv } from "../checks/workbook.js";
import { CORE_MODULE, coreFactoryFor } from "./core-factory.js";

export { CORE_MODULE, coreFactoryFor, voteRulesFor } from "./core-factory.js";

// Built once when the module loads. An error (no such workbook, a file that
// does not load) is thrown when the first node is made, so a module that
// imports this one for `coreFactoryFor` alone still loads; kv-sim reports
// an error that starts with "--core:" as a usage error, without a stack.
const fromEnv: CoreFactory | Error = await (async () => coreFactoryFor(workbookFromEnv()))().catch(
  (e: unknown) => new Error(`--core: ${CORE_MODULE}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }),
);

export function createKvNodeCore(config: NodeConfig, restored: PersistentState | null): KvNodeCore {
  if (fromEnv instanceof Error) throw fromEnv;
  return fromEnv(config, restored as PersistentState);
}
