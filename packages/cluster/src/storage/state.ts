/**
 * Applying `PersistOp`s to a `PersistentState`: the one definition of what a
 * persist means, shared by `MemoryStorage` and `FileStorage` (which keeps an
 * in-memory mirror of what is on disk and replays its WAL through this).
 */
import type { HardState, LogEntry, PersistOp, PersistentState, Snapshot } from "../contract.js";

export function emptyState(): PersistentState {
  return { hardState: { term: 0, votedFor: null }, snapshot: null, entries: [] };
}

export function cloneState(state: PersistentState): PersistentState {
  return structuredClone(state);
}

/** Apply ops in order to `state` (mutated). Throws on an impossible op (a gap in the log). */
export function applyOps(state: PersistentState, ops: readonly PersistOp[]): void {
  for (const op of ops) {
    switch (op.type) {
      case "hardState":
        applyHardState(state, op.hardState);
        break;
      case "append":
        applyAppend(state, op.entries);
        break;
      case "snapshot":
        applySnapshot(state, op.snapshot);
        break;
    }
  }
}

export function applyHardState(state: PersistentState, hardState: HardState): void {
  state.hardState = { term: hardState.term, votedFor: hardState.votedFor };
}

export function snapshotIndex(state: PersistentState): number {
  return state.snapshot?.lastIncludedIndex ?? 0;
}

export function lastIndex(state: PersistentState): number {
  const last = state.entries[state.entries.length - 1];
  return last ? last.index : snapshotIndex(state);
}

/** Entries with index >= entries[0].index are dropped first (Raft's conflict truncation). */
export function applyAppend(state: PersistentState, entries: readonly LogEntry[]): void {
  const snapIndex = snapshotIndex(state);
  // Entries already covered by the snapshot are committed and compacted: skip them.
  const fresh = entries.filter((e) => e.index > snapIndex);
  const first = fresh[0];
  if (!first) return;
  for (let i = 1; i < fresh.length; i++) {
    if (fresh[i]!.index !== first.index + i) {
      throw new Error(`storage: append entries are not contiguous at index ${fresh[i]!.index} (expected ${first.index + i})`);
    }
  }
  const last = lastIndex(state);
  if (first.index > last + 1) {
    throw new Error(`storage: append at index ${first.index} leaves a gap after the last index ${last}`);
  }
  // Keep entries below first.index; positions are index - (snapIndex + 1).
  state.entries.length = first.index - (snapIndex + 1);
  for (const e of fresh) state.entries.push(e);
}

/**
 * Whether installing `snapshot` only compacts the log: the log holds the
 * snapshot's last entry with the same term, so the entries after it stay,
 * and the log without the snapshot is as valid as with it.
 */
export function snapshotKeepsLog(state: PersistentState, snapshot: Snapshot): boolean {
  const pos = snapshot.lastIncludedIndex - (snapshotIndex(state) + 1);
  const atIndex = pos >= 0 ? state.entries[pos] : undefined;
  return atIndex !== undefined && atIndex.term === snapshot.lastIncludedTerm;
}

/**
 * Install a snapshot (Raft §7): if the log holds the snapshot's last entry
 * with the same term, the entries after it are kept; otherwise the whole log
 * is discarded. An older snapshot than the one installed is ignored.
 */
export function applySnapshot(state: PersistentState, snapshot: Snapshot): void {
  const snapIndex = snapshotIndex(state);
  if (snapshot.lastIncludedIndex < snapIndex) return;
  const pos = snapshot.lastIncludedIndex - (snapIndex + 1);
  if (snapshotKeepsLog(state, snapshot)) state.entries = state.entries.slice(pos + 1);
  else if (snapshot.lastIncludedIndex === snapIndex && state.snapshot?.lastIncludedTerm === snapshot.lastIncludedTerm) {
    // Re-installing the same point: keep the log as it is.
  } else state.entries = [];
  state.snapshot = snapshot;
}
