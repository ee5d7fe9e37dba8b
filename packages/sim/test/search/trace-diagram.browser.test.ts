// A search trace's diagram (kv-sim search --trace, kv-sim replay --html) in a real browser.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { execa } from "execa";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchChromium } from "../output/browser.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const VOTE_TWICE = join(root, "grader/test/mutants/vote-twice.ts");

let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kv-sim-trace-html-"));
  const search = await execa(process.execPath, [bin, "search", "--scenario", "vote-rules-3", "--rules", VOTE_TWICE, "--trace", join(dir, "votes.json")], { reject: false, cwd: root, env: { FORCE_COLOR: "0" } });
  expect(search.exitCode).toBe(1);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a search trace's diagram in chromium", () => {
  test("the title and caption fit inside the picture, and in a phone-wide window only the picture scrolls sideways, not the page", async () => {
    for (const width of [1400, 390]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      try {
        await page.goto(pathToFileURL(join(dir, "votes.html")).href);
        const cut = await page.evaluate(`[...document.querySelectorAll("svg")].flatMap((svg) => [...svg.querySelectorAll("text")]
          .filter((t) => { const b = t.getBBox(); return b.x + b.width > svg.viewBox.baseVal.width + 1; }).map((t) => t.textContent))`);
        expect(cut, `text past the picture's right edge at ${width}px`).toEqual([]);
        expect(await page.locator("svg title").textContent()).toBe("kv-sim search: vote-rules-3 — one-leader-per-term violated");
        const pageWidth = await page.evaluate("document.documentElement.scrollWidth");
        expect(pageWidth, `page width at a ${width}px window`).toBeLessThanOrEqual(width);
      } finally {
        await page.close();
      }
    }
  });
});
