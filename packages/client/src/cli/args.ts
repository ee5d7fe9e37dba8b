/**
 * `kv` command-line parsing: argv in, a plan out, or a UsageError that says
 * what is wrong and what to type instead. No IO here.
 */
import type { Json } from "@dslab/protocol";
import { exitCodeHelp, parseOptions, unknownCommand, UsageError } from "@dslab/protocol/cli";
import { nonFiniteNumberPath, roundedInteger } from "@dslab/protocol/finite-json";
import { DEFAULT_BACKOFF } from "../backoff.js";
import type { Operation } from "../client.js";
import { CLIENT_DEFAULTS } from "../defaults.js";

export { UsageError };

/** The port asked without --port or --nodes: node n1 of \`kv-cluster start\` with its default base port. */
export const DEFAULT_PORT = 9001;
export const DEFAULT_HOST = "127.0.0.1";

export const HELP = `Usage: kv [options] <command> [args]

A retrying client for the dslab key-value cluster (kv-cluster) over TCP.
Every write carries a client_id and seq; retries reuse them, so the cluster
answers a retry from its session table instead of applying it twice.

Commands:
  get KEY                 read a key
  put KEY VALUE           write a value
  append KEY VALUE        append a value to the list at KEY
  incr KEY [DELTA]        add DELTA (an integer, default 1) to the counter at KEY
  cas KEY FROM TO         set KEY to TO if it currently holds FROM; with --create,
                          also create KEY with TO if it does not exist
  delete KEY              delete a key
  status                  each node's id, port, role, term, leader, commit index
                          and applied index, as a table (--json: one object per node);
                          with --port, the members a node lists are asked too, so one
                          port is enough

VALUE, FROM and TO are parsed as JSON when they parse (42, true, null,
[1,2], {"a":1}, "\\"quoted\\""), and taken as plain strings otherwise (hello);
a number too large for JSON (1e400), or an integer past 2^53 that it would
round (9007199254740993), is refused. Keys are strings. A negative DELTA
works as is: kv incr k -1.

Options:
  --port P                one node's TCP port (default ${DEFAULT_PORT}); its id is learned
                          from its reply, and a leader it names is reached at the
                          port the node's status lists for it
  --nodes P1,P2,...       every node's TCP port, in any order; each node's id is
                          learned from its replies, and kv connects to these
                          ports only (a port a node's status lists is not used)
  --host H                host of the nodes, without a port (default ${DEFAULT_HOST};
                          an IPv6 address as ::1 or [::1])
  --client-id ID          use this client_id instead of a random 128-bit one; writes
                          then need --seq too (see Identity below)
  --seq N                 use this seq (with --client-id: replay a request by hand)
  --max-retries N         retries after the first attempt (default ${CLIENT_DEFAULTS.maxRetries}: at most ${CLIENT_DEFAULTS.maxRetries + 1} attempts,
                          redirects not counted); they back off from ${DEFAULT_BACKOFF.baseMs} ms, doubling
                          to ${DEFAULT_BACKOFF.capMs} ms, +-${DEFAULT_BACKOFF.jitterRatio * 100}% jitter
  --timeout-ms MS         per-attempt timeout (default ${CLIENT_DEFAULTS.attemptTimeoutMs})
  --total-ms MS           bound on the whole operation (default ${CLIENT_DEFAULTS.maxTotalMs})
  -v, --verbose           print the attempt log on stderr, one line per attempt
  --create                with cas: create a missing KEY with TO (the request's
                          create_if_not_exists); FROM is then only compared with
                          a KEY that exists
  --json                  print one JSON object instead of text
  --version               print the version
  -h, --help              show this help (so does kv help)

Identity: the cluster remembers the last seq of each client_id and answers a
request under a seq it has seen with the reply it gave that seq, without
applying the new request. So a write with --client-id must say its --seq:
the next unused one for a new request, the same one to replay a request and
learn what happened to it. Without --client-id every run is a fresh client.

If no node can be reached, kv says so on stderr after trying each node once,
and keeps trying until --max-retries or --total-ms is spent.

Interrupted (Ctrl-C, or SIGTERM) during a write, kv prints on stderr the
command that replays it (same --client-id and --seq), to learn whether it
happened.

What the codes mean for kv:
  0  ok: the cluster applied (or read) it; status: every node answered
  1  failed: definitely did not happen (e.g. key does not exist, cas mismatch),
     or was never sent (no node could be reached, a value that cannot be encoded);
     a read that got no answer (a read changes nothing: "could not read");
     status: some node did not answer (the table says which)
  3  unknown: a write may or may not have happened (run the printed replay
     command, same --client-id and --seq, to find out)

${exitCodeHelp()}`;

/**
 * How kv names a node it knows only by its port. Its id (n1, n2, ...) is
 * learned from its replies: the order of the ports says nothing about it.
 */
export function nodeAddress(host: string, port: number): string {
  // An IPv6 host is bracketed, as in a URL, so the port stays readable: [::1]:9001.
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface KvPlan {
  help: boolean;
  /** `status` asks every node for its state instead of running an operation. */
  status: boolean;
  host: string;
  /** Node address (host:port or [v6 host]:port, see nodeAddress) -> port. */
  nodes: Record<string, number>;
  /**
   * Whether a node's member list may send kv to a port not given: with
   * --port (one seed), yes; with --nodes, kv connects only to the ports listed.
   */
  followMembers: boolean;
  /** --host, --nodes and --port as they were given: where a replay command must go. */
  target: string[];
  /**
   * The command and its arguments as they were typed, e.g. ["append", "log", "x"],
   * then --create for a cas that has it: what a replay command must say.
   */
  words: string[];
  clientId: string | undefined;
  seq: number | undefined;
  maxRetries: number | undefined;
  timeoutMs: number | undefined;
  totalMs: number | undefined;
  verbose: boolean;
  json: boolean;
  operation: Operation | undefined;
}

/**
 * JSON when it parses, the text itself otherwise. A number JSON cannot carry
 * (1e400 parses to Infinity, which would go on the wire as null) is a usage
 * error naming the argument (`name`, e.g. VALUE).
 */
export function parseValue(text: string, name = "VALUE"): Json {
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch {
    return text;
  }
  if (nonFiniteNumberPath(value) !== null) {
    const orString = typeof value === "number" ? `, or '"${text}"' for the string` : "";
    throw new UsageError(`${name}: ${JSON.stringify(text)} holds a number too large for JSON to carry (it would be sent as null); give a finite number${orString}`);
  }
  const rounded = roundedInteger(text)?.literal;
  if (rounded !== undefined) {
    const orString = typeof value === "number" ? `; give '"${text}"' for the string` : "";
    throw new UsageError(
      `${name}: ${JSON.stringify(text)} holds the integer ${rounded}, past 2^53, which JSON carries only rounded (it would be sent as ${String(Number(rounded))})${orString}`,
    );
  }
  return value;
}

function intOption(text: string | undefined, name: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) {
    throw new UsageError(`--${name}: expected an integer >= ${min}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** A host and a port written together (`127.0.0.1:9001`, `[::1]:9001`): [host, port]. */
const HOST_PORT = /^(.+):(\d+)$/;

/**
 * One port of --port or --nodes (`where`; `all` holds every word given
 * there). Anything but an integer from 1 to 65535 is refused with the one
 * message; a host with its port (`127.0.0.1:9001`) is told to split them,
 * as --host says of a port in the host.
 */
function port(text: string, where: "port" | "nodes", all: readonly string[] = [text]): number {
  const t = text.trim();
  const p = Number(t);
  if (/^\d+$/.test(t) && p >= 1 && p <= 65535) return p;
  const refused = `--${where}: ${JSON.stringify(text)} is not a TCP port (an integer from 1 to 65535)`;
  const hostPort = HOST_PORT.exec(t);
  if (hostPort === null) throw new UsageError(refused);
  const ports = all.map((w) => HOST_PORT.exec(w.trim())?.[2] ?? w.trim()).join(",");
  throw new UsageError(`${refused}; give the ${where === "port" ? "port" : "ports"} alone (--${where} ${ports}) and the host with --host (--host ${hostPort[1]})`);
}

/**
 * --host as a host to connect to: an IPv6 address may come bracketed, as in
 * a URL ([::1]). An empty one would connect to localhost unasked (a
 * --host "$HOST" with HOST unset, say), and one with a port in it
 * (127.0.0.1:9001) would be looked up as a host name and never found.
 */
function hostOption(text: string | undefined): string {
  if (text === undefined) return DEFAULT_HOST;
  const host = /^\[(.*)\]$/.exec(text)?.[1] ?? text;
  if (!/^\S+$/.test(host)) throw new UsageError(`--host: expected a host name or address, got ${JSON.stringify(text)}`);
  const colons = host.split(":").length - 1;
  if (colons === 1 || (colons > 1 && !/^[0-9a-fA-F:.]+(%\S+)?$/.test(host))) {
    const [name, port] = host.split(/:(?=[^:]*$)/);
    throw new UsageError(`--host: ${JSON.stringify(text)} is not a host name or address; give the host alone (--host ${name}) and its port with --port or --nodes (--port ${port})`);
  }
  return host;
}

const ARITY: Record<string, { args: string[]; optional?: number }> = {
  get: { args: ["KEY"] },
  put: { args: ["KEY", "VALUE"] },
  append: { args: ["KEY", "VALUE"] },
  incr: { args: ["KEY", "DELTA"], optional: 1 },
  cas: { args: ["KEY", "FROM", "TO"] },
  delete: { args: ["KEY"] },
};

const COMMANDS = [...Object.keys(ARITY), "status"];

const OPTIONS = {
  port: { type: "string" },
  nodes: { type: "string" },
  host: { type: "string" },
  "client-id": { type: "string" },
  seq: { type: "string" },
  "max-retries": { type: "string" },
  "timeout-ms": { type: "string" },
  "total-ms": { type: "string" },
  verbose: { type: "boolean", short: "v" },
  json: { type: "boolean" },
  create: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * The words after the command that were read as flags (`-v`, `--json`),
 * before any `--`: in `kv append k -v` the user may have meant -v as the
 * value. The word after an option that takes a value is that value, and
 * is skipped.
 */
function flagsAfterCommand(argv: readonly string[]): string[] {
  const flags: string[] = [];
  let command = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === "--") break;
    const long = /^--([^=]+)$/.exec(word)?.[1];
    const spec = long !== undefined ? OPTIONS[long as keyof typeof OPTIONS] : undefined;
    if (spec?.type === "string") i++;
    else if (spec?.type === "boolean" || /^-[vh]+$/.test(word)) {
      if (command) flags.push(word);
    } else if (!word.startsWith("-") || /^-\.?\d/.test(word)) command = true;
  }
  return flags;
}

/** Words joined as English lists them: `"a"`, `"a" and "b"`, `"a", "b" and "c"`. */
function listed(words: readonly string[]): string {
  return words.length <= 1 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/**
 * `usage: kv append KEY VALUE (VALUE is missing)`, or `(unexpected argument
 * "x")`: which arguments are missing, or which words are one too many. A
 * missing argument may be a word of `argv` read as a flag (said, with how to
 * pass it); words past a VALUE may be a value with spaces left unquoted (said,
 * quoted).
 */
function arityError(command: string, spec: { args: string[] }, min: number, args: readonly string[], argv: readonly string[]): UsageError {
  const usage = `usage: kv ${command} ${spec.args.map((a, i) => (i >= min ? `[${a}]` : a)).join(" ")}`;
  if (args.length > spec.args.length) {
    const extra = args.slice(spec.args.length);
    const what = `unexpected argument${extra.length === 1 ? "" : "s"} ${listed(extra.map((w) => JSON.stringify(w)))}`;
    const last = spec.args.length - 1;
    const quote = spec.args[last] === "VALUE" ? `; a VALUE with spaces goes in quotes: '${args.slice(last).join(" ").replaceAll("'", `'\\''`)}'` : "";
    return new UsageError(`${usage} (${what}${quote})`);
  }
  const missing = spec.args.slice(args.length, min);
  const what = `${listed(missing)} ${missing.length === 1 ? "is" : "are"} missing`;
  const flags = flagsAfterCommand(argv);
  if (flags.length === 0) return new UsageError(`${usage} (${what})`);
  const [one, it, them] = flags.length === 1 ? ["was read as an option", "it as an argument", "it"] : ["were read as options", "them as arguments", "them"];
  return new UsageError(`${usage} (${what}; ${flags.join(" and ")} ${one}; to pass ${it}, put -- before ${them}: -- ${flags.join(" ")})`);
}

export function parseKvArgs(argv: readonly string[]): KvPlan {
  const parsed = parseOptions(argv, OPTIONS);
  const v = parsed.values;
  const positionals = parsed.positionals;
  const plan: KvPlan = {
    help: v.help === true,
    status: false,
    host: hostOption(v.host),
    nodes: {},
    followMembers: v.nodes === undefined,
    target: [
      ...(v.host !== undefined ? ["--host", v.host] : []),
      ...(v.nodes !== undefined ? ["--nodes", v.nodes] : []),
      ...(v.port !== undefined ? ["--port", v.port] : []),
    ],
    words: positionals,
    clientId: v["client-id"],
    seq: intOption(v.seq, "seq", 1),
    maxRetries: intOption(v["max-retries"], "max-retries", 0),
    timeoutMs: intOption(v["timeout-ms"], "timeout-ms", 1),
    totalMs: intOption(v["total-ms"], "total-ms", 1),
    verbose: v.verbose === true,
    json: v.json === true,
    operation: undefined,
  };
  if (plan.help) return plan;

  if (v.port !== undefined && v.nodes !== undefined) throw new UsageError("give --port or --nodes, not both");
  if (v.nodes !== undefined) {
    if (v.nodes.trim() === "") throw new UsageError("--nodes: expected a comma-separated list of ports, e.g. 9001,9002,9003");
    const ports = v.nodes.split(",");
    // "9001,,9002" or a trailing comma: most often a port left out, so refused rather than skipped.
    if (ports.some((p) => p.trim() === "")) {
      throw new UsageError(`--nodes: an empty entry in ${JSON.stringify(v.nodes)}; give each port once, separated by single commas`);
    }
    // A port listed twice is one node: most often a typo for another node's port.
    const seen = new Map<number, string>();
    for (const text of ports) {
      const p = port(text, "nodes", ports);
      const first = seen.get(p);
      if (first !== undefined) {
        throw new UsageError(`--nodes: port ${p} is listed twice (${JSON.stringify(first.trim())}, then ${JSON.stringify(text.trim())}); give each node's port once`);
      }
      seen.set(p, text);
      plan.nodes[nodeAddress(plan.host, p)] = p;
    }
  } else {
    const p = port(v.port ?? String(DEFAULT_PORT), "port");
    plan.nodes[nodeAddress(plan.host, p)] = p;
  }
  if (plan.clientId !== undefined && !/^\S+$/.test(plan.clientId)) {
    throw new UsageError(`--client-id: expected a non-empty id without spaces, got ${JSON.stringify(plan.clientId)}`);
  }
  if (plan.seq !== undefined && plan.clientId === undefined) {
    throw new UsageError("--seq needs --client-id: a seq only identifies a request together with its client_id");
  }

  const [command, ...args] = positionals;
  if (command === undefined) throw new UsageError(`missing command: one of ${COMMANDS.join(", ")}`);
  // `kv help` (and `kv help put`) as `kv --help`, as kv-cluster and kv-sim take it.
  if (command === "help") return { ...plan, help: true };
  if (v.create === true && command !== "cas" && COMMANDS.includes(command)) {
    throw new UsageError(`--create: only cas takes it (kv cas KEY FROM TO --create creates a missing KEY with TO), not ${command}`);
  }
  if (command === "status") {
    if (args.length > 0) throw new UsageError("usage: kv status (it takes no arguments; choose the nodes with --port or --nodes)");
    if (plan.clientId !== undefined || plan.seq !== undefined) throw new UsageError("status: --client-id and --seq are for operations");
    plan.status = true;
    return plan;
  }
  const spec = ARITY[command];
  if (!spec) throw unknownCommand(command, COMMANDS);
  const min = spec.args.length - (spec.optional ?? 0);
  if (args.length < min || args.length > spec.args.length) throw arityError(command, spec, min, args, argv);
  if (command === "get" && plan.seq !== undefined) throw new UsageError("--seq: reads carry no seq");
  if (command !== "get" && plan.clientId !== undefined && plan.seq === undefined) {
    // Without --seq this would be seq 1 (or whatever the client counts from),
    // which this client_id may already have used for another request.
    throw new UsageError(
      "--client-id needs --seq: the cluster keeps each client_id's last seq and answers a request under a seq " +
        "it has seen with the reply it gave that seq, without applying the new request; give --seq with the " +
        "next unused seq (or the seq of the request to replay), or drop --client-id to get a fresh identity",
    );
  }
  const key = args[0] as string;
  const at = (i: number) => parseValue(args[i] as string, spec.args[i] as string);
  switch (command) {
    case "get":
      plan.operation = { type: "read", key };
      break;
    case "put":
      plan.operation = { type: "write", key, value: at(1) };
      break;
    case "append":
      plan.operation = { type: "append", key, value: at(1) };
      break;
    case "incr": {
      const delta = args[1] === undefined ? 1 : Number(args[1]);
      if (!/^-?\d+$/.test(args[1] ?? "1")) throw new UsageError(`incr: DELTA must be an integer, got ${JSON.stringify(args[1])}`);
      if (!Number.isSafeInteger(delta)) {
        // As the nodes say it: past 2^53 the number would reach them already rounded.
        throw new UsageError(
          `incr: DELTA must be an integer from -(2^53-1) to 2^53-1 (${Number.MAX_SAFE_INTEGER}); ${JSON.stringify(args[1])} is beyond that, where a JSON number is not exact`,
        );
      }
      plan.operation = { type: "incr", key, delta };
      break;
    }
    case "cas":
      plan.operation = { type: "cas", key, from: at(1), to: at(2) };
      if (v.create === true) {
        plan.operation.create_if_not_exists = true;
        // A replay must send the same request: create_if_not_exists is part of it.
        plan.words = [...plan.words, "--create"];
      }
      break;
    case "delete":
      plan.operation = { type: "delete", key };
      break;
  }
  return plan;
}
