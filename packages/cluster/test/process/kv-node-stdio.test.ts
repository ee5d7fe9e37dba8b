import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KV_NODE_BIN, LineReader, killAll, spawnTracked } from "../../src/testing/processes.js";

afterEach(killAll);

const INIT = '{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}';
const WRITE = '{"src":"c1","dest":"n1","body":{"type":"write","msg_id":2,"key":"x","value":1,"client_id":"c1","seq":1}}';

function startKvNode(args: string[] = []) {
  const child = spawnTracked([KV_NODE_BIN, ...args]);
  const out = new LineReader(child.stdout!);
  const send = (line: string) => child.stdin!.write(`${line}\n`);
  return { child, out, send };
}

/** The sample case: these two lines in, exactly these two lines out. */
const SAMPLE_OUT = [
  '{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":1,"msg_id":0}}',
  '{"src":"n1","dest":"c1","body":{"type":"write_ok","in_reply_to":2,"msg_id":1}}',
];

describe("kv-node on stdio", () => {
  it("answers the sample case's init and write with exactly the expected init_ok and write_ok lines, byte for byte", async () => {
    const child = spawnTracked([KV_NODE_BIN]);
    let stdout = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stdin!.end(`${INIT}\n${WRITE}\n`);
    await new Promise((r) => child.once("exit", r));
    expect(stdout).toBe(`${SAMPLE_OUT.join("\n")}\n`);
  });

  it("answers init with init_ok and a write with write_ok, each numbered by the node from 0 as Maelstrom nodes do", async () => {
    const { child, out, send } = startKvNode();
    send(INIT);
    send(WRITE);
    const initOk = await out.next((m) => m.body.in_reply_to === 1, 10_000, "init_ok");
    const writeOk = await out.next((m) => m.body.in_reply_to === 2, 10_000, "write_ok");
    expect(initOk).toEqual({ src: "n1", dest: "c0", body: { type: "init_ok", in_reply_to: 1, msg_id: 0 } });
    expect(writeOk).toEqual({ src: "n1", dest: "c1", body: { type: "write_ok", in_reply_to: 2, msg_id: 1 } });
    // Nothing but protocol lines on stdout (LineReader fails on anything else); logs on stderr, prefixed.
    expect(child.stderrLines.some((l) => l.startsWith("n1 | "))).toBe(true);
  });

  it("a second init naming another node is refused from the node's own id, not from the id it asked for", async () => {
    const { out, send } = startKvNode();
    send(INIT);
    await out.next((m) => m.body.in_reply_to === 1, 10_000, "init_ok");
    send('{"src":"c0","dest":"n1","body":{"type":"init","msg_id":2,"node_id":"n5","node_ids":["n5","n6"]}}');
    const refusal = await out.next((m) => m.body.in_reply_to === 2, 10_000, "the refusal");
    expect(refusal).toMatchObject({ src: "n1", dest: "c0", body: { type: "error", code: 12, text: "already initialized as n1; cannot become n5" } });
  });

  it("an init repeated while the node is still starting is answered only once it has started: a node that cannot start says init_ok to neither", async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-kv-node-"));
    try {
      const holder = startKvNode(["--data-dir", dir]);
      holder.send(INIT);
      await holder.out.next((m) => m.body.in_reply_to === 1, 10_000, "init_ok");
      // Another process holds the directory: this node cannot start.
      const second = startKvNode(["--data-dir", dir]);
      second.send(INIT);
      second.send(INIT.replace('"msg_id":1', '"msg_id":2'));
      await new Promise((r) => second.child.once("exit", r));
      expect(second.child.exitCode).toBe(1);
      expect(second.out.lines).toEqual([]);
    } finally {
      await killAll();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [["n1", "n1"], "n1", 'node_ids ["n1","n1"] names n1 twice'],
    [["n1", "n2", "n2"], "n1", 'node_ids ["n1","n2","n2"] names n2 twice'],
    [[""], "", 'node_ids [""] holds an empty node id'],
  ])("an init whose node_ids is %j (an id twice, whose quorum counts it twice: n1 alone would wait forever for a second vote; or an empty id) is refused with error 12 naming it; a good init then starts the node", async (nodeIds, nodeId, text) => {
    const { out, send } = startKvNode();
    send(JSON.stringify({ src: "c0", dest: nodeId, body: { type: "init", msg_id: 1, node_id: nodeId, node_ids: nodeIds } }));
    expect((await out.next((m) => m.body.in_reply_to === 1, 10_000, "the refusal")).body).toMatchObject({ type: "error", code: 12, text });
    send(INIT.replace('"msg_id":1', '"msg_id":2'));
    send(WRITE);
    expect((await out.next((m) => m.body.in_reply_to === 2, 10_000, "init_ok")).body.type).toBe("init_ok");
    expect((await out.next((m) => m.body.in_reply_to === 2 && m.dest === "c1", 10_000, "write_ok")).body.type).toBe("write_ok");
  });

  it("answers the two lines piped from a file before exiting at end of input", async () => {
    const { child, out } = startKvNode();
    child.stdin!.end(`${INIT}\n${WRITE}\n`);
    await new Promise((r) => child.once("exit", r));
    expect(out.lines.map((m: any) => m.body.type)).toEqual(["init_ok", "write_ok"]);
    expect(child.exitCode).toBe(0);
  });

  it("with --data-dir, a restarted node has what it acknowledged before, sessions included", async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-kv-node-"));
    try {
      const first = startKvNode(["--data-dir", dir]);
      first.child.stdin!.end(
        `${INIT}\n${WRITE}\n{"src":"c1","dest":"n1","body":{"type":"append","msg_id":3,"key":"l","value":"a","client_id":"c1","seq":2}}\n`,
      );
      await new Promise((r) => first.child.once("exit", r));
      expect(first.out.lines.map((m: any) => m.body.type)).toEqual(["init_ok", "write_ok", "append_ok"]);

      const second = startKvNode(["--data-dir", dir]);
      second.send(INIT);
      second.send('{"src":"c2","dest":"n1","body":{"type":"read","msg_id":10,"key":"x"}}');
      second.send('{"src":"c1","dest":"n1","body":{"type":"append","msg_id":11,"key":"l","value":"a","client_id":"c1","seq":2}}');
      second.send('{"src":"c2","dest":"n1","body":{"type":"read","msg_id":12,"key":"l"}}');
      expect((await second.out.next((m) => m.body.in_reply_to === 10, 10_000, "read_ok x")).body).toMatchObject({ type: "read_ok", value: 1 });
      expect((await second.out.next((m) => m.body.in_reply_to === 11, 10_000, "append_ok")).body).toMatchObject({ type: "append_ok", value: ["a"] });
      expect((await second.out.next((m) => m.body.in_reply_to === 12, 10_000, "read_ok l")).body).toMatchObject({ type: "read_ok", value: ["a"] });
    } finally {
      await killAll();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  it("--max-sessions and --session-timeout-ms reach the state machine: an evicted and an expired session refuse a new seq (1001) and answer a copy of their last seq with 1005", async () => {
    const { out, send } = startKvNode(["--max-sessions", "1", "--session-timeout-ms", "300"]);
    const line = (src: string, msgId: number, seq: number) =>
      `{"src":"${src}","dest":"n1","body":{"type":"append","msg_id":${msgId},"key":"l","value":"${src}","client_id":"${src}","seq":${seq}}}`;
    const reply = async (msgId: number) => (await out.next((m) => m.body.in_reply_to === msgId, 10_000, `reply ${msgId}`)).body;
    send(INIT);
    send(line("a", 2, 1));
    expect(await reply(2)).toMatchObject({ type: "append_ok", value: ["a"] });
    send(line("b", 3, 1)); // the second session evicts the first (bound 1)
    expect(await reply(3)).toMatchObject({ type: "append_ok", value: ["a", "b"] });
    send(line("a", 4, 2));
    expect(await reply(4)).toMatchObject({ type: "error", code: 1001, text: expect.stringContaining("evicted") });
    await new Promise((r) => setTimeout(r, 600)); // idle past the timeout; the next entry's ts expires b
    send(line("c", 5, 1));
    expect(await reply(5)).toMatchObject({ type: "append_ok", value: ["a", "b", "c"] });
    send(line("b", 6, 1));
    expect(await reply(6)).toMatchObject({ type: "error", code: 1005, text: expect.stringContaining("expired") });
  });

  it("--idempotency-ttl-ms reaches the state machine: a key is new again after its TTL", async () => {
    const { out, send } = startKvNode(["--idempotency-ttl-ms", "300"]);
    const line = (msgId: number) =>
      `{"src":"h","dest":"n1","body":{"type":"incr","msg_id":${msgId},"key":"n","delta":1,"idempotency_key":"k1","fingerprint":"f1"}}`;
    const reply = async (msgId: number) => (await out.next((m) => m.body.in_reply_to === msgId, 10_000, `reply ${msgId}`)).body;
    send(INIT);
    send(line(2));
    expect(await reply(2)).toMatchObject({ type: "incr_ok", value: 1 });
    send(line(3));
    expect(await reply(3)).toMatchObject({ type: "incr_ok", value: 1, replayed: true });
    await new Promise((r) => setTimeout(r, 600));
    send(line(4));
    expect(await reply(4)).toEqual({ type: "incr_ok", value: 2, in_reply_to: 4, msg_id: expect.any(Number) });
  });

  const big = "v".repeat(70 * 1024);
  it.each([
    { name: "a line that is not JSON", line: "this is not json", code: 12, inReplyTo: undefined, field: "not valid JSON" },
    { name: "an unknown message type", line: '{"src":"c1","dest":"n1","body":{"type":"frobnicate","msg_id":3}}', code: 10, inReplyTo: 3, field: "body.type" },
    {
      name: "a seq of the wrong type",
      line: '{"src":"c1","dest":"n1","body":{"type":"write","msg_id":4,"key":"x","value":1,"client_id":"c1","seq":"two"}}',
      code: 12,
      inReplyTo: 4,
      field: "body.seq",
    },
    { name: "a key that is an object", line: '{"src":"c1","dest":"n1","body":{"type":"read","msg_id":5,"key":{"a":1}}}', code: 12, inReplyTo: 5, field: "body.key" },
    { name: "a missing body", line: '{"src":"c1","dest":"n1"}', code: 12, inReplyTo: undefined, field: "body" },
    { name: "a line over --max-line-bytes", line: `{"src":"c1","dest":"n1","body":{"type":"write","msg_id":6,"key":"x","value":"${"y".repeat(5000)}"}}`, code: 1002, inReplyTo: 6, field: "larger than 4096 bytes", args: ["--max-line-bytes", "4096"] },
    {
      name: "a value over the 64 KiB value limit",
      line: `{"src":"c1","dest":"n1","body":{"type":"write","msg_id":7,"key":"x","value":"${big}","client_id":"c1","seq":1}}`,
      code: 1002,
      inReplyTo: 7,
      field: undefined,
    },
  ] as Array<{ name: string; line: string; code: number; inReplyTo: number | undefined; field: string | undefined; args?: string[] }>)(
    "answers $name with definite error $code and keeps serving",
    async ({ line, code, inReplyTo, field, args }) => {
    const { child, out, send } = startKvNode(args ?? []);
    send(INIT);
    await out.next((m) => m.body.type === "init_ok", 10_000, "init_ok");
    send(line);
    const reply = await out.next((m) => m.body.type === "error", 10_000, "an error reply");
    expect(reply.body.code).toBe(code);
    expect(reply.body.in_reply_to).toBe(inReplyTo);
    if (inReplyTo !== undefined) expect(reply.dest).toBe("c1");
    if (field) {
      // The log names the line number and the field.
      await expect.poll(() => child.stderrLines.join("\n"), { timeout: 2000 }).toMatch(/stdin:2: /);
      expect(child.stderrLines.join("\n")).toContain(field);
    }
    // Nothing lost: the node still serves, and the bad line changed nothing.
    send('{"src":"c2","dest":"n1","body":{"type":"write","msg_id":100,"key":"x","value":42,"client_id":"c2","seq":1}}');
    expect((await out.next((m) => m.body.in_reply_to === 100, 10_000, "write_ok")).body.type).toBe("write_ok");
    // Read after the write is acknowledged (a read sent with it is concurrent and may see either).
    send('{"src":"c2","dest":"n1","body":{"type":"read","msg_id":101,"key":"x"}}');
    expect((await out.next((m) => m.body.in_reply_to === 101, 10_000, "read_ok")).body).toEqual({ type: "read_ok", value: 42, in_reply_to: 101, msg_id: expect.any(Number) });
    expect(child.exitCode).toBeNull();
    },
  );
});
