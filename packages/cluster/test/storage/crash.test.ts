/**
 * The WAL under SIGKILL: a writer process (fixtures/wal-writer.ts) persists
 * entries with a compaction every few entries, so rotations are running in
 * the background when it dies; it is killed at seeded moments and started
 * again on the same directory, and after each kill the directory must load
 * with every entry the writer was told was durable.
 */
import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { createPrng } from "@dslab/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileStorage } from "../../src/storage/index.js";

const WRITER = fileURLToPath(new URL("./fixtures/wal-writer.ts", import.meta.url));
const KILLS = 12;

let root: string;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-wal-crash-"));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

/** Runs the writer until it has acknowledged `acks` more entries, kills it, and returns the last index it acknowledged. */
async function runAndKill(dir: string, every: number, prealloc: number, acks: number): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", WRITER, dir, String(every), String(prealloc)], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  let acked = 0;
  let seen = 0;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /^acked (\d+)/.exec(line);
      if (!m) return;
      acked = Number(m[1]);
      if (++seen === acks) {
        child.kill("SIGKILL");
        resolve();
      }
    });
    child.once("exit", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`the writer exited (${signal ?? code}) before it was killed:\n${stderr}`));
    });
  });
  await exited;
  return acked;
}

describe("FileStorage under SIGKILL, with compactions rotating in the background", () => {
  it.each([
    { name: "with preallocation (rotations take the spare)", prealloc: 64 * 1024 },
    { name: "without preallocation", prealloc: 0 },
  ])(`every acknowledged entry is there after each of ${KILLS} kills at seeded moments ($name)`, async ({ prealloc }) => {
    const dir = path.join(root, `p${prealloc}`);
    // Seeded: the kill moments (acknowledgements between kills) are the same on every run.
    const prng = createPrng(`wal-crash-${prealloc}`);
    let acked = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      acked = await runAndKill(dir, 3, prealloc, prng.int(1, 25));
      const storage = new FileStorage(dir, { preallocateBytes: prealloc, log: () => {} });
      const state = await storage.load();
      await storage.close();
      const last = state.entries.at(-1)?.index ?? state.snapshot?.lastIncludedIndex ?? 0;
      const first = (state.snapshot?.lastIncludedIndex ?? 0) + 1;
      expect(last, `after kill ${kill + 1}: the writer was told index ${acked} was durable; the directory loads up to ${last}`).toBeGreaterThanOrEqual(acked);
      // The log is whole: the entries after the snapshot, one per index, each the one written at it.
      expect(state.entries.map((e) => e.index)).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
      expect(state.entries.every((e) => (e.command as { request: { key: string } }).request.key === `k${e.index}`)).toBe(true);
    }
    expect(acked).toBeGreaterThan(KILLS);
  }, 120_000);
});
