// Bounds what a paste may be before any pattern runs on it.

/** 1 MiB: a proof log pasted by hand is a few KB; anything much larger is a mistake or an attack. */
export const DEFAULT_MAX_PASTE_BYTES = 1024 * 1024;

export type RefusalKind = "too-large" | "binary" | "not-utf8" | "empty";

export type PasteText = { ok: true; text: string; bytes: number } | { ok: false; kind: RefusalKind; reason: string; bytes: number };

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function tooLargeReason(bytes: number, maxBytes: number): string {
  return `paste refused: ${bytes.toLocaleString("en-US")} bytes is over the limit of ${maxBytes.toLocaleString("en-US")} bytes; paste only the relevant log lines`;
}

/** Decodes a paste as UTF-8 text, refusing oversized, binary and non-UTF-8 input with a reason. */
export function decodePaste(data: Uint8Array, maxBytes = DEFAULT_MAX_PASTE_BYTES, sizeBytes = data.byteLength): PasteText {
  // `sizeBytes` lets a shell refuse a huge file from its size alone, without reading it.
  const bytes = Math.max(sizeBytes, data.byteLength);
  if (bytes > maxBytes) return { ok: false, kind: "too-large", reason: tooLargeReason(bytes, maxBytes), bytes };
  const nul = data.indexOf(0);
  if (nul !== -1) return { ok: false, kind: "binary", reason: `paste refused: binary data (NUL byte at offset ${nul}); paste the log as text`, bytes };
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { ok: false, kind: "not-utf8", reason: "paste refused: not UTF-8 text; save the paste as UTF-8", bytes };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  text = text.replace(/\r\n?/g, "\n");
  if (text.trim() === "") return { ok: false, kind: "empty", reason: "paste refused: the paste is empty", bytes };
  return { ok: true, text, bytes };
}
