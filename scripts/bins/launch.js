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
 * A command that imports such modules only for some command lines passes
 * `{ sourcesFor: NAME }` instead, NAME a function `(argv) => boolean` the
 * launcher declares (named, so that build.js reads the call): the command
 * is built like any other, and `NAME(process.argv.slice(2))` says whether
 * this command line names a module to import (true: the sources through
 * tsx; false: the bundle, when fresh). When it says true, the launcher adds its own
 * path to DSLAB_SOURCES_OF (paths joined by the platform's delimiter), an
 * environment variable every child inherits: a copy of the same command
 * that this one starts (a worker process whose command line carries the
 * module only inside a JSON value) runs from its sources too, and loads the
 * module into the same classes. Other commands the child starts (a node
 * process, another launcher) are not affected.
 *
 * DSLAB_RUN_SOURCES=1 runs the sources through tsx even when the bundle is
 * fresh, for every command.
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
import { delimiter } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compiledPaths, staleReason } from "./compiled.js";

/** The environment variable naming the launchers whose command runs from its sources in this process tree. */
export const SOURCES_OF_ENV = "DSLAB_SOURCES_OF";

/**
 * @param {string} launcherUrl `import.meta.url` of the launcher
 * @param {string} source the command's TypeScript entry, relative to the launcher
 * @param {{ compiled?: boolean, sourcesFor?: (argv: string[]) => boolean }} [options]
 *   `compiled: false`: always the sources; `sourcesFor(argv)` true: the
 *   sources for this command line, and for the same command in its children
 */
export async function launch(launcherUrl, source, options = {}) {
  restoreExtraCaCerts();
  const launcher = fileURLToPath(launcherUrl);
  const sourcesOf = (process.env[SOURCES_OF_ENV] ?? "").split(delimiter).filter(Boolean);
  const inherited = sourcesOf.includes(launcher);
  const namesModule = !inherited && options.sourcesFor !== undefined && options.sourcesFor(process.argv.slice(2));
  if (namesModule) process.env[SOURCES_OF_ENV] = [...sourcesOf, launcher].join(delimiter);
  const compiled = options.compiled !== false && !inherited && !namesModule && process.env.DSLAB_RUN_SOURCES !== "1" && staleReason(launcher) === undefined;
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
