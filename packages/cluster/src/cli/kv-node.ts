/**
 * kv-node: one cluster node on stdin/stdout, Maelstrom-compatible.
 *
 * Waits for `init {node_id, node_ids}`, answers `init_ok`, then serves the
 * lin-kv bodies. Messages for other nodes are written to stdout (Maelstrom or
 * the dslab harness routes them). Only protocol lines go to stdout; logs go
 * to stderr as `<node id> | <line>`.
 *
 * Back-pressure: while stdout or stderr holds output its reader has not
 * taken (past the stream's buffer), stdin is not read. Each input line makes
 * a bounded amount of output (a reply, a log line), so a writer faster than
 * the reader of our output cannot make the node queue output without bound.
 */
import {
  DEFAULT_MAX_LINE_BYTES,
  ErrorCode,
  LineSplitter,
  MAX_JSON_DEPTH,
  MAX_MESSAGE_DEPTH,
  encodeMessage,
  errorBody,
  type Message,
} from "@dslab/protocol";
import { exitCodeHelp, readPackageVersion, runMain, type Io } from "@dslab/protocol/cli";
import { NODE_DEFAULTS, nodeSchemas } from "../node/core.js";
import { DEFAULT_MAX_PEER_LINE_BYTES, decodeInbound, isBlank, type RawLine } from "../runtime/inbound.js";
import type { KvNodeRuntime } from "../runtime/node-runtime.js";
import { startNode } from "../runtime/start-node.js";
import { TIMING_DEFAULTS, timingText } from "../runtime/timing.js";
import { fatalExitCode, intFlag, parseFlags, pathFlag, serverIo, storageRefusal, tickFlag } from "./args.js";

/** "1 MiB", "64 MiB": a byte count as help text says it. */
function mib(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

const HELP = `Usage: kv-node [options]

One node of the reference Raft key-value cluster, speaking Maelstrom JSON
lines on stdin/stdout (logs on stderr). Send {"type":"init","node_id":"n1",
"node_ids":["n1","n2","n3"]} first; with one node id it serves at once.

Options:
  --data-dir DIR            keep the WAL and snapshots in DIR (fsync'ed);
                            without it state lives in memory only
  --tick-ms MS              election/heartbeat tick period (default ${TIMING_DEFAULTS.tickMs};
                            ${timingText()})
  --seed SEED               seed of the election-timeout PRNG (default: time+pid)
  --session-timeout-ms MS   client sessions expire after MS idle, by leader
                            timestamps (default ${NODE_DEFAULTS.sessionTimeoutMs})
  --max-sessions N          bound on live client sessions; the least recently
                            active is evicted beyond it (default ${NODE_DEFAULTS.maxSessions})
  --idempotency-ttl-ms MS   Idempotency-Key records expire MS after first use
                            (default ${NODE_DEFAULTS.idempotencyTtlMs}, ${NODE_DEFAULTS.idempotencyTtlMs / 3_600_000} h)
  --max-idempotency-keys N  bound on stored Idempotency-Key records; the oldest
                            is dropped beyond it (default ${NODE_DEFAULTS.maxIdempotencyKeys})
  --snapshot-every N        snapshot after N applied entries (default ${NODE_DEFAULTS.snapshotEveryEntries})
  --max-line-bytes N        refuse longer client lines with error 1002 (default ${mib(DEFAULT_MAX_LINE_BYTES)};
                            lines from peers may be up to ${mib(DEFAULT_MAX_PEER_LINE_BYTES)})
  --version                 print the version
  -h, --help                show this help

A line that cannot be served (not JSON, a bad field, too long, a request
field nested deeper than ${MAX_JSON_DEPTH} levels or a line deeper than ${MAX_MESSAGE_DEPTH}) gets a
definite error reply naming the field; the node keeps serving.

Example:
  printf '%s\\n' '{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}' \\
    '{"src":"c1","dest":"n1","body":{"type":"write","msg_id":2,"key":"x","value":1,"client_id":"c1","seq":1}}' | npm run --silent kv-node

Here: 1 another live process holds --data-dir; 4 the data directory cannot be
read or trusted (one line naming the file and what to do).

${exitCodeHelp()}`;

/**
 * Why an init's members cannot make a cluster, if they cannot: an id named
 * twice would be counted twice in every quorum (`["n1","n1"]` is one node
 * that needs two votes, and waits for the second forever), an empty id
 * names no node, and the node must be one of them.
 */
function initRefusal(nodeId: string, nodeIds: readonly string[]): string | undefined {
  const shown = JSON.stringify(nodeIds);
  if (nodeIds.includes("")) return `node_ids ${shown} holds an empty node id`;
  const seen = new Set<string>();
  for (const id of nodeIds) {
    if (seen.has(id)) return `node_ids ${shown} names ${id} twice`;
    seen.add(id);
  }
  if (!seen.has(nodeId)) return `node_ids ${shown} does not include node_id ${nodeId}`;
  return undefined;
}

/** After stdin ends, how long to wait for replies to requests already received. */
const STDIN_END_GRACE_MS = 2000;

async function main(argv: string[], io: Io): Promise<number> {
  const { values } = parseFlags(argv, {
    help: { type: "boolean", short: "h" },
    "data-dir": { type: "string" },
    "tick-ms": { type: "string" },
    seed: { type: "string" },
    "session-timeout-ms": { type: "string" },
    "max-sessions": { type: "string" },
    "idempotency-ttl-ms": { type: "string" },
    "max-idempotency-keys": { type: "string" },
    "snapshot-every": { type: "string" },
    "max-line-bytes": { type: "string" },
  });
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const dataDir = pathFlag(values["data-dir"], "data-dir");
  const tickMs = tickFlag(values["tick-ms"]);
  const sessionTimeoutMs = intFlag(values["session-timeout-ms"], "session-timeout-ms", { min: 1 });
  const maxSessions = intFlag(values["max-sessions"], "max-sessions", { min: 1 });
  const idempotencyTtlMs = intFlag(values["idempotency-ttl-ms"], "idempotency-ttl-ms", { min: 1 });
  const maxIdempotencyKeys = intFlag(values["max-idempotency-keys"], "max-idempotency-keys", { min: 1 });
  const snapshotEveryEntries = intFlag(values["snapshot-every"], "snapshot-every", { min: 1 });
  const maxLineBytes = intFlag(values["max-line-bytes"], "max-line-bytes", { min: 64 }) ?? DEFAULT_MAX_LINE_BYTES;
  // Peers' appends may be far longer than any client request (up to 256 entries of 64 KiB).
  const maxPeerLineBytes = DEFAULT_MAX_PEER_LINE_BYTES;
  /** The other nodes, once init named them. */
  const peerIds = new Set<string>();

  let nodeId: string | null = null;
  let runtime: KvNodeRuntime | null = null;
  let starting: Promise<void> | null = null;
  /** Lines that arrived while the node was loading its storage after init. */
  const backlog: Message[] = [];
  const log = (line: string) => process.stderr.write(`${nodeId ?? "kv-node"} | ${line}\n`);
  /** Client requests handed to the core and not answered yet: `src msg_id`. */
  const unanswered = new Set<string>();
  // Lines produced in one turn of the event loop leave in one write.
  let outLines: string[] = [];
  const flushOut = () => {
    if (outLines.length === 0) return;
    const text = `${outLines.join("\n")}\n`;
    outLines = [];
    process.stdout.write(text);
  };
  // As Maelstrom nodes do, the node numbers every message it sends, from 0.
  let nextMsgId = 0;
  const out = (m: Message) => {
    if (m.body.msg_id === undefined) m = { ...m, body: { ...m.body, msg_id: nextMsgId++ } };
    if (m.body.in_reply_to !== undefined) unanswered.delete(`${m.dest} ${m.body.in_reply_to}`);
    if (outLines.length === 0) process.nextTick(flushOut);
    outLines.push(encodeMessage(m));
  };
  const exit = (code: number) => {
    flushOut();
    process.exit(code);
  };

  const handleMessage = (message: Message): void => {
    const body = message.body;
    if (body.type === "init") {
      const initId = body.node_id as string;
      // From the node's id once it has one: a second init naming another id does not make the node speak as it.
      const reply = (b: Message["body"]) => out({ src: nodeId ?? initId, dest: message.src, body: { ...b, in_reply_to: body.msg_id } });
      if (nodeId !== null) {
        // The same init again (a harness that retried it): init_ok once the node has started, after the first one's; never if it cannot start.
        if (initId === nodeId) void starting?.then(() => reply({ type: "init_ok" }), () => {});
        else reply(errorBody(ErrorCode.MalformedRequest, `already initialized as ${nodeId}; cannot become ${initId}`));
        return;
      }
      const nodeIds = body.node_ids as string[];
      const refusal = initRefusal(initId, nodeIds);
      if (refusal !== undefined) {
        reply(errorBody(ErrorCode.MalformedRequest, refusal));
        return;
      }
      nodeId = initId;
      for (const id of nodeIds) if (id !== initId) peerIds.add(id);
      starting = startNode({
        id: initId,
        nodeIds,
        dataDir,
        seed: values.seed,
        tickMs,
        sessionTimeoutMs,
        maxSessions,
        idempotencyTtlMs,
        maxIdempotencyKeys,
        snapshotEveryEntries,
        send: out,
        log,
        onFatal: (e) => exit(fatalExitCode(e, log)),
      }).then(
        (r) => {
          runtime = r;
          reply({ type: "init_ok" });
          for (const m of backlog.splice(0)) r.deliver(m);
        },
        (e: unknown) => {
          const refusal = storageRefusal(e);
          if (refusal) {
            log(`could not start: ${refusal.message}`);
            exit(refusal.exitCode);
          } else {
            log(`could not start: internal error (a bug): ${(e as Error).stack ?? String(e)}`);
            exit(70);
          }
        },
      );
      return;
    }
    if (nodeId === null) {
      out({
        src: message.dest,
        dest: message.src,
        body: { ...errorBody(ErrorCode.TemporarilyUnavailable, "not initialized: send init first"), in_reply_to: body.msg_id },
      });
      return;
    }
    if (message.dest !== nodeId) {
      log(`message for ${message.dest} arrived at ${nodeId}; answered with error 1`);
      out({
        src: nodeId,
        dest: message.src,
        body: { ...errorBody(ErrorCode.NodeNotFound, `this is node ${nodeId}, not ${message.dest}`), in_reply_to: body.msg_id },
      });
      return;
    }
    if (!message.body.type.startsWith("raft_") && message.body.msg_id !== undefined) {
      unanswered.add(`${message.src} ${message.body.msg_id}`);
    }
    if (runtime) runtime.deliver(message);
    else backlog.push(message);
  };

  const handleRaw = (raw: RawLine): void => {
    if (isBlank(raw)) return;
    const decoded = decodeInbound(raw, {
      source: "stdin",
      nodeId: nodeId ?? "kv-node",
      schemas: nodeSchemas,
      maxLineBytes,
      maxPeerLineBytes,
      isPeer: (src) => peerIds.has(src),
    });
    if (!decoded.ok) {
      log(decoded.log);
      out(decoded.reply);
      return;
    }
    handleMessage(decoded.message);
  };

  const splitter = new LineSplitter(Math.max(maxLineBytes, maxPeerLineBytes));
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk: string) => {
    splitter.push(chunk).forEach(handleRaw);
    // Replies leave on the next tick: hold stdin back once they are written, if they did not fit.
    process.nextTick(holdInputWhileOutputQueued);
  });
  let inputHeld = false;
  const holdInputWhileOutputQueued = (): void => {
    const full = [process.stdout, process.stderr].find((s) => s.writableNeedDrain);
    if (full === undefined) {
      if (inputHeld) process.stdin.resume();
      inputHeld = false;
      return;
    }
    if (!inputHeld) process.stdin.pause();
    inputHeld = true;
    full.once("drain", holdInputWhileOutputQueued);
  };
  const shutdown = async (why: string) => {
    if (starting) await starting;
    log(`${why}; stopping`);
    await (runtime as KvNodeRuntime | null)?.close();
    exit(0);
  };
  process.stdin.on("end", () => {
    splitter.end().forEach(handleRaw);
    // Input piped from a file ends at once: answer what was asked first.
    void (async () => {
      if (starting) await starting;
      const deadline = Date.now() + STDIN_END_GRACE_MS;
      while (unanswered.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await shutdown("stdin closed");
    })();
  });
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  // Serves until stdin ends or a signal comes; each path exits the process itself.
  return new Promise<number>(() => {});
}

await runMain({ name: "kv-node", version: readPackageVersion(new URL(import.meta.url)) }, main, process.argv.slice(2), serverIo(process));
