/**
 * `@dslab/cluster/testing`: what tests and benchmarks use to run the
 * reference cluster for real (child processes, localhost sockets) and to
 * drive cores deterministically in memory.
 */
export * from "./processes.js";
export { RaftDriver } from "./raft-driver.js";
export type { RaftDriverOptions } from "./raft-driver.js";
