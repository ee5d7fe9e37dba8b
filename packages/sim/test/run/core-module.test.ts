import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { runInProcess } from "../../src/run/in-process.js";
import { DEFAULT_CONFIG } from "../../src/run/config.js";
import { createKvNodeCore, type Effects, type KvNodeCore, type NodeConfig, type PersistentState } from "@dslab/cluster";

const wrapped = fileURLToPath(new URL("../fixtures/wrapped-core.ts", import.meta.url));

describe("--core: another KvNodeCore runs under the same simulation, through the same interfaces as the reference", () => {
  test("a module exporting createKvNodeCore runs in-process, and the replay command names it", async () => {
    const a = await runInProcess({ ...DEFAULT_CONFIG, seed: "core-1", timeLimitS: 3, core: wrapped });
    const mod = (await import(wrapped)) as { ticks: number };
    expect(mod.ticks).toBeGreaterThan(100);
    expect(a.results!.verdict).toBe("valid");
    expect(a.results!.command).toContain(`--core ${wrapped}`);
  });

  test("a core that changes a log entry after handing it to storage still runs: its storage keeps copies", async () => {
    let marked = 0;
    const createCore = (config: NodeConfig, restored: PersistentState | null): KvNodeCore => {
      const core = createKvNodeCore(config, restored);
      let handedOver: object[] = [];
      // At each next input, mark the entries it persisted last time (as a
      // student's core might annotate its own log); not enumerable, so the
      // wire and the checkers never see it.
      const markHandedOver = (effects: Effects): Effects => {
        for (const e of handedOver) Object.defineProperty(e, "seenAgain", { value: true, configurable: true }), marked++;
        handedOver = effects.persist.flatMap((op) => (op.type === "append" ? op.entries : []));
        return effects;
      };
      return {
        id: core.id,
        tick: (nowMs) => markHandedOver(core.tick(nowMs)),
        receive: (m, nowMs) => markHandedOver(core.receive(m, nowMs)),
        status: () => core.status(),
      };
    };
    const a = await runInProcess({ ...DEFAULT_CONFIG, seed: "core-3", timeLimitS: 3 }, { createCore });
    expect(marked).toBeGreaterThan(10);
    expect(a.results!.verdict).toBe("valid");
  });

  test("a module without createKvNodeCore is refused with what it does export", async () => {
    const notACore = fileURLToPath(new URL("../../src/run/config.ts", import.meta.url));
    await expect(runInProcess({ ...DEFAULT_CONFIG, seed: "core-2", timeLimitS: 1, core: notACore })).rejects.toThrow(
      /--core: .*config\.ts does not export a function createKvNodeCore\(config, restored\); it exports .*DEFAULT_CONFIG/,
    );
  });
});
