#!/bin/sh
":" //; export DSLAB_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS-}" NODE_EXTRA_CA_CERTS=; exec node "$0" "$@"
// kv-cluster: the compiled bundle when it is fresh, else the TypeScript
// sources through tsx (scripts/bins/launch.js), so it works straight after
// `npm install` and never runs code older than the sources. The nodes that
// `kv-cluster start` spawns run through this same launcher.
import { launch } from "../../../scripts/bins/launch.js";

await launch(import.meta.url, "../src/cli/kv-cluster.ts");
