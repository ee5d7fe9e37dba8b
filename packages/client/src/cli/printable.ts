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

/**
 * The most characters of one text from a node that the text output shows (a
 * node may send an id or an error text of many megabytes); `--json` carries
 * it whole.
 */
export const MAX_SHOWN_CHARS = 500;

/** The first `max` characters of `text`, never half of a surrogate pair. */
function head(text: string, max: number): string {
  const end = /[\ud800-\udbff]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** `printable(text)`, cut at MAX_SHOWN_CHARS with its full length said: `xxxx... (3000000 characters; --json has them all)`. */
export function shown(text: string): string {
  if (text.length <= MAX_SHOWN_CHARS) return printable(text);
  return `${printable(head(text, MAX_SHOWN_CHARS))}... (${text.length} characters; --json has them all)`;
}

/**
 * An attempt log line for the terminal: a field (`key=value`, never a
 * space inside) longer than MAX_SHOWN_CHARS is cut, with its length said
 * without a space (`leader=xxxx...(3000043 chars)`), so the line keeps its
 * fields. `--json`'s log has every line whole.
 */
export function shownLogLine(line: string): string {
  return printable(
    line
      .split(" ")
      .map((field) => (field.length <= MAX_SHOWN_CHARS ? field : `${head(field, MAX_SHOWN_CHARS)}...(${field.length} chars)`))
      .join(" "),
  );
}
