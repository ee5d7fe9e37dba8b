import { describe, expect, it } from "vitest";
import { ConnectionLineReader } from "../../src/runtime/line-reader.js";

const b = (s: string) => Buffer.from(s, "utf8");

describe("ConnectionLineReader splits a connection's bytes into lines and counts what it holds", () => {
  it("joins a line that arrives in pieces, a multi-byte character split between chunks included", () => {
    const r = new ConnectionLineReader(100);
    const euro = b("€"); // 3 bytes
    expect(r.push(Buffer.concat([b('{"a":"'), euro.subarray(0, 1)]))).toEqual([]);
    expect(r.bufferedBytes).toBe(7);
    expect(r.push(Buffer.concat([euro.subarray(1), b('"}\r\nnext')]))).toEqual([{ line: '{"a":"€"}', lineNumber: 1, oversized: false }]);
    expect(r.bufferedBytes).toBe(4);
    expect(r.end()).toEqual([{ line: "next", lineNumber: 2, oversized: false }]);
    expect(r.bufferedBytes).toBe(0);
  });

  it("holds at most the bound: a longer line is skipped up to its newline and reported once as oversized", () => {
    const r = new ConnectionLineReader(10);
    expect(r.push(b("0123456789abc"))).toEqual([]);
    expect(r.bufferedBytes).toBe(0);
    expect(r.push(b("more bytes of the same line"))).toEqual([]);
    expect(r.bufferedBytes).toBe(0);
    expect(r.push(b("end\nok\n"))).toEqual([
      { line: "", lineNumber: 1, oversized: true },
      { line: "ok", lineNumber: 2, oversized: false },
    ]);
  });

  it("a line that reaches the bound only with the chunk that ends it is oversized too", () => {
    const r = new ConnectionLineReader(10);
    r.push(b("012345"));
    expect(r.push(b("6789ab\n"))).toEqual([{ line: "", lineNumber: 1, oversized: true }]);
    expect(r.bufferedBytes).toBe(0);
  });

  it("takes longer lines once its bound is raised (a peer that proved the secret)", () => {
    const r = new ConnectionLineReader(4);
    expect(r.push(b("ab\n"))).toEqual([{ line: "ab", lineNumber: 1, oversized: false }]);
    r.maxLineBytes = 64;
    expect(r.push(b("a much longer line\n"))).toEqual([{ line: "a much longer line", lineNumber: 2, oversized: false }]);
  });
});
