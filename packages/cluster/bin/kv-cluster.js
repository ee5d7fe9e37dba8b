#!/bin/sh
":" //; export DSLAB_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS-}" NODE_EXTRA_CA_CERTS=; exec node "$0" "$@"
// kv-cluster: the TypeScript sources through tsx (scripts/bins/launch.js),
// never a bundle: it loads its HTTP front (src/http) as TypeScript on demand,
// and that must share the command's own modules.
import { launch } from "../../../scripts/bins/launch.js";

await launch(import.meta.url, "../src/cli/kv-cluster.ts", { compiled: false });
