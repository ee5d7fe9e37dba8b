/**
 * The TCP transport: JSON lines to 127.0.0.1:<port>, one connection per node
 * (opened on first use, reopened after it breaks), replies routed to their
 * request by `in_reply_to`, and a timer per attempt. A shell: this is where
 * real sockets and timers live.
 *
 * Node ids map to ports through `nodes`. Ids are also learned from the `src`
 * of replies: a caller that knows only ports names each by its address
 * (`127.0.0.1:9002`), and a redirect to the id that port answered as can
 * then be followed. A node's `status_ok` may also say where its fellow
 * members listen (`ports`), unless `followMembers` is false: then only the
 * ports the caller gave are ever connected to. An id neither a reply nor a status has shown is
 * never given a port: a guess (kv-cluster numbers ports in id order, but
 * nothing makes the caller list them so) would send a request to a port
 * that may be another node's, or nobody's.
 *
 * What was sent is known exactly, because that is what makes an outcome
 * definite:
 * - A request is encoded before anything else. One that cannot be (JSON
 *   cannot represent it, e.g. nesting deeper than the stack, a BigInt, a
 *   cycle, a NaN or Infinity that it would write as null; or its line is
 *   over `maxLineBytes`, which the node would refuse with 1002 without
 *   being able to say which request it refused) is never
 *   sent: `send` resolves at once with the definite error the node would have
 *   answered (12 malformed-request or 1002 request-too-large), marked
 *   `not_sent: true`, so the client fails it without retrying.
 * - A request is written to the socket only once the connection is open;
 *   until then it waits in the connection's `unsent` queue. A connection
 *   refused, a host that does not resolve, or a connect that has not finished
 *   when the attempt times out all fail the request as `refused`: never
 *   delivered. Only a request that was written can be `timeout` or
 *   `disconnected` (it may have been applied).
 * - A port whose first answer is not the line protocol (an HTTP status
 *   line, say: the node's HTTP front; or any first byte but the `{` that
 *   starts every line a node writes) has no kv node reading lines behind
 *   it, so nothing written there can be applied: its requests fail as
 *   `refused`, with a message that says what the port speaks, and so does
 *   every later request to it (`wrongProtocol(port)`).
 *
 * Replies are checked at the boundary as the nodes check requests
 * (`decodeLine`): a JSON object with `src`, `dest` and a body whose fields
 * have the protocol's types (an error's `code` a non-negative integer, ...),
 * nested at most MAX_MESSAGE_DEPTH levels, and of the type the request
 * expects (`<request>_ok` or `error`). A line that is none of these is not
 * a reply: what waits on its connection fails as `disconnected` (the request
 * was written and may have been applied) with a message that says what was
 * wrong, and the connection is closed. A well-formed reply to no request
 * waiting (late, duplicated, or for a request never sent) is dropped. A
 * reply line longer than `maxReplyLineBytes`, or one still growing past it,
 * fails them the same way, at once: nothing past the bound is kept, so there
 * is no reason to read on to its end.
 */
import { randomUUID } from "node:crypto";
import net from "node:net";
import {
  clientSchemas,
  decodeLine,
  DEFAULT_MAX_LINE_BYTES,
  encodeMessage,
  ErrorCode,
  LineSplitter,
  nonFiniteNumberPath,
  type Body,
  type ErrorBody,
  type Message,
  type SchemaTable,
} from "@dslab/protocol";
import { ClientError } from "../client.js";
import { MAX_TIMER_MS } from "../deps.js";
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
  /**
   * Longest request line sent, in UTF-8 bytes without the newline; a longer
   * one is answered with 1002 and never sent. Default 1 MiB, the nodes' own
   * default (`kv-node --max-line-bytes`).
   */
  maxLineBytes?: number;
  /**
   * Longest reply line read (counted in UTF-16 units, as the line splitter
   * counts), default 64 MiB. A node's reply has no bound of its own (a read
   * of a list grown by many appends), so this is well above the request
   * bound; a longer line, or one still growing past it, fails what waits on
   * the connection as disconnected, saying so, and the connection is closed.
   */
  maxReplyLineBytes?: number;
  /**
   * Whether a node's `status_ok` member list (`ports`) may give ports to ids
   * (default true): a client given one node's port finds the rest of the
   * cluster through it. False: only the ports in `nodes` are ever
   * connected to, whatever a node lists; ids are still learned from the
   * `src` of replies from those ports.
   */
  followMembers?: boolean;
}

/** Default bound on one reply line: 64 MiB. */
export const DEFAULT_MAX_REPLY_LINE_BYTES = 64 * 1024 * 1024;

interface Pending {
  resolve(body: Body): void;
  reject(err: TransportError): void;
  timer: ReturnType<typeof setTimeout>;
  node: string;
  /** The reply type that answers it besides `error`: `<request type>_ok`. */
  okType: string;
}

interface Connection {
  socket: net.Socket;
  connected: boolean;
  pending: Map<number, Pending>;
  /** Lines waiting for the connection to open, by msg_id: not written, so never delivered. */
  unsent: Map<number, string>;
  /** The first bytes received, until they show whether the peer speaks HTTP; null once known. */
  head: string | null;
  /** Whether a line has been read (only the first one is checked for the protocol). */
  readLine: boolean;
  /** Length of the line being received so far (since the last newline). */
  partialLength: number;
}

const HTTP_STATUS_LINE = /^HTTP\/\d/;
/** The most members a `status_ok`'s `ports` is read for, and the longest id taken from it. */
const MAX_MEMBERS = 64;
const MAX_ID_CHARS = 64;
/**
 * How long a redirect's reply waits while its node is asked where the
 * leader listens: a node that is up answers on loopback in a millisecond or two.
 */
const MEMBERS_TIMEOUT_MS = 300;

/**
 * What a node may answer: the client operations' `*_ok` bodies and `error`
 * (clientSchemas), and `status_ok`, whose fields kv status and the member
 * list read one by one, each for its own type.
 */
const REPLY_SCHEMAS: SchemaTable = {
  ...Object.fromEntries(Object.entries(clientSchemas).filter(([type]) => type === "error" || type.endsWith("_ok"))),
  status_ok: {},
};

/** A request line, or why it cannot be sent: the error the node would have answered. */
export type EncodedRequest = { ok: true; line: string } | { ok: false; error: ErrorBody };

/**
 * Encode one request message as the line the node would read (without the
 * newline), or say why it cannot be sent. Never throws.
 */
export function encodeRequest(message: Message, maxLineBytes: number = DEFAULT_MAX_LINE_BYTES): EncodedRequest {
  // JSON.stringify writes NaN and Infinity as null: the node would store a
  // value the caller never gave, so such a request is not sent at all.
  const nonFinite = nonFiniteNumberPath(message.body);
  if (nonFinite !== null) {
    return {
      ok: false,
      error: notSent(ErrorCode.MalformedRequest, `field "${nonFinite.replace(/^\./, "")}": JSON has no NaN or Infinity (it would be sent as null); send a finite number`),
    };
  }
  let line: string;
  try {
    line = encodeMessage(message);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { ok: false, error: notSent(ErrorCode.MalformedRequest, `the request cannot be encoded as JSON (${why})`) };
  }
  // String length is a lower bound on the UTF-8 size: only a long line needs counting.
  const bytes = line.length > maxLineBytes ? Buffer.byteLength(line, "utf8") : 0;
  if (bytes > maxLineBytes) {
    return {
      ok: false,
      error: notSent(ErrorCode.RequestTooLarge, `the request line is ${bytes} bytes, over the ${maxLineBytes}-byte line limit`),
    };
  }
  return { ok: true, line };
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

function notSent(code: number, why: string): ErrorBody {
  return { type: "error", code, text: `not sent: ${why}`, not_sent: true };
}

export class TcpTransport implements Transport {
  private readonly host: string;
  private readonly clientName: string;
  private readonly maxLineBytes: number;
  private readonly maxReplyLineBytes: number;
  private readonly followMembers: boolean;
  private readonly ports = new Map<string, number>();
  private readonly connections = new Map<number, Connection>();
  /** Ids whose port only a member list said (hearsay): the node's own reply, when one comes, says better. */
  private readonly listedOnly = new Set<string>();
  /** Port -> the id its node's replies carry as `src`. */
  private readonly learned = new Map<number, string>();
  /** Ports already asked for their members after a redirect to an unknown id. */
  private readonly askedMembers = new Set<number>();
  /** Port -> why it is not a kv node. */
  private readonly wrongProtocols = new Map<number, string>();
  private nextMsgId = 1;
  private closed = false;

  constructor(opts: TcpTransportOptions) {
    this.host = opts.host ?? "127.0.0.1";
    this.clientName = opts.clientName ?? `c-${randomUUID()}`;
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.maxReplyLineBytes = opts.maxReplyLineBytes ?? DEFAULT_MAX_REPLY_LINE_BYTES;
    this.followMembers = opts.followMembers ?? true;
    for (const [id, port] of Object.entries(opts.nodes)) {
      // Checked here: a bad port would otherwise throw from inside the first send, after the client counted it as sent.
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new ClientError("E_CLIENT_OPTIONS", `nodes.${id}: expected a TCP port (an integer from 1 to 65535), got ${JSON.stringify(port) ?? String(port)}`);
      }
      this.ports.set(id, port);
    }
  }

  /** The port a node id maps to (configured, or learned from the `src` of a reply), if any. */
  portOf(node: string): number | undefined {
    return this.ports.get(node);
  }

  /** Every node this transport can address: the ones it was given, the ids replies showed, the members statuses listed. */
  knownNodes(): Array<[node: string, port: number]> {
    return [...this.ports];
  }

  /** The id a port's node answered as, once one of its replies has shown it. */
  idOfPort(port: number): string | undefined {
    return this.learned.get(port);
  }

  /**
   * Asks every configured address for its `status` at once, so that each
   * port's node id is known (from the reply's `src`) before the first
   * request: a follower's redirect to the leader's id then goes straight to
   * its port. A node that does not answer within `timeoutMs` stays
   * unidentified; nothing fails here.
   */
  async identify(timeoutMs: number): Promise<void> {
    const unnamed = [...this.ports].filter(([, port]) => !this.learned.has(port)).map(([name]) => name);
    await Promise.all(unnamed.map((name) => this.send(name, { type: "status" }, timeoutMs).catch(() => undefined)));
  }

  canReach(node: string): boolean {
    return this.portOf(node) !== undefined;
  }

  send(node: string, body: Body, timeoutMs: number): Promise<Body> {
    const port = this.portOf(node);
    if (this.closed) return Promise.reject(new TransportError("refused", node, "transport is closed"));
    if (port === undefined) return Promise.reject(new TransportError("refused", node, `no port known for node ${node}`));
    const wrongProtocol = this.wrongProtocols.get(port);
    if (wrongProtocol !== undefined) return Promise.reject(new TransportError("refused", node, wrongProtocol));
    const msgId = this.nextMsgId++;
    const encoded = encodeRequest({ src: this.clientName, dest: node, body: { ...body, msg_id: msgId } }, this.maxLineBytes);
    if (!encoded.ok) return Promise.resolve(encoded.error);
    const conn = this.connection(port);
    return new Promise<Body>((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.pending.delete(msgId);
        if (conn.unsent.delete(msgId)) {
          reject(new TransportError("refused", node, `not sent: could not connect to ${this.host}:${port} within ${timeoutMs} ms`));
        } else {
          reject(new TransportError("timeout", node, `no reply from ${node} (${this.host}:${port}) within ${timeoutMs} ms`));
        }
        // Capped: a timeout beyond what setTimeout keeps would fire at once, failing the attempt as it is sent.
      }, Math.min(timeoutMs, MAX_TIMER_MS));
      conn.pending.set(msgId, { resolve, reject, timer, node, okType: `${body.type}_ok` });
      if (conn.connected) conn.socket.write(`${encoded.line}\n`);
      else conn.unsent.set(msgId, encoded.line);
    });
  }

  private connection(port: number): Connection {
    const existing = this.connections.get(port);
    if (existing) return existing;
    const socket = net.createConnection({ host: this.host, port });
    socket.setNoDelay(true);
    socket.setEncoding("utf8");
    const conn: Connection = { socket, connected: false, pending: new Map(), unsent: new Map(), head: "", readLine: false, partialLength: 0 };
    this.connections.set(port, conn);
    const splitter = new LineSplitter(this.maxReplyLineBytes);
    socket.on("connect", () => {
      conn.connected = true;
      for (const line of conn.unsent.values()) socket.write(`${line}\n`);
      conn.unsent.clear();
    });
    socket.on("data", (chunk: string) => {
      if (conn.head !== null) {
        conn.head += chunk;
        if (HTTP_STATUS_LINE.test(conn.head)) {
          this.refuseWrongProtocol(conn, port, `port ${port} speaks HTTP, not the kv line protocol: use curl, or the node's TCP port`);
          return;
        }
        if (conn.head.length >= "HTTP/1".length || !"HTTP/1".startsWith(conn.head)) {
          const head = conn.head;
          conn.head = null;
          // Every line a node writes is a JSON object. Anything else first (a
          // TLS alert, a binary protocol) means no node is there, even if no
          // newline ever comes.
          if (!head.startsWith("{")) {
            const first = head.split("\n", 1)[0]!;
            const shown = first.length > 60 ? `${first.slice(0, 60)}...` : first;
            this.refuseWrongProtocol(conn, port, `port ${port} does not speak the kv line protocol: it answered ${JSON.stringify(shown)}`);
            return;
          }
        }
      }
      for (const { line, lineNumber, oversized } of splitter.push(chunk)) {
        // A reply that ended the connection leaves the rest of the chunk unread.
        if (this.connections.get(port) !== conn) return;
        if (oversized) this.dropConnection(conn, port, `line ${lineNumber} from ${this.host}:${port} is longer than the ${this.maxReplyLineBytes}-byte reply line limit`);
        else this.onLine(conn, port, line, lineNumber);
      }
      const lastNewline = chunk.lastIndexOf("\n");
      conn.partialLength = lastNewline === -1 ? conn.partialLength + chunk.length : chunk.length - lastNewline - 1;
      if (conn.partialLength > this.maxReplyLineBytes && this.connections.get(port) === conn) {
        // No need to read on to its end: nothing past the bound is kept anyway.
        this.dropConnection(conn, port, `a line from ${this.host}:${port} runs past the ${this.maxReplyLineBytes}-byte reply line limit without ending`);
      }
    });
    const fail = (err?: Error) => {
      if (this.connections.get(port) === conn) this.connections.delete(port);
      for (const [id, p] of conn.pending) {
        clearTimeout(p.timer);
        conn.pending.delete(id);
        // A request still queued was never written: it certainly did not arrive.
        const error = conn.unsent.delete(id)
          ? new TransportError("refused", p.node, `not sent: could not connect to ${this.host}:${port}: ${err?.message ?? "closed"}`, { cause: err })
          : new TransportError("disconnected", p.node, `connection to ${this.host}:${port}: ${err?.message ?? "closed"}`, { cause: err });
        p.reject(error);
      }
      socket.destroy();
    };
    socket.on("error", fail);
    socket.on("close", () => fail());
    return conn;
  }

  private onLine(conn: Connection, port: number, line: string, lineNumber: number): void {
    const first = !conn.readLine;
    conn.readLine = true;
    const decoded = decodeLine(line, { schemas: REPLY_SCHEMAS, maxLineBytes: Number.MAX_SAFE_INTEGER });
    if (!decoded.ok) {
      // A node writes only protocol lines; a first line that is not even JSON means no node is there.
      if (first && !isJson(line)) {
        const shown = line.length > 60 ? `${line.slice(0, 60)}...` : line;
        this.refuseWrongProtocol(conn, port, `port ${port} does not speak the kv line protocol: it answered ${JSON.stringify(shown)}`);
      } else {
        this.dropConnection(conn, port, `line ${lineNumber} from ${this.host}:${port} is not a reply: ${decoded.error.message}`);
      }
      return;
    }
    const msg = decoded.message;
    const body = msg.body;
    if (body.in_reply_to === undefined) return;
    // `not_sent` marks an answer this transport made up for a request it never
    // wrote; on a line read off the network it would claim what is false (the
    // request was written), and the client would call an outcome definite.
    delete body.not_sent;
    const p = conn.pending.get(body.in_reply_to);
    if (!p) return; // A late reply to an attempt that already timed out, or to no request at all.
    if (body.type !== p.okType && body.type !== "error") {
      this.dropConnection(conn, port, `line ${lineNumber} from ${this.host}:${port} answers a ${p.okType.slice(0, -3)} request with ${JSON.stringify(body.type)}, not ${p.okType} or error`);
      return;
    }
    conn.pending.delete(body.in_reply_to);
    clearTimeout(p.timer);
    // Learned only from the answer to a request sent: a node that floods
    // unasked lines, each with a new src or 64 new members, adds nothing.
    if (!this.ports.has(msg.src) || this.listedOnly.delete(msg.src)) this.ports.set(msg.src, port);
    this.learned.set(port, msg.src);
    if (!this.followMembers) {
      p.resolve(body);
      return;
    }
    if (body.type === "status_ok") this.learnMembers(body.ports);
    const leader = body.type === "error" && body.code === ErrorCode.TemporarilyUnavailable ? body.leader : undefined;
    if (typeof leader === "string" && leader !== "" && !this.ports.has(leader) && !this.askedMembers.has(port)) {
      // A redirect to a node we cannot address: ask the node that named it
      // where its members listen (once per port), then hand over the reply.
      this.askedMembers.add(port);
      void this.send(msg.src, { type: "status" }, MEMBERS_TIMEOUT_MS)
        .catch(() => undefined)
        .then(() => p.resolve(body));
      return;
    }
    p.resolve(body);
  }

  /**
   * A node's `status_ok` may list where every member of its cluster listens
   * (`ports: { n1: 9001, ... }`, as the node was configured): the ids it
   * names that no reply has shown yet get those ports, so a redirect to the
   * leader is followed even when only a follower's port was given. The node
   * says where its peers are; nothing is guessed. Entries that are not a
   * short id and a port number are ignored, and so is anything past the
   * first `MAX_MEMBERS`.
   */
  private learnMembers(ports: unknown): void {
    if (typeof ports !== "object" || ports === null || Array.isArray(ports)) return;
    let seen = 0;
    for (const id in ports) {
      if (!Object.hasOwn(ports, id)) continue;
      if (++seen > MAX_MEMBERS) return;
      const port = (ports as Record<string, unknown>)[id];
      if (id.length === 0 || id.length > MAX_ID_CHARS || !Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) continue;
      if (this.ports.has(id)) continue;
      this.ports.set(id, port as number);
      this.listedOnly.add(id);
    }
  }

  /**
   * The peer on `port` is not a kv node: fail what waits for it as refused
   * (no node read it, so nothing was applied), and every later request too.
   */
  private refuseWrongProtocol(conn: Connection, port: number, message: string): void {
    this.wrongProtocols.set(port, message);
    if (this.connections.get(port) === conn) this.connections.delete(port);
    for (const [id, p] of conn.pending) {
      clearTimeout(p.timer);
      conn.pending.delete(id);
      p.reject(new TransportError("refused", p.node, message));
    }
    conn.socket.destroy();
  }

  /**
   * The peer on `port` broke the protocol after requests were written to
   * it: they fail as disconnected (each may have been applied), saying why,
   * and the connection is closed; the next send opens a new one.
   */
  private dropConnection(conn: Connection, port: number, message: string): void {
    if (this.connections.get(port) === conn) this.connections.delete(port);
    for (const [id, p] of conn.pending) {
      clearTimeout(p.timer);
      conn.pending.delete(id);
      p.reject(new TransportError("disconnected", p.node, `${message}; connection closed`));
    }
    conn.socket.destroy();
  }

  /** Why the port is not a kv node (it answered HTTP, or a first line that is not the protocol), if it is not. */
  wrongProtocol(port: number): string | undefined {
    return this.wrongProtocols.get(port);
  }

  /** Close every connection; outstanding requests fail as disconnected (or refused, if never written). */
  close(): void {
    this.closed = true;
    for (const conn of this.connections.values()) conn.socket.destroy();
    this.connections.clear();
  }
}
