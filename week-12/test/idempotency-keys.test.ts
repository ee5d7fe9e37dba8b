import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IDEMPOTENCY_KEY_CHECKS } from "../checks/idempotency-keys.js";
import { criterion, LESSON } from "../checks/lessons.js";
import type { CriterionCheck } from "../checks/types.js";
import { expectCheckPasses } from "../checks/vitest.js";
import { workbookFromEnv } from "../checks/workbook.js";
import { startPaymentsServer, type PaymentsServer } from "../plug/payments-server.js";

function check(n: number): CriterionCheck {
  const c = IDEMPOTENCY_KEY_CHECKS.find((x) => x.criterion === criterion(LESSON.idempotencyKeys, n));
  if (c === undefined) throw new Error(`no check for criterion ${n}`);
  return c;
}

describe("Quest: Idempotency Keys over HTTP", () => {
  it("w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h#1 a retry with the same Idempotency-Key gets the stored response; the payment is made once", () =>
    expectCheckPasses(check(1)));
  it("w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h#2 the same key with different parameters is refused with 422", () =>
    expectCheckPasses(check(2)));
  it("w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h#3 a duplicate that arrives while the first request is still in progress gets 409", () =>
    expectCheckPasses(check(3)));
  it("w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h#4 a key expires after its TTL (24 h by default), by the injected clock", () =>
    expectCheckPasses(check(4)));
});

describe("the payments server", () => {
  const payment = { amount: 100, currency: "EUR", to: "acct-1" };
  let server: PaymentsServer;
  beforeEach(async () => {
    let t = 0;
    server = await startPaymentsServer(workbookFromEnv(), { clock: { now: () => (t += 1000) } });
  });
  afterEach(() => server.close());

  const post = (headers: Record<string, string>, body: string) =>
    fetch(`${server.url}/payments`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });

  it("runs every request without an Idempotency-Key: such a request is not idempotent", async () => {
    const a = await post({}, JSON.stringify(payment));
    const b = await post({}, JSON.stringify(payment));
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(server.ledger.payments.map((p) => p.id)).toEqual(["pay_1", "pay_2"]);
  });

  it.each([
    ["empty", "", /empty/],
    ["longer than 255 characters", "k".repeat(256), /longer than 255/],
    ["not printable ASCII", "k\u00e9y", /printable ASCII/],
  ])("refuses a key that is %s with 400", async (_what, key, message) => {
    const r = await post({ "Idempotency-Key": key }, JSON.stringify(payment));
    expect(r.status).toBe(400);
    expect(JSON.stringify(await r.json())).toMatch(message);
    expect(server.ledger.payments).toEqual([]);
  });

  it("accepts a key of 255 characters, quoted as a Structured Field string or bare", async () => {
    const key = "k".repeat(255);
    expect((await post({ "Idempotency-Key": key }, JSON.stringify(payment))).status).toBe(201);
    const again = await post({ "Idempotency-Key": `"${key}"` }, JSON.stringify(payment));
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(server.ledger.payments).toHaveLength(1);
  });

  it("keeps keys named like Object.prototype's properties as ordinary keys", async () => {
    for (const key of ["__proto__", "toString", "constructor"]) {
      expect((await post({ "Idempotency-Key": key }, JSON.stringify(payment))).status).toBe(201);
      const again = await post({ "Idempotency-Key": key }, JSON.stringify(payment));
      expect(again.headers.get("idempotent-replayed")).toBe("true");
    }
    expect(server.ledger.payments).toHaveLength(3);
    expect(Object.keys(server.handler.state.records).sort()).toEqual(["__proto__", "constructor", "toString"]);
    expect(JSON.parse(JSON.stringify(server.handler.state)).records.__proto__.key).toBe("__proto__");
  });

  it("refuses two Idempotency-Key headers with 400 instead of joining them into one key", async () => {
    // fetch would join repeated headers into one; node:http sends them as two lines.
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${server.url}/payments`);
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: [["Idempotency-Key", "a"], ["Idempotency-Key", "b"]] as never },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify(payment));
    });
    expect(status).toBe(400);
    expect(server.ledger.payments).toEqual([]);
  });

  it.each([
    ["malformed JSON", "{", 400, /not valid JSON/],
    ["a JSON array", "[1]", 400, /JSON object/],
    ["JSON nested past the bound", `{"a":${"[".repeat(100)}${"]".repeat(100)}}`, 400, /deeper than/],
    ["a body over 64 KiB", JSON.stringify({ ...payment, note: "x".repeat(70_000) }), 413, /larger than/],
    ["an invalid payment", JSON.stringify({ ...payment, amount: -5 }), 400, /amount/],
  ])("answers %s with %i and applies nothing", async (_what, body, status, message) => {
    const r = await post({ "Idempotency-Key": "k" }, body);
    expect(r.status).toBe(status);
    expect(JSON.stringify(await r.json())).toMatch(message);
    expect(server.ledger.payments).toEqual([]);
  });

  it("answers another path with 404 and another method with 405", async () => {
    expect((await fetch(`${server.url}/refunds`, { method: "POST", body: "{}" })).status).toBe(404);
    const get = await fetch(`${server.url}/payments`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });
});
