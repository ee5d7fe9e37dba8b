/**
 * Known-bad clusters and clients must fail, each within a bounded number of
 * seeds. Each is a module beside the tests (packages/cluster/test/known-bad,
 * packages/client/test/known-bad) built from the reference through its
 * seams, run here through the same `--core` / `--client` seams a student's
 * code uses. For every one, the first failing seed is also run on the
 * reference: it passes, so the bug, not the harness, made it fail.
 */
import { fileURLToPath } from "node:url";
import { relative } from "node:path";
import { describe, expect, test } from "vitest";
import { runInProcess } from "../../src/run/in-process.js";
import { DEFAULT_CONFIG, type RunConfig } from "../../src/run/config.js";
import type { FaultKind } from "../../src/nemesis/schedule.js";
import type { WorkloadName } from "../../src/workload/workloads.js";

/** A known-bad module, as the path a replay command names (relative to the repository root). */
const cluster = (name: string) => relative(ROOT, fileURLToPath(new URL(`../../../cluster/test/known-bad/${name}.ts`, import.meta.url)));
const client = (name: string) => relative(ROOT, fileURLToPath(new URL(`../../../client/test/known-bad/${name}.ts`, import.meta.url)));
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

interface BugCase {
  bug: string;
  /** `--core` or `--client`, and the module. */
  seam: { core: string } | { client: string };
  workload: WorkloadName;
  nemesis: FaultKind[];
  timeLimitS: number;
  /** Cluster size, when not the default. */
  nodes?: number;
  /** The bound: the bug must show within this many seeds. */
  maxSeeds: number;
  /** What the harness must report. */
  expect: { check: string; kinds: string[] };
}

const CASES: BugCase[] = [
  {
    bug: "no-sessions",
    seam: { core: cluster("no-sessions") },
    workload: "exactly-once",
    nemesis: ["partition", "kill", "duplicate", "lose-reply", "pause"],
    timeLimitS: 5,
    maxSeeds: 10,
    expect: { check: "exactly-once", kinds: ["applied-twice"] },
  },
  {
    bug: "seq-less-than",
    seam: { core: cluster("seq-less-than") },
    workload: "exactly-once",
    nemesis: ["partition", "kill", "duplicate", "lose-reply", "pause"],
    timeLimitS: 5,
    maxSeeds: 10,
    expect: { check: "exactly-once", kinds: ["applied-twice"] },
  },
  {
    bug: "leader-only-sessions",
    seam: { core: cluster("leader-only-sessions") },
    workload: "exactly-once",
    nemesis: ["partition", "kill", "duplicate", "lose-reply", "pause"],
    timeLimitS: 5,
    maxSeeds: 20,
    expect: { check: "exactly-once", kinds: ["applied-twice"] },
  },
  {
    bug: "sessions-not-in-snapshot",
    seam: { core: cluster("sessions-not-in-snapshot") },
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
    bug: "local-clock-expiry",
    seam: { core: cluster("local-clock-expiry") },
    workload: "sessions",
    nemesis: ["clock", "kill", "partition", "duplicate", "lose-reply"],
    timeLimitS: 8,
    maxSeeds: 30,
    expect: { check: "exactly-once", kinds: ["applied-twice", "failed-applied", "impossible-order", "acknowledged-lost", "wrong-reply", "inconsistent-replies"] },
  },
  {
    // Election safety: caught by the nodes' own leader-elected events, not by the history.
    bug: "vote-twice",
    seam: { core: cluster("vote-twice") },
    workload: "lin-kv",
    nemesis: ["partition", "kill", "pause"],
    timeLimitS: 5,
    nodes: 5,
    maxSeeds: 20,
    expect: { check: "elections", kinds: ["two-leaders"] },
  },
  {
    bug: "new-identity-per-retry",
    seam: { client: client("new-identity-per-retry") },
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
    bug: "backoff-on-redirect",
    seam: { client: client("backoff-on-redirect") },
    workload: "lin-kv",
    nemesis: ["partition", "kill"],
    timeLimitS: 5,
    maxSeeds: 5,
    expect: { check: "redirect-backoff", kinds: ["backoff-on-redirect"] },
  },
];

describe("known-bad clusters and clients are caught within a bounded number of seeds", () => {
  test.each(CASES.map((c) => [c.bug, c.expect.check, c.maxSeeds, c.workload, c.nemesis.join(","), c] as const))(
    "%s is caught by the %s check within %i seeds (%s, nemesis %s)",
    async (_bug, _check, _max, _workload, _nemesis, c) => {
    const base: RunConfig = { ...DEFAULT_CONFIG, workload: c.workload, nemesis: c.nemesis, timeLimitS: c.timeLimitS, ...(c.nodes ? { nodes: c.nodes } : {}), ...c.seam };
    let caught: { seed: string; anomaly: { check: string; kind: string; message: string }; command: string } | undefined;
    for (let s = 1; s <= c.maxSeeds && !caught; s++) {
      const r = (await runInProcess({ ...base, seed: String(s) })).results!;
      if (r.verdict === "invalid") caught = { seed: r.seed, anomaly: r.anomalies[0]!, command: r.command };
    }
    expect(caught, `${c.bug} was not caught within ${c.maxSeeds} seeds`).toBeDefined();
    expect(caught!.anomaly.check).toBe(c.expect.check);
    expect(c.expect.kinds).toContain(caught!.anomaly.kind);
    expect(caught!.command).toContain("core" in c.seam ? `--core ${c.seam.core}` : `--client ${c.seam.client}`);
    // The same seed on the reference: valid, so the bug made the difference.
    const { core: _core, client: _client, ...onReference } = base;
    const reference = (await runInProcess({ ...onReference, seed: caught!.seed })).results!;
    expect(reference.anomalies).toEqual([]);
    expect(reference.verdict).toBe("valid");
    },
  );
});
