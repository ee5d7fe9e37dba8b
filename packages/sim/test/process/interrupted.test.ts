/**
 * `kv-sim run` stopped by Ctrl-C (SIGINT) or SIGTERM part-way: it says so on
 * stderr with the command that runs it again, removes the --out directory
 * its start-up check made (nothing was written there), and ends by the
 * signal. With --bin, the nodes go too, and so do the data directories it
 * made for them under the temp directory.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ChildProcess } from "node:child_process";

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

/** The child's stderr, as it comes. */
function stderrOf(child: ChildProcess): () => string {
  let text = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => (text += chunk));
  return () => text;
}

/** What kv-sim says when interrupted before its verdict, having made `made` for the outputs of `out`. */
function interruptedLine(made: string, out: string, again: RegExp): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return new RegExp(
    `^kv-sim: interrupted before the verdict; nothing was written, and ${escape(made)} \\(made for the outputs\\) is removed; to run it again: ${again.source} --out ${escape(out)}\n$`,
  );
}

describe("kv-sim run in-process interrupted", () => {
  test.each([["SIGINT"], ["SIGTERM"]] as const)(
    "%s says it was interrupted with the command that runs it again, removes the --out directories the start-up check made, and ends by the signal",
    async (signal) => {
      const temp = join(dir, `in-process-${signal}`);
      await rm(temp, { recursive: true, force: true });
      await mkdir(temp);
      const out = join(temp, "made", "out");
      // An hour of simulated time: many seconds of wall time, long after the signal.
      const child = spawn(process.execPath, [bin, "run", "--seed", "9", "--time-limit-s", "3600", "--out", out], {
        cwd: repoRoot,
        env: { ...process.env, FORCE_COLOR: "0" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const stderr = stderrOf(child);
      let stdout = "";
      child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      const exited = once(child, "exit");
      // The start-up check makes --out just before the run starts (the signals are handled from then on).
      const deadline = Date.now() + 60_000;
      while (!(await readdir(join(temp, "made")).catch((): string[] => [])).includes("out") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 200));
      child.kill(signal);
      const [code, sig] = (await exited) as [number | null, NodeJS.Signals | null];
      expect(code === null ? sig : code, stderr()).toBe(signal);
      expect(stdout).toBe("");
      expect(stderr()).toMatch(interruptedLine(join(temp, "made"), out, /npm run kv-sim -- run --seed 9 --nodes 3 --time-limit-s 3600 .*/));
      expect(await readdir(temp)).toEqual([]);
    },
    120_000,
  );
});

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
        { cwd: repoRoot, env: { ...process.env, TMPDIR: temp, FORCE_COLOR: "0" }, stdio: ["ignore", "ignore", "pipe"] },
      );
      const stderr = stderrOf(child);
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
      // The empty --out its start-up check made goes too (TMPDIR holds tsx's cache), and the line says how to run it again.
      expect(await readdir(temp)).not.toContain("out");
      expect(stderr()).toMatch(interruptedLine(join(temp, "out"), join(temp, "out"), /npm run kv-sim -- run --seed 5 .* --bin .*kv-node\.js'/));
    },
    120_000,
  );
});
