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
 * DSLAB_RUN_SOURCES=1 runs the sources through tsx even when the bundle is
 * fresh.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { compiledPaths, staleReason } from "./compiled.js";

/**
 * @param {string} launcherUrl `import.meta.url` of the launcher
 * @param {string} source the command's TypeScript entry, relative to the launcher
 * @param {{ typescriptAtRunTime?: boolean }} [options] `typescriptAtRunTime`:
 *   the command imports .ts files while it runs (modules named on its command
 *   line, parts loaded on demand), so tsx is registered in front of the
 *   bundle too
 */
export async function launch(launcherUrl, source, options = {}) {
  const launcher = fileURLToPath(launcherUrl);
  const compiled = process.env.DSLAB_RUN_SOURCES === "1" ? false : staleReason(launcher) === undefined;
  if (!compiled || options.typescriptAtRunTime === true) {
    const { register } = await import("tsx/esm/api");
    register();
  }
  if (compiled) {
    process.setSourceMapsEnabled(true);
    await import(pathToFileURL(compiledPaths(launcher).bundle).href);
  } else {
    await import(new URL(source, launcherUrl).href);
  }
}
