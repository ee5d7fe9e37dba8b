/**
 * Hand-written scenarios on the same harness as the swarm:
 * the faults this unit is about, placed on purpose, with the trace checked
 * for what must happen.
 */
import { describe, expect, test } from "vitest";
import { runInProcess } from "../../src/run/in-process.js";
import { DEFAULT_CONFIG } from "../../src/run/config.js";
import type { NemesisOp } from "../../src/nemesis/schedule.js";
import type { TracedMessage } from "../../src/network/trace.js";

const messages = (entries: readonly unknown[]) => entries.filter((e): e is TracedMessage => (e as TracedMessage).kind === "message");

describe("scenarios: faults aimed at retries and idempotent writes", () => {
  test("every reply is lost after the write was applied, then the leader crashes: the retries are answered from the session on the new leader, nothing is applied twice", async () => {
    const schedule: NemesisOp[] = [
      { atMs: 1_500, op: "lose-reply", probability: 1 },
      { atMs: 1_700, op: "kill", target: "leader", slot: "k1" },
      { atMs: 1_900, op: "lose-reply", probability: 0 },
      { atMs: 3_000, op: "restart", slot: "k1" },
      { atMs: 4_000, op: "heal" },
    ];
    const a = await runInProcess({ ...DEFAULT_CONFIG, seed: "scenario-lost-reply-crash", timeLimitS: 4, workload: "exactly-once" }, { schedule });
    const r = a.results!;
    expect(r.anomalies).toEqual([]);
    expect(r.verdict).toBe("valid");
    expect(r.faults.map((f) => f.label)).toEqual([
      "lose replies after apply p=1",
      expect.stringMatching(/^SIGKILL n\d \(leader\)$/),
      "lost replies off",
      expect.stringMatching(/^restart n\d$/),
      "heal everything",
    ]);
    const all = messages(a.trace.entries);
    const lost = all.filter((m) => m.fate === "dropped-lost-reply");
    expect(lost.length).toBeGreaterThan(5);
    // Some request whose reply was lost got its answer later from a session, not from a second application.
    const answeredFromSession = new Set(all.filter((m) => m.fromSession && m.fate === "delivered").map((m) => `${m.clientId}/${m.seq}`));
    expect(lost.some((m) => answeredFromSession.has(`${m.clientId}/${m.seq}`))).toBe(true);
  });

  test("an isolated leader keeps taking requests it cannot commit; clients time out, retry elsewhere with the same identity, and nothing is lost or doubled", async () => {
    const schedule: NemesisOp[] = [
      { atMs: 1_500, op: "partition-start", shape: "isolate-leader" },
      { atMs: 3_500, op: "partition-stop" },
      { atMs: 5_000, op: "heal" },
    ];
    const a = await runInProcess({ ...DEFAULT_CONFIG, seed: "scenario-isolated-leader", timeLimitS: 5, workload: "exactly-once" }, { schedule });
    const r = a.results!;
    expect(r.anomalies).toEqual([]);
    expect(r.verdict).toBe("valid");
    expect(r.faults[0]!.label).toMatch(/^partition \{n\d\} \| \{n\d n\d\}$/);
    const isolated = /^partition \{(n\d)\}/.exec(r.faults[0]!.label)![1]!;
    // Clients still reached the cut-off leader.
    const during = messages(a.trace.entries).filter((m) => m.sentAtMs >= 1_500 && m.sentAtMs < 3_500);
    expect(during.some((m) => m.dest === isolated && m.src.startsWith("c") && m.fate === "delivered")).toBe(true);
    // Retries happened: more requests than operations.
    expect(r.stats.clientAttempts).toBeGreaterThan(r.ops.invoked);
  });
});
