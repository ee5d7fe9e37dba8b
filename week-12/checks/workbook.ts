/**
 * Opens a workbook: the student's `week-12/`, the reference solutions, or
 * either with some files replaced (a mutant). `DSLAB_WORKBOOK` chooses for
 * the visible tests and the plug modules: unset for week-12/, `solution`
 * for the reference solutions, or a directory laid out like week-12/.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CheckFailure, WORKBOOK_EXPORTS, type Workbook, type WorkbookFile } from "./types.js";

/** The workbook's own directory (week-12/). */
export const WORKBOOK_DIR = fileURLToPath(new URL("../", import.meta.url)).replace(/[\\/]$/, "");
/** The repository root. */
export const REPOSITORY_ROOT = resolve(WORKBOOK_DIR, "..");
/** Where the reference solutions live (instructor side; absent from a student release). */
export const SOLUTION_DIR = join(REPOSITORY_ROOT, "grader", "solutions", "week-12");

export interface OpenOptions {
  /** "workbook" (week-12/), "solution", or a directory laid out like week-12/. */
  source?: "workbook" | "solution" | string;
  /** Files replaced by other modules (absolute paths), e.g. a mutant's. */
  overrides?: Partial<Record<WorkbookFile, string>>;
  /** Names the workbook in messages. */
  label?: string;
  /** Bumped by `--watch` so a re-run imports the edited files afresh. */
  generation?: number;
  /**
   * How a module of the workbook is imported (default: `import()` in this
   * process). `grader test` imports the submission's modules in a process
   * of their own and hands the checks what this returns.
   */
  importModule?: (path: string) => Promise<object>;
}

export function openWorkbook(options: OpenOptions = {}): Workbook {
  const source = options.source ?? "workbook";
  const dir = source === "workbook" ? WORKBOOK_DIR : source === "solution" ? SOLUTION_DIR : resolve(source);
  if (!existsSync(dir)) {
    throw new Error(source === "solution" ? `the reference solutions are not here (${relative(process.cwd(), dir) || dir}); they exist only in the instructor's repository` : `no workbook at ${dir}`);
  }
  const overrides = options.overrides ?? {};
  const label = options.label ?? (source === "workbook" ? "workbook" : source === "solution" ? "solution" : relative(REPOSITORY_ROOT, dir));
  const replayEnv =
    Object.keys(overrides).length > 0 ? "" : source === "workbook" ? "" : source === "solution" ? "DSLAB_WORKBOOK=solution " : `DSLAB_WORKBOOK=${dir} `;
  const path = (file: WorkbookFile): string => overrides[file] ?? join(dir, file);
  return {
    label,
    dir,
    replayEnv,
    path,
    async import<T>(file: WorkbookFile): Promise<T> {
      // A piece deleted or renamed is the student's to put back, not a check that fails itself.
      if (!existsSync(path(file))) throw new CheckFailure(`${file} is missing: there is no file ${path(file)}; put the piece back (its stub: git checkout -- week-12/${file})`);
      if (options.importModule) return exportsOf(file, await options.importModule(path(file))) as T;
      const url = pathToFileURL(path(file));
      if (options.generation) url.search = `?generation=${options.generation}`;
      return exportsOf(file, (await import(url.href)) as object) as T;
    },
  };
}

/**
 * The module as the checks read it: reading a name the piece's stub exports
 * (`WORKBOOK_EXPORTS`) that this module does not export is the student's
 * mistake, a `CheckFailure` naming it.
 */
function exportsOf(file: WorkbookFile, mod: object): object {
  const names = WORKBOOK_EXPORTS[file];
  if (names === undefined) return mod;
  return new Proxy(mod, {
    get(target, name, receiver) {
      if (typeof name === "string" && names.includes(name) && !(name in target)) {
        throw new CheckFailure(`${file} does not export ${name}, as its stub does: keep the \`export\` and the name (the checks import it)`);
      }
      return Reflect.get(target, name, receiver) as unknown;
    },
  });
}

/** The workbook `DSLAB_WORKBOOK` names (see the header). */
export function workbookFromEnv(env: NodeJS.ProcessEnv = process.env): Workbook {
  const v = env.DSLAB_WORKBOOK;
  if (v === undefined || v === "" || v === "workbook") return openWorkbook();
  if (v === "solution") return openWorkbook({ source: "solution" });
  return openWorkbook({ source: isAbsolute(v) ? v : resolve(REPOSITORY_ROOT, v) });
}
