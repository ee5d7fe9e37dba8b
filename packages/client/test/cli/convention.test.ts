/**
 * kv follows the dslab command-line convention: usage errors exit 2 and name
 * the near option, a bug exits 70 with its stack (never 1, which would claim
 * the operation definitely did not happen), --version prints the package
 * version, --help lists the exit codes. kv reads no input file, so it has no
 * exit 4 case.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { KV_BIN } from "../cluster-harness.js";

const FAILING = fileURLToPath(new URL("./failing-stdout.ts", import.meta.url));

function run(entry: string[], args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...entry, ...args], { timeout: 30_000, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}
const kv = (args: string[]) => run([KV_BIN], args);

describe("kv command-line convention", () => {
  test("a mistyped option exits 2, starting with kv and naming the near option", async () => {
    const r = await kv(["--prot", "9001", "get", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kv: unknown option --prot \(did you mean --port\?\)/);
  });

  test("an option of one value given twice exits 2 naming it, rather than keeping the last one", async () => {
    const r = await kv(["--client-id", "a", "--client-id", "b", "--seq", "1", "put", "k", "v"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kv: --client-id: given twice \("a", then "b"\); give it once\n/);
  });

  test("a mistyped command names the near one", async () => {
    const r = await kv(["stauts"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kv: unknown command "stauts" \(did you mean status\?\)/);
  });

  test("a bug exits 70 with its stack", async () => {
    const r = await run(["--import", "tsx", FAILING], ["--help"]);
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/^kv: internal error \(a bug/);
    expect(r.stderr).toContain("TypeError: injected: stdout broke");
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  test("--version prints the package version", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    const r = await kv(["--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `kv ${version}\n` });
  });

  test("kv help and kv help COMMAND print what kv --help prints", async () => {
    const help = await kv(["--help"]);
    for (const args of [["help"], ["help", "put"]]) expect(await kv(args)).toMatchObject({ code: 0, stdout: help.stdout });
  });

  test("--help lists the exit-code table", async () => {
    const r = await kv(["--help"]);
    expect(r.code).toBe(0);
    for (const code of [0, 1, 2, 3, 4, 70]) expect(r.stdout).toMatch(new RegExp(`^ +${code}  \\S`, "m"));
  });
});
