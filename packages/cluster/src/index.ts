/**
 * @dslab/cluster: the reference Raft key-value cluster.
 *
 * - the contract between the pure core, storage and shells (`contract.ts`);
 * - the pure core: `createKvNodeCore` (Raft + state machine), `RaftCore`,
 *   `KvStateMachine`;
 * - storage: `MemoryStorage` (survives a simulated restart), `FileStorage` (WAL);
 * - shells: `startNode`/`KvNodeRuntime` (TCP), the HTTP front.
 */
// The pure core (core.ts is its IO-free entry point), then storage and the shells.
export * from "./core.js";
export {
  MemoryStorage,
  FileStorage,
  StorageError,
  StorageCorruptError,
  StorageFormatError,
  StorageIoError,
  StorageLockedError,
  StorageMembershipError,
  WAL_FORMAT_VERSION,
  checkTermCoversLog,
  decodeSnapshotFile,
  encodeSegment,
  encodeSnapshotFile,
  encodeWalOps,
  recoverState,
  replaySegment,
  applyOps,
  type SegmentReplay,
  type FileStorageOptions,
  type FileStorageStats,
} from "./storage/index.js";
export { KvNodeRuntime, CoreFailure, DEFAULT_TICK_MS, type NodeRuntimeOptions } from "./runtime/node-runtime.js";
export { TIMING_DEFAULTS } from "./runtime/timing.js";
export { RAFT_DEFAULTS } from "./raft/raft.js";
export { startNode, type StartNodeOptions } from "./runtime/start-node.js";
export { startHttpFront, type HttpFront, type HttpFrontOptions } from "./http/index.js";
export {
  loadCore,
  loadModuleFunction,
  MODULE_EXTENSIONS,
  moduleExtensionProblem,
  moduleFrame,
  moduleLoadProblem,
  resolveModulePath,
  shownPath,
  type CoreFactory,
} from "./runtime/load-module.js";
