/**
 * Checks of the client tracker and the dedup store: w11-l04 (idempotent
 * writes, in-process unit checks on the two classes) and
 * w12-leader-election-client-idempotency-d04-quest-dedup-store-2h (the node
 * program as a child process; the tracker inside the reference Raft cluster
 * through plug/session-store.ts; expiry by the log's time).
 *
 * Process-mode checks run node/main.ts with tsx, or node/main.py when
 * `DSLAB_NODE=python`. A program that ends with exit code 3 and
 * `not implemented yet: <function>` on stderr (an unwritten stub) is
 * reported as that function not implemented yet. `DSLAB_PYTHON` names the
 * interpreter (default python3).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { createKvNodeCore, type KvNodeCore, type NodeConfig, type PersistentState } from "@dslab/cluster";
import { RaftDriver } from "@dslab/cluster/testing";
import type { Body, Json, Message } from "@dslab/protocol";
import { DEFAULT_CONFIG } from "@dslab/sim";
import { coreFactoryFor, SESSION_CORE_MODULE } from "../plug/core-factory.js";
import { sessionStoreFor } from "../plug/session-store.js";
import type * as TrackerModule from "../src/client-tracker.js";
import type * as StoreModule from "../src/dedup-kv-store.js";
import { isNotImplemented, NotImplementedError } from "../src/todo.js";
import { criterion, LESSON } from "./lessons.js";
import { faultRuns } from "./fault-run.js";
import { CheckFailure, type CheckContext, type CriterionCheck, type Workbook } from "./types.js";
import { REPOSITORY_ROOT, WORKBOOK_DIR } from "./workbook.js";

const SESSION_TIMEOUT_MS = 300_000;
const show = (v: unknown): string => JSON.stringify(v) ?? "nothing";

async function tracker(ctx: CheckContext): Promise<TrackerModule.ClientTracker> {
  const { ClientTracker } = await ctx.workbook.import<typeof TrackerModule>("src/client-tracker.ts");
  return new ClientTracker({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
}

async function store(ctx: CheckContext): Promise<StoreModule.DedupKVStore> {
  const { DedupKVStore } = await ctx.workbook.import<typeof StoreModule>("src/dedup-kv-store.ts");
  return new DedupKVStore({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
}

function same(a: unknown, b: unknown): boolean {
  return show(a) === show(b);
}

/**
 * The tracker's cached reply checked on its own: a retry of a recorded seq
 * must get back exactly the reply recorded. A fault that shows up later as
 * "another reply" (a leader change, a replica's clock) is this one when the
 * tracker alone already gets it wrong.
 */
async function cachedReplyMistake(ctx: CheckContext): Promise<CheckFailure | undefined> {
  const t = await tracker(ctx);
  const recorded = { type: "append_ok", value: ["p", "q"] };
  t.recordResponse("probe", 1, recorded, 0);
  const retry = t.registerRequest("probe", 1, 1);
  if (retry?.kind !== "duplicate" || same(retry.response, recorded)) return undefined;
  return new CheckFailure(
    "a retry of a recorded seq was a duplicate, but its cached reply is not the reply recorded for it: registerRequest must return as `response` exactly what recordResponse was given",
    { expected: show({ kind: "duplicate", response: recorded }), received: show(retry) },
  );
}

// ------------------------------------------------------------ w11-l04 --

const repeatedWrite: CriterionCheck = {
  criterion: criterion(LESSON.idempotentWrites, 1),
  title: "a repeated write (same client_id and seq) is answered from the table and not applied again",
  files: ["src/client-tracker.ts", "src/dedup-kv-store.ts"],
  async run(ctx) {
    const t = await tracker(ctx);
    const first = t.registerRequest("c1", 1, 1_000);
    if (first?.kind !== "new") {
      throw new CheckFailure("the first request of a new client (c1, seq 1) was not registered as new: nothing has been applied for it yet", {
        expected: show({ kind: "new" }),
        received: show(first),
      });
    }
    t.recordResponse("c1", 1, { type: "write_ok" }, 1_000);
    const retry = t.registerRequest("c1", 1, 2_000);
    if (retry?.kind === "duplicate" && !same(retry.response, { type: "write_ok" })) {
      throw new CheckFailure(
        "a retry of the client's last seq (c1, seq 1, just recorded) was a duplicate, but its cached reply is not the reply recorded for it: registerRequest must return as `response` exactly what recordResponse was given",
        { expected: show({ kind: "duplicate", response: { type: "write_ok" } }), received: show(retry) },
      );
    }
    if (retry?.kind !== "duplicate") {
      throw new CheckFailure(
        "a retry of the client's last seq (c1, seq 1, just recorded) was not a duplicate with its cached reply, so it would be applied again (is the seq compared with < where <= is needed?)",
        { expected: show({ kind: "duplicate", response: { type: "write_ok" } }), received: show(retry) },
      );
    }

    const s = await store(ctx);
    const append = { type: "append" as const, key: "l", value: "a", client_id: "c1", seq: 1 };
    const a1 = s.handleRequest({ ...append }, 1_000);
    const a2 = s.handleRequest({ ...append }, 2_000);
    const read = s.handleRequest({ type: "read", key: "l" }, 3_000);
    if (!same(read, { type: "read_ok", value: ["a"] })) {
      throw new CheckFailure("the retried append (client c1, seq 1) was applied again: a repeated (client_id, seq) must be answered from the table, not applied a second time", {
        expected: show({ type: "read_ok", value: ["a"] }),
        received: show(read),
      });
    }
    if (!same(a2, a1)) {
      throw new CheckFailure("the retried append (client c1, seq 1) got another reply than the first time: a retry must get the cached reply", {
        expected: show(a1),
        received: show(a2),
      });
    }
  },
};

const lastSeqReplaced: CriterionCheck = {
  criterion: criterion(LESSON.idempotentWrites, 2),
  title: "the table keeps, per client, the last seq and its cached result; a newer seq replaces them",
  files: ["src/client-tracker.ts", "src/dedup-kv-store.ts"],
  async run(ctx) {
    const t = await tracker(ctx);
    const r1 = { type: "append_ok", value: ["a"] };
    const r2 = { type: "append_ok", value: ["a", "b"] };
    t.registerRequest("c1", 1, 1_000);
    t.recordResponse("c1", 1, r1, 1_000);
    const second = t.registerRequest("c1", 2, 2_000);
    if (second?.kind !== "new") {
      throw new CheckFailure("seq 2 after seq 1 was not registered as new: a higher seq is the client's next operation", { expected: show({ kind: "new" }), received: show(second) });
    }
    t.recordResponse("c1", 2, r2, 2_000);
    const other = t.registerRequest("c2", 1, 2_500);
    if (other?.kind !== "new") {
      throw new CheckFailure("client c2's first request was not new while c1 was at seq 2: the table keeps one entry per client", { expected: show({ kind: "new" }), received: show(other) });
    }
    const session = Object.hasOwn(t.state?.sessions ?? {}, "c1") ? t.state.sessions.c1 : undefined;
    if (session?.lastSeq !== 2 || !same(session.response, r2)) {
      throw new CheckFailure("after recordResponse(c1, 2, ...), state.sessions.c1 does not hold seq 2 and its reply: the table keeps the last seq and its cached result, in `state`", {
        expected: show({ lastSeq: 2, response: r2 }),
        received: show(session),
      });
    }
    const retry = t.registerRequest("c1", 2, 3_000);
    if (retry?.kind !== "duplicate" || !same(retry.response, r2)) {
      throw new CheckFailure("a retry of seq 2 did not get seq 2's cached reply: the newer seq must replace the cached result of seq 1", {
        expected: show({ kind: "duplicate", response: r2 }),
        received: show(retry),
      });
    }
    const late = t.registerRequest("c1", 1, 3_000);
    if (late?.kind !== "stale" || late.lastSeq !== 2) {
      throw new CheckFailure(
        late?.kind === "duplicate"
          ? "a late seq 1 (below the last seq 2) was answered with a cached reply, the one of seq 2: the table keeps only the last seq's reply, so a lower seq must be refused as stale"
          : "a late seq 1 (below the last seq 2) was not refused as stale",
        { expected: show({ kind: "stale", lastSeq: 2 }), received: show(late) },
      );
    }

    const s = await store(ctx);
    s.handleRequest({ type: "write", key: "x", value: 1, client_id: "c1", seq: 1 }, 1_000);
    s.handleRequest({ type: "write", key: "x", value: 2, client_id: "c1", seq: 2 }, 2_000);
    const stale = s.handleRequest({ type: "write", key: "x", value: 1, client_id: "c1", seq: 1 }, 3_000);
    const read = s.handleRequest({ type: "read", key: "x" }, 3_000);
    if (stale.type !== "error" || stale.code !== 1000 || !same(read, { type: "read_ok", value: 2 })) {
      throw new CheckFailure("a late write (client c1, seq 1) after seq 2 was not refused with error 1000 (stale-request) and the value left as seq 2 wrote it", {
        expected: `${show({ type: "error", code: 1000 })}, then ${show({ type: "read_ok", value: 2 })}`,
        received: `${show(stale)}, then ${show(read)}`,
      });
    }
  },
};

const readsNotDeduplicated: CriterionCheck = {
  criterion: criterion(LESSON.idempotentWrites, 3),
  title: "reads are not deduplicated: a read always returns the latest value",
  files: ["src/dedup-kv-store.ts"],
  async run(ctx) {
    const s = await store(ctx);
    s.handleRequest({ type: "write", key: "x", value: 1, client_id: "c1", seq: 1 }, 1_000);
    const read = { type: "read" as const, key: "x", client_id: "c9", seq: 1 };
    s.handleRequest({ ...read }, 1_500);
    s.handleRequest({ type: "write", key: "x", value: 2, client_id: "c1", seq: 2 }, 2_000);
    const again = s.handleRequest({ ...read }, 2_500);
    if (!same(again, { type: "read_ok", value: 2 })) {
      throw new CheckFailure(
        "a read carrying client_id c9 and seq 1 for the second time returned an old answer after x was written again: reads must not be deduplicated, a read always returns the latest value",
        { expected: show({ type: "read_ok", value: 2 }), received: show(again) },
      );
    }
    const sameIdentity = s.handleRequest({ type: "read", key: "x", client_id: "c1", seq: 2 }, 3_000);
    if (!same(sameIdentity, { type: "read_ok", value: 2 })) {
      throw new CheckFailure("a read carrying the (client_id, seq) of the last write got that write's cached reply: reads must not be deduplicated", {
        expected: show({ type: "read_ok", value: 2 }),
        received: show(sameIdentity),
      });
    }
  },
};

// ------------------------------------------------ the node program (d04) --

const INIT = '{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}';
const SAMPLE_IN = [INIT, '{"src":"c1","dest":"n1","body":{"type":"write","msg_id":2,"key":"x","value":1,"client_id":"c1","seq":1}}'];
const SAMPLE_OUT = [
  '{"src":"n1","dest":"c0","body":{"type":"init_ok","in_reply_to":1,"msg_id":0}}',
  '{"src":"n1","dest":"c1","body":{"type":"write_ok","in_reply_to":2,"msg_id":1}}',
];
const NODE_TIMEOUT_MS = 20_000;

interface NodeRun {
  /** What ran, for messages. */
  command: string;
  stdout: string;
  stderr: string;
  replies: Message[];
}

/** The node program the workbook has, in the language `DSLAB_NODE` picks. */
function nodeCommand(workbook: Workbook): { argv: string[]; label: string; file: string } {
  if ((process.env.DSLAB_NODE ?? "").toLowerCase() === "python") {
    const file = workbook.path("node/main.py");
    const python = process.env.DSLAB_PYTHON || "python3";
    return { argv: [python, file], label: `${python} ${file}`, file };
  }
  const own = workbook.path("node/main.ts");
  const file = existsSync(own) ? own : join(WORKBOOK_DIR, "node", "main.ts");
  return { argv: [process.execPath, "--import", "tsx", file], label: `node --import tsx ${file}`, file };
}

/** Runs the node program on `lines` (stdin then closed) and collects what it printed. */
export async function runNode(workbook: Workbook, lines: string[]): Promise<NodeRun> {
  const { argv, label, file } = nodeCommand(workbook);
  if (!file.endsWith(".py")) await storeIsWritten(workbook);
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, DSLAB_DEDUP_STORE: workbook.path("src/dedup-kv-store.ts"), DSLAB_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.on("error", () => {}); // a node that exits early closes its stdin
  child.stdin.end(lines.map((l) => `${l}\n`).join(""));
  const timer = setTimeout(() => child.kill("SIGKILL"), NODE_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", (e) => reject(new CheckFailure(`could not start the node program (${label}): ${e.message}${file.endsWith(".py") ? " (is python3 installed? DSLAB_PYTHON names another interpreter)" : ""}`)));
    child.once("close", (c, signal) => resolve(signal ? null : c));
  }).finally(() => clearTimeout(timer));
  const notImplemented = /not implemented yet: ([\w$.]+)/.exec(stderr);
  if (code === 3 && notImplemented) throw new NotImplementedError(notImplemented[1]!);
  if (code !== 0) {
    const crash = code === null ? undefined : crashOf(stderr);
    const last = stderr.trim().split("\n").slice(-3).join(" / ");
    throw new CheckFailure(
      code === null
        ? `the node program (${label}) did not finish within ${NODE_TIMEOUT_MS / 1000} s of its input ending, and was killed`
        : crash !== undefined
          ? `the node program (${label}) ${crash}`
          : `the node program (${label}) exited with code ${code}${last ? `: ${last}` : ""}`,
    );
  }
  const replies: Message[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    try {
      replies.push(JSON.parse(line) as Message);
    } catch {
      throw new CheckFailure(`the node program printed a line on stdout that is not a JSON message (logs go to stderr): ${line.slice(0, 200)}`);
    }
  }
  return { command: label, stdout, stderr, replies };
}

/**
 * What a node program that died says on stderr, in one line with its file
 * and line: esbuild's parse error (through tsx), Node's uncaught error and
 * the frame it names, or Python's traceback. Undefined when stderr has none
 * of these.
 */
export function crashOf(stderr: string): string | undefined {
  const at = (file: string, line: string, column?: string) => `${relative(REPOSITORY_ROOT, resolve(file))}:${line}${column !== undefined ? `:${column}` : ""}`;
  // esbuild counts columns from 0, editors from 1.
  const parse = /^(.+?):(\d+):(\d+): ERROR: (.*)$/m.exec(stderr);
  if (parse !== null) return `does not parse: ${at(parse[1]!, parse[2]!, String(Number(parse[3]) + 1))}: ${parse[4]}`;
  const python = [...stderr.matchAll(/^\s*File "(.+)", line (\d+)/gm)].at(-1);
  const pythonError = /^(\w+(?:Error|Exception)): (.*)$/m.exec(stderr.split("\n").filter((l) => l.trim() !== "").slice(-1)[0] ?? "");
  if (python !== undefined && pythonError !== null) return `raised ${pythonError[1]}: ${pythonError[2]} (at ${at(python[1]!, python[2]!)})`;
  const error = /^(\w*Error)(?: \[\w+\])?: (.*)$/m.exec(stderr);
  if (error === null) return undefined;
  const frame = /^\s+at (?:.*\()?(?:file:\/\/)?(\/[^():]+):(\d+):(\d+)\)?$/m.exec(stderr.slice(error.index));
  const header = /^(?:file:\/\/)?(\/[^:\s]+):(\d+)$/m.exec(stderr);
  const where = frame !== null && !frame[1]!.includes("/node_modules/") ? at(frame[1]!, frame[2]!, frame[3]) : header !== null ? at(header[1]!, header[2]!) : undefined;
  return `threw ${error[1]}: ${error[2]}${where !== undefined ? ` (at ${where})` : ""}`;
}

/**
 * A TypeScript store whose handleRequest is still the stub would only make
 * the program print "not implemented yet" after its start-up (about a
 * second); asked once in this process, it says so at once. Any other error
 * is left for the program itself to show.
 */
async function storeIsWritten(workbook: Workbook): Promise<void> {
  try {
    const { DedupKVStore } = await workbook.import<typeof StoreModule>("src/dedup-kv-store.ts");
    new DedupKVStore({ sessionTimeoutMs: SESSION_TIMEOUT_MS }).handleRequest({ type: "write", key: "probe", value: 1, client_id: "probe", seq: 1 } as StoreModule.KvRequest, 0);
  } catch (e) {
    if (isNotImplemented(e)) throw e;
  }
}

function replyTo(run: NodeRun, msgId: number): Body | undefined {
  return run.replies.find((m) => m.body?.in_reply_to === msgId)?.body;
}

function request(msgId: number, body: Record<string, Json>): string {
  return JSON.stringify({ src: "c1", dest: "n1", body: { ...body, msg_id: msgId } });
}

/** A reply without the node's numbering, to compare. */
function plain(body: Body | undefined): unknown {
  if (body === undefined) return undefined;
  const { msg_id: _m, in_reply_to: _r, text: _t, ...rest } = body;
  return rest;
}

const nodeDedup: CriterionCheck = {
  criterion: criterion(LESSON.dedupStore, 1),
  title: "a repeated (client, seq) is answered from the cache and not applied again, in the node program",
  files: ["src/client-tracker.ts", "src/dedup-kv-store.ts", "node/main.ts", "node/main.py"],
  async run(ctx) {
    const append = { type: "append", key: "l", value: "a", client_id: "c1", seq: 1 };
    const run = await runNode(ctx.workbook, [INIT, request(2, append), request(3, append), request(4, { type: "read", key: "l" })]);
    const [first, retry, read] = [replyTo(run, 2), replyTo(run, 3), replyTo(run, 4)];
    if (!same(plain(read), { type: "read_ok", value: ["a"] })) {
      throw new CheckFailure(`the node applied the retried append (client c1, seq 1) again: a repeated (client, seq) must be answered from the cache, not applied a second time (${run.command})`, {
        expected: `read l -> ${show({ type: "read_ok", value: ["a"] })}`,
        received: `read l -> ${show(read)}`,
      });
    }
    if (!same(plain(retry), plain(first)) || !same(plain(first), { type: "append_ok", value: ["a"] })) {
      throw new CheckFailure("the retried append (client c1, seq 1) did not get the reply the first one got: the cache answers a retry with the same reply", {
        expected: show({ type: "append_ok", value: ["a"] }),
        received: `first ${show(first)}, retry ${show(retry)}`,
      });
    }
  },
};

const nodeStale: CriterionCheck = {
  criterion: criterion(LESSON.dedupStore, 2),
  title: "a late request with a lower seq is refused (error 1000), never applied",
  files: ["src/client-tracker.ts", "src/dedup-kv-store.ts", "node/main.ts", "node/main.py"],
  async run(ctx) {
    const run = await runNode(ctx.workbook, [
      INIT,
      request(2, { type: "append", key: "l", value: "a", client_id: "c1", seq: 1 }),
      request(3, { type: "append", key: "l", value: "b", client_id: "c1", seq: 2 }),
      request(4, { type: "append", key: "l", value: "a", client_id: "c1", seq: 1 }),
      request(5, { type: "read", key: "l" }),
    ]);
    const [second, late, read] = [replyTo(run, 3), replyTo(run, 4), replyTo(run, 5)];
    // The late request is stale only if seq 2 was applied: a seq 2 answered from seq 1's cache is the mistake to name.
    if (!same(plain(second), { type: "append_ok", value: ["a", "b"] })) {
      throw new CheckFailure(
        `the append of seq 2 (client c1, after seq 1) was answered with ${show(plain(second))}${same(plain(second), { type: "append_ok", value: ["a"] }) ? ", the cached reply of seq 1" : ""}, not applied: only a repeat of the client's last seq is a duplicate; a higher seq is its next operation (${run.command})`,
        { expected: show({ type: "append_ok", value: ["a", "b"] }), received: show(second) },
      );
    }
    if (late?.type !== "error" || late.code !== 1000) {
      throw new CheckFailure(
        late?.type === "append_ok"
          ? `the late append (client c1, seq 1, below the last seq 2) was answered with ${show(plain(late))}${same(plain(late), { type: "append_ok", value: ["a", "b"] }) ? ", the cached reply of seq 2" : ""}: a lower seq must be refused with error 1000 (stale-request)`
          : "the late append (client c1, seq 1, below the last seq 2) was not refused with error 1000 (stale-request)",
        { expected: show({ type: "error", code: 1000 }), received: show(late) },
      );
    }
    if (!same(plain(read), { type: "read_ok", value: ["a", "b"] })) {
      throw new CheckFailure("the late append (client c1, seq 1) was applied although it was refused: a stale request is never applied", {
        expected: `read l -> ${show({ type: "read_ok", value: ["a", "b"] })}`,
        received: `read l -> ${show(read)}`,
      });
    }
  },
};

const sampleCase: CriterionCheck = {
  criterion: criterion(LESSON.dedupStore, 5),
  title: "the sample case: init then a write from c1 with seq 1 give exactly the expected init_ok and write_ok lines",
  files: ["src/client-tracker.ts", "src/dedup-kv-store.ts", "node/main.ts", "node/main.py"],
  async run(ctx) {
    const run = await runNode(ctx.workbook, SAMPLE_IN);
    const expected = `${SAMPLE_OUT.join("\n")}\n`;
    if (run.stdout !== expected) {
      throw new CheckFailure(`the node program's output for the sample case is not exactly the expected two lines (field order, msg_id from 0, in_reply_to, nothing else on stdout) (${run.command})`, {
        expected: SAMPLE_OUT.join("\n"),
        received: run.stdout.replace(/\n$/, "") || "(nothing on stdout)",
      });
    }
  },
};

// --------------------------------------- the tracker inside the cluster --

type CreateCore = (config: NodeConfig, restored: PersistentState | null) => KvNodeCore;

export async function trackerCore(workbook: Workbook, clockOffsetMs: Record<string, number> = {}): Promise<CreateCore> {
  const sessionStore = await sessionStoreFor(workbook);
  return (config, restored) => {
    const core = createKvNodeCore({ ...config, ...(sessionStore ? { sessionStore } : {}) }, restored);
    const offset = clockOffsetMs[config.id] ?? 0;
    if (offset === 0) return core;
    // A replica whose own clock is off by `offset`: only what it stamps as leader can depend on it.
    return {
      id: core.id,
      tick: (nowMs) => core.tick(nowMs + offset),
      receive: (m, nowMs) => core.receive(m, nowMs + offset),
      status: () => core.status(),
    };
  };
}

/** A scenario on the deterministic driver, one client request at a time (the checks and plug/dedup-failover.ts). */
export class Scenario {
  private msgId = 100;
  constructor(
    readonly driver: RaftDriver,
    private readonly msPerTick = 10,
  ) {}

  /** Runs rounds until `done`, or fails naming what did not happen. */
  until(done: () => boolean, what: string, rounds = 400, step: () => void = () => this.driver.run(1)): void {
    for (let i = 0; i < rounds && !done(); i++) step();
    if (!done()) throw new Error(`scenario: ${what} did not happen within ${rounds} rounds`);
  }

  leader(): string {
    this.until(() => this.driver.leader() !== null, "an election");
    return this.driver.leader()!;
  }

  /**
   * Makes `id` the leader: its election timer runs twice as fast, and the
   * other nodes' own campaigns go unheard, so only `id` can win.
   */
  elect(id: string): void {
    this.until(
      () => this.driver.leader() === id,
      `${id} becoming leader`,
      400,
      () => {
        this.driver.nowMs += this.msPerTick;
        for (const n of this.driver.nodeIds) if (this.driver.isUp(n)) this.driver.tick(n);
        this.driver.tick(id);
        this.driver.queue = this.driver.queue.filter((m) => m.src === id || (m.dest === id && m.body.type.endsWith("_ok")));
        this.driver.stabilize();
      },
    );
  }

  /** Sends `body` from `client` to `to` and runs until it is answered. */
  ask(client: string, to: string, body: Record<string, Json>): Body {
    const msgId = ++this.msgId;
    this.driver.request(client, to, { ...body, msg_id: msgId } as Body);
    let reply: Body | undefined;
    this.until(() => {
      reply ??= this.driver.takeReplies(client).find((m) => m.body.in_reply_to === msgId)?.body;
      return reply !== undefined;
    }, `an answer to ${client}'s ${body.type}`);
    const { msg_id: _m, in_reply_to: _r, ...rest } = reply!;
    return rest as Body;
  }
}

const SESSION_STATE_MISTAKE = "the dedup table must be part of the replicated state and its snapshots (`state`), not kept outside it as if only the leader needed it";

const sessionsReplicated: CriterionCheck = {
  criterion: criterion(LESSON.dedupStore, 3),
  title: "sessions live in the replicated state machine: a retry is answered from the session after a leader change, a restart and a snapshot install",
  files: ["src/client-tracker.ts"],
  faultRun: true,
  async run(ctx) {
    const driver = new RaftDriver({
      nodeIds: ["n1", "n2", "n3"],
      seed: 12,
      config: { snapshotEveryEntries: 4 },
      createCore: await trackerCore(ctx.workbook),
    });
    const replyMistake = await cachedReplyMistake(ctx);
    const s = new Scenario(driver);
    const first = s.leader();
    const [other, behind] = driver.nodeIds.filter((id) => id !== first) as [string, string];
    // `behind` misses the append and the writes after it: it will catch up by a snapshot.
    driver.partition([[first, other], [behind]]);
    const append = { type: "append", key: "l", value: "a", client_id: "c1", seq: 1 };
    const applied = s.ask("c1", first, append);
    if (!same(applied, { type: "append_ok", value: ["a"] })) throw new Error(`scenario: the first append got ${show(applied)}`);
    const expectCached = (where: string, leader: string, mistake = SESSION_STATE_MISTAKE): void => {
      const retry = s.ask("c1", leader, append);
      const read = s.ask("c9", leader, { type: "read", key: "l" });
      if (!same(read, { type: "read_ok", value: ["a"] }) || !same(retry, applied)) {
        if (replyMistake !== undefined && same(read, { type: "read_ok", value: ["a"] })) throw replyMistake;
        throw new CheckFailure(`client c1's retry of append seq 1 ${same(read, { type: "read_ok", value: ["a"] }) ? "got another reply" : "was applied again"} ${where}: ${mistake}`, {
          expected: `retry -> ${show(applied)}, read l -> ${show({ type: "read_ok", value: ["a"] })}`,
          received: `retry -> ${show(retry)}, read l -> ${show(read)}`,
        });
      }
    };

    expectCached(
      `by ${first}, the leader that applied it a moment before`,
      first,
      "the tracker inside the cluster does not answer a retry of the client's last seq from its session (see w11-l04 criteria 1 and 2, and d04 criterion 4 if sessions end too early)",
    );
    for (let seq = 1; seq <= 6; seq++) s.ask("c2", first, { type: "write", key: "w", value: seq, client_id: "c2", seq });
    driver.heal();
    s.until(() => driver.status(behind).snapshotIndex > 0 && driver.status(behind).lastApplied >= driver.status(first).lastApplied, `${behind} installing a snapshot`);

    driver.crash(first);
    s.elect(behind);
    expectCached(`by ${behind}, which became leader after a leader change and had caught up by installing a snapshot`, behind);

    for (const id of driver.nodeIds) if (driver.isUp(id)) driver.crash(id);
    for (const id of driver.nodeIds) driver.restart(id);
    expectCached("after every node restarted from its snapshot and log", s.leader());

    // Then under seeded faults: crashes with restarts from snapshots, partitions, lost and duplicated messages.
    await faultRuns(ctx, {
      label: "your ClientTracker as the session store of 3 reference nodes under kill, partition, lose-reply and duplicate",
      config: { ...DEFAULT_CONFIG, nodes: 3, timeLimitS: 8, workload: "exactly-once", nemesis: ["kill", "partition", "lose-reply", "duplicate"], core: SESSION_CORE_MODULE },
      firstSeed: 1,
      defaultSeeds: 8,
      // The reference vote rules: this lesson judges the session store, not day 2's piece.
      createCore: await coreFactoryFor(ctx.workbook, { voteRules: false }),
      checks: ["exactly-once"],
    });
  },
};

const expiryByLogTime: CriterionCheck = {
  criterion: criterion(LESSON.dedupStore, 4),
  title: "sessions idle longer than the timeout are collected by the time in the log, the same on every replica",
  files: ["src/client-tracker.ts"],
  async run(ctx) {
    const t = await tracker(ctx);
    // Times far from the machine's clock, both ways: only the argument may decide.
    const base = Date.now() - 10 * 24 * 3600 * 1000;
    t.recordResponse("old", 1, { type: "write_ok" }, base);
    t.recordResponse("fresh", 1, { type: "write_ok" }, base + 200_000);
    const early = t.garbageCollectExpiredSessions(base + SESSION_TIMEOUT_MS);
    if (!Array.isArray(early) || early.length !== 0) {
      throw new CheckFailure(
        `garbageCollectExpiredSessions(now) ended a session idle exactly the timeout (${SESSION_TIMEOUT_MS} ms) by the time passed in, or ended sessions by another clock: expiry is decided by the time argument (the log's time) alone, never the local clock`,
        { expected: "[]", received: show(early) },
      );
    }
    const ended = t.garbageCollectExpiredSessions(base + SESSION_TIMEOUT_MS + 1);
    if (!same(ended, ["old"])) {
      throw new CheckFailure(`at ${SESSION_TIMEOUT_MS + 1} ms after its last request, session "old" must end and "fresh" (idle ${SESSION_TIMEOUT_MS + 1 - 200_000} ms) must stay, by the time passed in`, {
        expected: show(["old"]),
        received: show(ended),
      });
    }
    const future = new (t.constructor as typeof TrackerModule.ClientTracker)({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const later = Date.now() + 365 * 24 * 3600 * 1000;
    future.recordResponse("c1", 1, { type: "write_ok" }, later);
    const gone = future.garbageCollectExpiredSessions(later + SESSION_TIMEOUT_MS + 1);
    if (!same(gone, ["c1"])) {
      throw new CheckFailure("a session idle longer than the timeout by the time passed in was not ended: expiry must follow the time argument (the log's time), not the local clock (Date.now())", {
        expected: show(["c1"]),
        received: show(gone),
      });
    }

    // Integrated: three replicas whose own clocks are an hour apart agree, because only the log's time counts.
    const offsets = { n1: 0, n2: 3_600_000, n3: -3_600_000 };
    const driver = new RaftDriver({ nodeIds: ["n1", "n2", "n3"], seed: 7, msPerTick: 1_000, createCore: await trackerCore(ctx.workbook, offsets) });
    const s = new Scenario(driver, 1_000);
    s.elect("n1");
    s.ask("c1", "n1", { type: "write", key: "x", value: 1, client_id: "c1", seq: 1 });
    s.ask("c2", "n1", { type: "append", key: "l", value: 1, client_id: "c2", seq: 1 });
    driver.run(100);
    s.ask("c2", "n1", { type: "append", key: "l", value: 2, client_id: "c2", seq: 2 });
    driver.crash("n1");
    s.elect("n2");
    driver.run(250);
    // By the log, c1 is now idle about 350 s (ended), c2 about 250 s (alive).
    const third = s.ask("c2", "n2", { type: "append", key: "l", value: 3, client_id: "c2", seq: 3 });
    driver.restart("n1");
    s.until(() => driver.nodeIds.every((id) => driver.status(id).lastApplied === driver.status("n2").lastApplied), "every replica catching up");
    const counts = Object.fromEntries(driver.nodeIds.map((id) => [id, driver.status(id).sessions]));
    if (!Object.values(counts).every((n) => n === 1)) {
      throw new CheckFailure(
        "replicas whose clocks differ by an hour disagree about which sessions ended (or ended the wrong ones): by the log's time c1 was idle about 350 s (ended) and c2 about 250 s (alive); expiry must use the time in the log entry",
        { expected: show({ n1: 1, n2: 1, n3: 1 }), received: show(counts) },
      );
    }
    driver.crash("n2");
    s.elect("n3");
    const retry = s.ask("c2", "n3", { type: "append", key: "l", value: 3, client_id: "c2", seq: 3 });
    if (!same(retry, third)) {
      const replyMistake = await cachedReplyMistake(ctx);
      if (replyMistake !== undefined) throw replyMistake;
      throw new CheckFailure("c2's retry of seq 3, a moment after it was applied, was not answered from its session by n3 (its clock an hour behind): a session ended by a replica's own clock instead of the log's time", {
        expected: show(third),
        received: show(retry),
      });
    }
  },
};

export const DEDUP_STORE_CHECKS: CriterionCheck[] = [
  repeatedWrite,
  lastSeqReplaced,
  readsNotDeduplicated,
  nodeDedup,
  nodeStale,
  sessionsReplicated,
  expiryByLogTime,
  sampleCase,
];
