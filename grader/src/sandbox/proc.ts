/**
 * Reading `/proc`: the facts the watchdog needs about one process (parent,
 * state, CPU ticks, resident pages, start time) and the processes that carry
 * a run's marker in their environment.
 *
 * Every read tolerates the process vanishing between listing and reading
 * (ENOENT, ESRCH): a process that exits while it is looked at is simply gone.
 * On a system without `/proc` every function returns nothing, and the
 * sandbox falls back to its process group and its timers.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";

/** Linux's USER_HZ on every architecture Node runs on: `/proc/PID/stat` counts CPU time in these. */
export const CLOCK_TICKS_PER_SECOND = 100;
/** The page size of x86-64 and most arm64 kernels; RSS in `/proc/PID/stat` is in pages. */
export const PAGE_BYTES = 4096;

export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  /** R, S, D, Z (zombie: exited, not yet reaped), T, ... */
  state: string;
  /** utime + stime of this process, in ms. */
  cpuMs: number;
  /** cutime + cstime: CPU of the children it has reaped, in ms. */
  reapedChildrenCpuMs: number;
  rssBytes: number;
  /** Tasks (threads) of the process: what pids.max and RLIMIT_NPROC count. */
  threads: number;
  /** Ticks since boot: with the pid, it names one process even after the pid is reused. */
  startTicks: number;
}

/** `/proc/PID/stat` parsed, or undefined when the process is gone. */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself contain ") ": the fields start after the last one.
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(" ");
  // f[0] is field 3 (state); field n is f[n - 3].
  const tickMs = 1000 / CLOCK_TICKS_PER_SECOND;
  return {
    pid,
    state: f[0] ?? "?",
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    cpuMs: (Number(f[11]) + Number(f[12])) * tickMs,
    reapedChildrenCpuMs: (Number(f[13]) + Number(f[14])) * tickMs,
    startTicks: Number(f[19]),
    rssBytes: Number(f[21]) * PAGE_BYTES,
    threads: Number(f[17]),
  };
}

/** Every pid in `/proc` (empty without `/proc`). */
export function listPids(): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const n of names) if (/^\d+$/.test(n)) pids.push(Number(n));
  return pids;
}

/** Whether the process's environment holds `NAME=VALUE` (false when it cannot be read). */
export function hasEnvMarker(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0").includes(marker);
  } catch {
    return false;
  }
}

/**
 * The processes of a run found by walking `/proc`: the descendants of `rootPid`
 * (parent links, so a child in another process group or session is still
 * found while its parent lives) and every process whose environment carries
 * `marker` (so a daemon whose parent exited, reparented to init, is found too),
 * and the ones seen before (`known`: pid to start time).
 */
export function findRunProcesses(rootPid: number, marker: string, known: ReadonlyMap<number, number>): ProcStat[] {
  const stats = new Map<number, ProcStat>();
  for (const pid of listPids()) {
    const s = readStat(pid);
    if (s) stats.set(pid, s);
  }
  const children = new Map<number, number[]>();
  for (const s of stats.values()) {
    const list = children.get(s.ppid);
    if (list) list.push(s.pid);
    else children.set(s.ppid, [s.pid]);
  }
  const found = new Set<number>();
  // A pid seen before counts only while it names the same process (same start time).
  const queue = [rootPid, ...[...known].filter(([p, start]) => stats.get(p)?.startTicks === start).map(([p]) => p)];
  for (const s of stats.values()) if (s.pid !== process.pid && hasEnvMarker(s.pid, marker)) queue.push(s.pid);
  while (queue.length > 0) {
    const pid = queue.pop()!;
    if (found.has(pid) || !stats.has(pid)) continue;
    found.add(pid);
    for (const c of children.get(pid) ?? []) queue.push(c);
  }
  return [...found].map((p) => stats.get(p)!);
}

/**
 * Tasks (threads, zombies included) owned by `uid` on the whole machine: what
 * the kernel compares with RLIMIT_NPROC when a process of that uid forks.
 */
export function countUserTasks(uid: number): number {
  let n = 0;
  for (const pid of listPids()) {
    try {
      if (statSync(`/proc/${pid}`).uid !== uid) continue;
    } catch {
      continue;
    }
    n += readStat(pid)?.threads ?? 0;
  }
  return n;
}
