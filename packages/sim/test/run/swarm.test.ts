import { describe, expect, test } from "vitest";
import { runSwarmInline, seedConfig, SPREAD_ALL } from "../../src/swarm/swarm.js";
import { DEFAULT_CONFIG } from "../../src/run/config.js";
import { FAULT_KINDS } from "../../src/nemesis/schedule.js";

// CI budget: a few hundred seeds in well under three minutes on two cores.
// Simulated time per seed is kept short rather than the number of seeds.
const SEEDS = 300;

describe("the reference cluster under the swarm: every fault and workload, zero violations", () => {
  test(
    `${SEEDS} in-process seeds, workloads lin-kv/exactly-once/sessions in turn, every fault: every seed valid`,
    async () => {
      const summary = await runSwarmInline({
        seeds: SEEDS,
        startSeed: 1,
        jobs: 2,
        base: { ...DEFAULT_CONFIG, nodes: 3, timeLimitS: 4, nemesis: [...FAULT_KINDS] },
      });
      const report = summary.failures.map((f) => `seed ${f.seed} (${f.workload}): ${f.verdict}: ${f.anomalies[0] ?? ""}\n  replay: ${f.command}`).join("\n");
      expect(summary.seeds).toBe(SEEDS);
      expect(report).toBe("");
      expect(summary.valid).toBe(SEEDS);
      expect(summary.ops).toBeGreaterThan(SEEDS * 100);
    },
    240_000,
  );
});

// The configuration that finds exactly-once holes under duplicates and late
// replays: five nodes, many short-lived sessions, every fault.
const SESSION_SEEDS = 200;

describe("the reference cluster under a 5-node sessions swarm", () => {
  test(
    `${SESSION_SEEDS} seeds of 5 nodes, the sessions workload, 10 s, 12 clients, every fault: every seed valid`,
    async () => {
      const summary = await runSwarmInline({
        seeds: SESSION_SEEDS,
        startSeed: 900_000,
        jobs: 2,
        rotateWorkloads: false,
        base: { ...DEFAULT_CONFIG, nodes: 5, timeLimitS: 10, concurrency: 12, rate: 100, workload: "sessions", nemesis: [...FAULT_KINDS] },
      });
      const report = summary.failures.map((f) => `seed ${f.seed}: ${f.verdict}: ${f.anomalies[0] ?? ""}\n  replay: ${f.command}`).join("\n");
      expect(report).toBe("");
      expect(summary.valid).toBe(SESSION_SEEDS);
      expect(summary.ops).toBeGreaterThan(SESSION_SEEDS * 300);
    },
    300_000,
  );
});

describe("a swarm hands its seeds to this process and its workers", () => {
  test("on 3 jobs every seed runs exactly once, with the same result as on 1 job", async () => {
    const base = { ...DEFAULT_CONFIG, nodes: 3, timeLimitS: 2, nemesis: [...FAULT_KINDS] };
    const key = (r: { seed: string; verdict: string; ops: number; simulatedMs: number; command: string }) => `${r.seed} ${r.verdict} ${r.ops} ${r.simulatedMs} ${r.command}`;
    const seen: string[] = [];
    const three = await runSwarmInline({ seeds: 12, startSeed: 40, jobs: 3, base, onSeed: (r) => seen.push(key(r)) });
    const one: string[] = [];
    await runSwarmInline({ seeds: 12, startSeed: 40, jobs: 1, base, onSeed: (r) => one.push(key(r)) });
    expect(three.seeds).toBe(12);
    expect(seen.length).toBe(12);
    expect([...seen].sort()).toEqual([...one].sort());
    expect(new Set(seen.map((k) => k.split(" ")[0])).size).toBe(12);
  }, 120_000);
});

describe("a swarm spreads the cluster's shape across seeds", () => {
  const base = { ...DEFAULT_CONFIG, nemesis: [...FAULT_KINDS] };

  test("over 100 seeds it draws 3, 5 and 7 nodes, short and long runs, few and many clients", () => {
    const configs = Array.from({ length: 100 }, (_, i) => seedConfig(base, i + 1, true, SPREAD_ALL));
    expect(new Set(configs.map((c) => c.nodes))).toEqual(new Set([3, 5, 7]));
    expect(Math.min(...configs.map((c) => c.timeLimitS))).toBeLessThanOrEqual(5);
    expect(Math.max(...configs.map((c) => c.timeLimitS))).toBeGreaterThanOrEqual(15);
    expect(Math.min(...configs.map((c) => c.concurrency))).toBeLessThanOrEqual(4);
    expect(Math.max(...configs.map((c) => c.concurrency))).toBeGreaterThanOrEqual(16);
    expect(new Set(configs.map((c) => c.workload))).toEqual(new Set(["lin-kv", "exactly-once", "sessions"]));
  });

  test("the shape is a function of the seed alone, so a replay command reproduces it", () => {
    expect(seedConfig(base, 42, true, SPREAD_ALL)).toEqual(seedConfig({ ...base, rate: base.rate }, 42, true, SPREAD_ALL));
  });

  test("a dimension the user fixed is not spread", () => {
    const configs = Array.from({ length: 50 }, (_, i) => seedConfig({ ...base, nodes: 5 }, i + 1, true, { concurrency: true, timeLimit: true }));
    expect(new Set(configs.map((c) => c.nodes))).toEqual(new Set([5]));
    expect(new Set(configs.map((c) => c.concurrency)).size).toBeGreaterThan(2);
  });
});
