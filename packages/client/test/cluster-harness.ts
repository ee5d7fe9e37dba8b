/**
 * The client's process tests run the reference cluster the way the
 * cluster's own tests do (`@dslab/cluster/testing`), and the shipped `kv`.
 */
import { fileURLToPath } from "node:url";

export { ProcessCluster } from "@dslab/cluster/testing";
export const KV_BIN = fileURLToPath(new URL("../bin/kv.js", import.meta.url));
