/**
 * Bad input from outside (a history file) is reported with where it came
 * from: `file:line:column: what is wrong`. The `code` is stable so callers can
 * tell a malformed history from a checker bug.
 */
/**
 * How deep a value in a history may nest (vectors, maps, lists, sets, tags,
 * `#_` discards). The readers count levels as they go and refuse deeper input
 * with a ParseError, so every later walk over a value read from a file (the
 * checkers, the printers, the timeline) recurses at most this deep and stays
 * far inside Node's stack. Jepsen histories nest a few levels.
 */
export const NESTING_DEPTH_MAX = 1000;

/** The reason given for input nested deeper than NESTING_DEPTH_MAX. */
export const TOO_DEEP = `nested deeper than ${NESTING_DEPTH_MAX} levels (the limit for a value in a history)`;

export interface SourcePosition {
  source: string;
  line: number;
  column?: number;
}

export class ParseError extends Error {
  readonly code = "E_HISTORY_PARSE";
  readonly source: string;
  readonly line: number;
  readonly column: number | undefined;
  /** The message without the position prefix. */
  readonly reason: string;

  constructor(reason: string, at: SourcePosition) {
    const where = at.column === undefined ? `${at.source}:${at.line}` : `${at.source}:${at.line}:${at.column}`;
    super(`${where}: ${reason}`);
    this.name = "ParseError";
    this.source = at.source;
    this.line = at.line;
    this.column = at.column;
    this.reason = reason;
  }
}

/** The line and column of offset `at` in `text`, whose first line is `firstLine`. */
export function positionAt(text: string, at: number, firstLine = 1): { line: number; column: number } {
  let line = firstLine;
  let lineStart = 0;
  for (let i = 0; i < at && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: at - lineStart + 1 };
}

/**
 * One operation takes more characters of the file than `ReadOptions.opMaxChars`
 * (the CLI's `--op-max-chars`): reading it, and preparing its values for the
 * search, would take seconds that no time limit interrupts. `op` is its
 * position among the operations, and the error is placed where it starts,
 * found as soon as the reader passes the bound inside it.
 */
export class OpTooLongError extends ParseError {
  constructor(
    readonly op: number,
    readonly maxChars: number,
    at: SourcePosition,
  ) {
    super(
      `op ${op} is longer than ${maxChars} characters, the most one operation may take (--op-max-chars): one value this large takes seconds to read and prepare, which the time limit cannot interrupt`,
      at,
    );
    this.name = "OpTooLongError";
  }
}

/** When reading a history must stop (`ReadOptions.deadline`): once `now()` is past `at`. */
export interface ReadDeadline {
  at: number;
  now: () => number;
}

/**
 * Characters the readers go through between two looks at a deadline's
 * clock, whatever they hold (a MiB: tens of milliseconds of parsing at
 * most, and a look costs far less than reading a MiB).
 */
export const CHARS_PER_LOOK = 1 << 20;

/**
 * Reading stopped at `ReadOptions.deadline`: not bad input, the history was
 * not read in time (the CLI's verdict is then unknown). `line` is where the
 * next operation starts, `events` how many were read before it.
 */
export class ReadTimeLimitError extends Error {
  readonly code = "E_READ_TIME_LIMIT";
  constructor(
    readonly line: number,
    readonly events: number,
  ) {
    super(`the time limit was reached while reading the history, at line ${line} after ${events} operation events`);
    this.name = "ReadTimeLimitError";
  }
}
