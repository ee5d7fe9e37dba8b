#!/bin/sh
":" //; export DSLAB_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS-}" NODE_EXTRA_CA_CERTS=; exec node "$0" "$@"
// kv-cluster (scripts/bins/launch.js): the compiled bundle, or the
// TypeScript sources through tsx for a command line with --core FILE, whose
// module imports the workspace packages and must share the command's own
// modules; the nodes `start` runs then run from their sources too.
import { launch } from "../../../scripts/bins/launch.js";

/**
 * Whether this command line makes kv-cluster import a module of the user's (`--core FILE` or `--core=FILE`).
 * @param {string[]} argv
 */
function namesModule(argv) {
  return argv.some((a) => /^--core(=|$)/.test(a));
}

await launch(import.meta.url, "../src/cli/kv-cluster.ts", { sourcesFor: namesModule });
