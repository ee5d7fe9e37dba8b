// @ts-check
/**
 * How every dslab command starts. `<package>/bin/<name>.js` calls
 * `launch(import.meta.url, "../src/cli/<entry>.ts")`, which runs the
 * compiled bundle `<package>/dist/bin/<name>.js` when it is fresh (built by
 * `npm install` / `npm run build:bins` from exactly the files now on disk,
 * see compiled.js), with source maps on so a stack trace points at the .ts
 * lines, and otherwise the TypeScript sources through tsx: an edited source
 * is run as it now reads, never a bundle built before the edit.
 *
 * A command that imports TypeScript modules while it runs (modules named on
 * its command line, parts loaded on demand) passes `{ compiled: false }`
 * and always runs from its sources: those modules import the workspace
 * packages too, and must get the very modules the command uses (one class
 * for `instanceof`, one registry), not a second copy beside the bundle's.
 *
 * DSLAB_RUN_SOURCES=1 runs the sources through tsx even when the bundle is
 * fresh.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { compiledPaths, staleReason } from "./compiled.js";

/**
 * @param {string} launcherUrl `import.meta.url` of the launcher
 * @param {string} source the command's TypeScript entry, relative to the launcher
 * @param {{ compiled?: boolean }} [options] `compiled: false`: always the sources
 */
export async function launch(launcherUrl, source, options = {}) {
  const launcher = fileURLToPath(launcherUrl);
  const compiled = options.compiled !== false && process.env.DSLAB_RUN_SOURCES !== "1" && staleReason(launcher) === undefined;
  if (compiled) {
    process.setSourceMapsEnabled(true);
    await import(pathToFileURL(compiledPaths(launcher).bundle).href);
    return;
  }
  const { register } = await import("tsx/esm/api");
  register();
  await import(new URL(source, launcherUrl).href);
}
