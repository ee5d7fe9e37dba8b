import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { runInProcess } from "../../src/run/in-process.js";
import { DEFAULT_CONFIG } from "../../src/run/config.js";

const wrapped = fileURLToPath(new URL("../fixtures/wrapped-core.ts", import.meta.url));

describe("--core: another KvNodeCore under the same simulation (DESIGN: student code plugs in through the same interfaces)", () => {
  test("a module exporting createKvNodeCore runs in-process, and the replay command names it", async () => {
    const a = await runInProcess({ ...DEFAULT_CONFIG, seed: "core-1", timeLimitS: 3, core: wrapped });
    const mod = (await import(wrapped)) as { ticks: number };
    expect(mod.ticks).toBeGreaterThan(100);
    expect(a.results!.verdict).toBe("valid");
    expect(a.results!.command).toContain(`--core ${wrapped}`);
  });

  test("a module without createKvNodeCore is refused with what it does export", async () => {
    const notACore = fileURLToPath(new URL("../../src/run/config.ts", import.meta.url));
    await expect(runInProcess({ ...DEFAULT_CONFIG, seed: "core-2", timeLimitS: 1, core: notACore })).rejects.toThrow(
      /--core: .*config\.ts does not export a function createKvNodeCore\(config, restored\); it exports .*DEFAULT_CONFIG/,
    );
  });
});
