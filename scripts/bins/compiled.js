// @ts-check
/**
 * Where a command's compiled bundle lives and when it may run.
 *
 * A launcher `<package>/bin/<name>.js` has its bundle at
 * `<package>/dist/bin/<name>.js` (with `<name>.js.map`) and a manifest
 * `<package>/dist/bin/<name>.inputs.json`: the bundle's own size and mtime,
 * and the size and mtime of every file the bundle was built from (TypeScript
 * sources, bundled dependencies, their package.json and tsconfig files, the
 * builder itself), each path relative to the manifest's directory.
 *
 * Invariant: the bundle is fresh only if the manifest reads, the bundle is
 * the one it names, and every input still has exactly the size and mtime it
 * had when the bundle was built. Any difference (an edit, a touch, a file
 * put back with an older date, a file gone) makes it stale, and a stale or
 * missing bundle is never run. The builder writes the manifest last, so an
 * interrupted build leaves no manifest, which reads as stale.
 */
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Bumped when the builder changes what a bundle contains. */
export const MANIFEST_VERSION = 1;

/**
 * @typedef {{ path: string, size: number, mtimeMs: number }} FileStamp
 * @typedef {{ version: number, source: string, bundle: FileStamp, inputs: FileStamp[] }} Manifest
 */

/**
 * The compiled files of the launcher at `launcherPath`.
 * @param {string} launcherPath absolute path of `<package>/bin/<name>.js`
 */
export function compiledPaths(launcherPath) {
  const name = basename(launcherPath, ".js");
  const dir = join(dirname(launcherPath), "..", "dist", "bin");
  return { dir, bundle: join(dir, `${name}.js`), map: join(dir, `${name}.js.map`), manifest: join(dir, `${name}.inputs.json`) };
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
  const bundle = differs(manifest.bundle);
  if (bundle !== undefined) return bundle;
  for (const input of manifest.inputs) {
    const why = differs(input);
    if (why !== undefined) return why;
  }
  return undefined;
}
