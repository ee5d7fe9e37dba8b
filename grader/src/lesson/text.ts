// Repairs what real course files contain before parsing: a BOM, CRLF line
// endings and UTF-8 punctuation that was once decoded as Windows-1252.

/** Windows-1252 characters in 0x80..0x9F and the byte each one came from. */
const CP1252_HIGH: Record<string, number> = {
  "€": 0x80, "‚": 0x82, "ƒ": 0x83, "„": 0x84, "…": 0x85, "†": 0x86, "‡": 0x87,
  "ˆ": 0x88, "‰": 0x89, "Š": 0x8a, "‹": 0x8b, "Œ": 0x8c, "Ž": 0x8e, "‘": 0x91,
  "’": 0x92, "“": 0x93, "”": 0x94, "•": 0x95, "–": 0x96, "—": 0x97, "˜": 0x98,
  "™": 0x99, "š": 0x9a, "›": 0x9b, "œ": 0x9c, "ž": 0x9e, "Ÿ": 0x9f,
};

/** The byte a character stands for when UTF-8 was read as Windows-1252, or -1. */
function cp1252Byte(ch: string): number {
  const code = ch.charCodeAt(0);
  // 0x80..0x9F as C1 controls: the bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
  if (code >= 0x80 && code <= 0xff) return code;
  return CP1252_HIGH[ch] ?? -1;
}

function continuationCount(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 1;
  if (lead >= 0xe0 && lead <= 0xef) return 2;
  if (lead >= 0xf0 && lead <= 0xf4) return 3;
  return 0;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Characters that course files really contain and that mojibake really comes
 * from: Latin, Greek, Cyrillic and the like (2 bytes), punctuation, arrows and
 * symbols (U+2000..U+2BFF) and emoji. Anything else (CJK, say) is more likely
 * correct text that happens to look like a sequence, e.g. "é””", and is left alone.
 */
function plausible(codePoint: number): boolean {
  return codePoint <= 0x7ff || (codePoint >= 0x2000 && codePoint <= 0x2bff) || (codePoint >= 0x1f000 && codePoint <= 0x1faff);
}

export interface MojibakeRepair {
  line: number;
  from: string;
  to: string;
}

export interface RepairedText {
  text: string;
  repairs: MojibakeRepair[];
}

/** Replaces each run of Windows-1252 characters that decodes as one UTF-8 character. */
export function repairMojibake(text: string): RepairedText {
  const repairs: MojibakeRepair[] = [];
  // Fast path: every mojibake sequence starts with a Latin-1 lead character.
  if (!/[\u00c2-\u00f4]/.test(text)) return { text, repairs };
  let out = "";
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "\n") line++;
    const n = continuationCount(cp1252Byte(ch));
    if (n > 0) {
      const bytes = [cp1252Byte(ch)];
      for (let k = 1; k <= n; k++) {
        const next = text[i + k];
        const b = next === undefined ? -1 : cp1252Byte(next);
        if (b < 0x80 || b > 0xbf) break;
        bytes.push(b);
      }
      if (bytes.length === n + 1) {
        let decoded: string | undefined;
        try {
          decoded = utf8.decode(Uint8Array.from(bytes));
        } catch {
          decoded = undefined;
        }
        if (decoded !== undefined && plausible(decoded.codePointAt(0)!)) {
          repairs.push({ line, from: text.slice(i, i + n + 1), to: decoded });
          out += decoded;
          i += n + 1;
          continue;
        }
      }
    }
    out += ch;
    i++;
  }
  return { text: out, repairs };
}

/** Strips a BOM and turns CRLF and lone CR into LF. Line numbers are unchanged. */
export function normalizeNewlines(text: string): string {
  const noBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return noBom.replace(/\r\n?/g, "\n");
}
