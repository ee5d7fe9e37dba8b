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

  test("timing every event (the benchmark's breakdown) changes nothing of the history, and counts every event under one kind", async () => {
    const a = await runInProcess(config("77", "exactly-once"));
    const b = await runInProcess(config("77", "exactly-once"), { profileEvents: true });
    expect(writeHistoryJson(b.history)).toBe(writeHistoryJson(a.history));
    expect(a.eventProfile).toBeUndefined();
    const kinds = new Map(b.eventProfile!.map((k) => [k.kind, k]));
    expect([...kinds.values()].reduce((s, k) => s + k.events, 0)).toBe(b.nodeStats.events);
    for (const kind of ["node tick", "client request into a node", "reply into a client", "raft_append into a node", "raft_append_ok into a node"]) {
      expect(kinds.get(kind)?.events, kind).toBeGreaterThan(0);
    }
    expect(b.eventProfile!.every((k) => Number.isFinite(k.ms) && k.ms >= 0)).toBe(true);
    expect(b.eventProfile!.reduce((s, k) => s + k.ms, 0)).toBeLessThanOrEqual(b.wallMs);
  });

  test("without the message trace (a swarm's runs) the history, the verdict and the figures are the same, and the trace holds no message", async () => {
    const a = await runInProcess(config("78", "sessions"));
    const b = await runInProcess(config("78", "sessions"), { traceMessages: false });
    expect(writeHistoryJson(b.history)).toBe(writeHistoryJson(a.history));
    expect(withoutWallTimes(b.results)).toBe(withoutWallTimes(a.results));
    expect(a.trace.entries.some((e) => e.kind === "message")).toBe(true);
    expect(b.trace.entries.some((e) => e.kind === "message")).toBe(false);
    expect(b.trace.packetsSent).toBe(a.trace.packetsSent);
  });

  test("another seed gives another history", async () => {
    const a = await runInProcess(config("1", "exactly-once"));
    const b = await runInProcess(config("2", "exactly-once"));
    expect(writeHistoryJson(a.history)).not.toBe(writeHistoryJson(b.history));
  });
});
