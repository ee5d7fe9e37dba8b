/**
 * `history-check --jobs N`: the files checked on several threads give the
 * very lines and exit code of `--jobs 1` (times apart), whatever the files
 * are (valid, invalid, malformed, unreadable, models it cannot judge), the
 * timelines land under the same names, and a worker thread that throws or
 * dies while checking a file is a bug (exit 70) that names the file.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { HistoryBuilder, writeHistoryEdn, writeHistoryJson } from "../../src/index.js";
import { porcupineLikeFiles } from "../../bench/porcupine-data.js";

const here = dirname(fileURLToPath(import.meta.url));
const BIN = join(here, "../../bin/history-check.js");
const FAILING = join(here, "failing-thread.ts");
const dir = mkdtempSync(join(tmpdir(), "history-check-threads-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], options: { entry?: string[]; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [...(options.entry ?? [BIN]), ...args], { encoding: "utf8", timeout: 120_000, env: { ...process.env, ...options.env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** The output with each file's time left out: the one part that differs from run to run. */
const withoutTimes = (out: string): string => out.replace(/"ms":\d+/g, '"ms":_').replace(/, \d+ ms\)/g, ", _ ms)");

// Porcupine-shaped register histories (one with a stale read), of different sizes, so the threads take them in another order than given.
const generated = porcupineLikeFiles(7, 8)
  .filter((f) => f.model === "register")
  .map((f) => file(`gen/${f.name}`, writeHistoryEdn(f.history)));

const b = new HistoryBuilder();
b.invoke(0, "write", 1);
b.ok(0);
b.invoke(0, "write", 2);
b.ok(0);
b.invoke(1, "read", null);
b.ok(1, 1);
/** The largest generated file and a smaller one: with two threads the main thread takes the largest first. */
const [big, small] = [...generated].sort((x, y) => readFileSync(y).length - readFileSync(x).length) as [string, string];
const invalidJson = file("invalid.jsonl", writeHistoryJson(b.build()));
const malformed = file("malformed.edn", "{:type :invoke, :f :read, :process 0}\n{:type :ok, :f :read, :process 0, :value [1 2}\n");
const twoOpen = file("two-open.edn", "{:type :invoke, :f :write, :value 1, :process 0}\n{:type :invoke, :f :read, :process 0}\n");
const empty = file("empty.edn", "");
const txn = file("txn.edn", "{:type :invoke, :f :txn, :value [[:r 1 nil]], :process 0}\n{:type :ok, :f :txn, :value [[:r 1 4]], :process 0}\n");
const missing = join(dir, "no-such-file.edn");
const aDirectory = join(dir, "gen");

describe("history-check --jobs", () => {
  it("writes the same lines and exits the same with 1, 2 and 3 threads, for valid, invalid, malformed and unreadable files alike", () => {
    const files = [generated[0]!, invalidJson, malformed, ...generated.slice(1, 4), missing, twoOpen, aDirectory, empty, txn, ...generated.slice(4)];
    for (const format of [[], ["--json"]]) {
      const one = run([...files, "--model", "register", ...format, "--jobs", "1"]);
      expect(one.code).toBe(1);
      expect(one.out.trim().split("\n")).toHaveLength(files.length);
      expect(one.out).toContain(format.length === 0 ? `${malformed}: ERROR ${malformed}:2:` : `"error":"${malformed}:2:`);
      for (const jobs of ["2", "3"]) {
        const many = run([...files, "--model", "register", ...format, "--jobs", jobs]);
        expect(many.code).toBe(one.code);
        expect(withoutTimes(many.out)).toBe(withoutTimes(one.out));
        expect(many.err).toBe(one.err);
      }
    }
  });

  it("exits 4 naming file:line:column for a malformed file that a worker thread checked, as with one thread", () => {
    // The main thread waits for a worker to take a file before it checks the largest: the worker gets the malformed one.
    const files = [malformed, big];
    const one = run([...files, "--model", "register", "--jobs", "1"]);
    const two = run([...files, "--model", "register", "--jobs", "2"], { entry: ["--import", "tsx", FAILING], env: { MARK: join(dir, "mark-bad"), BREAK: "no" } });
    expect(one.code).toBe(4);
    expect(two.code).toBe(4);
    expect(withoutTimes(two.out)).toBe(withoutTimes(one.out));
    expect(two.out).toMatch(new RegExp(`^${malformed}: ERROR ${malformed}:2:\\d+: `));
  });

  it("writes each file's timeline under the same name whatever the number of threads, numbering two files of one name in the order given", () => {
    const same = [file("a/h.edn", writeHistoryEdn(b.build())), file("b/h.edn", readFileSync(generated[0]!, "utf8"))];
    const names: string[][] = [];
    for (const jobs of ["1", "2"]) {
      const out = join(dir, `html-${jobs}`);
      const r = run([...same, generated[1]!, "--model", "register", "--html", out, "--jobs", jobs]);
      expect(r.code).toBe(1);
      names.push(readdirSync(out).sort());
      expect(readFileSync(join(out, "h.edn.html"), "utf8")).toMatch(/class="op ok[^"]*failed/);
    }
    expect(names[0]).toEqual(["etcd_001.edn.html", "h.edn-2.html", "h.edn.html"].sort());
    expect(names[1]).toEqual(names[0]);
  });

  it("exits 70 with the stack, naming the file, when a worker thread throws while checking it", () => {
    const mark = join(dir, "mark-throw");
    const r = run([small, big, "--model", "register", "--jobs", "2"], { entry: ["--import", "tsx", FAILING], env: { MARK: mark } });
    expect(r.code).toBe(70);
    expect(r.err).toMatch(/^history-check: internal error \(a bug/);
    expect(r.err).toContain(`a worker thread failed while checking ${small}`);
    expect(r.err).toContain("TypeError: injected: the clock broke in a worker thread");
    expect(r.err).toMatch(/\n\s+at /);
  });

  it("exits 70 naming the file when a worker thread exits while checking it", () => {
    const mark = join(dir, "mark-exit");
    const r = run([small, big, "--model", "register", "--jobs", "2"], { entry: ["--import", "tsx", FAILING], env: { MARK: mark, BREAK: "exit" } });
    expect(r.code).toBe(70);
    expect(r.err).toContain(`a worker thread failed while checking ${small}`);
    expect(r.err).toContain("the thread exited (code 9) before it reported the file");
  });

  it("exits 2 on a --jobs that is not an integer from 1 to 256", () => {
    for (const bad of ["0", "two", "1.5", "999"]) {
      const r = run([generated[0]!, "--model", "register", "--jobs", bad]);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`history-check: --jobs: expected an integer from 1 to 256, got "${bad}"`);
    }
  });
});
