/**
 * The in-memory Raft log: a snapshot point (index, term) followed by the
 * entries after it. Index 0 with term 0 is the empty prefix every log shares.
 * It only mirrors what the core has asked storage to persist; it does no IO.
 */
import type { LogEntry } from "../contract.js";

/** A log as plain data: the snapshot point and the entries after it. */
export interface RaftLogState {
  snapshotIndex: number;
  snapshotTerm: number;
  entries: LogEntry[];
}

/** A deep copy through JSON: plain data in, plain data out (undefined members dropped, as on the wire). */
export function cloneData<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export class RaftLog {
  private snapIndex = 0;
  private snapTerm = 0;
  /** entries[i].index === snapIndex + 1 + i */
  private entries: LogEntry[] = [];
  /** JSON size of entries[i], computed when first needed (sizes[i] is undefined until then). */
  private sizes: Array<number | undefined> = [];

  get snapshotIndex(): number {
    return this.snapIndex;
  }

  get snapshotTerm(): number {
    return this.snapTerm;
  }

  lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  lastTerm(): number {
    const last = this.entries[this.entries.length - 1];
    return last ? last.term : this.snapTerm;
  }

  /** The term at `index`, or undefined when it is compacted away (below the snapshot) or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    if (index < this.snapIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapIndex - 1]!.term;
  }

  entry(index: number): LogEntry | undefined {
    if (index <= this.snapIndex) return undefined;
    return this.entries[index - this.snapIndex - 1];
  }

  /** Entries from `from` to `to`, both inclusive; `from` must be above the snapshot. */
  slice(from: number, to: number): LogEntry[] {
    if (from <= this.snapIndex) throw new Error(`raft log: slice from ${from} reaches into the snapshot at ${this.snapIndex}`);
    if (to < from) return [];
    return this.entries.slice(from - this.snapIndex - 1, to - this.snapIndex);
  }

  /**
   * Like `slice`, but stops before the entries' JSON would exceed `maxChars`
   * (always at least one entry), so an AppendEntries fits on one line.
   */
  sliceWithin(from: number, to: number, maxChars: number): LogEntry[] {
    if (to < from) return [];
    const first = from - this.snapIndex - 1;
    const out: LogEntry[] = [this.entries[first]!];
    // A size is needed only to weigh the entry after it, so the usual
    // one-entry append prints nothing.
    if (to === from) return out;
    let chars = this.sizeAt(first);
    for (let pos = first + 1; pos <= to - this.snapIndex - 1; pos++) {
      const size = this.sizeAt(pos);
      if (chars + size > maxChars) break;
      chars += size;
      out.push(this.entries[pos]!);
    }
    return out;
  }

  /** The JSON size of entries[pos] and its separator, printed once. */
  private sizeAt(pos: number): number {
    return (this.sizes[pos] ??= JSON.stringify(this.entries[pos]).length + 1);
  }

  /** The first index holding `term`, scanning back from `index` (fast backtracking, §5.3). */
  firstIndexOfTerm(term: number, index: number): number {
    let i = index;
    while (i - 1 > this.snapIndex && this.term(i - 1) === term) i--;
    return i;
  }

  /** The last index holding `term`, or undefined when the log has no entry of that term. */
  lastIndexOfTerm(term: number): number | undefined {
    for (let i = this.lastIndex(); i > this.snapIndex; i--) {
      const t = this.term(i)!;
      if (t === term) return i;
      if (t < term) return undefined;
    }
    return undefined;
  }

  /** Append contiguous entries; any entries at or after the first new index are dropped first. */
  truncateAndAppend(entries: readonly LogEntry[]): void {
    const first = entries[0];
    if (!first) return;
    if (first.index <= this.snapIndex || first.index > this.lastIndex() + 1) {
      throw new Error(`raft log: cannot append at ${first.index} (snapshot ${this.snapIndex}, last ${this.lastIndex()})`);
    }
    this.entries.length = first.index - this.snapIndex - 1;
    if (this.sizes.length > this.entries.length) this.sizes.length = this.entries.length;
    for (const e of entries) this.entries.push(e);
  }

  /** The log as plain data (copies of the entries); `importState` of it rebuilds this log. */
  exportState(): RaftLogState {
    return { snapshotIndex: this.snapIndex, snapshotTerm: this.snapTerm, entries: cloneData(this.entries) };
  }

  /** Replaces the whole log with what `exportState` returned (the entries are copied, unless `owned`: a fresh export no one else holds). */
  importState(state: RaftLogState, owned = false): void {
    state.entries.forEach((e, i) => {
      if (e.index !== state.snapshotIndex + 1 + i) throw new Error(`raft log: imported entry ${i} has index ${e.index}, expected ${state.snapshotIndex + 1 + i}`);
    });
    this.snapIndex = state.snapshotIndex;
    this.snapTerm = state.snapshotTerm;
    this.entries = owned ? state.entries : cloneData(state.entries);
    this.sizes = [];
  }

  /** Drop entries up to `index` (they are in a snapshot now); entries after it stay. */
  compact(index: number, term: number): void {
    if (index <= this.snapIndex) return;
    if (index <= this.lastIndex() && this.term(index) === term) {
      this.entries = this.entries.slice(index - this.snapIndex);
      this.sizes = this.sizes.slice(index - this.snapIndex);
    } else {
      this.entries = [];
      this.sizes = [];
    }
    this.snapIndex = index;
    this.snapTerm = term;
  }
}
