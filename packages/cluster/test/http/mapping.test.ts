/**
 * HTTP front: the pure parts as tables: routes, the Idempotency-Key
 * header, fingerprints, and the reply -> status mapping.
 */
import { describe, expect, test } from "vitest";
import { fingerprint, parseIdempotencyKey, route, toHttp } from "../../src/http/index.js";

describe("routes", () => {
  test.each([
    ["GET", "/kv/a", "", {}, { type: "read", key: "a" }],
    ["PUT", "/kv/a", '{"value":1}', {}, { type: "write", key: "a", value: 1 }],
    ["PUT", "/kv/a", '{"value":2}', { ifMatch: "1" }, { type: "cas", key: "a", from: 1, to: 2 }],
    ["DELETE", "/kv/a%2Fb", "", {}, { type: "delete", key: "a/b" }],
    ["POST", "/kv/a/append", '{"value":[1]}', {}, { type: "append", key: "a", value: [1] }],
    ["POST", "/kv/a/incr", "", {}, { type: "incr", key: "a", delta: 1 }],
    ["POST", "/kv/a/incr", '{"delta":-4}', {}, { type: "incr", key: "a", delta: -4 }],
    ["POST", "/kv/a/cas", '{"from":1,"to":2}', {}, { type: "cas", key: "a", from: 1, to: 2 }],
  ])("%s %s %s is %j", (method, path, body, headers, request) => {
    const r = route(method, path, headers, body);
    expect(r.ok && r.route.request).toEqual(request);
  });

  test("POSTs require an Idempotency-Key; PUT/DELETE use one if given; GET ignores it", () => {
    const req = (m: string, p: string, b = "") => {
      const r = route(m, p, {}, b);
      if (!r.ok) throw new Error(r.error.message);
      return [r.route.requiresIdempotencyKey, r.route.usesIdempotencyKey];
    };
    expect(req("POST", "/kv/a/append", '{"value":1}')).toEqual([true, true]);
    expect(req("PUT", "/kv/a", '{"value":1}')).toEqual([false, true]);
    expect(req("DELETE", "/kv/a")).toEqual([false, true]);
    expect(req("GET", "/kv/a")).toEqual([false, false]);
  });

  test.each([
    ["GET", "/nope", "", 404],
    ["POST", "/kv/a", "", 405],
    ["GET", "/kv/a/append", "", 405],
    ["POST", "/kv/a/frob", "", 404],
    ["PUT", "/kv/a", "{bad", 400],
    ["PUT", "/kv/a", "[1]", 400],
    ["PUT", "/kv/a", '{"nothing":1}', 400],
    ["POST", "/kv/a/incr", '{"delta":1.5}', 400],
    ["POST", "/kv/a/cas", '{"from":1}', 400],
  ])("%s %s %s is refused with %i", (method, path, body, status) => {
    const r = route(method, path, {}, body);
    expect(r.ok ? 200 : r.error.status).toBe(status);
  });

  test("a delta beyond 2^53-1, which JSON has already rounded to another integer, is refused saying so, not as 'not an integer'", () => {
    const r = route("POST", "/kv/a/incr", {}, '{"delta":9007199254740993}');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.status).toBe(400);
      expect(r.error.message).toBe('incr: "delta" must be an integer from -(2^53-1) to 2^53-1 (9007199254740991); 9007199254740992 is beyond that, where a JSON number is not exact');
    }
  });
});

describe("Idempotency-Key header and fingerprint", () => {
  test("a bare token and a structured-field string are both accepted", () => {
    expect(parseIdempotencyKey("abc-123")).toEqual({ ok: true, key: "abc-123" });
    expect(parseIdempotencyKey('"8e03978e-40d5"')).toEqual({ ok: true, key: "8e03978e-40d5" });
    expect(parseIdempotencyKey("").ok).toBe(false);
    expect(parseIdempotencyKey("x".repeat(256)).ok).toBe(false);
  });

  test("the fingerprint ignores JSON spacing and key order but not the method, path, If-Match or values", () => {
    const a = fingerprint("POST", "/kv/a/cas", undefined, '{"from":1,"to":2}');
    expect(fingerprint("POST", "/kv/a/cas", undefined, '{ "to": 2, "from": 1 }')).toBe(a);
    expect(fingerprint("POST", "/kv/b/cas", undefined, '{"from":1,"to":2}')).not.toBe(a);
    expect(fingerprint("PUT", "/kv/a/cas", undefined, '{"from":1,"to":2}')).not.toBe(a);
    expect(fingerprint("POST", "/kv/a/cas", "1", '{"from":1,"to":2}')).not.toBe(a);
    expect(fingerprint("POST", "/kv/a/cas", undefined, '{"from":1,"to":3}')).not.toBe(a);
  });
});

describe("reply -> HTTP status", () => {
  const status = (reply: Record<string, unknown>, pre: 409 | 412 = 409) => toHttp({ type: "error", ...reply }, { preconditionStatus: pre });
  test.each([
    [{ code: 20 }, 404],
    [{ code: 21 }, 409],
    [{ code: 22 }, 409],
    [{ code: 12 }, 400],
    [{ code: 10 }, 501],
    [{ code: 1002 }, 413],
    [{ code: 1003 }, 422],
    [{ code: 1004 }, 409],
    [{ code: 11 }, 503],
    [{ code: 14 }, 503],
    [{ code: 0 }, 504],
    [{ code: 13 }, 504],
    [{ code: 4242 }, 504],
  ])("error %j is %i", (reply, expected) => {
    expect(status(reply).status).toBe(expected);
  });

  test("22 is 412 for a PUT with If-Match", () => {
    expect(status({ code: 22 }, 412).status).toBe(412);
  });

  test("503 carries Retry-After from retry_after_ms (rounded up to seconds, at least 1)", () => {
    expect(status({ code: 11 }).headers["Retry-After"]).toBe("1");
    expect(status({ code: 11, retry_after_ms: 2500 }).headers["Retry-After"]).toBe("3");
  });

  test("504 says the outcome is unknown and how to learn it", () => {
    expect(JSON.stringify(status({ code: 0, text: "no reply" }).body)).toMatch(/outcome is unknown: retry with the same Idempotency-Key/);
  });

  test("ok replies are 200 and a replayed one carries Idempotent-Replayed: true", () => {
    expect(toHttp({ type: "append_ok", value: [1] }, { preconditionStatus: 409 })).toEqual({ status: 200, headers: {}, body: { value: [1] } });
    expect(toHttp({ type: "write_ok", replayed: true }, { preconditionStatus: 409 })).toEqual({
      status: 200,
      headers: { "Idempotent-Replayed": "true" },
      body: { ok: true },
    });
  });
});
