import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EdnValue, History } from "../../src/index.js";
import { EdnList, EdnMap, EdnSet, Keyword, NESTING_DEPTH_MAX, ParseError, ednEqual, kw, parseEdn, parseEdnForms, parseJson, printEdn, readHistory } from "../../src/index.js";

/** A full garbage collection, then a turn of the event loop for the finalizers it queued. */
async function collect(): Promise<void> {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  await new Promise((resolve) => setTimeout(resolve, 0));
}

const ednArb: fc.Arbitrary<EdnValue> = fc.letrec<{ v: EdnValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).filter((b) => b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.string({ unit: "binary" }),
    fc.stringMatching(/^[a-z][a-z0-9?!*-]{0,8}(\/[a-z]{1,4})?$/).map(kw),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.array(tie("v"), { maxLength: 4 }).map((xs) => new EdnList(xs)),
    fc.array(fc.tuple(tie("v"), tie("v")), { maxLength: 3 }).map((es) => new EdnMap(es)),
    fc.array(fc.integer(), { maxLength: 3 }).map((xs) => new EdnSet(xs)),
  ),
})).v;

describe("EDN reader and printer", () => {
  it("reads back what it prints, for any value (property)", () => {
    fc.assert(
      fc.property(ednArb, (v) => {
        const back = parseEdn(printEdn(v));
        expect(ednEqual(back, v)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps no keyword of a file with many distinct ones once the history read from it is gone", async () => {
    await collect();
    const before = Keyword.tableSize;
    const distinct = 50_000;
    let text = "";
    for (let i = 0; i < distinct; i++) text += `{:type :invoke, :f :write, :value :v${i}, :process 0, :error :e${i}}\n{:type :ok, :f :write, :value :v${i}, :process 0}\n`;
    let history: History | undefined = readHistory(text);
    // While the history holds them, each name is one keyword, in the table.
    // (Measured against no earlier size: keywords other tests left behind
    // may be swept meanwhile.)
    for (let i = 0; i < distinct; i++) {
      expect(history[2 * i + 1]!.value).toBe(kw(`v${i}`));
      expect(history[2 * i]!.error).toBe(kw(`e${i}`));
    }
    expect(Keyword.tableSize).toBeGreaterThanOrEqual(2 * distinct);
    history = undefined;
    for (let i = 0; i < 10 && Keyword.tableSize > before + 100; i++) await collect();
    expect(Keyword.tableSize).toBeLessThan(before + 100);
  });

  it("reads a Maelstrom lin-kv history line with a cas tuple", () => {
    const v = parseEdn('{:type :invoke, :f :cas, :value [0 [1 2]], :time 12345, :process 3, :index 7}');
    expect(v).toBeInstanceOf(EdnMap);
    const m = v as EdnMap;
    expect(m.getKw("f")).toBe(kw("cas"));
    expect(m.getKw("value")).toEqual([0, [1, 2]]);
    expect(m.getKw("process")).toBe(3);
  });

  it("reads strings with escapes, comments, discards, big integers, floats, sets and lists", () => {
    const text = '; a comment\n["a\\"b\\n\\\\c\\u0041" 123456789012345678901234 -7 1.5e3 2.5M 7N nil true false #{1 2} (1 :x) #_ ignored \\a \\newline ##Inf]';
    const v = parseEdn(text) as EdnValue[];
    expect(v[0]).toBe('a"b\n\\cA');
    expect(v[1]).toBe(123456789012345678901234n);
    expect(v[2]).toBe(-7);
    expect(v[3]).toBe(1500);
    expect(v[4]).toBe(2.5);
    expect(v[5]).toBe(7);
    expect(v.slice(6, 9)).toEqual([null, true, false]);
    expect(v[9]).toBeInstanceOf(EdnSet);
    expect(v[10]).toBeInstanceOf(EdnList);
    expect(v.length).toBe(14);
    expect(v[13]).toBe(Infinity);
  });

  it("prints maps the way Jepsen does", () => {
    expect(printEdn(new EdnMap([[kw("type"), kw("ok")], [kw("value"), [1, "x"]]]))).toBe('{:type :ok, :value [1 "x"]}');
  });

  it("refuses EDN and JSON nested deeper than the limit with a ParseError at the line and column it is reached, without recursing further", () => {
    const deep = (open: string, close: string, n: number) => open.repeat(n) + close.repeat(n);
    for (const [text, read] of [
      ["\n" + deep("[", "]", 100_000), (t: string) => parseEdn(t, "h.edn")],
      ["\n" + deep("(", ")", NESTING_DEPTH_MAX + 1), (t: string) => parseEdn(t, "h.edn")],
      ["\n" + "#t ".repeat(NESTING_DEPTH_MAX + 1) + "1", (t: string) => parseEdn(t, "h.edn")],
      ["\n" + deep("[", "]", 100_000), (t: string) => parseJson(t, "h.edn")],
      ["\n" + deep('{"a":', "}", NESTING_DEPTH_MAX + 1).replace(/:}/, ":1}"), (t: string) => parseJson(t, "h.edn")],
    ] as const) {
      const e = (() => {
        try {
          read(text);
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(ParseError);
      expect((e as ParseError).line).toBe(2);
      expect((e as ParseError).message).toMatch(new RegExp(`^h\\.edn:2:\\d+: nested deeper than ${NESTING_DEPTH_MAX} levels`));
    }
    expect(() => parseEdn(deep("[", "]", NESTING_DEPTH_MAX))).not.toThrow();
    expect(() => parseJson(deep("[", "]", NESTING_DEPTH_MAX))).not.toThrow();
  });

  it("gives each top-level form its line", () => {
    const forms = parseEdnForms("{:a 1}\n\n{:b 2}\n  {:c\n 3}\n");
    expect(forms.map((f) => f.line)).toEqual([1, 3, 4]);
  });

  it.each([
    ["{:a 1}\n{:b 2\n{:c 3}\n", 2, "unclosed"],
    ["{:a 1}\n{:a 1 :b}\n", 2, "odd number"],
    ['{:a 1}\n{:a "x}\n', 2, "unterminated string"],
    ["{:a 1}\n{:a 1}}\n", 2, "unexpected '}'"],
    ["{:a 1}\n\n{:a 1.2.3}\n", 3, "bad number"],
    ['{:a "\\q"}', 1, "unknown escape"],
  ])("reports a malformed line with its line number: %j", (text, line, reason) => {
    try {
      parseEdnForms(text, "h.edn");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ParseError);
      const pe = e as ParseError;
      expect(pe.line).toBe(line);
      expect(pe.column).toBeGreaterThan(0);
      expect(pe.message).toContain(`h.edn:${line}:`);
      expect(pe.message).toContain(reason);
    }
  });
});
