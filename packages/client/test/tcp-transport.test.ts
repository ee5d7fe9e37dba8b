/**
 * The TCP transport against a tiny real JSON-lines server started in the
 * test (DESIGN principle 4: real sockets, no mocks).
 */
import net from "node:net";
import { createPrng, type Body, type Message } from "@dslab/protocol";
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

describe("TcpTransport (issue 3: JSON lines over TCP, replies routed by in_reply_to)", () => {
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

  test("node ids are learned from replies, and n<k> is guessed from consecutive ports", async () => {
    const port = await jsonLinesServer("n2", (_m, reply) => reply({ type: "write_ok" }));
    const t = transport({ "127.0.0.1:x": port });
    expect(t.canReach("n3")).toBe(false);
    await t.send("127.0.0.1:x", { type: "write", key: "k", value: 1 }, 2000);
    expect(t.portOf("n2")).toBe(port);
    expect(t.portOf("n3")).toBe(port + 1);
    expect(t.portOf("leader")).toBeUndefined();
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
