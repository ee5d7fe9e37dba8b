/**
 * The TCP transport: JSON lines to 127.0.0.1:<port>, one connection per node
 * (opened on first use, reopened after it breaks), replies routed to their
 * request by `in_reply_to`, and a timer per attempt. A shell: this is where
 * real sockets and timers live.
 *
 * Node ids map to ports through `nodes`. Ids are also learned from the `src`
 * of replies, and an unknown id of the form `n<k>` is guessed from a known
 * `n<j>` on port p as port p + (k - j): `kv-cluster` numbers nodes n1, n2, ...
 * on consecutive ports, so a redirect to a node the caller did not list can
 * still be followed.
 */
import { randomUUID } from "node:crypto";
import net from "node:net";
import { LineSplitter, type Body, type Message } from "@dslab/protocol";
import { TransportError, type Transport } from "./transport.js";

export interface TcpTransportOptions {
  /** Node id -> TCP port. */
  nodes: Record<string, number>;
  /** Default 127.0.0.1. */
  host?: string;
  /**
   * The `src` on every message. The TCP node routes replies by src, so it
   * must be unique among the node's clients. Default "c-" + a random id.
   */
  clientName?: string;
}

interface Pending {
  resolve(body: Body): void;
  reject(err: TransportError): void;
  timer: ReturnType<typeof setTimeout>;
  node: string;
}

interface Connection {
  socket: net.Socket;
  connected: boolean;
  pending: Map<number, Pending>;
}

export class TcpTransport implements Transport {
  private readonly host: string;
  private readonly clientName: string;
  private readonly ports = new Map<string, number>();
  private readonly connections = new Map<number, Connection>();
  private nextMsgId = 1;
  private closed = false;

  constructor(opts: TcpTransportOptions) {
    this.host = opts.host ?? "127.0.0.1";
    this.clientName = opts.clientName ?? `c-${randomUUID()}`;
    for (const [id, port] of Object.entries(opts.nodes)) this.ports.set(id, port);
  }

  /** The port a node id maps to (configured, learned, or guessed), if any. */
  portOf(node: string): number | undefined {
    const known = this.ports.get(node);
    if (known !== undefined) return known;
    const k = /^n(\d+)$/.exec(node);
    if (!k) return undefined;
    for (const [id, port] of this.ports) {
      const j = /^n(\d+)$/.exec(id);
      if (j) return port + (Number(k[1]) - Number(j[1]));
    }
    return undefined;
  }

  canReach(node: string): boolean {
    return this.portOf(node) !== undefined;
  }

  send(node: string, body: Body, timeoutMs: number): Promise<Body> {
    const port = this.portOf(node);
    if (this.closed) return Promise.reject(new TransportError("refused", node, "transport is closed"));
    if (port === undefined) return Promise.reject(new TransportError("refused", node, `no port known for node ${node}`));
    const conn = this.connection(port);
    const msgId = this.nextMsgId++;
    const message: Message = { src: this.clientName, dest: node, body: { ...body, msg_id: msgId } };
    return new Promise<Body>((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.pending.delete(msgId);
        reject(new TransportError("timeout", node, `no reply from ${node} (${this.host}:${port}) within ${timeoutMs} ms`));
      }, timeoutMs);
      conn.pending.set(msgId, { resolve, reject, timer, node });
      conn.socket.write(`${JSON.stringify(message)}\n`);
    });
  }

  private connection(port: number): Connection {
    const existing = this.connections.get(port);
    if (existing) return existing;
    const socket = net.createConnection({ host: this.host, port });
    socket.setNoDelay(true);
    socket.setEncoding("utf8");
    const conn: Connection = { socket, connected: false, pending: new Map() };
    this.connections.set(port, conn);
    const splitter = new LineSplitter();
    socket.on("connect", () => {
      conn.connected = true;
    });
    socket.on("data", (chunk: string) => {
      for (const { line, oversized } of splitter.push(chunk)) if (!oversized) this.onLine(conn, port, line);
    });
    const fail = (err?: Error) => {
      if (this.connections.get(port) === conn) this.connections.delete(port);
      // Before the connection was established nothing was delivered.
      const failure = conn.connected ? "disconnected" : "refused";
      for (const [id, p] of conn.pending) {
        clearTimeout(p.timer);
        conn.pending.delete(id);
        const what = conn.connected ? "connection to" : "could not connect to";
        p.reject(new TransportError(failure, p.node, `${what} ${this.host}:${port}: ${err?.message ?? "closed"}`, { cause: err }));
      }
      socket.destroy();
    };
    socket.on("error", fail);
    socket.on("close", () => fail());
    return conn;
  }

  private onLine(conn: Connection, port: number, line: string): void {
    let msg: Partial<Message>;
    try {
      msg = JSON.parse(line) as Partial<Message>;
    } catch {
      return; // Not ours to judge; a node prints only protocol lines.
    }
    const body = msg.body;
    if (!body || typeof body.in_reply_to !== "number") return;
    if (typeof msg.src === "string" && !this.ports.has(msg.src)) this.ports.set(msg.src, port);
    const p = conn.pending.get(body.in_reply_to);
    if (!p) return; // A late reply to an attempt that already timed out.
    conn.pending.delete(body.in_reply_to);
    clearTimeout(p.timer);
    p.resolve(body);
  }

  /** Close every connection; outstanding requests fail as disconnected. */
  close(): void {
    this.closed = true;
    for (const conn of this.connections.values()) conn.socket.destroy();
    this.connections.clear();
  }
}
