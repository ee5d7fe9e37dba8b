#!/bin/sh
":" //; export DSLAB_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS-}" NODE_EXTRA_CA_CERTS=; exec node "$0" "$@"
// history-check: the compiled bundle when it is fresh, else the TypeScript sources
// through tsx (scripts/bins/launch.js), so it works straight after
// `npm install` and never runs code older than the sources.
import { launch } from "../../../scripts/bins/launch.js";

await launch(import.meta.url, "../src/cli/history-check.ts");
