/**
 * The in-process storage with a disk that can be damaged: a `MemoryStorage`
 * holds what the node has synced (the truth), and beside it the bytes
 * `FileStorage` would have on disk for that state (its WAL segment and
 * snapshot file, from the product's own encoders). A crash builds a damaged
 * disk image from those bytes, and the restart recovers from the image with
 * the product's own decoder (`recoverState`), then judges the result:
 *
 *   refuse   a `StorageError`: the node does not start (the test then plays
 *            the operator who restores the synced files);
 *   recover  exactly the synced state, or the synced state plus a prefix of
 *            the batch that was being written when the crash came (written,
 *            never acknowledged: keeping it is allowed, needing it is not).
 *
 * Anything else is a violation: a synced entry, term or vote lost or changed.
 * Some faults must be recovered (a crash with no damage, a write cut short),
 * some must be refused (a flipped bit in synced bytes: every such bit is
 * covered by a checksum, a magic or the version), the rest may go either way.
 */
import {
  MemoryStorage,
  StorageError,
  decodeSnapshotFile,
  encodeSegment,
  encodeSnapshotFile,
  encodeWalOps,
  recoverState,
  type PersistOp,
  type PersistentState,
} from "@dslab/cluster";
import type { Prng } from "@dslab/protocol";

export const FAULT_KINDS = ["clean", "torn-prefix", "torn-sectors", "flip-synced", "flip-snapshot", "flip-free", "torn+flip"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What each fault must lead to. */
export const EXPECTED: Record<FaultKind, "recover" | "refuse" | "either"> = {
  clean: "recover",
  "torn-prefix": "recover",
  "torn-sectors": "either",
  "flip-synced": "refuse",
  "flip-snapshot": "refuse",
  "flip-free": "either",
  "torn+flip": "refuse",
};

export interface CrashOutcome {
  node: string;
  kind: FaultKind;
  result: "recovered" | "refused";
  /** How many ops of the interrupted batch the recovered state kept. */
  keptUnsynced?: number;
  code?: string;
  /** The refusal, as the node would print it. */
  message?: string;
  /** Set when the outcome breaks "refuse, or recover exactly what was synced". */
  violation?: string;
}

interface DiskImage {
  kind: FaultKind;
  wal: Buffer;
  snapshot: Buffer | null;
  /** The batch being written when the crash came. */
  unsynced: PersistOp[];
}

const SECTOR = 512;

export class FaultyWalStorage {
  /** What the node has synced: persistSync returned for it. */
  private readonly synced = new MemoryStorage();
  private wal: Buffer;
  private snapshotFile: Buffer | null = null;
  private segment = 1;
  private image: DiskImage | null = null;
  readonly outcomes: CrashOutcome[] = [];

  constructor(
    readonly nodeId: string,
    private readonly prng: Prng,
  ) {
    this.wal = encodeSegment(this.synced.loadSync());
  }

  persistSync(ops: readonly PersistOp[]): void {
    if (ops.length === 0) return;
    this.synced.persistSync(ops);
    if (ops.some((op) => op.type === "snapshot")) {
      // FileStorage rotates: a new segment for the state after the batch, then the snapshot file naming it.
      const state = this.synced.loadSync();
      this.segment++;
      this.wal = encodeSegment(state);
      this.snapshotFile = encodeSnapshotFile(this.segment, state.snapshot!);
    } else {
      this.wal = Buffer.concat([this.wal, encodeWalOps(ops)]);
    }
  }

  /** The node was killed in the middle of its next write: build the disk it leaves behind. */
  crash(): void {
    const kind = this.prng.pick(FAULT_KINDS);
    const unsynced = this.nextBatch(this.synced.loadSync());
    const inflight = encodeWalOps(unsynced);
    const zeros = Buffer.alloc(this.prng.int(0, 3 * SECTOR)); // preallocated space after the written data
    let wal: Buffer;
    let snapshot = this.snapshotFile ? Buffer.from(this.snapshotFile) : null;
    switch (kind) {
      case "clean":
        wal = Buffer.concat([this.wal, zeros]);
        break;
      case "torn-prefix":
      case "torn+flip":
        wal = Buffer.concat([this.wal, inflight.subarray(0, this.prng.int(0, inflight.length)), zeros]);
        if (kind === "torn+flip") this.flipBit(wal, 0, this.wal.length);
        break;
      case "torn-sectors": {
        // Each disk block the write touched reached the disk or did not, in any order.
        wal = Buffer.concat([this.wal, inflight, zeros]);
        const from = this.wal.length;
        const to = from + inflight.length;
        for (let block = Math.floor(from / SECTOR) * SECTOR; block < to; block += SECTOR) {
          if (this.prng.chance(0.5)) wal.fill(0, Math.max(block, from), Math.min(block + SECTOR, to));
        }
        break;
      }
      case "flip-snapshot":
        wal = Buffer.concat([this.wal, zeros]);
        if (snapshot) this.flipBit(snapshot, 0, snapshot.length);
        else this.flipBit(wal, 0, this.wal.length);
        break;
      case "flip-synced":
        wal = Buffer.concat([this.wal, zeros]);
        this.flipBit(wal, 0, this.wal.length);
        break;
      case "flip-free":
        wal = Buffer.concat([this.wal, zeros.length > 0 ? zeros : Buffer.alloc(1)]);
        this.flipBit(wal, this.wal.length, wal.length);
        break;
    }
    this.image = { kind, wal, snapshot, unsynced };
  }

  /** The restart: recover from the damaged image with the product's decoder, judge, and hand the node its state. */
  loadSync(): PersistentState {
    const image = this.image;
    this.image = null;
    if (!image) return this.synced.loadSync();
    const expected = this.synced.loadSync();
    const outcome = this.recover(image, expected);
    this.outcomes.push(outcome);
    if (outcome.result === "recovered" && !outcome.violation) {
      // The node goes on from what it recovered, interrupted ops it kept included.
      if (outcome.keptUnsynced) this.persistSync(image.unsynced.slice(0, outcome.keptUnsynced));
    }
    return this.synced.loadSync();
  }

  private recover(image: DiskImage, expected: PersistentState): CrashOutcome {
    const base = { node: this.nodeId, kind: image.kind };
    let recovered: PersistentState;
    try {
      const snap = image.snapshot ? decodeSnapshotFile(image.snapshot, "snapshot.bin") : null;
      if ((snap?.walSegment ?? 1) !== this.segment) throw new Error(`snapshot.bin names segment ${snap?.walSegment}, not ${this.segment}`);
      recovered = recoverState(snap ? snap.snapshot : null, { file: "wal.log", bytes: image.wal }).state;
    } catch (e) {
      if (!(e instanceof StorageError)) throw e; // the decoder itself failed: a bug, not a refusal
      const outcome: CrashOutcome = { ...base, result: "refused", code: e.code, message: e.message };
      if (EXPECTED[image.kind] === "recover") outcome.violation = `refused a disk it must recover: ${e.message}`;
      return outcome;
    }
    // The synced state, then the synced state plus 1, 2, ... ops of the interrupted batch.
    const candidates = [expected];
    const withUnsynced = new MemoryStorage(expected, { persisted: "copy" });
    for (const op of image.unsynced) {
      withUnsynced.persistSync([op]);
      candidates.push(withUnsynced.loadSync());
    }
    const got = JSON.stringify(recovered);
    const kept = candidates.findIndex((c) => JSON.stringify(c) === got);
    const outcome: CrashOutcome = { ...base, result: "recovered", keptUnsynced: Math.max(kept, 0) };
    if (kept < 0) outcome.violation = `recovered a state that is not what was synced: ${describe(recovered)} instead of ${describe(expected)}`;
    else if (EXPECTED[image.kind] === "refuse") outcome.violation = "recovered from a disk whose synced bytes were damaged";
    return outcome;
  }

  /**
   * A batch this node could really be writing next: a new term with a vote
   * for itself (an election timeout), and its last entry again (a repeated
   * AppendEntries), which changes nothing if it survives.
   */
  private nextBatch(state: PersistentState): PersistOp[] {
    const ops: PersistOp[] = [{ type: "hardState", hardState: { term: state.hardState.term + 1, votedFor: this.nodeId } }];
    const last = state.entries[state.entries.length - 1];
    if (last) ops.push({ type: "append", entries: [last] });
    return ops;
  }

  private flipBit(buf: Buffer, from: number, to: number): void {
    const at = this.prng.int(from, to - 1);
    buf[at]! ^= 1 << this.prng.int(0, 7);
  }
}

function describe(s: PersistentState): string {
  const last = s.entries[s.entries.length - 1];
  return `term ${s.hardState.term} vote ${s.hardState.votedFor} snapshot ${s.snapshot?.lastIncludedIndex ?? 0} last entry ${last ? `${last.index}@${last.term}` : "none"}`;
}
