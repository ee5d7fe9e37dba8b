/**
 * The real `history-check` bin as a child process: exit codes, summary
 * lines, --json lines, --html output, usage errors.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { HistoryBuilder, NESTING_DEPTH_MAX, renderTimelineHtml, writeHistoryEdn, writeHistoryJson } from "../../src/index.js";
import { HISTORY_BYTES_MAX } from "../../src/formats/text-input.js";

const BIN = join(dirname(fileURLToPath(import.meta.url)), "../../bin/history-check.js");
const dir = mkdtempSync(join(tmpdir(), "history-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const b1 = new HistoryBuilder();
b1.invoke(0, "write", [0, 1]);
b1.ok(0);
b1.invoke(1, "read", [0, null]);
b1.ok(1, [0, 1]);
const validEdn = file("valid.edn", writeHistoryEdn(b1.build()));

const b2 = new HistoryBuilder();
b2.invoke(0, "write", 1);
b2.ok(0);
b2.invoke(0, "write", 2);
b2.ok(0);
b2.invoke(1, "read", null);
b2.ok(1, 1);
const invalidJson = file("invalid.jsonl", writeHistoryJson(b2.build()));

// 22 concurrent increments by distinct powers of two and an impossible read:
// the search must explore 2^22 subsets, far more than a short time limit allows.
const b3 = new HistoryBuilder();
for (let p = 0; p < 22; p++) b3.invoke(p, "incr", 2 ** p);
b3.invoke(22, "read", null);
b3.ok(22, 2 ** 22);
const hard = file("hard.edn", writeHistoryEdn(b3.build()));

const malformed = file("malformed.edn", '{:type :invoke, :f :read, :process 0}\n{:type :ok, :f :read, :process 0, :value [1 2}\n');

// Maelstrom lin-kv as it writes history.edn: independent [key value] tuples,
// cas with [from to], a definite failure with an :error, an indefinite write
// (:info with :net-timeout) that a later read shows happened, a nemesis op.
const maelstrom = file(
  "lin-kv.edn",
  [
    "{:type :invoke, :f :write, :value [0 3], :process 0, :time 100, :index 0}",
    "{:type :ok, :f :write, :value [0 3], :process 0, :time 200, :index 1}",
    "{:type :invoke, :f :cas, :value [0 [3 4]], :process 1, :time 123, :index 2}",
    "{:type :ok, :f :cas, :value [0 [3 4]], :process 1, :time 300, :index 3}",
    "{:type :invoke, :f :cas, :value [1 [1 2]], :process 2, :time 510, :index 4}",
    '{:type :fail, :f :cas, :value [1 [1 2]], :process 2, :time 520, :error [:key-does-not-exist "key 1 does not exist"], :index 5}',
    "{:type :invoke, :f :write, :value [0 9], :process 3, :time 530, :index 6}",
    "{:type :info, :f :write, :value [0 9], :process 3, :time 1530, :error :net-timeout, :index 7}",
    '{:type :info, :f :start-partition, :value [:isolated {"n1" #{"n2" "n3"}}], :process :nemesis, :time 600, :index 8}',
    "{:type :invoke, :f :read, :value [0 nil], :process 4, :time 2000, :index 9}",
    "{:type :ok, :f :read, :value [0 9], :process 4, :time 2100, :index 10}",
    "",
  ].join("\n"),
);
const txn = file("txn.edn", "{:type :invoke, :f :txn, :value [[:r 1 nil] [:w 2 3]], :process 0, :index 0}\n{:type :ok, :f :txn, :value [[:r 1 4] [:w 2 3]], :process 0, :index 1}\n");

describe("history-check CLI", () => {
  it("checks a Maelstrom lin-kv history.edn (tuples, cas, :error, :info, nemesis) as valid", () => {
    const r = run(maelstrom, "--model", "register", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out.trim())).toMatchObject({ file: maelstrom, valid: true, ops: 5, keys: 1 });
    // keys: 1, since key 1 saw only a failed cas, which did not happen.
  });

  it("reports an operation the model does not know (:f :txn) as an error, not a crash", () => {
    const r = run(txn, "--model", "register");
    expect(r.code).toBe(4);
    expect(r.out.trim()).toBe(`${txn}: ERROR ${txn}:1: the register model does not know :f :txn (op 0)`);
    expect(r.err).toBe("");
  });

  it("names the line of a completion that has no open invoke, or answers a different function", () => {
    const orphan = file("orphan.edn", "{:type :invoke, :f :write, :value 1, :process 0}\n{:type :ok, :f :write, :value 1, :process 0}\n{:type :ok, :f :write, :value 2, :process 1}\n");
    const mismatch = file("mismatch.jsonl", '{"type":"invoke","f":"write","value":1,"process":0}\n{"type":"ok","f":"read","value":1,"process":0}\n');
    const r = run(orphan, mismatch, "--model", "register");
    expect(r.code).toBe(4);
    expect(r.out).toContain(`${orphan}: ERROR ${orphan}:3: op 2: process 1 completes :write (:ok) with no invoke open`);
    expect(r.out).toContain(`${mismatch}: ERROR ${mismatch}:2: op 1: process 0 completes :read but its open invoke (op 0) is :write`);
  });

  it("names the operations involved in a failure, in the summary line and in --json", () => {
    const line = run(invalidJson, "--model", "register");
    expect(line.out).toContain("1 was last set by process 0's write 1 (ops 0..1), and process 0's write 2 (ops 2..3) overwrote it before the read was called.");
    const json = JSON.parse(run(invalidJson, "--model", "register", "--json").out.trim()) as { failure: Record<string, unknown> };
    expect(json.failure).toMatchObject({ op: 4, prefix_end: 5, involved: [0, 2, 4] });
  });

  it("says which file cannot be read and why (missing, a directory)", () => {
    const r = run(join(dir, "nope.edn"), dir, "--model", "register");
    expect(r.code).toBe(4);
    expect(r.out).toContain(`${join(dir, "nope.edn")}: ERROR cannot read ${join(dir, "nope.edn")}: no such file`);
    expect(r.out).toContain(`${dir}: ERROR cannot read ${dir}: it is a directory`);
  });

  it("refuses a FIFO at once, without waiting for a writer, and checks the other files", () => {
    const fifo = join(dir, "history.fifo");
    execFileSync("mkfifo", [fifo]);
    const r = run(fifo, validEdn, "--model", "register");
    expect(r.code).toBe(4);
    expect(r.out).toContain(`${fifo}: ERROR cannot read ${fifo}: it is a FIFO (named pipe), not a regular file`);
    expect(r.out).toContain("valid.edn: valid");
  });

  it("refuses a socket and a device by what they are, without reading them, and checks the other files", async () => {
    const sock = join(dir, "history.sock");
    const server = createServer();
    await new Promise<void>((listening) => server.listen(sock, listening));
    try {
      const r = run(sock, "/dev/zero", validEdn, "--model", "register");
      expect(r.code).toBe(4);
      expect(r.out).toContain(`${sock}: ERROR cannot read ${sock}: it is a socket, not a regular file\n`);
      expect(r.out).toContain("/dev/zero: ERROR cannot read /dev/zero: it is a device, not a regular file\n");
      expect(r.out).toContain("valid.edn: valid");
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });

  it("refuses a file too large to hold as one string by its size, before reading it (a sparse file), and checks the other files", () => {
    const huge = join(dir, "huge.edn");
    const bytes = HISTORY_BYTES_MAX + 1;
    execFileSync("truncate", ["-s", String(bytes), huge]);
    const r = run(huge, validEdn, "--model", "auto");
    rmSync(huge);
    expect(r.code).toBe(4);
    expect(r.out).toContain(`${huge}: ERROR cannot read ${huge}: file too large: ${bytes} bytes (limit ${HISTORY_BYTES_MAX} bytes)\n`);
    expect(r.out).toContain("valid.edn: valid");
    expect(run("--help").out).toMatch(new RegExp(`UTF-8 text of at most\\s+${HISTORY_BYTES_MAX} bytes`));
  });

  it("refuses a file too large for the heap the process has left, before parsing it, with how to raise the limit, and checks the other files (not a fatal out-of-memory error)", () => {
    // 65,000 writes, 8 MB, with a 96 MB heap (48 MB old space): parsed, they would take more than the heap holds.
    const b = new HistoryBuilder();
    for (let i = 0; i < 65_000; i++) {
      b.invoke(i % 10, "write", i);
      b.ok(i % 10);
    }
    const big = file("big.edn", writeHistoryEdn(b.build()));
    const r = spawnSync(process.execPath, [BIN, big, validEdn, "--model", "register"], { encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=48" } });
    rmSync(big);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(4);
    expect(r.stdout).toMatch(new RegExp(`^${big}: ERROR cannot read ${big}: too large for this process's memory: reading and checking its \\d+ bytes \\(130000 maps\\) takes about \\d+ MB of heap, and \\d+ MB is left of the \\d+ MB limit \\(raise it with NODE_OPTIONS=--max-old-space-size=MB\\)\n`));
    expect(r.stdout).toContain("valid.edn: valid");
  });

  it.each([
    ["a NUL byte", Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe]), ":1: not a text file (a NUL byte at byte 0): a history is EDN or JSON text in UTF-8"],
    ["a byte that is not UTF-8, on line 2", Buffer.concat([Buffer.from("[{:type :invoke}\n"), Buffer.from([0xff, 0xfe])]), ":2: not a text file (the byte 0xff at byte 17 is not UTF-8): a history is EDN or JSON text in UTF-8"],
    ["an overlong encoding", Buffer.from([0x5b, 0xc0, 0xaf, 0x5d]), ":1: not a text file (the byte 0xc0 at byte 1 is not UTF-8): a history is EDN or JSON text in UTF-8"],
  ])("says a binary file (%s) is not text, where, and prints none of its bytes", (_, bytes, message) => {
    const path = join(dir, "binary.edn");
    writeFileSync(path, bytes);
    const r = run(path, "--model", "auto");
    expect(r.code).toBe(4);
    expect(r.out).toBe(`${path}: ERROR ${path}${message}\n`);
  });

  it("quotes control characters and text-reordering marks of the input as escapes in its messages", () => {
    const path = file("controls.edn", "\u0001\u202e");
    const r = run(path, "--model", "auto");
    expect(r.code).toBe(4);
    expect(r.out).toBe(`${path}: ERROR ${path}:1:1: expected an operation map, got \\u0001\\u202e\n`);
  });

  it("prints one summary line per file and exits 1 when any history is invalid", () => {
    const r = run(validEdn, invalidJson, "--model", "register");
    expect(r.code).toBe(1);
    const lines = r.out.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/valid\.edn: valid \(register, 2 ops, \d+ ms\)/);
    expect(lines[1]).toMatch(/invalid\.jsonl: INVALID \(register, 3 ops, \d+ ms\) process 1's read 1/);
  });

  it("with --model auto checks registers, kv logs and transactions in one call, each by its own model, and says which", () => {
    const kv = file("kv.edn", '{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}\n{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}\n{:process 1, :type :invoke, :f :get, :key "0", :value nil}\n{:process 1, :type :ok, :f :get, :key "0", :value "x 0 0 y"}\n');
    const r = run(maelstrom, kv, txn, invalidJson, "--model", "auto");
    expect(r.code).toBe(1);
    const lines = r.out.trim().split("\n");
    expect(lines[0]).toMatch(/lin-kv\.edn: valid \(auto: register, 5 ops, \d+ ms\)$/);
    expect(lines[1]).toMatch(/kv\.edn: valid \(auto: kv, 2 ops, \d+ ms\)$/);
    expect(lines[2]).toMatch(/txn\.edn: INVALID \(auto: multi-register, 1 ops, \d+ ms\) keys 1 2: process 0's txn/);
    expect(lines[3]).toMatch(/invalid\.jsonl: INVALID \(auto: register, 3 ops, \d+ ms\) process 1's read 1/);
    const json = run(kv, txn, "--model", "auto", "--json", "--initial", "{1 4}");
    expect(json.code).toBe(0);
    const objs = json.out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs[0]).toMatchObject({ file: kv, model: "kv", auto: true, valid: true });
    // --initial goes to the files read as multi-register.
    expect(objs[1]).toMatchObject({ file: txn, model: "multi-register", auto: true, valid: true });
    // Without auto the object has no `auto` field, as before.
    expect(Object.keys(JSON.parse(run(kv, "--model", "kv", "--json").out) as object)).toEqual(["file", "model", "ops", "keys", "valid", "ms"]);
  });

  it("with --model auto reports a history that fits no one model as bad input (exit 4), naming the line, the op and what each model takes", () => {
    const mixed = file("mixed.edn", '{:type :invoke, :f :cas, :value [1 2], :process 0}\n{:type :fail, :f :cas, :value [1 2], :process 0}\n{:type :invoke, :f :append, :key "a", :value "x", :process 0}\n');
    const r = run(mixed, validEdn, "--model", "auto");
    expect(r.code).toBe(4);
    const lines = r.out.trim().split("\n");
    expect(lines[0]).toBe(
      `${mixed}: ERROR ${mixed}:3: --model auto cannot tell the model: op 2: :f :append does not fit any one model together with :cas (op 0); give --model ` +
        "(register: read, write, cas; kv: get, put, append (and read, write); counter: incr or add, and read; multi-register: txn; exactly-once: append, incr or add with client_id and seq)",
    );
    expect(lines[1]).toMatch(/valid\.edn: valid \(auto: register, 2 ops, \d+ ms\)$/);
    expect(JSON.parse(run(mixed, "--model", "auto", "--json").out)).toMatchObject({ file: mixed, model: "auto", valid: "unknown", error: expect.stringContaining("cannot tell the model") });
  });

  it("exits 0 when every history is valid, and writes JSON lines with --json", () => {
    const r = run("--json", "--model", "register", validEdn, validEdn);
    expect(r.code).toBe(0);
    const objs = r.out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs).toHaveLength(2);
    expect(objs[0]).toMatchObject({ file: validEdn, valid: true, model: "register", ops: 2 });
  });

  it("exits 3 when a history cannot be decided in the time limit, and says so (unknown, not valid)", () => {
    const r = run(hard, "--model", "counter", "--time-limit-s", "0.3", "--json");
    expect(r.code).toBe(3);
    const obj = JSON.parse(r.out.trim()) as Record<string, unknown>;
    expect(obj.valid).toBe("unknown");
    expect(String(obj.reason)).toContain("time limit");
  });

  it("reports a malformed file with its line number and exits 4, and still checks the other files", () => {
    const r = run(malformed, validEdn, "--model", "register");
    expect(r.code).toBe(4);
    expect(r.out).toContain(`${malformed}: ERROR ${malformed}:2:`);
    expect(r.out).toContain("valid.edn: valid");
  });

  it("says kv-sim's timeline.html and messages.txt are not histories and where the history is (exit 4), and still checks the other files", () => {
    // The page kv-sim writes: the checker's timeline with a kv-sim title.
    const timeline = file("timeline.html", renderTimelineHtml(b1.build(), { title: "kv-sim seed 7: valid", subtitle: "register, 3 nodes" }));
    const messages = file("messages.txt", '16.180 c5 -> n2 append {"key":"a0.0","value":"c5:1"} id=2132/1 delivered@17.943\n1700.000 FAULT SIGKILL n1 (leader)\n');
    const r = run("--model", "auto", timeline, messages, validEdn);
    expect(r.code).toBe(4);
    const lines = r.out.trim().split("\n");
    expect(lines[0]).toBe(`${timeline}: ERROR ${timeline}:1: this is an HTML page, not a history (kv-sim writes the history as history.edn or history.json beside it)`);
    expect(lines[1]).toBe(`${messages}: ERROR ${messages}:1: this is kv-sim's messages.txt (the run's client messages and faults), not a history (kv-sim writes the history as history.edn or history.json beside it)`);
    expect(lines[2]).toMatch(/valid\.edn: valid/);
  });

  it("checks Knossos' multi-register transactions (--model multi-register) in a list-shaped file, from --initial values", () => {
    const knossos = file(
      "multi-register.edn",
      `; x and y start at 0
({:type :invoke, :f :txn, :value [[:read :x nil] [:read :y nil]], :process 0}
 {:type :invoke, :f :txn, :value [[:write :x 1] [:write :y 1]], :process 1}
 ; a read of both sees neither write or both
 {:type :ok, :f :txn, :value [[:read :x 0] [:read :y 0]], :process 0}
 {:type :ok, :f :txn, :value [[:write :x 1] [:write :y 1]], :process 1}
 {:type :invoke, :f :txn, :value [[:read :x nil] [:read :y nil]], :process 0}
 {:type :ok, :f :txn, :value [[:read :x 1] [:read :y 1]], :process 0})
`,
    );
    const torn = file(
      "torn.edn",
      `({:type :invoke, :f :txn, :value [[:write :x 1] [:write :y 1]], :process 1}
 {:type :ok, :f :txn, :value [[:write :x 1] [:write :y 1]], :process 1}
 {:type :invoke, :f :txn, :value [[:read :x nil] [:read :y nil]], :process 0}
 {:type :ok, :f :txn, :value [[:read :x 1] [:read :y 0]], :process 0})
`,
    );
    const ok = run(knossos, "--model", "multi-register", "--initial", "{:x 0 :y 0}");
    expect(ok.out).toMatch(/multi-register\.edn: valid \(multi-register, 3 ops, \d+ ms\)\n$/);
    expect(ok.code).toBe(0);
    const bad = run(torn, "--model", "multi-register", "--initial", "{:x 0, :y 0}", "--json");
    expect(bad.code).toBe(1);
    const o = JSON.parse(bad.out) as { valid: unknown; failure: { key: string; message: string; involved: number[] } };
    expect(o.valid).toBe(false);
    expect(o.failure.key).toBe(":x :y");
    expect(o.failure.message).toMatch(/^keys :x :y: process 0's txn \[\[:read :x 1\] \[:read :y 0\]\] \(ops 2\.\.3\) cannot be linearized/);
    expect(o.failure.involved).toEqual([0, 2]);
    // Without --initial the keys start as nil, and the first read of 0 is the violation.
    expect(run(knossos, "--model", "multi-register").out).toContain("process 0's txn [[:read :x 0] [:read :y 0]] (ops 0..2) cannot be linearized");
    const usage = run(knossos, "--model", "register", "--initial", "{:x 0}");
    expect(usage.code).toBe(2);
    expect(usage.err).toContain("--initial is for --model multi-register");
    const notMap = run(knossos, "--model", "multi-register", "--initial", "[0 0]");
    expect(notMap.code).toBe(2);
    expect(notMap.err).toContain("--initial: expected an EDN map of keys to values");
    // The txn the register model refuses: key 1 was never written, so its read of 4 is a violation.
    expect(run(txn, "--model", "multi-register").code).toBe(1);
  });

  it("exits 2 with a clear message on usage errors, 0 on --help", () => {
    const noModel = run(validEdn);
    expect(noModel.code).toBe(2);
    expect(noModel.err).toContain("--model is required");
    const badModel = run(validEdn, "--model", "linear");
    expect(badModel.code).toBe(2);
    expect(badModel.err).toContain("unknown --model 'linear'");
    const emptyHtml = run(validEdn, "--model", "register", "--html", "");
    expect(emptyHtml.code).toBe(2);
    expect(emptyHtml.out).toBe("");
    expect(emptyHtml.err.split("\n")[0]).toBe("history-check: --html: needs the file (or directory) to write the timeline to");
    const help = run("--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: history-check FILE...");
    expect(help.out).toContain("multi-register  Knossos' :txn");
    expect(help.out).toContain("--initial EDN");
  });

  it("creates the directory of --html OUT; a timeline it cannot write is reported beside the verdict", () => {
    const nested = join(dir, "new", "deeper", "t.html");
    expect(run(validEdn, "--model", "register", "--html", nested).code).toBe(0);
    expect(readFileSync(nested, "utf8")).toContain("<!doctype html>");
    const underFile = join(validEdn, "t.html");
    const r = run(validEdn, "--model", "register", "--html", underFile, "--json");
    expect(r.code).toBe(4);
    expect(JSON.parse(r.out.trim())).toMatchObject({ valid: true, html_error: `cannot write the timeline ${underFile}: ${validEdn} is a regular file, not a directory` });
    expect(r.err).toContain(`history-check: cannot write the timeline ${underFile}`);
    // An invalid verdict still wins.
    expect(run(invalidJson, "--model", "register", "--html", underFile).code).toBe(1);
  });

  it("says why the directory of --html OUT cannot be made, at once, where a recursive mkdir would never return (/proc)", () => {
    const one = run(validEdn, "--model", "register", "--html", "/proc/dslab-no-such/t.html");
    expect(one.code).toBe(4);
    expect(one.out).toContain("valid.edn: valid");
    expect(one.err).toBe("history-check: cannot write the timeline /proc/dslab-no-such/t.html: cannot create /proc/dslab-no-such: /proc allows no new directory there (ENOENT; /proc and /sys hold no data)\n");
    const many = run(validEdn, invalidJson, "--model", "register", "--html", "/proc/dslab-no-such/");
    expect(many.code).toBe(4);
    expect(many.err.split("\n")[0]).toBe("history-check: --html /proc/dslab-no-such/: cannot create /proc/dslab-no-such: /proc allows no new directory there (ENOENT; /proc and /sys hold no data)");
  });

  it("reports an --html OUT that is a FIFO as a timeline it cannot write, at once, without waiting for a reader; the verdict stands", () => {
    const fifo = join(dir, "timeline.fifo");
    execFileSync("mkfifo", [fifo]);
    const r = run(validEdn, "--model", "register", "--html", fifo);
    rmSync(fifo);
    expect(r.code).toBe(4);
    expect(r.out).toContain("valid.edn: valid");
    expect(r.err).toBe(`history-check: cannot write the timeline ${fifo}: it is a FIFO (named pipe) or socket with no reader, not a regular file\n`);
  });

  it("refuses an --html OUT that is one of the histories (by another path or a link too) as a usage error, and leaves the history as it was", () => {
    const history = file("kept.edn", writeHistoryEdn(b1.build()));
    const before = readFileSync(history, "utf8");
    const link = join(dir, "kept-link.edn");
    symlinkSync(history, link);
    for (const out of [history, `${dir}/./kept.edn`, link]) {
      const r = run(history, "--model", "register", "--html", out);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err.split("\n")[0]).toBe(`history-check: --html ${out} is the history ${history}: the timeline would overwrite it; name another file, e.g. --html ${out}.html`);
      expect(readFileSync(history, "utf8")).toBe(before);
    }
  });

  it("writes the timelines of 2,500 histories in one call, each looked at once for whether a timeline would overwrite it (not once per pair of them), and still refuses a link to one", () => {
    const many = join(dir, "many");
    const out = join(dir, "many-out");
    execFileSync("mkdir", ["-p", many, out]);
    const text = writeHistoryEdn(b1.build());
    const files = Array.from({ length: 2_500 }, (_, i) => join(many, `h${i}.edn`));
    for (const f of files) writeFileSync(f, text);
    const r = run(...files, "--model", "register", "--html", out);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out.trim().split("\n")).toHaveLength(2_500);
    expect(readFileSync(join(out, "h2499.edn.html"), "utf8")).toContain("<!doctype html>");
    // A timeline name that is a link to one of the histories is still refused.
    rmSync(join(out, "h3.edn.html"));
    symlinkSync(files[7]!, join(out, "h3.edn.html"));
    const refused = run(...files.slice(0, 10), "--model", "register", "--html", out);
    expect(refused.code).toBe(2);
    expect(refused.err.split("\n")[0]).toBe(`history-check: --html ${out}: the timeline ${join(out, "h3.edn.html")} is the history ${files[7]} and would overwrite it; name another directory`);
    rmSync(many, { recursive: true });
    rmSync(out, { recursive: true });
  });

  it("reports a value nested deeper than the limit in EDN and JSON as an input error with file:line and the limit, and reads one at the limit", () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    const ednDeep = file("deep.edn", `{:type :invoke, :f :write, :value 1, :process 0}\n{:type :ok, :f :write, :value ${deep(5000)}, :process 0}\n`);
    const jsonDeep = file("deep.jsonl", `{"type":"invoke","f":"write","value":1,"process":0}\n{"type":"ok","f":"write","process":0,"value":${deep(200_000)}}\n`);
    const discards = file("discards.edn", "#_".repeat(50_000) + "{:type :invoke, :f :read, :process 0}\n");
    const r = run(ednDeep, jsonDeep, discards, "--model", "register");
    expect(r.code).toBe(4);
    expect(r.err).toBe("");
    const lines = r.out.trim().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^${ednDeep}: ERROR ${ednDeep}:2:\\d+: nested deeper than ${NESTING_DEPTH_MAX} levels`));
    expect(lines[1]).toMatch(new RegExp(`^${jsonDeep}: ERROR ${jsonDeep}:2:\\d+: nested deeper than ${NESTING_DEPTH_MAX} levels`));
    expect(lines[2]).toMatch(new RegExp(`^${discards}: ERROR ${discards}:1:\\d+: nested deeper than ${NESTING_DEPTH_MAX} levels`));
    // A value exactly at the limit goes through every walk: the check, --json and the timeline.
    const atLimit = deep(NESTING_DEPTH_MAX - 1);
    const ok = file("at-limit.edn", `{:type :invoke, :f :write, :value ${atLimit}, :process 0}\n{:type :ok, :f :write, :value ${atLimit}, :process 0}\n`);
    const okJson = file("at-limit.jsonl", `{"type":"invoke","f":"write","value":${atLimit},"process":0}\n{"type":"ok","f":"write","process":0,"value":${atLimit}}\n`);
    const v = run(ok, okJson, "--model", "register", "--json", "--html", join(dir, "deep-html"));
    expect(v.err).toBe("");
    expect(v.out.trim().split("\n").map((l) => (JSON.parse(l) as { valid: unknown }).valid)).toEqual([true, true]);
    expect(v.code).toBe(0);
  });

  it("reports an empty history, or one with only nemesis events, as an input error rather than valid", () => {
    const empty = file("empty.edn", "");
    const blank = file("blank.jsonl", "\n\n");
    const onlyFaults = file("faults.edn", "{:type :info, :f :start-partition, :value :majority, :process :nemesis}\n");
    const r = run(empty, blank, onlyFaults, "--model", "register");
    expect(r.code).toBe(4);
    expect(r.out).toContain(`${empty}: ERROR ${empty}:1: the history has no operations; an empty history shows nothing`);
    expect(r.out).toContain(`${blank}: ERROR ${blank}:1: the history has no operations; an empty history shows nothing`);
    expect(r.out).toContain(`${onlyFaults}: ERROR ${onlyFaults}:1: the history has no client operations, only nemesis events`);
    expect(r.out).not.toContain("valid");
  });

  it("reports a process with two open invocations as an input error naming the line and the process", () => {
    const edn = file("two-open.edn", "{:type :invoke, :f :write, :value 1, :process 0}\n{:type :invoke, :f :write, :value 2, :process 1}\n{:type :invoke, :f :read, :process 0}\n{:type :ok, :f :read, :value 1, :process 0}\n");
    const json = file("two-open.jsonl", '{"type":"invoke","f":"write","value":1,"process":3}\n{"type":"invoke","f":"write","value":2,"process":3}\n');
    for (const model of ["register", "exactly-once"]) {
      const r = run(edn, json, "--model", model);
      expect(r.code).toBe(4);
      expect(r.out).toContain(`${edn}: ERROR ${edn}:3: op 2: process 0 invokes :read while its :write (op 0) is still open; a process runs one operation at a time`);
      expect(r.out).toContain(`${json}: ERROR ${json}:2: op 1: process 3 invokes :write while its :write (op 0) is still open`);
    }
  });

  it("names the line of an operation inside a JSON array or an EDN vector that spans lines", () => {
    const json = file("two-open-array.json", '[\n  {"type":"invoke","f":"write","value":1,"process":5},\n\n  {"type":"invoke","f":"read","process":5}\n]\n');
    const edn = file("two-open-vector.edn", "[{:type :invoke, :f :write, :value 1, :process 5}\n ; a comment\n {:type :invoke, :f :read, :process 5}]\n");
    const r = run(json, edn, "--model", "register");
    expect(r.code).toBe(4);
    expect(r.out).toContain(`${json}: ERROR ${json}:4: op 1: process 5 invokes :read while its :write (op 0) is still open`);
    expect(r.out).toContain(`${edn}: ERROR ${edn}:3: op 1: process 5 invokes :read while its :write (op 0) is still open`);
  });

  it("reports an exactly-once history without client_id and seq as unknown, naming the missing fields and the line", () => {
    const noIdentity = file("no-identity.edn", ['{:type :invoke, :f :append, :key "k", :value 1, :process 0}', '{:type :ok, :f :append, :key "k", :value [1], :process 0}', '{:type :invoke, :f :read, :key "k", :process 1}', '{:type :ok, :f :read, :key "k", :value [1], :process 1}', ""].join("\n"));
    const noSeq = file("no-seq.jsonl", ['{"type":"invoke","f":"incr","key":"n","value":1,"process":0,"client_id":"c1","seq":1}', '{"type":"ok","f":"incr","key":"n","value":1,"process":0}', '{"type":"invoke","f":"incr","key":"n","value":1,"process":0,"client_id":"c1"}', '{"type":"ok","f":"incr","key":"n","value":2,"process":0}', ""].join("\n"));
    const r = run(noIdentity, noSeq, "--model", "exactly-once", "--json");
    expect(r.code).toBe(3);
    const [a, b] = r.out.trim().split("\n").map((l) => JSON.parse(l) as { valid: unknown; reason: string });
    expect(a!.valid).toBe("unknown");
    expect(a!.reason).toBe(`${noIdentity}:1: op 0: append has no client_id and no seq, which the exactly-once check needs on every append and incr to tell a retry from a second request (1 of 1 writes lack them)`);
    expect(b!.valid).toBe("unknown");
    expect(b!.reason).toContain(`${noSeq}:3: op 2: incr has no seq`);
  });

  it("reports an exactly-once check of a history with no append or incr as unknown, naming what it has", () => {
    const r = run(validEdn, "--model", "exactly-once");
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/valid\.edn: UNKNOWN \(exactly-once, 2 ops, \d+ ms\) no append or incr operation to judge \(the history has :f read, write\); the exactly-once check judges append and incr workloads with client_id and seq/);
  });

  it("writes an HTML timeline per file with --html", () => {
    const out = join(dir, "html");
    const r = run(validEdn, invalidJson, "--model", "register", "--html", out);
    expect(r.code).toBe(1);
    expect(existsSync(join(out, "valid.edn.html"))).toBe(true);
    expect(readFileSync(join(out, "invalid.jsonl.html"), "utf8")).toMatch(/class="op ok[^"]*failed/);
  });
});

describe("history-check - (standard input)", () => {
  function piped(input: string | Buffer, ...args: string[]) {
    const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8", timeout: 30_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }
  const validText = readFileSync(validEdn, "utf8");

  it("reads an EDN history piped to standard input as -", () => {
    const r = piped(validText, "-", "--model", "register");
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^-: valid \(register, 2 ops, \d+ ms\)\n$/);
  });

  it("reads a JSON history piped to standard input, told by its content, and judges it", () => {
    const r = piped(readFileSync(invalidJson, "utf8"), "-", "--model", "register", "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out.trim())).toMatchObject({ file: "-", valid: false, ops: 3 });
  });

  it("checks - beside files, in the order given, on one thread or several", () => {
    for (const jobs of ["1", "2"]) {
      const r = piped(readFileSync(invalidJson, "utf8"), validEdn, "-", validEdn, "--model", "register", "--jobs", jobs);
      expect(r.code).toBe(1);
      const lines = r.out.trim().split("\n");
      expect(lines[0]).toContain("valid.edn: valid");
      expect(lines[1]).toMatch(/^-: INVALID \(register, 3 ops/);
      expect(lines[2]).toContain("valid.edn: valid");
    }
  });

  it("reports a malformed piped history as bad input at <stdin>:line:column", () => {
    const r = piped(readFileSync(malformed, "utf8"), "-", "--model", "register");
    expect(r.code).toBe(4);
    expect(r.out).toMatch(/^-: ERROR <stdin>:2:\d+: /);
    expect(r.err).toBe("");
  });

  it("reports an empty standard input as a history with no operations", () => {
    const r = piped("", "-", "--model", "register");
    expect(r.code).toBe(4);
    expect(r.out).toBe("-: ERROR <stdin>:1: the history has no operations; an empty history shows nothing\n");
  });

  it("refuses - given twice as a usage error", () => {
    const r = piped(validText, "-", "-", "--model", "register");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err.split("\n")[0]).toBe("history-check: - (standard input) is given twice; it can be read once");
  });

  it("refuses piped input too large for the heap the process has left, with how to raise the limit, and checks the other files", () => {
    const b = new HistoryBuilder();
    for (let i = 0; i < 65_000; i++) {
      b.invoke(i % 10, "write", i);
      b.ok(i % 10);
    }
    const r = spawnSync(process.execPath, [BIN, "-", validEdn, "--model", "register"], { input: writeHistoryEdn(b.build()), encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=48" } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(4);
    expect(r.stdout).toMatch(/^-: ERROR cannot read standard input: too large for this process's memory: reading and checking its \d+ bytes \(\d+ maps\) takes about \d+ MB of heap, and \d+ MB is left of the \d+ MB limit \(raise it with NODE_OPTIONS=--max-old-space-size=MB\)\n/);
    expect(r.stdout).toContain("valid.edn: valid");
  });

  it("writes the timeline of - to --html OUT, and to OUT/stdin.html when OUT is a directory or there are several inputs", () => {
    const one = join(dir, "stdin-one.html");
    expect(piped(validText, "-", "--model", "register", "--html", one).code).toBe(0);
    expect(readFileSync(one, "utf8")).toContain("<!doctype html>");
    const out = join(dir, "stdin-html");
    const r = piped(validText, "-", validEdn, "--model", "register", "--html", out);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, "stdin.html"), "utf8")).toContain("<!doctype html>");
    expect(existsSync(join(out, "valid.edn.html"))).toBe(true);
  });

  it("says how to read a pipe when given one as a path (/dev/stdin)", () => {
    const fifo = join(dir, "stdin-hint.fifo");
    execFileSync("mkfifo", [fifo]);
    const r = run(fifo, "--model", "register");
    rmSync(fifo);
    expect(r.out).toBe(`${fifo}: ERROR cannot read ${fifo}: it is a FIFO (named pipe), not a regular file (to read a pipe, give - and pipe the history to standard input)\n`);
  });

  it("names - (standard input) in --help", () => {
    expect(run("--help").out).toMatch(/\n {2}-\s+\(as a FILE\) read one history from standard input/);
  });
});

describe("history-check - redirected from a file", () => {
  it("refuses --html naming the file standard input is redirected from, as it would overwrite the history", () => {
    const history = join(dir, "redirected.edn");
    writeFileSync(history, writeHistoryEdn(b1.build()));
    const fd = openSync(history, "r");
    const r = spawnSync(process.execPath, [BIN, "-", "--model", "register", "--html", history], { stdio: [fd, "pipe", "pipe"], encoding: "utf8", timeout: 30_000 });
    closeSync(fd);
    expect(r.status).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`history-check: --html ${history} is the history -: the timeline would overwrite it; name another file, e.g. --html ${history}.html`);
    expect(readFileSync(history, "utf8")).toBe(writeHistoryEdn(b1.build()));
  });
});

/** A transaction of `n` writes, `[[:write :k0 0] [:write :k1 1] ...]`, as EDN text. */
function bigTxn(n: number): string {
  const micro: string[] = [];
  for (let i = 0; i < n; i++) micro.push(`[:write :k${i} ${i}]`);
  return `[${micro.join(" ")}]`;
}

describe("history-check --op-max-chars", () => {
  it("refuses one giant operation at once, naming the op and its line, where --time-limit-s would let it run on for seconds", () => {
    // A 60 MB transaction of 1,200,000 writes, called and returned: many seconds to read and prepare whatever the time limit.
    const txn = bigTxn(1_200_000);
    const h = file(
      "giant.edn",
      `{:type :invoke, :f :txn, :value [[:read :x nil]], :process 0}\n{:type :ok, :f :txn, :value [[:read :x nil]], :process 0}\n{:type :invoke, :f :txn, :value ${txn}, :process 1}\n{:type :ok, :f :txn, :value ${txn}, :process 1}\n`,
    );
    const started = performance.now();
    const r = run(h, "--model", "multi-register", "--time-limit-s", "1");
    const seconds = (performance.now() - started) / 1000;
    expect(r.out).toBe(
      `${h}: ERROR ${h}:3:1: op 2 is longer than 2000000 characters, the most one operation may take (--op-max-chars): one value this large takes seconds to read and prepare, which the time limit cannot interrupt\n`,
    );
    expect(r.code).toBe(4);
    expect(seconds).toBeLessThan(5);
  });

  it("checks an operation longer than the default when --op-max-chars gives it room, and refuses a bound that is no positive integer", () => {
    const txn = bigTxn(110_000);
    expect(txn.length).toBeGreaterThan(2_000_000);
    const h = file("big-txn.edn", `{:type :invoke, :f :txn, :value ${txn}, :process 0}\n{:type :ok, :f :txn, :value ${txn}, :process 0}\n`);
    const refused = run(h, "--model", "multi-register");
    expect(refused.code).toBe(4);
    expect(refused.out).toContain(`${h}:1:1: op 0 is longer than 2000000 characters`);
    const checked = run(h, "--model", "multi-register", "--op-max-chars", "3000000");
    expect(checked.out).toMatch(new RegExp(`^${h.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: valid \\(multi-register, 1 ops, \\d+ ms\\)\n$`));
    expect(checked.code).toBe(0);
    const bad = run(h, "--model", "multi-register", "--op-max-chars", "0");
    expect(bad.code).toBe(2);
    expect(bad.err.split("\n")[0]).toBe('history-check: --op-max-chars: expected an integer >= 1, got "0"');
  });
});

describe("history-check --time-limit-s, in process with an injected clock", () => {
  it("counts reading and parsing a file toward the limit: a file whose reading took longer is unknown (time limit), not valid", async () => {
    const { runCli } = await import("../../src/cli/run.js");
    const out: string[] = [];
    let readings = 0;
    // The first two readings (before the file is read, and the look at the clock before its first operation) are in time;
    // every later one is 5 s on, as if reading its 4 events (too few for another look) had taken that long.
    const now = () => (readings++ < 2 ? 0 : 5000);
    const code = await runCli([validEdn, "--model", "register", "--time-limit-s", "1"], { out: (l) => out.push(l), err: (l) => out.push(l), now });
    expect(out).toEqual([`${validEdn}: UNKNOWN (register, 2 ops, 5000 ms) time limit of 1000 ms reached before the search: reading and preparing the history took 5000 ms`]);
    expect(code).toBe(3);
  });

  it("stops reading a file between operations once the limit is up: unknown (time limit), saying where, with no timeline", async () => {
    const { runCli } = await import("../../src/cli/run.js");
    const out: string[] = [];
    let readings = 0;
    // The first reading is taken before the file is read; every later one, 5 s on.
    const now = () => (readings++ === 0 ? 0 : 5000);
    const html = join(dir, "unread.html");
    const code = await runCli([validEdn, "--model", "register", "--time-limit-s", "1", "--json", "--html", html], { out: (l) => out.push(l), err: (l) => out.push(l), now });
    expect(out.map((l) => JSON.parse(l) as unknown)).toEqual([
      { file: validEdn, model: "register", reason: `time limit of 1000 ms reached while reading the history, at ${validEdn}:1 after 0 operation events`, valid: "unknown", ms: 5000 },
    ]);
    expect(code).toBe(3);
    expect(existsSync(html)).toBe(false);
  });
});

describe("history-check - redirected from a directory", () => {
  it("says standard input is a directory rather than an empty history", () => {
    const fd = openSync(dir, "r");
    const r = spawnSync(process.execPath, [BIN, "-", validEdn, "--model", "register"], { stdio: [fd, "pipe", "pipe"], encoding: "utf8", timeout: 30_000 });
    closeSync(fd);
    expect(r.status).toBe(4);
    expect(r.stdout.split("\n")[0]).toBe("-: ERROR cannot read standard input: it is a directory");
    expect(r.stdout).toContain("valid.edn: valid");
  });
});

describe("history-check --html -", () => {
  it("is a usage error: the timeline is written to a file, and standard output carries the verdicts", () => {
    const r = run(validEdn, "--model", "register", "--html", "-");
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err.split("\n")[0]).toBe("history-check: --html -: a timeline is written to a file (standard output carries the verdicts); name one, e.g. --html timeline.html");
  });
});
