export { RaftCore, type RaftOptions, type RaftReady, type RaftRole } from "./raft.js";
export { RaftLog } from "./log.js";
export { Progress, type ProgressState } from "./progress.js";
export * from "./messages.js";
