/**
 * The `kv` shell: binds `main` (main.ts) to the process.
 */
import { processIo, readPackageVersion, runMain } from "@dslab/protocol/cli";
import { main } from "./main.js";

await runMain({ name: "kv", version: readPackageVersion(new URL(import.meta.url)) }, main, process.argv.slice(2), processIo(process));
