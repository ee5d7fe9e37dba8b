/**
 * `history-check --time-limit-s` on inputs whose reading, parsing or
 * preparing takes many times the limit: the real bin as a child process,
 * on real files in a temp dir. Each file takes several seconds to parse or
 * prepare whole; with a limit of 1 s the check must end about then, with
 * its verdict unknown (exit 3) and the reason the time limit.
 */
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "../../bin/history-check.js");
const dir = mkdtempSync(join(tmpdir(), "history-check-time-limit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Most the command's own time (`ms`, from when it opened the file) may be with --time-limit-s 1: a few seconds, far less than reading these files whole takes. */
const MS_MAX = 3000;

/** Writes `count` lines, each `line(i)`, between `head` and `tail`, in chunks: the files are tens of megabytes, the test's memory stays small. */
function writeLines(name: string, head: string, count: number, line: (i: number) => string, tail: string): string {
  const path = join(dir, name);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, head);
    let chunk = "";
    for (let i = 0; i < count; i++) {
      chunk += line(i);
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = "";
      }
    }
    writeSync(fd, chunk + tail);
  } finally {
    closeSync(fd);
  }
  return path;
}

/** Runs the bin with `--time-limit-s 1 --json` on one file: its one JSON object, exit code and wall time in seconds. */
function checkWithLimit(file: string, model: string): { record: { [key: string]: unknown }; code: number | null; seconds: number } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [BIN, file, "--model", model, "--time-limit-s", "1", "--json"], { encoding: "utf8", timeout: 60_000 });
  const seconds = (performance.now() - started) / 1000;
  expect(r.stderr).toBe("");
  return { record: JSON.parse(r.stdout) as { [key: string]: unknown }, code: r.status, seconds };
}

/**
 * Checks `file` (of `count` operation events, operation N on line N + 1) with the limit and expects it stopped part way
 * through reading, about when the limit passed: unknown, exit 3, and the line and count it stopped at agreeing.
 */
function expectStoppedWhileReading(file: string, count: number): void {
  const { record, code, seconds } = checkWithLimit(file, "register");
  expect(record.valid).toBe("unknown");
  expect(code).toBe(3);
  expect(record.ms as number).toBeLessThan(MS_MAX);
  expect(seconds).toBeLessThan(20);
  const { line, events } = stoppedReading(record, file);
  expect(events).toBeGreaterThan(0);
  expect(events).toBeLessThan(count);
  expect(line).toBe(events + 1);
}

/** The reason a file whose reading stopped at the limit gives: where it stopped, as line and operation events read before it. */
function stoppedReading(record: { [key: string]: unknown }, file: string): { line: number; events: number } {
  const m = new RegExp(`^time limit of 1000 ms reached while reading the history, at ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+) after (\\d+) operation events$`).exec(String(record.reason));
  expect(m, String(record.reason)).not.toBeNull();
  return { line: Number(m![1]), events: Number(m![2]) };
}

describe("history-check --time-limit-s ends about on time whatever the input", () => {
  it("stops parsing a large JSON-array history part way once the limit is up, saying where", () => {
    // 36,000 operations on 36,000 lines, one array: reads returning 2,000 numbers each, about 72 MB (seconds to parse whole).
    const numbers = Array.from({ length: 2000 }, (_, i) => i % 10).join(",");
    const count = 36_000;
    const file = writeLines(
      "big-array.json",
      "[",
      count,
      (i) => (i % 2 === 0 ? `{"type":"invoke","f":"read","value":null,"process":${i % 8}}` : `{"type":"ok","f":"read","value":[${numbers}],"process":${(i - 1) % 8}}`) + (i === count - 1 ? "" : ",\n"),
      "]\n",
    );
    // Stopped inside the array, at the operation being read: operation N is on line N + 1.
    expectStoppedWhileReading(file, count);
  });

  it("stops parsing a large EDN history read by the general reader, with values nested 200 levels deep, once the limit is up", () => {
    // One map per line with a string key (read by the general EDN reader), each value 200 vectors deep around 600 ratios: about 25 MB (seconds to parse whole).
    const deep = "[".repeat(200) + Array.from({ length: 600 }, (_, i) => `${i % 7}/3`).join(" ") + "]".repeat(200);
    const count = 10_000;
    const file = writeLines(
      "nested.edn",
      "",
      count,
      (i) => (i % 2 === 0 ? `{:type :invoke, :f :write, :value ${deep}, :process ${i % 8}, "node" "n1"}\n` : `{:type :ok, :f :write, :value ${deep}, :process ${(i - 1) % 8}, "node" "n1"}\n`),
      "",
    );
    expectStoppedWhileReading(file, count);
  });

  it("stops preparing the operations for the search once the limit is up, when each of many values is just under --op-max-chars", () => {
    // 10 writes of a set of 480,000 numbers below 1,000 in no order (1,867,206 characters each, under the default
    // 2,000,000): read in well under a second, each about half a second to prepare (its canonical text sorts the items).
    const items = Array.from({ length: 480_000 }, (_, i) => (i * 7919) % 1000).join(" ");
    const value = `[0 #{${items}}]`;
    expect(value.length).toBeLessThan(2_000_000 - 100);
    const count = 10;
    const file = writeLines("big-values.edn", "", count, (i) => `{:type :invoke, :f :write, :value ${value}, :process ${i}}\n{:type :ok, :f :write, :value nil, :process ${i}}\n`, "");
    const { record, code, seconds } = checkWithLimit(file, "register");
    expect(record.valid).toBe("unknown");
    expect(code).toBe(3);
    expect(record.ms as number).toBeLessThan(MS_MAX);
    expect(seconds).toBeLessThan(20);
    // Stopped while the values were prepared (or, on a machine so busy that reading them took the second, while reading).
    expect(String(record.reason)).toMatch(/^time limit of 1000 ms reached (before the search: reading and preparing the history was stopped after \d+ ms$|while reading the history)/);
  });
});
