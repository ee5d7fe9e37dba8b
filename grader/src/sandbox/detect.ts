/**
 * What this machine offers to hold a sandbox's limits, found at run time and
 * cached for the life of the process. Best first:
 *
 * | limit     | 1. cgroup (kernel, whole tree)        | 2. prlimit (per process)        | 3. watchdog (/proc every ~50 ms) |
 * | --------- | ------------------------------------- | ------------------------------- | -------------------------------- |
 * | memory    | memory.limit_in_bytes / memory.max    | RLIMIT_AS (not for Node, whose  | sum of the tree's RSS            |
 * |           |                                       | heap reservation needs more)    | (+ Node's --max-old-space-size)  |
 * | processes | pids.max                              | RLIMIT_NPROC (only as non-root) | count of the tree's processes    |
 * | cpu       | cpuacct usage (tree, exited included) | RLIMIT_CPU (each process)       | sum of the tree's utime+stime    |
 * | cpu share | cpu.shares / cpu.weight (equal)       | -                               | -                                |
 * | wall      | -                                     | -                               | a timer                          |
 * | output    | -                                     | -                               | bytes read from the pipes        |
 *
 * A run as root also drops to an unprivileged uid with `setpriv` (so
 * RLIMIT_NPROC holds and root-only files stay unreadable), gets a network
 * namespace of its own with only loopback (`unshare --net`, then `ip link
 * set lo up`), and a mount namespace whose /tmp, /var/tmp, /dev/shm and
 * /run/lock are private and root-only (`unshare --mount`), when those work.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { detectCgroups, type CgroupRoots } from "./cgroup.js";

export interface SandboxCapabilities {
  /** The grader runs as root (uid 0). */
  root: boolean;
  /** `prlimit` from util-linux, when it runs. */
  prlimit: string | undefined;
  /** `setpriv` from util-linux, when it can switch to the unprivileged uid (root only). */
  setpriv: string | undefined;
  /** Where the run's cgroups can be created, or undefined. */
  cgroups: CgroupRoots | undefined;
  /** `/proc` is readable: the watchdog can see the tree. */
  proc: boolean;
  /** `ip`, when `unshare --net` can give a run a network namespace of its own with loopback up (root only). */
  netns: string | undefined;
  /** `unshare --mount` can give a run private, root-only /tmp, /var/tmp, /dev/shm and /run/lock (root only). */
  mountns: boolean;
}

/** The uid and gid a sandboxed run gets when the grader is root: `nobody`. */
export const DEFAULT_SANDBOX_UID = 65534;
export const DEFAULT_SANDBOX_GID = 65534;

let cached: SandboxCapabilities | undefined;

/** The machine's capabilities (probed once: a few short child processes and a cgroup made and removed). */
export function detectCapabilities(): SandboxCapabilities {
  if (cached) return cached;
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const prlimit = works("prlimit", ["--core=0", "--", "true"]) ? "prlimit" : undefined;
  const setpriv = root && works("setpriv", [`--reuid=${DEFAULT_SANDBOX_UID}`, `--regid=${DEFAULT_SANDBOX_GID}`, "--clear-groups", "--no-new-privs", "--", "true"]) ? "setpriv" : undefined;
  const cgroups = root ? detectCgroups() : undefined;
  const proc = works("test", ["-r", `/proc/${process.pid}/stat`]);
  const ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].find((p) => existsSync(p));
  const netns = root && ip && works("unshare", ["--net", "--", ip, "link", "set", "lo", "up"]) ? ip : undefined;
  // The probe's tmpfs is mounted in a namespace of its own (unshare makes mounts private): the machine's /tmp is untouched.
  const mountns = root && works("unshare", ["--mount", "--", "mount", "-t", "tmpfs", "-o", "size=4k,mode=0755", "tmpfs", "/tmp"]);
  cached = { root, prlimit, setpriv, cgroups, proc, netns, mountns };
  return cached;
}

function works(command: string, args: string[]): boolean {
  try {
    const r = spawnSync(command, args, { stdio: "ignore", timeout: 5000 });
    return r.status === 0;
  } catch {
    return false;
  }
}

/** Which mechanism holds each limit for a run with these capabilities, as a readable table (for reports and the README). */
export function describeMechanisms(
  caps: SandboxCapabilities,
  uid = DEFAULT_SANDBOX_UID,
): Record<"memory" | "processes" | "cpu" | "cpuShare" | "wall" | "output" | "user" | "network" | "files", string> {
  const p = caps.cgroups?.parents ?? {};
  const v = caps.cgroups ? `cgroup v${caps.cgroups.version}` : "";
  return {
    memory: p.memory ? `${v} memory limit + watchdog (tree RSS)` : `${caps.prlimit ? "RLIMIT_AS (non-Node commands) + " : ""}watchdog (tree RSS) + Node's --max-old-space-size`,
    processes: p.pids ? `${v} pids.max + watchdog (count)` : `${caps.prlimit && caps.setpriv ? "RLIMIT_NPROC (per uid) + " : ""}watchdog (count)`,
    cpu: `${p.cpuacct ? `${v} CPU accounting (tree)` : "watchdog (tree utime+stime)"}${caps.prlimit ? " + RLIMIT_CPU (per process)" : ""}`,
    cpuShare: p.cpu ? `${v} CPU weight of its own: runs side by side share the processor equally, whatever their thread counts` : "none: the processor is shared by thread, so a run with many busy threads slows the runs beside it",
    wall: "timer",
    output: "pipe byte count",
    files: caps.mountns ? "private root-only /tmp, /var/tmp, /dev/shm and /run/lock: it writes only in its own directory" : "the machine's /tmp (world-writable)",
    network: caps.netns ? "a network namespace of its own: loopback only" : "the machine's network",
    user: caps.setpriv ? `setpriv to uid ${uid}, no new privileges` : "the grader's own user (the filesystem rules do not hold)",
  };
}
