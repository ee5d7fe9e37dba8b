/**
 * The HTML timeline in a real browser, driven by playwright-core (the
 * browser is found by `@dslab/checker/testing`; a missing one is a failure,
 * not a skip).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "../../src/testing/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HistoryBuilder, checkExactlyOnce, checkLinearizability, renderTimelineHtml } from "../../src/index.js";

let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), "timeline-"));

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens the page and records console errors, page errors and any network request. */
async function open(html: string, name: string): Promise<{ page: Page; problems: string[] }> {
  const file = join(dir, name);
  writeFileSync(file, html);
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) problems.push(`network request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(file).href);
  return { page, problems };
}

function staleRead() {
  const b = new HistoryBuilder();
  b.invoke(0, "write", 1, { time: 0 });
  b.ok(0, undefined, { time: 10 });
  b.nemesis("start-partition", "majority", { time: 12 });
  b.invoke(0, "write", 2, { time: 15 });
  b.invoke(2, "write", 3, { time: 16 });
  b.ok(0, undefined, { time: 20 });
  b.info(2, { time: 30, error: "net-timeout" });
  b.invoke(1, "read", null, { time: 40 });
  b.ok(1, 1, { time: 50 });
  return b.build();
}

describe("HTML timeline in chromium", () => {
  it("renders a non-linearizable history, marks the failing read, shows details on hover, with no console errors", async () => {
    const history = staleRead();
    const result = checkLinearizability(history, { model: "register" });
    expect(result.valid).toBe(false);
    const { page, problems } = await open(renderTimelineHtml(history, { title: "stale read", result }), "stale.html");
    expect(await page.locator("#verdict").textContent()).toBe("NOT linearizable");
    const failed = page.locator(".op.failed");
    await expect.poll(() => failed.count()).toBe(1);
    expect(await failed.isVisible()).toBe(true);
    expect(await failed.textContent()).toContain("read 1");
    expect(await page.locator(".prefix-end").count()).toBe(1);
    expect(await page.locator(".nemesis-event").textContent()).toBe("start-partition");
    expect(await page.locator("#summary li").first().textContent()).toContain("cannot be linearized");
    await failed.hover();
    const tip = page.locator("#tip");
    expect(await tip.isVisible()).toBe(true);
    expect(await tip.textContent()).toContain("checker: cannot be linearized");
    expect(await tip.textContent()).toContain("result: 1");
    // One row per process, plus the nemesis.
    expect(await page.locator(".row-label").allTextContents()).toEqual(["process 0", "process 2", "process 1", "nemesis"]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("renders a linearizable history with the order found", async () => {
    const b = new HistoryBuilder();
    b.invoke(0, "write", 1);
    b.invoke(1, "read", null);
    b.ok(1, 1);
    b.ok(0);
    const history = b.build();
    const result = checkLinearizability(history, { model: "register" });
    const { page, problems } = await open(renderTimelineHtml(history, { result }), "ok.html");
    expect(await page.locator("#verdict").textContent()).toBe("linearizable");
    expect(await page.locator(".op .badge").allTextContents()).toEqual(["1", "2"]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("renders exactly-once anomalies with the operations involved", async () => {
    const b = new HistoryBuilder();
    b.invoke(0, "append", "a", { key: "k", client_id: "c1", seq: 1 });
    b.info(0);
    b.invoke(1, "append", "a", { key: "k", client_id: "c1", seq: 1 });
    b.ok(1, ["a", "a"]);
    b.invoke(2, "read", null, { key: "k" });
    b.ok(2, ["a", "a"]);
    const history = b.build();
    const result = checkExactlyOnce(history);
    const { page, problems } = await open(renderTimelineHtml(history, { result }), "eo.html");
    expect(await page.locator("#verdict").textContent()).toBe("NOT exactly once");
    expect(await page.locator(".op.failed").count()).toBeGreaterThan(0);
    expect(await page.locator("#summary").textContent()).toContain("applied-twice");
    expect(problems).toEqual([]);
    await page.close();
  });
});
