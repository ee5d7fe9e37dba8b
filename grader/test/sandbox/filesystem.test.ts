// The sandbox's filesystem rules (layout.ts, and the private mounts of
// run.ts): a run as the sandbox user reads and writes its own copy, its HOME
// and its TMPDIR, and nothing of the instructor's: not the layout's
// instructor/ directory, not a 0700 directory elsewhere (as grader/hidden and
// grader/solutions are to be kept), not root's home; with the private mounts
// it cannot write /tmp, /var/tmp or /dev/shm either. Each rule is checked with
// the private mounts and without them (then the modes alone hold).
import { mkdir, mkdtemp, readFile, rm, stat, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readableBy, runSandboxed, type SandboxLayout } from "../../src/sandbox/index.js";
import { caps, LIMITS, layoutWith, owner } from "./helpers.js";

/**
 * Outside every directory the private mounts cover, so only the modes keep a
 * run out: the checkout's .grader-out (ignored by git), or, for a checkout
 * that itself lies under /tmp or another covered directory, /var/lib.
 */
const IN_CHECKOUT = fileURLToPath(new URL("../../.grader-out/", import.meta.url));
const COVERED = ["/tmp/", "/var/tmp/", "/dev/shm/", "/run/lock/"];
const OUTSIDE_PARENT = COVERED.some((d) => IN_CHECKOUT.startsWith(d)) ? "/var/lib/dslab-sandbox-test/" : IN_CHECKOUT;

const NODE = process.execPath;
const SECRET = "reference-solution-secret-42";

// Tries each path and prints one line per attempt: "read PATH ok|CODE" or "write PATH ok|CODE".
const PROBE = `
const fs = require("node:fs");
const [reads, writes] = JSON.parse(process.argv[2]);
for (const p of reads) { try { const t = fs.readFileSync(p, "utf8"); console.log("read", p, t.includes(${JSON.stringify(SECRET)}) ? "SECRET" : "ok"); } catch (e) { console.log("read", p, e.code); } }
for (const p of writes) { try { fs.writeFileSync(p, "x"); console.log("write", p, "ok"); } catch (e) { console.log("write", p, e.code); } }
`;

const MOUNT_MODES = [
  { mode: "with private /tmp, /var/tmp, /dev/shm", use: {}, private: caps.mountns },
  { mode: "without private mounts (the modes alone)", use: { mountns: false }, private: false },
];

describe.skipIf(!owner).each(MOUNT_MODES)("the sandbox's filesystem, as the unprivileged sandbox user, $mode", ({ use, private: privateMounts }) => {
  let layout: SandboxLayout;
  let outside: string;
  beforeAll(async () => {
    // Stands for the instructor's checkout: grader/hidden kept 0700, root's.
    await mkdir(OUTSIDE_PARENT, { recursive: true });
    outside = await mkdtemp(join(OUTSIDE_PARENT, "sandbox-instructor-"));
    await chmod(outside, 0o755);
    await mkdir(join(outside, "hidden"), { mode: 0o700 });
    await writeFile(join(outside, "hidden", "suite.test.ts"), SECRET);
    await writeFile(join(outside, "readme.txt"), "public");
    const hiddenSource = join(outside, "hidden");
    layout = await layoutWith({ "probe.cjs": PROBE, "own.txt": "mine" }, { hidden: hiddenSource });
  });
  afterAll(async () => {
    await layout?.cleanup();
    await rm(outside, { recursive: true, force: true });
  });

  async function probe(reads: string[], writes: string[]): Promise<Map<string, string>> {
    const r = await runSandboxed({ command: NODE, args: ["probe.cjs", JSON.stringify([reads, writes])], cwd: layout.workDir, env: layout.env, limits: LIMITS, use });
    expect(r.status, r.stderr).toBe("ok");
    expect(r.uid).toBe(owner!.uid);
    return new Map(r.stdout.trim().split("\n").map((line) => {
      const [op, path, outcome] = line.split(" ");
      return [`${op} ${path}`, outcome!];
    }));
  }

  it("lays the copy out owned by the sandbox user and the instructor directory as root's 0700", async () => {
    const work = await stat(layout.workDir);
    expect(work.uid).toBe(owner!.uid);
    expect(work.mode & 0o777).toBe(0o700);
    const instructor = await stat(layout.instructorDir);
    expect(instructor.uid).toBe(0);
    expect(instructor.mode & 0o777).toBe(0o700);
    expect((await stat(layout.root)).mode & 0o777).toBe(0o711);
    expect(await readFile(join(layout.instructorDir, "hidden", "suite.test.ts"), "utf8")).toBe(SECRET);
  });

  it("cannot read the hidden suite in the layout, nor a 0700 instructor directory outside it, nor root's home", async () => {
    const inLayout = join(layout.instructorDir, "hidden", "suite.test.ts");
    const inCheckout = join(outside, "hidden", "suite.test.ts");
    const out = await probe([inLayout, inCheckout, "/root/.bashrc", join(outside, "readme.txt"), "/etc/passwd", join(layout.workDir, "own.txt")], []);
    // With the private mounts the layout's instructor/ is not even there (ENOENT); without, its mode refuses (EACCES).
    expect(out.get(`read ${inLayout}`)).toBe(privateMounts ? "ENOENT" : "EACCES");
    expect(out.get(`read ${inCheckout}`)).toBe("EACCES");
    expect(out.get("read /root/.bashrc")).toBe("EACCES");
    // A world-readable file stays readable, and so does the submission's own.
    expect(out.get(`read ${join(outside, "readme.txt")}`)).toBe("ok");
    expect(out.get("read /etc/passwd")).toBe("ok");
    expect(out.get(`read ${join(layout.workDir, "own.txt")}`)).toBe("ok");
    expect(readableBy(join(outside, "hidden"), { uid: owner!.uid, gids: [owner!.gid] })).toBe(false);
    expect(readableBy(join(outside, "readme.txt"), { uid: owner!.uid, gids: [owner!.gid] })).toBe(true);
  });

  it("cannot write outside its directory, and can write in it, its HOME and its TMPDIR", async () => {
    const denied = [join(layout.root, "escape.txt"), join(outside, "escape.txt"), "/root/escape.txt", ...(privateMounts ? ["/tmp/escape.txt", "/var/tmp/escape.txt", "/dev/shm/escape.txt"] : [])];
    const allowed = [join(layout.workDir, "mine.txt"), join(layout.homeDir, "rc"), join(layout.tmpDir, "t")];
    const out = await probe([], [...denied, join(layout.instructorDir, "escape.txt"), ...allowed]);
    for (const t of denied) expect(out.get(`write ${t}`), t).toBe("EACCES");
    expect(out.get(`write ${join(layout.instructorDir, "escape.txt")}`)).toBe(privateMounts ? "ENOENT" : "EACCES");
    for (const t of allowed) expect(out.get(`write ${t}`), t).toBe("ok");
    // What it wrote in its directory is in the real one (bound back under the private /tmp), and nothing escaped.
    expect(await readFile(join(layout.workDir, "mine.txt"), "utf8")).toBe("x");
    await expect(stat(join(outside, "escape.txt"))).rejects.toThrow();
    await expect(stat(join(layout.root, "escape.txt"))).rejects.toThrow();
    await expect(stat("/tmp/escape.txt")).rejects.toThrow();
  });

  it("runs with the sandbox user's uid and no privileges even though the grader is root", async () => {
    const r = await runSandboxed({ command: "/bin/sh", args: ["-c", "id -u; id -g; id -G; grep NoNewPrivs /proc/self/status"], cwd: layout.workDir, env: layout.env, limits: LIMITS, use });
    expect(r.stdout.split("\n").slice(0, 3)).toEqual([String(owner!.uid), String(owner!.gid), String(owner!.gid)]);
    expect(r.stdout).toMatch(/NoNewPrivs:\s+1/);
  });
});

describe("readableBy", () => {
  it("says root reads everything and a user needs x on every parent and r on the path", async () => {
    await mkdir(OUTSIDE_PARENT, { recursive: true });
    const dir = await mkdtemp(join(OUTSIDE_PARENT, "readable-"));
    try {
      await chmod(dir, 0o755);
      await writeFile(join(dir, "f"), "x", { mode: 0o644 });
      const nobody = { uid: 65534, gids: [65534] };
      expect(readableBy(join(dir, "f"), { uid: 0, gids: [0] })).toBe(true);
      expect(readableBy(join(dir, "f"), nobody)).toBe(true);
      await chmod(dir, 0o700);
      expect(readableBy(join(dir, "f"), nobody)).toBe(false);
      await chmod(dir, 0o711);
      expect(readableBy(join(dir, "f"), nobody)).toBe(true);
      await chmod(join(dir, "f"), 0o600);
      expect(readableBy(join(dir, "f"), nobody)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(caps.mountns)("a directory the run needs under the private mounts", () => {
  it("stays readable at its own path when kept visible (a grader checkout under /tmp), and is covered otherwise", async () => {
    const checkout = await mkdtemp(join(tmpdir(), "dslab-sandbox-checkout-"));
    await writeFile(join(checkout, "runner.txt"), "the runner\n", { mode: 0o644 });
    await chmod(checkout, 0o755);
    const layout = await layoutWith({});
    try {
      const read = { command: "/bin/cat", args: [join(checkout, "runner.txt")], cwd: layout.workDir, env: layout.env, limits: LIMITS };
      const kept = await runSandboxed({ ...read, keepVisible: checkout });
      expect(kept.stdout).toBe("the runner\n");
      expect(kept.exitCode).toBe(0);
      const covered = await runSandboxed(read);
      expect(covered.stdout).toBe("");
      expect(covered.exitCode).not.toBe(0);
    } finally {
      await layout.cleanup();
      await rm(checkout, { recursive: true, force: true });
    }
  });
});
