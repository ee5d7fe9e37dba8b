/**
 * The liveness phase's reads: after the heal, one fresh client reads every
 * key of the workload, all within one time bound. They are ordinary
 * operations in the history, so the checkers see that every acknowledged
 * write is there.
 */
import type { Key } from "@dslab/protocol";
import type { SimTask, Timeline } from "../world/scheduler.js";
import type { WorkloadDriver } from "../workload/driver.js";

export interface FinalRead {
  key: Key;
  ok: boolean;
  value: unknown;
}

export interface FinalReadsOptions {
  driver: WorkloadDriver;
  timeline: Timeline;
  process: number;
  keys: readonly Key[];
  boundMs: number;
}

export interface FinalReadsResult {
  reads: FinalRead[];
  firstOkAtMs: number | null;
  done: boolean;
}

/** The reads, as one task on the timeline. */
export function finalReads(opts: FinalReadsOptions): Promise<FinalReadsResult> {
  return opts.timeline.spawn("the final reads", (task) => readEveryKey(task, opts));
}

async function readEveryKey(task: SimTask, opts: FinalReadsOptions): Promise<FinalReadsResult> {
  const { driver, timeline } = opts;
  const deadline = timeline.now() + opts.boundMs;
  const reads: FinalRead[] = [];
  let firstOkAtMs: number | null = null;
  for (const key of opts.keys) {
    if (timeline.now() >= deadline) break;
    // One client per read, each bounded by the time left (reads carry no identity).
    const { client, name } = driver.newClient(task, { attemptTimeoutMs: 300, maxRetries: 1_000, maxTotalMs: deadline - timeline.now() });
    task.label = `the final read of ${key} (client ${name})`;
    const r = await driver.perform(opts.process, client, name, { type: "read", key });
    const ok = r.outcome === "ok" || (r.outcome === "failed" && r.error.code === 20);
    if (ok && firstOkAtMs === null) firstOkAtMs = timeline.now();
    reads.push({ key, ok, value: r.outcome === "ok" ? r.reply.value : null });
  }
  return { reads, firstOkAtMs, done: reads.length === opts.keys.length };
}
