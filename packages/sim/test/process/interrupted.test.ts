/**
 * `kv-sim run --bin` stopped by Ctrl-C (SIGINT) or SIGTERM while its nodes
 * run: the nodes go, and so do the data directories it made for them under
 * the temp directory.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const kvNode = fileURLToPath(new URL("../../../cluster/bin/kv-node.js", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kv-sim-interrupted-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The node data directories kv-sim made under `temp`: `kv-sim-<seed>-XXXXXX/n1`. */
async function nodeDataRoots(temp: string): Promise<string[]> {
  const names = (await readdir(temp)).filter((n) => n.startsWith("kv-sim-"));
  const withNodes: string[] = [];
  for (const n of names) if ((await readdir(join(temp, n)).catch((): string[] => [])).includes("n1")) withNodes.push(n);
  return withNodes;
}

describe("kv-sim run --bin interrupted", () => {
  test.each([["SIGINT"], ["SIGTERM"]] as const)(
    "%s while the nodes run removes the nodes' data directories from the temp directory",
    async (signal) => {
      const temp = join(dir, signal);
      await rm(temp, { recursive: true, force: true });
      await mkdir(temp);
      const child = spawn(
        process.execPath,
        [bin, "run", "--seed", "5", "--nodes", "3", "--time-limit-s", "60", "--nemesis", "none", "--bin", `node ${kvNode}`, "--out", join(temp, "out")],
        { cwd: repoRoot, env: { ...process.env, TMPDIR: temp, FORCE_COLOR: "0" }, stdio: "ignore" },
      );
      const exited = once(child, "exit");
      // Generous: the nodes start from their sources or bundle on a loaded machine.
      const deadline = Date.now() + 60_000;
      while ((await nodeDataRoots(temp)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(await nodeDataRoots(temp)).toHaveLength(1);
      // The nodes are up once each has its WAL; then interrupt.
      await new Promise((r) => setTimeout(r, 2000));
      child.kill(signal);
      const [code, sig] = (await exited) as [number | null, NodeJS.Signals | null];
      expect(code === null ? sig : code).toBe(signal);
      expect(await nodeDataRoots(temp)).toEqual([]);
      expect((await readdir(temp)).filter((n) => n.startsWith("kv-sim-"))).toEqual([]);
    },
    120_000,
  );
});
