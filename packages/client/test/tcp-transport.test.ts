/**
 * The TCP transport against a tiny real JSON-lines server started in the
 * test (real sockets, no mocks).
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { createPrng, type Body, type Json, type Message } from "@dslab/protocol";
import { afterEach, describe, expect, test } from "vitest";
import { KvClient, TcpTransport, TransportError } from "../src/index.js";

type Handler = (msg: Message, reply: (body: Body) => void, socket: net.Socket) => void;

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
const transports: TcpTransport[] = [];

async function jsonLinesServer(id: string, handler: Handler): Promise<number> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buf = "";
    socket.setEncoding("utf8");
    socket.on("error", () => {});
    socket.on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const msg = JSON.parse(buf.slice(0, nl)) as Message;
        buf = buf.slice(nl + 1);
        handler(msg, (body) => socket.write(`${JSON.stringify({ src: id, dest: msg.src, body: { ...body, in_reply_to: msg.body.msg_id } })}\n`), socket);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return (server.address() as net.AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function transport(nodes: Record<string, number>): TcpTransport {
  const t = new TcpTransport({ nodes });
  transports.push(t);
  return t;
}

afterEach(async () => {
  for (const t of transports.splice(0)) t.close();
  for (const s of sockets) s.destroy();
  sockets.clear();
  for (const s of servers.splice(0)) {
    await new Promise<void>((r) => s.close(() => r()));
  }
});

describe("TcpTransport: JSON lines over TCP, replies routed by in_reply_to", () => {
  test("replies that arrive out of order reach the request they answer", async () => {
    const held: Array<() => void> = [];
    const port = await jsonLinesServer("n1", (msg, reply) => {
      held.push(() => reply({ type: "read_ok", value: msg.body.key as string }));
      if (held.length === 3) for (const f of held.reverse()) f();
    });
    const t = transport({ n1: port });
    const replies = await Promise.all(["a", "b", "c"].map((key) => t.send("n1", { type: "read", key }, 2000)));
    expect(replies.map((r) => r.value)).toEqual(["a", "b", "c"]);
  }, 10_000);

  test("one connection per node carries every request", async () => {
    let connections = 0;
    const port = await jsonLinesServer("n1", (_m, reply) => reply({ type: "write_ok" }));
    servers[0]?.on("connection", () => connections++);
    const t = transport({ n1: port });
    for (let i = 0; i < 5; i++) await t.send("n1", { type: "write", key: "k", value: i }, 2000);
    expect(connections).toBe(1);
  }, 10_000);

  test("no reply within the timeout rejects as a timeout (may have been delivered)", async () => {
    const port = await jsonLinesServer("n1", () => {});
    const err = await transport({ n1: port }).send("n1", { type: "read", key: "k" }, 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ failure: "timeout", maybeDelivered: true });
  }, 10_000);

  test.each([[99_999], [0], [1.5], [Number.NaN], ["9001"]])("a node given the port %j is refused when the transport is made, naming the node", (port) => {
    expect(() => new TcpTransport({ nodes: { n1: 9001, n2: port as number } })).toThrow(
      expect.objectContaining({ code: "E_CLIENT_OPTIONS", message: expect.stringMatching(/^nodes\.n2: expected a TCP port \(an integer from 1 to 65535\), got /) }),
    );
  });

  test("a port nobody listens on rejects as refused (never delivered)", async () => {
    const err = await transport({ n1: await closedPort() }).send("n1", { type: "read", key: "k" }, 2000).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: "refused", maybeDelivered: false });
  }, 10_000);

  test("a connection closed after the request was written rejects as disconnected, and the next send reconnects", async () => {
    let n = 0;
    const port = await jsonLinesServer("n1", (_m, reply, socket) => {
      if (n++ === 0) socket.destroy();
      else reply({ type: "write_ok" });
    });
    const t = transport({ n1: port });
    const err = await t.send("n1", { type: "write", key: "k", value: 1 }, 2000).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: "disconnected" });
    expect(await t.send("n1", { type: "write", key: "k", value: 1 }, 2000)).toMatchObject({ type: "write_ok" });
  }, 10_000);

  test("node ids are learned from replies, and an id no reply has shown is never given a port", async () => {
    const port = await jsonLinesServer("n2", (_m, reply) => reply({ type: "write_ok" }));
    const t = transport({ "127.0.0.1:x": port });
    expect(t.canReach("n2")).toBe(false);
    await t.send("127.0.0.1:x", { type: "write", key: "k", value: 1 }, 2000);
    expect(t.portOf("n2")).toBe(port);
    expect(t.idOfPort(port)).toBe("n2");
    expect(t.canReach("n1")).toBe(false);
    expect(t.canReach("n3")).toBe(false);
    await expect(t.send("n3", { type: "write", key: "k", value: 1 }, 2000)).rejects.toMatchObject({ failure: "refused", message: "no port known for node n3" });
  }, 10_000);

  test("a redirect to an id no reply has shown: the node that named it is asked once where its members listen, and only well-formed entries are taken", async () => {
    const leaderPort = await jsonLinesServer("n2", (_m, reply) => reply({ type: "write_ok" }));
    const many = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`m${i}`, 20_000 + i]));
    let statuses = 0;
    const followerPort = await jsonLinesServer("n1", (m, reply) => {
      if (m.body.type !== "status") return reply({ type: "error", code: 11, text: "not the leader", leader: "n2" });
      statuses++;
      reply({
        type: "status_ok",
        id: "n1",
        ports: { n2: leaderPort, "": 9001, n3: 70_000, n4: "9004", n5: 1.5, n6: -1, n7: null, ["x".repeat(65)]: 9007, ...many },
      });
    });
    const t = transport({ "127.0.0.1:x": followerPort });
    expect(t.canReach("n2")).toBe(false);
    const first = await t.send("127.0.0.1:x", { type: "write", key: "k", value: 1 }, 2000);
    expect(first).toMatchObject({ type: "error", code: 11, leader: "n2" });
    expect(t.portOf("n2")).toBe(leaderPort);
    for (const id of ["", "n3", "n4", "n5", "n6", "n7", "x".repeat(65)]) expect(t.canReach(id), id).toBe(false);
    // Entries past the first 64 are not read.
    expect(t.canReach("m0")).toBe(true);
    expect(t.canReach("m69")).toBe(false);
    expect(await t.send("n2", { type: "write", key: "k", value: 1 }, 2000)).toMatchObject({ type: "write_ok" });
    await t.send("127.0.0.1:x", { type: "write", key: "k", value: 2 }, 2000);
    expect(statuses).toBe(1);
  }, 10_000);

  test("with followMembers false, a member list gives no id a port and a redirect asks for none: only the ports given are connected to", async () => {
    let statuses = 0;
    const port = await jsonLinesServer("n1", (m, reply) => {
      if (m.body.type !== "status") return reply({ type: "error", code: 11, text: "not the leader", leader: "n2" });
      statuses++;
      reply({ type: "status_ok", id: "n1", ports: { n2: 9002, n3: 9003 } });
    });
    const t = new TcpTransport({ nodes: { "127.0.0.1:x": port }, followMembers: false });
    transports.push(t);
    await t.identify(2000);
    expect(t.idOfPort(port)).toBe("n1");
    expect(await t.send("127.0.0.1:x", { type: "write", key: "k", value: 1 }, 2000)).toMatchObject({ type: "error", code: 11, leader: "n2" });
    expect(statuses).toBe(1);
    expect(t.knownNodes()).toEqual([["127.0.0.1:x", port], ["n1", port]]);
  }, 10_000);

  test("a redirect whose node lists no members leaves the leader unreachable: no port is guessed", async () => {
    const port = await jsonLinesServer("n1", (m, reply) =>
      reply(m.body.type === "status" ? { type: "status_ok", id: "n1" } : { type: "error", code: 11, text: "not the leader", leader: "n2" }),
    );
    const t = transport({ "127.0.0.1:x": port });
    await t.send("127.0.0.1:x", { type: "write", key: "k", value: 1 }, 2000);
    expect(t.canReach("n2")).toBe(false);
  }, 10_000);

  test.each([
    ["an HTTP server", "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n", /^port \d+ speaks HTTP, not the kv line protocol: use curl, or the node's TCP port$/],
    ["a server that writes text", "hello there\n", /^port \d+ does not speak the kv line protocol: it answered "hello there"$/],
  ])("a port whose first answer is not the line protocol (%s) fails as refused, saying what it speaks, now and on every later send", async (_name, answer, message) => {
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.once("data", () => socket.end(answer));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const t = transport({ "127.0.0.1:x": port });
    for (let i = 0; i < 2; i++) {
      const err = await t.send("127.0.0.1:x", { type: "read", key: "k" }, 2000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect(err).toMatchObject({ failure: "refused", message: expect.stringMatching(message) });
    }
    expect(t.wrongProtocol(port)).toMatch(message);
  }, 10_000);

  test("the client follows a redirect between two real servers, keeping its identity", async () => {
    const seen: Body[] = [];
    const p2 = await jsonLinesServer("n2", (m, reply) => {
      seen.push(m.body);
      reply({ type: "append_ok", value: [m.body.value as number] });
    });
    const p1 = await jsonLinesServer("n1", (m, reply) => {
      seen.push(m.body);
      reply({ type: "error", code: 11, leader: "n2" });
    });
    const client = new KvClient({ nodes: ["n1", "n2"], transport: transport({ n1: p1, n2: p2 }), prng: createPrng("tcp") });
    const r = await client.append("k", 5);
    expect(r.outcome).toBe("ok");
    expect(seen.map((b) => [b.client_id, b.seq])).toEqual([
      [client.clientId, 1],
      [client.clientId, 1],
    ]);
  }, 10_000);
});

/**
 * A listener whose process is stopped (SIGSTOP) with its accept queue full:
 * the kernel drops further SYNs, so a new connect to it neither completes nor
 * fails, like a host that does not answer. Once resumed (SIGCONT) it accepts
 * again and answers each request with how many request lines it has seen.
 */
async function stalledListener(): Promise<{ port: number; resume(): void; stop(): void }> {
  const script = `
    const net = require("node:net");
    let seen = 0;
    const server = net.createServer((s) => {
      let buf = "";
      s.setEncoding("utf8");
      s.on("error", () => {});
      s.on("data", (chunk) => {
        buf += chunk;
        let nl;
        while ((nl = buf.indexOf("\\n")) >= 0) {
          const msg = JSON.parse(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
          seen++;
          s.write(JSON.stringify({ src: "n1", dest: msg.src, body: { type: "read_ok", value: seen, in_reply_to: msg.body.msg_id } }) + "\\n");
        }
      });
    });
    server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
      process.stdout.write(server.address().port + "\\n", () => process.kill(process.pid, "SIGSTOP"));
    });`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  cleanups.push(stop);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once("data", (d: Buffer) => resolve(Number(String(d).trim())));
    child.once("exit", () => reject(new Error("the listener exited before listening")));
  });
  // Fill the accept queue until a connect does not complete: the next ones will hang too.
  const fillers: net.Socket[] = [];
  for (let i = 0; ; i++) {
    if (i === 16) throw new Error("the stopped listener kept accepting connections");
    const s = net.createConnection({ port, host: "127.0.0.1" });
    s.on("error", () => {});
    fillers.push(s);
    const connected = await new Promise<boolean>((r) => {
      s.once("connect", () => r(true));
      setTimeout(() => r(false), 1000);
    });
    if (!connected) break;
  }
  return {
    port,
    resume() {
      for (const s of fillers) s.destroy();
      child.kill("SIGCONT");
    },
    stop() {
      for (const s of fillers) s.destroy();
      stop();
    },
  };
}

/** A JSON-lines server that records the type and key of every request it reads, and answers each. */
async function recordingServer(): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const port = await jsonLinesServer("n1", (m, reply) => {
    seen.push(`${m.body.type} ${String(m.body.key)}`);
    reply({ type: m.body.type === "read" ? "read_ok" : `${m.body.type}_ok`, value: null });
  });
  return { port, seen };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
});

const deeplyNested = (depth: number): Json => JSON.parse("[".repeat(depth) + "]".repeat(depth)) as Json;

describe("TcpTransport: what was never sent is known to be not sent", () => {
  test.each([
    ["a value nested deeper than JSON.stringify can go", deeplyNested(50_000)],
    ["a BigInt value", 10n as unknown as Json],
  ])("%s is answered at once with definite error 12 marked not_sent, and is never written to the node", async (_what, value) => {
    const server = await recordingServer();
    const t = transport({ n1: server.port });
    const reply = await t.send("n1", { type: "write", key: "bad", value }, 60_000);
    expect(reply).toMatchObject({ type: "error", code: 12, not_sent: true });
    expect(reply.text).toMatch(/^not sent: the request cannot be encoded as JSON \(/);
    // One connection carries both in order: had the first been written, the node would have read it first.
    await t.send("n1", { type: "read", key: "good" }, 10_000);
    expect(server.seen).toEqual(["read good"]);
  }, 10_000);

  test.each([
    ["NaN", Number.NaN, "value"],
    ["Infinity", Number.POSITIVE_INFINITY, "value"],
    ["-Infinity inside a list", [1, Number.NEGATIVE_INFINITY] as Json, "value[1]"],
    ["NaN inside an object", { a: { b: Number.NaN } } as Json, "value.a.b"],
  ])("a value holding %s (JSON would write null) is answered at once with definite error 12 marked not_sent, naming the field, and is never written", async (_what, value, field) => {
    const server = await recordingServer();
    const t = transport({ n1: server.port });
    const reply = await t.send("n1", { type: "write", key: "bad", value: value as Json }, 60_000);
    expect(reply).toMatchObject({ type: "error", code: 12, not_sent: true });
    expect(reply.text).toBe(`not sent: field "${field}": JSON has no NaN or Infinity (it would be sent as null); send a finite number`);
    await t.send("n1", { type: "read", key: "good" }, 10_000);
    expect(server.seen).toEqual(["read good"]);
  }, 10_000);

  test("a request line over maxLineBytes is answered at once with definite error 1002 marked not_sent, and is never written to the node", async () => {
    const server = await recordingServer();
    const t = new TcpTransport({ nodes: { n1: server.port }, maxLineBytes: 200 });
    transports.push(t);
    const reply = await t.send("n1", { type: "write", key: "big", value: "x".repeat(300) }, 60_000);
    expect(reply).toMatchObject({ type: "error", code: 1002, not_sent: true });
    expect(reply.text).toMatch(/^not sent: the request line is \d+ bytes, over the 200-byte line limit$/);
    await t.send("n1", { type: "write", key: "small", value: "x" }, 10_000);
    expect(server.seen).toEqual(["write small"]);
  }, 10_000);

  test("the client fails a request that cannot be encoded after one attempt, definitely, without retrying", async () => {
    const server = await recordingServer();
    const client = new KvClient({ nodes: ["n1"], transport: transport({ n1: server.port }), prng: createPrng("unencodable") });
    const r = await client.put("bad", deeplyNested(50_000));
    expect(r).toMatchObject({ outcome: "failed", attempts: 1, error: { code: 12, not_sent: true } });
    expect((await client.get("good")).outcome).toBe("ok");
    expect(server.seen).toEqual(["read good"]);
  }, 10_000);

  test("a host name that does not resolve rejects as refused (never delivered)", async () => {
    const t = new TcpTransport({ nodes: { n1: 9001 }, host: "nosuchhost.invalid" });
    transports.push(t);
    const err = await t.send("n1", { type: "read", key: "k" }, 10_000).catch((e: unknown) => e);
    expect(err).toMatchObject({ failure: "refused", maybeDelivered: false });
  }, 15_000);

  test("a connect still unfinished when the attempt times out rejects as refused, and that request is not written once the connection opens", async () => {
    const listener = await stalledListener();
    cleanups.push(() => listener.stop());
    const t = transport({ n1: listener.port });
    const err = await t.send("n1", { type: "read", key: "first" }, 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err).toMatchObject({ failure: "refused", maybeDelivered: false });
    expect((err as Error).message).toMatch(/^not sent: could not connect to 127\.0\.0\.1:\d+ within 300 ms$/);

    // Once the listener accepts, only the second request travels: it is the first line the node sees.
    listener.resume();
    const reply = await t.send("n1", { type: "read", key: "second" }, 20_000);
    expect(reply).toMatchObject({ type: "read_ok", value: 1 });
  }, 40_000);
});
