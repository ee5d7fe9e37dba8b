import { promises as fsp } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessCluster, TcpClient, killAll, waitFor } from "../../src/testing/processes.js";

/**
 * Recovery from disk in a real 3-node cluster with frequent snapshots: a torn
 * WAL tail, a node that missed compacted entries (InstallSnapshot), a leader
 * that restarts from its own snapshot.
 */
let cluster: ProcessCluster;
const logOf = (id: string) => cluster.children.get(id)!.stderrLines.join("\n");

beforeAll(async () => {
  cluster = await ProcessCluster.start({ size: 3, extraArgs: ["--snapshot-every", "8"], tmpPrefix: "dslab-recovery-" });
});
afterAll(async () => {
  await cluster?.stop();
  await killAll();
});

describe("kv-cluster: acknowledged writes survive a restart from disk", () => {
  it(
    "a node with a torn WAL tail drops the record, rejoins, and catches up through a snapshot; a leader restarts from its own snapshot",
    async () => {
      const leader = await cluster.waitForLeader(10_000);
      const follower = cluster.ids.find((n) => n !== leader)!;
      await cluster.kill(follower);

      const client = await TcpClient.connect(cluster.portOf(leader), "c-snap");
      for (let seq = 1; seq <= 30; seq++) {
        expect(await client.request({ type: "append", key: "s", value: seq, client_id: "c-snap", seq })).toMatchObject({ type: "append_ok" });
      }
      client.close();
      const leaderStatus = (await cluster.status(leader))!;
      expect(leaderStatus.snapshotIndex).toBeGreaterThan(0); // the entries the follower missed are compacted

      // A crash mid-write: the start of a record right after the last one
      // (the segment is preallocated, so that is where the zeros begin).
      const dir = path.join(cluster.dataDir, follower);
      const walPath = path.join(dir, (await fsp.readdir(dir)).find((f) => f.startsWith("wal-"))!);
      const wal = await fsp.readFile(walPath);
      let end = wal.length;
      while (end > 0 && wal[end - 1] === 0) end--;
      Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 123, 34]).copy(wal, end);
      await fsp.writeFile(walPath, wal);

      cluster.startNode(follower);
      const caughtUp = await waitFor(`${follower} to catch up to ${leaderStatus.commitIndex}`, 10_000, async () => {
        const s = await cluster.status(follower);
        return s && s.lastApplied >= leaderStatus.commitIndex ? s : null;
      }).catch((e: Error) => {
        throw new Error(`${e.message}\n${cluster.logs.slice(-45).join("\n")}`);
      });
      expect(caughtUp.snapshotIndex).toBeGreaterThan(0);
      const logs = () => logOf(follower);
      await expect.poll(logs, { timeout: 2000 }).toContain(`dropped a torn last record`);
      await expect.poll(logs, { timeout: 2000 }).toMatch(/installed snapshot at index \d+/);

      // The leader restarts from its snapshot plus WAL, and everything is there exactly once.
      await cluster.kill(leader);
      cluster.startNode(leader);
      await waitFor(`${leader} to restart`, 10_000, async () => (await cluster.status(leader)) !== null);
      await expect.poll(() => logOf(leader), { timeout: 2000 }).toMatch(/log entries after snapshot [1-9]/);
      const now = await cluster.waitForLeader(10_000);
      const c = await TcpClient.connect(cluster.portOf(now), "c-check");
      const read = await c.request({ type: "read", key: "s" });
      expect(read).toMatchObject({ type: "read_ok", value: Array.from({ length: 30 }, (_, i) => i + 1) });
      // A late retry of the last append is still answered from the session (it travelled in the snapshot).
      expect(await c.request({ type: "append", key: "s", value: 30, client_id: "c-snap", seq: 30 })).toMatchObject({ type: "append_ok" });
      expect((await c.request({ type: "read", key: "s" })).value).toHaveLength(30);
      c.close();
    },
    60_000,
  );
});
