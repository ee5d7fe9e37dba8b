/**
 * Which file holds the workbook piece a search scenario runs (the dedup
 * store or the vote rules), chosen the same way by `kv-sim search`,
 * `kv-sim replay` and `kv-sim explore`: `--store FILE` / `--rules FILE`,
 * `--solution`, `--workbook DIR`, else DSLAB_WORKBOOK, else the student's
 * `week-12/`. A scenario that also runs the retrying client
 * (leader-change-3) takes it from `--client FILE`, else from the same
 * workbook as the store; with `--store FILE` and no `--client`, it runs
 * its scripted client. `--client FILE` with none of the options that choose
 * a store (`--store`, `--workbook`, `--solution`; DSLAB_WORKBOOK does not
 * count) runs the reference store (`ReferenceStore`, the cluster's own
 * state machine and session table), so the client is judged alone.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "@dslab/protocol/cli";
import { moduleExtensionProblem, moduleLoadProblem } from "@dslab/cluster";
import { getNonEmpty, getString, type ParsedArgs } from "./args.js";
import type { ModuleSource } from "./module-error.js";
import { shellQuote } from "../run/config.js";
import { loadPieces, loadRetryClient, SCENARIO_INFO, type ScenarioName, type ScenarioPieces } from "../search/index.js";

const REPOSITORY_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** Where each piece lives inside a workbook. */
export const PIECE_FILE: Record<"store" | "voteRules", string> = { store: join("src", "dedup-kv-store.ts"), voteRules: join("src", "vote-rules.ts") };

/** Where the retrying client lives inside a workbook. */
export const CLIENT_FILE = join("src", "retry-client.ts");

/** How a command names the reference store (a piece with no file). */
export const REFERENCE_STORE = "the reference store";

/** How a command names the workbook it takes a piece from when no option and no DSLAB_WORKBOOK chose one. */
export const DEFAULT_WORKBOOK = "the default workbook (week-12/)";

/** A shape `scenario` cannot take, refused as a usage error naming its option (search and explore alike). */
export function checkShape(scenario: ScenarioName, shape: Readonly<Record<string, number>>): void {
  if (scenario !== "dedup-single") return;
  if (shape.clients !== undefined && (shape.clients < 1 || shape.clients > 2)) throw new UsageError(`--clients: dedup-single takes 1 or 2 clients, got ${shape.clients}`);
  if (shape.appends === 0) throw new UsageError("--appends: dedup-single takes at least 1 append per client, got 0");
}

/** The options that choose a piece's file (`--solution` is a flag). */
export const PIECE_OPTIONS = ["workbook", "store", "rules", "client", "core"];

export interface PieceFile {
  file: string;
  /** The option that chose it (for messages). */
  option: string;
  /** The retrying client's file, for a scenario that runs one (absent: its scripted client). */
  client?: { file: string; option: string };
}

/** The file of the piece `scenario` runs (and of its retrying client), and the options that chose them. */
export function pieceFile(a: ParsedArgs, scenario: ScenarioName, env: NodeJS.ProcessEnv): PieceFile {
  for (const o of PIECE_OPTIONS) getNonEmpty(a, o, o === "workbook" ? "a directory laid out like week-12/" : "a module file");
  const client = getString(a, "client");
  if (client !== undefined && SCENARIO_INFO[scenario].client && !PIECE_OPTIONS.some((o) => o !== "client" && getString(a, o) !== undefined) && !a.flags.has("solution")) {
    return { file: "", option: REFERENCE_STORE, client: { file: resolve(client), option: "--client" } };
  }
  const chosen = storeOrRules(a, scenario, env);
  if (!SCENARIO_INFO[scenario].client) {
    if (client !== undefined) throw new UsageError(`--client: ${scenario} runs no retrying client`);
    return chosen;
  }
  if (client !== undefined) return { ...chosen, client: { file: resolve(client), option: "--client" } };
  if (chosen.option === "--store") return chosen;
  return { ...chosen, client: { file: join(dirname(dirname(chosen.file)), CLIENT_FILE), option: chosen.option } };
}

function storeOrRules(a: ParsedArgs, scenario: ScenarioName, env: NodeJS.ProcessEnv): { file: string; option: string } {
  const store = getString(a, "store");
  const rules = getString(a, "rules");
  const core = getString(a, "core");
  const chosen = [getString(a, "workbook"), a.flags.has("solution") ? "x" : undefined, store, rules, core].filter((x) => x !== undefined);
  if (chosen.length > 1) throw new UsageError("--workbook, --solution, --store, --rules and --core: give at most one");
  const piece = SCENARIO_INFO[scenario].piece;
  if (core !== undefined && piece !== "core") throw new UsageError(`--core: ${scenario} runs no node cores (raft-core-3 does)`);
  if (piece === "core") {
    // Cores from --core FILE, else vote rules in the reference core chosen as below, else the reference core alone (DSLAB_WORKBOOK does not apply).
    if (store !== undefined) throw new UsageError(`--store: ${scenario} runs node cores; give --core FILE, or --rules FILE for vote rules in the reference core`);
    if (core !== undefined) return { file: resolve(core), option: "--core" };
    if (rules === undefined && !a.flags.has("solution") && getString(a, "workbook") === undefined) return { file: "", option: "the reference core" };
  }
  const file = PIECE_FILE[piece === "core" ? "voteRules" : piece];
  if (store !== undefined && piece !== "store") throw new UsageError(`--store: ${scenario} runs vote rules; give --rules FILE`);
  if (rules !== undefined && piece === "store") throw new UsageError(`--rules: ${scenario} runs a DedupKVStore; give --store FILE`);
  if (store !== undefined) return { file: resolve(store), option: "--store" };
  if (rules !== undefined) return { file: resolve(rules), option: "--rules" };
  const solution = join(REPOSITORY_ROOT, "grader", "solutions", "week-12", file);
  if (a.flags.has("solution")) return { file: solution, option: "--solution" };
  const given = getString(a, "workbook");
  const dir = given ?? env.DSLAB_WORKBOOK;
  const option = given !== undefined ? "--workbook" : dir !== undefined && dir !== "" ? `DSLAB_WORKBOOK=${dir}` : DEFAULT_WORKBOOK;
  if (dir === undefined || dir === "" || dir === "workbook") return { file: join(REPOSITORY_ROOT, "week-12", file), option };
  if (dir === "solution") return { file: solution, option };
  return { file: join(resolve(dir), file), option };
}

/** Loads the scenario's pieces from their files; a module that cannot load is a usage error naming the option that chose it. */
export async function loadPiece(scenario: ScenarioName, { file, option, client }: PieceFile): Promise<ScenarioPieces> {
  const load = async <T>(what: () => Promise<T>, f: string, o: string): Promise<T> => {
    // A file Node cannot import by its name (core.txt, a name without an extension) is said as such, before any import.
    const extension = f === "" ? undefined : moduleExtensionProblem(f);
    if (extension !== undefined) throw new UsageError(`${o}: cannot load ${f}: ${extension}`);
    try {
      return await what();
    } catch (e) {
      throw new UsageError(`${o}: cannot load ${f}: ${moduleLoadProblem(e, resolve(f))}`, { cause: e });
    }
  };
  const pieces = await load(() => loadPieces(scenario, file), file, option);
  if (client !== undefined) pieces.client = await load(() => loadRetryClient(client.file), client.file, client.option);
  return pieces;
}

/** The modules of the user's that these pieces run, each with what chose it (for an error one of them throws). */
export function pieceModules(chosen: PieceFile): ModuleSource[] {
  const modules: ModuleSource[] = chosen.file === "" ? [] : [{ file: chosen.file, option: chosen.option }];
  if (chosen.client !== undefined) modules.push({ file: chosen.client.file, option: chosen.client.option, client: true });
  return modules;
}

/** The options that give these pieces again (a replay line). */
export function pieceOptions(scenario: ScenarioName, chosen: PieceFile): string {
  const piece = SCENARIO_INFO[scenario].piece;
  const client = chosen.client === undefined ? "" : `--client ${shellQuote(chosen.client.file)}`;
  if (piece === "core" && chosen.file === "") return "";
  if (piece === "store" && chosen.file === "") return client;
  const main = `${piece === "store" ? "--store" : piece === "core" && chosen.option === "--core" ? "--core" : "--rules"} ${shellQuote(chosen.file)}`;
  return client === "" ? main : `${main} ${client}`;
}

/** The command that replays a trace file with these pieces, runnable from the repository root as every command kv-sim prints is. */
export function replayLine(trace: string, scenario: ScenarioName, chosen: PieceFile): string {
  const options = pieceOptions(scenario, chosen);
  return `npm run kv-sim -- replay ${shellQuote(trace)}${options === "" ? "" : " " + options}`;
}
