/**
 * Framed records, the unit of the WAL and of the snapshot file (format 2):
 *
 *   [payload length: u32 LE][CRC-32 of payload: u32 LE][CRC-32 of the 8 bytes before: u32 LE][payload: UTF-8 JSON]
 *
 * The header checksum covers the length, so a damaged length is corruption,
 * never mistaken for a record that runs past the end of the file (a tear).
 *
 * Torn or damaged: a crash during an unsynced write leaves the bytes of the
 * record that did not reach the disk as they were before, zeros (segments are
 * preallocated with zeros, or the file simply ends). So a bad record counts
 * as possibly torn only when it carries that evidence itself:
 *   - its header or payload is cut off by the zeros (or the end) that end the
 *     written data;
 *   - its header is all zeros (the block holding it was not written) while
 *     later bytes are not;
 *   - its payload holds a whole 512-byte block of zeros (JSON never has a
 *     zero byte), a block that never reached the disk.
 * A complete record whose checksum fails has none of these: that is damage.
 * Whether a possibly torn record really is the torn last write (nothing valid
 * after it) is decided by the reader of the whole file (wal.ts).
 */
import { crc32 } from "./crc32.js";

export const RECORD_HEADER_BYTES = 12;
/** The unit a disk writes atomically at least; a whole zero one inside a payload is an unwritten block. */
export const SECTOR_BYTES = 512;

export function encodeRecord(payload: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(payload), "utf8");
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + body.length);
  out.writeUInt32LE(body.length, 0);
  out.writeUInt32LE(crc32(body), 4);
  out.writeUInt32LE(crc32(out, 0, 8), 8);
  body.copy(out, RECORD_HEADER_BYTES);
  return out;
}

export type ReadRecord =
  | { ok: true; payload: unknown; end: number }
  /** `mayBeTorn`: the record itself shows bytes that never reached the disk (see the header). */
  | { ok: false; reason: string; mayBeTorn: boolean };

/**
 * Read the record at `offset`. `dataEnd` is where the written data ends:
 * everything from it to the end of `buf` is zeros (preallocated space).
 */
export function readRecord(buf: Buffer, offset: number, dataEnd: number): ReadRecord {
  const bad = (reason: string, mayBeTorn: boolean): ReadRecord => ({ ok: false, reason, mayBeTorn });
  if (dataEnd - offset < RECORD_HEADER_BYTES) {
    return bad(`incomplete header (${dataEnd - offset} of ${RECORD_HEADER_BYTES} bytes written)`, true);
  }
  const length = buf.readUInt32LE(offset);
  const storedHeaderCrc = buf.readUInt32LE(offset + 8);
  const headerCrc = crc32(buf, offset, offset + 8);
  if (headerCrc !== storedHeaderCrc) {
    if (isZero(buf, offset, offset + RECORD_HEADER_BYTES)) return bad("a header of zeros with data after it", true);
    return bad(`header checksum mismatch (stored ${hex(storedHeaderCrc)}, computed ${hex(headerCrc)}): the length field is damaged`, false);
  }
  if (length === 0) return bad("a zero-length record", false);
  const start = offset + RECORD_HEADER_BYTES;
  const end = start + length;
  if (end > dataEnd) return bad(`incomplete payload (${dataEnd - start} of ${length} bytes written)`, true);
  const storedCrc = buf.readUInt32LE(offset + 4);
  const actualCrc = crc32(buf, start, end);
  if (actualCrc !== storedCrc) {
    const hole = zeroSector(buf, start, end);
    const why = `payload checksum mismatch (stored ${hex(storedCrc)}, computed ${hex(actualCrc)})`;
    return hole === null ? bad(why, false) : bad(`${why}; bytes ${hole}-${hole + SECTOR_BYTES - 1} are zeros, a block that was never written`, true);
  }
  try {
    return { ok: true, payload: JSON.parse(buf.toString("utf8", start, end)), end };
  } catch (e) {
    return bad(`the payload is not JSON (${(e as Error).message})`, false);
  }
}

/** Where the written data ends: the start of the zeros (or nothing) that run to the end of `buf`. */
export function dataEnd(buf: Buffer, from = 0): number {
  let end = buf.length;
  while (end > from && buf[end - 1] === 0) end--;
  return end;
}

/**
 * The offset of the first complete, valid record that starts in [from, end),
 * or null. Looked for at every byte, since a damaged length says nothing
 * about where the next record starts.
 */
export function findValidRecord(buf: Buffer, from: number, end: number): number | null {
  for (let at = from; at + RECORD_HEADER_BYTES < end; at++) {
    if (crc32(buf, at, at + 8) !== buf.readUInt32LE(at + 8)) continue;
    const length = buf.readUInt32LE(at);
    if (length > 0 && readRecord(buf, at, end).ok) return at;
  }
  return null;
}

/** True when buf[from, to) holds only zero bytes. */
export function isZero(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/** The start of the first sector-aligned block inside [from, to) that is all zeros, or null. */
function zeroSector(buf: Buffer, from: number, to: number): number | null {
  for (let at = Math.ceil(from / SECTOR_BYTES) * SECTOR_BYTES; at + SECTOR_BYTES <= to; at += SECTOR_BYTES) {
    if (isZero(buf, at, at + SECTOR_BYTES)) return at;
  }
  return null;
}

export function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
