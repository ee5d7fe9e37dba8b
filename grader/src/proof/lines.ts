// Reads a paste line by line for the evidence readers (exactly-once and leader-change). Pure.
//
// Lines longer than MAX_LINE_CHARS are not log lines, and are not read:
// reading stays linear and cheap. They are never skipped in silence either: a
// line padded past the limit can still match the lesson's patterns, so with
// its evidence unread (a duplicate, a second leader of a term) a paste would
// pass that the same line unpadded does not. Such lines send the paste to review.

export const MAX_LINE_CHARS = 4096;

export interface PasteLine {
  text: string;
  /** 1-based line in the paste. */
  line: number;
  /** Offsets of the line in the paste (UTF-16 code units). */
  start: number;
  end: number;
}

export interface LineTooLong {
  rule: "line-too-long";
  line: number;
  message: string;
}

/** Calls `visit` on each line of `text` up to MAX_LINE_CHARS; returns the review finding for the longer lines, if any. */
export function readLines(text: string, visit: (l: PasteLine) => void): LineTooLong | undefined {
  let first = 0;
  let count = 0;
  let start = 0;
  let line = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    line++;
    if (end - start > MAX_LINE_CHARS) {
      if (count++ === 0) first = line;
    } else visit({ text: text.slice(start, end), line, start, end });
    start = end + 1;
  }
  if (count === 0) return undefined;
  const more = count > 1 ? ` (and ${count - 1} more)` : "";
  return {
    rule: "line-too-long", line: first,
    message: `line ${first}${more} is over ${MAX_LINE_CHARS.toLocaleString("en-US")} characters, longer than a log line: not read for evidence; check it by hand`,
  };
}
