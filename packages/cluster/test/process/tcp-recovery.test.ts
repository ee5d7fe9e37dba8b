import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KV_CLUSTER_BIN, TcpClient, ask, exited, freePortRun, killAll, spawnTracked, waitFor } from "./helpers.js";

/**
 * Recovery from disk in a real 3-node cluster with frequent snapshots: a torn
 * WAL tail, a node that missed compacted entries (InstallSnapshot), a leader
 * that restarts from its own snapshot (issue 2: durability).
 */
const NODES = ["n1", "n2", "n3"];
let basePort = 0;
let dataDir = "";
const procs = new Map<string, ChildProcess & { stderrLines: string[] }>();
const portOf = (id: string) => basePort + NODES.indexOf(id);

function startNode(id: string) {
  const args = ["node", "--id", id, "--nodes", "3", "--base-port", String(basePort), "--data-dir", dataDir, "--snapshot-every", "8"];
  procs.set(id, spawnTracked([KV_CLUSTER_BIN, ...args]));
}

async function status(id: string): Promise<any | null> {
  const s = await ask(portOf(id), { type: "status" });
  return s?.type === "status_ok" ? s : null;
}

async function waitForLeader(live: string[]): Promise<string> {
  return waitFor(`a leader among ${live.join(", ")}`, 10_000, async () => {
    const all = await Promise.all(live.map(status));
    const leader = all.find((s) => s?.role === "leader");
    return leader && all.every((s) => s && s.term === leader.term) ? (leader.id as string) : null;
  });
}

async function kill(id: string): Promise<void> {
  const p = procs.get(id)!;
  p.kill("SIGKILL");
  await exited(p);
}

beforeAll(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-recovery-"));
  basePort = await freePortRun(3);
  for (const id of NODES) startNode(id);
});
afterAll(async () => {
  await killAll();
  await fsp.rm(dataDir, { recursive: true, force: true });
});

describe("kv-cluster: restart from disk (issue 2: durability)", () => {
  it(
    "a node with a torn WAL tail drops the record, rejoins, and catches up through a snapshot; a leader restarts from its own snapshot",
    async () => {
      const leader = await waitForLeader(NODES);
      const follower = NODES.find((n) => n !== leader)!;
      await kill(follower);

      const client = await TcpClient.connect(portOf(leader), "c-snap");
      for (let seq = 1; seq <= 30; seq++) {
        expect(await client.request({ type: "append", key: "s", value: seq, client_id: "c-snap", seq })).toMatchObject({ type: "append_ok" });
      }
      client.close();
      const leaderStatus = await status(leader);
      expect(leaderStatus.snapshotIndex).toBeGreaterThan(0); // the entries the follower missed are compacted

      // A crash mid-write: the start of a record right after the last one
      // (the segment is preallocated, so that is where the zeros begin).
      const dir = path.join(dataDir, follower);
      const walPath = path.join(dir, (await fsp.readdir(dir)).find((f) => f.startsWith("wal-"))!);
      const wal = await fsp.readFile(walPath);
      let end = wal.length;
      while (end > 0 && wal[end - 1] === 0) end--;
      Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 123, 34]).copy(wal, end);
      await fsp.writeFile(walPath, wal);

      startNode(follower);
      const caughtUp = await waitFor(`${follower} to catch up to ${leaderStatus.commitIndex}`, 10_000, async () => {
        const s = await status(follower);
        return s && s.lastApplied >= leaderStatus.commitIndex ? s : null;
      }).catch((e: Error) => {
        throw new Error(`${e.message}\n${[...procs.values()].flatMap((p) => p.stderrLines.slice(-15)).join("\n")}`);
      });
      expect(caughtUp.snapshotIndex).toBeGreaterThan(0);
      const logs = () => procs.get(follower)!.stderrLines.join("\n");
      await expect.poll(logs, { timeout: 2000 }).toContain(`dropped a torn last record`);
      await expect.poll(logs, { timeout: 2000 }).toMatch(/installed snapshot at index \d+/);

      // The leader restarts from its snapshot plus WAL, and everything is there exactly once.
      await kill(leader);
      startNode(leader);
      await waitFor(`${leader} to restart`, 10_000, async () => (await status(leader)) !== null);
      await expect.poll(() => procs.get(leader)!.stderrLines.join("\n"), { timeout: 2000 }).toMatch(/log entries after snapshot [1-9]/);
      const now = await waitForLeader(NODES);
      const c = await TcpClient.connect(portOf(now), "c-check");
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
