/**
 * The HTTP front bounds how deep a JSON body and an If-Match value nest, as
 * the wire does: past MAX_JSON_DEPTH levels the answer is 400 with a message
 * naming the field and the bound, and the node keeps serving. Real HTTP
 * (fetch) against a real front on a one-node cluster (a real runtime with
 * in-memory storage) in this process.
 */
import { createPrng, MAX_JSON_DEPTH } from "@dslab/protocol";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fingerprint, route, startHttpFront, type HttpFront } from "../../src/http/index.js";
import { createKvNodeCore } from "../../src/node/core.js";
import { KvNodeRuntime } from "../../src/runtime/node-runtime.js";
import { MemoryStorage } from "../../src/storage/index.js";

/** `levels` arrays around 1, as JSON text. */
const nested = (levels: number) => `${"[".repeat(levels)}1${"]".repeat(levels)}`;
/** The 10 KB line of brackets: thousands of levels, past any recursive walk. */
const brackets = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

describe("routes: depth of the body and of If-Match", () => {
  test("a body field nested exactly MAX_JSON_DEPTH levels is routed; one level deeper is a 400 naming the field and the bound", () => {
    const ok = route("PUT", "/kv/a", {}, `{"value":${nested(MAX_JSON_DEPTH)}}`);
    expect(ok.ok).toBe(true);
    const refused = route("PUT", "/kv/a", {}, `{"value":${nested(MAX_JSON_DEPTH + 1)}}`);
    expect(refused).toEqual({
      ok: false,
      error: { status: 400, reason: "bad-body", message: 'field "value": value nested deeper than 64 levels' },
    });
    const cas = route("POST", "/kv/a/cas", {}, `{"from":1,"to":${brackets(5000)}}`);
    expect(!cas.ok && cas.error).toMatchObject({ status: 400, message: 'field "to": value nested deeper than 64 levels' });
  });

  test("an If-Match value nested past MAX_JSON_DEPTH levels is a 400 naming the bound", () => {
    expect(route("PUT", "/kv/a", { ifMatch: nested(MAX_JSON_DEPTH) }, '{"value":1}').ok).toBe(true);
    const refused = route("PUT", "/kv/a", { ifMatch: brackets(5000) }, '{"value":1}');
    expect(!refused.ok && refused.error).toMatchObject({ status: 400, reason: "bad-if-match", message: "If-Match: value nested deeper than 64 levels" });
  });

  test("the fingerprint of a body nested thousands of levels is computed without overflowing the stack", () => {
    const body = `{"value":${brackets(5000)}}`;
    expect(fingerprint("POST", "/kv/a/append", undefined, body)).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprint("POST", "/kv/a/append", undefined, body)).not.toBe(fingerprint("POST", "/kv/a/append", undefined, '{"value":1}'));
  });
});

describe("HTTP front on a running node: a too-deep body", () => {
  let runtime: KvNodeRuntime;
  let front: HttpFront;
  const url = () => `http://127.0.0.1:${front.port}`;

  beforeAll(async () => {
    const storage = new MemoryStorage();
    const core = createKvNodeCore({ id: "n1", nodeIds: ["n1"], prng: createPrng("http-depth") }, await storage.load());
    runtime = new KvNodeRuntime({ core, storage, send: () => {}, log: () => {} });
    runtime.start();
    front = await startHttpFront({ runtime, port: 0 });
  });

  afterAll(async () => {
    await front?.close();
    await runtime?.close();
  });

  const call = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url()}${path}`, { method, body, headers: { "content-type": "application/json", ...headers }, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, json: (await res.json()) as any };
  };

  test.each([
    ["PUT", "/kv/deep", {}],
    ["POST", "/kv/deep/append", { "Idempotency-Key": "deep-1" }],
  ])("%s %s with a value nested thousands of levels is answered 400 with the bound, and the node keeps serving", async (method, path, headers) => {
    const refused = await call(method, path, `{"value":${brackets(5000)}}`, headers);
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ name: "bad-body", message: 'field "value": value nested deeper than 64 levels' });

    expect((await call("PUT", "/kv/deep", '{"value":{"ok":true}}')).status).toBe(200);
    expect(await call("GET", "/kv/deep")).toEqual({ status: 200, json: { value: { ok: true } } });
  });

  test("a value nested exactly MAX_JSON_DEPTH levels is stored and read back", async () => {
    expect((await call("PUT", "/kv/at-bound", `{"value":${nested(MAX_JSON_DEPTH)}}`)).status).toBe(200);
    expect(await call("GET", "/kv/at-bound")).toEqual({ status: 200, json: { value: JSON.parse(nested(MAX_JSON_DEPTH)) } });
  });
});
