/**
 * The dedup node: one key-value node on stdin/stdout, Maelstrom-style, built
 * on the workbook's `DedupKVStore` (src/dedup-kv-store.ts). Complete: the
 * part to write is the store.
 *
 *   node --import tsx week-12/node/main.ts
 *
 * One JSON message per line in, `{"src","dest","body":{"type","msg_id",...}}`:
 * `init {node_id, node_ids}` -> `init_ok`; then `read {key}`,
 * `write {key, value}` and `append {key, value}`, writes with `client_id`
 * and `seq`. Replies carry `in_reply_to` and a `msg_id` the node numbers
 * from 0. Only protocol lines go to stdout; logs go to stderr as
 * `<node id> | <line>`, among them `[dedup] client c1 seq 5 is duplicate,
 * returning cached result` when the store answers from its cache.
 *
 * A line that cannot be served gets an error reply naming the field (12
 * malformed, 10 not supported, 11 before init), or a stderr line when it
 * does not say who sent it; the node keeps serving. An error thrown by the
 * store is answered with error 13 and its stack on stderr. A store function
 * still unwritten (`todo`) ends the node with exit code 3 and the line
 * `not implemented yet: <function>` on stderr.
 *
 * Environment:
 * - `DSLAB_DEDUP_STORE`: the module to load `DedupKVStore` from (a path);
 *   default src/dedup-kv-store.ts of the workbook `DSLAB_WORKBOOK` names
 *   (week-12/ when unset, `solution` for the reference solutions).
 * - `DSLAB_SESSION_TIMEOUT_MS`: how long a client's session lives idle
 *   (default 300000, 5 minutes).
 *
 * node/main.py is the same program in Python; both give the same output
 * for the same input.
 */
import { createInterface } from "node:readline";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { renderEvent } from "@dslab/cluster";
import { ErrorCode, MAX_JSON_DEPTH, jsonDepthExceeds, type Json } from "@dslab/protocol";
// Through the package, not "../checks": a copy of the workbook elsewhere in the repository (grader check --workbook DIR) has no checks beside it.
import { workbookFromEnv } from "@dslab/week-12/checks/workbook";
import type { DedupEvent, DedupKVOptions, KvReply, KvRequest } from "../src/dedup-kv-store.js";
import { isNotImplemented } from "../src/todo.js";

interface Store {
  handleRequest(request: KvRequest, nowMs: number): KvReply;
}
type StoreClass = new (options: DedupKVOptions) => Store;

/** Exit code when a store function is not written yet. */
const EXIT_NOT_IMPLEMENTED = 3;
const DEFAULT_SESSION_TIMEOUT_MS = 300_000;

type Body = Record<string, Json | undefined>;
interface Out {
  src: string;
  dest: string;
  body: Body;
}

/** The node's logic on parsed lines: no IO, the time passed in. */
export class DedupNode {
  private nodeId: string | null = null;
  private nextMsgId = 0;
  private readonly store: Store;

  constructor(
    Store: StoreClass,
    sessionTimeoutMs: number,
    private readonly log: (line: string) => void,
  ) {
    this.store = new Store({ sessionTimeoutMs, emit: (e: DedupEvent) => this.log(renderEvent(e)) });
  }

  /** The node's id for log lines. */
  get name(): string {
    return this.nodeId ?? "dedup-node";
  }

  /** What to write to stdout for one input line (a NotImplementedError from the store propagates). */
  handleLine(line: string, lineNumber: number): Out[] {
    if (line.trim() === "") return [];
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.log(`bad input line ${lineNumber}: not JSON; skipped`);
      return [];
    }
    if (!isObject(message) || typeof message.src !== "string") {
      this.log(`bad input line ${lineNumber}: not a message with a "src" field; skipped`);
      return [];
    }
    const src = message.src;
    const dest = typeof message.dest === "string" ? message.dest : this.name;
    const body = message.body;
    if (!isObject(body) || typeof body.type !== "string") return [this.errorTo(src, dest, undefined, ErrorCode.MalformedRequest, 'field "body" must be an object with a string "type"')];
    const msgId = body.msg_id;
    if (msgId !== undefined && !(Number.isSafeInteger(msgId) && (msgId as number) >= 0)) {
      return [this.errorTo(src, dest, undefined, ErrorCode.MalformedRequest, `${body.type}: field "msg_id" must be a non-negative integer`)];
    }
    const inReplyTo = msgId as number | undefined;
    const type = body.type;
    if (type.endsWith("_ok") || type === "error") return [];
    if (type === "init") return [this.init(src, dest, body, inReplyTo)];
    if (this.nodeId === null) return [this.errorTo(src, dest, inReplyTo, ErrorCode.TemporarilyUnavailable, "not initialized: send init first")];
    if (dest !== this.nodeId) return [this.errorTo(src, this.nodeId, inReplyTo, ErrorCode.NodeNotFound, `this is node ${this.nodeId}, not ${dest}`)];
    if (type !== "read" && type !== "write" && type !== "append") {
      return [this.errorTo(src, this.nodeId, inReplyTo, ErrorCode.NotSupported, `this node does not handle ${JSON.stringify(type)} requests`)];
    }
    const bad = invalidRequest(type, body);
    if (bad !== null) return [this.errorTo(src, this.nodeId, inReplyTo, ErrorCode.MalformedRequest, bad)];
    const { msg_id: _m, in_reply_to: _r, ...request } = body;
    return [this.reply(src, this.nodeId, inReplyTo, this.serve(request as unknown as KvRequest))];
  }

  private init(src: string, dest: string, body: Body, inReplyTo: number | undefined): Out {
    const id = body.node_id;
    const ids = body.node_ids;
    if (typeof id !== "string" || !Array.isArray(ids) || !ids.every((x) => typeof x === "string") || !ids.includes(id)) {
      return this.errorTo(src, dest, inReplyTo, ErrorCode.MalformedRequest, 'init: "node_id" must be a string and "node_ids" a list of strings that includes it');
    }
    if (this.nodeId !== null && this.nodeId !== id) {
      return this.errorTo(src, this.nodeId, inReplyTo, ErrorCode.MalformedRequest, `already initialized as ${this.nodeId}; cannot become ${id}`);
    }
    this.nodeId = id;
    return this.reply(src, id, inReplyTo, { type: "init_ok" });
  }

  private serve(request: KvRequest): KvReply {
    try {
      return this.store.handleRequest(request, Date.now());
    } catch (e) {
      if (isNotImplemented(e)) throw e;
      const err = e instanceof Error ? e : new Error(String(e));
      this.log(`the store threw while handling ${request.type}: ${err.stack ?? err.message}`);
      return { type: "error", code: ErrorCode.Crash, text: `crash: ${err.name}: ${err.message}` };
    }
  }

  private errorTo(dest: string, src: string, inReplyTo: number | undefined, code: number, text: string): Out {
    return this.reply(dest, src, inReplyTo, { type: "error", code, text });
  }

  private reply(dest: string, src: string, inReplyTo: number | undefined, reply: KvReply): Out {
    const body: Body = { ...reply };
    if (inReplyTo !== undefined) body.in_reply_to = inReplyTo;
    body.msg_id = this.nextMsgId++;
    return { src, dest, body };
  }
}

/** Why a read/write/append body cannot be served, or null. */
function invalidRequest(type: string, body: Body): string | null {
  const key = body.key;
  if (!(typeof key === "string" || Number.isSafeInteger(key))) return `${type}: field "key" must be a string or an integer`;
  if (type === "read") return null;
  if (body.value === undefined) return `${type}: field "value" is missing`;
  if (jsonDepthExceeds(body.value, MAX_JSON_DEPTH)) return `${type}: field "value" is nested deeper than ${MAX_JSON_DEPTH} levels`;
  const { client_id: clientId, seq } = body;
  if (clientId === undefined && seq === undefined) return null;
  if (typeof clientId !== "string" || !Number.isSafeInteger(seq) || (seq as number) < 1) {
    return `${type}: client_id (a string) and seq (a positive integer) go together; send both or neither`;
  }
  return null;
}

function isObject(v: unknown): v is Record<string, Json | undefined> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

async function loadStore(): Promise<StoreClass> {
  const fromEnv = process.env.DSLAB_DEDUP_STORE;
  const path = fromEnv ? (isAbsolute(fromEnv) ? fromEnv : resolve(fromEnv)) : workbookFromEnv().path("src/dedup-kv-store.ts");
  const mod = (await import(pathToFileURL(path).href)) as { DedupKVStore?: unknown };
  if (typeof mod.DedupKVStore !== "function") throw new Error(`${path} does not export a class DedupKVStore`);
  return mod.DedupKVStore as StoreClass;
}

function sessionTimeoutFromEnv(): number {
  const text = process.env.DSLAB_SESSION_TIMEOUT_MS;
  if (text === undefined || text === "") return DEFAULT_SESSION_TIMEOUT_MS;
  const ms = Number(text);
  if (!Number.isSafeInteger(ms) || ms < 1) throw new Error(`DSLAB_SESSION_TIMEOUT_MS must be a positive integer of milliseconds, got ${JSON.stringify(text)}`);
  return ms;
}

async function main(): Promise<void> {
  let node: DedupNode;
  try {
    node = new DedupNode(await loadStore(), sessionTimeoutFromEnv(), (line) => process.stderr.write(`${node.name} | ${line}\n`));
  } catch (e) {
    process.stderr.write(`dedup-node: could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(isNotImplemented(e) ? EXIT_NOT_IMPLEMENTED : 1);
  }
  let lineNumber = 0;
  const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of input) {
    let out: Out[];
    try {
      out = node.handleLine(line, ++lineNumber);
    } catch (e) {
      if (!isNotImplemented(e)) throw e;
      process.stderr.write(`${node.name} | ${e.message}\n`);
      process.exitCode = EXIT_NOT_IMPLEMENTED;
      input.close();
      process.stdin.destroy();
      return;
    }
    for (const m of out) process.stdout.write(`${JSON.stringify(m)}\n`);
  }
}

await main();
