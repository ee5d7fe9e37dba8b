// Each limit of runSandboxed against a real hostile program, with every
// mechanism the machine has and with the /proc watchdog alone: the result
// names the limit and no process of the run survives it.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { runSandboxed, TRUNCATION_MARKER, type SandboxLayout, type SandboxOptions } from "../../src/sandbox/index.js";
import { caps, LIMITS, MODES, layoutWith, newTag, survivors } from "./helpers.js";

const NODE = process.execPath;
const layouts: SandboxLayout[] = [];
afterEach(async () => {
  await Promise.all(layouts.splice(0).map((l) => l.cleanup()));
});

async function setup(uid: number | undefined, files: Record<string, string>) {
  const layout = await layoutWith(files, undefined, uid);
  layouts.push(layout);
  return { layout, ...newTag() };
}

describe.each(MODES)("runSandboxed with $mode", ({ use, uid: modeUid }) => {
  const run = (o: Omit<SandboxOptions, "use" | "uid" | "gid">) => runSandboxed({ ...o, use, ...(modeUid !== undefined ? { uid: modeUid, gid: modeUid } : {}) });
  it("stops an infinite loop at the CPU limit and kills it", async () => {
    const { layout, env, tag } = await setup(modeUid, { "loop.js": "for (;;) {}\n" });
    const r = await run({ command: NODE, args: ["loop.js"], cwd: layout.workDir, env: { ...env, ...layout.env }, limits: { ...LIMITS, wallMs: 30_000 } });
    expect(r.status, JSON.stringify({ ...r, stdout: r.stdout.slice(0, 200), stderr: r.stderr.slice(0, 500) })).toBe("limit");
    expect(r.limit).toBe("cpu");
    expect(r.cpuMs).toBeGreaterThan(LIMITS.cpuMs * 0.5);
    expect(survivors(tag)).toEqual([]);
  });

  it("stops a sleeping loop at the wall-clock limit and kills it", async () => {
    const { layout, env, tag } = await setup(modeUid, { "wait.sh": "#!/bin/sh\nwhile :; do sleep 1; done\n" });
    const r = await run({ command: "/bin/sh", args: ["wait.sh"], cwd: layout.workDir, env: { ...env, ...layout.env }, limits: { ...LIMITS, wallMs: 1_000 } });
    expect(r.status, JSON.stringify({ ...r, stdout: r.stdout.slice(0, 200), stderr: r.stderr.slice(0, 500) })).toBe("limit");
    expect(r.limit).toBe("wall");
    expect(r.wallMs).toBeGreaterThanOrEqual(1_000);
    expect(r.wallMs).toBeLessThan(10_000);
    expect(survivors(tag)).toEqual([]);
  });

  it("stops a fork loop at the process limit and kills every child", async () => {
    // Bounded on its own: 200 sleepers of 20 s at most, even if nothing stopped it.
    const { layout, env, tag } = await setup(modeUid, { "forks.sh": "#!/bin/sh\ni=0\nwhile [ $i -lt 200 ]; do sleep 20 & i=$((i+1)); done\nwait\n" });
    const r = await run({ command: "/bin/sh", args: ["forks.sh"], cwd: layout.workDir, env: { ...env, ...layout.env }, limits: LIMITS });
    expect(r.status, JSON.stringify({ ...r, stdout: r.stdout.slice(0, 200), stderr: r.stderr.slice(0, 500) })).toBe("limit");
    expect(r.limit).toBe("processes");
    expect(r.wallMs).toBeLessThan(15_000);
    expect(survivors(tag)).toEqual([]);
  });

  it("stops a memory bomb at the memory limit", async () => {
    // Buffers live outside the V8 heap, so --max-old-space-size does not stop them; bounded at 2 GiB.
    const { layout, env, tag } = await setup(modeUid, { "bomb.js": "const keep = [];\nfor (let i = 0; i < 128; i++) { keep.push(Buffer.alloc(16 << 20, 1)); }\nconsole.log('survived');\n" });
    const r = await run({ command: NODE, args: ["bomb.js"], cwd: layout.workDir, env: { ...env, ...layout.env }, limits: LIMITS });
    expect(r.status, JSON.stringify({ ...r, stdout: r.stdout.slice(0, 200), stderr: r.stderr.slice(0, 500) })).toBe("limit");
    expect(r.limit).toBe("memory");
    expect(r.stdout).not.toContain("survived");
    expect(survivors(tag)).toEqual([]);
  });

  it("stops a Python memory bomb at the memory limit", async () => {
    const { layout, env, tag } = await setup(modeUid, { "bomb.py": "keep = []\nfor i in range(128):\n    keep.append(b'x' * (16 << 20))\nprint('survived')\n" });
    const r = await run({ command: "/usr/bin/python3", args: ["bomb.py"], cwd: layout.workDir, env: { ...env, ...layout.env }, limits: LIMITS });
    expect(r.status, JSON.stringify({ ...r, stdout: r.stdout.slice(0, 200), stderr: r.stderr.slice(0, 500) })).toBe("limit");
    expect(r.limit).toBe("memory");
    expect(r.stdout).not.toContain("survived");
    expect(survivors(tag)).toEqual([]);
  });

  it("stops a V8 heap bomb at the memory limit (Node's --max-old-space-size or the tree limit)", async () => {
    const { layout, env, tag } = await setup(modeUid, { "heap.js": "const keep = [];\nfor (let i = 0; i < 5e7; i++) keep.push({ i, s: 'x' + i });\nconsole.log('survived');\n" });
    const r = await run({ command: NODE, args: ["heap.js"], cwd: layout.workDir, env: { ...env, ...layout.env }, limits: { ...LIMITS, cpuMs: 20_000, wallMs: 30_000 } });
    expect(r.status, JSON.stringify({ ...r, stdout: r.stdout.slice(0, 200), stderr: r.stderr.slice(0, 500) })).toBe("limit");
    expect(r.limit).toBe("memory");
    expect(survivors(tag)).toEqual([]);
  });

  it("truncates megabytes of output at the output limit, with a marker, and kills the writer", async () => {
    const { layout, env, tag } = await setup(modeUid, { "flood.js": "const line = 'x'.repeat(1023) + '\\n';\nfor (let i = 0; i < 64 * 1024; i++) process.stdout.write(line);\n" });
    const r = await run({ command: NODE, args: ["flood.js"], cwd: layout.workDir, env: { ...env, ...layout.env }, limits: { ...LIMITS, outputBytes: 256 * 1024 } });
    expect(r.status, JSON.stringify({ ...r, stdout: r.stdout.slice(0, 200), stderr: r.stderr.slice(0, 500) })).toBe("limit");
    expect(r.limit).toBe("output");
    expect(r.outputTruncated).toBe(true);
    expect(r.stdout.endsWith(TRUNCATION_MARKER)).toBe(true);
    // The grader kept no more than the limit.
    expect(Buffer.byteLength(r.stdout) + Buffer.byteLength(r.stderr)).toBeLessThanOrEqual(256 * 1024 + TRUNCATION_MARKER.length);
    expect(survivors(tag)).toEqual([]);
  });

  it("reports a crash at start with its exit code and stderr", async () => {
    const { layout, env } = await setup(modeUid, { "crash.js": "throw new Error('boom at start');\n", "bad.py": "def f(:\n" });
    const js = await run({ command: NODE, args: ["crash.js"], cwd: layout.workDir, env: { ...env, ...layout.env }, limits: LIMITS });
    expect(js).toMatchObject({ status: "exit", exitCode: 1, signal: null });
    expect(js.limit).toBeUndefined();
    expect(js.stderr).toContain("boom at start");
    const py = await run({ command: "/usr/bin/python3", args: ["bad.py"], cwd: layout.workDir, env: { ...env, ...layout.env }, limits: LIMITS });
    expect(py).toMatchObject({ status: "exit", exitCode: 1 });
    expect(py.stderr).toContain("SyntaxError");
  });

  it("reports a clean exit as ok, with its stdout", async () => {
    const { layout, env } = await setup(modeUid, { "ok.js": "process.stdin.on('data', (d) => process.stdout.write(String(d).toUpperCase()));\n" });
    const r = await run({ command: NODE, args: ["ok.js"], cwd: layout.workDir, env: { ...env, ...layout.env }, stdin: "ping\n", limits: LIMITS });
    expect(r).toMatchObject({ status: "ok", exitCode: 0, signal: null, stdout: "PING\n", outputTruncated: false, leftoverProcesses: 0 });
  });

  it("kills a child that daemonizes (double fork + setsid) once the main process exits", async () => {
    const { layout, env, tag } = await setup(modeUid, { "daemon.sh": "#!/bin/sh\n( setsid sh -c 'touch daemon-up; sleep 30' > /dev/null 2>&1 & ) &\nwhile [ ! -e daemon-up ]; do sleep 0.05; done\necho parent done\n" });
    const r = await run({ command: "/bin/sh", args: ["daemon.sh"], cwd: layout.workDir, env: { ...env, ...layout.env }, limits: LIMITS });
    expect(r.status).toBe("ok");
    expect(r.stdout).toBe("parent done\n");
    expect(r.leftoverProcesses).toBeGreaterThanOrEqual(1);
    expect(survivors(tag)).toEqual([]);
  });

  it("ends when the main process exits even though a background child still holds its stdout", async () => {
    const { layout, env, tag } = await setup(modeUid, { "bg.sh": "#!/bin/sh\nsleep 30 &\necho main done\n" });
    const r = await run({ command: "/bin/sh", args: ["bg.sh"], cwd: layout.workDir, env: { ...env, ...layout.env }, limits: LIMITS });
    expect(r).toMatchObject({ status: "ok", stdout: "main done\n", leftoverProcesses: 1 });
    expect(r.wallMs).toBeLessThan(8_000);
    expect(survivors(tag)).toEqual([]);
  });

  it("kills a daemonized child at a limit too", async () => {
    const { layout, env, tag } = await setup(modeUid, { "daemon-loop.sh": "#!/bin/sh\n( setsid sh -c 'while :; do sleep 1; done' > /dev/null 2>&1 & ) &\nwhile :; do sleep 1; done\n" });
    const r = await run({ command: "/bin/sh", args: ["daemon-loop.sh"], cwd: layout.workDir, env: { ...env, ...layout.env }, limits: { ...LIMITS, wallMs: 1_500 } });
    expect(r).toMatchObject({ status: "limit", limit: "wall" });
    expect(survivors(tag)).toEqual([]);
  });
});

describe("runSandboxed set-up", () => {
  it("rejects a limit that is not a positive number, saying which", async () => {
    await expect(runSandboxed({ command: "true", cwd: "/", limits: { ...LIMITS, memoryBytes: 0 } })).rejects.toThrow(/limits\.memoryBytes: expected a positive number, got 0/);
  });

  it("rejects a run that cannot start (no such directory) with a SandboxError", async () => {
    await expect(runSandboxed({ command: "/bin/true", cwd: "/nonexistent/dslab", limits: LIMITS })).rejects.toMatchObject({ name: "SandboxError", code: "SANDBOX_SETUP" });
  });

  it("reports a command that does not exist as exit 127 from the sandbox, not as a grader failure", async () => {
    const r = await runSandboxed({ command: "/nonexistent/program", cwd: "/", limits: LIMITS });
    expect(r.status).toBe("exit");
    expect(r.exitCode).toBe(caps.prlimit || caps.setpriv || caps.cgroups ? 127 : r.exitCode);
  });

  it("reports a submission that prints what a set-up failure looks like and exits 125 as its own exit, and leaves it no set-up pipe", async () => {
    const script = "readlink /proc/$$/fd/3 || echo closed; echo 'dslab-sandbox: cannot join the cgroup /sys/fs/cgroup/x' >&2; exit 125";
    const r = await runSandboxed({ command: "/bin/sh", args: ["-c", script], cwd: "/", limits: LIMITS });
    expect(r).toMatchObject({ status: "exit", exitCode: 125, stdout: "closed\n" });
  });

  it.skipIf(!caps.cgroups?.parents.memory || !caps.cgroups?.parents.pids)("holds memory and processes with cgroups on this machine, and removes the run's cgroups after it", async () => {
    const r = await runSandboxed({ command: "/bin/true", cwd: "/", limits: LIMITS });
    expect(r.mechanisms.memory).toMatch(/^cgroup v[12] memory limit/);
    expect(r.mechanisms.processes).toMatch(/^cgroup v[12] pids\.max/);
    const left = Object.values(caps.cgroups!.parents).flatMap((dir) => readdirSync(dir).filter((n) => n.startsWith(`dslab-sandbox-${process.pid}-`)));
    expect(left).toEqual([]);
  });

  it.skipIf(!caps.cgroups?.parents.cpu)("gives runs side by side an equal share of the processor, however many busy processes one of them starts", async () => {
    // For 3 s at once: a hog of 16 spinning shells beside a single spinning Node process. Shared by thread, the single
    // process gets about a sixteenth of what the hog gets; shared by run, about as much, whatever else the machine runs.
    const hog = await setup(undefined, { "hog.sh": "#!/bin/sh\nfor i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do sh -c 'while :; do :; done' & done\nwait\n" });
    const one = await setup(undefined, { "one.js": "const t0 = Date.now(); while (Date.now() - t0 < 3000) {}\n" });
    // The kernel's autogroup (on in desktop kernels) already shares by session, and each run has a session of its own;
    // servers, containers and systemd services have no autogroup, so it is off for these 3 s where the test may turn it off.
    const autogroup = "/proc/sys/kernel/sched_autogroup_enabled";
    const autogroupWas = existsSync(autogroup) ? readFileSync(autogroup, "utf8").trim() : undefined;
    try {
      writeFileSync(autogroup, "0");
    } catch {
      // Not ours to change here: the run's share holds with or without it.
    }
    const [h, r] = await Promise.all([
      runSandboxed({ command: "/bin/sh", args: ["hog.sh"], cwd: hog.layout.workDir, env: { ...hog.env, ...hog.layout.env }, limits: { ...LIMITS, wallMs: 3_000, cpuMs: 120_000 } }),
      runSandboxed({ command: NODE, args: ["one.js"], cwd: one.layout.workDir, env: { ...one.env, ...one.layout.env }, limits: { ...LIMITS, cpuMs: 120_000 } }),
    ]).finally(() => {
      if (autogroupWas !== undefined) {
        try {
          writeFileSync(autogroup, autogroupWas);
        } catch {
          // Left as it was.
        }
      }
    });
    expect(h.mechanisms.cpuShare).toMatch(/^cgroup v[12] CPU weight of its own/);
    expect(h.limit).toBe("wall");
    expect(r.status, JSON.stringify({ ...r, stdout: r.stdout.slice(0, 200), stderr: r.stderr.slice(0, 500) })).toBe("ok");
    expect(r.cpuMs / h.cpuMs, `CPU ms of the single process (${r.cpuMs}) against the hog's (${h.cpuMs})`).toBeGreaterThan(0.4);
    expect(survivors(hog.tag)).toEqual([]);
  });
});
