/**
 * `kv-sim explore` on the command line: --help, the usage errors (exit 2),
 * trace files that cannot be read or are not search traces (exit 4, with the
 * file and the reason), a port in use (exit 2), and a served explorer that
 * prints its URL, answers on it, and stops with exit 0 on SIGINT.
 */
import { execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const TIMEOUT_MS = 60_000;
const kvSim = (args: string[]) => execa(process.execPath, [bin, ...args], { reject: false, cwd: root, env: { FORCE_COLOR: "0" }, timeout: TIMEOUT_MS, killSignal: "SIGKILL" });

/** The URL a running `kv-sim explore` prints once it serves; rejects if it exits first. */
function servingUrl(child: ReturnType<typeof kvSim>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString("utf8");
      const m = /^explore: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    void child.then((r) => reject(new Error(`exited ${r.exitCode}: ${r.stderr}`)));
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kv-sim-explore-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("kv-sim explore: the command line", () => {
  test("--help prints the usage, the options and the exit codes; kv-sim --help lists explore", async () => {
    const r = await kvSim(["explore", "--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^kv-sim explore: /);
    for (const option of ["--scenario", "--trace", "--workbook", "--solution", "--store", "--rules", "--core", "--port", "--open", "--no-open", "--max-term", "--clients"]) expect(r.stdout).toContain(option);
    expect(r.stdout).toMatch(/Exit codes: 0 stopped by Ctrl-C; 2 usage/);
    expect(r.stdout).toMatch(/a port in use\); 4 a trace file/);
    expect(r.stdout).toContain("The path holds at most\n10,000 states; request bodies at most 1 MiB.");
    const all = await kvSim(["--help"]);
    expect(all.stdout).toMatch(/^ {2}kv-sim explore \[options\] /m);
  });

  test.each([
    [["explore"], /^kv-sim: --scenario: required \(one of dedup-single/],
    [["explore", "--scenario", "dedup-double"], /^kv-sim: --scenario: expected one of .*got "dedup-double"/],
    [["explore", "--scenario", "dedup-single", "--port", "70000"], /^kv-sim: --port: expected an integer from 0 to 65535, got "70000"/],
    [["explore", "--scenario", "dedup-single", "--open", "--no-open"], /^kv-sim: --open and --no-open: give one/],
    [["explore", "--scenario", "dedup-single", "--solution", "--store", "x.ts"], /^kv-sim: --workbook, --solution, --store, --rules and --core: give at most one/],
    [["explore", "--scenario", "vote-rules-3", "--store", "x.ts"], /^kv-sim: --store: vote-rules-3 runs vote rules; give --rules FILE/],
    [["explore", "--scenario", "dedup-single", "--max-term", "3"], /^kv-sim: --max-term: not a shape option of dedup-single \(its options: --clients, --appends/],
    [["explore", "--scenario", "dedup-single", "--store", "no/such/store.ts"], /^kv-sim: --store: cannot load .*no\/such\/store\.ts/],
    [["explore", "--scenario", "dedup-single", "--clients", "3", "--solution"], /^kv-sim: --clients: dedup-single takes 1 or 2 clients, got 3$/m],
    [["explore", "--scenario", "dedup-single", "--appends", "0", "--solution"], /^kv-sim: --appends: dedup-single takes at least 1 append per client, got 0$/m],
    [["explore", "--scenaro", "dedup-single"], /^kv-sim: unknown option --scenaro \(did you mean --scenario\?\)/],
  ])("kv-sim %j is a usage error (exit 2)", async (args, message) => {
    const r = await kvSim(args);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).not.toMatch(/explore: http/);
  });

  test("a trace file that cannot be read, is not JSON, is not a search trace, or does not fit the scenarios: exit 4 with the file and the reason", async () => {
    const missing = join(dir, "missing.json");
    const r1 = await kvSim(["explore", "--trace", missing, "--solution"]);
    expect(r1.exitCode).toBe(4);
    expect(r1.stderr).toMatch(new RegExp(`^kv-sim: --trace ${missing}: cannot read it: ENOENT`));
    const broken = join(dir, "broken.json");
    await writeFile(broken, '{"kind": "dslab-search-trace", ');
    const r2 = await kvSim(["explore", "--trace", broken, "--solution"]);
    expect(r2.exitCode).toBe(4);
    expect(r2.stderr).toMatch(new RegExp(`^kv-sim: --trace ${broken}: not JSON: `));
    const history = join(dir, "history.json");
    await writeFile(history, JSON.stringify({ kind: "history", ops: [] }));
    const r3 = await kvSim(["explore", "--trace", history, "--solution"]);
    expect(r3.exitCode).toBe(4);
    expect(r3.stderr).toBe(`kv-sim: --trace ${history}: not a search trace: "kind" is "history", expected "dslab-search-trace"`);
    const shape = join(dir, "shape.json");
    await writeFile(shape, JSON.stringify({ kind: "dslab-search-trace", scenario: "dedup-single", shape: { appends: "two" }, events: [] }));
    const r4 = await kvSim(["explore", "--trace", shape, "--solution"]);
    expect(r4.exitCode).toBe(4);
    expect(r4.stderr).toBe(`kv-sim: --trace ${shape}: the trace's shape: appends: expected an integer from 0 to 50, got "two"`);
    const elsewhere = join(dir, "elsewhere.json");
    await writeFile(elsewhere, JSON.stringify({ kind: "dslab-search-trace", scenario: "no-such-scenario", events: [] }));
    const r5 = await kvSim(["explore", "--trace", elsewhere, "--solution"]);
    expect(r5.exitCode).toBe(4);
    expect(r5.stderr).toMatch(new RegExp(`^kv-sim: --trace ${elsewhere}: scenario "no-such-scenario" is not one of dedup-single`));
  });

  test("a trace file that is not a regular file (a FIFO, a device, a directory) is refused at once by explore and replay with what it is: exit 4, nothing read", async () => {
    const fifo = join(dir, "trace.fifo");
    execFileSync("mkfifo", [fifo]);
    for (const [path, kind] of [
      [fifo, "a FIFO (named pipe)"],
      ["/dev/zero", "a character device"],
      [dir, "a directory"],
    ] as const) {
      const r = await kvSim(["explore", "--trace", path, "--solution", "--no-open"]);
      expect(r.exitCode, r.stderr).toBe(4);
      expect(r.stderr).toBe(`kv-sim: --trace ${path}: it is ${kind}, not a regular file`);
      const replay = await kvSim(["replay", path, "--solution"]);
      expect(replay.exitCode, replay.stderr).toBe(4);
      expect(replay.stderr).toBe(`kv-sim: cannot read the trace ${path}: it is ${kind}, not a regular file`);
    }
  });

  test("a trace fixes the shape: a shape option with --trace is a usage error", async () => {
    const file = join(dir, "empty-trace.json");
    await writeFile(file, JSON.stringify({ kind: "dslab-search-trace", scenario: "dedup-single", shape: { clients: 1, appends: 1 }, invariants: [], events: [], lines: [] }));
    const shape = await kvSim(["explore", "--trace", file, "--clients", "2", "--solution"]);
    expect(shape.exitCode).toBe(2);
    expect(shape.stderr).toMatch(/^kv-sim: --clients: the trace file fixes the scenario's shape/);
  });

  test("a store whose constructor throws cannot give an initial state: exit 2, naming the store and the error", async () => {
    const store = fileURLToPath(new URL("./fixtures/throws-on-start.ts", import.meta.url));
    const r = await kvSim(["explore", "--scenario", "dedup-single", "--store", store, "--no-open"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(`kv-sim: --store: ${store}: the scenario's initial state threw Error: this store cannot start`);
  });

  test("a port in use on 127.0.0.1 is a usage error that names it", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await kvSim(["explore", "--scenario", "dedup-single", "--solution", "--port", String(port), "--no-open"]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.split("\n")[0]).toBe(`kv-sim: --port ${port}: in use on 127.0.0.1; give another, or 0 for a free one`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test("served: prints the URL on 127.0.0.1, answers the API there, and SIGINT stops it with exit 0", async () => {
    const child = execa(process.execPath, [bin, "explore", "--scenario", "dedup-single", "--solution", "--clients", "1", "--appends", "1", "--no-open"], {
      reject: false,
      cwd: root,
      env: { FORCE_COLOR: "0" },
      timeout: TIMEOUT_MS,
      killSignal: "SIGKILL",
    });
    const url = await servingUrl(child);
    const state = (await (await fetch(new URL("/api/state", url))).json()) as { scenario: string; shape: { clients: number; appends: number } };
    expect(state.scenario).toBe("dedup-single");
    expect(state.shape).toMatchObject({ clients: 1, appends: 1 });
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^serving on 127\.0\.0\.1 until Ctrl-C$/m);
  });

  test("a trace file nested thousands of levels deep is refused by explore and replay (exit 4), not a stack overflow", async () => {
    const file = join(dir, "deep.json");
    const deep = "[".repeat(50_000) + "]".repeat(50_000);
    await writeFile(file, `{"kind":"dslab-search-trace","scenario":"dedup-single","shape":{},"invariants":[],"lines":[],"events":[{"kind":"deliver","x":${deep}}]}`);
    const explore = await kvSim(["explore", "--trace", file, "--solution", "--no-open"]);
    expect(explore.exitCode).toBe(4);
    expect(explore.stderr).toBe(`kv-sim: --trace ${file}: not a search trace: it nests deeper than 96 levels`);
    const replay = await kvSim(["replay", file, "--solution"]);
    expect(replay.exitCode).toBe(4);
    expect(replay.stderr).toBe(`kv-sim: ${file}: it nests deeper than 96 levels, which no search trace does`);
  });

  test("a raft-core-3 trace that kv-sim search made with --core FILE is explored with the same --core, to its violation", async () => {
    const core = join(root, "packages/sim/test/fixtures/search-cores/vote-twice.ts");
    const trace = join(dir, "core.json");
    const search = await kvSim(["search", "--scenario", "raft-core-3", "--appends", "0", "--max-term", "1", "--max-elections", "2", "--core", core, "--trace", trace]);
    expect(search.exitCode, search.stderr).toBe(1);
    const child = execa(process.execPath, [bin, "explore", "--trace", trace, "--core", core, "--no-open"], { reject: false, cwd: root, env: { FORCE_COLOR: "0" }, timeout: TIMEOUT_MS, killSignal: "SIGKILL" });
    const url = await servingUrl(child);
    const state = (await (await fetch(new URL("/api/state", url))).json()) as { trace: { length: number; replayed: number }; violation: { invariant: string } | null };
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`code under test: ${core}`);
    expect(r.stderr).toBe("");
    expect(state.trace).toMatchObject({ length: 10, replayed: 10 });
  });
});
