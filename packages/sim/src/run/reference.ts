/**
 * The reference cluster's pieces the in-process mode runs: the pure node core
 * and the in-memory storage that survives a simulated restart.
 */
export { createKvNodeCore, MemoryStorage } from "@dslab/cluster";
