/**
 * One `kv` operation against the cluster (real clock, sleep, sockets, and a
 * PRNG seeded from the OS; output through an injected Io): the retrying
 * client runs it, and what is known about it is reported. main.ts imports
 * this module only when an operation is asked for, so `kv --help` and a
 * usage error start without the client.
 */
import { randomBytes } from "node:crypto";
import { createPrng, ErrorCode, errorSpec, type ErrorBody } from "@dslab/protocol";
import type { Io } from "@dslab/protocol/cli";
import { formatAttempt, type AttemptRecord } from "../attempt-log.js";
import { CLIENT_DEFAULTS, KvClient, type OpResult } from "../client.js";
import { classify, type AttemptResult, type ClassifyContext, type RetryRule } from "../policy.js";
import { systemClock, systemSleep } from "../deps.js";
import { TcpTransport } from "../transport/tcp.js";
import type { Operation } from "../client.js";
import { nodeAddress, type KvPlan } from "./args.js";
import { cannotReachAnyNode } from "./hints.js";
import { EXIT } from "./main.js";
import { printable, shown, shownLogLine } from "./printable.js";

function describeError(e: ErrorBody): string {
  return `error ${e.code} ${errorSpec(e.code).name}${e.text ? `: ${shown(e.text)}` : ""}`;
}

/** A word as a POSIX shell reads it back: bare when that is safe, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w.,:=/+@%-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command that sends the same request again (same client_id and seq) to
 * the same nodes, in the form the README uses: the cluster answers it from
 * its session, so running it tells what happened without applying it twice.
 */
function replayCommand(plan: KvPlan, r: { clientId: string; seq: number | undefined }): string {
  const words = [...plan.target, "--client-id", r.clientId, "--seq", String(r.seq), ...plan.words];
  return `npm run kv -- ${words.map(shellWord).join(" ")}`;
}

/**
 * A read changes nothing, so a read that got no settling answer failed to
 * read: never "unknown (it may have happened)". The client cannot tell a
 * read from a write by the errors it got; the command can.
 */
function asRead(r: OpResult): OpResult {
  if (r.outcome !== "unknown") return r;
  const { lastError, because: _because, outcome: _outcome, ...rest } = r;
  return { ...rest, outcome: "failed", error: lastError };
}

/**
 * How kv names the nodes it sent to. The client knows a node by the name it
 * was sent to: a port given is named by its address (`127.0.0.1:9001`), a
 * leader a redirect named by its id (`n3`). Once a reply has shown a port's
 * id, both are written as the id with the address beside it, so one node has
 * one name throughout the output.
 */
interface NodeNames {
  /** The attempt's log line: `node=n1(127.0.0.1:9001)`, or `node=127.0.0.1:9001` while the id is unknown. */
  line(record: AttemptRecord): string;
  /** The nodes tried, each once: its id, or its address while the id is unknown. */
  ids(nodes: readonly string[]): string[];
  /** The nodes tried, each once, for the text report: `n1(127.0.0.1:9001)`, or the address alone. */
  shown(nodes: readonly string[]): string[];
}

function nodeNames(plan: KvPlan, transport: TcpTransport): NodeNames {
  const where = (node: string): { id: string | undefined; address: string } => {
    const given = Object.hasOwn(plan.nodes, node) ? plan.nodes[node] : undefined;
    if (given !== undefined) return { id: transport.idOfPort(given), address: node };
    const port = transport.portOf(node);
    return { id: node, address: port === undefined ? node : nodeAddress(plan.host, port) };
  };
  const unique = (names: string[]) => [...new Set(names)];
  return {
    line: (record) => {
      const { id, address } = where(record.node);
      return id === undefined || id === address ? formatAttempt(record) : formatAttempt({ ...record, node: id }, address);
    },
    ids: (nodes) => unique(nodes.map((n) => where(n).id ?? n)),
    shown: (nodes) =>
      unique(
        nodes.map((n) => {
          const { id, address } = where(n);
          return id === undefined || id === address ? shown(address) : `${shown(id)}(${address})`;
        }),
      ),
  };
}

/** A body from a node without the transport's fields (`msg_id`, `in_reply_to`), which say nothing about the operation. */
function withoutEnvelope<T extends Record<string, unknown>>(body: T): Omit<T, "msg_id" | "in_reply_to"> {
  const { msg_id: _mid, in_reply_to: _irt, ...fields } = body;
  return fields;
}

/** The --json report: snake_case, the attempt log as its pasteable lines; client_id and seq only for an operation that carries them. */
function jsonReport(r: OpResult, read: boolean, names: NodeNames): Record<string, unknown> {
  return {
    outcome: r.outcome,
    ...(read ? {} : { client_id: r.clientId, seq: r.seq ?? null }),
    attempts: r.attempts,
    nodes_tried: names.ids(r.nodesTried),
    elapsed_ms: r.elapsedMs,
    ...(r.outcome === "ok" ? { reply: withoutEnvelope(r.reply) } : {}),
    ...(r.outcome === "failed" ? { error: withoutEnvelope(r.error) } : {}),
    ...(r.outcome === "unknown" ? { last_error: withoutEnvelope(r.lastError), because: r.because } : {}),
    ...(r.outcome !== "ok" && r.gaveUp ? { gave_up: r.gaveUp } : {}),
    log: r.log.map(names.line),
  };
}

/** The text report: the outcome, then the identity (writes only) and attempts, then how to find out more. */
function textReport(plan: KvPlan & { operation: Operation }, r: OpResult, names: NodeNames): string {
  const read = plan.operation.type === "read";
  const identity = read ? `attempts=${r.attempts}` : `client_id=${r.clientId} seq=${r.seq ?? "-"} attempts=${r.attempts}`;
  const nodesTried = names.shown(r.nodesTried).join(",");
  const attempts = `${r.attempts} attempt${r.attempts === 1 ? "" : "s"}`;
  const gaveUp = r.outcome !== "ok" && r.gaveUp ? ` (gave up after ${attempts} on ${nodesTried}: ${r.gaveUp})` : "";
  switch (r.outcome) {
    case "ok": {
      const { type, ...fields } = withoutEnvelope(r.reply);
      return `ok ${type}${Object.keys(fields).length ? ` ${printable(JSON.stringify(fields))}` : ""}\n${identity}\n`;
    }
    case "failed":
      return read
        ? `failed: could not read ${JSON.stringify(plan.operation.key)} (a read changes nothing): ${describeError(r.error)}${gaveUp}\n${identity}\n`
        : `failed (definite: it did not happen): ${describeError(r.error)}\n${identity}\n`;
    case "unknown":
      return (
        `unknown (it may or may not have happened): ${attempts} on ${nodesTried}` +
        `${r.gaveUp ? `, gave up (${r.gaveUp})` : ""}; last ${describeError(r.lastError)}\n` +
        (r.because === "a-copy-may-still-arrive"
          ? "every answer refused it, but only for the copy it answered: a copy already sent may still reach a leader and be applied\n"
          : "") +
        `${identity}\n` +
        (r.seq === undefined
          ? ""
          : r.lastError?.code === ErrorCode.SessionUnknown
            ? "a replay gets the same answer: the cluster had no record of this client_id to check the seq against, and has now marked the client_id ended, so it refuses every request under it: start a new client_id, at seq 1\n"
            : `replay it to find out: ${replayCommand(plan, r)}\n`)
      );
  }
}

function wrongProtocolOf(transport: TcpTransport, node: string): string | undefined {
  const port = transport.portOf(node);
  return port === undefined ? undefined : transport.wrongProtocol(port);
}

/**
 * Says once per port, on stderr, that a port given is not a kv node's TCP
 * port (it answered HTTP, say), as soon as an attempt finds it out.
 */
function wrongProtocolHint(transport: TcpTransport, io: Io): (record: AttemptRecord) => void {
  const said = new Set<string>();
  return (record) => {
    const why = record.rule === "refused" ? wrongProtocolOf(transport, record.node) : undefined;
    if (why === undefined || said.has(why)) return;
    said.add(why);
    io.stderr(`kv: ${printable(why)}\n`);
  };
}

/**
 * The retry table, except that a refused attempt ends the operation at once
 * when every port given is known to speak another protocol (HTTP, say): no
 * retry can reach a kv node there, so backing off would only spend
 * --max-retries and --total-ms. It was never sent: `failed`.
 */
function stopOnWrongPorts(plan: KvPlan, transport: TcpTransport): (result: AttemptResult, ctx: ClassifyContext) => RetryRule {
  const ports = Object.values(plan.nodes);
  return (result, ctx) => {
    const r = classify(result, ctx);
    if (r.id !== "refused" || !ports.every((p) => transport.wrongProtocol(p) !== undefined)) return r;
    return { ...r, action: "fail" };
  };
}

/**
 * Watches the attempt log for the first full round in which every node
 * refused the connection (or did not resolve, or did not finish connecting),
 * and then says once, on stderr, that nothing is reachable: without it a run
 * against a cluster that is not running is silent until --total-ms.
 */
function unreachableHint(plan: KvPlan, transport: TcpTransport, io: Io): (record: AttemptRecord) => void {
  const refused = new Set<string>();
  let answered = false;
  let said = false;
  const nodes = Object.keys(plan.nodes);
  return (record) => {
    if (record.rule !== "refused" || wrongProtocolOf(transport, record.node) !== undefined) answered = true;
    else refused.add(record.node);
    if (said || answered || !nodes.every((n) => refused.has(n))) return;
    said = true;
    const ports = Object.values(plan.nodes);
    const bound = plan.totalMs ?? CLIENT_DEFAULTS.maxTotalMs;
    const retries = plan.maxRetries ?? CLIENT_DEFAULTS.maxRetries;
    const more =
      record.action === "give-up" ? "" : `; still trying: at most ${retries + 1} attempt${retries === 0 ? "" : "s"} in all (--max-retries ${retries}), within --total-ms (${bound} ms)`;
    io.stderr(`${cannotReachAnyNode(plan.host, ports)}${more}\n`);
  };
}

/**
 * The leader a refusal named when the client could not follow it, because
 * no port given has answered as that node (kv never guesses a port).
 */
function leaderWithoutPort(r: OpResult, transport: TcpTransport): string | undefined {
  const error = r.outcome === "failed" ? r.error : r.outcome === "unknown" ? r.lastError : undefined;
  const leader = error?.leader;
  return typeof leader === "string" && leader !== "" && !transport.canReach(leader) ? leader : undefined;
}

/**
 * How long kv waits for the nodes to say their ids before its first attempt.
 * A node that is up answers on loopback in a millisecond or two, and one that
 * is down refuses the connection at once; only a node that accepts and hangs
 * costs this much. It is also at most the attempt timeout, and at most half
 * of --total-ms, which bounds the whole run: the operation gets the rest.
 */
const IDENTIFY_TIMEOUT_MS = 300;

/** The signals that stop kv mid-operation and get the replay command said first. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** Runs `plan.operation` and returns the exit code of its outcome. */
export async function runOperation(plan: KvPlan & { operation: Operation }, io: Io): Promise<number> {
  const transport = new TcpTransport({ nodes: plan.nodes, host: plan.host, followMembers: plan.followMembers });
  const hints = [unreachableHint(plan, transport, io), wrongProtocolHint(transport, io)];
  const names = nodeNames(plan, transport);
  const totalMs = plan.totalMs ?? CLIENT_DEFAULTS.maxTotalMs;
  const startedMs = systemClock.now();
  // Which node listens where, before the first attempt, so a redirect is followed at once.
  if (Object.keys(plan.nodes).length > 1) {
    const identifyMs = Math.min(plan.timeoutMs ?? CLIENT_DEFAULTS.attemptTimeoutMs, IDENTIFY_TIMEOUT_MS, Math.max(1, Math.floor(totalMs / 2)));
    await transport.identify(identifyMs);
  }
  const client = new KvClient({
    nodes: Object.keys(plan.nodes),
    transport,
    prng: createPrng(randomBytes(16).toString("hex")),
    clock: systemClock,
    sleep: systemSleep,
    clientId: plan.clientId,
    attemptTimeoutMs: plan.timeoutMs,
    maxRetries: plan.maxRetries,
    maxTotalMs: Math.max(1, totalMs - (systemClock.now() - startedMs)),
    classify: stopOnWrongPorts(plan, transport),
    onAttempt: (record) => {
      if (plan.verbose) io.stderr(`${shownLogLine(names.line(record))}\n`);
      for (const hint of hints) hint(record);
    },
  });
  // Ctrl-C (or a SIGTERM, from `timeout` say) while a write is under way: a
  // copy already sent may still be applied, and the identity that finds out
  // is known only to this process. Say it on stderr, then end as the signal
  // would have.
  const identity = { clientId: client.clientId, seq: plan.operation.type === "read" ? undefined : (plan.seq ?? client.nextSeq) };
  const interrupted = (signal: NodeJS.Signals): void => {
    for (const s of STOP_SIGNALS) process.off(s, interrupted);
    if (identity.seq !== undefined) {
      io.stderr(`kv: interrupted: the ${plan.words[0]} may or may not have happened; replay it to find out: ${replayCommand(plan, identity)}\n`);
    }
    transport.close();
    process.kill(process.pid, signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, interrupted);
  let r: OpResult;
  try {
    r = await client.execute(plan.operation, plan.seq !== undefined ? { seq: plan.seq } : {});
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, interrupted);
    transport.close();
  }

  const unreachableLeader = leaderWithoutPort(r, transport);
  if (unreachableLeader !== undefined) {
    const given = Object.values(plan.nodes).map((p) => `${p} is ${shown(transport.idOfPort(p) ?? "unknown (no answer)")}`);
    const leader = shown(unreachableLeader);
    io.stderr(`kv: the leader is ${leader}, but no port given answered as ${leader} (${given.join(", ")}): give every node's port with --nodes\n`);
  }

  const read = plan.operation.type === "read";
  const report = read ? asRead(r) : r;
  io.stdout(plan.json ? `${printable(JSON.stringify(jsonReport(report, read, names)))}\n` : textReport(plan, report, names));
  return EXIT[report.outcome];
}
