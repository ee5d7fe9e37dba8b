/**
 * Which file holds the workbook piece a search scenario runs (the dedup
 * store or the vote rules), chosen the same way by `kv-sim search`,
 * `kv-sim replay` and `kv-sim explore`: `--store FILE` / `--rules FILE`,
 * `--solution`, `--workbook DIR`, else DSLAB_WORKBOOK, else the student's
 * `week-12/`.
 */
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "@dslab/protocol/cli";
import { getString, type ParsedArgs } from "./args.js";
import { loadPieces, SCENARIO_INFO, type ScenarioName, type ScenarioPieces } from "../search/index.js";

const REPOSITORY_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** Where each piece lives inside a workbook. */
export const PIECE_FILE: Record<"store" | "voteRules", string> = { store: join("src", "dedup-kv-store.ts"), voteRules: join("src", "vote-rules.ts") };

/** The options that choose a piece's file (`--solution` is a flag). */
export const PIECE_OPTIONS = ["workbook", "store", "rules"];

/** The file of the piece `scenario` runs, and the option that chose it (for messages). */
export function pieceFile(a: ParsedArgs, scenario: ScenarioName, env: NodeJS.ProcessEnv): { file: string; option: string } {
  const store = getString(a, "store");
  const rules = getString(a, "rules");
  const chosen = [getString(a, "workbook"), a.flags.has("solution") ? "x" : undefined, store, rules].filter((x) => x !== undefined);
  if (chosen.length > 1) throw new UsageError("--workbook, --solution, --store and --rules: give at most one");
  const piece = SCENARIO_INFO[scenario].piece;
  if (store !== undefined && piece !== "store") throw new UsageError(`--store: ${scenario} runs vote rules; give --rules FILE`);
  if (rules !== undefined && piece !== "voteRules") throw new UsageError(`--rules: ${scenario} runs a DedupKVStore; give --store FILE`);
  if (store !== undefined) return { file: resolve(store), option: "--store" };
  if (rules !== undefined) return { file: resolve(rules), option: "--rules" };
  const solution = join(REPOSITORY_ROOT, "grader", "solutions", "week-12", PIECE_FILE[piece]);
  if (a.flags.has("solution")) return { file: solution, option: "--solution" };
  const dir = getString(a, "workbook") ?? env.DSLAB_WORKBOOK;
  if (dir === undefined || dir === "" || dir === "workbook") return { file: join(REPOSITORY_ROOT, "week-12", PIECE_FILE[piece]), option: "--workbook" };
  if (dir === "solution") return { file: solution, option: "--workbook" };
  return { file: join(isAbsolute(dir) ? dir : resolve(dir), PIECE_FILE[piece]), option: "--workbook" };
}

/** Loads the scenario's piece from `file`; a module that cannot load is a usage error naming `option`. */
export async function loadPiece(scenario: ScenarioName, { file, option }: { file: string; option: string }): Promise<ScenarioPieces> {
  try {
    return await loadPieces(scenario, file);
  } catch (e) {
    throw new UsageError(`${option}: cannot load ${file}: ${(e as Error).message.split("\n")[0]}`, { cause: e });
  }
}
