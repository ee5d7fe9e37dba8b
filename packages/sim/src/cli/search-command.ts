/**
 * `kv-sim search`: explore every order of message deliveries, drops,
 * duplicates and timer firings of a small scenario (model checking), check
 * the invariants in every state, and print the shortest trace to a
 * violation; `kv-sim replay TRACE` re-runs a trace file event by event.
 *
 * The store comes from the workbook, loaded from its TypeScript source:
 * `--workbook DIR` (a directory laid out like week-12/), `--solution` (the
 * reference solutions, instructor side), `--store FILE` (any module
 * exporting `DedupKVStore`), or else `DSLAB_WORKBOOK` as the workbook's
 * plug modules read it (unset: week-12/).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EXIT, UsageError, type Io } from "@dslab/protocol/cli";
import { getList, getNumber, getString, parseArgs } from "./args.js";
import { DEDUP_DEFAULTS } from "../search/dedup-single.js";
import { loadStore, replayTrace, SCENARIOS, SEARCH_DEFAULTS, searchScenario, type ScenarioName, type SearchReport, type TraceFile } from "../search/index.js";

const REPOSITORY_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const STORE_FILE = join("src", "dedup-kv-store.ts");
const INVARIANTS = ["appends-at-most-once", "results-ok"];
const PREDICATES = ["clients-done"];
export const DEFAULT_TRACE = "search-trace.json";

export const SEARCH_HELP = `kv-sim search: every reachable state of a small scenario, breadth-first; the shortest trace to a broken invariant

Usage: kv-sim search --scenario dedup-single [--bfs | --random-dfs --seed N] [--max-depth D] [--max-time-s T]
                     [--invariant NAME,...] [--prune clients-done] [--goal clients-done]
                     [--clients 1|2] [--appends N] [--max-retries N] [--max-drops N] [--max-duplicates N]
                     [--workbook DIR | --solution | --store FILE] [--trace FILE] [--json]
       kv-sim replay TRACE [--workbook DIR | --solution | --store FILE]

  --scenario NAME        ${SCENARIOS.join(", ")}: one server running the workbook's DedupKVStore,
                         1-2 scripted clients appending "c1:1", "c1:2", ... to key "l" with retries
  --bfs                  breadth-first (default): a violation's trace is a shortest one
  --random-dfs           depth-first, children in a random order drawn from --seed (default ${SEARCH_DEFAULTS.seed})
  --max-depth D          expand no state deeper than D events (default ${SEARCH_DEFAULTS.maxDepth})
  --max-time-s T         stop after T seconds (default ${SEARCH_DEFAULTS.maxTimeS}); exit 3 if the space is not exhausted
  --invariant NAME,...   ${INVARIANTS.join(", ")} (default: both)
  --prune NAME           do not expand states where NAME holds: ${PREDICATES.join(", ")}
  --goal NAME            stop at the first state where NAME holds (exit 0): ${PREDICATES.join(", ")}
  --clients N            clients (default ${DEDUP_DEFAULTS.clients}); --appends N per client (default ${DEDUP_DEFAULTS.appends})
  --max-retries N        retries per append after its first attempt (default ${DEDUP_DEFAULTS.maxRetries})
  --max-drops N          messages the network may lose in one run (default ${DEDUP_DEFAULTS.maxDrops})
  --max-duplicates N     requests the network may deliver twice in one run (default ${DEDUP_DEFAULTS.maxDuplicates})
  --workbook DIR         load DIR/${STORE_FILE} (default: DSLAB_WORKBOOK, else week-12/)
  --solution             load the reference solution's store
  --store FILE           load any module exporting DedupKVStore
  --trace FILE           where a violation's trace file is written (default ${DEFAULT_TRACE})
  --json                 print the report as JSON

Output: states explored, unique states, depth reached, states per second, the end
condition (space exhausted, invariant violated, goal found, time limit), and for a
violation the shortest trace, one line per event. Exit 0: space exhausted or goal found
with no violation; 1: an invariant was violated; 2: usage; 3: time limit reached first.
kv-sim replay re-runs a trace file step by step and prints the invariants' verdict
(exit 1 if one is violated at the end, 0 if not).

Example:
  npm run kv-sim -- search --scenario dedup-single --clients 2 --appends 2 --solution
`;

const STORE_OPTIONS = ["workbook", "store"];

function storeFile(a: ReturnType<typeof parseArgs>, env: NodeJS.ProcessEnv): string {
  const chosen = [getString(a, "workbook"), a.flags.has("solution") ? "x" : undefined, getString(a, "store")].filter((x) => x !== undefined);
  if (chosen.length > 1) throw new UsageError("--workbook, --solution and --store: give at most one");
  const store = getString(a, "store");
  if (store !== undefined) return resolve(store);
  if (a.flags.has("solution")) return join(REPOSITORY_ROOT, "grader", "solutions", "week-12", STORE_FILE);
  const dir = getString(a, "workbook") ?? env.DSLAB_WORKBOOK;
  if (dir === undefined || dir === "" || dir === "workbook") return join(REPOSITORY_ROOT, "week-12", STORE_FILE);
  if (dir === "solution") return join(REPOSITORY_ROOT, "grader", "solutions", "week-12", STORE_FILE);
  return join(isAbsolute(dir) ? dir : resolve(dir), STORE_FILE);
}

async function load(file: string, option: string) {
  try {
    return await loadStore(file);
  } catch (e) {
    throw new UsageError(`${option}: cannot load ${file}: ${(e as Error).message.split("\n")[0]}`, { cause: e });
  }
}

function optionName(a: ReturnType<typeof parseArgs>): string {
  return getString(a, "store") !== undefined ? "--store" : a.flags.has("solution") ? "--solution" : "--workbook";
}

export function renderReport(r: SearchReport): string {
  const lines = [
    `scenario: ${r.scenario}`,
    `end: ${r.end.replace("-", " ")}${r.end === "space-exhausted" && r.depthBounded ? " (within --max-depth)" : ""}`,
    `states explored: ${r.explored}`,
    `unique states: ${r.unique}`,
    `depth reached: ${r.depth}`,
    `states per second: ${Math.round(r.statesPerS)}`,
    `time: ${(r.wallMs / 1000).toFixed(2)} s`,
  ];
  if (r.violation) lines.push(`violated: ${r.violation.invariant}: ${r.violation.message}`);
  if (r.trace) {
    lines.push(`${r.violation ? "trace" : "trace to the goal"} (${r.trace.length} events):`);
    for (const [i, line] of r.trace.entries()) lines.push(`  ${String(i + 1).padStart(3)}. ${line}`);
  }
  return lines.join("\n") + "\n";
}

export async function searchCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const a = parseArgs(argv, {
    options: ["scenario", "seed", "max-depth", "max-time-s", "invariant", "prune", "goal", "clients", "appends", "max-retries", "max-drops", "max-duplicates", "trace", ...STORE_OPTIONS],
    flags: ["bfs", "random-dfs", "solution", "json", "help"],
  });
  if (a.flags.has("help")) {
    io.stdout(SEARCH_HELP);
    return EXIT.ok;
  }
  const scenario = getString(a, "scenario");
  if (scenario === undefined) throw new UsageError(`--scenario: required (one of ${SCENARIOS.join(", ")})`);
  if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new UsageError(`--scenario: expected one of ${SCENARIOS.join(", ")}, got ${JSON.stringify(scenario)}`);
  if (a.flags.has("bfs") && a.flags.has("random-dfs")) throw new UsageError("--bfs and --random-dfs: give one");
  if (getString(a, "seed") !== undefined && !a.flags.has("random-dfs")) throw new UsageError("--seed: only --random-dfs takes a seed (BFS has one order)");
  const names = (option: string, allowed: string[]) => {
    const list = getList(a, option);
    for (const n of list) if (!allowed.includes(n)) throw new UsageError(`--${option}: expected one of ${allowed.join(", ")}, got ${JSON.stringify(n)}`);
    return list;
  };
  const invariants = names("invariant", INVARIANTS);
  const clients = getNumber(a, "clients", { integer: true, min: 1 });
  if (clients !== undefined && clients > 2) throw new UsageError(`--clients: dedup-single takes 1 or 2 clients, got ${clients}`);
  const options = {
    scenario: scenario as ScenarioName,
    strategy: a.flags.has("random-dfs") ? ("random-dfs" as const) : ("bfs" as const),
    seed: getNumber(a, "seed", { integer: true, min: 0 }),
    maxDepth: getNumber(a, "max-depth", { integer: true, min: 0 }),
    maxTimeS: getNumber(a, "max-time-s", { min: 0 }),
    invariants: invariants.length > 0 ? invariants : undefined,
    prune: names("prune", PREDICATES),
    goal: names("goal", PREDICATES),
    clients,
    appends: getNumber(a, "appends", { integer: true, min: 1 }),
    maxRetries: getNumber(a, "max-retries", { integer: true, min: 0 }),
    maxDrops: getNumber(a, "max-drops", { integer: true, min: 0 }),
    maxDuplicates: getNumber(a, "max-duplicates", { integer: true, min: 0 }),
  };
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const file = storeFile(a, env);
  const store = await load(file, optionName(a));
  const report = searchScenario({ ...(defined as typeof options), store });
  if (report.violation && report.traceFile) {
    const out = resolve(getString(a, "trace") ?? DEFAULT_TRACE);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(report.traceFile, null, 2) + "\n");
    if (!a.flags.has("json")) io.stdout(renderReport(report) + `trace file: ${out}\nreplay: kv-sim replay ${out} --store ${file}\n`);
  } else if (!a.flags.has("json")) io.stdout(renderReport(report));
  if (a.flags.has("json")) io.stdout(JSON.stringify({ ...report, traceFile: undefined }) + "\n");
  return report.end === "invariant-violated" ? EXIT.negative : report.end === "time-limit" ? EXIT.unknown : EXIT.ok;
}

export async function replayCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const path = argv[0];
  if (path === "--help" || path === "-h") {
    io.stdout(SEARCH_HELP);
    return EXIT.ok;
  }
  if (path === undefined || path.startsWith("-")) throw new UsageError("replay: name the trace file first: kv-sim replay TRACE [--workbook DIR | --solution | --store FILE]");
  const a = parseArgs(argv.slice(1), { options: STORE_OPTIONS, flags: ["solution", "help"] });
  let trace: TraceFile;
  try {
    trace = JSON.parse(readFileSync(path, "utf8")) as TraceFile;
  } catch (e) {
    io.stderr(`kv-sim: cannot read the trace ${path}: ${(e as Error).message}\n`);
    return EXIT.badInput;
  }
  if (trace?.kind !== "dslab-search-trace") {
    io.stderr(`kv-sim: ${path} is not a search trace (no "kind": "dslab-search-trace")\n`);
    return EXIT.badInput;
  }
  const store = await load(storeFile(a, env), optionName(a));
  const result = replayTrace(trace, store);
  for (const [i, line] of result.lines.entries()) io.stdout(`  ${String(i + 1).padStart(3)}. ${line}\n`);
  if (result.violation) {
    io.stdout(`verdict: ${result.violation.invariant} violated: ${result.violation.message}\n`);
    return EXIT.negative;
  }
  io.stdout(`verdict: every invariant holds (${trace.invariants.join(", ")})\n`);
  return EXIT.ok;
}
