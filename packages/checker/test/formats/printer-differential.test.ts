/**
 * The EDN and JSON printers and the history writers against the oracle
 * (printer-oracle.ts: the same printers written the plain way). Strings that need an
 * escape and strings that do not (quotes, backslashes, every control
 * character, DEL, lone and paired surrogates), values of every kind nested
 * in every collection (sparse vectors, -0, NaN, huge doubles, bigints,
 * keywords, symbols, characters, tagged values), JSON objects with
 * integer-like keys, `__proto__` and undefined fields, and operations with
 * any of their fields, extra fields with names JSON orders first or rewrites
 * (`1`, `a-b`, `index`): both give the same text, or the same error.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EdnValue, History, JsonValue, Op } from "../../src/index.js";
import { EdnChar, EdnList, EdnMap, EdnSet, EdnSymbol, EdnTagged, HistoryBuilder, kw, printEdn, printEdnString, printJson, readHistory, writeHistoryEdn, writeHistoryJson } from "../../src/index.js";
import { porcupineLikeFiles } from "../../bench/porcupine-data.js";
import { oraclePrintEdn, oraclePrintEdnString, oraclePrintJson, oracleWriteHistoryEdn, oracleWriteHistoryJson } from "./printer-oracle.js";

type Outcome = { text: string } | { error: string; name: string };

function outcome(f: () => string): Outcome {
  try {
    return { text: f() };
  } catch (e) {
    return { error: (e as Error).message, name: (e as Error).name };
  }
}

/** Characters that an escape is about, and a few that are not. */
const TRICKY = ['"', "\\", "\n", "\t", "\r", "\b", "\f", "\u0000", "\u0001", "\u000b", "\u001f", "\u007f", "\u0080", "\u2028", "\ud800", "\udbff", "\udc00", "\udfff", "\ud83d\ude00", "a", " ", "é", ":", "/"];

const stringArb: fc.Arbitrary<string> = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom(...TRICKY) }), fc.string({ maxLength: 12 }));

/** Numbers printed in every way: integers, floats, -0, NaN, infinities, doubles past 2^53. */
const numberArb: fc.Arbitrary<number> = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 60), 1e21, 1.5e300, Number.MAX_SAFE_INTEGER, 0.1));

const bigintArb = fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n });

/** The values both EDN and JSON have: nil/null, booleans, numbers, bigints, strings. */
const scalarArbs = [fc.constant(null), fc.boolean(), numberArb, bigintArb, stringArb] as const;

/** A vector with its first item deleted: a hole, which prints as nothing. */
const sparse = <T>(xs: T[]): T[] => {
  const copy = [...xs];
  if (copy.length > 1) delete copy[0];
  return copy;
};

const ednArb: fc.Arbitrary<EdnValue> = fc.letrec<{ v: EdnValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    ...scalarArbs,
    stringArb.map(kw),
    fc.constantFrom("sym", "a/b", "+", "nil?").map((s) => new EdnSymbol(s)),
    fc.constantFrom("a", "\n", " ", "\t", "\r", "\b", "\f", "(", "é").map((c) => new EdnChar(c)),
    fc.array(tie("v"), { maxLength: 5 }),
    fc.array(tie("v"), { maxLength: 4 }).map(sparse),
    fc.array(tie("v"), { maxLength: 4 }).map((xs) => new EdnList(xs)),
    fc.array(tie("v"), { maxLength: 4 }).map((xs) => new EdnSet(xs)),
    fc.array(fc.tuple(tie("v"), tie("v")), { maxLength: 3 }).map((es) => new EdnMap(es)),
    fc.tuple(fc.constantFrom("inst", "jepsen.history.Op"), tie("v")).map(([t, v]) => new EdnTagged(t, v)),
  ),
})).v;

/** Now and then something that is no EDN value, where a printer must fail as the oracle does. */
const ednOrJunkArb: fc.Arbitrary<EdnValue> = fc.oneof({ weight: 20, arbitrary: ednArb }, { weight: 1, arbitrary: fc.constant(undefined as unknown as EdnValue) }, { weight: 1, arbitrary: fc.array(ednArb).map((xs) => [...xs, undefined as unknown as EdnValue]) });

/** Object keys JSON orders in particular ways. */
const KEYS = ["a", "b", "index", "__proto__", "1", "0", "01", "4294967295", "-1", "", "client_id", "é"];

/** An object with the given entries as own properties (`__proto__` a key like any other). */
function objectOf(entries: Array<[string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const jsonArb: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    ...scalarArbs,
    fc.array(tie("v"), { maxLength: 5 }),
    fc.array(tie("v"), { maxLength: 4 }).map(sparse),
    fc
      .array(fc.tuple(fc.constantFrom(...KEYS), fc.oneof({ weight: 5, arbitrary: tie("v") }, { weight: 1, arbitrary: fc.constant(undefined) })), { maxLength: 4 })
      .map((es) => objectOf(es) as JsonValue),
  ),
})).v;

/** Names of extra fields: the usual, and those JSON puts first, rewrites or meets among the operation's own. */
const EXTRA_NAMES = ["attempts", "node", "ns/extra", "client-id", "client_id", "a-b", "a_b", "index", "value", "type", "seq", "1", "01", "__proto__", "", "é"];

const opArb: fc.Arbitrary<Op> = fc
  .record(
    {
      index: fc.oneof(fc.nat(), numberArb),
      process: fc.oneof(fc.nat(), fc.constantFrom("nemesis", "p-1"), stringArb),
      type: fc.constantFrom("invoke", "ok", "fail", "info"),
      f: fc.oneof(fc.constantFrom("append", "read", "write", "cas", "fault"), stringArb),
      value: ednOrJunkArb,
      time: numberArb,
      key: ednArb,
      error: ednArb,
      client_id: stringArb,
      seq: fc.oneof(fc.nat(), numberArb),
      extra: fc.array(fc.tuple(fc.constantFrom(...EXTRA_NAMES), ednArb), { maxLength: 3 }).map((es) => objectOf(es) as Record<string, EdnValue>),
    },
    { requiredKeys: ["index", "process", "type", "f", "value"] },
  )
  .map((op) => op as Op);

describe("the EDN and JSON printers against the plain reference printers", () => {
  it("prints any string as the regex did: the same escapes for quotes, backslashes, control characters and DEL, lone surrogates left alone (property)", () => {
    fc.assert(
      fc.property(stringArb, (s) => {
        expect(printEdnString(s)).toBe(oraclePrintEdnString(s));
      }),
      { numRuns: 2000 },
    );
  });

  it("prints every character below 0x100 and every surrogate alone as the regex did", () => {
    for (let c = 0; c < 0x100; c++) {
      const s = `a${String.fromCharCode(c)}b`;
      expect(printEdnString(s)).toBe(oraclePrintEdnString(s));
    }
    for (const s of ["\ud800", "\udfff", "x\ud800y", "\ud83d\ude00", "\ude00\ud83d"]) expect(printEdnString(s)).toBe(oraclePrintEdnString(s));
  });

  it("prints any EDN value as the reference printer does, or fails with the same error (property)", () => {
    fc.assert(
      fc.property(ednOrJunkArb, (v) => {
        expect(outcome(() => printEdn(v))).toStrictEqual(outcome(() => oraclePrintEdn(v)));
      }),
      { numRuns: 2000 },
    );
  });

  it("prints any JSON value as the reference printer does: key order, __proto__, undefined fields, holes, -0, bigints (property)", () => {
    fc.assert(
      fc.property(jsonArb, (v) => {
        expect(outcome(() => printJson(v))).toStrictEqual(outcome(() => oraclePrintJson(v)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("the history writers against the plain reference writers", () => {
  it("write any operations as printEdn(opToEdn(op)) and printJson(opToJson(op)) do, or fail with the same error (property)", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 6 }), (ops) => {
        expect(outcome(() => writeHistoryEdn(ops))).toStrictEqual(outcome(() => oracleWriteHistoryEdn(ops)));
        expect(outcome(() => writeHistoryJson(ops))).toStrictEqual(outcome(() => oracleWriteHistoryJson(ops)));
      }),
      { numRuns: 1500 },
    );
  });

  it("write what readHistory read from EDN and from JSON as the reference writers do, extra fields and keywords included", () => {
    const texts = [
      '{:type :invoke, :f :append, :key "a0.1", :value "c17:1", :process 16, :time 45164983, :client-id "2776", :seq 1, :index 0}\n' +
        '{:type :ok, :f :append, :key "a0.1", :value ["c17:1" "c3:2"], :process 16, :time 46164983, :client-id "2776", :seq 1, :attempts 2, :index 1}\n' +
        '{:type :info, :f :fault, :value "partition {n1 n2} -/-> {n3}", :process :nemesis, :time 1233000000, :index 2}\n' +
        '{:type :fail, :f :cas, :value [1 2], :process 3, :error [:precondition-failed "x"], :node "n1", :1 :one, :__proto__ {:polluted true}, :index 3}\n',
      '{"index":0,"process":0,"type":"invoke","f":"write","value":{"b":1,"2":[true,null]},"client_id":"c","seq":1,"a-b":1,"a_b":2,"1":3}\n',
    ];
    for (const text of texts) {
      const h = readHistory(text, { source: "h" });
      expect(writeHistoryEdn(h)).toBe(oracleWriteHistoryEdn(h));
      expect(writeHistoryJson(h)).toBe(oracleWriteHistoryJson(h));
    }
  });

  it("write the benchmark's porcupine-shaped histories and a built history with big integers as the reference writers do", () => {
    const histories: History[] = porcupineLikeFiles(7, 12).map((f) => f.history);
    const b = new HistoryBuilder();
    b.invoke(0, "append", "x 0 1 y", { key: "k", client_id: "18446744073709551615", seq: 1, time: 5 });
    b.invoke(1, "incr", [2, 12345678901234567890n], { time: 6 });
    b.ok(0, ["a", "x 0 1 y"], { time: 7 });
    b.info(1, { time: 8 });
    histories.push(b.build());
    for (const h of histories) {
      expect(writeHistoryEdn(h)).toBe(oracleWriteHistoryEdn(h));
      expect(writeHistoryJson(h)).toBe(oracleWriteHistoryJson(h));
    }
  });
});
