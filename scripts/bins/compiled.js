// @ts-check
/**
 * Where a command's compiled bundle lives and when it may run.
 *
 * A launcher `<package>/bin/<name>.js` has its bundle in
 * `<package>/dist/bin/<name>/`: the entry `<name>.js` and the chunks it
 * imports on demand (a command's parts are split, so `--help` loads only
 * the entry), each with its `.map`; and a manifest
 * `<package>/dist/bin/<name>.inputs.json`: the size and mtime of every
 * output file, and of every file the bundle was built from (TypeScript
 * sources, bundled dependencies, their package.json and tsconfig files, the
 * builder itself), each path relative to the bundle's directory.
 *
 * Invariant: the bundle is fresh only if the manifest reads, every output
 * file is the one it names, and every input still has exactly the size and mtime it
 * had when the bundle was built. Any difference (an edit, a touch, a file
 * put back with an older date, a file gone) makes it stale, and a stale or
 * missing bundle is never run. The builder writes the manifest last, so an
 * interrupted build leaves no manifest, which reads as stale.
 */
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Bumped when the builder changes what a bundle contains. */
export const MANIFEST_VERSION = 2;

/**
 * @typedef {{ path: string, size: number, mtimeMs: number }} FileStamp
 * @typedef {{ version: number, source: string, outputs: FileStamp[], inputs: FileStamp[] }} Manifest
 */

/**
 * The compiled files of the launcher at `launcherPath`.
 * @param {string} launcherPath absolute path of `<package>/bin/<name>.js`
 */
export function compiledPaths(launcherPath) {
  const name = basename(launcherPath, ".js");
  const bin = join(dirname(launcherPath), "..", "dist", "bin");
  const dir = join(bin, name);
  return { dir, bundle: join(dir, `${name}.js`), map: join(dir, `${name}.js.map`), manifest: join(bin, `${name}.inputs.json`) };
}

/**
 * Size and mtime of a file, or undefined if it is not there.
 * @param {string} path
 * @returns {{ size: number, mtimeMs: number } | undefined}
 */
export function stampOf(path) {
  const st = statSync(path, { throwIfNoEntry: false });
  return st === undefined ? undefined : { size: st.size, mtimeMs: st.mtimeMs };
}

/**
 * Why the bundle of the launcher at `launcherPath` may not run, or undefined
 * when it is fresh.
 * @param {string} launcherPath
 * @returns {string | undefined}
 */
export function staleReason(launcherPath) {
  const paths = compiledPaths(launcherPath);
  /** @type {Manifest} */
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(paths.manifest, "utf8"));
  } catch {
    return `no build manifest at ${paths.manifest}`;
  }
  if (manifest.version !== MANIFEST_VERSION) return `${paths.manifest}: version ${manifest.version}, expected ${MANIFEST_VERSION}`;
  const differs = (/** @type {FileStamp} */ want) => {
    const have = stampOf(join(paths.dir, want.path));
    if (have === undefined) return `${want.path} is missing`;
    if (have.size !== want.size || have.mtimeMs !== want.mtimeMs) return `${want.path} changed since the build`;
    return undefined;
  };
  if (!Array.isArray(manifest.outputs) || !manifest.outputs.some((o) => join(paths.dir, o.path) === paths.bundle)) return `${paths.manifest} does not name the bundle's entry`;
  for (const output of manifest.outputs) {
    const why = differs(output);
    if (why !== undefined) return why;
  }
  for (const input of manifest.inputs) {
    const why = differs(input);
    if (why !== undefined) return why;
  }
  return undefined;
}
