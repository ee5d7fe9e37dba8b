// Shared by the sandbox tests: hostile programs written into a sandbox layout,
// and the check that no process of a run is left alive.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { createSandboxLayout, detectCapabilities, DEFAULT_SANDBOX_GID, DEFAULT_SANDBOX_UID, type SandboxLayout, type SandboxLimits } from "../../src/sandbox/index.js";

/** Generous bounds: the test machine has two shared, noisy cores. */
export const LIMITS: SandboxLimits = { wallMs: 10_000, cpuMs: 1_500, memoryBytes: 256 * 2 ** 20, outputBytes: 1 << 20, processes: 32 };

/**
 * The mechanisms a run may use: all that the machine has; prlimit and the
 * watchdog without cgroups (as its own uid, since RLIMIT_NPROC counts every
 * process of a uid and other test files run as nobody at the same time); and
 * the portable watchdog alone.
 */
export const MODES = [
  { mode: "every mechanism the machine has", use: {}, uid: undefined },
  { mode: "prlimit and the watchdog, no cgroup", use: { cgroup: false }, uid: 61_234 },
  { mode: "the /proc watchdog alone", use: { cgroup: false, prlimit: false }, uid: undefined },
] as const;

export const caps = detectCapabilities();
export const owner = caps.setpriv ? { uid: DEFAULT_SANDBOX_UID, gid: DEFAULT_SANDBOX_GID } : undefined;

/** A layout whose submission holds the given files. */
export async function layoutWith(files: Record<string, string>, instructorDirs?: Record<string, string>, uid?: number): Promise<SandboxLayout> {
  const src = await mkdtemp(join(tmpdir(), "dslab-sandbox-src-"));
  try {
    for (const [name, text] of Object.entries(files)) await writeFile(join(src, name), text, { mode: 0o755 });
    const as = owner && uid !== undefined ? { uid, gid: uid } : owner;
    return await createSandboxLayout({ submissionDir: src, ...(as ? { owner: as } : {}), ...(instructorDirs ? { instructorDirs } : {}) });
  } finally {
    await rm(src, { recursive: true, force: true });
  }
}

/** A tag for one test's runs: passed in their environment, looked for afterwards. */
export function newTag(): { env: Record<string, string>; tag: string } {
  const tag = randomUUID();
  return { env: { DSLAB_TEST_TAG: tag }, tag };
}

/** Pids of live (non-zombie) processes whose environment carries the tag. */
export function survivors(tag: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state === "Z" || state === "X") continue;
      if (readFileSync(`/proc/${name}/environ`, "latin1").split("\0").includes(`DSLAB_TEST_TAG=${tag}`)) found.push(Number(name));
    } catch {
      // Gone while looked at.
    }
  }
  return found;
}
