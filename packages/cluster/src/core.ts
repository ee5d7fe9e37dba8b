/**
 * `@dslab/cluster/core`: the pure core alone. Raft, the key-value state
 * machine with its client sessions, and the node that composes them, as
 * deterministic functions of their inputs: no timers, no clock, no
 * randomness of their own, and nothing that loads `fs`, `net`, `http` or a
 * child process. What the shells (stdio, TCP, HTTP), the simulator and a
 * model checker all build on. `test/core-entry.test.ts` holds it to that.
 */
export * from "./contract.js";
export { renderEvent, type NodeEvent, type SessionEndReason } from "./events.js";
export { createKvNodeCore, KvNode, validateClientRequest, NODE_DEFAULTS, nodeSchemas, raftSchemas, type KvNodeState } from "./node/index.js";
export {
  RaftCore,
  RaftLog,
  REFERENCE_VOTE_RULES,
  VoteRulesError,
  logAtLeastAsUpToDate,
  wrongObservation,
  type RaftOptions,
  type RaftReady,
  type RaftRole,
  type RaftStateData,
  type TermState,
  type VoteRules,
  type VoterState,
  type VoteRequest,
  type VoteDecision,
} from "./raft/index.js";
export * from "./state-machine/index.js";
