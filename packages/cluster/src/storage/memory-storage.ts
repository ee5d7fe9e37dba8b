/**
 * In-memory `Storage` (etcd's MemoryStorage, STYLE habit 3). The simulator
 * hands the same object to a restarted node, so it survives a simulated
 * crash: everything persisted before the crash is there after it. The
 * synchronous `loadSync`/`persistSync` let the in-process simulator run
 * without awaiting.
 */
import type { PersistOp, PersistentState, Storage } from "../contract.js";
import { applyOps, cloneState, emptyState } from "./state.js";

export class MemoryStorage implements Storage {
  private state: PersistentState;
  /** How many persist calls were made (for tests and the simulator's stats). */
  persistCalls = 0;

  constructor(initial?: PersistentState) {
    this.state = initial ? cloneState(initial) : emptyState();
  }

  /** A deep copy: the node that loads it cannot change what is "on disk". */
  loadSync(): PersistentState {
    return cloneState(this.state);
  }

  /** Applies the ops at once; in memory, "durable" means done. */
  persistSync(ops: readonly PersistOp[]): void {
    if (ops.length === 0) return;
    this.persistCalls++;
    applyOps(this.state, structuredClone(ops as PersistOp[]));
  }

  async load(): Promise<PersistentState> {
    return this.loadSync();
  }

  async persist(ops: PersistOp[]): Promise<void> {
    this.persistSync(ops);
  }

  async close(): Promise<void> {}
}
