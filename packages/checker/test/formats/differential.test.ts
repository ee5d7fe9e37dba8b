/**
 * The EDN reader and the history loader against the oracle (edn-oracle.ts:
 * the plain reader they replaced). On random EDN text laid out in every way
 * the format allows (comments, discards, commas, CRLF, tagged records, one
 * vector or one list of operations), on the same text with a character deleted or
 * inserted, and on the benchmark's porcupine-shaped files, both give the same
 * values (same classes, bigint and -0 kept apart), the same operations with
 * their keys in the same order and the same lines, or the same error word
 * for word with its file:line:column.
 */
import { createPrng } from "@dslab/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Op } from "../../src/index.js";
import { Keyword, kw, lineOfOp, parseEdn, parseEdnForms, printEdnString, readHistory, writeHistoryEdn } from "../../src/index.js";
import { porcupineLikeFiles } from "../../bench/porcupine-data.js";
import { oracleLineOf, oracleParseEdn, oracleParseEdnForms, oracleReadEdnHistory } from "./edn-oracle.js";

type Rnd = () => number;

/** The project's seeded PRNG as a plain `() => number`. */
const seeded = (seed: number): Rnd => {
  const prng = createPrng(seed);
  return () => prng.next();
};

const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

/** What goes between two forms: whitespace, commas, comments and discarded forms. */
const SEPARATORS = [" ", " ", " ", ", ", ",", "\n", "\r\n", "\t", " ; a comment\n", "\n\n", " #_ :gone ", " #_[1 {:a 2}] ", " #_#_ 1 2 ", "\f"];

const ATOMS = [
  "nil", "true", "false", "0", "-0", "+7", "42", "-3", "007", "123456789012345", "1234567890123456", "-9007199254740993",
  "123456789012345678901234567890", "7N", "-12N", "1.5", "-0.0", "1e3", "2.5E-3", "1.", "2.5M", "1/2", "-3/4", "##Inf", "##-Inf", "##NaN",
  ":a", ":read", ":invoke", ":ok", ":info", ":fail", ":ns/name", ":a.b/c-d?", ":x:y", "sym", "a/b", "+", "-", "-x", "nilly", "true?",
  '""', '"x 0 1 y"', '"a\\"b\\\\c\\n\\t\\r\\b\\f"', '"\\u0041\\u00e9"', '"line\nbreak"', '"é ü"', "\\a", "\\newline", "\\space", "\\u0041", "\\(",
];

/** A random EDN value as text, `depth` levels at most. */
function genValue(rnd: Rnd, depth: number): string {
  const r = rnd();
  if (depth <= 0 || r < 0.55) return rnd() < 0.15 ? printEdnString(String.fromCharCode(Math.floor(rnd() * 0x300))) : pick(rnd, ATOMS);
  const n = Math.floor(rnd() * 4);
  const items = Array.from({ length: n }, () => genValue(rnd, depth - 1));
  const sep = () => pick(rnd, SEPARATORS);
  if (r < 0.7) return "[" + items.join(sep()) + "]";
  if (r < 0.78) return "(" + items.join(sep()) + ")";
  if (r < 0.85) return "#{" + items.join(sep()) + "}";
  if (r < 0.9) return "#inst" + sep() + genValue(rnd, depth - 1);
  const entries = Array.from({ length: n }, () => genValue(rnd, depth - 1) + sep() + genValue(rnd, depth - 1));
  return "{" + entries.join(sep()) + "}";
}

/** Values a field may have, then (after `|`) values it may not. */
const FIELD_VALUES: Record<string, readonly string[]> = {
  type: [":invoke", ":ok", ":fail", ":info", '"ok"', "|", ":bogus", "nil", "1"],
  f: [":read", ":write", ":cas", ":append", '"get"', "|", "nil", "[1]"],
  process: ["0", "1", "12", ":nemesis", '"p"', "123456789012345678901", "|", "1.5", "nil", "[0]"],
  value: ["nil", "3", "[0 3]", "[0 [1 2]]", '"x 0 1 y"', "{:a 1}", "|"],
  time: ["100", "123456789012345678901", "1.5", "nil", ":t", "|"],
  index: ["0", "7", "1.5", "99999999999999999999", ":i", "|"],
  key: ['"0"', "3", "nil", ":k", "|"],
  error: [":net-timeout", '"boom"', "nil", "[:x 1]", "|"],
  "client-id": ['"c1"', "5", "18446744073709551615", "nil", "|", ":c", "[1]"],
  seq: ["1", "0", "nil", "|", "1.5", '"1"', "12345678901234567890"],
};

/** The key of a field as written: nearly always a keyword; sometimes a string, a symbol or a number. */
function genKey(rnd: Rnd, name: string): string {
  const r = rnd();
  if (r < 0.97) return ":" + name;
  if (r < 0.985) return printEdnString(name);
  return pick(rnd, ["sym", "1", "[:a]", "nil", '"__proto__"', ":__proto__"]);
}

/** One operation map: the usual fields in a random order, now and then an odd value, another key or a field twice. */
function genOp(rnd: Rnd, i: number): string {
  const odd = rnd() < 0.03;
  const fieldValue = (name: string) => {
    const values = FIELD_VALUES[name]!;
    const bad = values.indexOf("|");
    return odd && rnd() < 0.5 ? pick(rnd, values.filter((v) => v !== "|")) : pick(rnd, values.slice(0, bad));
  };
  const val = (name: string, usual: string) => (rnd() < 0.2 ? fieldValue(name) : usual);
  const fields: Array<[string, string]> = [
    ["type", val("type", pick(rnd, [":invoke", ":ok", ":info", ":fail"]))],
    ["f", val("f", pick(rnd, [":read", ":write", ":cas"]))],
    ["value", val("value", rnd() < 0.3 ? "nil" : genValue(rnd, 2))],
    ["process", val("process", String(Math.floor(rnd() * 5)))],
    ["time", val("time", String(i * 1000))],
    ["index", val("index", String(i))],
  ];
  for (const extra of ["key", "error", "client-id", "seq"]) if (rnd() < 0.2) fields.push([extra, fieldValue(extra)]);
  if (rnd() < 0.1) fields.push([pick(rnd, ["node", "client_id", "ns/extra", "1", "__proto__", "type"]), genValue(rnd, 2)]);
  if (rnd() < 0.03) fields.splice(Math.floor(rnd() * fields.length), 1);
  if (rnd() < 0.3) fields.sort(() => rnd() - 0.5);
  const sep = () => (rnd() < 0.8 ? ", " : pick(rnd, SEPARATORS));
  const body = "{" + fields.map(([k, v]) => genKey(rnd, k) + " " + v).join(sep()) + "}";
  return rnd() < 0.1 ? pick(rnd, ["#jepsen.history.Op", "#jepsen.history.Op ", "#t\n"]) + body : body;
}

/** A history file: one operation per line (or several, or across lines), or one vector or one list of them; now and then something that is no operation. */
function genHistory(rnd: Rnd): string {
  const n = Math.floor(rnd() * 8);
  const forms = Array.from({ length: n }, (_, i) => (rnd() < 0.04 ? genValue(rnd, 2) : genOp(rnd, i)));
  const sep = () => (rnd() < 0.7 ? "\n" : pick(rnd, SEPARATORS));
  const lead = rnd() < 0.2 ? pick(rnd, SEPARATORS) : "";
  if (rnd() < 0.2) return lead + "[" + forms.join(sep()) + "]" + (rnd() < 0.2 ? pick(rnd, ["\n", " {:type :ok}", " []", " ; end"]) : "");
  if (rnd() < 0.2) return lead + "(" + forms.join(sep()) + ")" + (rnd() < 0.2 ? pick(rnd, ["\n", " {:type :ok}", " ()", " ; end"]) : "");
  return lead + forms.join(sep()) + (rnd() < 0.5 ? "\n" : "");
}

/** The text with one character deleted, or one that matters to the reader inserted. */
function mutate(rnd: Rnd, text: string): string {
  const at = Math.floor(rnd() * (text.length + 1));
  if (rnd() < 0.5 && text.length > 0) return text.slice(0, at) + text.slice(at + 1);
  return text.slice(0, at) + pick(rnd, [..."{}[]()\"\\#_;:, \n", "#_", "##", "#{", "1", "a", "N", "."]) + text.slice(at);
}

type Outcome<T> = { value: T } | { error: string; name: string };

function outcome<T>(f: () => T): Outcome<T> {
  try {
    return { value: f() };
  } catch (e) {
    return { error: (e as Error).message, name: (e as Error).name };
  }
}

/** Each operation's keys in order, its extra keys in order and its line. */
function shape(ops: readonly Op[], lineOf: (op: Op) => number | undefined): unknown[] {
  return ops.map((op) => [Object.keys(op), op.extra === undefined ? undefined : [Object.keys(op.extra), Object.getPrototypeOf(op.extra) === Object.prototype], lineOf(op)]);
}

function expectSameHistory(text: string): void {
  const got = outcome(() => readHistory(text, { source: "h.edn", format: "edn" }));
  const want = outcome(() => oracleReadEdnHistory(text, "h.edn"));
  expect(got).toStrictEqual(want);
  if ("value" in got && "value" in want) expect(shape(got.value, lineOfOp)).toStrictEqual(shape(want.value, (op) => oracleLineOf.get(op)));
}

function expectSameValues(text: string): void {
  expect(outcome(() => parseEdn(text, "v.edn"))).toStrictEqual(outcome(() => oracleParseEdn(text, "v.edn")));
  expect(outcome(() => parseEdnForms(text, "v.edn"))).toStrictEqual(outcome(() => oracleParseEdnForms(text, "v.edn")));
}

describe("the EDN reader against the plain reader it replaced", () => {
  it("reads any EDN value, laid out in any way, as the plain reader does, or fails with the same error (property)", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rnd = seeded(seed);
        const text = pick(rnd, ["", " ", "\n;c\n"]) + genValue(rnd, 4) + pick(rnd, ["", "\n", " ", " x", " ]", " #_"]);
        expectSameValues(text);
        expectSameValues(mutate(rnd, text));
      }),
      { numRuns: 1500 },
    );
  });

  it("reads any EDN history as the plain loader does: the same operations, field order and lines, or the same error (property)", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rnd = seeded(seed);
        const text = genHistory(rnd);
        expectSameHistory(text);
        expectSameValues(text);
      }),
      { numRuns: 1500 },
    );
  });

  it("reads a history with one character deleted or inserted as the plain loader does, error for error (property)", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rnd = seeded(seed);
        let text = genHistory(rnd);
        for (let i = 0, n = 1 + Math.floor(rnd() * 3); i < n; i++) text = mutate(rnd, text);
        expectSameHistory(text);
      }),
      { numRuns: 1500 },
    );
  });

  it("reads the porcupine-shaped benchmark files as the plain loader does, with a byte-order mark and CRLF line ends too", () => {
    const files = porcupineLikeFiles(7, 8);
    for (const f of files) {
      const text = writeHistoryEdn(f.history);
      expectSameHistory(text);
      expect(readHistory(text)).toStrictEqual(f.history);
    }
    const crlf = writeHistoryEdn(files[0]!.history).replace(/\n/g, "\r\n");
    expectSameHistory(crlf);
    expect(readHistory("\uFEFF" + crlf)).toStrictEqual(oracleReadEdnHistory(crlf, "<history>"));
  });

  it("reads every keyword as the one interned keyword of its name, also past the few thousand names it looks up without slicing", () => {
    const names = Array.from({ length: 6000 }, (_, i) => `k${i}/n-${i % 7}`);
    const text = "[" + names.map((n) => ":" + n).join(" ") + "]";
    for (let pass = 0; pass < 2; pass++) {
      const read = parseEdn(text) as Keyword[];
      expect(read.length).toBe(names.length);
      for (let i = 0; i < names.length; i++) expect(read[i]).toBe(kw(names[i]!));
    }
    expect(parseEdn(":k1/n-1")).toBe(Keyword.of("k1/n-1"));
  });

  it("refuses values nested deeper than the limit at the same place as the plain reader, in a line, in a vector and in a record", () => {
    for (const n of [998, 999, 1000, 1001]) {
      const deep = "[".repeat(n) + "]".repeat(n);
      for (const text of [
        `{:type :invoke, :f :read, :process 0}\n{:type :ok, :f :read, :process 0, :value ${deep}}\n`,
        `[{:type :invoke, :f :read, :process 0, :value ${deep}}]`,
        `({:type :invoke, :f :read, :process 0, :value ${deep}})`,
        `#jepsen.history.Op{:type :invoke, :f :read, :process 0, :value ${deep}}`,
        `{:type :invoke, :f :read, :process 0, :value #_ ${deep} 1}`,
      ]) {
        expectSameHistory(text);
        expectSameValues(text);
      }
    }
  });
});
