/**
 * The HTTP front's door and its own failures, with real HTTP on 127.0.0.1
 * against a front on a one-node cluster (a real runtime with in-memory
 * storage) in this process. Raw requests over a socket where fetch cannot
 * say it: two Idempotency-Key header lines, a request target that is not a
 * URL. A request the front refuses reaches nothing: a later read shows the
 * key untouched. An internal error (the runtime, wrapped through the front's
 * `runtime` option, throws) is a 500 with an incident id, and the log has
 * that id with the request and the stack. A body past the bound is answered
 * 413 as soon as it passes it, not once the client has sent it all; a client
 * that goes away mid-body is no internal error.
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { createPrng } from "@dslab/protocol";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { NodeRuntime } from "../../src/contract.js";
import { matchPath, startHttpFront, type HttpFront } from "../../src/http/index.js";
import { createKvNodeCore } from "../../src/node/core.js";
import { KvNodeRuntime } from "../../src/runtime/node-runtime.js";
import { MemoryStorage } from "../../src/storage/index.js";

interface RawResponse {
  status: number;
  headers: string;
  json: any;
}

/** One HTTP/1.1 request written byte for byte, the connection closed after the answer. */
async function raw(port: number, head: string[], body = ""): Promise<RawResponse> {
  const socket = net.createConnection({ port, host: "127.0.0.1" });
  const lines = [...head, "Host: 127.0.0.1", "Connection: close", `Content-Length: ${Buffer.byteLength(body)}`];
  socket.write(`${lines.join("\r\n")}\r\n\r\n${body}`);
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (c: string) => (text += c));
  await new Promise<void>((resolve, reject) => {
    socket.on("close", () => resolve());
    socket.on("error", reject);
  });
  const [headers = "", payload = ""] = text.split("\r\n\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? -1);
  return { status, headers, json: payload.trim() ? JSON.parse(payload) : undefined };
}

let runtime: KvNodeRuntime;

beforeAll(async () => {
  const storage = new MemoryStorage();
  const core = createKvNodeCore({ id: "n1", nodeIds: ["n1"], prng: createPrng("http-front-errors") }, await storage.load());
  runtime = new KvNodeRuntime({ core, storage, send: () => {}, log: () => {} });
  runtime.start();
  const deadline = Date.now() + 10_000;
  while (runtime.status().role !== "leader") {
    if (Date.now() > deadline) throw new Error("the one-node cluster elected no leader within 10 s");
    await new Promise((r) => setTimeout(r, 20));
  }
}, 30_000);

afterAll(async () => {
  await runtime?.close();
});

describe("HTTP front: the door", () => {
  let front: HttpFront;
  beforeAll(async () => {
    front = await startHttpFront({ runtime, port: 0 });
  });
  afterAll(async () => {
    await front?.close();
  });

  test("two Idempotency-Key header lines on a POST are refused with 400 naming the header, and nothing is applied", async () => {
    const r = await raw(
      front.port,
      ["POST /kv/twice/append HTTP/1.1", "Content-Type: application/json", "Idempotency-Key: a", "Idempotency-Key: b"],
      '{"value":"x"}',
    );
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: "idempotency-key-repeated", message: expect.stringMatching(/^Idempotency-Key was sent 2 times/) });
    expect((await raw(front.port, ["GET /kv/twice HTTP/1.1"])).status).toBe(404);
  });

  test("a value of 1e400 (a number JSON cannot carry: it reads as Infinity and prints as null) is refused with 400, and nothing is stored", async () => {
    const r = await raw(front.port, ["PUT /kv/huge HTTP/1.1", "Content-Type: application/json"], '{"value":[1,1e400]}');
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json)).toContain('field \\"value[1]\\": a number beyond the range of a double');
    expect(r.json.error).toMatchObject({ code: "bad-body", name: "bad-body", definite: true });
    expect((await raw(front.port, ["GET /kv/huge HTTP/1.1"])).status).toBe(404);
  });

  test.each([
    ['{"value":12345678901234567890}', 'field "value": 12345678901234567890 is an integer beyond 2^53-1 (9007199254740991) in magnitude, which JSON.parse reads only rounded (as 12345678901234567000)'],
    ['{"value":[1,{"ids":[2,-9007199254740993]}]}', 'field "value[1].ids[1]": -9007199254740993 is an integer beyond 2^53-1'],
  ])("a PUT of %s (an integer past 2^53-1, which JSON.parse rounds) is refused with 400 naming the field, and nothing is stored", async (body, message) => {
    const r = await raw(front.port, ["PUT /kv/rounded HTTP/1.1", "Content-Type: application/json"], body);
    expect(r.status).toBe(400);
    expect(r.json.error).toEqual({ code: "bad-body", name: "bad-body", message: expect.stringContaining(message), definite: true });
    expect((await raw(front.port, ["GET /kv/rounded HTTP/1.1"])).status).toBe(404);
  });

  test("POST .../cas with create_if_not_exists creates a missing key; without it a missing key is a 404", async () => {
    const head = (key: string) => ["POST /kv/created/cas HTTP/1.1", "Content-Type: application/json", `Idempotency-Key: ${key}`];
    expect((await raw(front.port, head("create-1"), '{"from":null,"to":1}')).status).toBe(404);
    const created = await raw(front.port, head("create-2"), '{"from":null,"to":1,"create_if_not_exists":true}');
    expect(created.status).toBe(200);
    expect(created.json).toEqual({ ok: true });
    expect((await raw(front.port, ["GET /kv/created HTTP/1.1"])).json).toEqual({ value: 1 });
    // Once the key exists, FROM is compared as for any cas.
    expect((await raw(front.port, head("create-3"), '{"from":null,"to":2,"create_if_not_exists":true}')).status).toBe(409);
    expect((await raw(front.port, ["GET /kv/created HTTP/1.1"])).json).toEqual({ value: 1 });
  });

  test("two Idempotency-Key header lines on a PUT are refused too; one key holding a comma is still one key", async () => {
    const put = await raw(front.port, ["PUT /kv/comma HTTP/1.1", "Idempotency-Key: k1", "Idempotency-Key: k2"], '{"value":1}');
    expect(put.status).toBe(400);
    expect(put.json.error.code).toBe("idempotency-key-repeated");
    const one = await raw(front.port, ["POST /kv/comma/append HTTP/1.1", 'Idempotency-Key: "a, b"'], '{"value":"x"}');
    expect(one.status).toBe(200);
    expect(one.json).toEqual({ value: ["x"] });
  });

  test("HEAD answers as GET does, without a body: 200 for a key that exists, 404 for one that does not; a wrong method's Allow names HEAD", async () => {
    expect((await raw(front.port, ["PUT /kv/headed HTTP/1.1", "Content-Type: application/json"], '{"value":"here"}')).status).toBe(200);
    const there = await raw(front.port, ["HEAD /kv/headed HTTP/1.1"]);
    expect(there.status).toBe(200);
    expect(there.headers).toMatch(/^content-type: application\/json/im);
    expect(there.json).toBeUndefined();
    const missing = await raw(front.port, ["HEAD /kv/never-written HTTP/1.1"]);
    expect(missing.status).toBe(404);
    expect(missing.json).toBeUndefined();
    const wrong = await raw(front.port, ["PATCH /kv/headed HTTP/1.1"]);
    expect(wrong.status).toBe(405);
    expect(wrong.headers).toMatch(/^allow: GET, HEAD, PUT, DELETE\r?$/im);
  });

  test("a GET ignores Idempotency-Key headers, repeated or not", async () => {
    const r = await raw(front.port, ["GET /kv/comma HTTP/1.1", "Idempotency-Key: a", "Idempotency-Key: b"]);
    expect(r.status).toBe(200);
  });

  test.each([
    ["/kv/%zz", "a key with a bad escape"],
    ["/kv/100%", "a lone percent sign"],
    ["/kv/%C3%28", "bytes that are not UTF-8"],
    ["/kv/a/%zz", "an action with a bad escape"],
  ])("the path %s (%s) is a 400 bad-path naming the path, not a 404", async (path) => {
    const res = await fetch(`http://127.0.0.1:${front.port}${path}`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ code: "bad-path" });
    expect(body.error.message).toContain(JSON.stringify(path));
  });

  test.each([
    ["a GET with a parameter", "GET /kv/query-get?consistent=false HTTP/1.1", [], "", '"?consistent=false"'],
    ["a PUT with a parameter", "PUT /kv/query-put?ttl=5 HTTP/1.1", [], '{"value":1}', '"?ttl=5"'],
    ["a PUT with an empty query", "PUT /kv/query-empty? HTTP/1.1", [], '{"value":1}', '"?"'],
    ["a POST with a parameter and its key", "POST /kv/query-post/append?x=1&y=2 HTTP/1.1", ["Idempotency-Key: q-1"], '{"value":1}', '"?x=1&y=2"'],
    ["a DELETE with a parameter", "DELETE /kv/query-put?all=true HTTP/1.1", [], "", '"?all=true"'],
  ])("%s is refused with 400 bad-query naming the query, definite, and nothing is applied", async (_what, requestLine, headers, body, quoted) => {
    const key = /\/kv\/([^/?]+)/.exec(requestLine)![1]!;
    if (requestLine.startsWith("DELETE")) expect((await raw(front.port, [`PUT /kv/${key} HTTP/1.1`], '{"value":"kept"}')).status).toBe(200);
    const r = await raw(front.port, [requestLine, ...headers], body);
    expect(r.status).toBe(400);
    expect(r.json.error).toEqual({
      code: "bad-query",
      name: "bad-query",
      message: `the request target has a query string ${quoted}, and this front takes no query parameters; send the request without it`,
      definite: true,
    });
    const after = await raw(front.port, [`GET /kv/${key} HTTP/1.1`]);
    if (requestLine.startsWith("DELETE")) expect(after.json).toEqual({ value: "kept" });
    else expect(after.status).toBe(404);
  });

  test("a long query string is quoted cut short, with its length, so the message stays bounded", async () => {
    const query = `?${"a=b&".repeat(2000)}`;
    const r = await raw(front.port, [`GET /kv/long${query} HTTP/1.1`]);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("bad-query");
    expect(r.json.error.message).toContain(`${JSON.stringify(query.slice(0, 100))}... (${query.length} characters)`);
    expect(r.json.error.message.length).toBeLessThan(300);
  });

  test("a request target that is not a URL is a 400 bad-path, not an internal error", async () => {
    const r = await raw(front.port, ["GET http://[ HTTP/1.1"]);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: "bad-path", message: 'the request target "http://[" is not a valid URL' });
  });

  test.each([
    ["a wrong method", ["PATCH /kv/door HTTP/1.1"], "", 405, "method-not-allowed"],
    ["a path with no route", ["GET /nope HTTP/1.1"], "", 404, "not-found"],
    ["a body that is not JSON", ["PUT /kv/door HTTP/1.1"], "{bad", 400, "bad-body"],
    ["a POST without an Idempotency-Key", ["POST /kv/door/append HTTP/1.1"], '{"value":1}', 400, "idempotency-key-missing"],
    ["a bad escape in the path", ["GET /kv/%zz HTTP/1.1"], "", 400, "bad-path"],
  ])("a refusal at the door (%s) has the fields of every error, definite: true since nothing was applied", async (_what, head, body, status, code) => {
    const r = await raw(front.port, head, body);
    expect(r.status).toBe(status);
    expect(r.json.error).toEqual({ code, name: code, message: expect.any(String), definite: true });
  });

  test("matchPath tells a bad escape (400) from a path with no route (404) and decodes a good key", () => {
    expect(matchPath("/kv/a%2Fb/append")).toEqual({ ok: true, key: "a/b", action: "append" });
    expect(matchPath("/kv/%zz")).toMatchObject({ ok: false, status: 400, reason: "bad-path" });
    expect(matchPath("/nope")).toMatchObject({ ok: false, status: 404, reason: "not-found" });
  });
});

/**
 * Writes `head` (and `firstBytes` of the body) and never finishes the
 * request; resolves with what came back once the server closes the
 * connection, or after `giveUpMs` (then with whatever came, maybe nothing).
 */
async function unfinished(port: number, head: string[], firstBytes: string, giveUpMs = 10_000): Promise<{ status: number; text: string }> {
  const socket = net.createConnection({ port, host: "127.0.0.1" });
  socket.on("error", () => {});
  socket.write(`${[...head, "Host: 127.0.0.1"].join("\r\n")}\r\n\r\n${firstBytes}`);
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (c: string) => (text += c));
  await new Promise<void>((resolve) => {
    const giveUp = setTimeout(() => resolve(), giveUpMs);
    socket.on("close", () => {
      clearTimeout(giveUp);
      resolve();
    });
  });
  socket.destroy();
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? -1), text };
}

describe("HTTP front: bodies past the bound, and clients that go away", () => {
  const MAX_BODY_BYTES = 1024;
  const log: string[] = [];
  let front: HttpFront;
  beforeAll(async () => {
    front = await startHttpFront({ runtime, port: 0, maxBodyBytes: MAX_BODY_BYTES, log: (line) => log.push(line) });
  });
  afterAll(async () => {
    await front?.close();
  });

  test("a Content-Length past the bound is answered 413 naming the bound before the body is sent, and the connection closes", async () => {
    const r = await unfinished(front.port, ["PUT /kv/big HTTP/1.1", `Content-Length: ${64 * MAX_BODY_BYTES}`], '{"value":"');
    expect(r.status).toBe(413);
    expect(r.text).toContain(`the request body is larger than ${MAX_BODY_BYTES} bytes, the most this front takes`);
    expect(r.text).toContain('"definite":true');
  });

  test("a chunked body that goes past the bound and never ends is answered 413 once it passes the bound", async () => {
    const chunk = "x".repeat(512);
    const chunks = Array.from({ length: 4 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join("");
    const r = await unfinished(front.port, ["PUT /kv/big HTTP/1.1", "Transfer-Encoding: chunked"], chunks);
    expect(r.status).toBe(413);
    expect((await raw(front.port, ["GET /kv/big HTTP/1.1"])).status).toBe(404);
  });

  test("a client that closes its connection in the middle of its body is not logged as an internal error, and the front serves on", async () => {
    const socket = net.createConnection({ port: front.port, host: "127.0.0.1" });
    socket.on("error", () => {});
    await new Promise<void>((r) => socket.once("connect", () => r()));
    socket.write("PUT /kv/gone HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"value\":");
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 500));
    expect((await raw(front.port, ["PUT /kv/after HTTP/1.1"], '{"value":1}')).status).toBe(200);
    expect(log.filter((l) => l.includes("internal error"))).toEqual([]);
    expect((await raw(front.port, ["GET /kv/gone HTTP/1.1"])).status).toBe(404);
  });
});

/** The real runtime, except that submitting throws: the front's own error path. */
function throwingRuntime(inner: NodeRuntime): NodeRuntime {
  return {
    id: inner.id,
    submit: () => Promise.reject(new Error("the runtime threw while submitting")),
    status: () => inner.status(),
    close: () => inner.close(),
  };
}

describe("HTTP front: an internal error", () => {
  test("is answered 500 with an incident id, and the log has one line with that id, the request and the error, then the stack", async () => {
    const log: string[] = [];
    const front = await startHttpFront({ runtime: throwingRuntime(runtime), port: 0, log: (line) => log.push(line) });
    try {
      const r = await raw(front.port, ["POST /kv/boom/append HTTP/1.1", "Idempotency-Key: pay-7"], '{"value":1}');
      expect(r.status).toBe(500);
      const incident = r.json.error.incident as string;
      expect(incident).toMatch(/^[0-9a-f]{8}$/);
      expect(r.json.error.message).toBe(`internal error ${incident}; see the node's log for that id`);
      // It failed after the request may have reached the cluster: not definite.
      expect(r.json.error.definite).toBe(false);
      expect(JSON.stringify(r.json)).not.toContain("the runtime threw"); // the details stay in the log
      expect(log[0]).toMatch(
        new RegExp(
          `^http: internal error ${incident}: POST "/kv/boom/append" from 127\\.0\\.0\\.1:\\d+, Idempotency-Key "pay-7": ` +
            "Error: the runtime threw while submitting$",
        ),
      );
      expect(log.length).toBeGreaterThan(1);
      for (const line of log.slice(1)) expect(line).toMatch(new RegExp(`^http: internal error ${incident}:   at `));
    } finally {
      await front.close();
    }
  });

  test("without a log option the line goes to stderr, prefixed with the node id as the node's own log is", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/throwing-front.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", fixture], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.setEncoding("utf8").once("data", (d: string) => resolve(Number(d.trim())));
        child.once("exit", (code) => reject(new Error(`the fixture exited (${code}) before listening: ${stderr}`)));
      });
      const r = await raw(port, ["GET /kv/boom HTTP/1.1"]);
      expect(r.status).toBe(500);
      const incident = r.json.error.incident as string;
      child.kill("SIGTERM");
      await exited;
      expect(stderr).toMatch(new RegExp(`^n7 \\| http: internal error ${incident}: GET "/kv/boom" from 127\\.0\\.0\\.1:\\d+: Error: submit failed in the fixture\\n`));
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
  }, 30_000);
});
