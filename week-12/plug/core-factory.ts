/**
 * The reference node core with the workbook's pieces plugged in: the
 * reference Raft and state machine, the workbook's vote rules
 * (src/vote-rules.ts) and session store (./session-store.ts). The checks
 * build their cores here for the workbook they judge (the student's, the
 * solutions, or a mutant); ./core.ts builds the same for `kv-sim --core`.
 */
import { createKvNodeCore as referenceCore, type VoteRules } from "@dslab/cluster/core";
import type { CoreFactory } from "@dslab/sim";
import type { Workbook } from "../checks/types.js";
import { sessionStoreFor } from "./session-store.js";

/** The module replay commands name with `--core` (from the repository root). */
export const CORE_MODULE = "week-12/plug/core.ts";

/** The vote rules the workbook's src/vote-rules.ts exports as `voteRules`. */
export async function voteRulesFor(workbook: Workbook): Promise<VoteRules> {
  const mod = await workbook.import<{ voteRules?: Partial<VoteRules> }>("src/vote-rules.ts");
  const rules = mod.voteRules;
  const missing = (["observeTerm", "decide", "electionTimeoutTicks"] as const).filter((f) => typeof rules?.[f] !== "function");
  if (missing.length > 0) {
    throw new Error(
      `${workbook.path("src/vote-rules.ts")}: export const voteRules = { observeTerm, decide, electionTimeoutTicks } is missing ${missing.join(", ")}`,
    );
  }
  return rules as VoteRules;
}

/** A core factory: the reference node with the workbook's vote rules and session store. */
export async function coreFactoryFor(workbook: Workbook): Promise<CoreFactory> {
  const voteRules = await voteRulesFor(workbook);
  const sessionStore = await sessionStoreFor(workbook);
  return (config, restored) => referenceCore({ ...config, voteRules, ...(sessionStore ? { sessionStore } : {}) }, restored);
}
