/**
 * Reading and writing whole histories.
 *
 * - EDN (`history.edn` as Jepsen, Knossos and Maelstrom write it): one map
 *   per line, or one vector or one list of maps, with `;` comments and `#_`
 *   discards anywhere. Also the 6.824-style kv histories
 *   (`{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}`).
 * - JSON: one object per line (JSON lines) or one array of objects, with the
 *   same field names (`client_id` for EDN `:client-id`). Keywords become
 *   strings; integers beyond 2^53 are written as plain digits and read back
 *   exactly.
 */
import type { EdnValue } from "./edn.js";
import { EdnChar, EdnList, EdnMap, EdnReader, EdnSet, EdnSymbol, EdnTagged, Keyword, ednItemColumns, ednItemLines, isDelimiterCode, kw, parseEdnForms, printEdn } from "./edn.js";
import type { JsonValue } from "./json.js";
import { jsonItemLines, parseJson, printJson } from "./json.js";
import { flatString } from "./flat-string.js";
import { CHARS_PER_LOOK, OpTooLongError, ParseError, ReadTimeLimitError } from "./parse-error.js";
import type { ReadDeadline } from "./parse-error.js";
import type { History, Op, OpType, Process, Value } from "../history/op.js";
import { OP_TYPES } from "../history/op.js";

export type HistoryFormat = "edn" | "json";

export interface ReadOptions {
  /** Named in error messages, e.g. the file path. */
  source?: string;
  /** Detected from the text when absent. */
  format?: HistoryFormat;
  /**
   * Stop with a ReadTimeLimitError once `now()` is past `at`: the clock is
   * looked at before an operation every EVENTS_PER_LOOK operations, and
   * while parsing, in any format and shape, every CHARS_PER_LOOK characters
   * (between two items of a collection, however deep in an operation's
   * value; a string is read to its end); the error names the operation
   * being read. Then, once parsed, as the operations are made from the
   * values read.
   */
  deadline?: ReadDeadline;
  /**
   * The most characters of the text one operation may take (default: no
   * bound); a longer one is an OpTooLongError, thrown as soon as the reader
   * is that far into it. What the deadline cannot interrupt, reading one
   * value and preparing it for the search, then takes a bounded time.
   */
  opMaxChars?: number;
}

/** Operations read between two looks at the deadline's clock (a power of two): the clock is far slower than an operation. */
const EVENTS_PER_LOOK = 1024;

/** The looks at a deadline's clock while a history is read. */
class ClockLooks {
  private lookedAt = 0;
  constructor(private readonly deadline: ReadDeadline | undefined) {}

  /**
   * Before an operation (`events` read, starting on `line`, at offset `pos`):
   * throws ReadTimeLimitError when the deadline has passed, looked at when
   * `events` is a multiple of EVENTS_PER_LOOK or CHARS_PER_LOOK characters
   * have been read since the last look.
   */
  before(events: number, line: number, pos: number): void {
    if (this.deadline === undefined) return;
    if ((events & (EVENTS_PER_LOOK - 1)) !== 0 && pos - this.lookedAt < CHARS_PER_LOOK) return;
    this.lookedAt = pos;
    if (this.deadline.now() > this.deadline.at) throw new ReadTimeLimitError(line, events);
  }
}

/** Guesses the format: JSON when the first value opens an object with a string key. */
export function detectFormat(text: string): HistoryFormat {
  const m = /^(?:\s|;[^\n]*\n)*(\[\s*)?\{\s*(.)/.exec(text);
  return m !== null && m[2] === '"' ? "json" : "edn";
}

export function readHistory(raw: string, options: ReadOptions = {}): History {
  // A byte-order mark (files saved by Windows tools) is not part of the history.
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const source = options.source ?? "<history>";
  const other = notAHistory(text, source);
  if (other !== undefined) throw other;
  const format = options.format ?? detectFormat(text);
  const opMaxChars = options.opMaxChars ?? Infinity;
  return format === "json" ? readJsonHistory(text, source, options.deadline, opMaxChars) : readEdnHistory(text, source, options.deadline, opMaxChars);
}

/** Where kv-sim's run writes the history, for an error on one of the other files it writes beside it. */
const KV_SIM_HISTORY = "kv-sim writes the history as history.edn or history.json beside it";

/** What a history is, for an error on a file that is something else. */
const WHAT_A_HISTORY_IS = "a history is EDN maps or JSON objects, one per operation";

/** kv-sim's messages.txt line: `16.180 c5 -> n2 append {...} ...` or `1700.000 FAULT SIGKILL n1`. */
const MESSAGES_TXT_LINE = /^\d+\.\d{3} (?:FAULT |\S+ -> \S+ \S)/;

/**
 * When the start of the text shows it is clearly not a history (an HTML or
 * XML page, kv-sim's timeline.html and messages.html among them, or kv-sim's
 * messages.txt), the error that says what it is, placed on its first line
 * that is not blank; a parse would stop somewhere inside it with a syntax
 * error that names no real mistake. Looked at before any parse: neither an
 * EDN nor a JSON history can start this way (a leading `<` or a number is no
 * operation map or object), so no history is refused and no error of one
 * changes.
 */
function notAHistory(text: string, source: string): ParseError | undefined {
  let start = 0;
  while (start < text.length && /\s/.test(text[start]!)) start++;
  if (start === text.length) return undefined;
  const c = text[start]!;
  if (c !== "<" && (c < "0" || c > "9")) return undefined;
  let line = 1;
  for (let i = 0; i < start; i++) if (text.charCodeAt(i) === 10) line++;
  const head = text.slice(start, start + 4096);
  if (c === "<") {
    if (/^<(?:!doctype\s+html|html)[\s>]/i.test(head)) {
      const fromKvSim = /<title>kv-sim /.test(head);
      return new ParseError(`this is an HTML page, not a history${fromKvSim ? ` (${KV_SIM_HISTORY})` : `: ${WHAT_A_HISTORY_IS}`}`, { source, line });
    }
    return new ParseError(`this starts with '<' like HTML or XML, not a history: ${WHAT_A_HISTORY_IS}`, { source, line });
  }
  if (MESSAGES_TXT_LINE.test(head)) {
    return new ParseError(`this is kv-sim's messages.txt (the run's client messages and faults), not a history (${KV_SIM_HISTORY})`, { source, line });
  }
  return undefined;
}

/** Returns the object it is given, so that a subclass's fields are set on that object. */
class Stamped {
  constructor(target: object) {
    return target;
  }
}

/**
 * The line each operation was read from, for errors found after reading (a
 * completion with no invoke), as a private field stamped on the operation
 * itself: the operation stays a plain object (its keys, prototype, JSON and
 * equality are untouched; a copy does not carry the line), and a history of
 * a million operations does not need a WeakMap of a million entries, whose
 * upkeep costs more than reading them. Each operation is stamped once, when
 * it is made (a second stamp on one object would throw).
 */
class LineStamp extends Stamped {
  readonly #line: number;
  private constructor(op: Op, line: number) {
    super(op);
    this.#line = line;
  }
  static stamp(op: Op, line: number): Op {
    new LineStamp(op, line);
    return op;
  }
  static lineOf(op: Op): number | undefined {
    return #line in op ? (op as unknown as LineStamp).#line : undefined;
  }
}

function atLine(op: Op, line: number): Op {
  return LineStamp.stamp(op, line);
}

/** The 1-based line of the file `op` was read from by `readHistory`, if it was. */
export function lineOfOp(op: Op): number | undefined {
  return LineStamp.lineOf(op);
}

function readEdnHistory(text: string, source: string, deadline: ReadDeadline | undefined, opMaxChars: number): History {
  return readEdnOps(text, source, deadline, opMaxChars) ?? readEdnForms(text, source, deadline, opMaxChars);
}

/**
 * The usual shape, read straight into operations: one map (or Jepsen 0.3
 * `#tag{...}` record) per form, or one vector of them, every key a keyword.
 * No map, pair or field table per operation. Anything else, and any error,
 * gives undefined: `readEdnForms` then reads the whole text again and says
 * what it says (a syntax error anywhere in the file comes before an error in
 * an operation). Levels are counted as `EdnReader.read` counts them, so the
 * depth limit falls where it does there.
 */
function readEdnOps(text: string, source: string, deadline: ReadDeadline | undefined, opMaxChars: number): Op[] | undefined {
  const r = new EdnReader(text, source);
  r.opMaxChars = opMaxChars;
  // Values the reader reads (those not scanned in place here) look at the clock as they go.
  r.setDeadline(deadline);
  const clock = new ClockLooks(deadline);
  /** One operation at `r.pos`, its length bounded; false when it is not in the usual shape. */
  const readOp = (): boolean => {
    r.opStart = r.pos;
    r.opNumber = ops.length;
    r.opLine = r.line;
    if (!readEdnOp(r, fields, names, ops)) return false;
    r.checkOpLength();
    return true;
  };
  const fields = new OpFields();
  const names: string[] = [...OP_TYPES];
  const ops: Op[] = [];
  try {
    if (r.atEnd()) return ops;
    const open = text.charCodeAt(r.pos);
    if (open !== 91 && open !== 40) {
      while (!r.atEnd()) {
        clock.before(ops.length, r.line, r.pos);
        if (!readOp()) return undefined;
      }
      return ops;
    }
    // A single vector or list of maps: Knossos' test files, `(pr-str history)`.
    const close = open === 91 ? 93 : 41;
    r.enter();
    r.pos++;
    for (;;) {
      r.skipWhitespace();
      if (r.pos >= text.length) return undefined;
      if (text.charCodeAt(r.pos) === close) break;
      clock.before(ops.length, r.line, r.pos);
      if (!readOp()) return undefined;
    }
    r.pos++;
    r.leave();
    return r.atEnd() ? ops : undefined;
  } catch (e) {
    // Any error is said by readEdnForms, but a too long operation at once: reading it again would take as long.
    if (e instanceof ParseError && !(e instanceof OpTooLongError)) return undefined;
    throw e;
  }
}

/**
 * One operation at `r.pos` onto `ops`; false when it is not a map with
 * keyword keys. The usual fields are scanned here by character code, in
 * local variables (a history is hundreds of thousands of them, most read
 * before the compiler has warmed up): a key is told by its characters with
 * no keyword made for it; a keyword value of `:type`, `:f` or `:process`
 * is kept as its name (all `opFromFields` takes from it), the one in
 * `names` when it is there; integers, nil, strings without escapes and
 * vectors of those (`[0 [1 2]]`) are read in place. Anything else (a
 * newline, comment or discard between fields, an escaped string, a map, a
 * float) goes through `r`, whose levels are entered first as `r.read`
 * would have them, so the depth limit falls where it does there.
 */
function readEdnOp(r: EdnReader, fields: OpFields, names: string[], ops: Op[]): boolean {
  const text = r.text;
  const line = r.line;
  /** Levels `r` has entered for a Jepsen 0.3 record around the map (the map's own level is entered for a fallback only). */
  let entered = 0;
  if (text.charCodeAt(r.pos) === 35) {
    // Jepsen 0.3 prints its ops as records: #jepsen.history.Op{:index 0, ...}.
    const next = text.charCodeAt(r.pos + 1);
    if (next === 123 || next === 35) return false; // a set, ##Inf
    r.enter();
    r.pos++;
    if (r.readToken() === "") return false;
    r.enter();
    r.skipWhitespace();
    entered = 2;
  }
  let p = r.pos;
  if (text.charCodeAt(p) !== 123) return false;
  p++;
  fields.clear();
  for (;;) {
    let c = text.charCodeAt(p);
    while (c === 32 || c === 44) c = text.charCodeAt(++p);
    if (c !== 58 && c !== 125) {
      // A newline, comment or discard between fields, or the end of the text.
      r.pos = p;
      r.enter();
      r.skipWhitespace();
      r.leave();
      p = r.pos;
      if (p >= text.length) return false;
      c = text.charCodeAt(p);
    }
    if (c === 125) break;
    if (c !== 58) return false; // not a keyword
    const start = p + 1;
    p = start;
    while (p < text.length && !isDelimiterCode(text.charCodeAt(p))) p++;
    const end = p;
    if (end === start || text.charCodeAt(start) === 58) return false; // a bad keyword
    const field = fieldAt(text, start, end);
    c = text.charCodeAt(p);
    while (c === 32 || c === 44) c = text.charCodeAt(++p);
    if (c === 125 || p >= text.length) return false; // a key without a value
    if (c === 58 && (field === F_TYPE || field === F_F || field === F_PROCESS)) {
      const from = p + 1;
      p = from;
      while (p < text.length && !isDelimiterCode(text.charCodeAt(p))) p++;
      if (p === from || text.charCodeAt(from) === 58) return false; // a bad keyword
      fields.setField(field, nameAt(names, text, from, p));
      continue;
    }
    let value = scanValue(text, p, 0);
    if (value === NOT_SCANNED) {
      r.pos = p;
      r.enter();
      value = r.read();
      r.leave();
      p = r.pos;
    } else p = scanEnd;
    if (field === F_OTHER) fields.set(text.slice(start, end), value);
    else fields.setField(field, value);
  }
  p++;
  // The usual line end after an operation, so that the next one starts where the reader looks.
  if (text.charCodeAt(p) === 10) {
    p++;
    r.line++;
    r.lineStart = p;
  }
  r.pos = p;
  for (; entered > 0; entered--) r.leave();
  const op = opFromFields(fields, ops.length, r.source, line);
  ops.push(atLine(op, line));
  return true;
}

/** `scanValue` found a value it does not read in place: `EdnReader.read` reads it. */
const NOT_SCANNED: unique symbol = Symbol("not scanned");

/** Where the last value `scanValue` read ends. */
let scanEnd = 0;

/** Vectors nested deeper than this are left to `EdnReader.read`. */
const SCAN_DEPTH_MAX = 8;

/**
 * The value at `p` when it is one of the few a history is mostly made of:
 * an integer of up to 15 digits, nil, a string with no escape or newline,
 * or a vector of those (spaces and commas between items); `scanEnd` is
 * then where it ends. Anything else is NOT_SCANNED, for `EdnReader.read`,
 * which reads it (or fails on it) as it reads any value.
 */
function scanValue(text: string, p: number, depth: number): Value | typeof NOT_SCANNED {
  const c = text.charCodeAt(p);
  if ((c >= 48 && c <= 57) || c === 45) {
    const negative = c === 45;
    let q = negative ? p + 1 : p;
    const first = q;
    let n = 0;
    for (let d = text.charCodeAt(q); d >= 48 && d <= 57; d = text.charCodeAt(++q)) n = n * 10 + (d - 48);
    const digits = q - first;
    if (digits === 0 || digits > 15 || (q < text.length && !isDelimiterCode(text.charCodeAt(q)))) return NOT_SCANNED;
    scanEnd = q;
    return negative ? -n : n;
  }
  if (c === 110) {
    if (text.charCodeAt(p + 1) !== 105 || text.charCodeAt(p + 2) !== 108 || (p + 3 < text.length && !isDelimiterCode(text.charCodeAt(p + 3)))) return NOT_SCANNED;
    scanEnd = p + 3;
    return null;
  }
  if (c === 34) {
    let q = p + 1;
    for (let d = text.charCodeAt(q); d !== 34; d = text.charCodeAt(++q)) if (d === 92 || d === 10 || q >= text.length) return NOT_SCANNED;
    scanEnd = q + 1;
    return text.slice(p + 1, q);
  }
  if (c === 91 && depth < SCAN_DEPTH_MAX) {
    const items: Value[] = [];
    let q = p + 1;
    for (;;) {
      let d = text.charCodeAt(q);
      while (d === 32 || d === 44) d = text.charCodeAt(++q);
      if (d === 93) {
        scanEnd = q + 1;
        return items;
      }
      const item = scanValue(text, q, depth + 1);
      if (item === NOT_SCANNED) return NOT_SCANNED;
      items.push(item);
      q = scanEnd;
    }
  }
  return NOT_SCANNED;
}

/** Most names `nameAt` keeps for one read; a history has a dozen or so. */
const NAMES_MAX = 64;

/** The string `text[start, end)`, the one in `names` when it is there (then nothing is sliced out of the text). */
function nameAt(names: string[], text: string, start: number, end: number): string {
  const length = end - start;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name.length === length && sameAt(text, start, name)) return name;
  }
  const name = text.slice(start, end);
  if (names.length < NAMES_MAX) names.push(name);
  return name;
}

/**
 * Any EDN history: every form read as a value, then each made an operation.
 * The operations are the top-level forms (one map per line, or several, or
 * across lines), or the items of a single top-level vector or list.
 */
function readEdnForms(text: string, source: string, deadline: ReadDeadline | undefined, opMaxChars: number): History {
  // The whole text is parsed first, looking at the clock as it goes, so that a syntax error anywhere comes before an error in an operation.
  const forms = parseEdnForms(text, source, opMaxChars, deadline);
  const clock = new ClockLooks(deadline);
  // A single vector or list of maps: Knossos' test files, `(pr-str history)`.
  const only = forms.length === 1 ? forms[0]! : undefined;
  const seq = only === undefined ? undefined : Array.isArray(only.value) ? only.value : only.value instanceof EdnList ? only.value.items : undefined;
  const count = seq !== undefined ? seq.length : forms.length;
  const lines = seq === undefined ? undefined : ednItemLines(seq);
  const columns = seq === undefined ? undefined : ednItemColumns(seq);
  const ops: Op[] = [];
  for (let i = 0; i < count; i++) {
    const form = seq === undefined ? forms[i]! : undefined;
    const item = form !== undefined ? form.value : seq![i]!;
    const line = form !== undefined ? form.line : (lines?.[i] ?? only!.line);
    clock.before(ops.length, line, 0);
    // Jepsen 0.3 prints its ops as records: #jepsen.history.Op{:index 0, ...}.
    const value = item instanceof EdnTagged && item.value instanceof EdnMap ? item.value : item;
    if (!(value instanceof EdnMap)) throw new ParseError(`expected an operation map, got ${printEdn(value).slice(0, 60)}`, { source, line, column: form !== undefined ? form.column : (columns?.[i] ?? only!.column) });
    const fields = new OpFields();
    for (const [k, v] of value.entries) fields.set(fieldName(k), v);
    ops.push(atLine(opFromFields(fields, ops.length, source, line), line));
  }
  return ops;
}

function readJsonHistory(text: string, source: string, deadline: ReadDeadline | undefined, opMaxChars: number): History {
  const trimmed = text.trimStart();
  const ops: Op[] = [];
  const clock = new ClockLooks(deadline);
  if (trimmed.startsWith("[")) {
    const all = parseJson(text, source, 1, opMaxChars, deadline);
    if (!Array.isArray(all)) throw new ParseError("expected an array of operations", { source, line: 1 });
    const lines = jsonItemLines(all);
    for (let i = 0; i < all.length; i++) {
      const line = lines?.[i] ?? 1;
      clock.before(ops.length, line, 0);
      ops.push(atLine(opFromJson(all[i]!, ops.length, { source, line }), line));
    }
    return ops;
  }
  // Line by line as the text goes (no array of every line made first, which takes seconds for a large file before the clock is looked at).
  for (let start = 0, i = 0; start <= text.length; i++) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.trim() === "") continue;
    clock.before(ops.length, i + 1, start);
    // One object per line: the line is the operation, measured before it is parsed.
    if (line.length > opMaxChars) throw new OpTooLongError(ops.length, opMaxChars, { source, line: i + 1, column: 1 });
    let value: JsonValue;
    try {
      value = parseJson(line, source, i + 1);
    } catch (e) {
      if (e instanceof ParseError && ops.length === 0) throw objectAcrossLines(text, source, deadline) ?? e;
      throw e;
    }
    ops.push(atLine(opFromJson(value, ops.length, { source, line: i + 1 }), i + 1));
  }
  return ops;
}

/**
 * When the whole text is one JSON object written across several lines (a
 * pretty-printed file: a configuration, or kv-sim's results.json), the
 * error that says so; a line-by-line reading would stop at its first line
 * with a syntax error that names no real mistake.
 */
function objectAcrossLines(text: string, source: string, deadline: ReadDeadline | undefined): ParseError | undefined {
  let whole: JsonValue;
  try {
    // Out of time (or not JSON), the error of the first line stands.
    whole = parseJson(text, source, 1, Infinity, deadline);
  } catch {
    return undefined;
  }
  if (whole === null || typeof whole !== "object" || Array.isArray(whole)) return undefined;
  const lines = text.split("\n");
  const first = lines.findIndex((l) => l.trim() !== "") + 1;
  let last = lines.length;
  while (last > first && lines[last - 1]!.trim() === "") last--;
  const results = "seed" in whole && "verdict" in whole ? "; this looks like kv-sim's results.json: the run's history is history.edn or history.json beside it" : "";
  return new ParseError(
    `one JSON object across lines ${first}-${last}, not a history: a JSON history is one operation object per line, or an array of them${results}`,
    { source, line: first },
  );
}

function opFromJson(value: JsonValue, position: number, at: { source: string; line: number }): Op {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ParseError("expected an operation object", at);
  }
  const fields = new OpFields();
  for (const [k, v] of Object.entries(value)) fields.set(k.replace(/_/g, "-"), ednFromJson(v));
  return opFromFields(fields, position, at.source, at.line);
}

function fieldName(k: EdnValue): string {
  if (k instanceof Keyword) return k.name;
  if (typeof k === "string") return k;
  return printEdn(k);
}

function nameOf(v: Value | undefined): string | undefined {
  if (typeof v === "string") return v;
  if (v instanceof Keyword) return v.name;
  return undefined;
}

/** The slots of `OpFields`, by field. */
const F_OTHER = -1;
const F_INDEX = 0;
const F_PROCESS = 1;
const F_TYPE = 2;
const F_F = 3;
const F_VALUE = 4;
const F_TIME = 5;
const F_KEY = 6;
const F_ERROR = 7;
const F_CLIENT_ID = 8;
const F_SEQ = 9;

/** The slot of the field named `text[start, end)` (a keyword's name), F_OTHER for one without a slot. */
function fieldAt(text: string, start: number, end: number): number {
  const c = text.charCodeAt(start);
  switch (end - start) {
    case 1:
      return c === 102 ? F_F : F_OTHER;
    case 3:
      if (c === 107) return text.charCodeAt(start + 1) === 101 && text.charCodeAt(start + 2) === 121 ? F_KEY : F_OTHER;
      if (c === 115) return text.charCodeAt(start + 1) === 101 && text.charCodeAt(start + 2) === 113 ? F_SEQ : F_OTHER;
      return F_OTHER;
    case 4:
      if (c !== 116) return F_OTHER;
      if (text.charCodeAt(start + 1) === 121) return text.charCodeAt(start + 2) === 112 && text.charCodeAt(start + 3) === 101 ? F_TYPE : F_OTHER;
      return text.charCodeAt(start + 1) === 105 && text.charCodeAt(start + 2) === 109 && text.charCodeAt(start + 3) === 101 ? F_TIME : F_OTHER;
    case 5:
      return sameAt(text, start, "value") ? F_VALUE : sameAt(text, start, "index") ? F_INDEX : sameAt(text, start, "error") ? F_ERROR : F_OTHER;
    case 7:
      return sameAt(text, start, "process") ? F_PROCESS : F_OTHER;
    case 9:
      return sameAt(text, start, "client-id") ? F_CLIENT_ID : F_OTHER;
    default:
      return F_OTHER;
  }
}

/** Whether `text` holds `word` at `start`, compared by character code. */
function sameAt(text: string, start: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (text.charCodeAt(start + i) !== word.charCodeAt(i)) return false;
  return true;
}

/**
 * The fields of one operation as read, whatever the format: the known ones
 * in slots (undefined: absent; a value read is never undefined), any other
 * by name in `extra`. A field given twice keeps its last value, and in
 * `extra` its first place, as a Map does.
 */
class OpFields {
  index: Value | undefined = undefined;
  process: Value | undefined = undefined;
  type: Value | undefined = undefined;
  f: Value | undefined = undefined;
  value: Value | undefined = undefined;
  time: Value | undefined = undefined;
  key: Value | undefined = undefined;
  error: Value | undefined = undefined;
  clientId: Value | undefined = undefined;
  seq: Value | undefined = undefined;
  extra: Map<string, Value> | undefined = undefined;

  clear(): void {
    this.index = this.process = this.type = this.f = this.value = this.time = this.key = this.error = this.clientId = this.seq = undefined;
    this.extra = undefined;
  }

  /** The field named `name` (EDN keyword name; JSON names with `_` as `-`). */
  set(name: string, v: Value): void {
    switch (name) {
      case "index":
        this.index = v;
        return;
      case "process":
        this.process = v;
        return;
      case "type":
        this.type = v;
        return;
      case "f":
        this.f = v;
        return;
      case "value":
        this.value = v;
        return;
      case "time":
        this.time = v;
        return;
      case "key":
        this.key = v;
        return;
      case "error":
        this.error = v;
        return;
      case "client-id":
        this.clientId = v;
        return;
      case "seq":
        this.seq = v;
        return;
      default:
        (this.extra ??= new Map()).set(name, v);
    }
  }

  /** The field in `slot` (see `fieldAt`; not F_OTHER). */
  setField(slot: number, v: Value): void {
    switch (slot) {
      case F_INDEX:
        this.index = v;
        return;
      case F_PROCESS:
        this.process = v;
        return;
      case F_TYPE:
        this.type = v;
        return;
      case F_F:
        this.f = v;
        return;
      case F_VALUE:
        this.value = v;
        return;
      case F_TIME:
        this.time = v;
        return;
      case F_KEY:
        this.key = v;
        return;
      case F_ERROR:
        this.error = v;
        return;
      case F_CLIENT_ID:
        this.clientId = v;
        return;
      default:
        this.seq = v;
    }
  }
}

function opFromFields(fields: OpFields, position: number, source: string, line: number): Op {
  const type = nameOf(fields.type);
  if (type === undefined || !(OP_TYPES as readonly string[]).includes(type)) {
    throw new ParseError(`operation needs :type :invoke, :ok, :fail or :info (got ${show(fields.type)})`, { source, line });
  }
  const f = nameOf(fields.f);
  if (f === undefined) throw new ParseError(`operation needs :f as a keyword or string (got ${show(fields.f)})`, { source, line });
  const rawProcess = fields.process;
  let process: Process;
  if (typeof rawProcess === "number" && Number.isInteger(rawProcess)) process = rawProcess;
  else if (typeof rawProcess === "bigint") process = rawProcess.toString();
  else {
    const name = nameOf(rawProcess);
    if (name === undefined) throw new ParseError(`operation needs :process as an integer or keyword (got ${show(rawProcess)})`, { source, line });
    process = name;
  }
  const index = fields.index;
  const op: Op = {
    index: typeof index === "number" ? index : position,
    process,
    type: type as OpType,
    f,
    value: fields.value !== undefined ? fields.value : null,
  };
  const time = fields.time;
  if (typeof time === "number") op.time = time;
  else if (typeof time === "bigint") op.time = Number(time);
  if (fields.key !== undefined) op.key = fields.key;
  if (fields.error !== undefined) op.error = fields.error;
  const clientId = fields.clientId;
  if (clientId !== undefined && clientId !== null) {
    if (typeof clientId === "string" || typeof clientId === "number" || typeof clientId === "bigint") op.client_id = String(clientId);
    else throw new ParseError(`:client-id must be a string or integer (got ${show(clientId)})`, { source, line });
  }
  const seq = fields.seq;
  if (seq !== undefined && seq !== null) {
    if (typeof seq !== "number" || !Number.isInteger(seq)) throw new ParseError(`:seq must be an integer (got ${show(seq)})`, { source, line });
    op.seq = seq;
  }
  if (fields.extra !== undefined) for (const [k, v] of fields.extra) ownField((op.extra ??= {}), k, v);
  return op;
}

function show(v: Value | undefined): string {
  return v === undefined ? "nothing" : printEdn(v).slice(0, 60);
}

/** JSON -> EDN: objects become maps with keyword keys. */
export function ednFromJson(v: JsonValue): EdnValue {
  if (Array.isArray(v)) return v.map(ednFromJson);
  if (v !== null && typeof v === "object") return new EdnMap(Object.entries(v).map(([k, x]) => [kw(k), ednFromJson(x)]));
  return v;
}

/** EDN -> JSON: keywords and symbols become strings, lists and sets arrays, maps objects. */
export function jsonFromEdn(v: EdnValue): JsonValue {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(jsonFromEdn);
  if (v instanceof Keyword) return v.name;
  if (v instanceof EdnSymbol) return v.name;
  if (v instanceof EdnChar) return v.char;
  if (v instanceof EdnList || v instanceof EdnSet) return v.items.map(jsonFromEdn);
  if (v instanceof EdnTagged) return jsonFromEdn(v.value);
  const out: { [key: string]: JsonValue } = {};
  for (const [k, x] of v.entries) out[fieldName(k)] = jsonFromEdn(x);
  return out;
}

function processEdn(p: Process): EdnValue {
  return typeof p === "number" ? p : kw(p);
}

/** One operation as an EDN map, in Jepsen's field order. */
export function opToEdn(op: Op): EdnMap {
  const e: Array<[EdnValue, EdnValue]> = [
    [kw("type"), kw(op.type)],
    [kw("f"), kw(op.f)],
  ];
  if (op.key !== undefined) e.push([kw("key"), op.key]);
  e.push([kw("value"), op.value]);
  e.push([kw("process"), processEdn(op.process)]);
  if (op.time !== undefined) e.push([kw("time"), op.time]);
  if (op.client_id !== undefined) e.push([kw("client-id"), op.client_id]);
  if (op.seq !== undefined) e.push([kw("seq"), op.seq]);
  if (op.error !== undefined) e.push([kw("error"), op.error]);
  if (op.extra !== undefined) for (const [k, v] of Object.entries(op.extra)) e.push([kw(k), v]);
  e.push([kw("index"), op.index]);
  return new EdnMap(e);
}

/** One operation as a JSON object (`client_id` for `:client-id`). */
export function opToJson(op: Op): { [key: string]: JsonValue } {
  const o: { [key: string]: JsonValue } = { index: op.index, process: op.process, type: op.type, f: op.f };
  if (op.key !== undefined) o.key = jsonFromEdn(op.key);
  o.value = jsonFromEdn(op.value);
  if (op.time !== undefined) o.time = op.time;
  if (op.client_id !== undefined) o.client_id = op.client_id;
  if (op.seq !== undefined) o.seq = op.seq;
  if (op.error !== undefined) o.error = jsonFromEdn(op.error);
  if (op.extra !== undefined) for (const [k, v] of Object.entries(op.extra)) ownField(o, k.replace(/-/g, "_"), jsonFromEdn(v));
  return o;
}

/** `history.edn`: one map per line, each `printEdn(opToEdn(op))`. */
export function writeHistoryEdn(history: History): string {
  let out = "";
  for (const op of history) out += flatString(opEdnText(op) + "\n");
  return out;
}

/**
 * `printEdn(opToEdn(op))`, written straight from the operation: no map, no
 * pair per field and no keyword looked up (a keyword prints as `:` and its
 * name). The differential test beside it holds the two equal.
 */
function opEdnText(op: Op): string {
  let out = "{:type :" + op.type + ", :f :" + op.f;
  if (op.key !== undefined) out += ", :key " + printEdn(op.key);
  out += ", :value " + printEdn(op.value);
  out += ", :process " + (typeof op.process === "number" ? printEdn(op.process) : ":" + op.process);
  if (op.time !== undefined) out += ", :time " + printEdn(op.time);
  if (op.client_id !== undefined) out += ", :client-id " + printEdn(op.client_id);
  if (op.seq !== undefined) out += ", :seq " + printEdn(op.seq);
  if (op.error !== undefined) out += ", :error " + printEdn(op.error);
  if (op.extra !== undefined) for (const [k, v] of Object.entries(op.extra)) out += ", :" + k + " " + printEdn(v);
  return out + ", :index " + printEdn(op.index) + "}";
}

/** JSON lines: one object per line, each `printJson(opToJson(op))`. */
export function writeHistoryJson(history: History): string {
  let out = "";
  for (const op of history) out += flatString(opJsonText(op) + "\n");
  return out;
}

/**
 * `printJson(opToJson(op))`, written straight from the operation: no object
 * in between, and a value's JSON printed from the EDN value itself
 * (`ednAsJson`). An operation with an extra field whose name JSON would not
 * simply put last (see `plainExtraName`) goes through the object, whose key
 * order JSON follows. The differential test beside it holds the two equal.
 */
function opJsonText(op: Op): string {
  const extra = op.extra;
  let extraKeys: string[] | undefined;
  if (extra !== undefined) {
    extraKeys = Object.keys(extra);
    for (const k of extraKeys) if (!plainExtraName(k)) return printJson(opToJson(op));
  }
  let out = "{";
  out = jsonField(out, '"index":', plainJson(op.index));
  out = jsonField(out, '"process":', plainJson(op.process));
  out = jsonField(out, '"type":', plainJson(op.type));
  out = jsonField(out, '"f":', plainJson(op.f));
  if (op.key !== undefined) out = jsonField(out, '"key":', ednAsJson(op.key));
  out = jsonField(out, '"value":', ednAsJson(op.value));
  if (op.time !== undefined) out = jsonField(out, '"time":', plainJson(op.time));
  if (op.client_id !== undefined) out = jsonField(out, '"client_id":', plainJson(op.client_id));
  if (op.seq !== undefined) out = jsonField(out, '"seq":', plainJson(op.seq));
  if (op.error !== undefined) out = jsonField(out, '"error":', ednAsJson(op.error));
  if (extraKeys !== undefined) for (const k of extraKeys) out = jsonField(out, JSON.stringify(k) + ":", ednAsJson(extra![k]));
  return out + "}";
}

/** The names `opToJson` gives fields of its own. */
const OWN_JSON_FIELDS = new Set(["index", "process", "type", "f", "key", "value", "time", "client_id", "seq", "error"]);

/**
 * Whether an extra field named `name` comes last in `opToJson`'s object,
 * in its place among the extra fields, under that very name: no `-` (which
 * becomes `_`, and could then meet another name), not a name of the
 * operation's own fields (it would take that field's place), and not
 * starting with a digit (an integer-like name, which an object puts first).
 */
function plainExtraName(name: string): boolean {
  const c = name.charCodeAt(0);
  return !(c >= 48 && c <= 57) && !name.includes("-") && !OWN_JSON_FIELDS.has(name);
}

/**
 * `out` with one more field (`name` is its quoted name and colon; `text`,
 * its value printed) after a comma unless it is the first. A field without
 * a value (`text` undefined) is left out, as `printJson` leaves out a field
 * whose value is undefined.
 */
function jsonField(out: string, name: string, text: string | undefined): string {
  return text === undefined ? out : out + (out.length === 1 ? "" : ",") + name + text;
}

function plainJson(v: JsonValue | undefined): string | undefined {
  return v === undefined ? undefined : printJson(v);
}

/**
 * `printJson(jsonFromEdn(v))`, undefined when `jsonFromEdn` gives nothing;
 * strings, numbers, nil and vectors of them (a history's values are nearly
 * all of those) printed directly.
 */
function ednAsJson(v: Value | undefined): string | undefined {
  const text = ednJsonText(v);
  if (text !== undefined) return text;
  const json = jsonFromEdn(v as Value);
  return json === undefined ? undefined : printJson(json);
}

/** `printJson(jsonFromEdn(v))` for a string, a number, nil or a dense vector of those; undefined for anything else. */
function ednJsonText(v: Value | undefined): string | undefined {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (v === null) return "null";
  if (!Array.isArray(v)) return undefined;
  let out = "[";
  for (let i = 0; i < v.length; i++) {
    const item = ednJsonText(v[i]);
    if (item === undefined) return undefined;
    out += (i === 0 ? "" : ",") + item;
  }
  return out + "]";
}

/**
 * Sets a field read from a file as an own property. Plain assignment would
 * treat a field named `__proto__` (a hostile history can have one) as the
 * object's prototype instead of a field.
 */
function ownField(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}
