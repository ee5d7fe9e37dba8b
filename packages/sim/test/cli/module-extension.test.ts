/**
 * A module option (--core, --client, --store, --rules) naming a file Node
 * cannot import as a module by its name (`.txt`, `.json`, no extension) is
 * a usage error (exit 2) naming the option, the file and the extensions a
 * module may have, before anything is imported or simulated.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
/** Generous: a refusal takes a few seconds even on a loaded machine; this only stops a command that hangs. */
const TIMEOUT_MS = 40_000;
const kvSim = (args: string[]) =>
  execa(process.execPath, [bin, ...args], { reject: false, cwd: repoRoot, env: { FORCE_COLOR: "0" }, timeout: TIMEOUT_MS, killSignal: "SIGKILL" });

const TAKEN = "a module must be a .js, .mjs, .cjs, .ts, .mts, .cts, .jsx or .tsx file";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kv-sim-extension-"));
  // Each holds what would load as a module, were its name one Node imports.
  for (const name of ["core.txt", "core", "client.json", "store.txt", "rules"]) await writeFile(join(dir, name), "export const x = 1;\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("kv-sim: a module option naming a file that is not a module by its name", () => {
  test.each([
    ["run --core core.txt", ["run", "--time-limit-s", "1", "--core"], "core.txt", "--core", 'its name ends in ".txt"', "; give the module that exports createKvNodeCore(config, restored)"],
    ["run --client client.json", ["run", "--time-limit-s", "1", "--client"], "client.json", "--client", 'its name ends in ".json"', "; give the module that exports createClient(options)"],
    ["search --store store.txt", ["search", "--scenario", "dedup-single", "--store"], "store.txt", "--store", 'its name ends in ".txt"', ""],
    ["search --rules rules", ["search", "--scenario", "vote-rules-3", "--rules"], "rules", "--rules", "its name has no extension", ""],
    ["search --core core", ["search", "--scenario", "raft-core-3", "--core"], "core", "--core", "its name has no extension", ""],
    ["search --client client.json", ["search", "--scenario", "leader-change-3", "--client"], "client.json", "--client", 'its name ends in ".json"', ""],
  ])("kv-sim %s is a usage error (exit 2) naming the option, the file and the extensions taken", async (_what, args, name, option, why, rest) => {
    const file = join(dir, name);
    const r = await kvSim([...args, file]);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`kv-sim: ${option}: cannot load ${file}: ${why}, and ${TAKEN}${rest}`);
    expect(r.stderr).not.toMatch(/Unknown file extension|internal error|a bug|\n\s+at /);
    expect(r.stdout).toBe("");
  }, 60_000);
});
