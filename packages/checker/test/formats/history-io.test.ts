import { describe, expect, it } from "vitest";
import { EdnList, HistoryBuilder, NESTING_DEPTH_MAX, OpTooLongError, ParseError, ReadTimeLimitError, kw, lineOfOp, pairOps, readHistory, writeHistoryEdn, writeHistoryJson } from "../../src/index.js";

const maelstrom = `{:type :invoke, :f :write, :value [0 3], :time 100, :process 0, :index 0}
{:type :invoke, :f :cas, :value [0 [3 4]], :time 110, :process 1, :index 1}
{:type :ok, :f :write, :value [0 3], :time 120, :process 0, :index 2}
{:type :info, :f :cas, :value [0 [3 4]], :time 130, :process 1, :error :net-timeout, :index 3}
{:type :info, :f :start-partition, :value [:isolated {"n1" #{"n2"}}], :time 140, :process :nemesis, :index 4}
`;

describe("history files", () => {
  it("reads a Maelstrom lin-kv history.edn, nemesis and errors included", () => {
    const h = readHistory(maelstrom, { source: "history.edn" });
    expect(h).toHaveLength(5);
    expect(h[1]).toMatchObject({ type: "invoke", f: "cas", value: [0, [3, 4]], process: 1, time: 110, index: 1 });
    expect(h[3]!.error).toBe(kw("net-timeout"));
    expect(h[4]!.process).toBe("nemesis");
    const calls = pairOps(h);
    expect(calls.map((c) => c.outcome)).toEqual(["ok", "info"]);
    expect(calls[1]!.returnIndex).toBe(Infinity);
  });

  it("reads Jepsen 0.3's records (#jepsen.history.Op{...}), one per line or in a vector", () => {
    const lines = [
      "#jepsen.history.Op{:index 0, :time 123, :type :invoke, :process 0, :f :write, :value [0 3]}",
      "#jepsen.history.Op{:index 1, :time 200, :type :ok, :process 0, :f :write, :value [0 3]}",
    ];
    for (const text of [lines.join("\n") + "\n", `[${lines.join("\n ")}]`]) {
      const h = readHistory(text, { source: "history.edn" });
      expect(h.map((o) => [o.index, o.type, o.f, o.value, o.time])).toEqual([
        [0, "invoke", "write", [0, 3], 123],
        [1, "ok", "write", [0, 3], 200],
      ]);
    }
  });

  describe("the three shapes of an EDN history, with comments and discards anywhere", () => {
    // The same three operations in each shape; `;` comments and `#_` discards
    // between operations, between a key and its value, and inside values;
    // lists nested in values stay values.
    const ops = [
      "{:type :invoke, ; the first\n :f :txn, :value [[:read :x nil] #_[:read :z nil] [:write :y 2]], :process 0}",
      "{:type :ok, :f :txn, :value [[:read :x 0] [:write :y 2]], :process 0, #_#_ :ignored 1 :time (1 2 3)}",
      "#_{:type :invoke, :f :read, :process 9}\n{:type :info, :f :start, :value (:a (:b)), :process :nemesis} ; trailing",
    ];
    const expected = [
      ["invoke", "txn", [[kw("read"), kw("x"), null], [kw("write"), kw("y"), 2]], 0, 2],
      ["ok", "txn", [[kw("read"), kw("x"), 0], [kw("write"), kw("y"), 2]], 0, 4],
      ["info", "start", new EdnList([kw("a"), new EdnList([kw("b")])]), "nemesis", 6],
    ];
    const read = (text: string) => readHistory(text, { source: "h.edn" }).map((o) => [o.type, o.f, o.value, o.process, lineOfOp(o)]);

    it("one map per line", () => {
      expect(read("; a header comment\n" + ops.join("\n") + "\n; the end\n")).toEqual(expected);
    });

    it("a top-level vector", () => {
      expect(read("; a header comment\n[" + ops.join("\n ") + "\n ; the end\n]\n")).toEqual(expected);
    });

    it("a top-level list", () => {
      expect(read("; a header comment\n(" + ops.join("\n ") + "\n ; the end\n)\n")).toEqual(expected);
      expect(read("(\n" + ops.join("\n") + "\n)")).toEqual(expected);
      // The last operation's comment runs to the end of its line, and takes a `)` there with it.
      expect(() => read("(\n" + ops.join("\n") + ")")).toThrow(/^h\.edn:1:1: unclosed collection: expected '\)'$/);
      expect(readHistory("()")).toEqual([]);
    });

    it("a list or vector of something else names the item's line and column", () => {
      for (const [text, at] of [
        ["(\n {:type :invoke, :f :read, :process 0}\n  5)", "h.edn:3:3"],
        ["[{:type :invoke, :f :read, :process 0} (1 2)]", "h.edn:1:40"],
        ["( ; comment\n  #_ 1 [:not :a :map])", "h.edn:2:8"],
      ] as const) {
        expect(() => readHistory(text, { source: "h.edn" })).toThrow(ParseError);
        expect(() => readHistory(text, { source: "h.edn" })).toThrow(new RegExp(`^${at}: expected an operation map, got `));
      }
    });

    it("a malformed list says line:column and what", () => {
      expect(() => readHistory("(\n {:type :invoke, :f :read, :process 0}\n", { source: "h.edn" })).toThrow(/^h\.edn:1:1: unclosed collection: expected '\)'$/);
      expect(() => readHistory("({:type :invoke, :f :read, :process 0}]", { source: "h.edn" })).toThrow(/^h\.edn:1:39: unexpected '\]'$/);
      expect(() => readHistory("({:type :invoke, :f :read, :process 0})\n(", { source: "h.edn" })).toThrow(/^h\.edn:2:1: unclosed collection/);
      // Two lists are not one history.
      expect(() => readHistory("({:type :invoke, :f :read, :process 0})\n()", { source: "h.edn" })).toThrow(/^h\.edn:1:1: expected an operation map, got \(/);
    });

    it("hostile lists are bounded: a deep one is refused where it gets too deep, a huge one is read", () => {
      const deep = "(".repeat(NESTING_DEPTH_MAX + 5) + ")".repeat(NESTING_DEPTH_MAX + 5);
      expect(() => readHistory(deep, { source: "h.edn" })).toThrow(new RegExp(`^h\\.edn:1:${NESTING_DEPTH_MAX + 1}: nested deeper than ${NESTING_DEPTH_MAX} levels`));
      const deepValue = `({:type :invoke, :f :read, :process 0, :value ${"(".repeat(NESTING_DEPTH_MAX)}${")".repeat(NESTING_DEPTH_MAX)}})`;
      expect(() => readHistory(deepValue, { source: "h.edn" })).toThrow(/^h\.edn:1:\d+: nested deeper than/);
      const n = 200_000;
      const huge = "(" + '{:type :invoke, :f :read, :process 0}\n{:type :ok, :f :read, :value 1, :process 0}\n'.repeat(n / 2) + ")";
      const h = readHistory(huge, { source: "h.edn" });
      expect(h.length).toBe(n);
      expect(lineOfOp(h[n - 1]!)).toBe(n);
    });
  });

  it("reads the 6.824 kv format with :key", () => {
    const h = readHistory('{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}\n{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}\n');
    expect(h[0]).toMatchObject({ process: 0, f: "append", key: "0", value: "x 0 0 y", index: 0 });
    expect(h[1]!.index).toBe(1);
  });

  it("round-trips EDN -> EDN and EDN -> JSON -> EDN (values without keywords)", () => {
    const b = new HistoryBuilder();
    b.invoke(0, "append", "x 0 1 y", { key: "k", client_id: "18446744073709551615", seq: 1, time: 5 });
    b.invoke(1, "incr", [2, 12345678901234567890n], { time: 6 });
    b.ok(0, ["a", "x 0 1 y"], { time: 7 });
    b.info(1, { time: 8 });
    const h = b.build();
    const edn = writeHistoryEdn(h);
    expect(readHistory(edn)).toEqual(h);
    const json = writeHistoryJson(h);
    expect(json.split("\n")[0]).toContain('"client_id":"18446744073709551615"');
    expect(json).toContain("12345678901234567890");
    expect(readHistory(json)).toEqual(h);
    expect(readHistory(writeHistoryEdn(readHistory(json)))).toEqual(h);
  });

  it("reads files with a byte-order mark and CRLF line ends, EDN and JSON", () => {
    const edn = "\uFEFF{:type :invoke, :f :read, :process 0}\r\n{:type :ok, :f :read, :value 3, :process 0}\r\n";
    const json = '\uFEFF{"type":"invoke","f":"read","process":0}\r\n{"type":"ok","f":"read","value":3,"process":0}\r\n';
    for (const text of [edn, json]) expect(readHistory(text).map((o) => [o.type, o.value])).toEqual([["invoke", null], ["ok", 3]]);
  });

  it("reads a JSON array as well as JSON lines", () => {
    const h = readHistory('[{"process":0,"type":"invoke","f":"read","value":null},\n {"process":0,"type":"ok","f":"read","value":3}]');
    expect(h.map((o) => o.value)).toEqual([null, 3]);
  });

  it.each([
    ['{:type :invoke, :f :read, :process 0}\n{:type :bogus, :f :read, :process 0}\n', 2, ":type"],
    ['{:type :invoke, :f :read, :process 0}\n{:type :ok, :process 0}\n', 2, ":f"],
    ['{:type :invoke, :f :read, :value nil}\n', 1, ":process"],
    ['{:type :invoke, :f :read, :process 0}\n#jepsen.history.Op [1 2]\n', 2, "expected an operation map"],
    ['{:type :invoke, :f :read, :process 0}\n{:type :ok, :f :read, :process 0, :value [1 2}\n', 2, "unexpected '}'"],
    ['{:type :invoke, :f :read, :process 0}\n{:type :ok :f}\n', 2, "odd number of forms"],
    ['{:type :invoke, :f :read, :process 0, :value "abc}\n', 1, "unterminated string"],
    ['{"type":"invoke","f":"read","process":0}\n{"type":"ok","f":"read","process":0,}\n', 2, "string key"],
    ['{"type":"invoke","f":"read","process":0}\n\n{"type":"ok" "f":"read"}\n', 3, "expected ','"],
  ])("names the malformed line: %j", (text, line, reason) => {
    let err: unknown;
    try {
      readHistory(text, { source: "f" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(line);
    expect((err as ParseError).message).toContain(reason);
  });

  it.each([
    ["an object that is not an operation (package.json)", '{\n  "name": "dslab",\n  "private": true\n}\n', "lines 1-4", undefined],
    ["kv-sim's results.json", '{\n  "seed": "7",\n  "verdict": "valid",\n  "ops": {"invoked": 2}\n}\n', "lines 1-5", "kv-sim's results.json"],
  ])("one JSON object spread over several lines is not a history, and the message says so: %s", (_name, text, lines, hint) => {
    let err: unknown;
    try {
      readHistory(text, { source: "f.json" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).line).toBe(1);
    expect((err as ParseError).message).toContain(`f.json:1: one JSON object across ${lines}, not a history: a JSON history is one operation object per line, or an array of them`);
    if (hint !== undefined) expect((err as ParseError).message).toContain("this looks like kv-sim's results.json: the run's history is history.edn or history.json beside it");
    else expect((err as ParseError).message).not.toContain("kv-sim");
  });

  it.each([
    ["kv-sim's timeline.html", '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>kv-sim seed 7: valid</title>\n', 1, "this is an HTML page, not a history (kv-sim writes the history as history.edn or history.json beside it)"],
    ["kv-sim's messages.html after a blank line", '\n<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>kv-sim seed 7: valid</title>\n', 2, "this is an HTML page, not a history (kv-sim writes the history as history.edn or history.json beside it)"],
    ["another HTML page", "<html><head><title>report</title></head><body>7: done</body></html>\n", 1, "this is an HTML page, not a history: a history is EDN maps or JSON objects, one per operation"],
    ["an XML file", '<?xml version="1.0"?>\n<run seed="7"/>\n', 1, "this starts with '<' like HTML or XML, not a history: a history is EDN maps or JSON objects, one per operation"],
    [
      "kv-sim's messages.txt",
      '16.180 c5 -> n2 append {"key":"a0.0","value":"c5:1"} id=2132/1 delivered@17.943\n17.943 n2 -> c5 error {"code":11} id=2132/1 delivered@21.102\n',
      1,
      "this is kv-sim's messages.txt (the run's client messages and faults), not a history (kv-sim writes the history as history.edn or history.json beside it)",
    ],
    ["kv-sim's messages.txt that opens with a fault", "1700.000 FAULT SIGKILL n1 (leader)\n1701.5 c1 -> n2 read {}\n", 1, "this is kv-sim's messages.txt"],
  ])("a file that is clearly no history is said to be what it is, from its start: %s", (_name, text, line, reason) => {
    for (const format of [undefined, "edn", "json"] as const) {
      let err: unknown;
      try {
        readHistory(text, { source: "f", ...(format === undefined ? {} : { format }) });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ParseError);
      expect((err as ParseError).line).toBe(line);
      expect((err as ParseError).column).toBeUndefined();
      expect((err as ParseError).message).toContain(`f:${line}: ${reason}`);
    }
  });

  it("a history whose first operation is shaped like a messages.txt line in part is still read as a history", () => {
    const h = readHistory('{:type :invoke, :f :read, :process 0, :value nil, :note "16.180 c5 -> n2 append"}\n{:type :ok, :f :read, :process 0, :value 1}\n');
    expect(h.map((o) => o.value)).toEqual([null, 1]);
  });

  it("a field named __proto__ in a hostile history never becomes an object's prototype", () => {
    const [edn] = readHistory("{:type :invoke, :f :write, :value 1, :process 0, :__proto__ {:polluted true}}\n", { source: "h.edn" });
    const extra = edn!.extra as Record<string, unknown>;
    expect(Object.getPrototypeOf(extra)).toBe(Object.prototype);
    expect(Object.keys(extra)).toEqual(["__proto__"]);
    expect((extra as { polluted?: unknown }).polluted).toBeUndefined();
    expect(writeHistoryJson([edn!])).toContain('"__proto__"');
    const [json] = readHistory('[{"type":"invoke","f":"write","value":1,"process":0,"__proto__":{"polluted":true}}]', { source: "h.json" });
    expect(Object.getPrototypeOf(json!.extra ?? {})).toBe(Object.prototype);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

/**
 * Reads `text` on a clock whose first look is in time and every later one
 * past the deadline; returns the ReadTimeLimitError the read stopped with
 * and how many times it looked at the clock.
 */
function readUntilTimeLimit(text: string): { error: ReadTimeLimitError; looks: number } {
  let looks = 0;
  const now = () => (looks++ === 0 ? 0 : 200);
  try {
    readHistory(text, { deadline: { at: 100, now } });
  } catch (e) {
    expect(e).toBeInstanceOf(ReadTimeLimitError);
    return { error: e as ReadTimeLimitError, looks };
  }
  throw new Error("readHistory read the whole text: the deadline stopped nothing");
}

describe("readHistory with a deadline", () => {
  const b = new HistoryBuilder();
  for (let i = 0; i < 3000; i++) {
    b.invoke(0, "write", i);
    b.ok(0);
  }
  const edn = writeHistoryEdn(b.build());

  it.each([
    ["EDN, one map per line", edn],
    ["JSON lines", writeHistoryJson(b.build())],
    ["one EDN vector", "[" + edn + "]"],
    ["one EDN list", "(" + edn + ")"],
  ])("stops reading %s between operations once the deadline has passed, saying where", (_, text) => {
    // The clock is looked at every 1,024 events: the first look is in time, the next one past the deadline.
    const { error } = readUntilTimeLimit(text);
    expect(error.message).toBe("the time limit was reached while reading the history, at line 1025 after 1024 operation events");
  });

  it("reads to the end when the deadline is not reached", () => {
    expect(readHistory(edn, { deadline: { at: 100, now: () => 0 } })).toHaveLength(6000);
  });
});

describe("readHistory with a deadline, on a few long operations", () => {
  const b = new HistoryBuilder();
  for (let i = 0; i < 4; i++) b.invoke(i, "write", "x".repeat(600_000));
  const history = b.build();

  it.each([
    ["EDN, one map per line", writeHistoryEdn(history)],
    ["JSON lines", writeHistoryJson(history)],
  ])("looks at the clock after every MiB read in %s, however few operations that holds", (_, text) => {
    // The first look (before op 0) is in time; op 1 starts 600,000 characters in, op 2 past 1 MiB.
    const { error, looks } = readUntilTimeLimit(text);
    expect(error.message).toBe("the time limit was reached while reading the history, at line 3 after 2 operation events");
    expect(looks).toBe(2);
  });
});

describe("readHistory with a deadline, while a file read whole is parsed", () => {
  // 6,000 events of about 500 characters each, one per line (about 3 MiB): values three vectors deep.
  const numbers = Array.from({ length: 200 }, (_, i) => i % 10);
  const json = Array.from({ length: 6000 }, (_, i) => `{"type":"${i % 2 === 0 ? "invoke" : "ok"}","f":"write","value":[[[${numbers.join(",")}]]],"process":0}`);
  // A string key (a field the usual shape does not have) sends EDN to the general reader, which parses the whole file first.
  const edn = Array.from({ length: 6000 }, (_, i) => `{:type :${i % 2 === 0 ? "invoke" : "ok"}, :f :write, :value [[[${numbers.join(" ")}]]], :process 0, "node" "n1"}`);

  it.each([
    // A JSON array is parsed from the start: its first look at the clock is a MiB in, its second two MiB in.
    ["one JSON array", "[" + json.join(",\n") + "]\n", 2],
    // EDN looks before its first operation, then tries the usual shape, then parses the whole file, looking a MiB in.
    ["one EDN vector, read by the general reader", "[" + edn.join("\n") + "]\n", 1],
    ["EDN maps one per line, read by the general reader", edn.join("\n") + "\n", 1],
  ])("stops parsing %s part way once the deadline has passed, at the operation being read", (_, text, mib) => {
    const { error, looks } = readUntilTimeLimit(text);
    const { line, events } = error;
    expect(looks).toBe(2);
    // Stopped in the operation `mib` MiB into the text (or at the start of the next one): operation N starts on line N + 1.
    const lineThere = text.slice(0, mib * 2 ** 20).split("\n").length;
    expect(line).toBeGreaterThanOrEqual(lineThere);
    expect(line).toBeLessThanOrEqual(lineThere + 1);
    expect(line).toBe(events + 1);
  });

  it("reads the same operations, on the same lines, with a deadline that is not reached", () => {
    const text = "[" + json.join(",\n") + "]\n";
    const ops = readHistory(text, { deadline: { at: 100, now: () => 0 } });
    expect(ops).toEqual(readHistory(text));
    expect(ops.map(lineOfOp)).toEqual(Array.from({ length: 6000 }, (_, i) => i + 1));
  });
});

describe("readHistory with opMaxChars", () => {
  const small = "{:type :invoke, :f :read, :value nil, :process 0}\n{:type :ok, :f :read, :value nil, :process 0}";
  const ints = Array.from({ length: 1000 }, (_, i) => i).join(" ");
  const long = `{:type :invoke, :f :write, :value [${ints}], :process 1}`;
  const reason = "op 2 is longer than 1000 characters, the most one operation may take (--op-max-chars): one value this large takes seconds to read and prepare, which the time limit cannot interrupt";
  const jsonSmall = '{"type":"invoke","f":"read","value":null,"process":0}\n{"type":"ok","f":"read","value":null,"process":0}';
  const jsonLong = `{"type":"invoke","f":"write","value":[${ints.replace(/ /g, ",")}],"process":1}`;

  it.each([
    ["EDN, one map per line", `${small}\n${long}\n`, "h.edn:3:1"],
    ["EDN, a map read by the general reader (a set in it)", `${small}\n{:type :invoke, :f :write, :value #{[${ints}]}, :process 1}\n`, "h.edn:3:1"],
    ["one EDN vector", `[${small}\n ${long}]`, "h.edn:3:2"],
    ["one EDN list", `(${small}\n ${long})`, "h.edn:3:2"],
    ["JSON lines", `${jsonSmall}\n${jsonLong}\n`, "h.edn:3:1"],
    ["one JSON array", `[${jsonSmall.replace("\n", ",\n")},\n ${jsonLong}]`, "h.edn:3:2"],
  ])("refuses an operation longer than the bound in %s, naming the op and where it starts", (_, text, at) => {
    let caught: unknown;
    try {
      readHistory(text, { source: "h.edn", opMaxChars: 1000 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(OpTooLongError);
    expect((caught as OpTooLongError).message).toBe(`${at}: ${reason}`);
    expect((caught as OpTooLongError).op).toBe(2);
    // Without a bound, or with room for it, the same text is a history.
    expect(readHistory(text, { source: "h.edn" })).toHaveLength(3);
    expect(readHistory(text, { source: "h.edn", opMaxChars: 10_000 })).toHaveLength(3);
  });

  it("stops inside the operation once it is that long, before its end: a syntax error further on in it is never reached", () => {
    const text = `${small}\n{:type :invoke, :f :write, :value [${ints} ${ints}}, :process 1}\n`;
    expect(() => readHistory(text, { source: "h.edn" })).toThrow(/^h\.edn:3:\d+: unexpected '\}'$/);
    expect(() => readHistory(text, { source: "h.edn", opMaxChars: 1000 })).toThrow(`h.edn:3:1: ${reason}`);
  });
});
