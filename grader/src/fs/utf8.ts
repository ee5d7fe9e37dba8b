// Text files the grader reads (the completions CSV, the gradebook's JSON)
// decoded as strict UTF-8: a byte that is not UTF-8 (a Latin-1 `é`, 0xE9,
// from a spreadsheet export) is refused where it is, never read as U+FFFD,
// which would silently change a student's name. A UTF-8 BOM is dropped.

const strict = new TextDecoder("utf-8", { fatal: true });

/** Where the first byte that is not UTF-8 sits, and the likely cause. */
export class NotUtf8Error extends Error {
  readonly code = "NOT_UTF8";
  constructor(
    readonly file: string,
    /** 1-based line and column (in characters) of the first bad byte. */
    readonly line: number,
    readonly column: number,
    /** 0-based byte offset of that byte in the file. */
    readonly offset: number,
    readonly byte: number,
  ) {
    const hex = byte.toString(16).toUpperCase().padStart(2, "0");
    super(
      `${file}:${line}:${column}: not UTF-8 text: byte 0x${hex} (byte offset ${offset}) is not valid UTF-8; ` +
        `saved in Latin-1/Windows-1252? save it as UTF-8`,
    );
  }
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the bytes there are not one. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c >= 0xe1 && c <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** Byte offset of the first byte that does not start a valid UTF-8 sequence, or -1. */
export function firstBadByte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes, i);
    if (n === 0) return i;
    i += n;
  }
  return -1;
}

/** The text of `bytes` read from `file`: strict UTF-8, a leading BOM dropped; else a NotUtf8Error naming the line and column. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    // ignoreBOM is false: a leading U+FEFF is dropped, not kept in the first field.
    return strict.decode(bytes);
  } catch {
    const offset = firstBadByte(bytes);
    const at = offset === -1 ? bytes.length : offset;
    let lineStart = 0;
    let line = 1;
    for (let i = 0; i < at; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    // Everything before the bad byte is valid UTF-8: its characters count the column.
    const before = strict.decode(bytes.subarray(lineStart, at)).replace(/^\ufeff/, "");
    throw new NotUtf8Error(file, line, [...before].length + 1, at, bytes[at] ?? 0);
  }
}
