#!/bin/sh
":" //; export DSLAB_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS-}" NODE_EXTRA_CA_CERTS=; exec node "$0" "$@"
// kv-sim (scripts/bins/launch.js): the compiled bundle for `run` and `swarm`
// with the reference core and client, which import nothing of the user's; the
// TypeScript sources through tsx for a command line that names a module
// (--core, --client) and for search, replay and explore, which load their
// scenario's pieces (--store, --rules, --solution, --workbook, or week-12/ by
// default): those modules must share the command's own modules. A swarm that
// runs from its sources has its swarm-worker children run from theirs.
import { launch } from "../../../scripts/bins/launch.js";

/** What kv-sim does without importing a module of the user's, unless an option names one. */
const NO_MODULE = new Set([undefined, "run", "swarm", "swarm-worker", "help", "--help", "-h", "--version"]);

/**
 * Whether this command line makes kv-sim import a module of the user's: a
 * subcommand that loads pieces, a --core or --client option (`--core FILE` or
 * `--core=FILE`), or a swarm worker's --config naming either.
 * @param {string[]} argv
 */
function namesModule(argv) {
  if (!NO_MODULE.has(argv[0])) return true;
  return argv.some((a) => /^--(core|client)(=|$)/.test(a) || (argv[0] === "swarm-worker" && /"(core|client)"\s*:/.test(a)));
}

await launch(import.meta.url, "../src/cli/kv-sim.ts", { sourcesFor: namesModule });
