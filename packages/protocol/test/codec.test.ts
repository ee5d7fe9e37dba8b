import { describe, expect, it, test } from "vitest";
import { decodeLine, encodeMessage, LineSplitter, ErrorCode, MAX_JSON_DEPTH, MAX_MESSAGE_DEPTH } from "../src/index.js";

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
    ["a type named after an object's built-in member", '{"src":"c1","dest":"n1","body":{"type":"constructor"}}', "body.type", 10, /unknown message type "constructor"/],
    ["the type __proto__", '{"src":"c1","dest":"n1","body":{"type":"__proto__"}}', "body.type", 10, /unknown message type "__proto__"/],
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

  it("bounds a line by its UTF-8 bytes, not its characters: multi-byte text under the bound in characters is still refused", () => {
    const line = (chars: string) => JSON.stringify({ src: "c1", dest: "n1", body: { type: "write", key: "a", value: chars } });
    const ascii = line("x".repeat(100));
    const bound = Buffer.byteLength(ascii);
    expect(decodeLine(ascii, { maxLineBytes: bound }).ok).toBe(true);
    // Three bytes per character, the most UTF-8 takes for one UTF-16 unit: fewer characters than the bound, more bytes.
    const wide = line("\u20ac".repeat(60));
    expect(wide.length).toBeLessThan(bound);
    const r = decodeLine(wide, { maxLineBytes: bound });
    expect(!r.ok && r.error.errorCode).toBe(ErrorCode.RequestTooLarge);
    expect(!r.ok && r.error.message).toBe(`line is larger than ${bound} bytes`);
    expect(decodeLine(wide, { maxLineBytes: Buffer.byteLength(wide) }).ok).toBe(true);
  });

  it("round-trips through encodeMessage", () => {
    const m = { src: "n1", dest: "c1", body: { type: "append_ok", in_reply_to: 3, value: [1, "b"] } };
    const r = decodeLine(encodeMessage(m));
    expect(r.ok && r.message).toEqual(m);
  });
});

describe("decodeLine: nesting depth", () => {
  /** `levels` arrays around 1, as JSON text. */
  const nested = (levels: number) => `${"[".repeat(levels)}1${"]".repeat(levels)}`;
  const write = (value: string, extra = "") =>
    `{"src":"c1","dest":"n1","body":{"type":"write","msg_id":9,"key":"k","value":${value},"client_id":"c1","seq":1${extra}}}`;

  it("accepts a request value nested exactly MAX_JSON_DEPTH levels", () => {
    const r = decodeLine(write(nested(MAX_JSON_DEPTH)));
    expect(r.ok).toBe(true);
  });

  it("refuses a request value nested one level deeper with error 12 naming the bound, the line and the field", () => {
    const r = decodeLine(write(nested(MAX_JSON_DEPTH + 1)), { source: "stdin", line: 4 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.errorCode).toBe(ErrorCode.MalformedRequest);
    expect(r.error.field).toBe("body.value");
    expect(r.error.message).toBe('stdin:4: field "body.value": value nested deeper than 64 levels');
    expect(r.error.replyTo).toEqual({ src: "c1", dest: "n1", msg_id: 9, type: "write" });
  });

  it("refuses a 10 KB line of brackets (thousands of levels) without throwing", () => {
    const levels = 5000;
    const r = decodeLine(write(`${"[".repeat(levels)}${"]".repeat(levels)}`));
    expect(!r.ok && r.error.message).toBe('field "body.value": value nested deeper than 64 levels');
  });

  it.each([
    ["cas from", '{"type":"cas","key":"k","from":%,"to":1}', "body.from"],
    ["cas to", '{"type":"cas","key":"k","from":1,"to":%}', "body.to"],
    ["append value", '{"type":"append","key":"k","value":%}', "body.value"],
    ["a field no schema names", '{"type":"read","key":"k","extra":%}', "body.extra"],
  ])("bounds every field of a client request, here %s", (_name, body, field) => {
    const line = (levels: number) => `{"src":"c1","dest":"n1","body":${body.replace("%", nested(levels))}}`;
    expect(decodeLine(line(MAX_JSON_DEPTH)).ok).toBe(true);
    const r = decodeLine(line(MAX_JSON_DEPTH + 1));
    expect(!r.ok && [r.error.errorCode, r.error.field]).toEqual([12, field]);
  });

  it("lets replies and peer messages carry client values inside their own envelopes, up to MAX_MESSAGE_DEPTH for the whole line", () => {
    // A list a client appended a MAX_JSON_DEPTH-deep value to is one level deeper.
    const readOk = `{"src":"n1","dest":"c1","body":{"type":"read_ok","in_reply_to":3,"value":${nested(MAX_JSON_DEPTH + 1)}}}`;
    expect(decodeLine(readOk).ok).toBe(true);
    // The whole line: message (1) + body (2) + the value's levels.
    const atBound = `{"src":"n1","dest":"c1","body":{"type":"read_ok","value":${nested(MAX_MESSAGE_DEPTH - 2)}}}`;
    expect(decodeLine(atBound).ok).toBe(true);
    const past = decodeLine(`{"src":"n1","dest":"c1","body":{"type":"read_ok","value":${nested(MAX_MESSAGE_DEPTH - 1)}}}`);
    expect(!past.ok && [past.error.errorCode, past.error.field, past.error.message]).toEqual([
      12,
      "body.value",
      `field "body.value": message nested deeper than ${MAX_MESSAGE_DEPTH} levels`,
    ]);
  });

  it("bounds fields outside the body too, and a body that is itself too deep", () => {
    const junk = decodeLine(`{"src":"c1","dest":"n1","junk":${nested(MAX_MESSAGE_DEPTH)},"body":{"type":"read","key":"k"}}`);
    expect(!junk.ok && [junk.error.errorCode, junk.error.field]).toEqual([12, "junk"]);
    const body = decodeLine(`{"src":"c1","dest":"n1","body":${nested(MAX_MESSAGE_DEPTH)}}`);
    expect(!body.ok && [body.error.errorCode, body.error.field]).toEqual([12, "body"]);
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
