/**
 * etcd-style data-driven scenario files, so a behaviour change reads as a
 * diff of expected output. A file is a list of blocks separated by blank
 * lines:
 *
 *     # what this step shows (comment lines, kept as they are)
 *     command arg arg
 *     ----
 *     expected output, one line each
 *
 * `runScenario` executes the commands against a `RaftDriver` and returns the
 * file as it should read with the actual output; the test compares it with
 * the file, and REWRITE=1 writes it back (review the diff).
 *
 * Commands:
 *   cluster n1 n2 n3 [seed=S] [<NodeConfig field>=N|true|false ...]   start a cluster (first command);
 *                              asyncPersist=true runs the nodes as the runtime does (RaftDriver)
 *   tick <node> [n]            tick one node n times; nothing is delivered
 *   tick-all [n]               every running node ticks once, n rounds; nothing is delivered
 *   deliver                    deliver the messages in flight now (one hop)
 *   stabilize                  deliver until nothing is in flight
 *   run [n]                    n rounds of: tick-all, stabilize
 *   partition a b | c          split the network into groups; heal    remove all cuts
 *   cut <from> <to>            one-way: from's messages to `to` are lost
 *   drop <from> <to>           lose what is in flight from -> to
 *   crash <node> / restart <node>
 *   hold-writes <node>         the node's writes stay in flight, off its disk, until flush-writes (asyncPersist)
 *   flush-writes <node>        its writes in flight become durable; later ones complete at once again
 *   disk <node> term=T [vote=<id>] log=1@1,2@2   replace a crashed node's persisted state (no-op entries)
 *   propose <node> <op> <key> [args] [client=<id>] [seq=<n>]     (<node> may be "leader")
 *                              a client request: write k v, read k, cas k from to, append k v, incr k d, delete k
 *   status                     one line per node
 *   log <node>                 the node's persisted snapshot point and log entries
 *   messages on|off            also trace every delivered message
 */
import type { Body, Json } from "@dslab/protocol";
import type { Command, NodeConfig, PersistentState } from "../../src/contract.js";
import { RaftDriver } from "../../src/testing/raft-driver.js";

interface Block {
  /** Comment and blank lines before the command, as written. */
  preamble: string[];
  command: string;
  expected: string[];
}

export function parseScenario(text: string, file: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let preamble: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "" || line.startsWith("#")) {
      preamble.push(line);
      continue;
    }
    const command = line;
    if (lines[i + 1] !== "----") throw new Error(`${file}:${i + 2}: expected "----" after the command ${JSON.stringify(command)}`);
    i += 2;
    const expected: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== "") expected.push(lines[i++]!);
    blocks.push({ preamble, command, expected });
    preamble = [];
    i--; // the blank line (or end) is read by the loop
  }
  if (preamble.some((l) => l.trim() !== "")) blocks.push({ preamble, command: "", expected: [] });
  return blocks;
}

/** Runs a scenario; returns the file text with actual outputs in place of the expected ones. */
export function runScenario(text: string, file: string): string {
  const blocks = parseScenario(text, file);
  const ctx: Ctx = { driver: null, msgId: 0, file };
  const out: string[] = [];
  for (const block of blocks) {
    out.push(...block.preamble);
    if (block.command === "") continue;
    let output: string[];
    try {
      output = execute(ctx, block.command);
    } catch (e) {
      output = [`error: ${(e as Error).message}`];
    }
    out.push(block.command, "----", ...(output.length > 0 ? output : ["ok"]));
  }
  let result = out.join("\n");
  if (!result.endsWith("\n")) result += "\n";
  return result;
}

interface Ctx {
  driver: RaftDriver | null;
  msgId: number;
  file: string;
}

function execute(ctx: Ctx, command: string): string[] {
  const [name, ...args] = command.trim().split(/\s+/);
  if (name === "cluster") {
    ctx.driver = startCluster(args);
    return [];
  }
  const d = ctx.driver;
  if (!d) throw new Error(`the first command must be "cluster"`);
  const mark = d.trace.length;
  const extra: string[] = [];
  switch (name) {
    case "tick":
      d.tick(need(args[0], "a node id"), count(args[1]));
      break;
    case "tick-all":
      d.tickAll(count(args[0]));
      break;
    case "deliver":
      d.deliverRound();
      break;
    case "stabilize":
      d.stabilize();
      break;
    case "run":
      d.run(count(args[0]));
      break;
    case "partition": {
      const groups = args.join(" ").split("|").map((g) => g.trim().split(/\s+/).filter(Boolean));
      d.partition(groups);
      break;
    }
    case "heal":
      d.heal();
      break;
    case "cut":
      d.cutLink(need(args[0], "from"), need(args[1], "to"));
      break;
    case "drop":
      d.drop(need(args[0], "from"), need(args[1], "to"));
      break;
    case "crash":
      d.crash(need(args[0], "a node id"));
      break;
    case "restart":
      d.restart(need(args[0], "a node id"));
      break;
    case "hold-writes":
      d.holdWrites(need(args[0], "a node id"));
      break;
    case "flush-writes":
      d.flushWrites(need(args[0], "a node id"));
      break;
    case "disk":
      d.setDisk(need(args[0], "a node id"), parseDisk(args.slice(1)));
      break;
    case "propose": {
      const { client, body } = parseRequest(args, ++ctx.msgId);
      const to = need(args[0], "a node id");
      d.request(client, to === "leader" ? need(d.leader() ?? undefined, "a leader (none now)") : to, body);
      d.deliverRound((m) => m.src === client);
      break;
    }
    case "status":
      for (const id of d.nodeIds) extra.push(statusLine(d, id));
      break;
    case "log":
      extra.push(...logLines(d, need(args[0], "a node id")));
      break;
    case "messages":
      d.traceMessages = args[0] !== "off";
      break;
    default:
      throw new Error(`unknown command ${JSON.stringify(name)}`);
  }
  return [...d.trace.slice(mark), ...extra];
}

function startCluster(args: string[]): RaftDriver {
  const nodeIds = args.filter((a) => !a.includes("="));
  let seed: string | number = 1;
  const config: Record<string, number | boolean> = {};
  for (const a of args.filter((x) => x.includes("="))) {
    const [k, v] = a.split("=") as [string, string];
    if (k === "seed") seed = v;
    else config[k] = v === "true" ? true : v === "false" ? false : Number(v);
  }
  return new RaftDriver({ nodeIds, seed, config: config as Partial<NodeConfig> });
}

function parseRequest(args: string[], msgId: number): { client: string; body: Body } {
  const positional = args.filter((a) => !/^(client|seq)=/.test(a));
  const named = Object.fromEntries(args.filter((a) => /^(client|seq)=/.test(a)).map((a) => a.split("=") as [string, string]));
  const [, op, key, ...rest] = positional;
  const body: Body = { type: need(op, "an operation"), msg_id: msgId, key: parseKey(need(key, "a key")) };
  const values = rest.map(parseValue);
  switch (op) {
    case "write":
    case "append":
      body.value = values[0];
      break;
    case "cas":
      body.from = values[0];
      body.to = values[1];
      break;
    case "incr":
      body.delta = values[0];
      break;
  }
  if (named.seq !== undefined) {
    body.client_id = named.client ?? "c";
    body.seq = Number(named.seq);
  }
  return { client: named.client ?? "c", body };
}

function parseKey(text: string): string | number {
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

function parseValue(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

function parseDisk(args: string[]): PersistentState {
  const named = Object.fromEntries(args.map((a) => a.split("=") as [string, string]));
  const entries = (named.log ?? "")
    .split(",")
    .filter(Boolean)
    .map((pair) => {
      const [index, term] = pair.split("@").map(Number) as [number, number];
      return { index, term, command: { kind: "noop" as const, ts: 0 } };
    });
  return { hardState: { term: Number(named.term ?? 0), votedFor: named.vote ?? null }, snapshot: null, entries };
}

function need(v: string | undefined, what: string): string {
  if (v === undefined) throw new Error(`missing ${what}`);
  return v;
}

function count(v: string | undefined): number {
  return v === undefined ? 1 : Number(v);
}

function statusLine(d: RaftDriver, id: string): string {
  if (!d.isUp(id)) return `${id}: down`;
  const s = d.status(id);
  return `${id}: ${s.role} term=${s.term} leader=${s.leader ?? "none"} commit=${s.commitIndex} applied=${s.lastApplied} last=${s.lastLogIndex} snapshot=${s.snapshotIndex}`;
}

function logLines(d: RaftDriver, id: string): string[] {
  const state = d.storages.get(id)!.loadSync();
  const lines: string[] = [];
  if (state.snapshot) lines.push(`snapshot at ${state.snapshot.lastIncludedIndex} (term ${state.snapshot.lastIncludedTerm})`);
  for (const e of state.entries) lines.push(`${e.index}@${e.term} ${describeCommand(e.command)}`);
  if (lines.length === 0) lines.push("(empty)");
  return lines;
}

export function describeCommand(c: Command): string {
  if (c.kind === "noop") return "noop";
  const r = c.request as unknown as Record<string, unknown>;
  const args = ["value", "from", "to", "delta"].filter((k) => r[k] !== undefined).map((k) => JSON.stringify(r[k]));
  const who = r.client_id !== undefined ? ` (${String(r.client_id)}#${String(r.seq)})` : "";
  return `${r.type} ${String(r.key)}${args.length ? " " + args.join(" ") : ""}${who}`;
}
