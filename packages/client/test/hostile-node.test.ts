/**
 * The TCP transport and the `kv` CLI against a node that misbehaves: a real
 * listener on 127.0.0.1 that answers each request line with whatever the
 * test scripts (malformed lines, forged or wrong replies, lines nested past
 * any stack), so what reaches the client is checked where it enters.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createPrng } from "@dslab/protocol";
import { afterEach, describe, expect, test } from "vitest";
import { KvClient, TcpTransport, TransportError } from "../src/index.js";
import { KV_BIN } from "./cluster-harness.js";
import { FakeNodes } from "./fake-nodes.js";

/** What the fake node writes for one request line: raw text, newlines included. */
type Answer = (request: { src: string; body: { type: string; msg_id: number } }) => string;

const nodes = new FakeNodes();
const transports: TcpTransport[] = [];

afterEach(async () => {
  for (const t of transports.splice(0)) t.close();
  await nodes.close();
});

/** A node that answers every request line with `answer(request)`, written as is. */
function fakeNode(answer: Answer): Promise<number> {
  return nodes.lines((line, s) => void s.write(answer(JSON.parse(line) as Parameters<Answer>[0])));
}

/**
 * A well-formed line to no request (in_reply_to 0), written before a bad one
 * so that the bad one is not the port's first answer: a first answer that is
 * not a JSON object says no node is there at all.
 */
const PREAMBLE = `${JSON.stringify({ src: "n1", dest: "c", body: { type: "write_ok", in_reply_to: 0 } })}\n`;
const afterPreamble = (answer: Answer): Answer => (r) => PREAMBLE + answer(r);

/** A reply line from n1 to `request` with `body` (in_reply_to added). */
const reply = (request: Parameters<Answer>[0], body: Record<string, unknown>): string =>
  `${JSON.stringify({ src: "n1", dest: request.src, body: { ...body, in_reply_to: request.body.msg_id } })}\n`;

/** A reply whose `value` nests `depth` arrays: past what JSON.stringify or any recursive walk can take. */
const deepReply = (type: string, depth: number): Answer => (request) =>
  `{"src":"n1","dest":${JSON.stringify(request.src)},"body":{"type":"${type}","in_reply_to":${request.body.msg_id},"value":${"[".repeat(depth)}${"]".repeat(depth)}}}\n`;

function transport(port: number): TcpTransport {
  const t = new TcpTransport({ nodes: { n1: port } });
  transports.push(t);
  return t;
}

const NOT_A_REPLY: Array<[string, Answer, RegExp]> = [
  ["the line null", () => "null\n", /is not a reply: expected a JSON object with src, dest and body, got null/],
  ["a JSON array", () => "[1,2]\n", /is not a reply: expected a JSON object with src, dest and body, got an array/],
  ["a body that is a string", (r) => `${JSON.stringify({ src: "n1", dest: r.src, body: "write_ok" })}\n`, /field "body": expected an object, got the string "write_ok"/],
  ["a body without a type", (r) => reply(r, { value: 1 }), /field "body.type": missing/],
  ["an error whose code is a string", (r) => reply(r, { type: "error", code: "11" }), /field "body.code": expected a non-negative integer, got the string "11"/],
  ["an error whose code is too large for a number (1e400)", (r) => reply(r, { type: "error" }).replace('"type":"error"', '"type":"error","code":1e400'), /field "body.code": expected a non-negative integer, got the number Infinity/],
  ["an error whose code is negative", (r) => reply(r, { type: "error", code: -1 }), /field "body.code": expected a non-negative integer, got the integer -1/],
  ["an in_reply_to that is not an integer", (r) => reply(r, { type: "write_ok" }).replace(/"in_reply_to":\d+/, '"in_reply_to":"1"'), /field "body.in_reply_to": expected a non-negative integer/],
  ["an unknown reply type", (r) => reply(r, { type: "banana" }), /field "body.type": unknown message type "banana"/],
  ["a reply of another request's type (read_ok to a write)", (r) => reply(r, { type: "read_ok", value: 5 }), /answers a write request with "read_ok", not write_ok or error/],
  ["a value nested 100000 deep", deepReply("write_ok", 100_000), /field "body.value": .*nest/],
];

describe("TcpTransport: a line that is not a well-formed reply to the request fails it as disconnected, saying what was wrong", () => {
  test.each(NOT_A_REPLY)("%s", async (_what, answer, message) => {
    const port = await fakeNode(afterPreamble(answer));
    const err = await transport(port).send("n1", { type: "write", key: "k", value: 1 }, 20_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ failure: "disconnected", maybeDelivered: true });
    expect((err as Error).message).toMatch(new RegExp(`^line 2 from 127\\.0\\.0\\.1:${port} `));
    expect((err as Error).message).toMatch(message);
  });

  test("the next send opens a new connection and gets its reply", async () => {
    let n = 0;
    const port = await fakeNode((r) => (n++ === 0 ? `${PREAMBLE}null\n` : reply(r, { type: "write_ok" })));
    const t = transport(port);
    await expect(t.send("n1", { type: "write", key: "k", value: 1 }, 20_000)).rejects.toMatchObject({ failure: "disconnected" });
    expect(await t.send("n1", { type: "write", key: "k", value: 1 }, 20_000)).toMatchObject({ type: "write_ok" });
  });

  test("replies to requests never sent, and a second reply to one request, are dropped: the request gets its own reply once", async () => {
    const port = await fakeNode(
      (r) =>
        reply({ ...r, body: { ...r.body, msg_id: r.body.msg_id + 1000 } }, { type: "error", code: 22 }) +
        reply(r, { type: "write_ok" }) +
        reply(r, { type: "error", code: 20 }),
    );
    const t = transport(port);
    expect(await t.send("n1", { type: "write", key: "k", value: 1 }, 20_000)).toMatchObject({ type: "write_ok" });
    expect(await t.send("n1", { type: "write", key: "k", value: 2 }, 20_000)).toMatchObject({ type: "write_ok" });
  });

  test("the client never reports a write as ok on a malformed reply: it is unknown", async () => {
    const port = await fakeNode((r) => reply(r, { type: "error", code: "22" }));
    const client = new KvClient({ nodes: ["n1"], transport: transport(port), prng: createPrng("hostile"), maxRetries: 1, backoff: { baseMs: 1 } });
    const r = await client.put("k", 1);
    expect(r).toMatchObject({ outcome: "unknown", because: "an-attempt-may-have-applied" });
    expect(r.outcome === "unknown" && r.lastError.text).toMatch(/field "body.code": expected a non-negative integer/);
  });
});

describe("TcpTransport: a port whose first answer is not a JSON object has no node behind it: refused, saying what it answered", () => {
  test.each([
    ["the line null", "null\n", '"null"'],
    ["a JSON array", "[1,2]\n", '"[1,2]"'],
    ["a TLS alert, with no newline ever", Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x32]), '"\\u0015\\u0003\\u0001\\u0000\\u0002\\u00022"'],
  ])("%s", async (_what, answer, shown) => {
    const port = await nodes.listen((s) => {
      s.once("data", () => s.write(answer));
    });
    const t = transport(port);
    const err = await t.send("n1", { type: "write", key: "k", value: 1 }, 30_000).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: "refused", message: `port ${port} does not speak the kv line protocol: it answered ${shown}` });
    expect(t.wrongProtocol(port)).toBe((err as Error).message);
  });
});

describe("TcpTransport: a reply cannot claim the request was never sent", () => {
  test("a node's error marked not_sent reaches the client without the mark, so a give-up after it is unknown, not failed", async () => {
    const port = await fakeNode((r) => reply(r, { type: "error", code: 11, text: "no leader", not_sent: true }));
    const t = transport(port);
    const body = await t.send("n1", { type: "write", key: "k", value: 1 }, 20_000);
    expect(body).toMatchObject({ type: "error", code: 11 });
    expect(body).not.toHaveProperty("not_sent");
    const client = new KvClient({ nodes: ["n1"], transport: t, prng: createPrng("forged-not-sent"), maxRetries: 1, backoff: { baseMs: 1 } });
    expect(await client.put("k", 1)).toMatchObject({ outcome: "unknown", because: "a-copy-may-still-arrive" });
  });
});

describe("TcpTransport: what it learns of ids and ports comes only from answers to its own requests", () => {
  test("a flood of unasked replies, each with a new src and 64 new members, teaches it nothing", async () => {
    const flood = (r: Parameters<Answer>[0]): string => {
      let lines = "";
      for (let i = 0; i < 2000; i++) {
        const ports = Object.fromEntries(Array.from({ length: 64 }, (_, m) => [`m${i}-${m}`, 20_000 + m]));
        lines += `${JSON.stringify({ src: `s${i}`, dest: r.src, body: { type: "status_ok", in_reply_to: r.body.msg_id + 1 + i, ports } })}\n`;
      }
      return lines + reply(r, { type: "write_ok" });
    };
    const port = await fakeNode(flood);
    const t = transport(port);
    expect(await t.send("n1", { type: "write", key: "k", value: 1 }, 20_000)).toMatchObject({ type: "write_ok" });
    expect(t.knownNodes()).toEqual([["n1", port]]);
    expect(t.idOfPort(port)).toBe("n1");
    expect(t.canReach("m0-0")).toBe(false);
  });
});

describe("TcpTransport: a node's own answer says where it listens better than another node's member list", () => {
  test("a member list that put n2 at a wrong port is overruled once n2 itself answers", async () => {
    const n2 = await fakeNode((r) => `${JSON.stringify({ src: "n2", dest: r.src, body: { type: "status_ok", in_reply_to: r.body.msg_id } })}\n`);
    const liar = await fakeNode((r) => reply(r, { type: "status_ok", ports: { n2: 1 } }));
    const t = new TcpTransport({ nodes: { "127.0.0.1:liar": liar, "127.0.0.1:n2": n2 } });
    transports.push(t);
    await t.send("127.0.0.1:liar", { type: "status" }, 20_000);
    expect(t.portOf("n2")).toBe(1);
    await t.send("127.0.0.1:n2", { type: "status" }, 20_000);
    expect(t.portOf("n2")).toBe(n2);
  });
});

describe("TcpTransport: reply lines are bounded, and a reply under the bound is read whole", () => {
  test("a 2 MiB reply (a read of a list grown by many appends) is read", async () => {
    const value = "a".repeat(2 * 1024 * 1024);
    const port = await fakeNode((r) => reply(r, { type: "read_ok", value }));
    expect(await transport(port).send("n1", { type: "read", key: "k" }, 20_000)).toMatchObject({ type: "read_ok", value });
  });

  test("a reply line over maxReplyLineBytes fails as disconnected, saying so", async () => {
    const port = await fakeNode((r) => reply(r, { type: "read_ok", value: "a".repeat(5000) }));
    const t = new TcpTransport({ nodes: { n1: port }, maxReplyLineBytes: 1000 });
    transports.push(t);
    const err = await t.send("n1", { type: "read", key: "k" }, 20_000).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: "disconnected", message: `line 1 from 127.0.0.1:${port} is longer than the 1000-byte reply line limit; connection closed` });
  });

  test("a line that never ends fails what waits on it as disconnected before its timeout, and the connection is closed", async () => {
    let closed!: Promise<void>;
    const port = await nodes.listen((s) => {
      closed = new Promise((r) => s.on("close", () => r()));
      const flood = "x".repeat(64 * 1024);
      s.write("{");
      s.once("data", () => {
        const more = (): void => {
          while (!s.destroyed && s.write(flood));
        };
        s.on("drain", more);
        more();
      });
    });
    const t = new TcpTransport({ nodes: { n1: port }, maxReplyLineBytes: 1024 * 1024 });
    transports.push(t);
    const err = await t.send("n1", { type: "read", key: "k" }, 30_000).catch((e: unknown) => e);
    expect(err).toMatchObject({
      failure: "disconnected",
      message: `a line from 127.0.0.1:${port} runs past the 1048576-byte reply line limit without ending; connection closed`,
    });
    await closed;
  });
});

describe("TcpTransport: timeouts", () => {
  test("an attempt timeout past what setTimeout keeps (2^31 ms and more) waits for the reply instead of firing at once", async () => {
    let answer!: () => void;
    const port = await fakeNode((r) => {
      answer = () => void [...nodes.sockets].at(-1)!.write(reply(r, { type: "write_ok" }));
      return "";
    });
    const t = transport(port);
    const sent = t.send("n1", { type: "write", key: "k", value: 1 }, 3_000_000_000);
    const early = await Promise.race([sent.then(() => "settled", () => "settled"), new Promise((r) => setTimeout(() => r("waiting"), 500))]);
    expect(early).toBe("waiting");
    answer();
    expect(await sent).toMatchObject({ type: "write_ok" });
  });
});

interface KvRun {
  code: number;
  stdout: string;
  stderr: string;
}

function kv(args: string[]): Promise<KvRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KV_BIN, ...args], { timeout: 30_000, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe("kv and a wait past what setTimeout keeps", () => {
  test("a retry_after_ms of 2^31 ms and more (with a --total-ms that allows it) is waited, not cut to 1 ms with a warning", async () => {
    let requests = 0;
    const port = await fakeNode((r) => {
      requests++;
      return reply(r, { type: "error", code: 14, text: "busy", retry_after_ms: 2_500_000_000 });
    });
    const child = spawn(process.execPath, [KV_BIN, "--port", String(port), "--total-ms", "3000000000", "--max-retries", "1", "put", "k", "v"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = once(child, "exit");
    while (requests === 0) await new Promise((r) => setTimeout(r, 20));
    // Cut to 1 ms, the retry would come at once; give it a generous while to show.
    await new Promise((r) => setTimeout(r, 1000));
    child.kill("SIGTERM");
    await exited;
    expect(requests).toBe(1);
    expect(stderr).not.toContain("TimeoutOverflowWarning");
  });
});

describe("kv against a node that answers garbage", () => {
  test.each([
    ["the line null", () => "null\n"],
    ["an error whose code is a string", (r: Parameters<Answer>[0]) => reply(r, { type: "error", code: "11" })],
    ["a reply nested 100000 deep", deepReply("write_ok", 100_000)],
  ] as Array<[string, Answer]>)("a write answered with %s is unknown (exit 3), said in one line, with no stack", async (_what, answer) => {
    const port = await fakeNode(afterPreamble(answer));
    const run = await kv(["--port", String(port), "--max-retries", "1", "--total-ms", "10000", "put", "k", "v"]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(new RegExp(`^unknown \\(it may or may not have happened\\): .* is not a reply: .*; connection closed\\n`));
  });

  test("kv status with a node that answers a line nested 100000 deep: a row that says so, exit 1, no stack", async () => {
    const port = await fakeNode(deepReply("status_ok", 100_000));
    const run = await kv(["--port", String(port), "status"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^-\\s+${port}\\s+-.*no answer: line 1 from 127\\.0\\.0\\.1:${port} is not a reply: field "body.value"`, "m"));
  });
});

describe("kv prints what a node sent with its control characters escaped", () => {
  /** An escape that retitles the terminal, one that recolours it, a bell, a C1 CSI, and a newline that forges a line of kv's output. */
  const FORGED = "x\u001b]0;owned\u0007\u001b[31mred\u009b2J\u202e\nok write_ok";
  const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;

  test("an error's text and a leader's id, in the report and the attempt log", async () => {
    const port = await fakeNode((r) => reply(r, { type: "error", code: 11, text: FORGED, leader: FORGED }));
    const run = await kv(["--port", String(port), "--max-retries", "0", "--timeout-ms", "300", "-v", "put", "k", "v"]);
    expect(run.code).toBe(3);
    for (const out of [run.stdout, run.stderr]) {
      expect(out).not.toMatch(UNSAFE);
      expect(out).not.toMatch(/^ok /m);
    }
    expect(run.stdout).toContain("last error 11 temporarily-unavailable: x\\u001b]0;owned\\u0007\\u001b[31mred\\u009b2J\\u202e\\u000aok write_ok\n");
    expect(run.stderr).toMatch(/outcome=error:11:temporarily-unavailable\(leader="x\\u001b/);
  });

  test("kv status: a node's id, role and leader", async () => {
    const port = await fakeNode((r) => reply(r, { type: "status_ok", id: FORGED, role: "leader\u0007", term: 1, leader: FORGED, commitIndex: 0, lastApplied: 0 }));
    for (const json of [false, true]) {
      const run = await kv(["--port", String(port), ...(json ? ["--json"] : []), "status"]);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toMatch(UNSAFE);
      expect(run.stdout.split("\n")).toHaveLength(json ? 2 : 3);
      if (json) expect((JSON.parse(run.stdout) as { nodes: Array<{ id: string }> }).nodes[0]?.id).toBe(FORGED);
      else expect(run.stdout).toContain("leader\\u0007");
    }
  });
});

describe("kv shows a node's very long text cut short, saying how long it is; --json keeps it whole", () => {
  const LONG = "x".repeat(3_000_000);

  test("an error's text and a leader's id, in the report, the attempt log and the leader hint", async () => {
    const port = await fakeNode((r) => reply(r, { type: "error", code: 11, text: LONG, leader: LONG }));
    const run = await kv(["--port", String(port), "--max-retries", "0", "--timeout-ms", "1000", "-v", "put", "k", "v"]);
    expect(run.code).toBe(3);
    expect(run.stdout.length + run.stderr.length).toBeLessThan(10_000);
    expect(run.stdout).toContain("... (3000000 characters; --json has them all)");
    expect(run.stderr).toMatch(/ outcome=error:11:temporarily-unavailable\(leader=x+\.\.\.\(300\d{4} chars\) action=give-up /);
    expect(run.stderr).toMatch(/^kv: the leader is x+\.\.\. \(3000000 characters; --json has them all\), but /m);
    const json = await kv(["--port", String(port), "--max-retries", "0", "--timeout-ms", "1000", "--json", "put", "k", "v"]);
    const report = JSON.parse(json.stdout) as { last_error: { text: string; leader: string } };
    expect(report.last_error.text).toBe(LONG);
    expect(report.last_error.leader).toBe(LONG);
  });

  test("kv status: a node's id, leader and role", async () => {
    const port = await fakeNode((r) => reply(r, { type: "status_ok", id: LONG, role: LONG, term: 1, leader: LONG, commitIndex: 0, lastApplied: 0 }));
    const run = await kv(["--port", String(port), "status"]);
    expect(run.code).toBe(0);
    expect(run.stdout.length).toBeLessThan(10_000);
    expect(run.stdout).toContain("... (3000000 characters; --json has them all)");
    const json = JSON.parse((await kv(["--port", String(port), "--json", "status"])).stdout) as { nodes: Array<{ id: string }> };
    expect(json.nodes[0]?.id).toBe(LONG);
  });
});

describe("kv --nodes connects only to the ports given", () => {
  /** A server that counts the connections made to it and never answers. */
  async function countingListener(): Promise<{ port: number; connections: () => number }> {
    let n = 0;
    const port = await nodes.listen(() => void n++);
    return { port, connections: () => n };
  }

  test("a node that names a leader and lists it at another port steers neither an operation nor status there", async () => {
    const elsewhere = await countingListener();
    const port = await fakeNode((r) =>
      r.body.type === "status"
        ? reply(r, { type: "status_ok", id: "n1", role: "follower", term: 1, leader: "evil", commitIndex: 0, lastApplied: 0, ports: { evil: elsewhere.port } })
        : reply(r, { type: "error", code: 11, text: "not the leader", leader: "evil" }),
    );
    for (const nodes of [String(port), `${port},${await fakeNode((r) => reply(r, { type: "error", code: 11, leader: "evil" }))}`]) {
      const run = await kv(["--nodes", nodes, "--max-retries", "1", "--timeout-ms", "500", "-v", "put", "k", "v"]);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).not.toMatch(/node=evil[ (]/);
      expect(run.stderr).toContain("kv: the leader is evil, but no port given answered as evil");
      const status = await kv(["--nodes", nodes, "--timeout-ms", "500", "status"]);
      expect(status.stdout.trim().split("\n")).toHaveLength(nodes.split(",").length + 1);
    }
    expect(elsewhere.connections()).toBe(0);
    // With --port alone, the member list is how kv finds the rest of the cluster.
    await kv(["--port", String(port), "--max-retries", "0", "--timeout-ms", "300", "put", "k", "v"]);
    expect(elsewhere.connections()).toBe(1);
  });
});
