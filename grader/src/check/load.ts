/**
 * The workbook's checks are TypeScript, and so are the student's pieces they
 * load; both are imported while `grader check` runs, from the repository on
 * disk, never bundled into the grader. From the sources (tsx already
 * registered by the launcher) they import as they are; from the compiled
 * bundle, tsx's loader is registered in this process first.
 *
 * The checks module is imported by a computed path, so the bundler leaves
 * it (and tsx) outside the bundle, and the checks get their own copies of
 * the workspace packages: nothing crosses between the two but plain data
 * and the functions `week-12/checks/index.ts` exports.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type * as Checks from "../../../week-12/checks/index.js";

export type ChecksModule = typeof Checks;

/** The repository this grader belongs to (also when it runs from its bundle: import.meta.url names the source file). */
export const REPOSITORY_ROOT = resolve(fileURLToPath(new URL("../../../", import.meta.url)));

/** Where the registry of checks is: week-12/checks/index.ts of the repository. */
export function checksEntry(root: string = REPOSITORY_ROOT): string {
  return join(root, "week-12", "checks", "index.ts");
}

export class ChecksMissingError extends Error {
  readonly code = "CHECKS_MISSING";
}

let typescriptReady: Promise<void> | undefined;

/** Makes `import()` of a .ts file work in this process (once). */
export function ensureTypeScriptImports(): Promise<void> {
  typescriptReady ??= (async () => {
    try {
      await import(new URL("./typescript-probe.ts", import.meta.url).href);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ERR_UNKNOWN_FILE_EXTENSION") throw e;
    }
    // A computed specifier: the bundle keeps it an import at run time.
    const api = (await import(["tsx", "esm", "api"].join("/"))) as { register: () => unknown };
    api.register();
  })();
  return typescriptReady;
}

/** Imports the workbook's checks (CHECKS, runCheck, openWorkbook, ...). */
export async function loadChecks(root: string = REPOSITORY_ROOT): Promise<ChecksModule> {
  const entry = checksEntry(root);
  if (!existsSync(entry)) throw new ChecksMissingError(`the workbook's checks are not here (${entry}); run grader check inside the course repository`);
  await ensureTypeScriptImports();
  return (await import(pathToFileURL(entry).href)) as ChecksModule;
}
