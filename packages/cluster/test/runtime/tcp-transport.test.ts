/**
 * The TCP shell's trust boundary and bounds, on real sockets on 127.0.0.1:
 * peers prove the cluster secret before a Raft message is taken; client
 * connections, the input they buffer and their idle time are bounded, and
 * an over-limit connection is answered with an error line and closed while
 * everyone else keeps being served.
 */
import net from "node:net";
import readline from "node:readline";
import { clientSchemas, type Message } from "@dslab/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { raftSchemas } from "../../src/raft/messages.js";
import { newNonce, proof } from "../../src/runtime/peer-auth.js";
import { TcpTransport, type TcpTransportOptions } from "../../src/runtime/tcp-transport.js";
import { freePortRun, waitFor } from "../../src/testing/processes.js";

const SECRET = Buffer.from("a".repeat(64));
const OTHER_SECRET = Buffer.from("b".repeat(64));
const schemas = { ...clientSchemas, ...raftSchemas };

interface Node {
  transport: TcpTransport;
  received: Message[];
  logs: string[];
}

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

/** A transport whose node answers every client message with read_ok and records everything it is handed. */
async function node(id: string, ports: Record<string, number>, opts: Partial<TcpTransportOptions> = {}): Promise<Node> {
  const received: Message[] = [];
  const logs: string[] = [];
  const transport: TcpTransport = new TcpTransport({
    id,
    nodeIds: Object.keys(ports),
    ports,
    schemas,
    secret: SECRET,
    reconnectMsMin: 20,
    reconnectMsMax: 100,
    log: (l) => logs.push(l),
    onMessage: (m) => {
      received.push(m);
      if (!m.body.type.startsWith("raft_")) transport.send({ src: id, dest: m.src, body: { type: "read_ok", value: 1, in_reply_to: m.body.msg_id } });
    },
    ...opts,
  });
  await transport.listen();
  open.push(transport);
  return { transport, received, logs };
}

/** A raw client socket: JSON lines in and out, and when the node closed it. */
class Raw {
  readonly lines: any[] = [];
  readonly closed: Promise<void>;
  private constructor(readonly socket: net.Socket) {
    readline.createInterface({ input: socket }).on("line", (l) => this.lines.push(JSON.parse(l)));
    socket.on("error", () => {});
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
  }
  static connect(port: number): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: "127.0.0.1" });
      socket.once("connect", () => {
        const raw = new Raw(socket);
        open.push({ close: () => socket.destroy() });
        resolve(raw);
      });
      socket.once("error", reject);
    });
  }
  send(message: unknown): void {
    this.socket.write(`${JSON.stringify(message)}\n`);
  }
  next(pred: (m: any) => boolean, what: string, timeoutMs = 5000): Promise<any> {
    return waitFor(what, timeoutMs, async () => this.lines.find(pred) ?? null);
  }
  isClosed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded;
  }
}

const appendWithHighTerm = (src: string) => ({
  src,
  dest: "n1",
  body: { type: "raft_append", term: 1000, leader: src, prev_log_index: 0, prev_log_term: 0, entries: [], leader_commit: 0 },
});

/** Runs the dialer's side of the handshake by hand, as `nodeId`, with `secret`. */
async function handshake(raw: Raw, nodeId: string, acceptor: string, secret: Buffer, replayProof?: string): Promise<{ proof: string }> {
  const dialerNonce = newNonce();
  raw.send({ src: nodeId, dest: acceptor, body: { type: "peer_hello", node: nodeId, nonce: dialerNonce } });
  const challenge = await raw.next((m) => m.body.type === "peer_challenge", "peer_challenge");
  const mine = replayProof ?? proof(secret, { role: "dialer", self: nodeId, other: acceptor, dialerNonce, acceptorNonce: challenge.body.nonce });
  raw.send({ src: nodeId, dest: acceptor, body: { type: "peer_auth", proof: mine } });
  return { proof: mine };
}

describe("peers prove the cluster secret before a Raft message is taken", () => {
  it("two nodes with the same secret authenticate each other and exchange Raft messages", async () => {
    const base = await freePortRun(2);
    const ports = { n1: base, n2: base + 1 };
    const n1 = await node("n1", ports);
    const n2 = await node("n2", ports);
    await waitFor("n2 to deliver a raft message to n1", 5000, async () => {
      n2.transport.send({ src: "n2", dest: "n1", body: { type: "raft_append_ok", term: 1, success: true, match_index: 0 } });
      return n1.received.some((m) => m.src === "n2" && m.body.type === "raft_append_ok");
    });
    expect(n1.transport.connectionCounts().peers).toBe(1);
  });

  it("a raft_append with a high term on a client connection is refused with an error line, logged, and never reaches the node", async () => {
    const port = (await freePortRun(1)) as number;
    const n1 = await node("n1", { n1: port, n2: port + 100 });
    const raw = await Raw.connect(port);
    raw.send({ src: "c1", dest: "n1", body: { type: "read", key: "k", msg_id: 1 } });
    await raw.next((m) => m.body.in_reply_to === 1, "the read's answer");
    raw.send(appendWithHighTerm("n2"));
    const refusal = await raw.next((m) => m.body.type === "error", "the refusal");
    expect(refusal.body).toMatchObject({ code: 10 });
    expect(refusal.body.text).toMatch(/refused raft_append from "n2" on tcp 127\.0\.0\.1:\d+: Raft messages are taken only from a peer that proved the cluster secret/);
    await raw.closed;
    expect(n1.logs.join("\n")).toMatch(/refused raft_append from "n2" on tcp 127\.0\.0\.1:\d+/);
    expect(n1.received.filter((m) => m.body.type.startsWith("raft_"))).toEqual([]);
  });

  it("a connection whose proof was made with another secret is refused and logged; its Raft messages are not taken", async () => {
    const port = (await freePortRun(1)) as number;
    const n1 = await node("n1", { n1: port, n2: port + 100 });
    const raw = await Raw.connect(port);
    await handshake(raw, "n2", "n1", OTHER_SECRET);
    raw.send(appendWithHighTerm("n2"));
    const refusal = await raw.next((m) => m.body.type === "error", "the refusal");
    expect(refusal.body.text).toMatch(/refused peer n2 on tcp 127\.0\.0\.1:\d+: its proof of the cluster secret is wrong/);
    await raw.closed;
    expect(n1.logs.join("\n")).toMatch(/refused peer n2 .*proof of the cluster secret is wrong/);
    expect(n1.received).toEqual([]);
  });

  it("a node refuses to send to a program on a peer's port that cannot prove the secret", async () => {
    const base = await freePortRun(2);
    const ports = { n1: base, n2: base + 1 };
    const n1 = await node("n1", ports);
    const impostor = await node("n2", ports, { secret: OTHER_SECRET });
    n1.transport.send({ src: "n1", dest: "n2", body: { type: "raft_append_ok", term: 1, success: true, match_index: 0 } });
    await waitFor("n1 to say n2 did not prove the secret", 5000, async () => n1.logs.some((l) => /did not prove the cluster secret/.test(l)));
    for (let i = 0; i < 5; i++) n1.transport.send({ src: "n1", dest: "n2", body: { type: "raft_append_ok", term: 1, success: true, match_index: 0 } });
    await new Promise((r) => setTimeout(r, 200));
    expect(impostor.received).toEqual([]);
  });

  it("a proof seen on one connection does not open another (replay)", async () => {
    const port = (await freePortRun(1)) as number;
    const n1 = await node("n1", { n1: port, n2: port + 100 });
    const first = await Raw.connect(port);
    const { proof: seen } = await handshake(first, "n2", "n1", SECRET);
    await first.next((m) => m.body.type === "peer_auth_ok", "peer_auth_ok");
    const second = await Raw.connect(port);
    await handshake(second, "n2", "n1", SECRET, seen);
    await second.next((m) => m.body.type === "error" && /proof of the cluster secret is wrong/.test(m.body.text), "the refusal of the replay");
    await second.closed;
    expect(n1.transport.connectionCounts().peers).toBe(1);
  });

  it("on a proven peer connection, a message with another node's src is dropped and logged", async () => {
    const base = await freePortRun(1);
    const n1 = await node("n1", { n1: base, n2: base + 100, n3: base + 101 });
    const raw = await Raw.connect(base);
    await handshake(raw, "n2", "n1", SECRET);
    await raw.next((m) => m.body.type === "peer_auth_ok", "peer_auth_ok");
    raw.send(appendWithHighTerm("n3"));
    raw.send({ src: "n2", dest: "n1", body: { type: "raft_append_ok", term: 1, success: true, match_index: 0 } });
    await waitFor("the proven message", 5000, async () => n1.received.length > 0);
    expect(n1.received.map((m) => `${m.src} ${m.body.type}`)).toEqual(["n2 raft_append_ok"]);
    expect(n1.logs.join("\n")).toMatch(/dropped raft_append on the connection of peer n2 .*src "n3"/);
  });

  it("a client that uses a node id as its src is answered error 12 and not handed to the node", async () => {
    const base = await freePortRun(1);
    const n1 = await node("n1", { n1: base, n2: base + 100 });
    const raw = await Raw.connect(base);
    raw.send({ src: "n2", dest: "n1", body: { type: "read", key: "k", msg_id: 7 } });
    const reply = await raw.next((m) => m.body.in_reply_to === 7, "the answer");
    expect(reply.body).toMatchObject({ type: "error", code: 12 });
    expect(reply.body.text).toMatch(/src "n2" is the id of a node of this cluster/);
    expect(n1.received).toEqual([]);
  });
});

describe("connections and buffered input are bounded, and over-limit connections get an error rather than the node dying", () => {
  it("connections over the client cap are answered error 11 and closed while the clients within it keep being served", async () => {
    const base = await freePortRun(1);
    await node("n1", { n1: base, n2: base + 100 }, { maxClientConnections: 4 });
    const within = await Promise.all([0, 1, 2, 3].map(() => Raw.connect(base)));
    for (const [i, c] of within.entries()) {
      c.send({ src: `c${i}`, dest: "n1", body: { type: "read", key: "k", msg_id: 1 } });
      await c.next((m) => m.body.in_reply_to === 1, `c${i}'s answer`);
    }
    const over = await Promise.all(Array.from({ length: 30 }, () => Raw.connect(base)));
    over.forEach((c, i) => c.send({ src: `x${i}`, dest: "n1", body: { type: "read", key: "k", msg_id: 5 } }));
    for (const c of over) {
      const refusal = await c.next((m) => m.body.type === "error", "the refusal");
      expect(refusal.body).toMatchObject({ code: 11, in_reply_to: 5 });
      expect(refusal.body.text).toMatch(/n1 has 4 client connections open, the most it takes/);
      await c.closed;
    }
    for (const [i, c] of within.entries()) {
      c.send({ src: `c${i}`, dest: "n1", body: { type: "read", key: "k", msg_id: 2 } });
      expect((await c.next((m) => m.body.in_reply_to === 2, `c${i}'s second answer`)).body.type).toBe("read_ok");
    }
  });

  it("a connection holding a partial line past the total buffered-input cap is answered error 11 and closed, and the node keeps serving", async () => {
    const base = await freePortRun(1);
    const n1 = await node("n1", { n1: base, n2: base + 100 }, { maxBufferedInputBytes: 256 * 1024 });
    const hog = await Raw.connect(base);
    const chunk = `{"src":"c9","dest":"n1","body":{"type":"write","key":"k","value":"${"x".repeat(64 * 1024)}`;
    for (let i = 0; i < 6 && !hog.isClosed(); i++) hog.socket.write(chunk);
    const refusal = await hog.next((m) => m.body.type === "error", "the refusal");
    expect(refusal.body.code).toBe(11);
    expect(refusal.body.text).toMatch(/holds more than 262144 bytes of unfinished lines from client connections/);
    await hog.closed;
    await waitFor("the node to forget the connection", 5000, async () => n1.transport.connectionCounts().bufferedInputBytes === 0);
    const ok = await Raw.connect(base);
    ok.send({ src: "c1", dest: "n1", body: { type: "read", key: "k", msg_id: 1 } });
    expect((await ok.next((m) => m.body.in_reply_to === 1, "the answer")).body.type).toBe("read_ok");
  });

  it("an idle client connection is answered error 11 and closed after the idle timeout", async () => {
    const base = await freePortRun(1);
    const n1 = await node("n1", { n1: base, n2: base + 100 }, { idleTimeoutMs: 150 });
    const raw = await Raw.connect(base);
    raw.send({ src: "c1", dest: "n1", body: { type: "read", key: "k", msg_id: 1 } });
    await raw.next((m) => m.body.in_reply_to === 1, "the answer");
    const closing = await raw.next((m) => m.body.type === "error", "the idle notice", 10_000);
    expect(closing.body).toMatchObject({ code: 11 });
    expect(closing.body.text).toMatch(/no traffic for 150 ms/);
    await raw.closed;
    await waitFor("the node to forget the connection", 5000, async () => n1.transport.connectionCounts().clients === 0);
  });

  it("a connection that sends nothing is closed after the handshake timeout", async () => {
    const base = await freePortRun(1);
    const n1 = await node("n1", { n1: base, n2: base + 100 }, { handshakeTimeoutMs: 150 });
    const raw = await Raw.connect(base);
    await raw.closed;
    expect(raw.lines[0]?.body).toMatchObject({ type: "error", code: 11 });
    expect(raw.lines[0]?.body.text).toMatch(/sent no line within 150 ms/);
    await waitFor("the node to forget the connection", 5000, async () => n1.transport.connectionCounts().unidentified === 0);
  });

  it("a flood of silent connections holds a bounded number of sockets, and a client that speaks is still served", async () => {
    const base = await freePortRun(1);
    const n1 = await node("n1", { n1: base, n2: base + 100 }, { maxUnidentifiedConnections: 4 });
    let most = 0;
    for (let batch = 0; batch < 8; batch++) {
      await Promise.all(Array.from({ length: 50 }, () => Raw.connect(base)));
      most = Math.max(most, n1.transport.connectionCounts().open);
    }
    // 4 silent ones waiting for a first line, at most 256 refused ones lingering to read their error line.
    expect(most).toBeLessThanOrEqual(4 + 256);
    expect(n1.transport.connectionCounts().unidentified).toBe(4);
    const client = await Raw.connect(base);
    client.send({ src: "c1", dest: "n1", body: { type: "read", key: "k", msg_id: 1 } });
    expect((await client.next((m) => m.body.in_reply_to === 1, "the answer")).body.type).toBe("read_ok");
  });

  it("one client connection may use at most 64 different src, so the routes it makes the node keep are bounded", async () => {
    const base = await freePortRun(1);
    await node("n1", { n1: base, n2: base + 100 });
    const raw = await Raw.connect(base);
    for (let i = 0; i < 65; i++) raw.send({ src: `c${i}`, dest: "n1", body: { type: "read", key: "k", msg_id: i + 1 } });
    const last = await raw.next((m) => m.body.in_reply_to === 65, "the 65th answer");
    expect(last.body).toMatchObject({ type: "error", code: 10 });
    expect(last.body.text).toMatch(/more than 64 different src on one connection/);
    expect(raw.lines.filter((m) => m.body.type === "read_ok")).toHaveLength(64);
    raw.send({ src: "c0", dest: "n1", body: { type: "read", key: "k", msg_id: 100 } });
    expect((await raw.next((m) => m.body.in_reply_to === 100, "an answer to a known src")).body.type).toBe("read_ok");
  });

  it("a client that does not read its replies is dropped once replies unread over all clients pass the bound, and other clients are served", async () => {
    const base = await freePortRun(1);
    const big = "x".repeat(256 * 1024);
    let transport: TcpTransport | null = null;
    const n1 = await node("n1", { n1: base, n2: base + 100 }, {
      maxUnreadOutputBytes: 1024 * 1024,
      onMessage: (m) => transport!.send({ src: "n1", dest: m.src, body: { type: "read_ok", value: m.body.key === "big" ? big : 1, in_reply_to: m.body.msg_id } }),
    });
    transport = n1.transport;
    const reader = await Raw.connect(base);
    reader.send({ src: "c1", dest: "n1", body: { type: "read", key: "k", msg_id: 1 } });
    await reader.next((m) => m.body.in_reply_to === 1, "the first answer");

    const hog = await Raw.connect(base);
    hog.socket.pause();
    const dropped = () => n1.logs.some((l) => /dropped client connection .*replies unread/.test(l));
    for (let i = 1; i <= 200 && !hog.socket.destroyed && !dropped(); i++) {
      hog.send({ src: "hog", dest: "n1", body: { type: "read", key: "big", msg_id: i } });
      await new Promise((r) => setTimeout(r, 2));
    }
    await waitFor("the node to drop the connection that does not read", 10_000, async () => dropped());
    hog.socket.destroy();
    reader.send({ src: "c1", dest: "n1", body: { type: "read", key: "k", msg_id: 2 } });
    expect((await reader.next((m) => m.body.in_reply_to === 2, "an answer after the drop")).body.type).toBe("read_ok");
  });

  it("peer traffic flows while client connections are at the cap", async () => {
    const base = await freePortRun(2);
    const ports = { n1: base, n2: base + 1 };
    const n1 = await node("n1", ports, { maxClientConnections: 2 });
    const clients = await Promise.all([0, 1].map(() => Raw.connect(base)));
    for (const [i, c] of clients.entries()) {
      c.send({ src: `c${i}`, dest: "n1", body: { type: "read", key: "k", msg_id: 1 } });
      await c.next((m) => m.body.in_reply_to === 1, "an answer");
    }
    const over = await Raw.connect(base);
    over.send({ src: "c9", dest: "n1", body: { type: "read", key: "k", msg_id: 1 } });
    await over.next((m) => m.body.code === 11, "the refusal");
    expect(n1.transport.connectionCounts().clients).toBe(2);

    const n2 = await node("n2", ports);
    await waitFor("n2's Raft message to reach n1", 5000, async () => {
      n2.transport.send({ src: "n2", dest: "n1", body: { type: "raft_append_ok", term: 1, success: true, match_index: 0 } });
      return n1.received.some((m) => m.src === "n2");
    });
  });

  it("a peer may send lines longer than a client's bound once it has proven the secret", async () => {
    const base = await freePortRun(2);
    const ports = { n1: base, n2: base + 1 };
    const n1 = await node("n1", ports, { maxLineBytes: 1024 });
    const n2 = await node("n2", ports, { maxLineBytes: 1024 });
    const entries = [{ index: 1, term: 1, command: { kind: "noop", ts: 1, pad: "p".repeat(4096) } }];
    await waitFor("a long append to reach n1", 5000, async () => {
      n2.transport.send({ src: "n2", dest: "n1", body: { type: "raft_append", term: 1, leader: "n2", prev_log_index: 0, prev_log_term: 0, entries, leader_commit: 0 } });
      return n1.received.some((m) => m.body.type === "raft_append");
    });
    const client = await Raw.connect(base);
    client.send({ src: "c1", dest: "n1", body: { type: "write", key: "k", value: "v".repeat(4096), msg_id: 3 } });
    expect((await client.next((m) => m.body.type === "error", "the refusal")).body.code).toBe(1002);
  });
});
