import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KV_CLUSTER_BIN, ask, exited, freePortRun, killAll, spawnTracked, waitFor } from "../../src/testing/processes.js";

const CORES = fileURLToPath(new URL("../fixtures/cores/", import.meta.url));
const core = (name: string): string => path.join(CORES, name);

let dataDir = "";
beforeAll(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-core-"));
});
afterAll(async () => {
  await killAll();
  await fsp.rm(dataDir, { recursive: true, force: true });
});

/** Runs kv-cluster to its end: exit code and stderr lines. */
async function run(args: string[]): Promise<{ code: number | null; stderr: string[] }> {
  const child = spawnTracked([KV_CLUSTER_BIN, ...args]);
  await exited(child);
  return { code: child.exitCode, stderr: child.stderrLines };
}

/** Runs `body` with a fresh directory under the system's temporary folder, removed afterwards. */
async function inTempDir(prefix: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  try {
    await body(dir);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

describe("kv-cluster --core FILE: the nodes run another module's core", () => {
  it("start --core runs the named core in every node: each says which module it runs, they elect a leader and serve a write", async () => {
    const base = await freePortRun(3);
    const dir = path.join(dataDir, "announcing");
    const cluster = spawnTracked([KV_CLUSTER_BIN, "start", "--nodes", "3", "--base-port", String(base), "--data-dir", dir, "--core", core("announcing.ts")]);
    try {
      for (const id of ["n1", "n2", "n3"]) {
        await expect.poll(() => cluster.stderrLines.includes(`${id} | core: createKvNodeCore from ${core("announcing.ts")}`), { timeout: 20_000 }).toBe(true);
        await expect.poll(() => cluster.stderrLines.includes(`${id} | announcing core: first tick`), { timeout: 10_000 }).toBe(true);
      }
      const reply = await waitFor("a leader to take the write", 20_000, async () => {
        for (let i = 0; i < 3; i++) {
          const r = await ask(base + i, { type: "write", key: "k", value: "v" });
          if (r?.type === "write_ok") return r;
        }
        return null;
      });
      expect(reply.type).toBe("write_ok");
    } finally {
      cluster.kill("SIGTERM");
      await exited(cluster);
    }
    expect(cluster.exitCode).toBe(0);
  }, 60_000);

  it("a core that throws while running stops its node with one line naming the module, the input and the frame in that module (exit 1), and start says how to restart it with the same core", async () => {
    const base = await freePortRun(1);
    const r = await run(["start", "--nodes", "1", "--base-port", String(base), "--data-dir", path.join(dataDir, "tick"), "--core", core("throws-on-tick.ts")]);
    expect(r.code).toBe(1);
    const i = r.stderr.findIndex((l) => l.startsWith("n1 | stopping:"));
    expect(r.stderr[i]).toBe(`n1 | stopping: the core from --core ${core("throws-on-tick.ts")} threw while handling a tick: RangeError: broken on purpose at the fifth tick`);
    expect(r.stderr[i + 1]).toMatch(/^ {2}at packages\/cluster\/test\/fixtures\/cores\/throws-on-tick\.ts:\d+:\d+$/);
    expect(r.stderr.join("\n")).not.toMatch(/internal error|a bug/);
    expect(r.stderr).toContain(
      `cluster | n1 exited (code 1). Restart it with: npm run kv-cluster -- node --id n1 --nodes 1 --base-port ${base} --data-dir ${path.join(dataDir, "tick")} --core ${core("throws-on-tick.ts")}`,
    );
    expect(r.stderr.at(-1)).toBe("cluster | every node has exited");
  }, 60_000);

  it("a core that throws while it is made stops the node before it listens, in one line (exit 1)", async () => {
    const base = await freePortRun(1);
    const r = await run(["start", "--nodes", "1", "--base-port", String(base), "--data-dir", path.join(dataDir, "start"), "--core", core("throws-at-start.ts")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`n1 | stopping: the core from --core ${core("throws-at-start.ts")} threw while handling its construction: Error: not implemented yet: electionTimeoutTicks`);
    expect(r.stderr.some((l) => l.includes("listening on"))).toBe(false);
  }, 60_000);

  it.each([
    ["a file that does not exist", "no-such-core.ts", /^kv-cluster: --core no-such-core\.ts: no such file here \(.*\/no-such-core\.ts\) nor under the repository root; give the module that exports createKvNodeCore\(config, restored\)$/m],
    ["a module with no createKvNodeCore", core("no-factory.ts"), /--core: .*no-factory\.ts does not export a function createKvNodeCore\(config, restored\); it exports createCore$/m],
  ])("start --core with %s is a usage error (exit 2) before any node starts", async (_what, file, pattern) => {
    const r = await run(["start", "--nodes", "3", "--data-dir", path.join(dataDir, "bad"), "--core", file]);
    expect(r.code).toBe(2);
    expect(r.stderr.join("\n")).toMatch(pattern);
    expect(r.stderr.some((l) => /^cluster \| n\d pid/.test(l))).toBe(false);
  }, 60_000);

  it.each([
    ["core.txt", 'its name ends in ".txt"'],
    ["core", "its name has no extension"],
    ["core.json", 'its name ends in ".json"'],
    ["core.TS", 'its name ends in ".TS"'],
  ])("start --core %s (a file Node cannot import as a module) is a usage error (exit 2) naming the option, the file and the extensions taken, before any node starts", async (name, why) => {
    await inTempDir("dslab-extension-", async (dir) => {
      const file = path.join(dir, name);
      await fsp.writeFile(file, name.endsWith(".json") ? "{}\n" : "export function createKvNodeCore() {}\n");
      const data = path.join(dir, "data");
      const r = await run(["start", "--nodes", "1", "--base-port", String(await freePortRun(1)), "--data-dir", data, "--core", file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toEqual([
        `kv-cluster: --core: cannot load ${file}: ${why}, and a module must be a .js, .mjs, .cjs, .ts, .mts, .cts, .jsx or .tsx file; give the module that exports createKvNodeCore(config, restored)`,
        "Run `kv-cluster --help` for usage.",
      ]);
      await expect(fsp.stat(data)).rejects.toThrow(/ENOENT/);
    });
  }, 60_000);

  it("node --core naming a .txt file is refused the same way, before the node opens its data directory (exit 2)", async () => {
    await inTempDir("dslab-extension-", async (dir) => {
      const file = path.join(dir, "core.txt");
      await fsp.writeFile(file, "export function createKvNodeCore() {}\n");
      const r = await run(["node", "--id", "n1", "--nodes", "1", "--base-port", String(await freePortRun(1)), "--data-dir", path.join(dir, "data"), "--core", file]);
      expect(r.code).toBe(2);
      expect(r.stderr[0]).toBe(
        `kv-cluster: --core: cannot load ${file}: its name ends in ".txt", and a module must be a .js, .mjs, .cjs, .ts, .mts, .cts, .jsx or .tsx file; give the module that exports createKvNodeCore(config, restored)`,
      );
      await expect(fsp.stat(path.join(dir, "data"))).rejects.toThrow(/ENOENT/);
    });
  }, 60_000);

  it("a module that does not parse is a usage error naming its file, line and column and what esbuild expected", async () => {
    await inTempDir("dslab-unparsed-", async (dir) => {
      await fsp.writeFile(path.join(dir, "package.json"), '{"type": "module"}\n');
      await fsp.writeFile(path.join(dir, "mine.ts"), "export function createKvNodeCore( {\n  return 1;\n}\n");
      const r = await run(["start", "--nodes", "1", "--data-dir", path.join(dataDir, "unparsed"), "--core", path.join(dir, "mine.ts")]);
      expect(r.code).toBe(2);
      expect(r.stderr[0]).toBe(`kv-cluster: --core: cannot load ${path.join(dir, "mine.ts")}: it does not parse: ${path.join(dir, "mine.ts")}:2:10: Expected "}" but found "1"`);
    });
  }, 60_000);

  it("node --core naming a text file that runs as a script says what it threw and where in that file, before the node starts (exit 2)", async () => {
    await inTempDir("dslab-text-core-", async (dir) => {
      const file = path.join(dir, "notes.js");
      await fsp.writeFile(file, "hi\n");
      const r = await run(["node", "--id", "n1", "--nodes", "1", "--base-port", String(await freePortRun(1)), "--data-dir", path.join(dir, "data"), "--core", file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toEqual([`kv-cluster: --core: cannot load ${file}: it threw ReferenceError: hi is not defined at ${file}:1:1`, "Run `kv-cluster --help` for usage."]);
    });
  }, 60_000);

  it.each([
    ["an ES module", true],
    ["a CommonJS module", false],
  ])("node --core naming %s that does not parse names its file, line and column and the parser's message, before the node starts (exit 2)", async (_what, esm) => {
    await inTempDir("dslab-unparsed-js-", async (dir) => {
      if (esm) await fsp.writeFile(path.join(dir, "package.json"), '{"type": "module"}\n');
      const file = path.join(dir, "mine.js");
      await fsp.writeFile(file, "export const a = 1;\n\nhello there\n".replace(esm ? "" : "export ", ""));
      const r = await run(["node", "--id", "n1", "--nodes", "1", "--base-port", String(await freePortRun(1)), "--data-dir", path.join(dir, "data"), "--core", file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toEqual([`kv-cluster: --core: cannot load ${file}: it does not parse: ${file}:3:7: Unexpected identifier 'there'`, "Run `kv-cluster --help` for usage."]);
    });
  }, 60_000);

  it("a TypeScript module outside any package with \"type\": \"module\" is refused saying so, and loads once named .mts", async () => {
    await inTempDir("dslab-outside-", async (dir) => {
      const source = await fsp.readFile(core("no-factory.ts"), "utf8");
      await fsp.writeFile(path.join(dir, "mine.ts"), source);
      const r = await run(["start", "--nodes", "1", "--data-dir", path.join(dataDir, "outside"), "--core", path.join(dir, "mine.ts")]);
      expect(r.code).toBe(2);
      expect(r.stderr[0]).toBe(
        `kv-cluster: --core: cannot load ${path.join(dir, "mine.ts")}: it is taken for CommonJS, since no package.json with {"type": "module"} is in its folder or above (as outside the repository): add one, or name the file .mts`,
      );
      await fsp.writeFile(path.join(dir, "mine.mts"), source);
      const mts = await run(["start", "--nodes", "1", "--data-dir", path.join(dataDir, "outside"), "--core", path.join(dir, "mine.mts")]);
      expect(mts.stderr.join("\n")).toContain("does not export a function createKvNodeCore(config, restored); it exports createCore");
    });
  }, 60_000);

  it("start --help documents --core", async () => {
    const child = spawnTracked([KV_CLUSTER_BIN, "start", "--help"]);
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    await exited(child);
    expect(out).toMatch(/--core FILE +run another core instead of the reference/);
  });
});
