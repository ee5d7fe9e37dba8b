/**
 * The request fingerprint's written-out path for plain requests prints
 * exactly what the general path (JSON of the parts array) prints, so a
 * replica running either agrees on every session's fingerprint.
 */
import type { ClientRequestBody } from "@dslab/protocol";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  FINGERPRINT_VERBATIM_MAX_CHARS,
  fingerprintText,
  plainFingerprintText,
  requestFingerprint,
} from "../../src/state-machine/request-fingerprint.js";

const plainArb = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.constantFrom("\u0000", "\u001f", "\u007f", '"', "\\", "\n", "\u2028", "\ud800", "\udc00", "é", "a") }),
  fc.double(),
  fc.constantFrom(0, -0, 1e21, 1e-7, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, NaN, Infinity, -Infinity),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const anyArb = fc.oneof(
  plainArb,
  fc.array(plainArb, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), plainArb, { maxKeys: 3 }),
  fc.bigInt().map((b) => ({ big: String(b) })),
);
const requestArb = (part: fc.Arbitrary<unknown>) =>
  fc.record(
    {
      type: fc.oneof(fc.constantFrom("write", "append", "incr", "cas", "delete"), part),
      key: part,
      value: part,
      delta: part,
      from: part,
      to: part,
      create_if_not_exists: part,
      client_id: fc.string(),
      seq: fc.integer({ min: 1 }),
    },
    { requiredKeys: ["type"] },
  ) as fc.Arbitrary<unknown> as fc.Arbitrary<ClientRequestBody>;

describe("request fingerprint", () => {
  test("the written-out text of a plain request equals JSON of its parts (strings to escape, lone surrogates, -0, NaN, big numbers)", () => {
    fc.assert(
      fc.property(requestArb(plainArb), (request) => {
        expect(plainFingerprintText(request)).toBe(fingerprintText(request));
      }),
      { numRuns: 2000 },
    );
  });

  test("a request with an array or object part takes the general path, and the fingerprint is the same either way", () => {
    fc.assert(
      fc.property(requestArb(anyArb), (request) => {
        const plain = plainFingerprintText(request);
        const general = fingerprintText(request);
        if (plain !== null) expect(plain).toBe(general);
        const fp = requestFingerprint(request);
        if (general.length <= FINGERPRINT_VERBATIM_MAX_CHARS) expect(fp).toBe(general);
        else expect(fp).toMatch(/^sha256:[0-9a-f]{64}$/);
      }),
      { numRuns: 1000 },
    );
  });

  test.each([
    [{ type: "append", key: "l1", value: "c3:17" }, '["append","l1","c3:17",null,null,null,null]'],
    [{ type: "incr", key: "n", delta: -0 }, '["incr","n",null,0,null,null,null]'],
    [{ type: "cas", key: 1, from: 2, to: 3, create_if_not_exists: true }, '["cas",1,null,null,2,3,true]'],
    [{ type: "write", key: "k", value: 'a"\\\n\u0000' }, '["write","k","a\\"\\\\\\n\\u0000",null,null,null,null]'],
  ])("%j has the fingerprint %s", (request, text) => {
    expect(plainFingerprintText(request as ClientRequestBody)).toBe(text);
    expect(requestFingerprint(request as ClientRequestBody)).toBe(text);
  });

  test("an object value takes the general path, its keys sorted", () => {
    const request = { type: "write", key: "k", value: { b: 1, a: 2 } } as unknown as ClientRequestBody;
    expect(plainFingerprintText(request)).toBeNull();
    expect(requestFingerprint(request)).toBe('["write","k",{"a":2,"b":1},null,null,null,null]');
  });
});
