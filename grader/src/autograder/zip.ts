/**
 * A small ZIP writer and reader (PKWARE APPNOTE 6.3: local file headers,
 * central directory, end of central directory; no ZIP64, no encryption).
 * Entries are deflated with node:zlib, or stored when deflate does not make
 * them smaller. Unix permissions travel in the external attributes (made by
 * "UNIX"), so `run_autograder` and `setup.sh` unpack executable. Dates are a
 * fixed stamp, so the same files make the same zip byte for byte.
 *
 * Dependency-free on purpose: the grader ships inside the zip it writes,
 * and the reader lets a test open the zip with the same rules Gradescope's
 * unzip applies, without a second library.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";

export interface ZipEntry {
  /** `/` separators, no leading `/`, no `..`. */
  path: string;
  data: Buffer;
  /** Unix permission bits (0o644, 0o755). */
  mode: number;
}

export class ZipError extends Error {
  readonly code = "ZIP";
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;
const UTF8_NAMES = 1 << 11;
const VERSION_NEEDED = 20;
/** Made by: UNIX (3) in the high byte, spec 2.0. */
const VERSION_MADE_BY = (3 << 8) | 20;
const REGULAR_FILE = 0o100000;
/** 2026-01-01 00:00:00 in MS-DOS time and date fields. */
const DOS_TIME = 0;
const DOS_DATE = ((2026 - 1980) << 9) | (1 << 5) | 1;
const MAX_16 = 0xffff;
const MAX_32 = 0xffffffff;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function checkPath(path: string): void {
  if (path === "" || path.startsWith("/") || path.includes("\\") || path.split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw new ZipError(`${JSON.stringify(path)} is not a relative path a zip may hold`);
  }
}

/** The zip holding `entries`, in the order given. */
export function writeZip(entries: readonly ZipEntry[]): Buffer {
  if (entries.length > MAX_16) throw new ZipError(`${entries.length} entries: more than a zip without ZIP64 holds (${MAX_16})`);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const e of entries) {
    checkPath(e.path);
    if (seen.has(e.path)) throw new ZipError(`${e.path} is in the zip twice`);
    seen.add(e.path);
    const name = Buffer.from(e.path, "utf8");
    const crc = crc32(e.data);
    const deflated = deflateRawSync(e.data, { level: 9 });
    const stored = deflated.length >= e.data.length;
    const body = stored ? e.data : deflated;
    if (body.length > MAX_32 || offset > MAX_32) throw new ZipError(`${e.path}: the zip would exceed 4 GiB, which needs ZIP64`);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL_HEADER, 0);
    central.writeUInt16LE(VERSION_MADE_BY, 4);
    central.writeUInt16LE(VERSION_NEEDED, 6);
    central.writeUInt16LE(UTF8_NAMES, 8);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(((REGULAR_FILE | (e.mode & 0o777)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The entries of `zip` (files only), checking each CRC. */
export function readZip(zip: Buffer): ZipEntry[] {
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - MAX_16); i--) {
    if (zip.readUInt32LE(i) === END_OF_CENTRAL) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new ZipError("not a zip: no end-of-central-directory record");
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== CENTRAL_HEADER) throw new ZipError(`central directory entry ${i} is damaged`);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const attributes = zip.readUInt32LE(at + 38);
    const localAt = zip.readUInt32LE(at + 42);
    const path = zip.toString("utf8", at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (path.endsWith("/")) continue;
    if (zip.readUInt32LE(localAt) !== LOCAL_HEADER) throw new ZipError(`${path}: its local header is damaged`);
    const dataAt = localAt + 30 + zip.readUInt16LE(localAt + 26) + zip.readUInt16LE(localAt + 28);
    const body = zip.subarray(dataAt, dataAt + compressed);
    if (method !== 0 && method !== 8) throw new ZipError(`${path}: compression method ${method} is not supported`);
    let data: Buffer;
    try {
      data = method === 0 ? Buffer.from(body) : inflateRawSync(body);
    } catch (e) {
      throw new ZipError(`${path}: its compressed data is damaged (${(e as Error).message})`);
    }
    if (data.length !== size || crc32(data) !== crc) throw new ZipError(`${path}: size or CRC does not match its contents`);
    entries.push({ path, data, mode: (attributes >>> 16) & 0o777 || 0o644 });
  }
  return entries;
}
