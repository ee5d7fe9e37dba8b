/**
 * The TCP shell's network: JSON lines over localhost sockets.
 *
 * Trust boundaries:
 * - Anyone may connect. A connection is a *peer* connection only once it has
 *   proven the cluster secret with the peer handshake (peer-auth.ts) as its
 *   first lines; every other connection is a *client* connection. A Raft
 *   message (`raft_*`) is taken from a peer connection only, and only with
 *   `src` equal to the node id that connection proved. A Raft message on any
 *   other connection is refused with an error line, logged, and the
 *   connection is closed. A peer connection carries Raft messages only.
 * - A client may use any `src` but a node id (e.g. "c1"); replies to that src
 *   go back on the connection it last arrived on (route by src).
 * - To reach a peer, a node dials the peer's port (one outbound connection
 *   per peer), runs the handshake (checking the peer's proof as well), and
 *   only then sends. It reconnects with capped exponential backoff while the
 *   peer is down. Messages to a peer that is not connected are dropped:
 *   Raft retries.
 *
 * Bounds (each a named default below, each a flag of `kv-cluster`):
 * - client connections: at most `maxClientConnections`; one more gets an
 *   error 11 line and is closed.
 * - connections that have not yet said what they are (no first line yet, or
 *   a handshake in progress): at most `maxUnidentifiedConnections`, each for
 *   at most `handshakeTimeoutMs`; a new one past the bound closes the oldest
 *   (which has had the longest to speak). Peers never compete with client
 *   connections: a node whose client connections are at the cap still
 *   accepts and authenticates its peers.
 * - input held in unfinished lines over all client (and unidentified)
 *   connections: at most `maxBufferedInputBytes`; the connection whose bytes
 *   go past it gets an error 11 line and is closed. One client line is at
 *   most `maxLineBytes` (error 1002 beyond it); a peer line at most
 *   `maxPeerLineBytes`, and a peer has one inbound connection at a time.
 * - a client connection with no traffic either way for `idleTimeoutMs` gets
 *   an error 11 line and is closed. It may use at most MAX_SRCS_PER_CONNECTION
 *   different `src`s (error 10 for one more).
 * - output a connection leaves unread: MAX_UNREAD_OUTPUT_BYTES per connection,
 *   and `maxUnreadOutputBytes` over all client connections (the connection
 *   written to past it is dropped: there is no room for an error line).
 * - lines of one client connection handled in one turn of the event loop:
 *   MAX_CLIENT_LINES_PER_TURN (the rest wait, the socket paused), so one
 *   client's flood cannot hold the loop past an election timeout.
 * - refused connections waiting to read their error line: MAX_LINGERING_REFUSALS.
 *   So the node's sockets stay below the sum of these bounds (plus its peers).
 */
import net from "node:net";
import {
  DEFAULT_MAX_LINE_BYTES,
  ErrorCode,
  decodeLine,
  encodeMessage,
  errorBody,
  type Body,
  type Message,
  type SchemaTable,
} from "@dslab/protocol";
import { isRaftBody } from "../raft/messages.js";
import { DEFAULT_MAX_PEER_LINE_BYTES, UNKNOWN_SENDER, decodeInbound, isBlank, type RawLine } from "./inbound.js";
import { ConnectionLineReader } from "./line-reader.js";
import { RateLimitedLog } from "./rate-limited-log.js";
import { handshakeSchemas, isHandshakeType, isNonce, newNonce, proof, verifyProof } from "./peer-auth.js";

/** Client connections a node keeps open at once. */
export const DEFAULT_MAX_CLIENT_CONNECTIONS = 1024;
/** Bytes of unfinished lines held over all client connections together. */
export const DEFAULT_MAX_BUFFERED_INPUT_BYTES = 64 * 1024 * 1024;
/** A client connection with no traffic for this long is closed. */
export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60 * 1000;
/** A new connection must send its first line, and a peer finish its handshake, within this. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Connections that have not sent a first line or are in the peer handshake, at once. */
export const DEFAULT_MAX_UNIDENTIFIED_CONNECTIONS = 64;
/** Bytes of replies written to client connections and not yet taken by the kernel, over all of them. */
export const DEFAULT_MAX_UNREAD_OUTPUT_BYTES = 256 * 1024 * 1024;

export interface TcpTransportOptions {
  id: string;
  nodeIds: string[];
  /** Port of every node, this one included. */
  ports: Record<string, number>;
  host?: string;
  schemas: SchemaTable;
  /** The cluster secret peers prove to each other (cluster-secret.ts). */
  secret: Buffer;
  /** Bound on a client's line (default 1 MiB); peers may send up to maxPeerLineBytes (default 64 MiB). */
  maxLineBytes?: number;
  maxPeerLineBytes?: number;
  maxClientConnections?: number;
  maxBufferedInputBytes?: number;
  idleTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  maxUnidentifiedConnections?: number;
  maxUnreadOutputBytes?: number;
  /** A valid message for this node. */
  onMessage: (message: Message) => void;
  log: (line: string) => void;
  /** Reconnect backoff to a peer that is down. */
  reconnectMsMin?: number;
  reconnectMsMax?: number;
  /** The shell's clock, for spacing out repeated log lines. Default Date.now. */
  now?: () => number;
}

type ConnKind = "unidentified" | "handshake" | "client" | "peer";

/** One inbound connection. */
interface Conn {
  socket: net.Socket;
  /** For logs and errors: "tcp 127.0.0.1:53422". */
  source: string;
  kind: ConnKind;
  reader: ConnectionLineReader;
  /** Bytes of this connection counted in `clientBufferedBytes`. */
  counted: number;
  /** handshake: the node id it claims; peer: the node id it proved. */
  peerId: string | null;
  dialerNonce: string;
  acceptorNonce: string;
  deadline: NodeJS.Timeout | undefined;
  /** An error line went out and the connection is ending: its input is ignored. */
  closing: boolean;
  /** The client `src`s whose replies are routed to this connection. */
  srcs: Set<string>;
  /** Bytes of this connection counted in `clientUnreadBytes`. */
  unread: number;
  /** Lines read and not handled yet (the socket is paused meanwhile): see MAX_CLIENT_LINES_PER_TURN. */
  pending: RawLine[];
}

interface Peer {
  id: string;
  port: number;
  socket: net.Socket | null;
  /** The handshake completed: messages may be sent. */
  connected: boolean;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
  /** The last problem logged about this peer: each is logged once per outage, not once per retry. */
  lastReport: string | null;
}

/** Bound on a line the acceptor sends back to a dialing node (handshake lines and errors only). */
const MAX_HANDSHAKE_LINE_BYTES = 64 * 1024;
/** A connection we refused may take this long to read our error line and close before we cut it. */
const REFUSED_LINGER_MS = 2000;
/**
 * Refused connections allowed to linger at once; past it a refused connection
 * is cut at once. With the other bounds this caps the node's sockets (file
 * descriptors) whatever arrives, so its storage can always open its files.
 */
const MAX_LINGERING_REFUSALS = 256;
/** Client `src`s one connection may use (each is a route kept while the connection lives). */
const MAX_SRCS_PER_CONNECTION = 64;
/** Repeated refusals of one kind are logged at most once per this, with a count. */
const REFUSAL_LOG_EVERY_MS = 1000;
/**
 * Lines of one client connection handled in one turn of the event loop; the
 * rest wait for the next turn with the socket paused. A chunk of 64 KiB may
 * hold 32768 short lines, each answered; handled at once they would hold the
 * loop for longer than an election timeout, and a leader busy with one
 * client's flood would miss its heartbeats and lose its leadership.
 */
const MAX_CLIENT_LINES_PER_TURN = 256;

const dialerSchemas: SchemaTable = {
  peer_challenge: handshakeSchemas.peer_challenge!,
  peer_auth_ok: handshakeSchemas.peer_auth_ok!,
  error: { code: { kind: "nonnegint" }, text: { kind: "string", optional: true } },
};

export class TcpTransport {
  private readonly opts: Required<Omit<TcpTransportOptions, "host">> & { host: string };
  private readonly schemas: SchemaTable;
  private server: net.Server | null = null;
  private readonly peers = new Map<string, Peer>();
  private readonly clientRoutes = new Map<string, net.Socket>();
  private readonly conns = new Set<Conn>();
  private readonly unidentified = new Set<Conn>();
  private readonly clients = new Set<Conn>();
  /** The one authenticated inbound connection of each peer. */
  private readonly peerConns = new Map<string, Conn>();
  private clientBufferedBytes = 0;
  /** Output written to client connections that the kernel has not taken yet (at most this much: see afterClientFlush). */
  private clientUnreadBytes = 0;
  private lingering = 0;
  private readonly refusals = new RateLimitedLog(
    (line) => this.opts.log(line),
    () => this.opts.now(),
    REFUSAL_LOG_EVERY_MS,
  );
  private closed = false;

  constructor(opts: TcpTransportOptions) {
    this.opts = {
      host: "127.0.0.1",
      maxLineBytes: DEFAULT_MAX_LINE_BYTES,
      maxPeerLineBytes: DEFAULT_MAX_PEER_LINE_BYTES,
      maxClientConnections: DEFAULT_MAX_CLIENT_CONNECTIONS,
      maxBufferedInputBytes: DEFAULT_MAX_BUFFERED_INPUT_BYTES,
      idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS,
      handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
      maxUnidentifiedConnections: DEFAULT_MAX_UNIDENTIFIED_CONNECTIONS,
      maxUnreadOutputBytes: DEFAULT_MAX_UNREAD_OUTPUT_BYTES,
      reconnectMsMin: 50,
      reconnectMsMax: 1000,
      now: Date.now,
      ...opts,
    };
    if (opts.secret.length === 0) throw new Error("TcpTransport: the cluster secret is empty");
    this.schemas = { ...opts.schemas, ...handshakeSchemas };
  }

  get port(): number {
    return this.opts.ports[this.opts.id]!;
  }

  /** Connections by kind, for status and tests. */
  connectionCounts(): { open: number; clients: number; unidentified: number; peers: number; bufferedInputBytes: number } {
    return {
      open: this.conns.size,
      clients: this.clients.size,
      unidentified: this.unidentified.size,
      peers: this.peerConns.size,
      bufferedInputBytes: this.clientBufferedBytes,
    };
  }

  async listen(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, this.opts.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    // Out of file descriptors and the like: the server keeps listening; say so once in a while.
    server.on("error", (e) => this.refusals.line("accept", `cannot accept a connection: ${e.message}`));
    for (const id of this.opts.nodeIds) {
      if (id === this.opts.id) continue;
      const port = this.opts.ports[id];
      if (port === undefined) throw new Error(`no port for peer ${id}`);
      const peer: Peer = { id, port, socket: null, connected: false, backoffMs: this.opts.reconnectMsMin, timer: undefined, lastReport: null };
      this.peers.set(id, peer);
      this.dial(peer);
    }
  }

  /** Routes one outgoing message: to a peer's connection, or back to the client that sent `dest`. */
  send(message: Message): void {
    const peer = this.peers.get(message.dest);
    if (peer) {
      if (peer.connected && peer.socket) write(peer.socket, encodeMessage(message));
      return;
    }
    const socket = this.clientRoutes.get(message.dest);
    if (socket && !socket.destroyed) write(socket, encodeMessage(message));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const peer of this.peers.values()) {
      if (peer.timer) clearTimeout(peer.timer);
      peer.socket?.destroy();
    }
    for (const c of this.conns) {
      if (c.deadline) clearTimeout(c.deadline);
      c.socket.destroy();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ----------------------------------------------------------- inbound ----

  private accept(socket: net.Socket): void {
    if (this.closed) return void socket.destroy();
    socket.setNoDelay(true);
    socket.on("error", () => {});
    const conn: Conn = {
      socket,
      source: `tcp ${socket.remoteAddress}:${socket.remotePort}`,
      kind: "unidentified",
      reader: new ConnectionLineReader(this.opts.maxLineBytes),
      counted: 0,
      peerId: null,
      dialerNonce: "",
      acceptorNonce: "",
      deadline: undefined,
      closing: false,
      srcs: new Set(),
      unread: 0,
      pending: [],
    };
    this.conns.add(conn);
    socket.on("close", () => this.forget(conn));
    socket.on("data", (chunk: Buffer) => this.onData(conn, chunk));
    socket.on("end", () => {
      const rest = [...conn.pending.splice(0), ...conn.reader.end()];
      for (const raw of rest) if (!conn.closing) this.onLine(conn, raw);
      // Their replies leave now: the socket ends when this handler returns, before write() would flush them.
      flushNow(socket);
      socket.end();
    });
    if (this.unidentified.size >= this.opts.maxUnidentifiedConnections) {
      // The oldest has had the longest to speak: it makes room, so a flood of
      // silent connections cannot keep a client or a peer from being heard.
      const oldest = this.unidentified.values().next().value!;
      this.unidentified.delete(oldest);
      this.refuse(oldest, "unidentified-cap", ErrorCode.TemporarilyUnavailable,
        `${this.opts.id} has ${this.opts.maxUnidentifiedConnections} connections that have not yet sent a first line, the most it takes; ` +
          `closing the oldest (${oldest.source}); try again later`);
    }
    this.unidentified.add(conn);
    conn.deadline = setTimeout(() => {
      const what = conn.kind === "handshake" ? `did not finish the peer handshake` : `sent no line`;
      this.refuse(conn, "handshake-timeout", ErrorCode.TemporarilyUnavailable, `${conn.source} ${what} within ${this.opts.handshakeTimeoutMs} ms; closing it`);
    }, this.opts.handshakeTimeoutMs);
  }

  private onData(conn: Conn, chunk: Buffer): void {
    if (conn.closing) return;
    for (const raw of conn.reader.push(chunk)) conn.pending.push(raw);
    this.handlePending(conn);
    if (conn.closing) return;
    this.recount(conn);
    if (conn.kind !== "peer" && this.clientBufferedBytes > this.opts.maxBufferedInputBytes) {
      this.refuse(
        conn,
        "buffer-cap",
        ErrorCode.TemporarilyUnavailable,
        `${this.opts.id} holds more than ${this.opts.maxBufferedInputBytes} bytes of unfinished lines from client connections; ` +
          `the unfinished line on ${conn.source} (${conn.reader.bufferedBytes} bytes so far) is dropped and the connection closed; try again later`,
      );
    }
  }

  /** Handles the pending lines, at most MAX_CLIENT_LINES_PER_TURN of a non-peer connection, and the rest in later turns. */
  private handlePending(conn: Conn): void {
    const budget = conn.kind === "peer" ? conn.pending.length : MAX_CLIENT_LINES_PER_TURN;
    let handled = 0;
    while (handled < conn.pending.length && handled < budget && !conn.closing) this.onLine(conn, conn.pending[handled++]!);
    conn.pending.splice(0, handled);
    if (conn.closing) {
      conn.pending = [];
      return;
    }
    if (conn.pending.length === 0) return;
    // setImmediate runs after this turn's input; the timers (Raft's ticks) run before the next batch.
    conn.socket.pause();
    setImmediate(() => {
      if (conn.closing) return void (conn.pending = []);
      this.handlePending(conn);
      if (conn.pending.length === 0 && !conn.closing) conn.socket.resume();
    });
  }

  private countUnread(conn: Conn, bytes: number): void {
    this.clientUnreadBytes += bytes - conn.unread;
    conn.unread = bytes;
  }

  /**
   * After a write to a client connection: a client that does not read its
   * replies may not grow our memory past the total bound. The running total
   * only learns of what the kernel took at 'drain', so past the bound it is
   * recounted exactly before anyone is dropped.
   */
  private afterClientFlush(conn: Conn): void {
    this.countUnread(conn, conn.socket.writableLength);
    if (this.clientUnreadBytes <= this.opts.maxUnreadOutputBytes) return;
    for (const c of this.clients) this.countUnread(c, c.socket.writableLength);
    if (this.clientUnreadBytes <= this.opts.maxUnreadOutputBytes) return;
    this.refusals.line(
      "output-cap",
      `dropped client connection ${conn.source}: client connections leave more than ${this.opts.maxUnreadOutputBytes} bytes of replies unread, ${conn.unread} of them on this one`,
    );
    conn.closing = true;
    conn.socket.destroy();
  }

  /** Keep `clientBufferedBytes` equal to the unfinished bytes of every non-peer connection. */
  private recount(conn: Conn): void {
    const now = conn.kind === "peer" || conn.closing ? 0 : conn.reader.bufferedBytes;
    this.clientBufferedBytes += now - conn.counted;
    conn.counted = now;
  }

  private onLine(conn: Conn, raw: RawLine): void {
    if (isBlank(raw)) return;
    const decoded = decodeInbound(raw, {
      source: conn.source,
      nodeId: this.opts.id,
      schemas: this.schemas,
      maxLineBytes: conn.reader.maxLineBytes,
    });
    if (!decoded.ok) {
      if (conn.kind === "handshake") {
        return this.refuse(conn, "handshake", ErrorCode.MalformedRequest, `peer handshake on ${conn.source} failed: ${decoded.log}`);
      }
      if (conn.kind === "unidentified" && !this.becomeClient(conn, undefined)) return;
      this.refusals.line("bad-input", decoded.log);
      // The reply goes back on this connection whatever its dest says.
      write(conn.socket, encodeMessage(decoded.reply));
      return;
    }
    const message = decoded.message;
    const type = message.body.type;
    if (isHandshakeType(type)) return this.onHandshake(conn, message);
    if (isRaftBody(message.body)) {
      if (conn.kind !== "peer") {
        return this.refuse(
          conn,
          "raft-unauthenticated",
          ErrorCode.NotSupported,
          `refused ${type} from ${JSON.stringify(message.src)} on ${conn.source}: Raft messages are taken only from a peer that proved the cluster secret (peer handshake), and this connection has not`,
          message,
        );
      }
      if (message.src !== conn.peerId || message.dest !== this.opts.id) {
        this.refusals.line("raft-src", `dropped ${type} on the connection of peer ${conn.peerId} (${conn.source}): src ${JSON.stringify(message.src)} dest ${JSON.stringify(message.dest)}, expected src ${conn.peerId} dest ${this.opts.id}`);
        return;
      }
      this.opts.onMessage(message);
      return;
    }
    if (conn.kind === "peer") {
      this.refusals.line("peer-client-message", `dropped ${type} from peer ${conn.peerId} (${conn.source}): a peer connection carries Raft messages only`);
      return;
    }
    if (conn.kind === "handshake") {
      return this.refuse(conn, "handshake", ErrorCode.MalformedRequest, `peer handshake on ${conn.source} failed: expected peer_auth, got ${type}`, message);
    }
    if (conn.kind === "unidentified" && !this.becomeClient(conn, message)) return;
    if (this.opts.nodeIds.includes(message.src)) {
      const body: Body = errorBody(
        ErrorCode.MalformedRequest,
        `src ${JSON.stringify(message.src)} is the id of a node of this cluster; a client must use another src (e.g. "c1")`,
      );
      if (message.body.msg_id !== undefined) body.in_reply_to = message.body.msg_id;
      this.refusals.line("client-node-src", `refused ${type} on client connection ${conn.source}: it uses node id ${message.src} as src`);
      write(conn.socket, encodeMessage({ src: this.opts.id, dest: message.src, body }));
      return;
    }
    // A client: remember where to send its replies. It need not know our id.
    if (!conn.srcs.has(message.src)) {
      if (conn.srcs.size >= MAX_SRCS_PER_CONNECTION) {
        const body: Body = errorBody(
          ErrorCode.NotSupported,
          `more than ${MAX_SRCS_PER_CONNECTION} different src on one connection is not supported; open another connection`,
        );
        if (message.body.msg_id !== undefined) body.in_reply_to = message.body.msg_id;
        write(conn.socket, encodeMessage({ src: this.opts.id, dest: message.src, body }));
        return;
      }
      conn.srcs.add(message.src);
    }
    this.clientRoutes.set(message.src, conn.socket);
    message.dest = this.opts.id;
    this.opts.onMessage(message);
  }

  /** The first line of `conn` is a client's: count it against the client cap, or refuse it. */
  private becomeClient(conn: Conn, first: Pick<Message, "src" | "body"> | undefined): boolean {
    this.unidentified.delete(conn);
    if (conn.deadline) clearTimeout(conn.deadline);
    conn.deadline = undefined;
    if (this.clients.size >= this.opts.maxClientConnections) {
      this.refuse(
        conn,
        "client-cap",
        ErrorCode.TemporarilyUnavailable,
        `${this.opts.id} has ${this.clients.size} client connections open, the most it takes; try again later or reuse a connection`,
        first,
      );
      return false;
    }
    conn.kind = "client";
    this.clients.add(conn);
    flushHooks.set(conn.socket, () => this.afterClientFlush(conn));
    conn.socket.on("drain", () => this.countUnread(conn, 0));
    conn.socket.setTimeout(this.opts.idleTimeoutMs, () =>
      this.refuse(conn, "idle", ErrorCode.TemporarilyUnavailable, `closing ${conn.source}: no traffic for ${this.opts.idleTimeoutMs} ms`),
    );
    return true;
  }

  private onHandshake(conn: Conn, message: Message): void {
    const body = message.body as Body & { node?: string; nonce?: string; proof?: string };
    switch (body.type) {
      case "peer_hello": {
        if (conn.kind !== "unidentified") {
          return this.refuse(conn, "handshake", ErrorCode.MalformedRequest, `peer_hello on ${conn.source} is only taken as the first line of a connection`);
        }
        const node = body.node!;
        if (!this.peers.has(node)) {
          return this.refuse(conn, "handshake", ErrorCode.NodeNotFound,
            `peer handshake on ${conn.source} failed: ${JSON.stringify(node)} is not a peer of ${this.opts.id} (the cluster is ${this.opts.nodeIds.join(", ")})`);
        }
        if (!isNonce(body.nonce!)) {
          return this.refuse(conn, "handshake", ErrorCode.MalformedRequest, `peer handshake on ${conn.source} failed: field "body.nonce": expected 64 hex characters`);
        }
        conn.kind = "handshake";
        conn.peerId = node;
        conn.dialerNonce = body.nonce!;
        conn.acceptorNonce = newNonce();
        const challenge = proof(this.opts.secret, { role: "acceptor", self: this.opts.id, other: node, dialerNonce: conn.dialerNonce, acceptorNonce: conn.acceptorNonce });
        write(conn.socket, encodeMessage({ src: this.opts.id, dest: node, body: { type: "peer_challenge", node: this.opts.id, nonce: conn.acceptorNonce, proof: challenge } }));
        return;
      }
      case "peer_auth": {
        if (conn.kind !== "handshake") {
          return this.refuse(conn, "handshake", ErrorCode.MalformedRequest, `peer_auth on ${conn.source} without a peer_hello first`);
        }
        const id = conn.peerId!;
        const expected = { role: "dialer" as const, self: id, other: this.opts.id, dialerNonce: conn.dialerNonce, acceptorNonce: conn.acceptorNonce };
        if (!verifyProof(this.opts.secret, expected, body.proof!)) {
          return this.refuse(conn, "handshake-proof", ErrorCode.NotSupported,
            `refused peer ${id} on ${conn.source}: its proof of the cluster secret is wrong (does it use another secret file?)`);
        }
        this.unidentified.delete(conn);
        if (conn.deadline) clearTimeout(conn.deadline);
        conn.deadline = undefined;
        conn.kind = "peer";
        conn.reader.maxLineBytes = this.opts.maxPeerLineBytes;
        this.recount(conn);
        const previous = this.peerConns.get(id);
        if (previous) {
          previous.closing = true;
          previous.socket.destroy();
        }
        this.peerConns.set(id, conn);
        write(conn.socket, encodeMessage({ src: this.opts.id, dest: id, body: { type: "peer_auth_ok" } }));
        return;
      }
      default:
        return this.refuse(conn, "handshake", ErrorCode.MalformedRequest, `${body.type} on ${conn.source}: only a dialing peer sends peer_hello and peer_auth`);
    }
  }

  /**
   * Answers with one error line, logs why (repeats spaced out), and closes
   * the connection once the other side has had time to read the line.
   */
  private refuse(conn: Conn, reason: string, code: number, text: string, to?: Pick<Message, "src" | "body">): void {
    if (conn.closing) return;
    conn.closing = true;
    conn.reader.drop();
    this.recount(conn);
    this.refusals.line(reason, text);
    const body: Body = errorBody(code, text);
    if (to?.body.msg_id !== undefined) body.in_reply_to = to.body.msg_id;
    const line = encodeMessage({ src: this.opts.id, dest: to?.src ?? UNKNOWN_SENDER, body });
    const socket = conn.socket;
    socket.setTimeout(0);
    if (this.lingering >= MAX_LINGERING_REFUSALS) return void socket.destroy();
    endWith(socket, line);
    // Keep reading (and ignoring) until the other side closes, so our line is not lost to a reset.
    this.lingering++;
    const cut = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS);
    socket.once("close", () => {
      clearTimeout(cut);
      this.lingering--;
    });
  }

  private forget(conn: Conn): void {
    if (conn.deadline) clearTimeout(conn.deadline);
    conn.closing = true;
    conn.reader.drop();
    this.recount(conn);
    this.countUnread(conn, 0);
    this.conns.delete(conn);
    this.unidentified.delete(conn);
    this.clients.delete(conn);
    if (conn.peerId !== null && this.peerConns.get(conn.peerId) === conn) this.peerConns.delete(conn.peerId);
    for (const src of conn.srcs) if (this.clientRoutes.get(src) === conn.socket) this.clientRoutes.delete(src);
  }

  // ---------------------------------------------------------- outbound ----

  private dial(peer: Peer): void {
    if (this.closed) return;
    const socket = net.connect({ port: peer.port, host: this.opts.host });
    peer.socket = socket;
    socket.setNoDelay(true);
    const reader = new ConnectionLineReader(MAX_HANDSHAKE_LINE_BYTES);
    const dialerNonce = newNonce();
    let acceptorNonce = "";
    let deadline: NodeJS.Timeout | undefined;
    let failed = false;
    const report = (line: string) => {
      if (peer.lastReport !== line) this.opts.log(line);
      peer.lastReport = line;
    };
    const fail = (why: string) => {
      failed = true;
      report(`peer ${peer.id} (port ${peer.port}): ${why}`);
      socket.destroy();
    };
    socket.on("connect", () => {
      deadline = setTimeout(() => fail(`no answer to the peer handshake within ${this.opts.handshakeTimeoutMs} ms`), this.opts.handshakeTimeoutMs);
      write(socket, encodeMessage({ src: this.opts.id, dest: peer.id, body: { type: "peer_hello", node: this.opts.id, nonce: dialerNonce } }));
    });
    socket.on("data", (chunk: Buffer) => {
      for (const raw of reader.push(chunk)) {
        if (socket.destroyed) return;
        if (raw.oversized || raw.line.trim() === "") continue;
        const decoded = decodeLine(raw.line, { source: `peer ${peer.id} port ${peer.port}`, line: raw.lineNumber, schemas: dialerSchemas, maxLineBytes: MAX_HANDSHAKE_LINE_BYTES });
        if (!decoded.ok) continue;
        const body = decoded.message.body as Body & { node?: string; nonce?: string; proof?: string; text?: string };
        if (body.type === "error") {
          // Before the handshake is done an error is a refusal; after it, the peer found a line of ours bad.
          if (!peer.connected) return fail(`refused our connection: ${body.text ?? `error ${body.code}`}`);
          report(`peer ${peer.id} (port ${peer.port}) answered a line of ours with error ${body.code}: ${body.text ?? ""}`);
          continue;
        }
        if (body.type === "peer_challenge" && !acceptorNonce) {
          const expected = { role: "acceptor" as const, self: peer.id, other: this.opts.id, dialerNonce, acceptorNonce: body.nonce! };
          if (body.node !== peer.id || !isNonce(body.nonce!) || !verifyProof(this.opts.secret, expected, body.proof!)) {
            return fail(`the program on port ${peer.port} did not prove the cluster secret (another program on that port, or a node with another secret file); not sending to it`);
          }
          acceptorNonce = body.nonce!;
          const mine = proof(this.opts.secret, { role: "dialer", self: this.opts.id, other: peer.id, dialerNonce, acceptorNonce });
          write(socket, encodeMessage({ src: this.opts.id, dest: peer.id, body: { type: "peer_auth", proof: mine } }));
        } else if (body.type === "peer_auth_ok" && acceptorNonce && !peer.connected) {
          if (deadline) clearTimeout(deadline);
          peer.connected = true;
          peer.backoffMs = this.opts.reconnectMsMin;
          if (peer.lastReport !== null) this.opts.log(`connected to peer ${peer.id} (port ${peer.port}), handshake done`);
          peer.lastReport = null;
        }
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      if (deadline) clearTimeout(deadline);
      const wasConnected = peer.connected;
      peer.connected = false;
      peer.socket = null;
      if (this.closed) return;
      if (wasConnected) peer.lastReport = null;
      // A failed handshake has said why already.
      if (!failed) report(`peer ${peer.id} (port ${peer.port}) is unreachable; reconnecting with backoff up to ${this.opts.reconnectMsMax} ms`);
      peer.timer = setTimeout(() => this.dial(peer), peer.backoffMs);
      peer.backoffMs = Math.min(peer.backoffMs * 2, this.opts.reconnectMsMax);
    });
  }
}

/**
 * Bytes a connection may leave unread before it is dropped (a peer
 * connection is redialled; Raft resends what was lost).
 */
const MAX_UNREAD_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Lines queued per socket in this turn of the event loop. */
const outbox = new Map<net.Socket, string[]>();
/** Called after each write to a socket that has one (client connections: the total output bound). */
const flushHooks = new WeakMap<net.Socket, () => void>();

/**
 * One line; lines written in the same turn of the event loop leave in one
 * write (one syscall, one segment). The turn ends after every input that
 * arrived together has been handled (setImmediate runs after the poll
 * phase), so a leader answering many acknowledgements and requests at once
 * sends each follower one write, not one per input.
 */
function write(socket: net.Socket, line: string): void {
  let lines = outbox.get(socket);
  if (!lines) {
    lines = [];
    outbox.set(socket, lines);
    const queued = lines;
    setImmediate(() => {
      if (outbox.get(socket) === queued) flushNow(socket);
    });
  }
  lines.push(line);
}

/** The lines queued for `socket` in this turn, written now (at the end of the turn, or before our side ends). */
function flushNow(socket: net.Socket): void {
  const lines = outbox.get(socket);
  if (!lines) return;
  outbox.delete(socket);
  if (socket.destroyed || socket.writableEnded) return;
  socket.write(`${lines.join("\n")}\n`);
  if (socket.writableLength > MAX_UNREAD_OUTPUT_BYTES) {
    socket.destroy(new Error(`more than ${MAX_UNREAD_OUTPUT_BYTES} bytes unread by ${socket.remoteAddress}:${socket.remotePort}`));
    return;
  }
  flushHooks.get(socket)?.();
}

/** Lines still queued for `socket`, then `line`, then the end of our side of the connection. */
function endWith(socket: net.Socket, line: string): void {
  const queued = outbox.get(socket) ?? [];
  outbox.delete(socket);
  if (socket.destroyed || socket.writableEnded) return;
  socket.end(`${[...queued, line].join("\n")}\n`);
}
