/**
 * The TCP shell's network: JSON lines over localhost sockets.
 *
 * - Every node listens on its port. Anyone may connect and send lines.
 * - A connection whose lines carry a node id as `src` is a peer; the others
 *   are clients. A client may use any `src` (e.g. "c1"); replies to that src
 *   go back on the connection it last arrived on (route by src).
 * - To reach a peer, a node dials the peer's port (one outbound connection
 *   per peer) and reconnects with capped exponential backoff while the peer
 *   is down. Messages to a peer that is down are dropped: Raft retries.
 */
import net from "node:net";
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, encodeMessage, type Message, type SchemaTable } from "@dslab/protocol";
import { DEFAULT_MAX_PEER_LINE_BYTES, decodeInbound, isBlank } from "./inbound.js";

export interface TcpTransportOptions {
  id: string;
  nodeIds: string[];
  /** Port of every node, this one included. */
  ports: Record<string, number>;
  host?: string;
  schemas: SchemaTable;
  /** Bound on a client's line (default 1 MiB); peers may send up to maxPeerLineBytes (default 64 MiB). */
  maxLineBytes?: number;
  maxPeerLineBytes?: number;
  /** A valid message for this node. */
  onMessage: (message: Message) => void;
  log: (line: string) => void;
  /** Reconnect backoff to a peer that is down. */
  reconnectMsMin?: number;
  reconnectMsMax?: number;
}

interface Peer {
  id: string;
  port: number;
  socket: net.Socket | null;
  connected: boolean;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
  /** Logged once per outage, not once per retry. */
  reportedDown: boolean;
}

export class TcpTransport {
  private readonly opts: Required<Omit<TcpTransportOptions, "host">> & { host: string };
  private server: net.Server | null = null;
  private readonly peers = new Map<string, Peer>();
  private readonly clientRoutes = new Map<string, net.Socket>();
  private readonly inbound = new Set<net.Socket>();
  private closed = false;

  constructor(opts: TcpTransportOptions) {
    this.opts = {
      host: "127.0.0.1",
      maxLineBytes: DEFAULT_MAX_LINE_BYTES,
      maxPeerLineBytes: DEFAULT_MAX_PEER_LINE_BYTES,
      reconnectMsMin: 50,
      reconnectMsMax: 1000,
      ...opts,
    };
  }

  get port(): number {
    return this.opts.ports[this.opts.id]!;
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
    for (const id of this.opts.nodeIds) {
      if (id === this.opts.id) continue;
      const port = this.opts.ports[id];
      if (port === undefined) throw new Error(`no port for peer ${id}`);
      const peer: Peer = { id, port, socket: null, connected: false, backoffMs: this.opts.reconnectMsMin, timer: undefined, reportedDown: false };
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
    for (const s of this.inbound) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ----------------------------------------------------------- inbound ----

  private accept(socket: net.Socket): void {
    this.inbound.add(socket);
    socket.setNoDelay(true);
    socket.setEncoding("utf8");
    const source = `tcp ${socket.remoteAddress}:${socket.remotePort}`;
    const splitter = new LineSplitter(Math.max(this.opts.maxLineBytes, this.opts.maxPeerLineBytes));
    const handle = (raws: ReturnType<LineSplitter["push"]>) => {
      for (const raw of raws) {
        if (isBlank(raw)) continue;
        const decoded = decodeInbound(raw, {
          source,
          nodeId: this.opts.id,
          schemas: this.opts.schemas,
          maxLineBytes: this.opts.maxLineBytes,
          maxPeerLineBytes: this.opts.maxPeerLineBytes,
          isPeer: (src) => this.peers.has(src),
        });
        if (!decoded.ok) {
          this.opts.log(decoded.log);
          // The reply goes back on this connection whatever its dest says.
          write(socket, encodeMessage(decoded.reply));
          continue;
        }
        const message = decoded.message;
        if (!this.peers.has(message.src)) {
          // A client: remember where to send its replies. It need not know our id.
          this.clientRoutes.set(message.src, socket);
          message.dest = this.opts.id;
        }
        this.opts.onMessage(message);
      }
    };
    socket.on("data", (chunk: string) => handle(splitter.push(chunk)));
    socket.on("end", () => {
      handle(splitter.end());
      socket.end();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.inbound.delete(socket);
      for (const [src, s] of this.clientRoutes) if (s === socket) this.clientRoutes.delete(src);
    });
  }

  // ---------------------------------------------------------- outbound ----

  private dial(peer: Peer): void {
    if (this.closed) return;
    const socket = net.connect({ port: peer.port, host: this.opts.host });
    peer.socket = socket;
    socket.setNoDelay(true);
    socket.on("connect", () => {
      peer.connected = true;
      peer.backoffMs = this.opts.reconnectMsMin;
      if (peer.reportedDown) this.opts.log(`connected to peer ${peer.id} (port ${peer.port})`);
      peer.reportedDown = false;
    });
    // Peers never answer on our outbound connection, but drain it anyway.
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", () => {
      const wasConnected = peer.connected;
      peer.connected = false;
      peer.socket = null;
      if (this.closed) return;
      if (wasConnected || !peer.reportedDown) {
        this.opts.log(`peer ${peer.id} (port ${peer.port}) is unreachable; reconnecting with backoff up to ${this.opts.reconnectMsMax} ms`);
        peer.reportedDown = true;
      }
      peer.timer = setTimeout(() => this.dial(peer), peer.backoffMs);
      peer.backoffMs = Math.min(peer.backoffMs * 2, this.opts.reconnectMsMax);
    });
  }
}

/** Bytes a connection may leave unread before it is dropped. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** Lines queued per socket in this turn of the event loop. */
const outbox = new Map<net.Socket, string[]>();

/** One line; lines written in the same turn of the event loop leave in one write (one syscall, one segment). */
function write(socket: net.Socket, line: string): void {
  let lines = outbox.get(socket);
  if (!lines) {
    lines = [];
    outbox.set(socket, lines);
    process.nextTick(() => {
      outbox.delete(socket);
      if (socket.destroyed) return;
      socket.write(`${lines!.join("\n")}\n`);
      // A reader that stopped reading must not grow our memory without bound:
      // drop it (a peer connection is redialled; Raft resends what was lost).
      if (socket.writableLength > MAX_BUFFERED_BYTES) {
        socket.destroy(new Error(`more than ${MAX_BUFFERED_BYTES} bytes unread by ${socket.remoteAddress}:${socket.remotePort}`));
      }
    });
  }
  lines.push(line);
}
