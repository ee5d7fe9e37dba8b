/**
 * A history file is text: EDN or JSON, in UTF-8. Its bytes are checked
 * before they are parsed, so a binary file is told as one ("not a text
 * file: a NUL byte at byte 0"), never as garbled operations; and anything
 * from the file that a message quotes is made printable first, so a
 * control character or a byte that is not text never reaches the terminal
 * as it is.
 */
import { constants, isUtf8 } from "node:buffer";
import { ParseError } from "./parse-error.js";

/**
 * The largest history read, in bytes: the longest string Node can hold.
 * A larger file cannot become one string, so it is refused by its size
 * before a byte of it is read.
 */
export const HISTORY_BYTES_MAX = constants.MAX_STRING_LENGTH;

/** The text of a history's bytes, or a ParseError saying where the first byte that is not UTF-8 text is. */
export function historyText(bytes: Buffer, source: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw notText(`a NUL byte at byte ${nul}`, bytes, nul, source);
  if (!isUtf8(bytes)) {
    const at = firstInvalidUtf8(bytes);
    throw notText(`the byte 0x${bytes[at]!.toString(16).padStart(2, "0")} at byte ${at} is not UTF-8`, bytes, at, source);
  }
  return bytes.toString("utf8");
}

function notText(what: string, bytes: Buffer, at: number, source: string): ParseError {
  let line = 1;
  for (let i = bytes.indexOf(10); i >= 0 && i < at; i = bytes.indexOf(10, i + 1)) line++;
  return new ParseError(`not a text file (${what}): a history is EDN or JSON text in UTF-8`, { source, line });
}

/** The offset of the first byte that does not belong to a well-formed UTF-8 sequence (the bytes are known not to be UTF-8). */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 0) return i;
    if (n === 1) {
      i++;
      continue;
    }
    // The second byte's range narrows for E0 (no overlongs), ED (no surrogates), F0 (no overlongs) and F4 (nothing past U+10FFFF).
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < n; k++) {
      const x = b[i + k];
      if (x === undefined || x < (k === 1 ? lo : 0x80) || x > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n;
  }
  return i;
}

/**
 * `text` with every character a terminal would not show as itself written
 * as a JSON escape (`\u0000`): control characters, unpaired
 * surrogates, unassigned and private-use code points, the replacement
 * character, and the marks that reorder text.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cs}\p{Co}\p{Cn}\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffd]/gu, (ch) => "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0"));
}
