/**
 * Text a node sent (an error's text, a leader's id, a status row), made safe
 * to print on a terminal with the shared CLI module's `printable`, and cut
 * to a length a terminal can show.
 */
import { printable } from "@dslab/protocol/cli";

export { printable };

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
