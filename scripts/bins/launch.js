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
 *
 * The launchers' first two lines are a shell prologue (a string and a
 * comment to JavaScript): run as a program, `/bin/sh` starts Node with
 * NODE_EXTRA_CA_CERTS emptied, because Node parses the certificates that
 * variable names at every start, before any code runs (about 80 ms for a
 * system bundle), and no dslab command opens a TLS connection: they speak
 * plain TCP and HTTP on loopback. The value travels in DSLAB_EXTRA_CA_CERTS
 * and `launch` puts it back, so the programs a command starts (npm, tsc, a
 * student's node) see the environment the user set.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { compiledPaths, staleReason } from "./compiled.js";

/**
 * @param {string} launcherUrl `import.meta.url` of the launcher
 * @param {string} source the command's TypeScript entry, relative to the launcher
 * @param {{ compiled?: boolean }} [options] `compiled: false`: always the sources
 */
export async function launch(launcherUrl, source, options = {}) {
  restoreExtraCaCerts();
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

/** Puts back the NODE_EXTRA_CA_CERTS the launcher's shell prologue set aside. */
function restoreExtraCaCerts() {
  const saved = process.env.DSLAB_EXTRA_CA_CERTS;
  if (saved === undefined) return;
  delete process.env.DSLAB_EXTRA_CA_CERTS;
  if (saved === "") delete process.env.NODE_EXTRA_CA_CERTS;
  else process.env.NODE_EXTRA_CA_CERTS = saved;
}
