/**
 * The `kv` CLI as a real child process with no cluster behind it: ports on
 * 127.0.0.1 that nobody listens on, a host name that does not resolve, and a
 * recording server that shows nothing was sent. What was never sent is a
 * definite outcome, said as such; a reused identity is refused before it
 * can be answered with another request's reply.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { KV_BIN } from "./cluster-harness.js";
import { FakeNodes } from "./fake-nodes.js";

interface KvRun {
  code: number;
  stdout: string;
  stderr: string;
}

function kv(args: string[], timeoutMs = 30_000): Promise<KvRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KV_BIN, ...args], { timeout: timeoutMs, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const nodes = new FakeNodes();

afterEach(() => nodes.close());

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A server that keeps every byte it is sent and never answers; `received()` waits for its connections to end. */
async function recordingServer(): Promise<{ port: number; received(): Promise<string> }> {
  let data = "";
  const closed: Array<Promise<void>> = [];
  const port = await nodes.listen((s) => {
    s.setEncoding("utf8");
    s.on("data", (chunk: string) => (data += chunk));
    closed.push(new Promise((r) => s.on("close", () => r())));
  });
  return {
    port,
    received: async () => {
      await Promise.all(closed);
      return data;
    },
  };
}

/** A line-protocol server that answers every request, as node n1, with `answer(its type)`. */
function nodeN1(answer: (type: string) => Record<string, unknown>): Promise<number> {
  return nodes.lines((line, s) => {
    const msg = JSON.parse(line) as { src: string; body: { type: string; msg_id: number } };
    s.write(`${JSON.stringify({ src: "n1", dest: msg.src, body: { ...answer(msg.body.type), in_reply_to: msg.body.msg_id } })}\n`);
  });
}

const HINT = /^kv: cannot reach any node \(is `kv-cluster start` running\?\)/;

describe("kv with nothing listening", () => {
  test("says once, after the first round of refused connections, that it cannot reach any node, and ends within --total-ms with exit 1: nothing was sent", async () => {
    const ports = [await closedPort(), await closedPort(), await closedPort()];
    const r = await kv(["--nodes", ports.join(","), "-v", "--json", "--total-ms", "3000", "append", "k", "v"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { outcome: string; elapsed_ms: number; error: { transport?: string }; gave_up?: string };
    expect(report).toMatchObject({ outcome: "failed", error: { transport: "refused" } });
    expect(report.elapsed_ms).toBeLessThanOrEqual(3000);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.filter((l) => HINT.test(l))).toHaveLength(1);
    // Three attempt lines (one per node), then the hint, then the retries go on.
    expect(lines.slice(0, 3).map((l) => /attempt=(\d+) .*outcome=refused/.exec(l)?.[1])).toEqual(["1", "2", "3"]);
    expect(lines[3]).toMatch(HINT);
    expect(lines[3]).toContain(`could not connect to 127.0.0.1 ports ${ports.join(", ")};`);
    expect(lines[4]).toMatch(/attempt=4 .*outcome=refused/);
  }, 60_000);

  test("a host name that does not resolve gets the same one line on stderr and a definite failure, exit 1", async () => {
    const r = await kv(["--host", "nosuchhost.invalid", "--port", "9001", "--total-ms", "1000", "put", "k", "v"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(HINT);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stdout).toMatch(/^failed \(definite: it did not happen\): error 11 temporarily-unavailable: .*nosuchhost\.invalid/);
  }, 60_000);

  test("the line names the attempts left to make: --max-retries ends the run before --total-ms does", async () => {
    const ports = [await closedPort(), await closedPort()];
    const r = await kv(["--nodes", ports.join(","), "-v", "--max-retries", "3", "get", "k"]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.filter((l) => / attempt=\d+ /.test(l))).toHaveLength(4);
    const hint = lines.find((l) => HINT.test(l));
    expect(hint).toMatch(/; still trying: at most 4 attempts in all \(--max-retries 3\), within --total-ms \(30000 ms\)$/);
  }, 60_000);

  test("when the first full round is also the last attempt, the line does not promise more tries", async () => {
    const r = await kv(["--port", String(await closedPort()), "--max-retries", "0", "get", "k"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^kv: cannot reach any node \(is `kv-cluster start` running\?\): could not connect to 127\.0\.0\.1 port \d+\n$/);
  }, 60_000);
});

describe("kv and --total-ms", () => {
  test("the wait to learn which node listens where counts against --total-ms: against nodes that accept and never answer, the attempt gets only what is left of it", async () => {
    const [a, b] = [await recordingServer(), await recordingServer()];
    const r = await kv(["--nodes", `${a.port},${b.port}`, "--total-ms", "400", "--max-retries", "0", "-v", "put", "k", "v"]);
    expect(r.code).toBe(3);
    // The identify step may take at most half of the 400 ms; the attempt's timeout is what remains.
    const attemptMs = Number(/ outcome=timeout\((\d+)ms\) /.exec(r.stderr)?.[1]);
    expect(attemptMs).toBeGreaterThan(0);
    expect(attemptMs).toBeLessThanOrEqual(200);
  }, 30_000);
});

describe("kv says why an outcome is unknown", () => {
  test("a write refused with 11 (no leader) by every attempt is unknown (exit 3), and kv says a copy already sent may still be applied", async () => {
    const port = await nodeN1(() => ({ type: "error", code: 11, text: "no leader known" }));
    const r = await kv(["--nodes", `${port}`, "--max-retries", "1", "append", "k", "v"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^unknown \(it may or may not have happened\): 2 attempts on .*error 11 temporarily-unavailable/);
    expect(r.stdout).toContain("\nevery answer refused it, but only for the copy it answered: a copy already sent may still reach a leader and be applied\n");
    expect(r.stdout).toMatch(new RegExp(`\nreplay it to find out: npm run kv -- --nodes ${port} --client-id \\d+ --seq 1 append k v\n$`));
    const read = await kv(["--port", String(port), "--max-retries", "1", "get", "k"]);
    expect(read.code).toBe(1);
    expect(read.stdout).toMatch(/^failed: could not read "k" \(a read changes nothing\): error 11 temporarily-unavailable: no leader known \(gave up after 2 attempts/);
    expect(read.stdout).not.toMatch(/may still reach a leader|unknown|client_id/);
    const readJson = JSON.parse((await kv(["--port", String(port), "--max-retries", "0", "--json", "get", "k"])).stdout) as Record<string, unknown> & { log: string[] };
    expect(readJson).not.toHaveProperty("client_id");
    expect(readJson.log).toEqual([expect.stringMatching(/^client_id=- seq=- attempt=1 /)]);
    const json = JSON.parse((await kv(["--port", String(port), "--max-retries", "0", "--json", "append", "k", "v"])).stdout);
    expect(json).toMatchObject({ outcome: "unknown", because: "a-copy-may-still-arrive" });
  }, 60_000);
});

describe("kv interrupted (Ctrl-C)", () => {
  /** A node that reads requests and never answers; `firstLine` resolves with the first request line it reads. */
  async function silentNode(): Promise<{ port: number; firstLine: Promise<string> }> {
    let seen!: (line: string) => void;
    const firstLine = new Promise<string>((r) => (seen = r));
    const port = await nodes.lines((line) => seen(line));
    return { port, firstLine };
  }

  async function interrupt(args: string[], node: { firstLine: Promise<string> }, signal: NodeJS.Signals = "SIGINT"): Promise<{ signal: string | null; stderr: string; line: string }> {
    const child = spawn(process.execPath, [KV_BIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = once(child, "exit");
    const line = await node.firstLine;
    child.kill(signal);
    const [, ended] = (await exited) as [number | null, string | null];
    return { signal: ended, stderr, line };
  }

  test.each(["SIGINT", "SIGTERM"] as const)("%s during a write: it says on stderr how to replay the request the node was sent (its client_id and seq), then ends by that signal", async (signal) => {
    const node = await silentNode();
    const r = await interrupt(["--port", String(node.port), "--timeout-ms", "60000", "append", "log", "two words"], node, signal);
    const sent = JSON.parse(r.line) as { body: { client_id: string; seq: number } };
    expect(r.signal).toBe(signal);
    expect(r.stderr).toBe(
      `kv: interrupted: the append may or may not have happened; replay it to find out: npm run kv -- --port ${node.port} --client-id ${sent.body.client_id} --seq 1 append log 'two words'\n`,
    );
  }, 60_000);

  test("during a read: nothing to replay, nothing said", async () => {
    const node = await silentNode();
    const r = await interrupt(["--port", String(node.port), "--timeout-ms", "60000", "get", "k"], node);
    expect(r.signal).toBe("SIGINT");
    expect(r.stderr).toBe("");
  }, 60_000);
});

describe("kv and a leader it cannot address", () => {
  test("a follower whose status lists no members: kv does not guess the leader's port, and says to give every port with --nodes", async () => {
    const port = await nodeN1((type) => (type === "status" ? { type: "status_ok", id: "n1" } : { type: "error", code: 11, text: "not the leader", leader: "n3" }));
    const r = await kv(["--port", String(port), "--max-retries", "1", "-v", "append", "k", "v"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^client_id=\\d+ seq=1 attempt=1 node=n1\\(127\\.0\\.0\\.1:${port}\\) outcome=error:11:temporarily-unavailable\\(leader=n3\\) action=retry-next`));
    expect(r.stderr).toContain(`kv: the leader is n3, but no port given answered as n3 (${port} is n1): give every node's port with --nodes\n`);
  }, 30_000);
});

describe("kv's counts", () => {
  test("one attempt is said in the singular: an answer that settles the outcome at once (1006) is 1 attempt, not 1 attempts", async () => {
    const port = await nodeN1(() => ({ type: "error", code: 1006, text: "client c is not known" }));
    const r = await kv(["--port", String(port), "--client-id", "c", "--seq", "5", "append", "k", "v"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(new RegExp(`^unknown \\(it may or may not have happened\\): 1 attempt on n1\\(127\\.0\\.0\\.1:${port}\\); last error 1006 `));
  });
});

describe("kv refuses what it cannot send", () => {
  test("a value nested too deeply to encode is a definite failure after one attempt (exit 1), said at once, and nothing reaches the node", async () => {
    const server = await recordingServer();
    const deep = "[".repeat(50_000) + "]".repeat(50_000);
    const r = await kv(["--port", String(server.port), "--timeout-ms", "300", "--total-ms", "5000", "put", "k", deep]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^failed \(definite: it did not happen\): error 12 malformed-request: not sent: the request cannot be encoded as JSON/);
    expect(r.stdout).toMatch(/ attempts=1\n$/);
    expect(await server.received()).toBe("");
  }, 60_000);

  test("a number JSON cannot carry (1e400) is a usage error naming the argument (exit 2), and nothing is sent", async () => {
    const server = await recordingServer();
    const r = await kv(["--port", String(server.port), "put", "huge", "1e400"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kv: VALUE: "1e400" holds a number too large for JSON to carry/);
    expect(r.stdout).toBe("");
    expect(await server.received()).toBe("");
  }, 60_000);

  test("--client-id without --seq is a usage error (exit 2) that names --seq, and nothing is sent", async () => {
    const server = await recordingServer();
    const r = await kv(["--port", String(server.port), "--client-id", "c1", "put", "y", "99"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kv: --client-id needs --seq: /);
    expect(r.stdout).toBe("");
    expect(await server.received()).toBe("");
  }, 60_000);
});

describe("kv status with no cluster", () => {
  test("gives every node a row saying it did not answer, says on stderr that no node can be reached (is kv-cluster start running?), and exits 1", async () => {
    const [a, b] = [await closedPort(), await closedPort()];
    const r = await kv(["--nodes", `${a},${b}`, "--timeout-ms", "2000", "status"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`kv: cannot reach any node (is \`kv-cluster start\` running?): could not connect to 127.0.0.1 ports ${a}, ${b}\n`);
    const json = await kv(["--port", String(a), "--timeout-ms", "2000", "--json", "status"]);
    expect(json.code).toBe(1);
    expect(json.stderr).toBe(`kv: cannot reach any node (is \`kv-cluster start\` running?): could not connect to 127.0.0.1 port ${a}\n`);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(new RegExp(`^-\\s+${a}\\s+-\\s+-\\s+-\\s+-\\s+-\\s+no answer: `));
    expect(lines[2]).toMatch(new RegExp(`^-\\s+${b}\\s+`));
  });

  test("--total-ms bounds it as it bounds an operation: a node that accepts and never answers is given up within it, not after --timeout-ms", async () => {
    const hanging = await recordingServer();
    const r = await kv(["--nodes", String(hanging.port), "--timeout-ms", "20000", "--total-ms", "300", "status"]);
    expect(r.code).toBe(1);
    const ms = Number(/no answer: no reply from .* within (\d+) ms/.exec(r.stdout)?.[1]);
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(300);
    // Something listens there: no hint that the cluster is not running.
    expect(r.stderr).toBe("");
  });

  test("a member the node's status lists but that does not answer gets its row too, and kv exits 1", async () => {
    const down = await closedPort();
    const port = await nodeN1(() => ({ type: "status_ok", id: "n1", role: "follower", term: 2, leader: "n2", commitIndex: 4, lastApplied: 4, ports: { n2: down } }));
    const r = await kv(["--port", String(port), "--timeout-ms", "2000", "status"]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(new RegExp(`^n1\\s+${port}\\s+follower\\s+2\\s+n2\\s+4\\s+4$`));
    expect(lines[2]).toMatch(new RegExp(`^-\\s+${down}\\s+-\\s+-\\s+-\\s+-\\s+-\\s+no answer: `));
    expect(r.stderr).toBe("");
  });
});
