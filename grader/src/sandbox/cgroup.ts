/**
 * Control groups for one sandboxed run: memory and process-count limits that
 * the kernel enforces for the whole tree (a process cannot leave its cgroup
 * by forking, `setsid` or double-forking), the tree's CPU time, a CPU share
 * of its own, and a freezer to stop a fork loop before killing it.
 *
 * The CPU share: the kernel divides the processor between the run's cgroup
 * and its siblings by weight, not between threads, so runs side by side
 * (`grader test --class --jobs N`) each get an equal part of a busy machine
 * however many threads one of them starts; a submission that spins 100
 * threads slows only itself, not the student graded beside it, whose wall
 * time limits would otherwise fire on work it never got the processor for.
 *
 * Layout: each controller gets a child `dslab-sandbox-<pid>-<n>` of the
 * cgroup the grader itself is in (so the machine's own limits on the grader
 * still hold above it). cgroup v1 (one hierarchy per controller, as on this
 * project's machines) and v2 (one unified hierarchy, `memory.max`,
 * `pids.max`, `cgroup.kill`) are both handled; a controller whose directory
 * cannot be created is left out and its limit falls to `prlimit` and the
 * watchdog (see detect.ts).
 *
 * A run's cgroups are removed when it ends; removal waits until they are
 * empty (the kernel refuses to remove a cgroup with a live task).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type Controller = "memory" | "pids" | "cpuacct" | "cpu" | "freezer";

export interface CgroupRoots {
  version: 1 | 2;
  /** The directory under which a run's cgroup is created, per controller (v2: the same directory for all). */
  parents: Partial<Record<Controller, string>>;
}

/** The grader's own cgroup per controller, from `/proc/self/cgroup` (undefined when there is none). */
export function ownCgroupPaths(procSelfCgroup = "/proc/self/cgroup"): { v1: Map<string, string>; v2: string | undefined } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  let text = "";
  try {
    text = readFileSync(procSelfCgroup, "utf8");
  } catch {
    return { v1, v2 };
  }
  for (const line of text.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[2] === "") v2 = m[3];
    else for (const c of m[2]!.split(",")) v1.set(c, m[3]!);
  }
  return { v1, v2 };
}

let probeCounter = 0;

/** Whether a child cgroup can be made under `dir` (made and removed at once). */
function canCreateChild(dir: string): boolean {
  const probe = join(dir, `dslab-sandbox-probe-${process.pid}-${probeCounter++}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where this process may create cgroups. v1: `/sys/fs/cgroup/<controller>`
 * plus our own path in that hierarchy (the mount root when that path is not
 * visible, as in a cgroup namespace). v2: only when `/sys/fs/cgroup` is the
 * unified hierarchy and our cgroup delegates memory and pids to children.
 */
export function detectCgroups(mount = "/sys/fs/cgroup"): CgroupRoots | undefined {
  const own = ownCgroupPaths();
  if (existsSync(join(mount, "cgroup.controllers"))) {
    const dir = join(mount, own.v2 ?? "/");
    let delegated = "";
    try {
      delegated = readFileSync(join(dir, "cgroup.subtree_control"), "utf8");
    } catch {
      return undefined;
    }
    if (!canCreateChild(dir)) return undefined;
    const parents: CgroupRoots["parents"] = {};
    if (/\bmemory\b/.test(delegated)) parents.memory = dir;
    if (/\bpids\b/.test(delegated)) parents.pids = dir;
    if (/\bcpu\b/.test(delegated)) parents.cpu = dir;
    // cpu.stat exists in every v2 cgroup; cgroup.freeze too (kernel 5.2+).
    parents.cpuacct = dir;
    parents.freezer = dir;
    return { version: 2, parents };
  }
  const parents: CgroupRoots["parents"] = {};
  for (const c of ["memory", "pids", "cpuacct", "cpu", "freezer"] as const) {
    const base = join(mount, c);
    const path = own.v1.get(c) ?? "/";
    const dir = existsSync(join(base, path)) ? join(base, path) : base;
    if (existsSync(join(dir, "cgroup.procs")) && canCreateChild(dir)) parents[c] = dir;
  }
  return Object.keys(parents).length > 0 ? { version: 1, parents } : undefined;
}

let runCounter = 0;

/** One run's cgroups. */
export class RunCgroup {
  /** The run's directory per controller that it has. */
  readonly dirs: Partial<Record<Controller, string>> = {};

  private constructor(readonly version: 1 | 2) {}

  /** Creates the run's cgroups and sets the limits; a controller that fails is left out (the caller sees which in `dirs`). */
  static create(roots: CgroupRoots, limits: { memoryBytes: number; processes: number }): RunCgroup {
    const cg = new RunCgroup(roots.version);
    const name = `dslab-sandbox-${process.pid}-${runCounter++}`;
    const made = new Map<string, string>();
    for (const [c, parent] of Object.entries(roots.parents) as [Controller, string][]) {
      const dir = made.get(parent) ?? join(parent, name);
      try {
        if (!made.has(parent)) mkdirSync(dir);
        made.set(parent, dir);
        cg.configure(c, dir, limits);
        cg.dirs[c] = dir;
      } catch {
        // This controller is not usable here; its limit is held by prlimit and the watchdog.
      }
    }
    return cg;
  }

  private configure(c: Controller, dir: string, limits: { memoryBytes: number; processes: number }): void {
    if (c === "memory") {
      if (this.version === 2) {
        writeFileSync(join(dir, "memory.max"), String(limits.memoryBytes));
        if (existsSync(join(dir, "memory.swap.max"))) writeFileSync(join(dir, "memory.swap.max"), "0");
      } else {
        writeFileSync(join(dir, "memory.limit_in_bytes"), String(limits.memoryBytes));
        // memory+swap may only be set once memory is; absent when the kernel has no swap accounting.
        const memsw = join(dir, "memory.memsw.limit_in_bytes");
        if (existsSync(memsw)) {
          try {
            writeFileSync(memsw, String(limits.memoryBytes));
          } catch {
            // Swap accounting is off: the memory limit alone holds.
          }
        }
      }
    } else if (c === "pids") {
      writeFileSync(join(dir, "pids.max"), String(limits.processes));
    } else if (c === "cpu") {
      // The default weight, written so that a parent's odd default does not carry over: every run weighs the same.
      writeFileSync(join(dir, this.version === 2 ? "cpu.weight" : "cpu.shares"), this.version === 2 ? "100" : "1024");
    }
  }

  /** The `cgroup.procs` files a process writes its pid into to join every controller. */
  procsFiles(): string[] {
    return [...new Set(Object.values(this.dirs))].map((d) => join(d, "cgroup.procs"));
  }

  /** The pids in the run's cgroups (union over controllers). */
  pids(): number[] {
    const all = new Set<number>();
    for (const dir of new Set(Object.values(this.dirs))) {
      for (const line of readLines(join(dir, "cgroup.procs"))) if (/^\d+$/.test(line)) all.add(Number(line));
    }
    return [...all];
  }

  /** CPU time of every process that ran in the cgroup, exited ones included (ms), or undefined without cpuacct. */
  cpuMs(): number | undefined {
    const dir = this.dirs.cpuacct;
    if (!dir) return undefined;
    if (this.version === 2) {
      const m = /usage_usec (\d+)/.exec(readText(join(dir, "cpu.stat")));
      return m ? Number(m[1]) / 1000 : undefined;
    }
    const ns = Number(readText(join(dir, "cpuacct.usage")).trim());
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  }

  /** Whether the kernel killed a process of the run for memory. */
  oomKilled(): boolean {
    const dir = this.dirs.memory;
    if (!dir) return false;
    const text = this.version === 2 ? readText(join(dir, "memory.events")) : readText(join(dir, "memory.oom_control"));
    const m = /oom_kill (\d+)/.exec(text);
    return m !== null && Number(m[1]) > 0;
  }

  /** Whether a fork was refused because the run was at its process limit. */
  processLimitHit(): boolean {
    const dir = this.dirs.pids;
    if (!dir) return false;
    const m = /max (\d+)/.exec(readText(join(dir, "pids.events")));
    return m !== null && Number(m[1]) > 0;
  }

  /** Anonymous memory of the run now (no page cache, shared pages once), or undefined without the memory controller. */
  anonBytes(): number | undefined {
    const dir = this.dirs.memory;
    if (!dir) return undefined;
    const stat = readText(join(dir, "memory.stat"));
    const m = this.version === 2 ? /^anon (\d+)$/m.exec(stat) : /^total_rss (\d+)$/m.exec(stat) ?? /^rss (\d+)$/m.exec(stat);
    return m ? Number(m[1]) : undefined;
  }

  /** Peak memory charged to the run (includes page cache), or undefined. */
  peakMemoryBytes(): number | undefined {
    const dir = this.dirs.memory;
    if (!dir) return undefined;
    const n = Number(readText(join(dir, this.version === 2 ? "memory.peak" : "memory.max_usage_in_bytes")).trim());
    return Number.isFinite(n) && n > 0 ? n : undefined;
  }

  /** Freezes (or thaws) the run's processes so that a fork loop cannot outrun the kill. Returns once frozen, or after `timeoutMs`. */
  async freeze(frozen: boolean, timeoutMs = 1000): Promise<boolean> {
    const dir = this.dirs.freezer;
    if (!dir) return false;
    try {
      if (this.version === 2) writeFileSync(join(dir, "cgroup.freeze"), frozen ? "1" : "0");
      else writeFileSync(join(dir, "freezer.state"), frozen ? "FROZEN" : "THAWED");
    } catch {
      return false;
    }
    if (!frozen) return true;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const state = this.version === 2 ? readText(join(dir, "cgroup.events")) : readText(join(dir, "freezer.state"));
      if (this.version === 2 ? /frozen 1/.test(state) : state.trim() === "FROZEN") return true;
      await sleep(5);
    }
    return false;
  }

  /** v2's `cgroup.kill`: the kernel kills every process of the cgroup at once. */
  killAll(): boolean {
    if (this.version !== 2) return false;
    const dir = Object.values(this.dirs)[0];
    if (!dir || !existsSync(join(dir, "cgroup.kill"))) return false;
    try {
      writeFileSync(join(dir, "cgroup.kill"), "1");
      return true;
    } catch {
      return false;
    }
  }

  /** Removes the run's cgroups; retries while the last processes are being reaped. */
  async remove(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const dir of new Set(Object.values(this.dirs))) {
      for (;;) {
        try {
          rmdirSync(dir);
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === "ENOENT") break;
          if (Date.now() > deadline) throw new Error(`cannot remove the sandbox cgroup ${dir}: ${code ?? String(e)}`, { cause: e });
          await sleep(10);
        }
      }
    }
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function readLines(path: string): string[] {
  return readText(path).split("\n").filter((l) => l !== "");
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
