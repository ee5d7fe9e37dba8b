/**
 * kv-sim from its compiled bundle and from its sources (scripts/bins/launch.js
 * picks by the command line): `run` and `swarm` with the reference pieces
 * run the bundle, and give what the sources give byte for byte; a command
 * line that names a TypeScript module (`--client FILE`, `--core=FILE`) runs
 * the sources, and so do a swarm's workers. Which code ran is read from a
 * log of every module each process resolved (module hooks given to Node
 * with --import, which the swarm's workers inherit).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const builder = join(repoRoot, "scripts/bins/build.js");
const moduleLog = fileURLToPath(new URL("../../../protocol/src/testing/register-module-log.mjs", import.meta.url));
const bundleEntry = pathToFileURL(fileURLToPath(new URL("../../dist/bin/kv-sim/kv-sim.js", import.meta.url))).href;
const sourceEntry = pathToFileURL(fileURLToPath(new URL("../../src/cli/kv-sim.ts", import.meta.url))).href;
const wrappedClient = fileURLToPath(new URL("../fixtures/wrapped-client.ts", import.meta.url));
const wrappedCore = fileURLToPath(new URL("../fixtures/wrapped-core.ts", import.meta.url));

const { staleReason } = (await import(pathToFileURL(join(repoRoot, "scripts/bins/compiled.js")).href)) as { staleReason: (launcher: string) => string | undefined };

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kv-sim-bundle-"));
  // Built only when stale: a fresh bundle may be running in another test's kv-sim right now.
  if (staleReason(bin) !== undefined) execFileSync(process.execPath, [builder, "kv-sim"], { cwd: repoRoot, stdio: "ignore" });
  expect(staleReason(bin)).toBeUndefined();
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** kv-sim with every resolved module logged; `entries` counts the processes that ran the bundle's entry and the sources' entry. */
async function kvSim(args: string[], env: Record<string, string> = {}) {
  const log = join(dir, `modules-${n++}.txt`);
  const r = await execa(process.execPath, ["--import", moduleLog, bin, ...args], {
    reject: false,
    cwd: repoRoot,
    env: { FORCE_COLOR: "0", DSLAB_RUN_SOURCES: "", DSLAB_SOURCES_OF: "", ...env, DSLAB_MODULE_LOG: log },
  });
  const modules = (await readFile(log, "utf8").catch(() => "")).split("\n");
  const count = (url: string) => modules.filter((m) => m === url).length;
  return { ...r, modules, entries: { bundle: count(bundleEntry), sources: count(sourceEntry) } };
}

/** results.json without what the clock decides (wall and CPU times). */
async function resultsOf(out: string): Promise<unknown> {
  return JSON.parse(await readFile(join(out, "results.json"), "utf8"), (key, value) => (/wall|cpu|elapsed/i.test(key) ? undefined : value));
}

/** The summary without its wall time and output directory. */
const summaryOf = (stdout: string) => stdout.replace(/ in [\d.]+ s wall$/m, "").replace(/^outputs: .*$/m, "");

const RUN = ["run", "--seed", "11", "--nodes", "5", "--time-limit-s", "3", "--nemesis", "all"];

describe("kv-sim run and swarm from the bundle, and from the sources when the command line names a module", () => {
  test("run from the bundle and from the sources: the same summary, history, results and pictures for one seed", async () => {
    const [bundle, sources] = await Promise.all([
      kvSim([...RUN, "--out", join(dir, "bundle")]),
      kvSim([...RUN, "--out", join(dir, "sources")], { DSLAB_RUN_SOURCES: "1" }),
    ]);
    expect(bundle.stderr).toBe("");
    expect(bundle.entries).toEqual({ bundle: 1, sources: 0 });
    expect(sources.entries).toEqual({ bundle: 0, sources: 1 });
    expect(bundle.exitCode).toBe(sources.exitCode);
    expect(bundle.stdout).toMatch(/^verdict: VALID$/m);
    expect(summaryOf(bundle.stdout)).toBe(summaryOf(sources.stdout));
    for (const file of ["history.edn", "history.json", "messages.txt", "messages.html", "timeline.html"]) {
      const [a, b] = await Promise.all([readFile(join(dir, "bundle", file), "utf8"), readFile(join(dir, "sources", file), "utf8")]);
      expect(a.length, file).toBeGreaterThan(100);
      expect(a === b, file).toBe(true);
    }
    expect(await resultsOf(join(dir, "bundle"))).toEqual(await resultsOf(join(dir, "sources")));
  });

  test("--client with a TypeScript module, and --core=FILE, run from the sources beside a fresh bundle; the wrapped reference client gives the reference's history", async () => {
    const [reference, client, core] = await Promise.all([
      kvSim([...RUN, "--out", join(dir, "reference")]),
      kvSim([...RUN, "--client", wrappedClient, "--out", join(dir, "client")]),
      kvSim([...RUN, `--core=${wrappedCore}`, "--out", join(dir, "core")]),
    ]);
    expect(reference.entries).toEqual({ bundle: 1, sources: 0 });
    for (const r of [client, core]) {
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(r.entries).toEqual({ bundle: 0, sources: 1 });
    }
    expect(client.modules).toContain(pathToFileURL(wrappedClient).href);
    expect(client.stdout).toContain(`, client ${wrappedClient}`);
    expect(core.stdout).toContain(`, core ${wrappedCore}`);
    const [a, b] = await Promise.all([readFile(join(dir, "reference", "history.edn"), "utf8"), readFile(join(dir, "client", "history.edn"), "utf8")]);
    expect(a.length).toBeGreaterThan(100);
    expect(b === a).toBe(true);
  });

  test("swarm --jobs 2: this process and its worker run the bundle; with --client both run the sources, and the seeds' results are the same", async () => {
    const SWARM = ["swarm", "--seeds", "4", "--jobs", "2", "--time-limit-s", "2", "--json"];
    const [bundle, client] = await Promise.all([kvSim(SWARM), kvSim([...SWARM, "--client", wrappedClient])]);
    expect(bundle.entries).toEqual({ bundle: 2, sources: 0 });
    expect(client.entries).toEqual({ bundle: 0, sources: 2 });
    const seeds = (stdout: string) =>
      stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { seed?: string; verdict?: string; ops?: number; command?: string })
        .filter((l) => l.seed !== undefined)
        .map((l) => ({ seed: l.seed, verdict: l.verdict, ops: l.ops, command: l.command?.replace(` --client ${wrappedClient}`, "") }))
        .sort((x, y) => Number(x.seed) - Number(y.seed));
    expect(bundle.exitCode).toBe(0);
    expect(client.exitCode).toBe(0);
    expect(seeds(bundle.stdout).map((s) => s.verdict)).toEqual(["valid", "valid", "valid", "valid"]);
    expect(seeds(client.stdout)).toEqual(seeds(bundle.stdout));
  });
});
