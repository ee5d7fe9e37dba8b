// Bounds what a paste may be before any pattern runs on it.
import { decodeUtf8, NotUtf8Error } from "../fs/utf8.js";

/** 1 MiB: a proof log pasted by hand is a few KB; anything much larger is a mistake or an attack. */
export const DEFAULT_MAX_PASTE_BYTES = 1024 * 1024;

export type RefusalKind = "too-large" | "utf16" | "binary" | "not-utf8" | "empty" | "not-a-file";

export type PasteText = { ok: true; text: string; bytes: number } | { ok: false; kind: RefusalKind; reason: string; bytes: number };

export function tooLargeReason(bytes: number, maxBytes: number): string {
  return `paste refused: ${bytes.toLocaleString("en-US")} bytes is over the limit of ${maxBytes.toLocaleString("en-US")} bytes; paste only the relevant log lines`;
}

/**
 * UTF-16 (what Windows editors and PowerShell's `>` save): a byte-order mark,
 * or, without one, ASCII-range text whose every other byte is NUL. Told apart
 * from binary so the student hears what to do instead of "binary data".
 */
export function detectUtf16(data: Uint8Array): { endian: "little" | "big"; bom: boolean } | undefined {
  if (data.length >= 2 && data[0] === 0xff && data[1] === 0xfe) return { endian: "little", bom: true };
  if (data.length >= 2 && data[0] === 0xfe && data[1] === 0xff) return { endian: "big", bom: true };
  const pairs = Math.min(data.length >> 1, 512);
  if (pairs < 2) return undefined;
  let little = 0;
  let big = 0;
  for (let i = 0; i < pairs; i++) {
    const a = data[2 * i]!;
    const b = data[2 * i + 1]!;
    if (a !== 0 && b === 0) little++;
    else if (a === 0 && b !== 0) big++;
  }
  if (little >= pairs * 0.9) return { endian: "little", bom: false };
  if (big >= pairs * 0.9) return { endian: "big", bom: false };
  return undefined;
}

export function utf16Reason(found: { endian: "little" | "big"; bom: boolean }): string {
  // With a byte-order mark iconv finds the byte order itself; without one it must be told.
  const from = found.bom ? "UTF-16" : found.endian === "little" ? "UTF-16LE" : "UTF-16BE";
  return `paste refused: UTF-16 text (${found.endian}-endian), not UTF-8; convert it, e.g. \`iconv -f ${from} -t UTF-8 paste.txt > paste-utf8.txt\`, or save it as UTF-8`;
}

/**
 * Decodes a paste as UTF-8 text, refusing oversized, UTF-16, binary and
 * non-UTF-8 input with a reason. Non-UTF-8 input is refused as every text
 * file the grader reads is (fs/utf8.ts): `file` (the paste's path, "paste"
 * when there is none) with the line, column and byte offset of the first bad byte.
 */
export function decodePaste(data: Uint8Array, maxBytes = DEFAULT_MAX_PASTE_BYTES, sizeBytes = data.byteLength, file = "paste"): PasteText {
  // `sizeBytes` lets a shell refuse a huge file from its size alone, without reading it.
  const bytes = Math.max(sizeBytes, data.byteLength);
  if (bytes > maxBytes) return { ok: false, kind: "too-large", reason: tooLargeReason(bytes, maxBytes), bytes };
  const utf16 = detectUtf16(data);
  if (utf16 !== undefined) return { ok: false, kind: "utf16", reason: utf16Reason(utf16), bytes };
  const nul = data.indexOf(0);
  if (nul !== -1) return { ok: false, kind: "binary", reason: `paste refused: binary data (NUL byte at offset ${nul}); paste the log as text`, bytes };
  let text: string;
  try {
    // A leading BOM is dropped by decodeUtf8.
    text = decodeUtf8(data, file);
  } catch (err) {
    if (!(err instanceof NotUtf8Error)) throw err;
    return { ok: false, kind: "not-utf8", reason: `paste refused: ${err.message}`, bytes };
  }
  text = text.replace(/\r\n?/g, "\n");
  if (text.trim() === "") return { ok: false, kind: "empty", reason: "paste refused: the paste is empty", bytes };
  return { ok: true, text, bytes };
}
