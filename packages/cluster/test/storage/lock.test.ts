/**
 * One process per data directory, also when several start at once on the
 * stale LOCK of a killed node: exactly one wins, every time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileStorage } from "../../src/storage/index.js";

const RACER = fileURLToPath(new URL("./fixtures/lock-racer.ts", import.meta.url));
const TRIALS = 25;

let root: string;
let deadPid: number;
const children: ChildProcess[] = [];

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-lock-"));
  const dead = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => dead.once("exit", r));
  deadPid = dead.pid!;
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await fsp.rm(root, { recursive: true, force: true });
});

/** A data directory holding only the LOCK a killed node left behind. */
async function staleDir(name: string): Promise<string> {
  const dir = path.join(root, name);
  await fsp.mkdir(dir);
  await fsp.writeFile(path.join(dir, "LOCK"), `${deadPid}\n`);
  return dir;
}

/** A racer child and a way to wait for its answer about one directory. */
function startRacer(): { send: (line: string) => void; answer: (dir: string) => Promise<string> } {
  const child = spawn(process.execPath, ["--import", "tsx", RACER], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  readline.createInterface({ input: child.stdout! }).on("line", (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) w();
  });
  const answer = async (dir: string): Promise<string> => {
    for (;;) {
      const i = lines.findIndex((l) => l.endsWith(` ${dir}`));
      if (i >= 0) return lines.splice(i, 1)[0]!.slice(0, -dir.length - 1);
      if (child.exitCode !== null) throw new Error(`racer exited with ${child.exitCode}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { send: (line) => child.stdin!.write(`${line}\n`), answer };
}

describe("LOCK: exactly one of several processes starting at once takes over a stale lock", () => {
  it(`two processes racing for the stale LOCK of a killed node: exactly one wins, in each of ${TRIALS} trials`, async () => {
    const racers = [startRacer(), startRacer()];
    const outcomes: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = await staleDir(`p${trial}`);
      for (const r of racers) r.send(`take ${dir}`);
      const answers = await Promise.all(racers.map((r) => r.answer(dir)));
      outcomes.push(answers.sort().join(" / "));
      for (const r of racers) r.send(`release ${dir}`);
      await Promise.all(racers.map((r) => r.answer(dir)));
    }
    expect(outcomes).toEqual(Array.from({ length: TRIALS }, () => "E_STORAGE_LOCKED / won"));
  }, 120_000);

  it(`four storages in one process racing for a stale LOCK: exactly one wins, in each of ${TRIALS} trials`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const dir = await staleDir(`t${trial}`);
      const storages = Array.from({ length: 4 }, () => new FileStorage(dir, { lockWaitMs: 0, preallocateBytes: 0, log: () => {} }));
      const results = await Promise.allSettled(storages.map((s) => s.load()));
      const winners = storages.filter((_, i) => results[i]!.status === "fulfilled");
      const codes = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code: string }).code] : []));
      expect({ trial, winners: winners.length, codes }).toEqual({ trial, winners: 1, codes: ["E_STORAGE_LOCKED", "E_STORAGE_LOCKED", "E_STORAGE_LOCKED"] });
      for (const s of winners) await s.close();
      // The lock's temp files and takeover markers are gone; only the data is left.
      expect((await fsp.readdir(dir)).sort()).toEqual(["wal-00000001.log"]);
    }
  });

  it("a takeover marker left by a taker that died does not block the next start", async () => {
    const dir = await staleDir("marker");
    const storage = new FileStorage(dir, { lockWaitMs: 0, preallocateBytes: 0, log: () => {} });
    await storage.load();
    await storage.close();
    // A killed node's LOCK, and the marker of a process that died while taking it over.
    await fsp.writeFile(path.join(dir, "LOCK"), `${deadPid} 00112233445566aa\n`);
    await fsp.writeFile(path.join(dir, "LOCK.takeover-00112233445566aa"), `${deadPid} 0011223344556677\n`);
    const again = new FileStorage(dir, { lockWaitMs: 0, preallocateBytes: 0, log: () => {} });
    await again.load();
    expect((await fsp.readFile(path.join(dir, "LOCK"), "utf8")).startsWith(`${process.pid} `)).toBe(true);
    await again.close();
    expect((await fsp.readdir(dir)).sort()).toEqual(["wal-00000001.log"]);
  });
});
