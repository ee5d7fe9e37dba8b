/**
 * kv-sim follows the dslab command-line convention: usage errors exit 2 and
 * name the near option, an --out that cannot be written exits 4, a bug exits
 * 70 with its stack, --version prints the package version, --help lists the
 * exit codes, and the default outputs land outside the repository.
 */
import { readFile, rm, writeFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const failing = fileURLToPath(new URL("./failing-stdout.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const TIMEOUT_MS = 60_000;
const run = (entry: string[], args: string[]) =>
  execa(process.execPath, [...entry, ...args], { reject: false, cwd: repoRoot, env: { FORCE_COLOR: "0" }, timeout: TIMEOUT_MS, killSignal: "SIGKILL" });
const kvSim = (args: string[]) => run([bin], args);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kv-sim-convention-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("kv-sim command-line convention", () => {
  test("a mistyped option exits 2, starting with kv-sim and naming the near option", async () => {
    const r = await kvSim(["run", "--sed", "7"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^kv-sim: unknown option --sed \(did you mean --seed\?\)/);
  });

  test("a bad value names the option, and a bad nemesis name is one line without a stack", async () => {
    const nodes = await kvSim(["run", "--nodes", "x"]);
    expect(nodes.exitCode).toBe(2);
    expect(nodes.stderr).toMatch(/^kv-sim: --nodes: expected an integer >= 1, got "x"/);
    const nemesis = await kvSim(["run", "--nemesis", "partiton"]);
    expect(nemesis.exitCode).toBe(2);
    expect(nemesis.stderr).toMatch(/^kv-sim: --nemesis: unknown fault "partiton"/);
    expect(nemesis.stderr).not.toMatch(/\n\s+at /);
  });

  test("an unknown command names the near one", async () => {
    const r = await kvSim(["rn"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^kv-sim: unknown command "rn" \(did you mean run\?\)/);
  });

  test("an --out under a regular file cannot be written: exit 4", async () => {
    const file = join(dir, "a-file");
    await writeFile(file, "x");
    const r = await kvSim(["run", "--time-limit-s", "1", "--out", join(file, "out")]);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/^kv-sim: --out /);
  });

  test("a bug exits 70 with its stack", async () => {
    const r = await run(["--import", "tsx", failing], ["run", "--help"]);
    expect(r.exitCode).toBe(70);
    expect(r.stderr).toMatch(/^kv-sim: internal error \(a bug/);
    expect(r.stderr).toContain("TypeError: injected: stdout broke");
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  test("--version prints the package version", async () => {
    const { version } = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    const r = await kvSim(["--version"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`kv-sim ${version}`);
  });

  test("--help lists the exit-code table", async () => {
    const r = await kvSim(["--help"]);
    expect(r.exitCode).toBe(0);
    for (const code of [0, 1, 2, 3, 4, 70]) expect(r.stdout).toMatch(new RegExp(`^ +${code}  \\S`, "m"));
  });

  test("without --out, a run writes under the OS temp directory, named by the seed, and says where", async () => {
    const seed = `convention-${process.pid}`;
    const out = join(tmpdir(), `kv-sim-seed-${seed}`);
    try {
      const r = await kvSim(["run", "--seed", seed, "--time-limit-s", "1", "--nemesis", "none"]);
      expect(r.stdout).toContain(`outputs: ${out}/{history.edn,`);
      expect((await readFile(join(out, "history.edn"), "utf8")).length).toBeGreaterThan(0);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
