/**
 * `kv-sim run` refuses what cannot work before it simulates anything: an
 * --out it cannot write (exit 4: an output that cannot be written), a --bin
 * that cannot start (exit 2: the command line names something unusable). Each
 * is one line naming the option, and no verdict is printed.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
/** Generous: a refusal takes a few seconds even on a loaded machine; this only stops a command that hangs. */
const SETUP_TIMEOUT_MS = 40_000;
const kvSim = (args: string[]) =>
  execa(process.execPath, [bin, ...args], { reject: false, cwd: repoRoot, env: { FORCE_COLOR: "0" }, timeout: SETUP_TIMEOUT_MS, killSignal: "SIGKILL" });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kv-sim-setup-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("kv-sim run: --out is checked before the run", () => {
  test.each([
    ["a directory nobody can write to (/proc/self)", "/proc/self", "--out /proc/self: cannot write there: "],
    ["a directory that cannot be created under /proc", "/proc/self/kv-sim-out", "--out /proc/self/kv-sim-out: cannot create the directory /proc/self/kv-sim-out: "],
  ])("an --out that is %s is refused (exit 4) before anything is simulated", async (_name, out, message) => {
    const r = await kvSim(["run", "--seed", "3", "--time-limit-s", "1", "--out", out]);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toContain(`kv-sim: ${message}`);
    expect(r.stderr).toContain("give a directory you can write to");
    expect(r.stdout).toBe("");
  });

  test("an --out under a regular file, or holding a FIFO where an output goes, is refused before the run", async () => {
    const file = join(dir, "a-file");
    await writeFile(file, "x");
    const under = await kvSim(["run", "--time-limit-s", "1", "--out", join(file, "out")]);
    expect(under.exitCode).toBe(4);
    expect(under.stderr).toBe(`kv-sim: --out ${join(file, "out")}: ${file} exists and is not a directory; give a directory for the outputs`);
    const withFifo = join(dir, "with-fifo");
    execFileSync("mkdir", [withFifo]);
    execFileSync("mkfifo", [join(withFifo, "history.edn")]);
    const fifo = await kvSim(["run", "--time-limit-s", "1", "--out", withFifo]);
    expect(fifo.timedOut).toBe(false);
    expect(fifo.exitCode).toBe(4);
    expect(fifo.stderr).toContain(`--out ${withFifo}: history.edn exists and is not a regular file (a FIFO, socket or device)`);
    // The write check leaves nothing behind.
    expect(await readdir(withFifo)).toEqual(["history.edn"]);
  });
});

/** What follows a usage error, and only a usage error: a --bin or module under test that fails is not one (the command line is right). */
const USAGE_HINT = "Run `kv-sim --help` for usage.";

describe("kv-sim run: a --bin that cannot start is a set-up error at once, not a verdict, and not sent to --help", () => {
  test.each([
    ["a program that does not exist", "/nonexistent/prog", /^kv-sim: --bin: cannot start "\/nonexistent\/prog": .*ENOENT/],
    ["a program that exits before answering init", "node /nonexistent/prog.js", /^kv-sim: --bin: "node \/nonexistent\/prog\.js" cannot start: node n\d exited before answering init \(exit code 1\); stderr: .*Cannot find module/],
  ])("%s", async (_name, command, message) => {
    const out = join(dir, `out-${command.replace(/\W+/g, "-")}`);
    const r = await kvSim(["run", "--bin", command, "--time-limit-s", "1", "--out", out]);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain(USAGE_HINT);
    expect(r.stdout).not.toMatch(/verdict/);
  });

  test("the --out directories the check made for a run that never ran are removed again; one that was there stays", async () => {
    const made = join(dir, "made-for-nothing", "out");
    const r = await kvSim(["run", "--bin", "/nonexistent/prog", "--time-limit-s", "1", "--out", made]);
    expect(r.exitCode).toBe(2);
    expect(await readdir(dir)).not.toContain("made-for-nothing");
    const existing = join(dir, "was-there");
    await mkdir(existing);
    const again = await kvSim(["run", "--bin", "/nonexistent/prog", "--time-limit-s", "1", "--out", existing]);
    expect(again.exitCode).toBe(2);
    expect(await readdir(existing)).toEqual([]);
  });
});

describe("kv-sim run: a --core or --client module whose code throws", () => {
  const throwingModule = (kind: "core" | "client"): string => {
    const fn = kind === "core" ? "createKvNodeCore" : "createClient";
    return `export function ${fn}() {\n  throw new TypeError("the ${kind} under test is broken");\n}\n`;
  };

  test.each(["core", "client"] as const)("a --%s that throws while the run uses it: exit 2, the error and the module's line, no stack of kv-sim", async (kind) => {
    const file = join(dir, `broken-${kind}.mts`);
    await writeFile(file, throwingModule(kind));
    const r = await kvSim(["run", "--seed", "3", "--time-limit-s", "1", `--${kind}`, file, "--out", join(dir, `out-${kind}`)]);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`kv-sim: --${kind}: ${file}: threw TypeError: the ${kind} under test is broken\n  at ${file}:2:`);
    expect(r.stderr).not.toMatch(/packages\/sim\/src/);
    expect(r.stderr).not.toContain(USAGE_HINT);
    expect(r.stdout).toBe("");
  });

  test("a stub's not-implemented error points at the stub's function, not at the helper that threw it", async () => {
    const helper = join(dir, "todo.mts");
    await writeFile(helper, `export function todo(fn: string): never {\n  const e = new Error("not implemented yet: " + fn);\n  e.name = "NotImplementedError";\n  throw e;\n}\n`);
    const file = join(dir, "stub-client.mts");
    await writeFile(file, `import { todo } from "./todo.mts";\n\nexport function createClient() {\n  return todo("newClient");\n}\n`);
    const r = await kvSim(["run", "--seed", "3", "--time-limit-s", "1", "--client", file, "--out", join(dir, "out-stub")]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`threw NotImplementedError: not implemented yet: newClient\n  at ${file}:4:`);
  });
});

describe("kv-sim run and swarm: a --core or --client module that returns what its contract does not allow", () => {
  const modules = {
    "a --core whose createKvNodeCore returns nothing": ["core", "export function createKvNodeCore() {}\n", "--core: FILE: createKvNodeCore(config, restored) returned undefined; it must return a core with tick(nowMs), receive(message, nowMs) and status()"],
    "a --client whose createClient returns an object without execute": ["client", "export function createClient() {\n  return {};\n}\n", "--client: FILE: createClient(options) returned an object without execute; it must return a client with execute(op), clientId and nextSeq"],
    "a --client whose execute resolves to nothing": ["client", 'export function createClient() {\n  return { clientId: "c", nextSeq: 1, async execute() {} };\n}\n', "--client: FILE: execute(op) resolved to undefined; it must resolve to a result as the reference client's does"],
  } as const;

  test.each(Object.keys(modules) as (keyof typeof modules)[])("%s: exit 2 naming the module, in run and in a swarm of two jobs, not a verdict or a stack", async (name) => {
    const [kind, source, message] = modules[name];
    const file = join(dir, `${name.replace(/\W+/g, "-")}.mts`);
    await writeFile(file, source);
    const run = await kvSim(["run", "--seed", "3", "--time-limit-s", "1", `--${kind}`, file, "--out", join(dir, `out-${kind}-contract`)]);
    const swarm = await kvSim(["swarm", "--seeds", "4", "--jobs", "2", "--time-limit-s", "1", `--${kind}`, file]);
    for (const r of [run, swarm]) {
      expect(r.timedOut).toBe(false);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain(`kv-sim: ${message.replace("FILE", file)}`);
      expect(r.stderr).not.toMatch(/internal error|packages\/sim\/src/);
      expect(r.stderr).not.toContain(USAGE_HINT);
      expect(r.stdout).not.toMatch(/verdict/);
    }
  });
});

describe("kv-sim run and swarm: a run length past the bound", () => {
  test.each([["run"], ["swarm"]])("kv-sim %s with --time-limit-s 1000000000 is a usage error at once, not a run that never ends", async (command) => {
    const out = join(dir, `huge-${command}`);
    const r = await kvSim([command, "--time-limit-s", "1000000000", ...(command === "run" ? ["--out", out] : ["--seeds", "1"])]);
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^kv-sim: --time-limit-s: expected at most 3600 \(one hour\), got 1000000000: /);
    expect(r.stderr.trimEnd().endsWith(USAGE_HINT)).toBe(true);
    expect(r.stdout).toBe("");
  });
});

describe("kv-sim run: where the outputs go", () => {
  test("an empty --out is a usage error at once, before anything is simulated", async () => {
    const r = await kvSim(["run", "--time-limit-s", "1", "--out", ""]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^kv-sim: --out: empty; give a directory for the outputs, or leave the option out/);
    expect(r.stdout).toBe("");
  });

  test("without --out, a seed that is not a plain name still writes into one kv-sim-seed- directory of the temp directory", async () => {
    const temp = join(dir, "temp");
    await mkdir(temp);
    const r = await execa(process.execPath, [bin, "run", "--seed", "../../x", "--time-limit-s", "1"], { reject: false, cwd: repoRoot, env: { FORCE_COLOR: "0", TMPDIR: temp }, timeout: SETUP_TIMEOUT_MS, killSignal: "SIGKILL" });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`outputs: ${join(temp, "kv-sim-seed-.._.._x")}/{history.edn,`);
    expect(r.stdout).toContain("replay: npm run kv-sim -- run --seed ../../x ");
    expect((await readdir(temp)).filter((f) => f.startsWith("kv-sim-seed-"))).toEqual(["kv-sim-seed-.._.._x"]);
    expect(await readdir(join(temp, "kv-sim-seed-.._.._x"))).toContain("history.edn");
  });
});
