/**
 * `kv-sim explore`: serve the explorer (src/explore/) on 127.0.0.1 for a
 * search scenario, with a trace file loaded when given, print its URL, open
 * a browser when asked (or when run on a terminal), and serve until
 * interrupted (Ctrl-C, SIGTERM). The scenario's piece (the dedup store, the
 * vote rules) is found as `kv-sim search` finds it: `--workbook DIR`,
 * `--solution`, `--store FILE` or `--rules FILE`, else `DSLAB_WORKBOOK`
 * (unset: week-12/).
 */
import { spawn } from "node:child_process";
import { basename, join, resolve } from "node:path";
import { EXIT, InputError, UsageError, type Io } from "@dslab/protocol/cli";
import { getNonEmpty, getNumber, getString, parseArgs, type ParsedArgs } from "./args.js";
import { EXPLORE_SCENARIOS, EXPLORER_DEFAULTS, ExploreError, openScenario, parseTrace, startExplorer, TraceFileError, type Explorer, type ExploreTrace } from "../explore/index.js";
import { SCENARIO_INFO, SCENARIOS, type ScenarioName } from "../search/index.js";
import { checkShape, CLIENT_FILE, loadPiece, PIECE_FILE, pieceFile } from "./pieces.js";
import { FileReadError, MAX_TRACE_FILE_BYTES, readRegularFile } from "./read-regular.js";
import { plural } from "../output/plural.js";
import { CodeUnderTestError } from "./module-error.js";


/** --max-retries for maxRetries, and so on (as kv-sim search names them). */
const optionOf = (shapeName: string) => shapeName.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
const SHAPE_NAMES = [...new Set(Object.values(SCENARIO_INFO).flatMap((i) => Object.keys(i.shape)))];

function scenarioHelp(): string {
  const out: string[] = [];
  for (const name of SCENARIOS) {
    const info = SCENARIO_INFO[name];
    out.push(`  ${name}: ${info.summary}`);
    out.push(`    runs: ${info.piece === "store" ? `a DedupKVStore (${PIECE_FILE.store}, or --store FILE)` : info.piece === "core" ? "the reference node cores (with --rules FILE, those vote rules in them; with --core FILE, other cores)" : `vote rules (${PIECE_FILE.voteRules}, or --rules FILE)`}${info.client ? ` and the retrying client (${CLIENT_FILE}, or --client FILE)` : ""}`);
    out.push(`    shape: ${Object.entries(info.shape).map(([k, spec]) => `--${optionOf(k)} N (default ${spec.default})`).join(", ")}`);
  }
  return out.join("\n");
}

/** A size in whole MiB when it is one, else in bytes. */
function sizeText(bytes: number): string {
  return bytes % (1 << 20) === 0 ? `${bytes >> 20} MiB` : `${bytes.toLocaleString("en-US")} bytes`;
}

export const EXPLORE_HELP = `kv-sim explore: step through a search scenario in the browser; walk a trace to its violation

Usage: kv-sim explore --scenario NAME [--trace FILE] [--workbook DIR | --solution | --store FILE | --rules FILE | --core FILE] [--client FILE]
                      [--SHAPE-OPTION N ...] [--port N] [--open | --no-open]
       kv-sim explore --trace FILE [...]          (the scenario and its shape come from the trace)

Scenarios (as kv-sim search; every event offered, none left out by a reduction):
${scenarioHelp()}

Options:
  --scenario NAME        ${EXPLORE_SCENARIOS.join(", ")}
  --trace FILE           a trace file written by kv-sim search --trace: the page opens at its start,
                         and forward (the right arrow) steps through its events to the violation
  --workbook DIR         load the scenario's piece from DIR (default: DSLAB_WORKBOOK, else week-12/)
  --solution             load the reference solution's piece
  --store FILE           load any module exporting DedupKVStore
  --client FILE          load any module exporting the retrying client's functions (leader-change-3)
  --rules FILE           load any module exporting voteRules (or observeTerm and decide)
  --core FILE            raft-core-3: node cores from a module exporting createKvNodeCore and fromState
  --port N               the port on 127.0.0.1 (default 0: a free one); the page and its API
                         listen on the loopback address only
  --open                 open the page in the browser (xdg-open, open); the default on a terminal
  --no-open              only print the URL

The page shows each node's and client's state side by side, the invariants' verdicts
(a broken one in red, with its sentence), the enabled events (deliver, duplicate, drop
a message; fire a timer) as buttons, the trace and the path taken. Keys: left and right
arrows step back and forward. It serves until Ctrl-C. The path holds at most
${EXPLORER_DEFAULTS.maxPathLength.toLocaleString("en-US")} states; request bodies at most ${sizeText(EXPLORER_DEFAULTS.maxBodyBytes)}. A step of the code under test
that runs for more than ${EXPLORER_DEFAULTS.maxCallMs / 1000} s (an endless loop) is stopped, and the page says so.

Exit codes: 0 stopped by Ctrl-C; 2 usage (also a piece that cannot load or throws building
the initial state, a port in use); 4 a trace file that cannot be read (or is not a regular
file), is not a search trace, or does not fit the scenario.

Example:
  npm run kv-sim -- search --scenario dedup-single --clients 1 --appends 2 \\
    --store grader/test/mutants/stale-rewinds-last-seq.ts --trace out/trace.json
  npm run kv-sim -- explore --trace out/trace.json --store grader/test/mutants/stale-rewinds-last-seq.ts
  npm run kv-sim -- explore --scenario vote-rules-3 --solution
`;

function readTrace(path: string, maxEvents: number): ExploreTrace {
  let text: string;
  try {
    text = readRegularFile(path, MAX_TRACE_FILE_BYTES);
  } catch (e) {
    if (!(e instanceof FileReadError)) throw e;
    throw new InputError(`--trace ${path}: ${e.reason === "io" ? `cannot read it: ${e.message}` : e.message}`, { cause: e });
  }
  try {
    return parseTrace(text, { maxEvents });
  } catch (e) {
    if (e instanceof TraceFileError) throw new InputError(`--trace ${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Opens `url` in the desktop's browser; a failure is a note, the server keeps serving. */
function openBrowser(url: string, io: Io): void {
  const [command, args] = process.platform === "darwin" ? ["open", [url]] : process.platform === "win32" ? ["cmd", ["/c", "start", "", url]] : ["xdg-open", [url]];
  try {
    const child = spawn(command, args, { detached: true, stdio: "ignore" });
    child.on("error", (e) => io.stderr(`kv-sim: could not open a browser (${command}: ${e.message}); open ${url} yourself\n`));
    child.unref();
  } catch (e) {
    io.stderr(`kv-sim: could not open a browser (${(e as Error).message}); open ${url} yourself\n`);
  }
}

export interface ExploreShell {
  /** Whether stdout is a terminal (the page opens by default there). */
  isTty: boolean;
  /** Resolves when the explorer should stop (default: SIGINT or SIGTERM). */
  stopped?: Promise<void>;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export async function exploreCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env, shell: ExploreShell = { isTty: process.stdout.isTTY === true }): Promise<number> {
  const a = parseArgs(argv, {
    command: "explore",
    options: ["scenario", "trace", "workbook", "store", "rules", "client", "core", "port", ...SHAPE_NAMES.map(optionOf)],
    flags: ["solution", "open", "no-open", "help"],
  });
  if (a.flags.has("help")) {
    io.stdout(EXPLORE_HELP);
    return EXIT.ok;
  }
  if (a.flags.has("open") && a.flags.has("no-open")) throw new UsageError("--open and --no-open: give one");
  const portText = getString(a, "port");
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (portText!.trim() === "" || !Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new UsageError(`--port: expected an integer from 0 to 65535, got ${JSON.stringify(portText)}`);
  }
  const shape: Record<string, number> = {};
  for (const name of SHAPE_NAMES) {
    const n = getNumber(a, optionOf(name), { integer: true, min: 0 });
    if (n !== undefined) shape[name] = n;
  }
  const tracePath = getNonEmpty(a, "trace", "a trace file written by kv-sim search --trace");
  if (tracePath !== undefined && Object.keys(shape).length > 0) {
    throw new UsageError(`--${optionOf(Object.keys(shape)[0]!)}: the trace file fixes the scenario's shape; give one or the other`);
  }
  let scenario = getString(a, "scenario");
  if (scenario === undefined && tracePath === undefined) throw new UsageError(`--scenario: required (one of ${EXPLORE_SCENARIOS.join(", ")}), or --trace FILE`);
  if (scenario !== undefined && !EXPLORE_SCENARIOS.includes(scenario)) throw new UsageError(`--scenario: expected one of ${EXPLORE_SCENARIOS.join(", ")}, got ${JSON.stringify(scenario)}`);
  const maxPathLength = EXPLORER_DEFAULTS.maxPathLength;
  const trace = tracePath === undefined ? undefined : readTrace(tracePath, maxPathLength - 1);
  if (trace !== undefined) {
    if (scenario !== undefined && trace.scenario !== scenario) throw new UsageError(`--scenario ${scenario}: the trace ${tracePath} is of scenario ${trace.scenario}`);
    if (!EXPLORE_SCENARIOS.includes(trace.scenario)) throw new InputError(`--trace ${tracePath}: scenario ${JSON.stringify(trace.scenario)} is not one of ${EXPLORE_SCENARIOS.join(", ")}`);
    scenario = trace.scenario;
  }
  const name = scenario as ScenarioName;
  const ownShape = Object.keys(SCENARIO_INFO[name].shape);
  const foreign = Object.keys(shape).find((k) => !ownShape.includes(k));
  if (foreign !== undefined) throw new UsageError(`--${optionOf(foreign)}: not a shape option of ${name} (its options: ${ownShape.map((k) => `--${optionOf(k)}`).join(", ")})`);
  checkShape(name, shape);
  const chosen = pieceFile(a, name, env);
  // raft-core-3 without a module runs the reference core: no file, the option says so.
  const file = chosen.file === "" ? chosen.option : chosen.file;
  // A client run against the reference store: the client is the code under test.
  const source = chosen.file === "" && chosen.client !== undefined ? `${chosen.client.file} (the replicas run ${chosen.option})` : file;
  const pieces = await loadPiece(name, chosen);
  let opened;
  try {
    opened = openScenario({ scenario: name, pieces, source, shape });
  } catch (e) {
    // "clients: expected ..." names the command line's option instead.
    const message = (e as Error).message.replace(/^(\w+):/, (whole, key: string) => (SHAPE_NAMES.includes(key) ? `--${optionOf(key)}:` : whole));
    throw new UsageError(message, { cause: e });
  }
  let explorer: Explorer;
  try {
    explorer = await startExplorer({ scenario: opened, port: port ?? 0, maxPathLength, ...(trace ? { trace: { trace, name: basename(tracePath!) } } : {}) });
  } catch (e) {
    // A trace that does not fit the scenario is the trace file's fault (4); code under test that throws is the store option's (2, as kv-sim search).
    if (e instanceof ExploreError && e.status === 422) throw new InputError(`--trace ${tracePath}: ${e.message}`, { cause: e });
    if (e instanceof ExploreError) {
      const blamed = chosen.file === "" && chosen.client !== undefined ? `${chosen.client.option}: ${chosen.client.file}` : `${chosen.option}: ${file}`;
      throw new CodeUnderTestError(`${blamed}: ${e.message}`, { cause: e });
    }
    const code = (e as { code?: string }).code;
    if (code === "EADDRINUSE") throw new UsageError(`--port ${port}: in use on 127.0.0.1; give another, or 0 for a free one`, { cause: e });
    if (code === "EACCES") throw new UsageError(`--port ${port}: not allowed to listen there; give one above 1023, or 0`, { cause: e });
    throw e;
  }
  const snapshot = explorer.session.snapshot();
  if (snapshot.trace?.stoppedAt) {
    const s = snapshot.trace.stoppedAt;
    io.stderr(`kv-sim: --trace ${tracePath}: step ${s.step} (${s.line}): ${s.reason}; the page shows the trace up to there\n`);
  }
  io.stdout(`explore: ${explorer.url}\n`);
  io.stdout(`scenario: ${opened.name}; code under test: ${source}${trace ? `; trace: ${tracePath} (${plural(trace.events.length, "event")}${trace.violation ? `, ends in ${trace.violation.invariant} violated` : ""})` : ""}\n`);
  io.stdout("serving on 127.0.0.1 until Ctrl-C\n");
  if (a.flags.has("open") || (shell.isTty && !a.flags.has("no-open"))) openBrowser(explorer.url, io);
  await (shell.stopped ?? untilSignal());
  await explorer.close();
  return EXIT.ok;
}
