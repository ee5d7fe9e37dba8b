/**
 * kv-cluster: the reference cluster on localhost TCP ports.
 *
 *   kv-cluster start --nodes 3 --base-port 9001 --data-dir DIR
 *       runs n1..nN as child processes; node i listens on 127.0.0.1 at
 *       base-port+i-1 and keeps its WAL in DIR/n<i>. Ctrl-C stops them all.
 *   kv-cluster node --id n2 --nodes 3 --base-port 9001 --data-dir DIR
 *       runs that one node in this process (to restart a killed node).
 *
 * The nodes prove a shared secret to each other when a peer connection opens
 * (runtime/peer-auth.ts): `start` creates DIR/cluster.secret (mode 0600) if
 * it is missing, and every node reads it (or the file --secret-file names).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, fstatSync, promises as fsp, readFileSync, statSync, type Stats } from "node:fs";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { NODE_DEFAULTS, nodeSchemas } from "../node/core.js";
import type { NodeEvent } from "../events.js";
import { DEFAULT_MAX_HTTP_CONNECTIONS } from "../http/bounds.js";
import type { HttpFront } from "../http/index.js";
import type { KvNodeRuntime } from "../runtime/node-runtime.js";
import { startNode } from "../runtime/start-node.js";
import { LOCK_FILE, liveLockHolder, releaseHeldLocksSync } from "../storage/lock.js";
import { CoreFailure } from "../runtime/node-runtime.js";
import { loadCore, resolveModulePath } from "../runtime/load-module.js";
import { writeTimingsTo } from "../runtime/write-timing.js";
import { ClusterSecretError, defaultSecretFile, ensureClusterSecret, readClusterSecret } from "../runtime/cluster-secret.js";
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_BUFFERED_INPUT_BYTES,
  DEFAULT_MAX_CLIENT_CONNECTIONS,
  TcpTransport,
} from "../runtime/tcp-transport.js";
import { CliError, EXIT, exitCodeHelp, readPackageVersion, runMain, unknownCommand, type Io } from "@dslab/protocol/cli";
import { TIMING_DEFAULTS, timingText } from "../runtime/timing.js";
import { DirectoryError, ensureDirectory } from "../storage/directory.js";
import { asCliError, fatalExitCode, intFlag, parseFlags, pathFlag, serverIo, tickFlag, UsageError } from "./args.js";

/** The cluster's shape without --nodes and --base-port. */
export const CLUSTER_DEFAULTS = { nodes: 3, basePort: 9001 } as const;
/** Most nodes a cluster may have: each is a process of its own on this machine (a Raft cluster has 3, 5 or 7). */
export const MAX_CLUSTER_NODES = 9;


const HELP = `Usage: kv-cluster <command> [options]

The reference Raft key-value cluster on localhost TCP ports.

Commands:
  start    run N nodes as child processes (Ctrl-C stops them all)
  node     run one node of the cluster in this process
  help     show this help (help start, help node: a command's options)

Run kv-cluster <command> --help for the options of a command, and
kv-cluster --version for the version.

Here: 1 a node that cannot listen on its port, or another live process holds
its data directory; 4 a data directory or cluster secret that cannot be read
or trusted (one line naming the file and what to do).

${exitCodeHelp()}`;

const COMMON_OPTIONS = `  --nodes N                 nodes in the cluster, 1 to ${MAX_CLUSTER_NODES} (default ${CLUSTER_DEFAULTS.nodes}): ids n1..nN
  --base-port P             node i listens on 127.0.0.1:P+i-1 (default ${CLUSTER_DEFAULTS.basePort})
  --data-dir DIR            node i keeps its WAL and snapshots in DIR/n<i> (required)
  --http-port H             also serve the HTTP front: node i on H+i-1
  --tick-ms MS              election/heartbeat tick (default ${TIMING_DEFAULTS.tickMs}; ${timingText()})
  --seed SEED               master seed of the election-timeout PRNG
  --session-timeout-ms MS   client sessions expire after MS idle (default ${NODE_DEFAULTS.sessionTimeoutMs})
  --max-sessions N          bound on live client sessions (default ${NODE_DEFAULTS.maxSessions})
  --idempotency-ttl-ms MS   Idempotency-Key records expire MS after first use
                            (default ${NODE_DEFAULTS.idempotencyTtlMs}, ${NODE_DEFAULTS.idempotencyTtlMs / 3_600_000} h)
  --max-idempotency-keys N  bound on stored Idempotency-Key records (default ${NODE_DEFAULTS.maxIdempotencyKeys})
  --snapshot-every N        snapshot after N applied entries (default ${NODE_DEFAULTS.snapshotEveryEntries})
  --core FILE               run another core instead of the reference: a module
                            exporting createKvNodeCore(config, restored), e.g.
                            week-12/plug/vote-core.ts (the reference core with
                            the workbook's vote rules); a relative FILE is
                            looked up from here, then from the repository root
  --secret-file FILE        the cluster secret peers prove to each other
                            (default DIR/cluster.secret; \`start\` creates that
                            one, mode 0600, when it is missing)
  --max-client-connections N
                            client connections a node keeps open (default
                            ${DEFAULT_MAX_CLIENT_CONNECTIONS}); one more is answered error 11 and closed
  --max-buffered-input-bytes B
                            unfinished input held over all client connections
                            of a node (default ${DEFAULT_MAX_BUFFERED_INPUT_BYTES}); the connection that
                            goes past it is answered error 11 and closed
  --idle-timeout-ms MS      a client connection with no traffic for MS is
                            closed (default ${DEFAULT_IDLE_TIMEOUT_MS})
  --max-http-connections N  HTTP connections a node's front keeps open (default
                            ${DEFAULT_MAX_HTTP_CONNECTIONS}); one more is closed at once
  --version                 print the version
  -h, --help                show this help`;

const START_HELP = `Usage: kv-cluster start --nodes 3 --base-port 9001 --data-dir DIR [options]

Runs n1..nN as child processes, logs prefixed by node id. A data directory a
running cluster holds, a port another program listens on, or a port the
system refuses (below 1024 without privileges) is refused first (exit 1)
and no node starts. Each node's pid is
printed so you can SIGKILL one; restart it with the printed "kv-cluster node"
command. Then a client command for these ports ("try: npm run kv -- --nodes
..."). Each change of leader is printed as "leader is now n2 (term 3)".
Ctrl-C (or SIGTERM) stops every node and exits 0. Once every node has
stopped on its own, start exits with the nodes' code when they all gave the
same one (4: no node could trust its data directory), 70 when one met a bug,
else 1.

Options:
${COMMON_OPTIONS}`;

const NODE_HELP = `Usage: kv-cluster node --id n2 --nodes 3 --base-port 9001 --data-dir DIR [options]

Runs one node of the cluster in this process: it keeps its data in DIR/n<i>,
listens on base-port+i-1 (and then prints its pid), and connects to its peers
(reconnecting while they are down). A node refused before it listens (its
data directory, its cluster secret, its --core, its port) prints only why.
A port (its own or its --http-port) another program listens on, or one the
system refuses (below 1024 without privileges), stops it with one line
naming the port and what to do (exit 1); it removes the LOCK it took.
SIGTERM or Ctrl-C stops it cleanly; SIGKILL loses nothing acknowledged.

Options:
  --id ID                   this node's id: n1..nN (required)
${COMMON_OPTIONS}`;

const FLAGS = {
  help: { type: "boolean", short: "h" },
  nodes: { type: "string" },
  "base-port": { type: "string" },
  "data-dir": { type: "string" },
  "http-port": { type: "string" },
  "tick-ms": { type: "string" },
  seed: { type: "string" },
  "session-timeout-ms": { type: "string" },
  "max-sessions": { type: "string" },
  "idempotency-ttl-ms": { type: "string" },
  "max-idempotency-keys": { type: "string" },
  "snapshot-every": { type: "string" },
  core: { type: "string" },
  "secret-file": { type: "string" },
  "max-client-connections": { type: "string" },
  "max-buffered-input-bytes": { type: "string" },
  "idle-timeout-ms": { type: "string" },
  "max-http-connections": { type: "string" },
  id: { type: "string" },
  /** Internal (set by `start`): stop when stdin closes, so no node outlives a killed `start`. */
  "exit-with-parent": { type: "boolean" },
  /** Internal (set by `start`): write the node's typed events as JSON lines to this file descriptor. */
  "events-fd": { type: "string" },
} as const;

type Values = ReturnType<typeof parseFlags<typeof FLAGS>>["values"];

interface ClusterShape {
  nodes: number;
  basePort: number;
  dataDir: string;
  httpPort: number | undefined;
  nodeIds: string[];
}

function clusterShape(values: Values): ClusterShape {
  const nodes = intFlag(values.nodes, "nodes", { min: 1, max: MAX_CLUSTER_NODES, default: CLUSTER_DEFAULTS.nodes })!;
  const basePort = intFlag(values["base-port"], "base-port", { min: 1, max: 65535, default: CLUSTER_DEFAULTS.basePort })!;
  const httpPort = intFlag(values["http-port"], "http-port", { min: 1 });
  if (basePort + nodes - 1 > 65535) throw new UsageError(`--base-port ${basePort} with ${nodes} nodes goes past port 65535`);
  if (httpPort !== undefined) {
    if (httpPort + nodes - 1 > 65535) throw new UsageError(`--http-port ${httpPort} with ${nodes} nodes goes past port 65535`);
    if (httpPort <= basePort + nodes - 1 && basePort <= httpPort + nodes - 1) {
      throw new UsageError(
        `--http-port ${httpPort} overlaps --base-port ${basePort}: the nodes listen on ${basePort}-${basePort + nodes - 1} and would serve HTTP on ${httpPort}-${httpPort + nodes - 1}; pick ranges apart`,
      );
    }
  }
  const dataDir = pathFlag(values["data-dir"], "data-dir");
  pathFlag(values["secret-file"], "secret-file");
  // An empty value is a mistake (an unset shell variable), never "the default".
  if (dataDir === "") throw new UsageError(`--data-dir "": an empty path; give the directory the nodes keep their data in`);
  if (values["secret-file"] === "") {
    throw new UsageError(`--secret-file "": an empty path; give the cluster secret's file, or leave --secret-file out for DIR/cluster.secret`);
  }
  if (dataDir === undefined) throw new UsageError("--data-dir DIR is required: each node keeps its WAL in DIR/n<i>");
  return { nodes, basePort, dataDir, httpPort, nodeIds: Array.from({ length: nodes }, (_, i) => `n${i + 1}`) };
}

/** What `start` prints for a first write: the client command for these ports, and curl when the HTTP front is on. */
function clientHint(shape: ClusterShape): string {
  const ports = shape.nodeIds.map((_, i) => shape.basePort + i).join(",");
  const tcp = `npm run kv -- --nodes ${ports} put greeting hello`;
  if (shape.httpPort === undefined) return `try: ${tcp}`;
  return `try: ${tcp}, or over HTTP: curl -L -X PUT http://127.0.0.1:${shape.httpPort}/kv/greeting -d '{"value":"hello"}'`;
}

/** The numeric node flags, checked (so `start` refuses a bad one before spawning anything). */
function nodeTuning(values: Values) {
  return {
    tickMs: tickFlag(values["tick-ms"]),
    sessionTimeoutMs: intFlag(values["session-timeout-ms"], "session-timeout-ms", { min: 1 }),
    maxSessions: intFlag(values["max-sessions"], "max-sessions", { min: 1 }),
    idempotencyTtlMs: intFlag(values["idempotency-ttl-ms"], "idempotency-ttl-ms", { min: 1 }),
    maxIdempotencyKeys: intFlag(values["max-idempotency-keys"], "max-idempotency-keys", { min: 1 }),
    snapshotEveryEntries: intFlag(values["snapshot-every"], "snapshot-every", { min: 1 }),
  };
}

/** The connection bounds of the TCP shell, checked. */
function connectionLimits(values: Values) {
  return {
    maxClientConnections: intFlag(values["max-client-connections"], "max-client-connections", { min: 1 }),
    maxBufferedInputBytes: intFlag(values["max-buffered-input-bytes"], "max-buffered-input-bytes", { min: 1 }),
    idleTimeoutMs: intFlag(values["idle-timeout-ms"], "idle-timeout-ms", { min: 1 }),
  };
}

function secretFile(values: Values, shape: ClusterShape): string {
  return values["secret-file"] ? path.resolve(values["secret-file"]) : defaultSecretFile(shape.dataDir);
}

/**
 * The directories a command made before it runs a node, so that a refusal
 * (a cluster secret that cannot be used, a node directory in the way, a core
 * that cannot be loaded) takes exactly those away again and leaves the data
 * directory as it found it.
 */
class MadeDirectories {
  private readonly made: string[] = [];

  /** Makes `dir` (and its missing parents), noting each level this call made. */
  async ensure(dir: string): Promise<void> {
    const missing = await missingLevels(dir);
    try {
      this.made.push(...(await ensureDirectory(dir)));
    } catch (e) {
      // The walk may have made outer levels before it met what is in the way.
      this.made.push(...missing);
      throw e;
    }
  }

  /** Removes what was made, innermost first; a directory that is no longer empty (or gone) is left as it is. */
  async undo(): Promise<void> {
    for (const d of this.made.splice(0).reverse()) await fsp.rmdir(d).catch(() => {});
  }

  /** Runs `step`; when it throws, removes what was made and throws the same. */
  async orUndo<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (e) {
      await this.undo();
      throw e;
    }
  }
}

/** The levels of `dir` that do not exist yet, outermost first (stops at the first that exists, whatever it is). */
async function missingLevels(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const code = await fsp.lstat(at).then(() => null, (e: NodeJS.ErrnoException) => e.code);
    if (code !== "ENOENT") break;
    missing.unshift(at);
    if (path.dirname(at) === at) break;
  }
  return missing;
}

/**
 * Each node's DIR/n<i> made a directory (with DIR) before anything else
 * reads or writes there: a regular file, a FIFO, a device or a symbolic
 * link to nothing in the way, a file system that takes no new directories
 * (/proc, /sys) or a path too long is one line naming the path (exit 4),
 * before any node is started. What it made is noted in `made`.
 */
async function prepareDataDirs(shape: ClusterShape, ids: readonly string[], made: MadeDirectories): Promise<void> {
  for (const id of ids) {
    try {
      await made.ensure(path.join(shape.dataDir, id));
    } catch (e) {
      if (!(e instanceof DirectoryError)) throw e;
      throw new CliError(`--data-dir: ${e.message}; each node keeps its data in DIR/n<i>, a directory it must be able to create and write`, EXIT.badInput, {
        cause: e,
      });
    }
  }
}

/** A secret that cannot be read is an input-file error (exit 4), said in one line. */
function secretFailure(e: unknown): never {
  if (!(e instanceof ClusterSecretError)) throw e;
  throw new CliError(e.message, EXIT.badInput, { cause: e });
}

async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "help" && rest.length > 0) {
    // `help start` is `start --help`.
    const [topic, ...extra] = rest;
    if (topic !== "start" && topic !== "node") throw unknownCommand(topic!, ["start", "node"]);
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])} after help ${topic}`);
    io.stdout(`${topic === "start" ? START_HELP : NODE_HELP}\n\n${exitCodeHelp()}\n`);
    return EXIT.ok;
  }
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    io.stdout(`${HELP}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command.startsWith("-") && command.length > 1) {
    // `kv-cluster --data-dir /tmp/kv start`: the options belong after the command.
    throw new UsageError(`${command}: an option before the command; the command comes first: kv-cluster start [options] or kv-cluster node [options]`);
  }
  if (command !== "start" && command !== "node") throw unknownCommand(command, ["start", "node"]);
  const { values } = parseFlags(rest, FLAGS);
  if (values.help) {
    io.stdout(`${command === "start" ? START_HELP : NODE_HELP}\n\n${exitCodeHelp()}\n`);
    return EXIT.ok;
  }
  try {
    if (command === "start") await runStart(values);
    else await runNode(values);
  } catch (e) {
    throw asCliError(e);
  }
  // Serves until a signal; each way of stopping exits the process itself.
  return new Promise<number>(() => {});
}

// -------------------------------------------------------------- start ----

/** The flags a child gets besides its id: everything the user passed. */
function passThrough(values: Values, shape: ClusterShape): string[] {
  const args = ["--nodes", String(shape.nodes), "--base-port", String(shape.basePort), "--data-dir", path.resolve(shape.dataDir)];
  for (const f of [
    "http-port",
    "tick-ms",
    "seed",
    "session-timeout-ms",
    "max-sessions",
    "idempotency-ttl-ms",
    "max-idempotency-keys",
    "snapshot-every",
    "core",
    "secret-file",
    "max-client-connections",
    "max-buffered-input-bytes",
    "idle-timeout-ms",
    "max-http-connections",
  ] as const) {
    if (values[f] === undefined) continue;
    // The files are passed as they resolved here, so a node restarted from another directory finds them.
    args.push(`--${f}`, f === "core" ? resolveModulePath(values[f]) : f === "secret-file" ? path.resolve(values[f]) : values[f]);
  }
  return args;
}

async function runStart(values: Values): Promise<void> {
  if (values.id !== undefined) throw new UsageError("--id is for `kv-cluster node`; `start` runs every node");
  const shape = clusterShape(values);
  nodeTuning(values);
  connectionLimits(values);
  intFlag(values["max-http-connections"], "max-http-connections", { min: 1 });
  // A core that cannot load is refused here, once, rather than by every node.
  if (values.core !== undefined) await loadCore(coreFlag(values.core)).catch((e: Error) => {
    throw new UsageError(e.message, { cause: e });
  });
  // Nothing is made before a running cluster's lock or port has been looked for: a refused start writes nothing.
  await refuseTakenPlaces(shape);
  const secretPath = secretFile(values, shape);
  // A file the user named must exist, and is read before anything is made.
  if (values["secret-file"]) await readClusterSecret(secretPath, { namedBy: "--secret-file" }).catch(secretFailure);
  // Our own file is made when missing. A refusal from here on (a node
  // directory in the way, a secret that cannot be used) removes the
  // directories this run made: a refused start leaves the data directory as it was.
  const made = new MadeDirectories();
  const secret = await made.orUndo(async () => {
    await prepareDataDirs(shape, shape.nodeIds, made);
    return values["secret-file"] ? { created: false } : await ensureClusterSecret(secretPath).catch(secretFailure);
  });
  const bin = fileURLToPath(new URL("../../bin/kv-cluster.js", import.meta.url));
  const children = new Map<string, ChildProcess>();
  /** How each node that stopped on its own exited: its code, or null when a signal ended it. */
  const nodeExits: Array<number | null> = [];
  let stopping = false;
  const outputDone: Array<Promise<void>> = [];
  const say = (line: string) => process.stderr.write(`cluster | ${line}\n`);

  say(`pid ${process.pid}: Ctrl-C (or kill ${process.pid}) stops every node`);
  // A new leader, or the same one in a new term, is said once.
  // Read from the nodes' typed events (their fd 3), never from their log text.
  let leader: { id: string; term: number } | null = null;
  const noteEvent = (id: string, line: string) => {
    let event: NodeEvent;
    try {
      event = JSON.parse(line) as NodeEvent;
    } catch {
      return;
    }
    if (event.type !== "leader-elected") return;
    if (leader !== null && (event.term < leader.term || (event.term === leader.term && id === leader.id))) return;
    leader = { id, term: event.term };
    say(`leader is now ${id} (term ${event.term})`);
  };
  say(`cluster secret: ${secretPath}${secret.created ? " (created, mode 0600)" : ""}`);
  for (const [i, id] of shape.nodeIds.entries()) {
    const args = ["node", "--id", id, ...passThrough(values, shape)];
    const child = spawn(process.execPath, [bin, ...args, "--exit-with-parent", "--events-fd", "3"], { stdio: ["pipe", "pipe", "pipe", "pipe"] });
    children.set(id, child);
    // 'close' comes after the last of its output: a node's last lines are passed on before `start` exits.
    outputDone.push(new Promise((resolve) => child.once("close", () => resolve())));
    // The node prefixes its own log lines; pass them through whole lines at a
    // time, with the node's id put in front of a line the node writes without
    // it (a refusal, `kv-cluster: ...`); an indented line continues the one before.
    const ofNode = (l: string) => (l.startsWith(`${id} | `) || /^\s/.test(l) ? `${l}\n` : `${id} | ${l}\n`);
    readline.createInterface({ input: child.stdout! }).on("line", (l) => process.stdout.write(ofNode(l)));
    readline.createInterface({ input: child.stderr! }).on("line", (l) => process.stderr.write(ofNode(l)));
    readline.createInterface({ input: child.stdio[3] as NodeJS.ReadableStream }).on("line", (l) => noteEvent(id, l));
    say(`${id} pid ${child.pid} on 127.0.0.1:${shape.basePort + i}, data in ${path.join(path.resolve(shape.dataDir), id)}`);
    child.on("exit", (code, signal) => {
      children.delete(id);
      if (stopping) return;
      nodeExits.push(code);
      say(
        `${id} exited (${signal ?? `code ${code}`}). Restart it with: npm run kv-cluster -- node --id ${id} ${passThrough(values, shape).join(" ")}`,
      );
      if (children.size === 0) {
        say("every node has exited");
        process.exit(exitOfCluster(nodeExits));
      }
    });
  }

  say(clientHint(shape));

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping ${children.size} node(s)`);
    const exits = [...children.values()].map(
      (c) => new Promise<void>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once("exit", () => resolve()))),
    );
    for (const c of children.values()) c.kill("SIGTERM");
    const killTimer = setTimeout(() => {
      for (const c of children.values()) c.kill("SIGKILL");
    }, 5000);
    await Promise.all(exits);
    clearTimeout(killTimer);
    // The nodes have exited; what is left is their last lines in the pipes (bounded wait on a slow machine).
    await Promise.race([Promise.all(outputDone), new Promise((resolve) => setTimeout(resolve, 5000))]);
    say("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  await new Promise<never>(() => {});
}

/**
 * Refuses, before any node starts, a data directory a live node holds (a
 * cluster already running on this --data-dir), a port another program
 * listens on, and a port the system refuses this process (EACCES: below
 * 1024 without privileges): every node would stop with the same refusal,
 * and the rest of the cluster would run without it. Exit 1, one line,
 * nothing written.
 */
async function refuseTakenPlaces(shape: ClusterShape): Promise<void> {
  const dataDir = path.resolve(shape.dataDir);
  for (const id of shape.nodeIds) {
    const dir = path.join(dataDir, id);
    const pid = await liveLockHolder(dir);
    if (pid === undefined) continue;
    throw new CliError(
      `${dir} is in use by ${pid === null ? "another process" : `process ${pid}`} (${path.join(dir, LOCK_FILE)}): a cluster on this --data-dir is already running; ` +
        `stop it first (Ctrl-C where it runs${pid === null ? "" : `, or kill ${pid}`}), or give another --data-dir`,
      EXIT.negative,
    );
  }
  const ranges: Array<[string, number | undefined]> = [
    ["--base-port", shape.basePort],
    ["--http-port", shape.httpPort],
  ];
  for (const [flag, first] of ranges) {
    if (first === undefined) continue;
    const busy: string[] = [];
    const denied: string[] = [];
    let lowestDenied: number | undefined;
    for (const [i, id] of shape.nodeIds.entries()) {
      const problem = await portProblem(first + i);
      if (problem === "in-use") busy.push(`127.0.0.1:${first + i} (${id})`);
      if (problem === "denied") {
        denied.push(`127.0.0.1:${first + i} (${id})`);
        lowestDenied ??= first + i;
      }
    }
    if (lowestDenied !== undefined) throw new CliError(portDenied(denied, lowestDenied, flag), EXIT.negative);
    if (busy.length === 0) continue;
    throw new CliError(
      `${busy.join(", ")} ${busy.length === 1 ? "is" : "are"} in use by another program (a cluster already running on these ports?); stop it, or give another ${flag}`,
      EXIT.negative,
    );
  }
}

/**
 * Whether another program listens on 127.0.0.1:`port` ("in-use"), or the
 * system refuses this process the port ("denied", EACCES: a port below
 * the first unprivileged one, for a user without the privilege). Any other
 * failure to listen is left to the node to report.
 */
function portProblem(port: number): Promise<"in-use" | "denied" | undefined> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "EADDRINUSE" ? "in-use" : e.code === "EACCES" ? "denied" : undefined));
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

/** The first port an unprivileged process may listen on (Linux: net.ipv4.ip_unprivileged_port_start; 1024 elsewhere). */
function firstUnprivilegedPort(): number {
  try {
    const n = Number(readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8").trim());
    return Number.isInteger(n) && n >= 0 ? n : 1024;
  } catch {
    return 1024;
  }
}

/** One line for the ports the system refuses this process (EACCES), the lowest being `lowest`, and what to do. */
function portDenied(ports: readonly string[], lowest: number, flag: string): string {
  return `${ports.join(", ")}: permission denied (EACCES) to listen there: ${deniedAdvice(lowest, ports.length, flag)}`;
}

/**
 * Why the system refuses this process `count` port(s), the lowest being
 * `lowest` (EACCES), and what to do: a port below the first unprivileged
 * one needs privileges, so a `flag` of that port or above; any other
 * refusal, another `flag`.
 */
function deniedAdvice(lowest: number, count: number, flag: string): string {
  const unprivileged = firstUnprivilegedPort();
  return lowest < unprivileged
    ? `ports below ${unprivileged} need privileges (root, or the CAP_NET_BIND_SERVICE capability) that this process does not have; give a ${flag} of ${unprivileged} or above`
    : `the system refuses this process ${count === 1 ? "that port" : "those ports"}; give another ${flag}`;
}

/**
 * What `start` exits with once every node has stopped on its own: 70 when
 * one met a bug, the nodes' code when they all gave the same one (4: none
 * could trust its data directory), else 1 (the cluster is down).
 */
function exitOfCluster(nodeExits: ReadonlyArray<number | null>): number {
  if (nodeExits.includes(EXIT.internal)) return EXIT.internal;
  const first = nodeExits[0];
  return first !== undefined && first !== null && first !== EXIT.ok && nodeExits.every((c) => c === first) ? first : EXIT.negative;
}

// --------------------------------------------------------------- node ----

async function runNode(values: Values): Promise<void> {
  const shape = clusterShape(values);
  const id = values.id;
  if (!id) throw new UsageError("--id is required, e.g. --id n2");
  const index = shape.nodeIds.indexOf(id);
  if (index < 0) throw new UsageError(`--id ${id} is not one of ${shape.nodeIds.join(", ")} (--nodes ${shape.nodes})`);
  const ports = Object.fromEntries(shape.nodeIds.map((n, i) => [n, shape.basePort + i]));
  const log = (line: string) => process.stderr.write(`${id} | ${line}\n`);
  const limits = connectionLimits(values);
  const maxHttpConnections = intFlag(values["max-http-connections"], "max-http-connections", { min: 1 });
  nodeTuning(values);
  const eventsFd = eventsFdFlag(values["events-fd"]);
  if (values.core !== undefined) coreFlag(values.core);
  // Signals are handled from the start: a Ctrl-C that arrives while the node
  // is still starting stops it the same way (closing what is already open).
  let runtime: KvNodeRuntime | null = null;
  /** The storage being opened (it takes the data directory's LOCK), until `runtime` is set. */
  let starting: Promise<KvNodeRuntime> | null = null;
  let transport: TcpTransport | null = null;
  let http: HttpFront | null = null;
  let stopping = false;
  // A node that exits without closing its storage (a fatal error, a failure
  // while it starts) removes the LOCK it holds, and only that one: its data
  // directory does not look held once it is gone.
  process.on("exit", releaseHeldLocksSync);
  /** Closes what is open: the HTTP front, the transport, then the runtime and its storage (which removes its LOCK). */
  const closeAll = async () => {
    await http?.close();
    await transport?.close();
    const opened = runtime ?? (await starting?.catch(() => null));
    await opened?.close();
  };
  const stop = async (signal: string) => {
    // Ctrl-C reaches `start` and every node (one process group): stop once.
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    await closeAll();
    process.exit(0);
  };
  /**
   * A start-up failure after the storage is open: close what is open (the
   * writes in flight finish, the LOCK is removed) and exit with `code`. A
   * close that does not finish within seconds is not waited for; the exit
   * removes the LOCK anyway.
   */
  const fail = async (code: number): Promise<never> => {
    stopping = true;
    const closed = closeAll().catch(() => {});
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    process.exit(code);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  if (values["exit-with-parent"]) {
    // `start` holds our stdin open; it closes when `start` dies, however it dies.
    process.stdin.on("end", () => void stop("kv-cluster start is gone"));
    process.stdin.on("error", () => void stop("kv-cluster start is gone"));
    process.stdin.resume();
  }

  // Everything that can refuse the node before its storage opens comes
  // before the directory is made, or removes what was made: a refused node
  // leaves its data directory as it was.
  const coreFile = values.core;
  const createCore = coreFile === undefined ? undefined : await loadCore(coreFlag(coreFile)).catch((e: Error) => {
    throw new UsageError(e.message, { cause: e });
  });
  if (coreFile !== undefined) log(`core: createKvNodeCore from ${resolveModulePath(coreFile)}`);
  const secretPath = secretFile(values, shape);
  if (values["secret-file"]) await readClusterSecret(secretPath, { namedBy: "--secret-file" }).catch(secretFailure);
  const made = new MadeDirectories();
  const secret = await made.orUndo(async () => {
    await prepareDataDirs(shape, [id], made);
    return readClusterSecret(secretPath, values["secret-file"] ? { namedBy: "--secret-file" } : { createdByStart: true }).catch(secretFailure);
  });
  const tcp = new TcpTransport({
    id,
    nodeIds: shape.nodeIds,
    ports,
    schemas: { ...nodeSchemas, status: {} },
    secret,
    ...definedOnly(limits),
    log,
    onMessage: (m) => {
      if (!runtime) return;
      // `status` is answered by the shell, not the core: role, term, leader,
      // commit and apply indexes, and where every member listens (so a client
      // given one port can follow a redirect to the leader's).
      if (m.body.type === "status") {
        tcp.send({ src: id, dest: m.src, body: { type: "status_ok", in_reply_to: m.body.msg_id, ...runtime.status(), ports } });
        return;
      }
      try {
        runtime.deliver(m);
      } catch (e) {
        // The core never throws on input, only on a broken invariant of its own
        // state: stop (the WAL is intact), saying which message met the bug.
        log(`internal error (a bug) while handling ${m.body.type} from ${m.src}; stopping: ${(e as Error).stack ?? String(e)}`);
        process.exit(70);
      }
    },
  });
  transport = tcp;
  const events = eventsFd !== undefined ? createWriteStream("", { fd: eventsFd }) : undefined;
  starting = startNode({
    id,
    nodeIds: shape.nodeIds,
    dataDir: path.join(shape.dataDir, id),
    seed: values.seed,
    ...nodeTuning(values),
    send: (m) => tcp.send(m),
    log,
    ...(events ? { onEvent: (e: NodeEvent) => events.write(`${JSON.stringify(e)}\n`) } : {}),
    // Benchmarks (bench/throughput.ts --breakdown): each client write's timing, one JSON line per write.
    ...(process.env.DSLAB_WRITE_TIMINGS ? { onWriteTiming: writeTimingsTo(path.join(process.env.DSLAB_WRITE_TIMINGS, `${id}.jsonl`)) } : {}),
    ...(createCore ? { createCore } : {}),
    onFatal: (e) => process.exit(fatalExitCode(e, log, coreFile)),
  }).catch((e: unknown) => {
    if (e instanceof CoreFailure) process.exit(fatalExitCode(e, log, coreFile));
    throw e;
  });
  runtime = await starting;
  // A signal while the storage was opening: `stop` closes it.
  if (stopping) return;
  try {
    await tcp.listen();
  } catch (e) {
    log(`cannot listen on 127.0.0.1:${ports[id]}: ${listenFailure(e, shape.basePort + index, "--base-port")}`);
    return fail(1);
  }
  // The pid line is for a node that runs: one refused before it listens (its
  // core, its cluster secret, its data directory, its port) says only why.
  log(`pid ${process.pid}: SIGTERM or Ctrl-C (kill ${process.pid}) stops this node`);
  const peers = shape.nodeIds.filter((n) => n !== id).map((n) => `${n}@${ports[n]}`);
  log(`listening on 127.0.0.1:${ports[id]} (${peers.length > 0 ? `peers: ${peers.join(", ")}` : "no peers"})`);

  if (shape.httpPort !== undefined) {
    const httpPort = shape.httpPort + index;
    const nodeHttpUrls = Object.fromEntries(shape.nodeIds.map((n, i) => [n, `http://127.0.0.1:${shape.httpPort! + i}`]));
    try {
      http = await startHttp({ runtime, port: httpPort, nodeHttpUrls, ...definedOnly({ maxConnections: maxHttpConnections }) }, log);
    } catch (e) {
      // As for the node's own port: another program holds it, or the system refuses it; a definite refusal.
      log(`cannot serve HTTP on 127.0.0.1:${httpPort}: ${listenFailure(e, httpPort, "--http-port")}`);
      return fail(1);
    }
  }
}

/**
 * `--core FILE`, checked to name a file before it is imported: an empty
 * value, a missing file or a directory is said as such (the import's own
 * words name a directory import or the module that imports it).
 */
function coreFlag(value: string): string {
  if (value === "") throw new UsageError(`--core "": an empty path; give the module that exports createKvNodeCore(config, restored)`);
  const file = resolveModulePath(value);
  let stats: Stats;
  try {
    stats = statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") return value;
    const where = path.isAbsolute(value) ? "" : ` here (${file}) nor under the repository root`;
    throw new UsageError(`--core ${value}: no such file${where}; give the module that exports createKvNodeCore(config, restored)`, { cause: e });
  }
  if (stats.isDirectory()) {
    throw new UsageError(`--core ${value}: ${file} is a directory; give the module file in it that exports createKvNodeCore(config, restored)`);
  }
  return value;
}

/**
 * `--events-fd N` (set by `start`: the pipe a node writes its typed events
 * to), checked to be an open file descriptor: given by hand with nothing
 * there, the first event would end the node with EBADF.
 */
function eventsFdFlag(value: string | undefined): number | undefined {
  const fd = intFlag(value, "events-fd", { min: 3 });
  if (fd === undefined) return undefined;
  try {
    fstatSync(fd);
  } catch {
    throw new UsageError(`--events-fd ${fd}: no open file descriptor ${fd}; \`kv-cluster start\` gives each node its own, so leave --events-fd out`);
  }
  return fd;
}

/**
 * Why a node could not listen on `port`, and for a port another program
 * holds or the system refuses this process (EACCES: below the first
 * unprivileged port, without privileges), what to do, in the words `start`
 * uses when it refuses the same port before any node starts.
 */
function listenFailure(e: unknown, port: number, flag: string): string {
  const message = (e as Error).message;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EACCES") return `permission denied (EACCES): ${deniedAdvice(port, 1, flag)}`;
  if (code !== "EADDRINUSE") return message;
  return `another program listens there (this node already running?); stop it, or give another ${flag} (${message})`;
}

function definedOnly<T extends Record<string, number | undefined>>(o: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: number };
}

/** The HTTP front (src/http) is loaded only when a node serves one: a node without it starts without its modules. */
async function startHttp(
  opts: { runtime: KvNodeRuntime; port: number; nodeHttpUrls: Record<string, string>; maxConnections?: number },
  log: (line: string) => void,
): Promise<HttpFront> {
  const { startHttpFront } = await import("../http/index.js");
  const front = await startHttpFront(opts);
  log(`HTTP front on http://127.0.0.1:${opts.port}`);
  return front;
}

await runMain({ name: "kv-cluster", version: readPackageVersion(new URL(import.meta.url)) }, main, process.argv.slice(2), serverIo(process));
