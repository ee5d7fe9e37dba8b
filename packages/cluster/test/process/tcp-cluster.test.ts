import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KV_CLUSTER_BIN, TcpClient, ask, exited, freePortRun, killAll, spawnTracked, waitFor } from "./helpers.js";

/**
 * A real 3-node cluster: three `kv-cluster node` processes on free localhost
 * ports, each with its own data directory (issue 2: real processes).
 */
const NODES = ["n1", "n2", "n3"];
let basePort = 0;
let dataDir = "";
const procs = new Map<string, ChildProcess & { stderrLines: string[] }>();

const portOf = (id: string) => basePort + NODES.indexOf(id);

function startNode(id: string) {
  const child = spawnTracked([
    KV_CLUSTER_BIN,
    "node",
    "--id",
    id,
    "--nodes",
    "3",
    "--base-port",
    String(basePort),
    "--data-dir",
    dataDir,
    "--seed",
    `tcp-cluster-${id}`,
  ]);
  procs.set(id, child);
  return child;
}

async function status(id: string): Promise<any | null> {
  const s = await ask(portOf(id), { type: "status" });
  return s?.type === "status_ok" ? s : null;
}

/** The node every live node agrees leads, once it says so itself. */
async function waitForLeader(live: string[], timeoutMs = 10_000): Promise<string> {
  return waitFor(`a leader among ${live.join(", ")}`, timeoutMs, async () => {
    const all = await Promise.all(live.map(status));
    const leader = all.find((s) => s?.role === "leader");
    return leader && all.every((s) => s && s.term === leader.term) ? (leader.id as string) : null;
  });
}

beforeAll(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-cluster-"));
  basePort = await freePortRun(3);
  for (const id of NODES) startNode(id);
});

afterAll(async () => {
  await killAll();
  await fsp.rm(dataDir, { recursive: true, force: true });
});

describe("kv-cluster: 3 nodes on localhost TCP (issue 2: real processes)", () => {
  it(
    "survives a SIGKILLed leader: a new leader serves, a duplicate append is answered from the session, the killed node restarts from its data dir and catches up",
    async () => {
      const leader1 = await waitForLeader(NODES);
      const c1 = await TcpClient.connect(portOf(leader1), "c1");
      expect(await c1.request({ type: "write", key: "x", value: 1, client_id: "c1", seq: 1 })).toMatchObject({ type: "write_ok" });
      const append = { type: "append", key: "log", value: "a1", client_id: "c-dup", seq: 1 };
      const first = await c1.request(append);
      expect(first).toEqual({ type: "append_ok", value: ["a1"], in_reply_to: 2 });
      c1.close();

      // SIGKILL the leader: nothing is flushed or said goodbye to.
      const killed = procs.get(leader1)!;
      killed.kill("SIGKILL");
      await exited(killed);
      const survivors = NODES.filter((n) => n !== leader1);
      const leader2 = await waitForLeader(survivors);
      expect(leader2).not.toBe(leader1);

      // The new leader serves...
      const c2 = await TcpClient.connect(portOf(leader2), "c2");
      expect(await c2.request({ type: "write", key: "y", value: 2, client_id: "c2", seq: 1 })).toMatchObject({ type: "write_ok" });
      expect(await c2.request({ type: "read", key: "x" })).toMatchObject({ type: "read_ok", value: 1 });
      // ...and answers a retry of the append (same client_id and seq) from the session: same reply, applied once.
      const retry = await c2.request(append);
      expect(retry).toMatchObject({ type: "append_ok", value: ["a1"] });
      expect(await c2.request({ type: "read", key: "log" })).toMatchObject({ type: "read_ok", value: ["a1"] });
      await expect.poll(() => procs.get(leader2)!.stderrLines.join("\n"), { timeout: 2000 }).toContain(
        "[dedup] client c-dup seq 1 is duplicate, returning cached result",
      );
      const committed = (await status(leader2)).commitIndex as number;
      c2.close();

      // The killed node restarts from its data directory and catches up.
      startNode(leader1);
      const caughtUp = await waitFor(`${leader1} to apply index ${committed}`, 10_000, async () => {
        const s = await status(leader1);
        return s && s.lastApplied >= committed ? s : null;
      });
      expect(caughtUp.role).toBe("follower");
      await expect.poll(() => procs.get(leader1)!.stderrLines.join("\n"), { timeout: 2000 }).toMatch(/started: term [1-9]/);

      // Make the restarted node needed: kill the second leader too. The two
      // left (the restarted one among them) elect a leader that has every
      // acknowledged write, exactly once.
      const killed2 = procs.get(leader2)!;
      killed2.kill("SIGKILL");
      await exited(killed2);
      const leader3 = await waitForLeader(NODES.filter((n) => n !== leader2));
      const c3 = await TcpClient.connect(portOf(leader3), "c3");
      expect(await c3.request({ type: "read", key: "y" })).toMatchObject({ type: "read_ok", value: 2 });
      expect(await c3.request({ type: "read", key: "log" })).toMatchObject({ type: "read_ok", value: ["a1"] });
      expect(await c3.request(append)).toMatchObject({ type: "append_ok", value: ["a1"] });
      c3.close();
    },
    60_000,
  );
});
