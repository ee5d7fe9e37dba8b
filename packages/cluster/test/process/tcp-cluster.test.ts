import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessCluster, TcpClient, killAll, waitFor } from "../../src/testing/processes.js";

/**
 * A real 3-node cluster: three `kv-cluster node` processes on free localhost
 * ports, each with its own data directory.
 */
let cluster: ProcessCluster;
const logOf = (id: string) => cluster.children.get(id)!.stderrLines.join("\n");

beforeAll(async () => {
  cluster = await ProcessCluster.start({ size: 3, tmpPrefix: "dslab-cluster-" });
});

afterAll(async () => {
  await cluster?.stop();
  await killAll();
});

describe("kv-cluster: 3 real node processes on localhost TCP", () => {
  it(
    "survives a SIGKILLed leader: a new leader serves, a duplicate append is answered from the session, the killed node restarts from its data dir and catches up",
    async () => {
      const leader1 = await cluster.waitForLeader(10_000);
      const c1 = await TcpClient.connect(cluster.portOf(leader1), "c1");
      expect(await c1.request({ type: "write", key: "x", value: 1, client_id: "c1", seq: 1 })).toMatchObject({ type: "write_ok" });
      const append = { type: "append", key: "log", value: "a1", client_id: "c-dup", seq: 1 };
      const first = await c1.request(append);
      expect(first).toEqual({ type: "append_ok", value: ["a1"], in_reply_to: 2 });
      c1.close();

      // SIGKILL the leader: nothing is flushed or said goodbye to.
      await cluster.kill(leader1);
      const leader2 = await cluster.waitForLeader(10_000);
      expect(leader2).not.toBe(leader1);

      // The new leader serves...
      const c2 = await TcpClient.connect(cluster.portOf(leader2), "c2");
      expect(await c2.request({ type: "write", key: "y", value: 2, client_id: "c2", seq: 1 })).toMatchObject({ type: "write_ok" });
      expect(await c2.request({ type: "read", key: "x" })).toMatchObject({ type: "read_ok", value: 1 });
      // ...and answers a retry of the append (same client_id and seq) from the session: same reply, applied once.
      const retry = await c2.request(append);
      expect(retry).toMatchObject({ type: "append_ok", value: ["a1"] });
      expect(await c2.request({ type: "read", key: "log" })).toMatchObject({ type: "read_ok", value: ["a1"] });
      await expect.poll(() => logOf(leader2), { timeout: 2000 }).toContain(
        "[dedup] client c-dup seq 1 is duplicate, returning cached result",
      );
      const committed = (await cluster.status(leader2))!.commitIndex as number;
      c2.close();

      // The killed node restarts from its data directory and catches up.
      cluster.startNode(leader1);
      const caughtUp = await waitFor(`${leader1} to apply index ${committed}`, 10_000, async () => {
        const s = await cluster.status(leader1);
        return s && s.lastApplied >= committed ? s : null;
      });
      expect(caughtUp.role).toBe("follower");
      await expect.poll(() => logOf(leader1), { timeout: 2000 }).toMatch(/started: term [1-9]/);

      // Make the restarted node needed: kill the second leader too. The two
      // left (the restarted one among them) elect a leader that has every
      // acknowledged write, exactly once.
      await cluster.kill(leader2);
      const leader3 = await cluster.waitForLeader(10_000);
      const c3 = await TcpClient.connect(cluster.portOf(leader3), "c3");
      expect(await c3.request({ type: "read", key: "y" })).toMatchObject({ type: "read_ok", value: 2 });
      expect(await c3.request({ type: "read", key: "log" })).toMatchObject({ type: "read_ok", value: ["a1"] });
      expect(await c3.request(append)).toMatchObject({ type: "append_ok", value: ["a1"] });
      c3.close();
    },
    60_000,
  );
});
