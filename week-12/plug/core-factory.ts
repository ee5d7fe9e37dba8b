/**
 * The reference node core with the workbook's pieces plugged in: the
 * reference Raft and state machine, the workbook's vote rules
 * (src/vote-rules.ts) and session store (./session-store.ts). The checks
 * build their cores here for the workbook they judge (the student's, the
 * solutions, or a mutant); ./core.ts builds the same for `kv-sim --core`,
 * ./vote-core.ts the vote rules alone (with the reference session table),
 * and ./session-core.ts the session store alone (with the reference vote
 * rules): a lesson's fault run judges that lesson's piece, whatever state
 * another day's piece is in.
 */
import { createKvNodeCore as referenceCore, type KvNodeCore, type NodeConfig, type PersistentState, type VoteRules } from "@dslab/cluster/core";
import type { CoreFactory } from "@dslab/sim";
import { CheckFailure, type Workbook } from "../checks/types.js";
import { workbookFromEnv } from "../checks/workbook.js";
import { sessionStoreFor } from "./session-store.js";

/** The modules replay commands name with `--core` (from the repository root). */
export const CORE_MODULE = "week-12/plug/core.ts";
export const VOTE_CORE_MODULE = "week-12/plug/vote-core.ts";
export const SESSION_CORE_MODULE = "week-12/plug/session-core.ts";

/** Which of the workbook's pieces go in. */
export interface Pieces {
  /** The workbook's vote rules (default true); false: the reference vote rules. */
  voteRules?: boolean;
  /** The workbook's session store (default true); false: the reference session table. */
  sessionStore?: boolean;
}

/** The vote rules the workbook's src/vote-rules.ts exports as `voteRules`. */
export async function voteRulesFor(workbook: Workbook): Promise<VoteRules> {
  const mod = await workbook.import<{ voteRules?: Partial<VoteRules> }>("src/vote-rules.ts");
  const rules = mod.voteRules;
  const missing = (["observeTerm", "decide", "electionTimeoutTicks"] as const).filter((f) => typeof rules?.[f] !== "function");
  if (missing.length > 0) {
    throw new CheckFailure(
      `${workbook.path("src/vote-rules.ts")}: export const voteRules = { observeTerm, decide, electionTimeoutTicks } is missing ${missing.join(", ")}`,
    );
  }
  return rules as VoteRules;
}

/** A core factory: the reference node with the workbook's vote rules and session store (unless left out). */
export async function coreFactoryFor(workbook: Workbook, pieces: Pieces = {}): Promise<CoreFactory> {
  const voteRules = pieces.voteRules === false ? undefined : await voteRulesFor(workbook);
  const sessionStore = pieces.sessionStore === false ? undefined : await sessionStoreFor(workbook);
  return (config, restored) => referenceCore({ ...config, ...(voteRules ? { voteRules } : {}), ...(sessionStore ? { sessionStore } : {}) }, restored);
}

/**
 * `createKvNodeCore` of a `--core` module, for the workbook DSLAB_WORKBOOK
 * names. An error (no such workbook, a file that does not load) is thrown
 * when the first node is made, so a module that imports the plug module for
 * `coreFactoryFor` alone still loads; kv-sim reports an error that starts
 * with "--core:" as a usage error, without a stack.
 */
export async function coreFromEnv(module: string, pieces: Pieces = {}): Promise<(config: NodeConfig, restored: PersistentState | null) => KvNodeCore> {
  const built = await (async () => coreFactoryFor(workbookFromEnv(), pieces))().catch(
    (e: unknown) => new Error(`--core: ${module}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }),
  );
  return (config, restored) => {
    if (built instanceof Error) throw built;
    return built(config, restored as PersistentState);
  };
}
