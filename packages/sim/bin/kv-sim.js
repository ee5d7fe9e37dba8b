#!/bin/sh
":" //; export DSLAB_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS-}" NODE_EXTRA_CA_CERTS=; exec node "$0" "$@"
// kv-sim: the TypeScript sources through tsx (scripts/bins/launch.js), never a
// bundle: it imports the --core and --client modules it is given (TypeScript
// too), and those must share the command's own modules.
import { launch } from "../../../scripts/bins/launch.js";

await launch(import.meta.url, "../src/cli/kv-sim.ts", { compiled: false });
