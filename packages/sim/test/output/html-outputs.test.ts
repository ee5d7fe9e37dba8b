import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser } from "playwright-core";
import { runInProcess } from "../../src/run/in-process.js";
import { writeOutputs } from "../../src/output/writer.js";
import { DEFAULT_CONFIG } from "../../src/run/config.js";
import { launchChromium, openPage } from "./browser.js";

let browser: Browser;
/** A known-bad run (noSessions): it has a violation to point at. */
let dir: string;
/** A reference run: duplicates are answered from the session. */
let refDir: string;

beforeAll(async () => {
  browser = await launchChromium();
  const nemesis = ["partition", "kill", "duplicate", "lose-reply", "pause", "replay"] as const;
  dir = await mkdtemp(join(tmpdir(), "kv-sim-html-"));
  await writeOutputs(dir, await runInProcess({ ...DEFAULT_CONFIG, seed: "html-2", timeLimitS: 4, nemesis: [...nemesis], core: "packages/cluster/test/known-bad/no-sessions.ts" }, { tracePeerMessages: true }));
  refDir = await mkdtemp(join(tmpdir(), "kv-sim-html-ref-"));
  await writeOutputs(refDir, await runInProcess({ ...DEFAULT_CONFIG, seed: "html-2", timeLimitS: 4, nemesis: [...nemesis] }, { tracePeerMessages: true }));
});

afterAll(async () => {
  await browser?.close();
  for (const d of [dir, refDir]) if (d) await rm(d, { recursive: true, force: true });
});

describe("outputs (issue 5: one directory with histories, results and two pictures)", () => {
  test("the directory holds history.edn, history.json, results.json, timeline.html and messages.html", async () => {
    const files = await readdir(dir);
    expect(files.sort()).toEqual(["history.edn", "history.json", "messages.html", "messages.txt", "results.json", "timeline.html"]);
    const text = await readFile(join(dir, "messages.txt"), "utf8");
    expect(text).toMatch(/^\d+\.\d{3} c\d+ -> n\d (append|incr|read) /m);
    expect(text).toMatch(/^\d+\.\d{3} FAULT /m);
    const results = JSON.parse(await readFile(join(dir, "results.json"), "utf8"));
    for (const k of ["verdict", "anomalies", "ops", "availability", "msgsPerOp", "latencyMs", "seed", "command"]) expect(results).toHaveProperty(k);
    expect(results.verdict).toBe("invalid");
    expect(results.firstViolation).toEqual({ atMs: expect.any(Number), label: "exactly-once: applied-twice" });
    expect(results.command).toBe(
      "npx kv-sim run --seed html-2 --nodes 3 --time-limit-s 4 --rate 100 --concurrency 8 --workload exactly-once --nemesis partition,kill,duplicate,lose-reply,pause,replay --core packages/cluster/test/known-bad/no-sessions.ts",
    );
    const edn = await readFile(join(dir, "history.edn"), "utf8");
    expect(edn.split("\n")[0]).toMatch(/^\{.*:type :invoke.*:f :(append|incr|read)/);
    expect(edn).toMatch(/:client-id "\d+", :seq \d+/);
  });

  test("the message diagram renders in chromium with no console errors and marks client_id/seq, faults, the first violation and its requests", async () => {
    const r = await openPage(browser, join(dir, "messages.html"), async (page) => {
      expect(await page.locator("g.msg").count()).toBeGreaterThan(50);
      expect(await page.locator("line.fault").count()).toBeGreaterThan(0);
      // noSessions applies a retry twice: the first violation and its request are marked.
      expect(await page.locator("line.violation").count()).toBe(1);
      expect(await page.locator("g.msg.involved").count()).toBeGreaterThan(0);
      const tip = await page.locator("g.msg.involved title").first().textContent();
      expect(tip).toMatch(/msg_id \d+/);
      expect(tip).toMatch(/client_id \d+ seq \d+/);
    });
    expect(r.consoleErrors).toEqual([]);
    expect(r.title).toMatch(/^kv-sim seed html-2/);
    expect(r.svgCount).toBe(1);
    expect(r.text).toMatch(/answered from the session/);
  });

  test("on the reference, retries and duplicates answered from the session are marked, and there is no violation line", async () => {
    const r = await openPage(browser, join(refDir, "messages.html"), async (page) => {
      expect(await page.locator("g.msg.session").count()).toBeGreaterThan(0);
      expect(await page.locator("g.msg.retry").count()).toBeGreaterThan(0);
      expect(await page.locator("g.msg.retry title").first().textContent()).toMatch(/retry #\d+/);
      expect(await page.locator("g.msg.session title").first().textContent()).toMatch(/from session/);
      expect(await page.locator("line.violation").count()).toBe(0);
    });
    expect(r.consoleErrors).toEqual([]);
    expect(r.title).toBe("kv-sim seed html-2: valid");
  });

  test("the timeline (the checker's renderer) renders in chromium with no console errors and shows the failure", async () => {
    const r = await openPage(browser, join(dir, "timeline.html"));
    expect(r.consoleErrors).toEqual([]);
    expect(r.title).toBe("kv-sim seed html-2: invalid");
    expect(r.text).toMatch(/NOT exactly once/);
    expect(r.text).toMatch(/\[applied-twice\]/);
    expect(r.text).toMatch(/replay: npx kv-sim run --seed html-2/);
  });
});
