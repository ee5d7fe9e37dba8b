/**
 * The bytes of a data directory's files, with no IO: `FileStorage` reads and
 * writes them, and the simulator's storage fault tests feed them damaged
 * bytes to check the rule "refuse, or recover exactly what was synced".
 *
 * Both files start with a 12-byte file header, `DSLABWAL` or `DSLABSNP`
 * followed by the format version (u32 LE, 2), then framed records
 * (records.ts):
 *   wal-<segment>.log   {"t":"h"} hard state and {"t":"a"} appended entries,
 *                       replayed in order; zeros after the last record are
 *                       preallocated space, the clean end.
 *   snapshot.bin        one record {walSegment, snapshot}.
 *
 * Replay refuses everything but a clean log or a proven torn tail: only the
 * last record can be torn, only when it shows bytes that never reached the
 * disk, and only when no valid record follows it. Anything else (a complete
 * record that fails its checksum, a damaged length, a bad record with valid
 * ones after it, a file that does not start like a WAL) is a
 * `StorageCorruptError` or `StorageFormatError`. After replay the term must
 * cover the log: a node that lost its term and vote must not come back with
 * its entries (it could vote twice in a term).
 */
import type { LogEntry, PersistOp, PersistentState, Snapshot } from "../contract.js";
import { StorageCorruptError, StorageFormatError } from "./errors.js";
import { dataEnd, encodeRecord, findValidRecord, readRecord } from "./records.js";
import { applyAppend, applyHardState } from "./state.js";

export const WAL_FORMAT_VERSION = 2;
export const FILE_HEADER_BYTES = 12;
const MAGIC = { wal: "DSLABWAL", snapshot: "DSLABSNP" } as const;
const WHAT = { wal: "a dslab WAL segment", snapshot: "a dslab snapshot file" } as const;
type FileKind = keyof typeof MAGIC;

type WalRecord = { t: "h"; term: number; votedFor: string | null } | { t: "a"; entries: LogEntry[] };

export function fileHeader(kind: FileKind): Buffer {
  const out = Buffer.alloc(FILE_HEADER_BYTES);
  out.write(MAGIC[kind], 0, "latin1");
  out.writeUInt32LE(WAL_FORMAT_VERSION, 8);
  return out;
}

/** The records for a batch's hard-state and append ops, in order (snapshot ops rotate the segment instead). */
export function encodeWalOps(ops: readonly PersistOp[]): Buffer {
  const records: Buffer[] = [];
  for (const op of ops) {
    if (op.type === "hardState") records.push(encodeRecord(hardStateRecord(op.hardState)));
    else if (op.type === "append" && op.entries.length > 0) records.push(encodeRecord({ t: "a", entries: op.entries }));
  }
  return Buffer.concat(records);
}

/** A whole new segment for `state`: the file header, the hard state, the entries after the snapshot. */
export function encodeSegment(state: PersistentState): Buffer {
  const records = [fileHeader("wal"), encodeRecord(hardStateRecord(state.hardState))];
  if (state.entries.length > 0) records.push(encodeRecord({ t: "a", entries: state.entries }));
  return Buffer.concat(records);
}

export function encodeSnapshotFile(walSegment: number, snapshot: Snapshot): Buffer {
  return Buffer.concat([fileHeader("snapshot"), encodeRecord({ walSegment, snapshot })]);
}

/** Throws a `StorageFormatError` unless `buf` starts with this format's header for `kind`. */
export function checkFileHeader(buf: Buffer, file: string, kind: FileKind): void {
  const what = WHAT[kind];
  if (buf.length === 0) throw new StorageFormatError(file, `the file is empty, not ${what}`);
  if (buf.length < FILE_HEADER_BYTES || buf.toString("latin1", 0, 8) !== MAGIC[kind]) {
    if (looksLikeFormat1(buf)) {
      throw new StorageFormatError(
        file,
        `${what} in format 1 (records without a header checksum, written by an earlier dslab); this version reads format ${WAL_FORMAT_VERSION} only`,
      );
    }
    const start = buf.subarray(0, 8).toString("hex").replace(/(..)/g, "$1 ").trim();
    throw new StorageFormatError(file, `not ${what}: it does not start with "${MAGIC[kind]}" (its first bytes are ${start})`);
  }
  const version = buf.readUInt32LE(8);
  if (version !== WAL_FORMAT_VERSION) {
    throw new StorageFormatError(file, `${what} in format ${version}; this version reads format ${WAL_FORMAT_VERSION} only`);
  }
}

/** Format 1 had no file header: a record header, then a JSON object. */
function looksLikeFormat1(buf: Buffer): boolean {
  return buf.length > 9 && buf[8] === 0x7b /* { */ && buf.readUInt32LE(0) > 0 && buf.readUInt32LE(0) <= buf.length - 8;
}

export function decodeSnapshotFile(buf: Buffer, file: string): { walSegment: number; snapshot: Snapshot } {
  checkFileHeader(buf, file, "snapshot");
  const rec = readRecord(buf, FILE_HEADER_BYTES, buf.length);
  if (!rec.ok) throw new StorageCorruptError(file, FILE_HEADER_BYTES, `damaged record: ${rec.reason} (the file is written whole, through a temp file and a rename, so it cannot be torn)`);
  if (rec.end !== buf.length) throw new StorageCorruptError(file, rec.end, `${buf.length - rec.end} unexpected bytes after the snapshot record`);
  const payload = rec.payload as { walSegment?: unknown; snapshot?: Snapshot };
  if (!Number.isSafeInteger(payload.walSegment) || (payload.walSegment as number) < 1 || !payload.snapshot) {
    throw new StorageCorruptError(file, FILE_HEADER_BYTES, "the snapshot record lacks walSegment or snapshot");
  }
  return { walSegment: payload.walSegment as number, snapshot: payload.snapshot };
}

export interface SegmentReplay {
  /** Where the next record goes: the end of the last good record. */
  end: number;
  /** The torn last record that was not replayed (the caller cuts it off), or null. */
  torn: { offset: number; reason: string } | null;
}

/** Replays a segment's records into `state` (mutated). Throws on anything but a clean log or a proven torn tail. */
export function replaySegment(buf: Buffer, file: string, state: PersistentState): SegmentReplay {
  checkFileHeader(buf, file, "wal");
  const written = dataEnd(buf, FILE_HEADER_BYTES);
  let offset = FILE_HEADER_BYTES;
  while (offset < written) {
    const rec = readRecord(buf, offset, written);
    if (rec.ok) {
      applyWalRecord(state, rec.payload as WalRecord, file, offset);
      offset = rec.end;
      continue;
    }
    if (!rec.mayBeTorn) {
      throw new StorageCorruptError(file, offset, `damaged record: ${rec.reason} (the record is complete, so this is not a torn write)`);
    }
    const next = findValidRecord(buf, offset + 1, written);
    if (next !== null) {
      throw new StorageCorruptError(file, offset, `damaged record: ${rec.reason}, and a valid record follows at offset ${next}, so this is not a torn last write`);
    }
    return { end: offset, torn: { offset, reason: rec.reason } };
  }
  return { end: offset, torn: null };
}

/**
 * The state a data directory holds: the snapshot (if any) and the segment
 * after it, replayed and checked. Throws a `StorageError` on anything but a
 * clean log or a proven torn tail (which `replay.torn` reports; the caller
 * cuts it off at `replay.end`).
 */
export function recoverState(snapshot: Snapshot | null, wal: { file: string; bytes: Buffer }): { state: PersistentState; replay: SegmentReplay } {
  const state: PersistentState = { hardState: { term: 0, votedFor: null }, snapshot, entries: [] };
  const replay = replaySegment(wal.bytes, wal.file, state);
  checkTermCoversLog(state, wal.file);
  return { state, replay };
}

/** The term must be at least the last log term: entries without their term/vote are a node that forgot its vote. */
export function checkTermCoversLog(state: PersistentState, file: string): void {
  const last = state.entries[state.entries.length - 1];
  const lastTerm = last ? last.term : (state.snapshot?.lastIncludedTerm ?? 0);
  const { term, votedFor } = state.hardState;
  if (term >= lastTerm) return;
  const has = term === 0 && votedFor === null ? "no term/vote record" : `term ${term}`;
  throw new StorageCorruptError(
    file,
    null,
    `the log holds entries of term ${lastTerm} but ${has}: a node that lost its term and vote could vote twice in one term`,
  );
}

function hardStateRecord(h: { term: number; votedFor: string | null }): WalRecord {
  return { t: "h", term: h.term, votedFor: h.votedFor };
}

function applyWalRecord(state: PersistentState, rec: WalRecord, file: string, offset: number): void {
  if (rec && rec.t === "h" && Number.isSafeInteger(rec.term) && rec.term >= 0) applyHardState(state, rec);
  else if (rec && rec.t === "a" && Array.isArray(rec.entries)) {
    try {
      applyAppend(state, rec.entries);
    } catch (e) {
      throw new StorageCorruptError(file, offset, (e as Error).message);
    }
  } else throw new StorageCorruptError(file, offset, `unknown record ${JSON.stringify(rec).slice(0, 80)}`);
}
