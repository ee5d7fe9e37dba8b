/**
 * The payment API around the workbook's IdempotencyHandler: a real node:http
 * server on 127.0.0.1 with one endpoint, `POST /payments`, whose JSON body
 * names a payment (`{"amount": 100, "currency": "EUR", "to": "acct-1"}`,
 * amount in minor units). Behind the handler a ledger applies each payment
 * it is given and notes the Idempotency-Key it came with, so a check can
 * count how many times one payment was made.
 *
 * Refused before the handler sees the request: another path (404) or method
 * (405), a body over `maxBodyBytes` (413), a body that is not a JSON object
 * or nests deeper than MAX_JSON_DEPTH (400), and two Idempotency-Key
 * headers (400). A payment the ledger finds invalid is answered 400 by the
 * endpoint, through the handler (so that answer is stored under its key too).
 *
 * When the handler throws or returns something that is not a response, the
 * request is answered 500 and the error is kept in `errors`: a check
 * rethrows it, so the student sees their own error and where it came from.
 *
 * By hand (for the day file's proof), with the real clock:
 *   npm run payments-server -- --port 8080 [--delay-ms 5000] [--ttl-ms 60000]   (in week-12/)
 *   npx tsx week-12/plug/payments-server.ts --port 8080 [...]   (at the repository root)
 * `DSLAB_WORKBOOK=solution` runs the reference solution instead of week-12/.
 */
import http from "node:http";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { jsonDepthExceeds, MAX_JSON_DEPTH, type Json } from "@dslab/protocol";
import { intOption, type Io } from "@dslab/protocol/cli";
import type { Workbook } from "../checks/types.js";
import { workbookFromEnv } from "../checks/workbook.js";
import { runScript } from "./script.js";
import type * as HandlerModule from "../src/idempotency-handler.js";
import type { Clock, HttpRequest, HttpResponse, IdempotencyHandler, OperationResponse } from "../src/idempotency-handler.js";

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface Payment {
  /** "pay_1", "pay_2", ... in the order applied. */
  id: string;
  amount: number;
  currency: string;
  to: string;
  /** The request's Idempotency-Key header as sent (trimmed), or null without one. */
  idempotencyKey: string | null;
}

/** Every payment applied, in order. */
export class Ledger {
  readonly payments: Payment[] = [];

  apply(payment: Omit<Payment, "id">): Payment {
    const applied = { id: `pay_${this.payments.length + 1}`, ...payment };
    this.payments.push(applied);
    return applied;
  }

  /** How many payments were applied with this Idempotency-Key. */
  countFor(key: string): number {
    return this.payments.filter((p) => p.idempotencyKey === key).length;
  }
}

export interface PaymentsServerOptions {
  /** The handler's clock. Default: the real one (this is a shell). */
  clock?: Clock;
  /** The handler's TTL; default its own (24 h). */
  ttlMs?: number;
  /** Awaited by every payment before the ledger applies it: holds a request "in progress". */
  delay?: () => Promise<void>;
  maxBodyBytes?: number;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** One line per request, e.g. for the proof log. Default: silent. */
  log?: (line: string) => void;
}

export interface PaymentsServer {
  /** "http://127.0.0.1:<port>" */
  url: string;
  ledger: Ledger;
  /** The workbook's handler, to look at its state. */
  handler: IdempotencyHandler;
  /** What the handler threw (or the wrong thing it returned), oldest first; each was answered 500. */
  errors: unknown[];
  close(): Promise<void>;
}

/** A handler that returned something other than a response. */
export class BadHandlerResponse extends Error {
  override readonly name = "BadHandlerResponse";
}

export async function startPaymentsServer(workbook: Workbook, options: PaymentsServerOptions = {}): Promise<PaymentsServer> {
  const mod = await workbook.import<typeof HandlerModule>("src/idempotency-handler.ts");
  const clock = options.clock ?? { now: () => Date.now() };
  const handler = new mod.IdempotencyHandler({ clock, ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}) });
  const ledger = new Ledger();
  const errors: unknown[] = [];
  // handle() switches on lookup's kind: a result of another shape would fall through the switch and run the payment, so it is caught where it is returned.
  const lookup = handler.lookup.bind(handler);
  handler.lookup = (key, fingerprint) => {
    const found = lookup(key, fingerprint);
    const bad = badLookup(found);
    if (bad !== undefined) errors.push(new BadHandlerResponse(`lookup returned ${bad}, not a { kind: ... } result ({ kind: "new" }, { kind: "replay", response }, { kind: "in-progress" } or { kind: "mismatch" })`));
    return found;
  };
  const log = options.log;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const pay = async (request: HttpRequest): Promise<OperationResponse> => {
    const invalid = invalidPayment(request.body);
    if (invalid !== undefined) return { status: 400, body: { error: { code: "invalid-payment", message: invalid } } };
    await options.delay?.();
    const body = request.body as { amount: number; currency: string; to: string };
    const key = request.headers["idempotency-key"]?.trim() ?? null;
    const p = ledger.apply({ amount: body.amount, currency: body.currency, to: body.to, idempotencyKey: key });
    log?.(`ledger: applied ${p.id}: ${p.amount} ${p.currency} to ${p.to}${key === null ? "" : ` (Idempotency-Key: ${key})`}`);
    return {
      status: 201,
      headers: { Location: `/payments/${p.id}` },
      body: { id: p.id, amount: p.amount, currency: p.currency, to: p.to, status: "succeeded" },
    };
  };

  const server = http.createServer((req, res) => {
    void respond(req).then((r) => {
      const keys = req.headersDistinct["idempotency-key"];
      const replayed = r.headers["Idempotent-Replayed"] === "true" ? " (Idempotent-Replayed: true)" : "";
      log?.(`${req.method ?? "?"} ${req.url ?? ""}${keys ? ` Idempotency-Key: ${keys.join(", ")}` : ""} -> ${r.status}${replayed}`);
      send(res, r);
    });
  });

  async function respond(req: http.IncomingMessage): Promise<HttpResponse> {
    let path: string;
    try {
      path = new URL(req.url ?? "/", "http://payments.invalid").pathname;
    } catch {
      return refuse(400, "bad-path", `the request target ${JSON.stringify(req.url)} is not a URL`);
    }
    if (path !== "/payments") return refuse(404, "not-found", `no route for ${path}; the API is POST /payments`);
    const method = req.method ?? "GET";
    if (method !== "POST") return refuse(405, "method-not-allowed", `${method} is not allowed on /payments; use POST`, { Allow: "POST" });
    const text = await readBody(req, maxBodyBytes);
    if (text === undefined) return refuse(413, "body-too-large", `the body is larger than ${maxBodyBytes} bytes`);
    const body = parseBody(text);
    if (typeof body === "string") return refuse(400, "bad-body", body);
    const keys = req.headersDistinct["idempotency-key"] ?? [];
    if (keys.length > 1) {
      return refuse(400, "idempotency-key-repeated", `Idempotency-Key was sent ${keys.length} times; send it once`);
    }
    const headers: Record<string, string> = {};
    for (const [name, values] of Object.entries(req.headersDistinct)) {
      if (values !== undefined && values[0] !== undefined) headers[name] = values[0];
    }
    try {
      const r = await handler.handle({ method, path, headers, body }, pay);
      const bad = badResponse(r);
      if (bad === undefined) return r;
      errors.push(new BadHandlerResponse(`handle() returned ${bad}`));
    } catch (e) {
      errors.push(e);
    }
    const e = errors[errors.length - 1];
    log?.(`handler error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return refuse(500, "internal", "the idempotency handler failed; see the check's report");
  }

  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", fail);
      done();
    });
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    ledger,
    handler,
    errors,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** Why `body` is not a payment, or undefined when it is one. */
function invalidPayment(body: Json): string | undefined {
  const b = body as Record<string, Json>;
  if (!(typeof b.amount === "number" && Number.isSafeInteger(b.amount) && b.amount > 0)) {
    return `"amount" must be a positive integer (minor units, e.g. 100 for 1.00), got ${JSON.stringify(b.amount) ?? "nothing"}`;
  }
  if (!(typeof b.currency === "string" && /^[A-Z]{3}$/.test(b.currency))) {
    return `"currency" must be three capital letters (e.g. "EUR"), got ${JSON.stringify(b.currency) ?? "nothing"}`;
  }
  if (!(typeof b.to === "string" && b.to.length > 0 && b.to.length <= 64)) {
    return `"to" must name the account to pay (1 to 64 characters), got ${JSON.stringify(b.to) ?? "nothing"}`;
  }
  return undefined;
}

function parseBody(text: string): Json | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `the body is not valid JSON (${(e as Error).message})`;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "the body must be a JSON object";
  if (jsonDepthExceeds(v, MAX_JSON_DEPTH)) return `the body nests deeper than ${MAX_JSON_DEPTH} levels`;
  return v as Json;
}

/** What lookup returned, when it is not one of its results (undefined when it is). */
function badLookup(found: unknown): string | undefined {
  const kind = (found as { kind?: unknown } | null)?.kind;
  if (typeof found === "object" && found !== null && (kind === "new" || kind === "in-progress" || kind === "mismatch")) return undefined;
  if (typeof found === "object" && found !== null && kind === "replay") {
    const response = (found as { response?: unknown }).response;
    if (typeof response === "object" && response !== null && Number.isInteger((response as { status?: unknown }).status)) return undefined;
    return `{ kind: "replay" } with response ${shown(response)} (the stored { status, body })`;
  }
  return shown(found);
}

function shown(v: unknown): string {
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** What is wrong with a handler's answer, or undefined when it is a response. */
function badResponse(r: unknown): string | undefined {
  if (typeof r !== "object" || r === null) return `${String(r)} instead of a response`;
  const { status, headers } = r as Partial<HttpResponse>;
  if (!(Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 599)) {
    return `a response with status ${JSON.stringify(status) ?? "undefined"} (an HTTP status is an integer from 100 to 599)`;
  }
  if (typeof headers !== "object" || headers === null || Object.values(headers).some((v) => typeof v !== "string")) {
    return "a response whose headers are not an object of strings";
  }
  return undefined;
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= maxBytes) chunks.push(c);
    });
    req.on("end", () => done(size > maxBytes ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", fail);
  });
}

function refuse(status: number, code: string, message: string, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers, body: { error: { code, message } } };
}

function send(res: http.ServerResponse, r: HttpResponse): void {
  let text: string;
  try {
    text = `${JSON.stringify(r.body) ?? "null"}\n`;
  } catch {
    text = `${JSON.stringify({ error: { code: "internal", message: "the response body is not JSON" } })}\n`;
  }
  res.writeHead(r.status, { ...r.headers, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

const HELP = `Usage: npm run payments-server -- [--port P] [--delay-ms MS] [--ttl-ms MS]   (in week-12/)
   or: npx tsx week-12/plug/payments-server.ts [options]   (at the repository root)

Serves the payment API around your IdempotencyHandler
(week-12/src/idempotency-handler.ts) on 127.0.0.1: POST /payments with a JSON
body {"amount", "currency", "to"} and an Idempotency-Key header. Every answer,
and every payment the ledger applies, is a line on stdout. Ctrl-C stops it.

Options:
  --port P        the port to listen on (default 0: a free port, printed)
  --delay-ms MS   hold each payment this long before the ledger applies it, so
                  a duplicate can arrive while the first is still running
  --ttl-ms MS     how long a key's stored response is kept (default: your
                  handler's own default)
  -h, --help      show this help

DSLAB_WORKBOOK=solution runs the reference solution instead of week-12/.
Exit codes: 0 stopped by Ctrl-C, 1 the port is taken (or your code threw: its
stack is printed; "not implemented yet" names the function), 2 usage error.
`;

async function main(values: { port?: string | undefined; "delay-ms"?: string | undefined; "ttl-ms"?: string | undefined }, io: Io): Promise<number> {
  const port = intOption(values.port, "port", { min: 0, max: 65535 }) ?? 0;
  const delayMs = intOption(values["delay-ms"], "delay-ms");
  const ttlMs = intOption(values["ttl-ms"], "ttl-ms", { min: 1 });
  let server: PaymentsServer;
  try {
    server = await startPaymentsServer(workbookFromEnv(), {
      port,
      ...(ttlMs !== undefined ? { ttlMs } : {}),
      ...(delayMs !== undefined ? { delay: () => new Promise<void>((done) => setTimeout(done, delayMs)) } : {}),
      log: (line) => io.stdout(`${line}\n`),
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
    io.stderr(`payments-server: port ${port} on 127.0.0.1 is taken; give another with --port, or 0 for any free one\n`);
    return 1;
  }
  io.stdout(`payments API on ${server.url} (POST /payments); Ctrl-C stops it\n`);
  process.once("SIGINT", () => {
    void server.close().then(() => process.exit(0));
  });
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runScript({
    name: "payments-server",
    help: HELP,
    options: { port: { type: "string" }, "delay-ms": { type: "string" }, "ttl-ms": { type: "string" } },
    main,
  });
}
