import { describe, expect, test } from "vitest";
import { runSwarmInline } from "../../src/swarm/swarm.js";
import { DEFAULT_CONFIG } from "../../src/run/config.js";
import { FAULT_KINDS } from "../../src/nemesis/schedule.js";

// CI budget: a few hundred seeds in well under three minutes on two cores.
// Simulated time per seed is kept short rather than the number of seeds.
const SEEDS = 300;

describe("the reference cluster under the swarm (issue 5: every fault and workload, zero violations)", () => {
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
