import { describe, expect, test } from "vitest";
import { writeHistoryJson } from "@dslab/checker";
import { runInProcess } from "../../src/run/in-process.js";
import { DEFAULT_CONFIG, type RunConfig } from "../../src/run/config.js";
import { FAULT_KINDS } from "../../src/nemesis/schedule.js";

const config = (seed: string, workload: RunConfig["workload"]): RunConfig => ({
  ...DEFAULT_CONFIG,
  seed,
  workload,
  nodes: 3,
  timeLimitS: 6,
  nemesis: [...FAULT_KINDS],
});

/** results.json without the fields that measure the machine (wall time), which no seed controls. */
function withoutWallTimes(results: unknown): string {
  return JSON.stringify(results, (k, v) => (/^(wallMs|checkWallMs|elapsedMs)$/.test(k) ? undefined : v));
}

describe("determinism: the same seed gives the same history, byte for byte", () => {
  test.each(["exactly-once", "lin-kv", "sessions"] as const)("two in-process %s runs with one seed produce identical histories", async (workload) => {
    const a = await runInProcess(config("1234", workload));
    const b = await runInProcess(config("1234", workload));
    const ha = writeHistoryJson(a.history);
    expect(a.history.length).toBeGreaterThan(100);
    expect(writeHistoryJson(b.history)).toBe(ha);
    // The fault schedule, what it did, and the figures agree too.
    expect(b.applied).toEqual(a.applied);
    expect(withoutWallTimes(b.results)).toBe(withoutWallTimes(a.results));
  });

  test("another seed gives another history", async () => {
    const a = await runInProcess(config("1", "exactly-once"));
    const b = await runInProcess(config("2", "exactly-once"));
    expect(writeHistoryJson(a.history)).not.toBe(writeHistoryJson(b.history));
  });
});
