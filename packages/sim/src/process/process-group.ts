/**
 * A command under test runs in a process group of its own (spawned
 * `detached`), so that everything it starts goes with it: a node that forks
 * a helper, or a shell wrapper around the real program, leaves children
 * that hold its stdout and stderr open. Killing only the direct child would
 * leave them running after the harness is done, and would keep its pipes
 * (and so the harness) open.
 *
 * A detached group no longer gets the terminal's Ctrl-C, so the groups still
 * alive are killed here when the harness exits or is stopped by a signal.
 */

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
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function killLiveGroups(): void {
  for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
  liveGroups.clear();
}

function onStopSignal(signal: NodeJS.Signals): void {
  killLiveGroups();
  unhook();
  // Nobody else handles it: end as the signal would have ended us.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function hook(): void {
  process.on("exit", killLiveGroups);
  for (const s of STOP_SIGNALS) process.on(s, onStopSignal);
}

function unhook(): void {
  process.off("exit", killLiveGroups);
  for (const s of STOP_SIGNALS) process.off(s, onStopSignal);
}

/** Remembers a group to kill with `killGroup`, or if the harness stops while it runs. */
export function trackGroup(pid: number | undefined): void {
  if (pid === undefined || liveGroups.has(pid)) return;
  if (liveGroups.size === 0) hook();
  liveGroups.add(pid);
}

/**
 * Kills a tracked group with SIGKILL and forgets it; a group killed already
 * is left alone (its number may since name another group).
 */
export function killGroup(pid: number | undefined): void {
  if (pid === undefined || !liveGroups.delete(pid)) return;
  signalGroup(pid, "SIGKILL");
  if (liveGroups.size === 0) unhook();
}
