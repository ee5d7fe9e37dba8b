/**
 * Known-bad clusters and clients must fail, each within a bounded number of
 * seeds (issue 5). Each bug is a test-only switch of the reference
 * (NodeConfig.bugs, ClientOptions.bugs), not a copy. For every bug the first
 * failing seed is also run without the bug: the reference passes it, so the
 * bug, not the harness, made it fail.
 */
import { describe, expect, test } from "vitest";
import { runInProcess } from "../../src/run/in-process.js";
import { DEFAULT_CONFIG, type BugName, type RunConfig } from "../../src/run/config.js";
import type { FaultKind } from "../../src/nemesis/schedule.js";
import type { WorkloadName } from "../../src/workload/workloads.js";

interface BugCase {
  bug: BugName;
  workload: WorkloadName;
  nemesis: FaultKind[];
  timeLimitS: number;
  /** The bound: the bug must show within this many seeds. */
  maxSeeds: number;
  /** What the harness must report. */
  expect: { check: string; kinds: string[] };
}

const CASES: BugCase[] = [
  {
    bug: "noSessions",
    workload: "exactly-once",
    nemesis: ["partition", "kill", "duplicate", "lose-reply", "pause"],
    timeLimitS: 5,
    maxSeeds: 10,
    expect: { check: "exactly-once", kinds: ["applied-twice"] },
  },
  {
    bug: "seqLessThan",
    workload: "exactly-once",
    nemesis: ["partition", "kill", "duplicate", "lose-reply", "pause"],
    timeLimitS: 5,
    maxSeeds: 10,
    expect: { check: "exactly-once", kinds: ["applied-twice"] },
  },
  {
    bug: "leaderOnlySessions",
    workload: "exactly-once",
    nemesis: ["partition", "kill", "duplicate", "lose-reply", "pause"],
    timeLimitS: 5,
    maxSeeds: 20,
    expect: { check: "exactly-once", kinds: ["applied-twice"] },
  },
  {
    bug: "sessionsNotInSnapshot",
    workload: "sessions",
    nemesis: ["kill", "replay", "duplicate", "lose-reply"],
    timeLimitS: 8,
    maxSeeds: 30,
    // A replica restored from such a snapshot has lost its sessions: it
    // applies a retry again, or (a session begins only at seq 1) refuses a
    // client's next seq that the other replicas apply, so the replicas
    // diverge and two requests get the same counter value.
    expect: { check: "exactly-once", kinds: ["applied-twice", "wrong-reply", "inconsistent-replies"] },
  },
  {
    bug: "localClockExpiry",
    workload: "sessions",
    nemesis: ["clock", "kill", "partition", "duplicate", "lose-reply"],
    timeLimitS: 8,
    maxSeeds: 30,
    expect: { check: "exactly-once", kinds: ["applied-twice", "failed-applied", "impossible-order", "acknowledged-lost", "wrong-reply", "inconsistent-replies"] },
  },
  {
    bug: "newIdentityPerRetry",
    workload: "exactly-once",
    nemesis: ["partition", "kill", "duplicate", "lose-reply", "pause"],
    timeLimitS: 5,
    maxSeeds: 10,
    // A counter above every acknowledged and indefinite increment is reported
    // as a failed increment applied; here it is an increment applied twice
    // under two seqs (the fresh seqs also draw definite 1001 failures).
    expect: { check: "exactly-once", kinds: ["applied-twice", "failed-applied"] },
  },
  {
    // A latency bug, not a safety bug: caught by the attempt log, where a
    // redirect (error 11 naming the leader) is followed by a backoff.
    bug: "backoffOnRedirect",
    workload: "lin-kv",
    nemesis: ["partition", "kill"],
    timeLimitS: 5,
    maxSeeds: 5,
    expect: { check: "redirect-backoff", kinds: ["backoff-on-redirect"] },
  },
];

describe("known-bad variants are caught within a bounded number of seeds (issue 5)", () => {
  test.each(CASES.map((c) => [c.bug, c.expect.check, c.maxSeeds, c.workload, c.nemesis.join(","), c] as const))(
    "%s is caught by the %s check within %i seeds (%s, nemesis %s)",
    async (_bug, _check, _max, _workload, _nemesis, c) => {
    const base: RunConfig = { ...DEFAULT_CONFIG, workload: c.workload, nemesis: c.nemesis, timeLimitS: c.timeLimitS, bugs: [c.bug] };
    let caught: { seed: string; anomaly: { check: string; kind: string; message: string }; command: string } | undefined;
    for (let s = 1; s <= c.maxSeeds && !caught; s++) {
      const r = (await runInProcess({ ...base, seed: String(s) })).results!;
      if (r.verdict === "invalid") caught = { seed: r.seed, anomaly: r.anomalies[0]!, command: r.command };
    }
    expect(caught, `${c.bug} was not caught within ${c.maxSeeds} seeds`).toBeDefined();
    expect(caught!.anomaly.check).toBe(c.expect.check);
    expect(c.expect.kinds).toContain(caught!.anomaly.kind);
    expect(caught!.command).toContain(`--bug ${c.bug}`);
    // The same seed on the reference: valid, so the bug made the difference.
    const reference = (await runInProcess({ ...base, bugs: [], seed: caught!.seed })).results!;
    expect(reference.anomalies).toEqual([]);
    expect(reference.verdict).toBe("valid");
    },
  );
});
