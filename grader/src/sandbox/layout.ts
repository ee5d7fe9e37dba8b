/**
 * The directory a sandboxed run sees, and the one it must not:
 *
 *     /tmp/dslab-sandbox-XXXXXX/      root 0711: passable, not listable, not writable
 *       work/                         the sandbox user 0700: a copy of the submission
 *         .home/  .tmp/               its HOME and TMPDIR
 *       instructor/                   root 0700: hidden suites, solutions, anything
 *         hidden/ solutions/ ...      the trusted side of the grader reads
 *
 * The run's own copy is the only thing the sandbox user owns, and run.ts
 * covers the world-writable directories with private root-only mounts (where
 * `unshare --mount` works), so it writes nowhere else; it reads nothing under
 * `instructor/` (which those mounts also hide). The instructor's checkout itself (`grader/hidden/`,
 * `grader/solutions/`) must not be readable by that user either: keep those
 * directories 0700 (`readableBy` tells whether they are).
 *
 * Without root the copy keeps the grader's owner and none of this holds: the
 * run can read whatever the grader can.
 */
import { chmod, cp, lchown, lstat, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

export interface SandboxLayoutOptions {
  /** Copied into `work/` (symbolic links are copied as links, not followed). */
  submissionDir: string;
  /** name -> source directory, copied into `instructor/<name>` (root only, 0700). */
  instructorDirs?: Readonly<Record<string, string>>;
  /** The owner of `work/` (the sandbox user); when undefined the copy keeps the grader's owner. */
  owner?: { uid: number; gid: number };
  /** Where the layout is made (default: the system's temporary directory). */
  parentDir?: string;
}

export interface SandboxLayout {
  root: string;
  workDir: string;
  homeDir: string;
  tmpDir: string;
  instructorDir: string;
  /** HOME and TMPDIR for the run's environment. */
  env: { HOME: string; TMPDIR: string };
  /** Removes the whole layout. */
  cleanup(): Promise<void>;
}

export async function createSandboxLayout(o: SandboxLayoutOptions): Promise<SandboxLayout> {
  const root = await mkdtemp(join(o.parentDir ?? tmpdir(), "dslab-sandbox-"));
  const cleanup = () => rm(root, { recursive: true, force: true });
  try {
    await chmod(root, 0o711);
    const workDir = join(root, "work");
    await cp(resolve(o.submissionDir), workDir, { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
    const homeDir = join(workDir, ".home");
    const tmpDir = join(workDir, ".tmp");
    await mkdir(homeDir, { recursive: true });
    await mkdir(tmpDir, { recursive: true });
    if (o.owner) await chownTree(workDir, o.owner.uid, o.owner.gid);
    await chmod(workDir, 0o700);
    const instructorDir = join(root, "instructor");
    await mkdir(instructorDir, { mode: 0o700 });
    await chmod(instructorDir, 0o700);
    for (const [name, source] of Object.entries(o.instructorDirs ?? {})) {
      if (name.includes("/") || name === "." || name === "..") throw new Error(`instructorDirs: ${JSON.stringify(name)} is not a plain directory name`);
      await cp(resolve(source), join(instructorDir, name), { recursive: true, verbatimSymlinks: true });
      await chmod(join(instructorDir, name), 0o700);
    }
    return { root, workDir, homeDir, tmpDir, instructorDir, env: { HOME: homeDir, TMPDIR: tmpDir }, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await lchown(path, uid, gid);
  const st = await lstat(path);
  if (!st.isDirectory()) return;
  for (const name of await readdir(path)) await chownTree(join(path, name), uid, gid);
}

/**
 * Whether a user could read `path` by its mode bits: every directory above it
 * passable (x) and the path itself readable (r) for that user's class (owner,
 * group or other). Root reads everything. ACLs are not looked at.
 */
export function readableBy(path: string, user: { uid: number; gids: readonly number[] }): boolean {
  if (user.uid === 0) return true;
  const abs = resolve(path);
  const allows = (p: string, bit: number): boolean => {
    const st = statSync(p);
    const cls = st.uid === user.uid ? 6 : user.gids.includes(st.gid) ? 3 : 0;
    return ((st.mode >> cls) & bit) !== 0;
  };
  try {
    for (let dir = dirname(abs); ; dir = dirname(dir)) {
      if (!allows(dir, 1)) return false;
      if (dir === dirname(dir)) break;
    }
    return allows(abs, 4);
  } catch {
    return false;
  }
}
