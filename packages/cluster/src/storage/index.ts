export { MemoryStorage } from "./memory-storage.js";
export { FileStorage, type FileStorageOptions, type FileStorageStats, type Membership } from "./file-storage.js";
export { StorageError, StorageCorruptError, StorageFormatError, StorageIoError, StorageLockedError, StorageMembershipError } from "./errors.js";
export {
  WAL_FORMAT_VERSION,
  checkTermCoversLog,
  decodeSnapshotFile,
  encodeSegment,
  encodeSnapshotFile,
  encodeWalOps,
  recoverState,
  replaySegment,
  type SegmentReplay,
} from "./wal.js";
export { crc32 } from "./crc32.js";
export { applyOps, emptyState } from "./state.js";
