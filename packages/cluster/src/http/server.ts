/**
 * The HTTP front: a node:http server in front of one node's NodeRuntime.
 *
 * Idempotency-Key (IETF httpapi draft; payment-API practice):
 * - POST needs a key (400 without one); PUT and DELETE may carry one; GET
 *   ignores it.
 * - The request goes to the cluster with `idempotency_key` and a
 *   `fingerprint`; the replicated state machine applies it once and stores
 *   the reply per key (TTL 24 h by default, bounded), so a retry through any
 *   node, after failover or restart, gets the stored reply (`replayed: true`)
 *   -> the same status and body plus `Idempotent-Replayed: true`.
 * - Same key, different request: the state machine answers 1003 -> 422.
 * - Same key while the first is still in flight: 409, decided here when the
 *   first is in flight through this front, by the leader (1004) otherwise.
 *
 * A non-leader REDIRECTS (307, Location = the leader's HTTP URL from
 * `nodeHttpUrls`); it never proxies. 307 keeps the method, body and headers,
 * so fetch, curl -L and most HTTP clients follow it by themselves. While no
 * leader is known (an election) the front waits up to `noLeaderWaitMs`, then
 * answers 503 with Retry-After.
 *
 * Refused at the door with 400, before anything reaches the cluster: a
 * request target that is not a URL or not valid percent-encoding (routes.ts),
 * a request target with a query string (`?consistent=false`, `?ttl=5`, even
 * a bare `?`: the front takes no parameters, and one it ignored would let a
 * client believe it had taken effect; a redirect would carry it on too),
 * and a request carrying more than one Idempotency-Key header (node:http
 * would join them into one key "a, b", which no client meant).
 *
 * Connections: at most `maxConnections` open at once (idle keep-alive ones
 * included); one more is closed as soon as it is accepted, and logged (at
 * most once a second, with a count). Without the bound, connections left
 * open and idle would take every file descriptor the process may open, and
 * the node's TCP clients, peers and storage would have none left.
 *
 * A request that fails inside the front (a bug, or a runtime that throws) is
 * answered 500 with an incident id, and the node's log gets one line with
 * that id, the method, the target, the peer, the key and the error, followed
 * by the stack: the 500 says "see the node's log", so the log must have it.
 */
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { Body } from "@dslab/protocol";
import type { NodeRuntime } from "../contract.js";
import { fingerprint, parseIdempotencyKey } from "./idempotency-key.js";
import { DEFAULT_MAX_HTTP_CONNECTIONS } from "./bounds.js";
import { RateLimitedLog } from "../runtime/rate-limited-log.js";
import { errorJson, toHttp, type HttpResponse } from "./responses.js";
import { route } from "./routes.js";

export interface HttpFrontOptions {
  runtime: NodeRuntime;
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Node id -> base URL of that node's HTTP front, for redirects to the leader. */
  nodeHttpUrls?: Record<string, string>;
  /** How long one request may wait for the cluster. Default 5000 ms. */
  requestTimeoutMs?: number;
  /** How long to wait for a leader to be elected before answering 503. Default 3000 ms. */
  noLeaderWaitMs?: number;
  /** Largest accepted body. Default 1 MiB. */
  maxBodyBytes?: number;
  /** HTTP connections open at once. Default DEFAULT_MAX_HTTP_CONNECTIONS. */
  maxConnections?: number;
  /** Where internal errors are logged, a line at a time. Default: stderr, prefixed "<node id> | " like the node's own log. */
  log?: (line: string) => void;
}

export interface HttpFront {
  port: number;
  close(): Promise<void>;
}

const NO_LEADER_POLL_MS = 50;
/** Connections closed at the bound are logged at most once per this, with a count. */
const DROP_LOG_EVERY_MS = 1000;

/** A request's body, or why there is none to act on. */
type BodyRead = { ok: true; text: string } | { ok: false; why: "too-large" | "gone" };

/**
 * Reads the body up to `maxBytes`. A body past the bound (declared by
 * Content-Length, or counted as it streams in) is "too-large" at once,
 * without waiting for the rest; a client that closes the connection before
 * its body is complete is "gone" (no one is left to answer).
 */
function readBody(req: http.IncomingMessage, maxBytes: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    if (Number(req.headers["content-length"] ?? 0) > maxBytes) return resolve({ ok: false, why: "too-large" });
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= maxBytes) return void chunks.push(c);
      req.off("data", onData);
      resolve({ ok: false, why: "too-large" });
    };
    req.on("data", onData);
    req.on("end", () => resolve({ ok: true, text: Buffer.concat(chunks).toString("utf8") }));
    req.on("error", () => resolve({ ok: false, why: "gone" }));
  });
}

function send(res: http.ServerResponse, r: HttpResponse): void {
  const text = `${JSON.stringify(r.body)}\n`;
  res.writeHead(r.status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    ...r.headers,
  });
  res.end(text);
}

const httpError = (status: number, reason: string, message: string, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers,
  // A refusal of the front's own: nothing reached the cluster, so nothing was applied.
  body: errorJson(reason, reason, message, { definite: true }),
});

/** The most characters of a query string a refusal quotes; a longer one is cut, with its length said. */
const MAX_QUERY_SHOWN = 100;

/**
 * The refusal of a request target that holds a query string (from its `?`
 * on, before any `#`), or undefined for one that holds none. The query is
 * quoted as JSON, cut to MAX_QUERY_SHOWN characters.
 */
function queryRefusal(target: string): HttpResponse | undefined {
  const at = target.indexOf("?");
  if (at === -1) return undefined;
  const hash = target.indexOf("#", at);
  const query = target.slice(at, hash === -1 ? undefined : hash);
  const shown = query.length > MAX_QUERY_SHOWN ? `${JSON.stringify(query.slice(0, MAX_QUERY_SHOWN))}... (${query.length} characters)` : JSON.stringify(query);
  return httpError(
    400,
    "bad-query",
    `the request target has a query string ${shown}, and this front takes no query parameters; send the request without it`,
  );
}

export class HttpFrontServer {
  private readonly server: http.Server;
  /** Keys whose first request is being processed through this front -> its fingerprint. */
  private readonly inFlight = new Map<string, string>();
  private readonly opts: HttpFrontOptions;
  private readonly log: (line: string) => void;

  constructor(opts: HttpFrontOptions) {
    this.opts = opts;
    this.log = opts.log ?? ((line) => process.stderr.write(`${opts.runtime.id} | ${line}\n`));
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => this.internalError(req, res, e));
    });
    this.server.keepAliveTimeout = 30_000;
    const maxConnections = opts.maxConnections ?? DEFAULT_MAX_HTTP_CONNECTIONS;
    this.server.maxConnections = maxConnections;
    const drops = new RateLimitedLog((line) => this.log(line), Date.now, DROP_LOG_EVERY_MS);
    this.server.on("drop", (peer?: { remoteAddress?: string; remotePort?: number }) => {
      drops.line(
        "drop",
        `http: closed the connection from ${peer?.remoteAddress ?? "?"}:${peer?.remotePort ?? "?"} at once: ${maxConnections} HTTP connections are open, the most this front takes`,
      );
    });
  }

  async listen(): Promise<number> {
    const host = this.opts.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.opts.port, host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Answer 500 with an incident id, and log that id with what the request was and the error's stack. */
  private internalError(req: http.IncomingMessage, res: http.ServerResponse, e: unknown): void {
    const incident = randomBytes(4).toString("hex");
    const clip = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}...` : text);
    const target = clip(req.url ?? "");
    const key = req.headersDistinct["idempotency-key"]?.map(clip);
    const error = e instanceof Error ? e : new Error(String(e));
    this.log(
      `http: internal error ${incident}: ${req.method ?? "?"} ${JSON.stringify(target)} from ${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? "?"}` +
        `${key ? `, Idempotency-Key ${key.map((k) => JSON.stringify(k)).join(", ")}` : ""}` +
        `${res.headersSent ? ", after the response had started (connection dropped)" : ""}: ${error.name}: ${error.message}`,
    );
    for (const frame of (error.stack ?? "").split("\n").slice(1)) this.log(`http: internal error ${incident}:   ${frame.trim()}`);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    send(res, {
      status: 500,
      headers: {},
      // The request may have reached the cluster before the failure: not definite.
      body: errorJson("internal", "internal", `internal error ${incident}; see the node's log for that id`, { incident, definite: false }),
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://front.invalid");
    } catch {
      return send(res, httpError(400, "bad-path", `the request target ${JSON.stringify(req.url)} is not a valid URL`));
    }
    // Before the body is read and before anything is routed, proposed or redirected.
    const query = queryRefusal(req.url ?? "");
    if (query !== undefined) return send(res, query);
    const maxBodyBytes = this.opts.maxBodyBytes ?? 1024 * 1024;
    const body = await readBody(req, maxBodyBytes);
    if (!body.ok && body.why === "gone") return;
    if (!body.ok) {
      // The rest of the body is not read: the connection closes after the answer.
      return send(res, httpError(413, "body-too-large", `the request body is larger than ${maxBodyBytes} bytes, the most this front takes`, { Connection: "close" }));
    }
    const bodyText = body.text;
    const ifMatch = typeof req.headers["if-match"] === "string" ? req.headers["if-match"] : undefined;
    const routed = route(method, url.pathname, { ifMatch }, bodyText);
    if (!routed.ok) {
      const e = routed.error;
      return send(res, httpError(e.status, e.reason, e.message, e.headers));
    }
    const r = routed.route;

    // headersDistinct: node:http joins repeated headers with ", ", which would read two keys as one.
    const rawKeys = req.headersDistinct["idempotency-key"] ?? [];
    let key: string | undefined;
    if (r.usesIdempotencyKey && rawKeys.length > 1) {
      return send(
        res,
        httpError(
          400,
          "idempotency-key-repeated",
          `Idempotency-Key was sent ${rawKeys.length} times; send it once, with the one key that identifies this request`,
        ),
      );
    }
    const rawKey = rawKeys[0];
    if (r.usesIdempotencyKey && rawKey !== undefined) {
      const parsed = parseIdempotencyKey(rawKey);
      if (!parsed.ok) return send(res, httpError(400, "idempotency-key-invalid", parsed.message));
      key = parsed.key;
    }
    if (r.requiresIdempotencyKey && key === undefined) {
      return send(
        res,
        httpError(
          400,
          "idempotency-key-missing",
          `${method} ${url.pathname} is not idempotent: send an Idempotency-Key header (e.g. a UUID) and reuse it when you retry`,
        ),
      );
    }

    const request = { ...r.request } as Record<string, unknown>;
    if (key !== undefined) {
      const fp = fingerprint(method, url.pathname, ifMatch, bodyText);
      const running = this.inFlight.get(key);
      if (running !== undefined) {
        return send(
          res,
          running === fp
            ? httpError(409, "idempotency-key-in-flight", `a request with Idempotency-Key ${JSON.stringify(key)} is still being processed; retry later`, {
                "Retry-After": "1",
              })
            : httpError(422, "idempotency-key-reused", `Idempotency-Key ${JSON.stringify(key)} is in use for a different request`),
        );
      }
      request.idempotency_key = key;
      request.fingerprint = fp;
      this.inFlight.set(key, fp);
    }
    try {
      const reply = await this.submit(request as Body);
      if (reply.type === "error" && reply.code === 11 && typeof reply.leader === "string") {
        const target = this.opts.nodeHttpUrls?.[reply.leader];
        if (target !== undefined && reply.leader !== this.opts.runtime.id) {
          const location = new URL(url.pathname, target).href;
          return send(res, {
            status: 307,
            headers: { Location: location },
            body: errorJson(11, "temporarily-unavailable", `not the leader; repeat the request at ${location}`, { leader: reply.leader, definite: true }),
          });
        }
      }
      send(res, toHttp(reply, { preconditionStatus: r.preconditionStatus }));
    } finally {
      if (key !== undefined) this.inFlight.delete(key);
    }
  }

  /** Submits, waiting out a leaderless election (error 11 without leader is definite: safe to repeat). */
  private async submit(request: Body): Promise<Body> {
    const timeoutMs = this.opts.requestTimeoutMs ?? 5_000;
    const waitUntil = Date.now() + (this.opts.noLeaderWaitMs ?? 3_000);
    for (;;) {
      const reply = await this.opts.runtime.submit(request as never, { timeoutMs });
      const noLeader = reply.type === "error" && reply.code === 11 && typeof reply.leader !== "string";
      if (!noLeader || Date.now() + NO_LEADER_POLL_MS > waitUntil) return reply;
      await new Promise((r) => setTimeout(r, NO_LEADER_POLL_MS));
    }
  }
}

export async function startHttpFront(opts: HttpFrontOptions): Promise<HttpFront> {
  const server = new HttpFrontServer(opts);
  const port = await server.listen();
  return { port, close: () => server.close() };
}
