/**
 * The explorer's JSON API over real HTTP on 127.0.0.1: stepping, going back
 * and forward, the enabled events changing with the state, trace files, and
 * the refusals (malformed or oversized bodies, wrong content type or host,
 * an event not enabled, the path's bound), with the reference store, a
 * known-bad store, and a scenario the explorer has no view for.
 */
import { request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openScenario, startExplorer, type Explorer, type ExploreScenario, type SessionSnapshot } from "../../src/explore/index.js";
import { loadStore, loadVoteRules, searchScenario, type DedupStoreClass, type Model, type VoteRulesLike } from "../../src/search/index.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const SOLUTION = join(root, "grader/solutions/week-12/src/dedup-kv-store.ts");
const MUTANT = join(root, "grader/test/mutants/stale-rewinds-last-seq.ts");

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request with node:http (raw, so a test can send any header or body). */
function call(base: string, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const type = String(res.headers["content-type"] ?? "");
        resolve({ status: res.statusCode!, body: type.startsWith("application/json") ? (JSON.parse(text) as Record<string, unknown>) : { text }, headers: res.headers });
      });
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Sends `text` as it is on a new connection; resolves to everything the server answered by the time it closed. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    let out = "";
    socket.on("data", (c: Buffer) => (out += c.toString("utf8")));
    socket.on("error", reject);
    socket.on("close", () => resolve(out));
  });
}

/**
 * Sends a request declaring a `totalBytes` body and writes the body as fast as
 * the server reads it, until all is sent or the server cuts the connection.
 */
function flood(port: number, method: string, path: string, headers: Record<string, string>, totalBytes: number): Promise<{ head: string; sentBytes: number }> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(1 << 20, 0x20);
    let sentBytes = 0;
    let head = "";
    const lines = Object.entries({ host: `127.0.0.1:${port}`, "content-length": String(totalBytes), ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(`${method} ${path} HTTP/1.1\r\n${lines.join("")}\r\n`);
      pump();
    });
    const pump = () => {
      while (sentBytes < totalBytes && !socket.destroyed) {
        sentBytes += chunk.length;
        if (!socket.write(chunk)) return void socket.once("drain", pump);
      }
      if (sentBytes >= totalBytes) socket.end();
    };
    socket.on("data", (c: Buffer) => (head += c.toString("utf8")));
    socket.on("error", () => {});
    socket.on("close", () => resolve({ head, sentBytes }));
  });
}

const post = (e: Explorer, path: string, body: unknown = {}) => call(e.url, "POST", path, typeof body === "string" ? body : JSON.stringify(body));
async function state(e: Explorer): Promise<SessionSnapshot> {
  const r = await call(e.url, "GET", "/api/state");
  expect(r.status).toBe(200);
  return r.body as unknown as SessionSnapshot;
}
async function ok(r: Promise<Answer>): Promise<SessionSnapshot> {
  const a = await r;
  expect(a.status, JSON.stringify(a.body)).toBe(200);
  return a.body as unknown as SessionSnapshot;
}

let solution: DedupStoreClass;
let mutant: DedupStoreClass;
const open: Explorer[] = [];
async function explorer(store: DedupStoreClass, options: { maxBodyBytes?: number; maxPathLength?: number; shape?: object } = {}): Promise<Explorer> {
  const e = await startExplorer({ scenario: openScenario({ scenario: "dedup-single", pieces: { store }, source: "store.ts", shape: { clients: 1, appends: 2, ...options.shape } }), ...options });
  open.push(e);
  return e;
}

beforeAll(async () => {
  solution = await loadStore(SOLUTION);
  mutant = await loadStore(MUTANT);
});
afterAll(async () => {
  await Promise.all(open.map((e) => e.close()));
});

describe("kv-sim explore: the API", () => {
  test("the server listens on 127.0.0.1 and serves one self-contained page", async () => {
    const e = await explorer(solution);
    expect(e.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await call(e.url, "GET", "/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.headers["content-security-policy"]).toMatch(/default-src 'none'/);
    const html = String(page.body.text);
    expect(html).toContain("kv-sim explore: <span class=\"scenario\">dedup-single</span>");
    // Nothing from elsewhere: no src or href to another origin.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  test("the initial state: the server, each client and the network side by side, the enabled events, every invariant holding", async () => {
    const e = await explorer(solution);
    const s = await state(e);
    expect(s.scenario).toBe("dedup-single");
    expect(s.position).toBe(0);
    expect(s.columns.map((c) => c.id)).toEqual(["server", "c1", "network"]);
    expect(s.columns[1]!.fields).toMatchObject({ "current append": '"c1:1" (seq 1)', attempts: "1 of 2" });
    // One request in flight (deliver it, duplicate it, drop it) and c1's retry timer.
    expect(s.events.map((ev) => `${ev.action} ${ev.subject?.text}`)).toEqual([
      'deliver c1 → server: append "c1:1" (client c1 seq 1)',
      'duplicate c1 → server: append "c1:1" (client c1 seq 1)',
      'drop c1 → server: append "c1:1" (client c1 seq 1)',
      "fire c1's retry timer (seq 1, attempt 1 of 2: firing resends)",
    ]);
    expect(s.events[0]!.line).toMatch(/^deliver +c1->server append "c1:1" .* => append_ok \["c1:1"\]$/);
    expect(s.invariants.map((i) => i.name)).toEqual(expect.arrayContaining(["appends-at-most-once", "results-ok"]));
    expect(s.invariants.every((i) => i.holds && i.message === undefined)).toBe(true);
    expect(s.violation).toBeNull();
    expect(s.canBack).toBe(false);
    expect(s.canForward).toBe(false);
  });

  test("a step by index delivers the request: the store's state and the enabled events change; back returns to the same state and events; forward redoes it", async () => {
    const e = await explorer(solution);
    const before = await state(e);
    const after = await ok(post(e, "/api/step", { index: 0 }));
    expect(after.position).toBe(1);
    expect(after.path.map((p) => p.line)).toEqual([before.events[0]!.line]);
    expect(after.columns[0]!.fields).toMatchObject({ data: { l: ["c1:1"] } });
    expect(after.columns[0]!.changed).toEqual(["data", "tracker"]);
    // The request is gone; its reply is in flight (deliver or drop: a reply is not duplicated).
    expect(after.events.map((ev) => `${ev.action} ${ev.subject?.text}`)).toEqual([
      'deliver server → c1: reply to seq 1: append_ok ["c1:1"]',
      'drop server → c1: reply to seq 1: append_ok ["c1:1"]',
      "fire c1's retry timer (seq 1, attempt 1 of 2: firing resends)",
    ]);
    const back = await ok(post(e, "/api/back"));
    expect(back.position).toBe(0);
    expect(back.events).toEqual(before.events);
    expect(back.columns).toEqual(before.columns);
    expect(back.canForward).toBe(true);
    expect(back.forwardId).toBe(before.events[0]!.id);
    const again = await ok(post(e, "/api/forward"));
    expect(again.position).toBe(1);
    expect(again.state).toEqual(after.state);
  });

  test("a step by id; taking another event after going back cuts the path there", async () => {
    const e = await explorer(solution);
    const s0 = await state(e);
    const drop = s0.events.find((ev) => ev.action === "drop")!;
    await ok(post(e, "/api/step", { id: s0.events[0]!.id }));
    await ok(post(e, "/api/step", { index: 0 }));
    await ok(post(e, "/api/goto", { position: 0 }));
    const other = await ok(post(e, "/api/step", { id: drop.id }));
    expect(other.pathLength).toBe(2);
    expect(other.path[0]!.line).toMatch(/^drop /);
    expect(other.columns.find((c) => c.id === "network")!.fields).toMatchObject({ "in flight": "nothing", "drops used": "1 of 1" });
    // With the one drop used, no drop is offered any more.
    const fire = await ok(post(e, "/api/step", { index: other.events.findIndex((ev) => ev.action === "fire") }));
    expect(fire.events.map((ev) => ev.action)).not.toContain("drop");
    const reset = await ok(post(e, "/api/reset"));
    expect(reset.pathLength).toBe(1);
    expect(reset.state).toEqual(s0.state);
  });

  test("refusals: malformed JSON, a body that is not an object, no event named, an event not enabled, back at the start, wrong route and method", async () => {
    const e = await explorer(solution);
    const bad = await post(e, "/api/step", "{index: 0");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^the body is not JSON: /);
    const list = await post(e, "/api/step", "[1]");
    expect(list.status).toBe(400);
    expect(list.body.error).toBe("the body must be a JSON object");
    const none = await post(e, "/api/step", {});
    expect(none.status).toBe(400);
    expect(none.body.error).toMatch(/name the event: \{"index": N\} or \{"id": "\.\.\."\}/);
    const negative = await post(e, "/api/step", { index: -1 });
    expect(negative.status).toBe(400);
    expect(negative.body.error).toMatch(/^index: expected an integer >= 0, got -1/);
    const missing = await post(e, "/api/step", { index: 99 });
    expect(missing.status).toBe(409);
    expect(missing.body.error).toMatch(/no enabled event with index 99 in this state \(4 enabled: indexes 0 to 3\)/);
    const unknownId = await post(e, "/api/step", { id: "nope" });
    expect(unknownId.status).toBe(409);
    const back = await post(e, "/api/back");
    expect(back.status).toBe(409);
    expect(back.body.error).toBe("already at the initial state");
    const forward = await post(e, "/api/forward");
    expect(forward.status).toBe(409);
    const goto = await post(e, "/api/goto", { position: 3 });
    expect(goto.status).toBe(400);
    expect(goto.body.error).toMatch(/^position: expected an integer from 0 to 0, got 3/);
    expect((await call(e.url, "GET", "/api/nothing")).status).toBe(404);
    const get = await call(e.url, "GET", "/api/step");
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe("POST");
    // Nothing refused changed the state.
    expect((await state(e)).position).toBe(0);
  });

  test("HEAD answers every GET route with the GET's status and headers, content-length included, and no body; a method a route does not take is 405 with Allow", async () => {
    const e = await explorer(solution);
    /** The answer's status line and headers (date and connection left out), and whatever followed them. */
    const split = (answer: string) => {
      const end = answer.indexOf("\r\n\r\n");
      expect(end, answer.slice(0, 200)).toBeGreaterThan(0);
      const [status, ...lines] = answer.slice(0, end).split("\r\n");
      const headers = lines.filter((l) => !/^(date|connection|keep-alive):/i.test(l)).sort();
      return { status, headers, body: answer.slice(end + 4) };
    };
    const ask = (method: string, path: string, extra = "") => raw(e.port, `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${e.port}\r\n${extra}Connection: close\r\n\r\n`).then(split);
    for (const path of ["/", "/index.html", "/api/state"]) {
      const get = await ask("GET", path);
      const head = await ask("HEAD", path);
      expect(get.status, path).toBe("HTTP/1.1 200 OK");
      expect(head.status, path).toBe(get.status);
      expect(head.headers, path).toEqual(get.headers);
      expect(head.headers, path).toContain(`content-length: ${Buffer.byteLength(get.body)}`);
      expect(get.body.length, path).toBeGreaterThan(0);
      expect(head.body, path).toBe("");
    }
    // A refusal to a HEAD has the GET's status and headers too, and no body.
    const headForeign = split(await raw(e.port, `HEAD /api/state HTTP/1.1\r\nHost: attacker.example:${e.port}\r\nConnection: close\r\n\r\n`));
    expect(headForeign.status).toMatch(/^HTTP\/1\.1 403 /);
    expect(headForeign.body).toBe("");
    const headMissing = await ask("HEAD", "/api/nothing");
    expect(headMissing.status).toMatch(/^HTTP\/1\.1 404 /);
    expect(headMissing.body).toBe("");
    // What a route does not take: 405 naming what it does.
    const refused: [string, string, string][] = [
      ["POST", "/api/state", "GET, HEAD"],
      ["DELETE", "/api/state", "GET, HEAD"],
      ["PUT", "/", "GET, HEAD"],
      ["GET", "/api/reset", "POST"],
    ];
    for (const [method, path, allow] of refused) {
      const r = await call(e.url, method, path, method === "POST" ? "{}" : undefined);
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.headers.allow, `${method} ${path}`).toBe(allow);
      expect(r.body.error, `${method} ${path}`).toMatch(/ (is read with GET or HEAD|takes a POST)$/);
    }
    const headAction = await ask("HEAD", "/api/step");
    expect(headAction.status).toBe("HTTP/1.1 405 Method Not Allowed");
    expect(headAction.headers).toContain("allow: POST");
    expect(headAction.body).toBe("");
    // A HEAD is served as a GET is: from any origin, changing nothing.
    const headFromElsewhere = await ask("HEAD", "/api/state", "Origin: http://evil.example\r\nSec-Fetch-Site: cross-site\r\n");
    expect(headFromElsewhere.status).toBe("HTTP/1.1 200 OK");
    expect((await state(e)).position).toBe(0);
  });

  test("a POST that is not application/json is refused (415), and so is a Host header that does not name the loopback address (403)", async () => {
    const e = await explorer(solution);
    const form = await call(e.url, "POST", "/api/step", "index=0", { "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(415);
    expect(form.body.error).toMatch(/Content-Type: application\/json/);
    const host = await call(e.url, "GET", "/api/state", undefined, { host: `attacker.example:${e.port}` });
    expect(host.status).toBe(403);
    expect(host.body.error).toMatch(/only requests to 127\.0\.0\.1:\d+ or localhost:\d+/);
    const local = await call(e.url, "GET", "/api/state", undefined, { host: `localhost:${e.port}` });
    expect(local.status).toBe(200);
  });

  test("a POST from a page of another origin (its Origin, else its Sec-Fetch-Site) is refused (403) and changes nothing; the explorer's own page, and a client that sends neither header, are served", async () => {
    const e = await explorer(solution);
    for (const origin of ["http://evil.example", `http://evil.example:${e.port}`, "null", `http://127.0.0.1:${e.port + 1}`, `https://127.0.0.1:${e.port}`]) {
      const r = await call(e.url, "POST", "/api/step", JSON.stringify({ index: 0 }), { origin });
      expect(r.status, origin).toBe(403);
      expect(r.body.error).toBe(`the explorer takes actions only from its own page (http://127.0.0.1:${e.port} or http://localhost:${e.port}), not from ${origin}`);
    }
    // A browser that sends no Origin still says where the request came from.
    for (const site of ["same-site", "cross-site", "none"]) {
      const r = await call(e.url, "POST", "/api/reset", "{}", { "sec-fetch-site": site });
      expect(r.status, site).toBe(403);
      expect(r.body.error).toMatch(new RegExp(`not from a page of another origin \\(Sec-Fetch-Site: ${site}\\)$`));
    }
    expect((await state(e)).position).toBe(0);
    expect((await ok(call(e.url, "POST", "/api/step", JSON.stringify({ index: 0 }), { origin: `http://127.0.0.1:${e.port}`, "sec-fetch-site": "same-origin" }))).position).toBe(1);
    expect((await ok(call(e.url, "POST", "/api/step", JSON.stringify({ index: 0 }), { origin: `http://localhost:${e.port}` }))).position).toBe(2);
    expect((await ok(post(e, "/api/back"))).position).toBe(1);
  });

  test("a request target that is not a path is refused with 400 and a message, not an internal error", async () => {
    const e = await explorer(solution);
    const bad = await raw(e.port, `GET http://[ HTTP/1.1\r\nHost: 127.0.0.1:${e.port}\r\nConnection: close\r\n\r\n`);
    expect(bad).toMatch(/^HTTP\/1\.1 400 /);
    expect(bad).toContain('{"error":"the request target is not a path: \\"http://[\\""}');
    // "//host/..." is a path on this server, not a URL naming another host.
    const twoSlashes = await raw(e.port, `GET //x/../api/state HTTP/1.1\r\nHost: 127.0.0.1:${e.port}\r\nConnection: close\r\n\r\n`);
    expect(twoSlashes).toMatch(/^HTTP\/1\.1 404 /);
    expect((await state(e)).position).toBe(0);
  });

  test("the body of a refused request (415, 404, 405, 403), or of a GET, is read and thrown away up to 64 MiB, then the connection is cut; the server keeps serving", async () => {
    const e = await explorer(solution);
    const total = 256 << 20;
    const cases: [string, string, Record<string, string>, number][] = [
      ["POST", "/api/step", { "content-type": "text/plain" }, 415],
      ["POST", "/api/nothing", { "content-type": "application/json" }, 404],
      ["PUT", "/api/step", { "content-type": "application/json" }, 405],
      ["POST", "/api/step", { "content-type": "application/json", origin: "http://evil.example" }, 403],
      ["GET", "/api/state", {}, 200],
    ];
    for (const [method, path, headers, status] of cases) {
      const r = await flood(e.port, method, path, headers, total);
      expect(r.head, path).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(r.sentBytes, path).toBeLessThan(total);
    }
    expect((await state(e)).position).toBe(0);
  });

  test("an oversized body is refused with 413 and a message, and the server keeps serving", async () => {
    const e = await explorer(solution, { maxBodyBytes: 1_000 });
    const big = JSON.stringify({ index: 0, padding: "x".repeat(5_000) });
    const r = await post(e, "/api/step", big);
    expect(r.status).toBe(413);
    expect(r.body.error).toBe("the body is larger than the explorer reads (1000 bytes)");
    // Without a Content-Length (chunked), the limit holds as the body arrives.
    const chunked = await call(e.url, "POST", "/api/trace", Buffer.from(big), { "transfer-encoding": "chunked" });
    expect(chunked.status).toBe(413);
    expect((await state(e)).position).toBe(0);
    expect((await ok(post(e, "/api/step", { index: 0 }))).position).toBe(1);
  });

  test("the path is bounded: a step past the limit is refused with 409", async () => {
    const e = await explorer(solution, { maxPathLength: 3 });
    await ok(post(e, "/api/step", { index: 0 }));
    await ok(post(e, "/api/step", { index: 0 }));
    const third = await post(e, "/api/step", { index: 0 });
    expect(third.status).toBe(409);
    expect(third.body.error).toBe("the path holds at most 3 states; step back or reset");
  });

  test("a trace from the search on a known-bad store: loaded at its start, forward steps through its events to the state where the invariant breaks", async () => {
    const report = searchScenario({ scenario: "dedup-single", store: mutant, clients: 1, appends: 2 });
    expect(report.violation?.invariant).toBe("appends-at-most-once");
    const e = await explorer(mutant);
    const loaded = await ok(call(e.url, "POST", "/api/trace?name=bad.json", JSON.stringify(report.traceFile)));
    expect(loaded.position).toBe(0);
    expect(loaded.trace).toMatchObject({ name: "bad.json", length: report.trace!.length, replayed: report.trace!.length, onTrace: true });
    expect(loaded.path.map((p) => p.line)).toEqual(report.trace);
    let s = loaded;
    for (let i = 0; i < report.trace!.length; i++) {
      expect(s.violation).toBeNull();
      s = await ok(post(e, "/api/forward"));
    }
    expect(s.position).toBe(report.trace!.length);
    expect(s.violation).toEqual(report.violation);
    expect(s.invariants.find((i) => i.name === "appends-at-most-once")).toEqual({ name: "appends-at-most-once", holds: false, message: report.violation!.message });
    expect(s.path.at(-1)!.violated).toBe(true);
    expect(s.canForward).toBe(false);
    // Leaving the trace and coming back.
    await ok(post(e, "/api/goto", { position: 2 }));
    const at2 = await state(e);
    const elsewhere = at2.events.find((ev) => ev.id !== at2.forwardId)!;
    const left = await ok(post(e, "/api/step", { id: elsewhere.id }));
    expect(left.trace!.onTrace).toBe(false);
    expect(left.trace!.followed).toBe(2);
    const rejoined = await ok(post(e, "/api/rejoin"));
    expect(rejoined.path.map((p) => p.line)).toEqual(report.trace);
    expect(rejoined.trace!.onTrace).toBe(true);
    expect(rejoined.position).toBe(2);
  });

  test("the same trace with the reference store stops where the reference behaves differently, and says so", async () => {
    const report = searchScenario({ scenario: "dedup-single", store: mutant, clients: 1, appends: 2 });
    const e = await explorer(solution);
    const s = await ok(call(e.url, "POST", "/api/trace", JSON.stringify(report.traceFile)));
    // The reference refuses the stale copy without rewinding, so the last copy is answered from the session: every event stays enabled, no invariant breaks.
    expect(s.trace!.replayed).toBe(report.trace!.length);
    expect(s.path.some((p) => p.violated)).toBe(false);
    // A trace with an event that never happens in this scenario stops there.
    const forged = { ...report.traceFile!, events: [...report.traceFile!.events.slice(0, 2), { kind: "timer", client: "c9" }] };
    const stopped = await ok(call(e.url, "POST", "/api/trace", JSON.stringify(forged)));
    expect(stopped.trace!.replayed).toBe(2);
    expect(stopped.trace!.stoppedAt).toMatchObject({ step: 3, reason: expect.stringMatching(/not enabled here/) });
  });

  test("trace files that are not search traces (400), or of another scenario or shape (422)", async () => {
    const e = await explorer(solution);
    const notJson = await call(e.url, "POST", "/api/trace", "{");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/^the trace file: not JSON/);
    const kind = await call(e.url, "POST", "/api/trace", JSON.stringify({ kind: "history", events: [] }));
    expect(kind.status).toBe(400);
    expect(kind.body.error).toBe('the trace file: not a search trace: "kind" is "history", expected "dslab-search-trace"');
    const events = await call(e.url, "POST", "/api/trace", JSON.stringify({ kind: "dslab-search-trace", scenario: "dedup-single", events: {} }));
    expect(events.status).toBe(400);
    expect(events.body.error).toMatch(/"events": expected a list/);
    const other = await call(e.url, "POST", "/api/trace", JSON.stringify({ kind: "dslab-search-trace", scenario: "elsewhere", events: [] }));
    expect(other.status).toBe(422);
    expect(other.body.error).toMatch(/the trace is of scenario "elsewhere", and this explorer runs "dedup-single": start npm run kv-sim -- explore --trace FILE for it$/);
    const shape = await call(e.url, "POST", "/api/trace", JSON.stringify({ kind: "dslab-search-trace", scenario: "dedup-single", shape: { clients: 7 }, events: [] }));
    expect(shape.status).toBe(422);
    expect(shape.body.error).toBe("the trace's shape: dedup-single takes 1 or 2 clients, not 7");
    const invariant = await call(e.url, "POST", "/api/trace", JSON.stringify({ kind: "dslab-search-trace", scenario: "dedup-single", invariants: ["no-such"], events: [] }));
    expect(invariant.status).toBe(422);
    expect((await state(e)).trace).toBeNull();
  });
});

describe("kv-sim explore: vote-rules-3, a scenario with no view of the explorer's own", () => {
  const rulesOf = (file: string) => loadVoteRules(join(root, file));
  const open3 = async (voteRules: VoteRulesLike) => {
    const e = await startExplorer({ scenario: openScenario({ scenario: "vote-rules-3", pieces: { voteRules }, source: "vote-rules.ts" }) });
    open.push(e);
    return e;
  };

  test("a column per node with its role, timers and vote requests as grouped events, the scenario's invariants and goal", async () => {
    const e = await open3(await rulesOf("grader/solutions/week-12/src/vote-rules.ts"));
    const s = await state(e);
    expect(s.columns.map((c) => [c.title, c.subtitle])).toEqual([
      ["n1", "follower"],
      ["n2", "follower"],
      ["n3", "follower"],
      ["network", undefined],
      ["world", undefined],
    ]);
    expect(s.columns[3]!.fields).toEqual({ inFlight: "nothing" });
    expect(s.events.map((ev) => `${ev.action} ${ev.subject?.text}`)).toEqual(["fire n1's timer", "fire n2's timer", "fire n3's timer"]);
    const candidate = await ok(post(e, "/api/step", { index: 0 }));
    expect(candidate.columns[0]!.subtitle).toBe("candidate");
    expect(candidate.columns[0]!.changed).toEqual(expect.arrayContaining(["term", "role"]));
    expect(candidate.events.filter((ev) => ev.subject?.kind === "message").map((ev) => `${ev.action} ${ev.subject!.text}`)).toEqual([
      "deliver n1 → n2: vote term=2 lastLogIndex=2 lastLogTerm=1",
      "duplicate n1 → n2: vote term=2 lastLogIndex=2 lastLogTerm=1",
      "deliver n1 → n3: vote term=2 lastLogIndex=2 lastLogTerm=1",
      "duplicate n1 → n3: vote term=2 lastLogIndex=2 lastLogTerm=1",
    ]);
    expect(candidate.invariants.map((i) => i.name)).toContain("one-leader-per-term");
    expect(candidate.predicates).toEqual([{ name: "leader-elected", holds: false }]);
  });

  test("the search's trace on vote rules that grant two votes in a term: walked forward to two leaders of one term", async () => {
    const voteRules = await rulesOf("grader/test/mutants/vote-twice.ts");
    const report = searchScenario({ scenario: "vote-rules-3", voteRules });
    expect(report.end).toBe("invariant-violated");
    const e = await open3(voteRules);
    let s = await ok(call(e.url, "POST", "/api/trace?name=vote-twice.json", JSON.stringify(report.traceFile)));
    expect(s.trace!.replayed).toBe(report.trace!.length);
    while (s.canForward) s = await ok(post(e, "/api/forward"));
    expect(s.position).toBe(report.trace!.length);
    expect(s.violation).toEqual(report.violation);
  });
});

describe("kv-sim explore: a store that throws", () => {
  test("a step whose store throws answers 500 with the error, the enabled events say so, and the explorer keeps serving", async () => {
    const e = await explorer(await loadStore(fileURLToPath(new URL("./fixtures/throws-on-request.ts", import.meta.url))));
    const s = await state(e);
    expect(s.events[0]!.line).toBe("(this event's step threw this store cannot take requests)");
    const r = await post(e, "/api/step", { index: 0 });
    expect(r.status).toBe(500);
    expect(r.body.error).toBe("the event's step threw RangeError: this store cannot take requests");
    // The timer does not reach the store.
    const fire = await ok(post(e, "/api/step", { index: s.events.findIndex((ev) => ev.action === "fire") }));
    expect(fire.position).toBe(1);
  });
});

describe("kv-sim explore: a store that never returns", () => {
  test("a step whose store loops forever is stopped after the time limit: the events say so, the step answers 500 with the reason, and the explorer keeps serving", async () => {
    const store = await loadStore(fileURLToPath(new URL("./fixtures/loops-on-second-append.ts", import.meta.url)));
    const e = await startExplorer({ scenario: openScenario({ scenario: "dedup-single", pieces: { store }, source: "loops.ts", shape: { clients: 1, appends: 2 } }), maxCallMs: 300 });
    open.push(e);
    // Deliver c1's first append, then its reply: c1 sends its second append, whose step never returns.
    await ok(post(e, "/api/step", { index: 0 }));
    const s = await ok(post(e, "/api/step", { index: 0 }));
    const deliver = s.events.find((ev) => ev.action === "deliver")!;
    expect(deliver.line).toBe("(this event's step ran for more than 300 ms without returning, and was stopped: an endless loop?)");
    const r = await post(e, "/api/step", { id: deliver.id });
    expect(r.status).toBe(500);
    expect(r.body.error).toBe("the event's step ran for more than 300 ms without returning, and was stopped: an endless loop?");
    expect((await ok(post(e, "/api/back"))).position).toBe(1);
  });
});

/** A scenario the explorer has no view for: two nodes passing a token, a counter each, and n1's timer. */
type Toy = { nodes: { id: string; count: number }[]; inFlight: { kind: "token"; from: string; to: string }[]; round: number };
type ToyEvent = { kind: "deliver"; message: Toy["inFlight"][number] } | { kind: "timer"; node: "n1" };
const toyModel: Model<Toy, ToyEvent> = {
  initial: () => ({ nodes: [{ id: "n1", count: 0 }, { id: "n2", count: 0 }], inFlight: [{ kind: "token", from: "n1", to: "n2" }], round: 0 }),
  events: (s) => [...s.inFlight.map((message) => ({ kind: "deliver" as const, message })), ...(s.round < 2 ? [{ kind: "timer" as const, node: "n1" as const }] : [])],
  step: (s, e) => {
    if (e.kind === "timer") return { ...s, round: s.round + 1 };
    const to = e.message.to;
    return { ...s, nodes: s.nodes.map((n) => (n.id === to ? { ...n, count: n.count + 1 } : n)), inFlight: [{ kind: "token", from: to, to: e.message.from }] };
  },
  describe: (e) => (e.kind === "timer" ? "n1's timer: next round" : `deliver the token to ${e.message.to}`),
  canonical: (s) => JSON.stringify(s),
  invariants: { "count-below-2": (s) => (s.nodes.some((n) => n.count >= 2) ? `${s.nodes.find((n) => n.count >= 2)!.id} holds the token twice` : null) },
  predicates: {},
};
const toy: ExploreScenario = { name: "toy", open: () => ({ model: toyModel as Model<unknown, unknown>, shape: {} }) };

describe("kv-sim explore: a scenario without a view of its own", () => {
  test("the generic view: a column per node, the rest in a world column, events grouped by their message or timer, invariants checked", async () => {
    const e = await startExplorer({ scenario: toy });
    open.push(e);
    const s = await state(e);
    expect(s.columns.map((c) => [c.id, c.kind, c.title])).toEqual([
      ["nodes:n1", "node", "n1"],
      ["nodes:n2", "node", "n2"],
      ["network", "network", "network"],
      ["world", "world", "world"],
    ]);
    expect(s.columns[2]!.fields).toEqual({ inFlight: ["n1 → n2: token"] });
    expect(s.columns[3]!.fields).toEqual({ round: 0 });
    expect(s.events.map((ev) => [ev.action, ev.subject?.text, ev.line])).toEqual([
      ["deliver", "n1 → n2: token", "deliver the token to n2"],
      ["fire", "n1's timer", "n1's timer: next round"],
    ]);
    const a = await ok(post(e, "/api/step", { index: 0 }));
    expect(a.columns[1]!.fields).toEqual({ count: 1 });
    expect(a.columns[1]!.changed).toEqual(["count"]);
    await ok(post(e, "/api/step", { index: 0 }));
    const broken = await ok(post(e, "/api/step", { index: 0 }));
    expect(broken.violation).toEqual({ invariant: "count-below-2", message: "n2 holds the token twice" });
  });
});
