/**
 * The pure Raft core.
 *
 * - `RaftCore`: elections (randomized timeouts from the injected PRNG,
 *   pre-vote, one vote per term, §5.4.1 up-to-date check), check-quorum with a
 *   leader lease, pipelined and batched AppendEntries with per-follower flow
 *   control (`Progress`), conflict truncation with fast backtracking, commit
 *   by majority for current-term entries only, ReadIndex reads, snapshots
 *   (local compaction and chunked InstallSnapshot). Inputs: `tick`, `step`
 *   (a raft_* message), `propose`, `requestRead`, `compact`; outputs via
 *   `takeReady()`: persist ops (durable before any send), messages, log
 *   lines, a snapshot to restore, confirmed reads.
 * - `RaftLog`: the in-memory log after the snapshot point.
 * - `raftSchemas` / `nodeSchemas`: the codec's schemas for peer bodies, and
 *   for everything a node accepts (client + peer).
 *
 * The composed node (Raft + state machine + client bookkeeping) is
 * `createKvNodeCore` in ../node/.
 */
export { RaftCore, type RaftOptions, type RaftReady, type RaftRole, type RaftStateData } from "./raft.js";
export { RaftLog, type RaftLogState } from "./log.js";
export {
  REFERENCE_VOTE_RULES,
  VoteRulesError,
  logAtLeastAsUpToDate,
  wrongObservation,
  type TermState,
  type VoteRules,
  type VoterState,
  type VoteRequest,
  type VoteDecision,
} from "./vote-rules.js";
export { Progress, type ProgressData, type ProgressState } from "./progress.js";
export * from "./messages.js";
