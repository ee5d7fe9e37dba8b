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
    ["POST", "/kv/a/cas", '{"from":null,"to":2,"create_if_not_exists":true}', {}, { type: "cas", key: "a", from: null, to: 2, create_if_not_exists: true }],
    ["POST", "/kv/a/cas", '{"from":1,"to":2,"create_if_not_exists":false}', {}, { type: "cas", key: "a", from: 1, to: 2 }],
    ["PUT", "/kv/a", '{"value":[9007199254740991,-9007199254740991,1e20,"12345678901234567890"]}', {}, { type: "write", key: "a", value: [9007199254740991, -9007199254740991, 1e20, "12345678901234567890"] }],
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
    ["POST", "/kv/a/cas", '{"from":1,"to":2,"create_if_not_exists":"yes"}', 400],
  ])("%s %s %s is refused with %i", (method, path, body, status) => {
    const r = route(method, path, {}, body);
    expect(r.ok ? 200 : r.error.status).toBe(status);
  });

  test("a delta beyond 2^53-1, which JSON has already rounded to another integer, is refused saying so, not as 'not an integer'", () => {
    const r = route("POST", "/kv/a/incr", {}, '{"delta":9007199254740993}');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.status).toBe(400);
      expect(r.error.message).toBe(
        'field "delta": 9007199254740993 is an integer beyond 2^53-1 (9007199254740991) in magnitude, which JSON.parse reads only rounded (as 9007199254740992); send an integer within that bound, or the digits as a JSON string',
      );
    }
  });
});

describe("numbers JSON.parse does not read exactly are refused, naming where they are", () => {
  test.each([
    ["PUT", "/kv/n", '{"value":12345678901234567890}', 'field "value": 12345678901234567890 is an integer beyond 2^53-1 (9007199254740991) in magnitude, which JSON.parse reads only rounded (as 12345678901234567000); send an integer within that bound, or the digits as a JSON string'],
    ["PUT", "/kv/n", '{"value":[1,{"id":-9007199254740993}]}', 'field "value[1].id": -9007199254740993 is an integer beyond 2^53-1'],
    ["POST", "/kv/n/append", '{"value":{"a b":[12345678901234567890]}}', 'field "value[\\"a b\\"][0]": 12345678901234567890 is an integer beyond'],
    ["POST", "/kv/n/cas", '{"from":1,"to":{"x":[[99999999999999999]]}}', 'field "to.x[0][0]": 99999999999999999 is an integer beyond'],
    ["PUT", "/kv/n", '{"value":{"x":1e400}}', 'field "value.x": a number beyond the range of a double'],
    ["POST", "/kv/n/cas", '{"from":[-1e400],"to":1}', 'field "from[0]": a number beyond the range of a double'],
  ])("%s %s %s is a 400 bad-body saying %s", (method, path, body, message) => {
    const r = route(method, path, {}, body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatchObject({ status: 400, reason: "bad-body" });
      expect(r.error.message.startsWith(message)).toBe(true);
    }
  });

  test("an If-Match value past 2^53-1 is a 400 bad-if-match, as it would be compared rounded", () => {
    const r = route("PUT", "/kv/n", { ifMatch: "12345678901234567890" }, '{"value":1}');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatchObject({ status: 400, reason: "bad-if-match" });
      expect(r.error.message).toMatch(/^If-Match: 12345678901234567890 is an integer beyond 2\^53-1/);
    }
    const nested = route("PUT", "/kv/n", { ifMatch: '{"a":[1e400]}' }, '{"value":1}');
    expect(!nested.ok && nested.error.message).toMatch(/^If-Match at "\.a\[0\]": a number beyond the range of a double/);
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
