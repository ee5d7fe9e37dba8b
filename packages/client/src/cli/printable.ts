/**
 * Text a node sent (an error's text, a leader's id, a status row), made safe
 * to print on a terminal: control characters (C0, DEL, C1: escape sequences
 * that recolour or retitle the terminal, a bell, a newline that would forge
 * a line of kv's own output such as `ok write_ok`) and the Unicode line,
 * paragraph and bidirectional-override marks are written as `\uXXXX`. The
 * same escapes inside a JSON string mean the same characters, so a whole
 * JSON line can go through it too.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
