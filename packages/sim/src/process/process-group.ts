/**
 * A command under test runs in a process group of its own (spawned
 * `detached`), so that everything it starts goes with it: a node that forks
 * a helper, or a shell wrapper around the real program, leaves children
 * that hold its stdout and stderr open. Killing only the direct child would
 * leave them running after the harness is done, and would keep its pipes
 * (and so the harness) open.
 *
 * A detached group no longer gets the terminal's Ctrl-C, so the groups still
 * alive are killed here when the harness exits or is stopped by a signal,
 * and the temp directories made for their files (the nodes' data
 * directories) are removed then too.
 */
import { rmSync } from "node:fs";

/** Sends `signal` to every process of the group led by `pid`; a group already gone is not an error. */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

const liveGroups = new Set<number>();
const tempDirs = new Set<string>();
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let hooked = false;

/** Kills the live groups, then removes the temp directories (retrying while a dying node still holds a file there). */
function cleanUp(): void {
  for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
  liveGroups.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch {
      // Best effort on the way out: the directory is under the temp directory.
    }
  }
  tempDirs.clear();
}

function onStopSignal(signal: NodeJS.Signals): void {
  cleanUp();
  unhook();
  // Nobody else handles it: end as the signal would have ended us.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", cleanUp);
  for (const s of STOP_SIGNALS) process.on(s, onStopSignal);
}

function unhook(): void {
  if (!hooked) return;
  hooked = false;
  process.off("exit", cleanUp);
  for (const s of STOP_SIGNALS) process.off(s, onStopSignal);
}

function unhookWhenIdle(): void {
  if (liveGroups.size === 0 && tempDirs.size === 0) unhook();
}

/** Remembers a group to kill with `killGroup`, or if the harness stops while it runs. */
export function trackGroup(pid: number | undefined): void {
  if (pid === undefined || liveGroups.has(pid)) return;
  hook();
  liveGroups.add(pid);
}

/**
 * Remembers a directory made for the groups' files, to remove if the
 * harness is stopped by a signal (or exits) before `forgetTempDir`.
 */
export function trackTempDir(dir: string): void {
  hook();
  tempDirs.add(dir);
}

/** Forgets a directory given to `trackTempDir` (the caller removes it). */
export function forgetTempDir(dir: string): void {
  tempDirs.delete(dir);
  unhookWhenIdle();
}

/**
 * Kills a tracked group with SIGKILL and forgets it; a group killed already
 * is left alone (its number may since name another group).
 */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined || !liveGroups.delete(pid)) return;
  signalGroup(pid, "SIGKILL");
  unhookWhenIdle();
}
