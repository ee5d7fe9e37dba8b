/**
 * Framed records, the unit of the WAL and of the snapshot file:
 *
 *   [payload length: u32 LE][CRC-32 of payload: u32 LE][payload: UTF-8 JSON]
 *
 * The length lets a reader find the next record; the CRC tells a torn or
 * corrupt record from a good one.
 */
import { crc32 } from "./crc32.js";

export const RECORD_HEADER_BYTES = 8;

export function encodeRecord(payload: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(payload), "utf8");
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + body.length);
  out.writeUInt32LE(body.length, 0);
  out.writeUInt32LE(crc32(body), 4);
  body.copy(out, RECORD_HEADER_BYTES);
  return out;
}

export type ReadRecord =
  | { ok: true; payload: unknown; end: number }
  /**
   * `zeroTail`: everything from `offset` on is zero bytes: preallocated
   * space, the clean end of the log. `reachesEnd`: the bad record is the
   * last thing before the end or before zeros (a torn tail, not corruption
   * in the middle).
   */
  | { ok: false; reason: string; reachesEnd: boolean; zeroTail: boolean };

/** Read the record that starts at `offset` (which must be < buf.length). */
export function readRecord(buf: Buffer, offset: number): ReadRecord {
  if (allZero(buf, offset)) return { ok: false, reason: "zero bytes (preallocated space)", reachesEnd: true, zeroTail: true };
  const bad = (reason: string, reachesEnd: boolean): ReadRecord => ({ ok: false, reason, reachesEnd, zeroTail: false });
  const remaining = buf.length - offset;
  if (remaining < RECORD_HEADER_BYTES) return bad(`incomplete header (${remaining} of ${RECORD_HEADER_BYTES} bytes)`, true);
  const length = buf.readUInt32LE(offset);
  const expectedCrc = buf.readUInt32LE(offset + 4);
  const start = offset + RECORD_HEADER_BYTES;
  const end = start + length;
  if (end > buf.length) return bad(`incomplete payload (${buf.length - start} of ${length} bytes)`, true);
  // A torn write leaves the unwritten part of the record (and everything after it) as it was: zeros.
  const reachesEnd = allZero(buf, end);
  if (length === 0) return bad("zero-length record", reachesEnd);
  const actualCrc = crc32(buf, start, end);
  if (actualCrc !== expectedCrc) {
    return bad(`checksum mismatch (stored ${hex(expectedCrc)}, computed ${hex(actualCrc)})`, reachesEnd);
  }
  try {
    return { ok: true, payload: JSON.parse(buf.toString("utf8", start, end)), end };
  } catch (e) {
    return bad(`payload is not JSON (${(e as Error).message})`, reachesEnd);
  }
}

/** True when buf[from..] holds only zero bytes (or nothing). */
function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}
