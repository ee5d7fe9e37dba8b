/**
 * Text from a submission (messages, outputs, names) made safe for every
 * report format: well-formed UTF-16 (a lone surrogate becomes U+FFFD),
 * terminal escape sequences removed, and every character that XML 1.0 cannot
 * carry (C0 controls but tab, newline and carriage return; U+FFFE, U+FFFF)
 * replaced by U+FFFD. What is left is valid in JSON, XML and Markdown once
 * each format escapes its own syntax.
 */

/** ANSI/VT escape sequences: CSI (colours, cursor moves), OSC (titles, links), and two-character escapes. */
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;
/** Not allowed anywhere in an XML 1.0 document, even as a character reference. */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function cleanText(s: string): string {
  return s.replace(LONE_SURROGATE, "\ufffd").replace(ANSI, "").replace(NOT_XML, "\ufffd");
}

/**
 * At most `maxChars` UTF-16 units, cut at the end with a note of how much was
 * left off (the note counts toward the limit), never in the middle of a
 * surrogate pair.
 */
export function trimText(s: string, maxChars: number, where: "end" | "start" = "end"): string {
  if (s.length <= maxChars) return s;
  const note = (n: number) => (where === "end" ? `\n[… ${n} more characters]` : `[… ${n} earlier characters]\n`);
  let keep = Math.max(0, maxChars - note(s.length).length);
  if (where === "end") {
    if (keep > 0 && isHigh(s.charCodeAt(keep - 1))) keep--;
    return s.slice(0, keep) + note(s.length - keep);
  }
  let from = s.length - keep;
  if (from < s.length && isLow(s.charCodeAt(from))) from++;
  return note(from) + s.slice(from);
}

/** cleanText then trimText. */
export function safeText(s: unknown, maxChars: number, where: "end" | "start" = "end"): string {
  return trimText(cleanText(typeof s === "string" ? s : s === undefined || s === null ? "" : String(s)), maxChars, where);
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Whether a string is well-formed UTF-16 (no lone surrogate). */
export function isWellFormed(s: string): boolean {
  LONE_SURROGATE.lastIndex = 0;
  return !LONE_SURROGATE.test(s);
}
