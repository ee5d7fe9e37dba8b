/**
 * Loads a function another module exports, named on a command line: a core
 * (`--core FILE`, a module exporting `createKvNodeCore(config, restored)`)
 * for kv-cluster and kv-sim, or kv-sim's `--client`. A file whose name
 * Node cannot import by (`core.txt`) is refused by its name, before
 * anything is imported. A relative path is
 * taken from the current directory, or else from the repository root, which
 * is where the lessons and the replay commands are written from.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { extname, isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { stackFrames } from "@dslab/protocol/stack-frames";
import type { KvNodeCore, NodeConfig, PersistentState } from "../contract.js";

const REPOSITORY_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** What `--core FILE` names: a function that makes a node's core, as `createKvNodeCore` does. */
export type CoreFactory = (config: NodeConfig, restored: PersistentState) => KvNodeCore;

/** Where a module path on a command line points (see the header). */
export function resolveModulePath(modulePath: string): string {
  if (isAbsolute(modulePath)) return modulePath;
  const here = resolve(process.cwd(), modulePath);
  if (existsSync(here)) return here;
  const fromRoot = resolve(REPOSITORY_ROOT, modulePath);
  return existsSync(fromRoot) ? fromRoot : here;
}

/**
 * The endings a module file named on a command line may have: what Node
 * imports (.js, .mjs, .cjs), and what tsx, which every command that loads
 * such a module runs under, adds (TypeScript and JSX). The case counts:
 * `core.TS` is not imported.
 */
export const MODULE_EXTENSIONS: readonly string[] = [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx"];

/**
 * Why the file `modulePath` cannot be imported as a module by its name alone
 * (`core.txt`, `core.json`, `core` with no extension), or undefined when its
 * extension is one of MODULE_EXTENSIONS. A JSON file would import as data
 * with no function in it, and a file without an extension as a script
 * whatever it holds: neither is a module these options take.
 */
export function moduleExtensionProblem(modulePath: string): string | undefined {
  const extension = extname(modulePath);
  if (MODULE_EXTENSIONS.includes(extension)) return undefined;
  const name = extension === "" ? "its name has no extension" : `its name ends in ${JSON.stringify(extension)}`;
  const accepted = `${MODULE_EXTENSIONS.slice(0, -1).join(", ")} or ${MODULE_EXTENSIONS.at(-1)}`;
  return `${name}, and a module must be a ${accepted} file`;
}

/**
 * The function `name` that the module at `modulePath` exports. Throws an
 * Error that starts with `option` (`--core: ...`) when the module cannot be
 * loaded, or exports no such function; `signature` shows the call it must take.
 */
export async function loadModuleFunction(option: string, modulePath: string, name: string, signature: string): Promise<(...args: never[]) => unknown> {
  const extension = moduleExtensionProblem(modulePath);
  if (extension !== undefined) throw new Error(`${option}: cannot load ${modulePath}: ${extension}; give the module that exports ${name}${signature}`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolveModulePath(modulePath)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${option}: cannot load ${modulePath}: ${moduleLoadProblem(e, resolveModulePath(modulePath))}`, { cause: e });
  }
  const fn = mod[name];
  if (typeof fn !== "function") {
    throw new Error(`${option}: ${modulePath} does not export a function ${name}${signature}; it exports ${Object.keys(mod).join(", ") || "nothing"}`);
  }
  return fn as (...args: never[]) => unknown;
}

/**
 * Why a module could not be imported, in one line. A TypeScript file with no
 * package.json saying "type": "module" in its folder or above is taken for
 * CommonJS, and Node's words for what follows (a require() cycle) point
 * nowhere near the cause: that case is said plainly.
 *
 * Given the module's `file`, it also says where: a module that does not parse
 * (a text file, a typo) names the line and column the parser stopped at, and
 * one that throws while it loads (`hi` alone: `hi is not defined`) names the
 * error and its first frame in `file` (else its first frame outside dslab's
 * sources).
 */
export function moduleLoadProblem(e: unknown, file?: string): string {
  if ((e as NodeJS.ErrnoException | undefined)?.code === "ERR_REQUIRE_CYCLE_MODULE") {
    return `it is taken for CommonJS, since no package.json with {"type": "module"} is in its folder or above (as outside the repository): add one, or name the file .mts`;
  }
  if (!(e instanceof Error)) return String(e);
  if (e.name === "TransformError") {
    // tsx passes on esbuild's message only: "Transform failed with N error(s):" then "<file>:<line>:<column>: ERROR: <text>" lines.
    const errors = [...e.message.matchAll(/^(.+?):(\d+):(\d+): ERROR: (.*)$/gm)];
    const first = errors[0];
    if (first !== undefined) {
      // esbuild counts columns from 0, editors and stack traces from 1.
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})` : "";
      return `it does not parse: ${shownPath(first[1]!)}:${first[2]}:${Number(first[3]) + 1}: ${first[4]}${more}`;
    }
  }
  const message = e.message.split("\n")[0]!;
  if (file === undefined) return message;
  if (e.name === "SyntaxError") {
    const where = syntaxErrorPlace(e.stack) ?? syntaxErrorPlace(checkSyntax(file));
    if (where === undefined) return message;
    const place = `${shownPath(where.file)}:${where.line}:${where.column}`;
    // Node words an import of a name the other module does not export as a SyntaxError too: that module parsed.
    return message.startsWith("The requested module ") ? `${place}: ${message}` : `it does not parse: ${place}: ${message}`;
  }
  const frames = stackFrames(e.stack);
  const frame = frames.find((f) => resolve(f.file) === resolve(file)) ?? frames.find((f) => !isEngineFile(f.file, "sources"));
  if (frame === undefined) return message;
  return `it threw ${e.name}: ${message} at ${shownPath(frame.file)}:${frame.line}:${frame.column}`;
}

/**
 * Where V8 stopped parsing, from the head it puts before a SyntaxError's
 * stack (`FILE:LINE`, the source line, then carets under the token), as for
 * a CommonJS module or `node --check`.
 */
function syntaxErrorPlace(stack: string | undefined): { file: string; line: number; column: number } | undefined {
  const m = /^(.+):(\d+)\n.*\n( *)\^/.exec(stack ?? "");
  if (m === null) return undefined;
  const file = m[1]!.startsWith("file://") ? fileURLToPath(m[1]!) : m[1]!;
  return { file, line: Number(m[2]), column: m[3]!.length + 1 };
}

/**
 * What `node --check` says of `file`: the place of an ES module's syntax
 * error, which the import's SyntaxError does not carry. Run only for a
 * module that failed to parse.
 */
function checkSyntax(file: string): string {
  const r = spawnSync(process.execPath, ["--check", file], { encoding: "utf8", timeout: 10_000, stdio: ["ignore", "ignore", "pipe"] });
  return r.stderr ?? "";
}

/** The core factory `--core FILE` names. */
export async function loadCore(modulePath: string): Promise<CoreFactory> {
  return (await loadModuleFunction("--core", modulePath, "createKvNodeCore", "(config, restored)")) as unknown as CoreFactory;
}

/** A path as a person reads it: relative to the repository root when inside it. */
export function shownPath(file: string): string {
  const absolute = resolve(file);
  return absolute.startsWith(REPOSITORY_ROOT) ? relative(REPOSITORY_ROOT, absolute) : absolute;
}

/**
 * Whether `file` is the engine's, not a module of the user's: a dependency's,
 * the commands' launcher (`scripts/bins/`, under every command's first
 * frames), or under `packages/` (`"packages"`: the engine and its tests), or
 * only a package's `src/` (`"sources"`: where the module was named on the
 * command line, so even one beside the tests is the user's).
 */
function isEngineFile(file: string, engine: "packages" | "sources"): boolean {
  const parts = relative(REPOSITORY_ROOT, file).split(sep);
  if (parts.includes("node_modules")) return true;
  if (parts[0] === "scripts" && parts[1] === "bins") return true;
  return parts[0] === "packages" && (engine === "packages" || parts[2] === "src");
}

/**
 * Where code of the user's threw `e`: its first stack frame outside the
 * engine (see `isEngineFile`) and node_modules (a workbook file, a `--core`
 * module). A stub's "not implemented yet" names
 * the stub's function, not the helper that threw it, so for a
 * NotImplementedError the helper's frame is skipped.
 */
export function moduleFrame(e: Error, engine: "packages" | "sources" = "packages"): { file: string; at: string } | undefined {
  let skip = e.name === "NotImplementedError" ? 1 : 0;
  for (const { file, line, column } of stackFrames(e.stack)) {
    if (isEngineFile(file, engine)) continue;
    if (skip-- > 0) continue;
    return { file, at: `${shownPath(file)}:${line}:${column}` };
  }
  return undefined;
}
