/**
 * history-check follows the dslab command-line convention: usage errors exit 2
 * and name the near option, bad input exits 4, a bug exits 70 with its stack
 * (never 4), --version prints the package version, --help lists the exit codes.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, "../../bin/history-check.js");
const FAILING = join(here, "failing-clock.ts");
const dir = mkdtempSync(join(tmpdir(), "history-check-convention-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], entry: string[] = [BIN]) {
  const r = spawnSync(process.execPath, [...entry, ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const valid = join(dir, "valid.edn");
writeFileSync(valid, "{:type :invoke, :f :write, :value 1, :process 0}\n{:type :ok, :f :write, :value 1, :process 0}\n{:type :invoke, :f :read, :process 1}\n{:type :ok, :f :read, :value 1, :process 1}\n");

describe("history-check command-line convention", () => {
  it("exits 2 on a mistyped option, starting with its name and suggesting the near option", () => {
    const r = run([valid, "--model", "register", "--josn"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^history-check: unknown option --josn \(did you mean --json\?\)/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("exits 2 on an option of one value given twice, naming it and both values", () => {
    const r = run([valid, "--model", "register", "--model", "kv"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^history-check: --model: given twice \("register", then "kv"\); give it once/);
  });

  it("exits 4 on a history file that cannot be parsed", () => {
    const bad = join(dir, "bad.edn");
    writeFileSync(bad, "{:type :invoke, :f :read\n");
    const r = run([bad, "--model", "register"]);
    expect(r.code).toBe(4);
    expect(r.out).toContain(`${bad}: ERROR ${bad}:`);
  });

  it("exits 70 with the stack when the check itself throws, rather than calling the history bad input", () => {
    const r = run([valid, "--model", "register"], ["--import", "tsx", FAILING]);
    expect(r.code).toBe(70);
    expect(r.err).toMatch(/^history-check: internal error \(a bug/);
    expect(r.err).toContain("TypeError: injected: the clock broke");
    expect(r.err).toMatch(/\n\s+at /);
  });

  it("prints the package version with --version", () => {
    const { version } = JSON.parse(readFileSync(join(here, "../../package.json"), "utf8")) as { version: string };
    const r = run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`history-check ${version}\n`);
  });

  it("lists the exit-code table in --help", () => {
    const r = run(["--help"]);
    expect(r.code).toBe(0);
    for (const code of [0, 1, 2, 3, 4, 70]) expect(r.out).toMatch(new RegExp(`^ +${code}  \\S`, "m"));
  });
});
