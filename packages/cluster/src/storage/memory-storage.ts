/**
 * In-memory `Storage` (after etcd's MemoryStorage). The simulator
 * hands the same object to a restarted node, so it survives a simulated
 * crash: everything persisted before the crash is there after it. The
 * synchronous `loadSync`/`persistSync` let the in-process simulator run
 * without awaiting.
 *
 * By default what is persisted is frozen, not copied: log entries and
 * snapshots are immutable values (the reference core never changes one after
 * handing it over, and its state machine never changes a stored value in
 * place), so storage keeps the very objects it was given, deep-frozen. A
 * later write to one of them throws a TypeError instead of silently changing
 * what is "on disk", so the guarantee is the same as with a copy: a crash
 * loses nothing persisted, and nothing but a persist changes storage. Frozen
 * values are shared again on load; only the containers (the entry list, the
 * hard state) are copied.
 *
 * `{ persisted: "copy" }` keeps deep copies instead (and loads deep copies),
 * for a core that may change an object after handing it to storage, such as
 * a student's core run under the simulator.
 */
import type { PersistOp, PersistentState, Storage } from "../contract.js";
import { applyOps, cloneState, emptyState } from "./state.js";

export class MemoryStorage implements Storage {
  private state: PersistentState;
  private readonly copy: boolean;
  /** How many persist calls were made (for tests and the simulator's stats). */
  persistCalls = 0;

  constructor(initial?: PersistentState, options: { persisted?: "freeze" | "copy" } = {}) {
    this.copy = options.persisted === "copy";
    this.state = initial ? cloneState(initial) : emptyState();
    if (!this.copy) {
      deepFreeze(this.state.snapshot);
      for (const e of this.state.entries) deepFreeze(e);
    }
  }

  /** The node that loads it cannot change what is "on disk": fresh containers around frozen entries and snapshot (or a deep copy). */
  loadSync(): PersistentState {
    if (this.copy) return cloneState(this.state);
    const { hardState, snapshot, entries } = this.state;
    return { hardState: { term: hardState.term, votedFor: hardState.votedFor }, snapshot, entries: entries.slice() };
  }

  /** Applies the ops at once; in memory, "durable" means done. */
  persistSync(ops: readonly PersistOp[]): void {
    if (ops.length === 0) return;
    this.persistCalls++;
    if (this.copy) {
      applyOps(this.state, structuredClone(ops as PersistOp[]));
      return;
    }
    for (const op of ops) {
      // applyOps copies a hard state's fields; entries and snapshots it keeps.
      if (op.type === "append") for (const e of op.entries) deepFreeze(e);
      else if (op.type === "snapshot") deepFreeze(op.snapshot);
    }
    applyOps(this.state, ops);
  }

  async load(): Promise<PersistentState> {
    return this.loadSync();
  }

  async persist(ops: PersistOp[]): Promise<void> {
    this.persistSync(ops);
  }

  async close(): Promise<void> {}
}

/**
 * Freeze a JSON-like value and everything it reaches. An object already
 * frozen is taken as frozen all the way down (everything this function
 * freezes is), which keeps re-persisting shared values cheap: a snapshot
 * shares most of its values with the previous one.
 */
function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
  } else {
    const o = value as Record<string, unknown>;
    for (const k in o) deepFreeze(o[k]);
  }
  Object.freeze(value);
}
