/**
 * Reading and writing whole histories.
 *
 * - EDN (`history.edn` as Jepsen, Knossos and Maelstrom write it): one map
 *   per line, or one vector of maps. Also the 6.824-style kv histories
 *   (`{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}`).
 * - JSON: one object per line (JSON lines) or one array of objects, with the
 *   same field names (`client_id` for EDN `:client-id`). Keywords become
 *   strings; integers beyond 2^53 are written as plain digits and read back
 *   exactly.
 */
import type { EdnValue } from "./edn.js";
import { EdnChar, EdnList, EdnMap, EdnSet, EdnSymbol, EdnTagged, Keyword, ednItemLines, kw, parseEdnForms, printEdn } from "./edn.js";
import type { JsonValue } from "./json.js";
import { jsonItemLines, parseJson, printJson } from "./json.js";
import { ParseError } from "./parse-error.js";
import type { History, Op, OpType, Process, Value } from "../history/op.js";
import { OP_TYPES } from "../history/op.js";

export type HistoryFormat = "edn" | "json";

export interface ReadOptions {
  /** Named in error messages, e.g. the file path. */
  source?: string;
  /** Detected from the text when absent. */
  format?: HistoryFormat;
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
  const format = options.format ?? detectFormat(text);
  return format === "json" ? readJsonHistory(text, source) : readEdnHistory(text, source);
}

/** A field lookup over either an EDN map or a JSON object. */
type Fields = Map<string, Value>;

/** The line each operation was read from, for errors found after reading (a completion with no invoke). */
const lineOf = new WeakMap<Op, number>();

function atLine(op: Op, line: number): Op {
  lineOf.set(op, line);
  return op;
}

/** The 1-based line of the file `op` was read from by `readHistory`, if it was. */
export function lineOfOp(op: Op): number | undefined {
  return lineOf.get(op);
}

function readEdnHistory(text: string, source: string): History {
  const forms = parseEdnForms(text, source);
  let items: Array<{ value: EdnValue; line: number }> = forms;
  // A single vector of maps: Knossos test files and `(pr-str history)`.
  if (forms.length === 1 && Array.isArray(forms[0]!.value)) {
    const line = forms[0]!.line;
    const lines = ednItemLines(forms[0]!.value);
    items = forms[0]!.value.map((value, i) => ({ value, line: lines?.[i] ?? line }));
  }
  const ops: Op[] = [];
  for (const item of items) {
    const line = item.line;
    // Jepsen 0.3 prints its ops as records: #jepsen.history.Op{:index 0, ...}.
    const value = item.value instanceof EdnTagged && item.value.value instanceof EdnMap ? item.value.value : item.value;
    if (!(value instanceof EdnMap)) throw new ParseError(`expected an operation map, got ${printEdn(value).slice(0, 60)}`, { source, line });
    const fields: Fields = new Map();
    for (const [k, v] of value.entries) fields.set(fieldName(k), v);
    ops.push(atLine(opFromFields(fields, ops.length, { source, line }), line));
  }
  return ops;
}

function readJsonHistory(text: string, source: string): History {
  const trimmed = text.trimStart();
  const ops: Op[] = [];
  if (trimmed.startsWith("[")) {
    const all = parseJson(text, source);
    if (!Array.isArray(all)) throw new ParseError("expected an array of operations", { source, line: 1 });
    const lines = jsonItemLines(all);
    for (let i = 0; i < all.length; i++) {
      const line = lines?.[i] ?? 1;
      ops.push(atLine(opFromJson(all[i]!, ops.length, { source, line }), line));
    }
    return ops;
  }
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const value = parseJson(line, source, i + 1);
    ops.push(atLine(opFromJson(value, ops.length, { source, line: i + 1 }), i + 1));
  }
  return ops;
}

function opFromJson(value: JsonValue, position: number, at: { source: string; line: number }): Op {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ParseError("expected an operation object", at);
  }
  const fields: Fields = new Map();
  for (const [k, v] of Object.entries(value)) fields.set(k.replace(/_/g, "-"), ednFromJson(v));
  return opFromFields(fields, position, at);
}

function fieldName(k: EdnValue): string {
  if (k instanceof Keyword) return k.name;
  if (typeof k === "string") return k;
  return printEdn(k);
}

function nameOf(v: Value | undefined): string | undefined {
  if (v instanceof Keyword) return v.name;
  if (typeof v === "string") return v;
  return undefined;
}

const KNOWN = new Set(["index", "process", "type", "f", "value", "time", "key", "error", "client-id", "seq"]);

function opFromFields(fields: Fields, position: number, at: { source: string; line: number }): Op {
  const type = nameOf(fields.get("type"));
  if (type === undefined || !(OP_TYPES as readonly string[]).includes(type)) {
    throw new ParseError(`operation needs :type :invoke, :ok, :fail or :info (got ${show(fields.get("type"))})`, at);
  }
  const f = nameOf(fields.get("f"));
  if (f === undefined) throw new ParseError(`operation needs :f as a keyword or string (got ${show(fields.get("f"))})`, at);
  const rawProcess = fields.get("process");
  let process: Process;
  if (typeof rawProcess === "number" && Number.isInteger(rawProcess)) process = rawProcess;
  else if (typeof rawProcess === "bigint") process = rawProcess.toString();
  else {
    const name = nameOf(rawProcess);
    if (name === undefined) throw new ParseError(`operation needs :process as an integer or keyword (got ${show(rawProcess)})`, at);
    process = name;
  }
  const index = fields.get("index");
  const op: Op = {
    index: typeof index === "number" ? index : position,
    process,
    type: type as OpType,
    f,
    value: fields.has("value") ? fields.get("value")! : null,
  };
  const time = fields.get("time");
  if (typeof time === "number") op.time = time;
  else if (typeof time === "bigint") op.time = Number(time);
  if (fields.has("key")) op.key = fields.get("key")!;
  if (fields.has("error")) op.error = fields.get("error")!;
  const clientId = fields.get("client-id");
  if (clientId !== undefined && clientId !== null) {
    if (typeof clientId === "string" || typeof clientId === "number" || typeof clientId === "bigint") op.client_id = String(clientId);
    else throw new ParseError(`:client-id must be a string or integer (got ${show(clientId)})`, at);
  }
  const seq = fields.get("seq");
  if (seq !== undefined && seq !== null) {
    if (typeof seq !== "number" || !Number.isInteger(seq)) throw new ParseError(`:seq must be an integer (got ${show(seq)})`, at);
    op.seq = seq;
  }
  for (const [k, v] of fields) {
    if (KNOWN.has(k)) continue;
    (op.extra ??= {})[k] = v;
  }
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
  if (op.extra !== undefined) for (const [k, v] of Object.entries(op.extra)) o[k.replace(/-/g, "_")] = jsonFromEdn(v);
  return o;
}

/** `history.edn`: one map per line. */
export function writeHistoryEdn(history: History): string {
  let out = "";
  for (const op of history) out += printEdn(opToEdn(op)) + "\n";
  return out;
}

/** JSON lines: one object per line. */
export function writeHistoryJson(history: History): string {
  let out = "";
  for (const op of history) out += printJson(opToJson(op)) + "\n";
  return out;
}
