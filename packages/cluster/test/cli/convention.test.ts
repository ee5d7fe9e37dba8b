/**
 * kv-node and kv-cluster follow the dslab command-line convention: usage
 * errors exit 2, start with the command's name and name the near option; an
 * input file that cannot be read exits 4 in one line; a bug exits 70 with its
 * stack; --version prints the package version; --help lists the exit codes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { KV_CLUSTER_BIN, KV_NODE_BIN } from "../../src/testing/processes.js";

const BREAK_STDOUT = fileURLToPath(new URL("./break-stdout.mjs", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "dslab-cluster-convention-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], preload: string[] = []) {
  const r = spawnSync(process.execPath, [...preload, ...args], { encoding: "utf8", timeout: 30_000, input: "" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const version = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

describe.each([
  ["kv-cluster", KV_CLUSTER_BIN, ["start", "--nodse", "3", "--data-dir", dir], "--nodse", "--nodes", ["start"]],
  ["kv-node", KV_NODE_BIN, ["--tick-sm", "10"], "--tick-sm", "--tick-ms", []],
])("%s command-line convention", (name, bin, typo, wrong, right, helpArgs) => {
  it("a mistyped option exits 2, starting with the command's name and naming the near option", () => {
    const r = run([bin, ...typo]);
    expect(r.code).toBe(2);
    expect(r.err.startsWith(`${name}: unknown option ${wrong} (did you mean ${right}?)`)).toBe(true);
  });

  it("an option of one value given twice exits 2, naming it", () => {
    const r = run([bin, ...helpArgs, ...(name === "kv-cluster" ? ["--nodes", "3", "--nodes", "0", "--data-dir", dir] : ["--tick-ms", "10", "--tick-ms", "0"])]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^${name}: --${name === "kv-cluster" ? "nodes" : "tick-ms"}: given twice \\(".*", then ".*"\\); give it once`));
  });

  it("a bug exits 70 with its stack", () => {
    const r = run([bin, ...helpArgs, "--help"], ["--import", BREAK_STDOUT]);
    expect(r.code).toBe(70);
    expect(r.err).toMatch(new RegExp(`^${name}: internal error \\(a bug`));
    expect(r.err).toContain("TypeError: injected: stdout broke");
    expect(r.err).toMatch(/\n\s+at /);
  });

  it("--version prints the package version", () => {
    const r = run([bin, "--version"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${name} ${version}\n`);
  });

  it("--help lists the exit-code table", () => {
    const r = run([bin, ...helpArgs, "--help"]);
    expect(r.code).toBe(0);
    for (const code of [0, 1, 2, 3, 4, 70]) expect(r.out).toMatch(new RegExp(`^ +${code}  \\S`, "m"));
  });
});

describe("kv-cluster input files", () => {
  it("a cluster secret file that is too short exits 4 in one line, without a stack", () => {
    const secret = path.join(dir, "short.secret");
    writeFileSync(secret, "short\n", { mode: 0o600 });
    const r = run([KV_CLUSTER_BIN, "node", "--id", "n1", "--nodes", "1", "--base-port", "1", "--data-dir", dir, "--secret-file", secret]);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/^kv-cluster: .*short\.secret:1: the cluster secret has \d+ characters/m);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
