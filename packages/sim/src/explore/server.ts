/**
 * The explorer's HTTP server: one self-contained page and a small JSON API
 * over one `ExploreSession`, on 127.0.0.1 only.
 *
 *   GET  /              the page (page.ts): inline CSS and script, nothing fetched from elsewhere
 *   GET  /api/state     the session's snapshot (session.ts `SessionSnapshot`)
 *   HEAD on either GET route: the GET's status and headers (content-length included), no body
 *   POST /api/step      {"index": N} or {"id": "..."}: take an enabled event
 *   POST /api/back      one state back;  POST /api/forward: one ahead (the trace's next event at the path's end)
 *   POST /api/goto      {"position": N}: a state on the path
 *   POST /api/reset     the initial state (the trace's start when one is loaded)
 *   POST /api/rejoin    the loaded trace's path again, where the path left it
 *   POST /api/trace     the body is a trace file as `kv-sim search` writes it; ?name=FILE names it
 *
 * Every POST answers the new snapshot. Refusals are JSON `{"error": "..."}`:
 * 400 a malformed body or request target, 403 a Host header that does not name the loopback
 * address (a page elsewhere cannot reach the explorer through a DNS name),
 * or an action from a page of another origin (its Origin header, or its
 * Sec-Fetch-Site when the browser sends no Origin),
 * 404, 405 a method the route does not take (its Allow header names those it does),
 * 409 an action not possible in this state, 413 a body over
 * `maxBodyBytes`, 415 a POST that is not `application/json` (so a page from
 * another origin cannot send one without a preflight, which is refused),
 * 422 a trace that does not fit this scenario, 500 the scenario's code threw.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { renderPage } from "./page.js";
import { ExploreError, ExploreSession, SESSION_DEFAULTS } from "./session.js";
import { parseTrace, TraceFileError, type ExploreTrace } from "./trace-file.js";
import type { ExploreScenario } from "./types.js";

export const LOOPBACK = "127.0.0.1";

export interface ExplorerOptions {
  scenario: ExploreScenario;
  /** 0 (default): a free port the system picks. */
  port?: number;
  /** Largest request body read (default 1 MiB). */
  maxBodyBytes?: number;
  /** States kept on the path (default 10,000). */
  maxPathLength?: number;
  /** How long one call into the code under test (a step, listing the enabled events) may run before it is stopped (default 5 s). */
  maxCallMs?: number;
  /** The shape explored before any trace is loaded (default: the scenario's). */
  shape?: unknown;
  /** A trace to load before the server listens (a refusal throws `ExploreError`). */
  trace?: { trace: ExploreTrace; name: string };
}

export interface Explorer {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  port: number;
  session: ExploreSession;
  close(): Promise<void>;
}

export const EXPLORER_DEFAULTS = { maxBodyBytes: 1 << 20, maxPathLength: SESSION_DEFAULTS.maxPathLength, maxCallMs: SESSION_DEFAULTS.maxCallMs };

/** A body the explorer does not use (over the limit, or of a refused request or a GET) is still read and thrown away up to this many bytes, so the client sees the answer; past it the connection is cut. */
const DISCARD_MAX_BYTES = 64 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Answers `body` as JSON; to a HEAD, the same status and headers (content-length included) and no body. */
function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": Buffer.byteLength(text) });
  res.end(req.method === "HEAD" ? undefined : text);
}

/** The methods a route that is read takes: a HEAD is answered as the GET is, without the body. */
const READ_METHODS = ["GET", "HEAD"];

/** A 405 naming the methods the route takes (the Allow header). */
function notAllowed(message: string, methods: readonly string[]): HttpError {
  return Object.assign(new HttpError(405, message), { allow: methods.join(", ") });
}

const discarding = new WeakSet<IncomingMessage>();

/**
 * Throws away the rest of a body the explorer will not use (a refused
 * request's), so the client gets to read the answer; past
 * DISCARD_MAX_BYTES the connection is cut. Node would otherwise read it
 * all, however large, to reach the connection's next request.
 */
function discardBody(req: IncomingMessage): void {
  if (req.complete || discarding.has(req)) return;
  discarding.add(req);
  let discarded = 0;
  req.removeAllListeners("data");
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_MAX_BYTES) req.socket.destroy();
  });
  req.resume();
}

/** Before answering: a body left unread (a refusal before reading it, a 413, a GET with a body) is thrown away up to a bound, and the connection not kept. */
function closeIfUnread(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  res.setHeader("connection", "close");
  discardBody(req);
}

/** Reads the body up to `max` bytes; past it, a 413 (the rest is drained, not kept). */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    const tooLarge = () => new HttpError(413, `the body is larger than the explorer reads (${max} bytes)`);
    const drain = () => discardBody(req);
    if (Number.isFinite(declared) && declared > max) {
      drain();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        drain();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The body as a JSON object (an empty body is `{}`). */
function jsonObject(text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the body is not JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new HttpError(400, "the body must be a JSON object");
  return value as Record<string, unknown>;
}

function stepChoice(body: Record<string, unknown>): { index?: number; id?: string } {
  if (typeof body.id === "string") return { id: body.id };
  if (typeof body.index === "number" && Number.isInteger(body.index) && body.index >= 0) return { index: body.index };
  if ("index" in body) throw new HttpError(400, `index: expected an integer >= 0, got ${JSON.stringify(body.index)}`);
  if ("id" in body) throw new HttpError(400, `id: expected a string, got ${JSON.stringify(body.id)}`);
  throw new HttpError(400, 'name the event: {"index": N} or {"id": "..."} from the enabled events of /api/state');
}

function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `${LOOPBACK}:${port}` || host === `localhost:${port}`;
}

/**
 * Why a request that acts is not from the explorer's own page, or null when
 * it may be: its Origin names another origin, or (a browser that leaves the
 * Origin out) its Sec-Fetch-Site says another site or origin sent it. A
 * request with neither header (curl, a script) is not from a page at all.
 */
function foreignPage(req: IncomingMessage, port: number): string | null {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${LOOPBACK}:${port}` && origin !== `http://localhost:${port}`) return origin;
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return `a page of another origin (Sec-Fetch-Site: ${site})`;
  return null;
}

/**
 * The request's target as a URL on this server. A path is taken as it is
 * ("//x/y" is the path //x/y, not the host x); an absolute URL
 * ("http://127.0.0.1:PORT/...") is read as one; anything else is a 400.
 */
function requestUrl(target: string, port: number): URL {
  try {
    return target.startsWith("/") ? new URL(`http://${LOOPBACK}:${port}${target}`) : new URL(target);
  } catch {
    throw new HttpError(400, `the request target is not a path: ${JSON.stringify(target.slice(0, 200))}`);
  }
}

const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  // The page is self-contained: its own inline style and script, requests to this server only.
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
};

const POST_ROUTES = ["step", "back", "forward", "goto", "reset", "rejoin", "trace"] as const;

export async function startExplorer(options: ExplorerOptions): Promise<Explorer> {
  const maxBodyBytes = options.maxBodyBytes ?? EXPLORER_DEFAULTS.maxBodyBytes;
  const maxPathLength = options.maxPathLength ?? EXPLORER_DEFAULTS.maxPathLength;
  const session = new ExploreSession(options.scenario, { maxPathLength, maxCallMs: options.maxCallMs ?? EXPLORER_DEFAULTS.maxCallMs }, options.shape);
  if (options.trace) session.loadTrace(options.trace.trace, options.trace.name);
  const page = renderPage({ scenario: options.scenario.name });
  let port = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req.headers.host, port)) throw new HttpError(403, `the explorer answers only requests to ${LOOPBACK}:${port} or localhost:${port}`);
    // Besides the JSON content type (which a page elsewhere cannot send without a preflight, refused here): where it comes from.
    const foreign = req.method === "GET" || req.method === "HEAD" ? null : foreignPage(req, port);
    if (foreign !== null) throw new HttpError(403, `the explorer takes actions only from its own page (http://${LOOPBACK}:${port} or http://localhost:${port}), not from ${foreign}`);
    const url = requestUrl(req.url ?? "/", port);
    const path = url.pathname;
    if (path === "/" || path === "/index.html") {
      if (!READ_METHODS.includes(req.method ?? "")) throw notAllowed("the page is read with GET or HEAD", READ_METHODS);
      closeIfUnread(req, res);
      res.writeHead(200, { ...PAGE_HEADERS, "content-length": Buffer.byteLength(page) });
      res.end(req.method === "HEAD" ? undefined : page);
      return;
    }
    if (path === "/api/state") {
      if (!READ_METHODS.includes(req.method ?? "")) throw notAllowed("/api/state is read with GET or HEAD", READ_METHODS);
      closeIfUnread(req, res);
      send(req, res, 200, session.snapshot());
      return;
    }
    const action = /^\/api\/([a-z]+)$/.exec(path)?.[1];
    if (action === undefined || !(POST_ROUTES as readonly string[]).includes(action)) throw new HttpError(404, `no such page or API: ${path}`);
    if (req.method !== "POST") throw notAllowed(`${path} takes a POST`, ["POST"]);
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") {
      throw new HttpError(415, `send JSON with the header Content-Type: application/json (got ${JSON.stringify(type || "none")})`);
    }
    const text = await readBody(req, maxBodyBytes);
    switch (action) {
      case "step":
        session.take(stepChoice(jsonObject(text)));
        break;
      case "back":
        jsonObject(text);
        session.back();
        break;
      case "forward":
        jsonObject(text);
        session.forward();
        break;
      case "goto": {
        const body = jsonObject(text);
        session.goto(body.position as number);
        break;
      }
      case "reset":
        jsonObject(text);
        session.reset();
        break;
      case "rejoin":
        jsonObject(text);
        session.rejoin();
        break;
      case "trace": {
        let trace;
        try {
          trace = parseTrace(text, { maxEvents: maxPathLength - 1 });
        } catch (e) {
          if (e instanceof TraceFileError) throw new HttpError(400, `the trace file: ${e.message}`);
          throw e;
        }
        const name = (url.searchParams.get("name") ?? "").slice(0, 200) || "pasted trace";
        session.loadTrace(trace, name);
        break;
      }
    }
    send(req, res, 200, session.snapshot());
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError || e instanceof ExploreError ? e.status : 500;
      const message = e instanceof Error ? e.message : String(e);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const allow = (e as { allow?: string }).allow;
      if (allow !== undefined) res.setHeader("allow", allow);
      closeIfUnread(req, res);
      send(req, res, status, { error: status === 500 && !(e instanceof ExploreError) ? `internal error: ${message}` : message });
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, LOOPBACK, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${LOOPBACK}:${port}/`,
    port,
    session,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
