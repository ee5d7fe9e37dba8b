import { describe, expect, it, test } from "vitest";
import { decodeLine, encodeMessage, LineSplitter, ErrorCode } from "../src/index.js";

describe("decodeLine", () => {
  it("decodes the init and write lines of the kv-node example", () => {
    const init = decodeLine(
      '{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}',
    );
    expect(init.ok && init.message.body.type).toBe("init");
    const write = decodeLine(
      '{"src":"c1","dest":"n1","body":{"type":"write","msg_id":2,"key":"x","value":1,"client_id":"c1","seq":1}}',
    );
    expect(write.ok && write.message.body).toMatchObject({ key: "x", value: 1, client_id: "c1", seq: 1 });
  });

  test.each([
    ["not JSON", "{nope", null, 12, /not valid JSON/],
    ["a JSON array", "[1,2]", null, 12, /expected a JSON object/],
    ["missing src", '{"dest":"n1","body":{"type":"read","key":"a"}}', "src", 12, /field "src": missing/],
    ["missing dest", '{"src":"c1","body":{"type":"read","key":"a"}}', "dest", 12, /field "dest": missing/],
    ["missing body", '{"src":"c1","dest":"n1"}', "body", 12, /field "body": missing/],
    ["body not an object", '{"src":"c1","dest":"n1","body":3}', "body", 12, /expected an object/],
    ["missing type", '{"src":"c1","dest":"n1","body":{}}', "body.type", 12, /missing/],
    ["unknown type", '{"src":"c1","dest":"n1","body":{"type":"frobnicate"}}', "body.type", 10, /unknown message type "frobnicate"/],
    ["seq of the wrong type", '{"src":"c1","dest":"n1","body":{"type":"write","key":"a","value":1,"client_id":"c1","seq":"5"}}', "body.seq", 12, /positive integer, got the string "5"/],
    ["seq of zero", '{"src":"c1","dest":"n1","body":{"type":"write","key":"a","value":1,"client_id":"c1","seq":0}}', "body.seq", 12, /positive integer/],
    ["client_id as a number", '{"src":"c1","dest":"n1","body":{"type":"append","key":"a","value":1,"client_id":7,"seq":1}}', "body.client_id", 12, /expected a string/],
    ["fractional delta", '{"src":"c1","dest":"n1","body":{"type":"incr","key":"a","delta":1.5}}', "body.delta", 12, /integer/],
    ["missing key", '{"src":"c1","dest":"n1","body":{"type":"read"}}', "body.key", 12, /missing/],
    ["key as an object", '{"src":"c1","dest":"n1","body":{"type":"read","key":{}}}', "body.key", 12, /string or an integer/],
    ["negative msg_id", '{"src":"c1","dest":"n1","body":{"type":"read","key":"a","msg_id":-1}}', "body.msg_id", 12, /non-negative/],
  ])("refuses %s, naming the line and the field", (_name, line, field, code, pattern) => {
    const r = decodeLine(line, { source: "stdin", line: 7 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(/^stdin:7: /);
    expect(r.error.message).toMatch(pattern);
    expect(r.error.field ?? null).toBe(field);
    expect(r.error.errorCode).toBe(code);
  });

  it("keeps the sender and msg_id of a bad request so the node can answer it", () => {
    const r = decodeLine('{"src":"c9","dest":"n1","body":{"type":"write","msg_id":4,"key":"a"}}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.replyTo).toEqual({ src: "c9", dest: "n1", msg_id: 4, type: "write" });
  });

  it("refuses an oversized line with request-too-large", () => {
    const big = JSON.stringify({ src: "c1", dest: "n1", body: { type: "write", key: "a", value: "x".repeat(200) } });
    const r = decodeLine(big, { maxLineBytes: 100 });
    expect(!r.ok && r.error.errorCode).toBe(ErrorCode.RequestTooLarge);
  });

  it("round-trips through encodeMessage", () => {
    const m = { src: "n1", dest: "c1", body: { type: "append_ok", in_reply_to: 3, value: [1, "b"] } };
    const r = decodeLine(encodeMessage(m));
    expect(r.ok && r.message).toEqual(m);
  });
});

describe("LineSplitter", () => {
  it("joins lines split across chunks and strips CR", () => {
    const s = new LineSplitter();
    expect(s.push('{"a":')).toEqual([]);
    expect(s.push('1}\r\n{"b":2}\n{"c"')).toEqual([
      { line: '{"a":1}', lineNumber: 1, oversized: false },
      { line: '{"b":2}', lineNumber: 2, oversized: false },
    ]);
    expect(s.end()).toEqual([{ line: '{"c"', lineNumber: 3, oversized: false }]);
  });

  it("skips an oversized line without buffering it, and recovers on the next line", () => {
    const s = new LineSplitter(10);
    const out = [...s.push("x".repeat(8)), ...s.push("y".repeat(8)), ...s.push("z".repeat(1000)), ...s.push("\nok\n")];
    expect(out).toEqual([
      { line: "", lineNumber: 1, oversized: true },
      { line: "ok", lineNumber: 2, oversized: false },
    ]);
  });
});
