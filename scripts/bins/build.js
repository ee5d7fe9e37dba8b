// @ts-check
/**
 * Compiles each dslab command into one ES module with a source map, so that
 * it starts without compiling TypeScript: `npm install` and `npm ci` run it
 * (the root `prepare` script), and so does `npm run build:bins`.
 *
 *   node scripts/bins/build.js [--warn-only] [--root DIR] [NAME...]
 *
 * The commands are the `bin` entries of the workspaces' package.json files;
 * each launcher names its TypeScript entry in its `launch(import.meta.url,
 * "...")` call, and one that says `{ compiled: false }` is not built; one
 * that passes `{ sourcesFor: NAME }` (a function of the launcher's that picks
 * the sources for some command lines, see launch.js) is built. A
 * bundle holds the workspace sources and the npm packages they import (all
 * plain JavaScript), leaving Node's built-ins outside; the map points at the
 * .ts files (without copies of them). Each module's
 * `import.meta.url` is rewritten to the URL of the file it came from, so
 * paths computed from it (a sibling bin, the package.json, the repository
 * root) are the same as when the sources run. After the bundle, the manifest
 * (compiled.js) records what it was built from; an input modified while the
 * build ran makes the build start over (three tries), so a manifest never
 * vouches for a file newer than what was read.
 *
 * --root DIR builds the commands of the repository at DIR (default: this
 * one).
 *
 * With --warn-only (what `npm install` uses) a command that does not compile
 * is reported and left to run from its sources; the exit status is 0.
 * Otherwise it is 1.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { MANIFEST_VERSION, compiledPaths, stampOf } from "./compiled.js";

/** esbuild comes with tsx, which the launchers need anyway. */
const esbuild = createRequire(createRequire(import.meta.url).resolve("tsx/package.json"))("esbuild");

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUILDER_FILES = [fileURLToPath(import.meta.url), fileURLToPath(new URL("./compiled.js", import.meta.url))];
const TRIES = 3;

/**
 * @typedef {{ name: string, launcher: string, source: string, compiled: boolean }} Bin
 */

/**
 * The commands of the repository at `root`: every workspace's `bin` entries.
 * @param {string} root
 * @returns {Bin[]}
 */
export function findBins(root = ROOT) {
  const rootPkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  /** @type {Bin[]} */
  const bins = [];
  for (const ws of rootPkg.workspaces ?? []) {
    const pkgFile = join(root, ws, "package.json");
    const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
    const entries = typeof pkg.bin === "string" ? [[pkg.name.replace(/^@[^/]+\//, ""), pkg.bin]] : Object.entries(pkg.bin ?? {});
    for (const [name, rel] of entries) {
      const launcher = join(root, ws, rel);
      bins.push({ name, launcher, ...launcherSource(launcher) });
    }
  }
  return bins;
}

/**
 * The TypeScript entry a launcher names, and whether it runs a bundle: a
 * launcher with `{ compiled: false }` does not; one with `{ sourcesFor: NAME }`
 * does, for the command lines NAME does not send to the sources.
 * @param {string} launcher
 */
export function launcherSource(launcher) {
  const text = readFileSync(launcher, "utf8");
  const m = /\blaunch\(\s*import\.meta\.url\s*,\s*"([^"]+)"\s*(?:,\s*\{\s*(compiled:\s*false|sourcesFor(?::\s*[\w$]+)?)\s*\})?\s*\)/.exec(text);
  if (m === null) throw new Error(`${launcher}: no launch(import.meta.url, "<entry>.ts") call naming the command's TypeScript entry (its options, if any: { compiled: false } or { sourcesFor: NAME })`);
  return { source: resolve(dirname(launcher), /** @type {string} */ (m[1])), compiled: m[2] === undefined || m[2].startsWith("sourcesFor") };
}

/**
 * An esbuild plugin: `import.meta.url` in a module becomes the URL of that
 * module's own file, computed from the bundle's URL so that the repository
 * can move. Any other use of `import.meta` is refused with its location.
 * @param {string} bundleDir
 */
function ownImportMetaUrl(bundleDir) {
  return {
    name: "own-import-meta-url",
    /** @param {any} build */
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, (/** @type {{ path: string }} */ args) => {
        const text = readFileSync(args.path, "utf8");
        if (!text.includes("import.meta")) return undefined;
        const rel = relative(bundleDir, args.path).split(sep).map(encodeURIComponent).join("/");
        const other = /\bimport\.meta\b(?!\.url\b)/.exec(text);
        if (other !== null) {
          const line = text.slice(0, other.index).split("\n").length;
          return { errors: [{ text: "import.meta is used other than as import.meta.url, which the bundle cannot keep", location: { file: args.path, line, column: 0 } }] };
        }
        const contents = text.replaceAll(/\bimport\.meta\.url\b/g, `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
        const ext = extname(args.path);
        const loader = ext === ".tsx" ? "tsx" : ext === ".jsx" ? "jsx" : /^\.[cm]?ts$/.test(ext) ? "ts" : "js";
        return { contents, loader, resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * The files besides the bundled modules whose change could change the
 * bundle: the nearest package.json of each module (exports maps, "type"),
 * the tsconfig files of workspace packages, and the builder itself.
 * @param {string[]} modules absolute paths
 */
function configFiles(modules) {
  const found = new Set(BUILDER_FILES);
  const seenDirs = new Set();
  for (const file of modules) {
    let dir = dirname(file);
    while (!seenDirs.has(dir)) {
      seenDirs.add(dir);
      const pkg = join(dir, "package.json");
      if (stampOf(pkg) !== undefined) {
        found.add(pkg);
        if (!dir.split(sep).includes("node_modules")) addTsconfig(join(dir, "tsconfig.json"), found);
        break;
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return [...found];
}

/**
 * @param {string} file
 * @param {Set<string>} found
 */
function addTsconfig(file, found) {
  if (found.has(file) || stampOf(file) === undefined) return;
  found.add(file);
  try {
    const ext = JSON.parse(readFileSync(file, "utf8")).extends;
    if (typeof ext === "string" && ext.startsWith(".")) addTsconfig(resolve(dirname(file), ext), found);
  } catch {
    // A tsconfig that is not plain JSON still counts as an input by its stamp.
  }
}

/**
 * One esbuild run: the module `source` and everything it imports into
 * `dir/<name>.js` (and its chunks), compiled as every command is. A compile
 * error becomes an Error whose message says `file:line:column: what` (file
 * relative to the current directory). Also what a benchmark uses to run its
 * measuring code as a command's bundle runs it.
 * @param {string} name
 * @param {string} source absolute path of the TypeScript entry
 * @param {string} dir
 */
export async function compileModule(name, source, dir) {
  try {
    return await esbuild.build({
      entryPoints: { [name]: source },
      outdir: dir,
      // Parts a command imports on demand (its subcommands) become chunks,
      // loaded only when used: `--help` parses the entry alone.
      splitting: true,
      chunkNames: "chunk-[hash]",
      absWorkingDir: dir,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: "linked",
      sourcesContent: false,
      // Class and function names stay as written (error names, logs).
      keepNames: true,
      // Smaller to parse at every start; identifiers stay, and the map leads back to the sources.
      minifyWhitespace: true,
      minifySyntax: true,
      metafile: true,
      logLevel: "silent",
      // Bundled CommonJS packages call require() for Node's built-ins.
      banner: { js: `import { createRequire as __dslabCreateRequire } from "node:module";\nconst require = __dslabCreateRequire(import.meta.url);` },
      plugins: [ownImportMetaUrl(dir)],
    });
  } catch (err) {
    const errors = /** @type {{ errors?: Array<{ text: string, location?: { file: string, line: number, column: number } | null }> }} */ (err).errors;
    if (!errors?.length) throw err;
    const where = (/** @type {{ file: string, line: number, column: number }} */ l) => `${relative(process.cwd(), resolve(dir, l.file))}:${l.line}:${l.column + 1}: `;
    throw new Error(errors.map((e) => (e.location ? where(e.location) : "") + e.text).join("; "));
  }
}

/**
 * Builds one command's bundle, map and manifest.
 * @param {Bin} bin
 * @returns {Promise<{ bundle: string, inputs: number, bytes: number, ms: number }>}
 */
export async function buildBin(bin) {
  const paths = compiledPaths(bin.launcher);
  rmSync(paths.manifest, { force: true });
  // A bundle from an earlier layout (one file beside the manifest) is left over, not run.
  for (const old of [`${paths.dir}.js`, `${paths.dir}.js.map`]) rmSync(old, { force: true });
  const t0 = performance.now();
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    const startedMs = Date.now();
    rmSync(paths.dir, { recursive: true, force: true });
    mkdirSync(paths.dir, { recursive: true });
    const result = await compileModule(bin.name, bin.source, paths.dir);
    const modules = Object.keys(result.metafile.inputs)
      .map((p) => resolve(paths.dir, p))
      .filter((p) => stampOf(p) !== undefined);
    const files = [...modules, ...configFiles(modules)];
    const inputs = [];
    let changedDuringBuild = false;
    for (const file of files) {
      const stamp = /** @type {{ size: number, mtimeMs: number }} */ (stampOf(file));
      if (stamp.mtimeMs >= startedMs) changedDuringBuild = true;
      inputs.push({ path: relative(paths.dir, file), ...stamp });
    }
    if (changedDuringBuild) continue;
    const outputs = Object.keys(result.metafile.outputs).map((p) => {
      const file = resolve(paths.dir, p);
      return { path: relative(paths.dir, file), .../** @type {{ size: number, mtimeMs: number }} */ (stampOf(file)) };
    });
    const bytes = outputs.find((o) => resolve(paths.dir, o.path) === paths.bundle)?.size ?? 0;
    const manifest = { version: MANIFEST_VERSION, source: relative(paths.dir, bin.source), outputs, inputs };
    const tmp = `${paths.manifest}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(manifest, null, 1) + "\n");
    renameSync(tmp, paths.manifest);
    return { bundle: paths.bundle, inputs: inputs.length, bytes, ms: performance.now() - t0 };
  }
  throw new Error(`its sources kept changing while it was built (${TRIES} tries)`);
}

async function main() {
  const args = process.argv.slice(2);
  const warnOnly = args.includes("--warn-only");
  const rootAt = args.indexOf("--root");
  const root = rootAt === -1 ? ROOT : resolve(args[rootAt + 1] ?? ".");
  const names = args.filter((a, i) => !a.startsWith("--") && !(rootAt !== -1 && i === rootAt + 1));
  let all;
  try {
    all = findBins(root);
  } catch (err) {
    process.stderr.write(`build-bins: ${/** @type {Error} */ (err).message}\n`);
    process.exitCode = warnOnly ? 0 : 1;
    return;
  }
  const bins = all.filter((b) => (names.length === 0 && b.compiled) || names.includes(b.name));
  const unknown = names.filter((n) => !bins.some((b) => b.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`build-bins: no command named ${unknown.join(", ")}\n`);
    process.exitCode = 2;
    return;
  }
  let failed = 0;
  for (const bin of bins) {
    if (!bin.compiled) {
      process.stdout.write(`build-bins: ${bin.name}: runs from its sources (its launcher says compiled: false)\n`);
      continue;
    }
    try {
      const r = await buildBin(bin);
      process.stdout.write(`build-bins: ${bin.name}: ${relative(root, r.bundle)} (${r.inputs} inputs, ${Math.round(r.bytes / 1024)} KiB, ${Math.round(r.ms)} ms)\n`);
    } catch (err) {
      failed++;
      const detail = err instanceof Error ? err.message : String(err);
      process.stderr.write(`build-bins: ${bin.name} not compiled, it runs from its TypeScript sources through tsx: ${detail}\n`);
    }
  }
  if (failed > 0 && !warnOnly) process.exitCode = 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
