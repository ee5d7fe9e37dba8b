export { MemoryStorage } from "./memory-storage.js";
export { FileStorage, StorageCorruptError, StorageLockedError, type FileStorageOptions, type FileStorageStats } from "./file-storage.js";
export { crc32 } from "./crc32.js";
export { applyOps, emptyState } from "./state.js";
