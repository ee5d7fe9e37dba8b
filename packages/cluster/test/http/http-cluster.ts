/**
 * A real 3-node cluster with HTTP fronts for the HTTP tests: the shared
 * process cluster (`src/testing/processes.ts`) started with `http: true`,
 * plus a wait until the leader's front answers (its TCP side may be up a
 * moment before its HTTP side).
 */
import { ProcessCluster, waitFor } from "../../src/testing/processes.js";

export async function startHttpCluster(size = 3): Promise<{ cluster: ProcessCluster; leader: string }> {
  const cluster = await ProcessCluster.start({ size, http: true, tmpPrefix: "dslab-http-" });
  const leader = await cluster.waitForLeader();
  await waitFor(`the HTTP front of ${leader}`, 15_000, async () => {
    const res = await fetch(`${cluster.url(leader)}/kv/__leader_probe`, { redirect: "manual", signal: AbortSignal.timeout(4000) }).catch(() => undefined);
    return res !== undefined && (res.status === 404 || res.status === 200);
  });
  return { cluster, leader };
}
