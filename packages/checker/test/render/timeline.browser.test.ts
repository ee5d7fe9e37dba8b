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
/** DSLAB_KEEP_HTML=1 keeps the pages and screenshots for a person to open. */
const keep = process.env.DSLAB_KEEP_HTML === "1";

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (keep) console.log(`timeline pages and screenshots kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
});

/** Hue in degrees and saturation of a computed CSS colour such as "rgb(138, 16, 16)". */
function hueOf(css: string): { hue: number; saturation: number } {
  const [r, g, b] = css.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((x) => Number(x) / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  if (d === 0) return { hue: 0, saturation: 0 };
  const l = (max + min) / 2;
  const saturation = d / (1 - Math.abs(2 * l - 1));
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return { hue: (h * 60 + 360) % 360, saturation };
}

/** An error colour: a saturated red (hue within 20 degrees of 0). */
function isRed(css: string): boolean {
  const { hue, saturation } = hueOf(css);
  return saturation > 0.3 && (hue <= 20 || hue >= 340);
}

function isGreen(css: string): boolean {
  const { hue, saturation } = hueOf(css);
  return saturation > 0.3 && hue >= 90 && hue <= 160;
}

/** Runs a JavaScript expression in the page (the package compiles without DOM types). */
function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

async function colours(page: Page, selector: string): Promise<{ color: string; background: string }> {
  return inPage(page, `(() => { const s = getComputedStyle(document.querySelector(${JSON.stringify(selector)})); return { color: s.color, background: s.backgroundColor }; })()`);
}

/** Whether the timeline's scroll box scrolls sideways (the drawing is wider than the view). */
function scrollsSideways(page: Page): Promise<boolean> {
  return inPage(page, `(() => { const s = document.getElementById("scroll"); return s.scrollWidth > s.clientWidth; })()`);
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
  width: number;
}

function boxes(page: Page, selector: string): Promise<Box[]> {
  return inPage(page, `[...document.querySelectorAll(${JSON.stringify(selector)})].map((el) => el.getBoundingClientRect().toJSON())`);
}

/** The pixels per axis unit the page is drawn at. */
async function scale(page: Page): Promise<number> {
  return Number(await page.locator("#canvas").getAttribute("data-px-per-unit"));
}

async function screenshot(page: Page, name: string): Promise<void> {
  const file = join(dir, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}${keep ? "" : " (removed after the run; DSLAB_KEEP_HTML=1 keeps it)"}`);
}

/** A run as the simulator records it: keyed appends with identities, faults labelled by the harness, times in ns. */
/** 5,000 reads never answered, each by its own process, then 10,000 writes and a stale read. */
function openAcrossHistory() {
  const b = new HistoryBuilder();
  for (let p = 100; p < 5_100; p++) b.invoke(p, "read", null);
  for (let i = 0; i < 10_000; i++) {
    b.invoke(i % 8, "write", i);
    b.ok(i % 8);
  }
  b.invoke(9, "read", null);
  b.ok(9, 5);
  return b.build();
}

function simulatedRun() {
  const b = new HistoryBuilder();
  const ms = (x: number) => ({ time: x * 1_000_000 });
  b.invoke(0, "append", "c1:1", { key: "a0", client_id: "c1", seq: 1, ...ms(1) });
  b.invoke(1, "append", "c2:1", { key: "a0", client_id: "c2", seq: 1, ...ms(2) });
  b.ok(0, ["c1:1"], ms(4));
  b.nemesis("fault", "SIGKILL n3 (leader)", ms(5));
  b.nemesis("fault", "partition {n1} | {n2 n3}", ms(6));
  b.invoke(0, "incr", 1, { key: "n0", client_id: "c1", seq: 2, ...ms(7) });
  b.info(1, { ...ms(30), error: [1000, "timeout"] });
  b.nemesis("fault", "pause n2", ms(31));
  b.ok(0, 1, ms(40));
  b.nemesis("fault", "late replay: append c7/3 -> n1", ms(41));
  b.invoke(2, "read", null, { key: "a0", client_id: "c3", ...ms(50) });
  b.ok(2, ["c1:1", "c2:1"], ms(55));
  b.nemesis("start-partition", "majority", ms(60));
  b.invoke(2, "read", null, { key: "n0", client_id: "c3", ...ms(70) });
  b.ok(2, 1, ms(80));
  return b.build();
}

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

/** What has the keyboard focus: its id, class, role, aria-label and aria-expanded, and whether it is inside the timeline. */
interface Focused {
  id: string;
  cls: string;
  role: string | null;
  label: string | null;
  expanded: string | null;
  inTimeline: boolean;
  inDetails: boolean;
}

function focused(page: Page): Promise<Focused> {
  return inPage(
    page,
    `(() => { const e = document.activeElement; return { id: e.id, cls: e.className, role: e.getAttribute("role"), label: e.getAttribute("aria-label"), expanded: e.getAttribute("aria-expanded"), inTimeline: !!e.closest("#canvas"), inDetails: !!e.closest("#details") }; })()`,
  );
}

/** Presses Tab until the focus is in the timeline (at most 40 times); the ids focused on the way. */
async function tabIntoTimeline(page: Page): Promise<string[]> {
  const passed: string[] = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    if (f.inTimeline) return passed;
    passed.push(f.id || f.cls);
  }
  throw new Error(`Tab never reached the timeline; focused on the way: ${passed.join(", ")}`);
}

/** The text of the details panel, or null when it is hidden. */
function detailsText(page: Page): Promise<string | null> {
  return inPage(page, `(() => { const d = document.getElementById("details"); return d && !d.hidden && d.getClientRects().length > 0 ? d.innerText : null; })()`);
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
    expect(await failed.textContent()).toContain("read → 1");
    expect(await page.locator(".prefix-end").count()).toBe(1);
    expect(await page.locator(".fault").textContent()).toBe("⚡ start-partition majority");
    expect(await page.locator("#summary li").first().textContent()).toContain("cannot be linearized");
    await failed.hover();
    const tip = page.locator("#tip");
    expect(await tip.isVisible()).toBe(true);
    expect(await tip.textContent()).toContain("checker: cannot be linearized");
    expect(await tip.textContent()).toContain("result: 1");
    // One row per process; faults have their own band above the rows.
    expect(await page.locator(".row-label").allTextContents()).toEqual(["process 0", "process 2", "process 1"]);
    expect(isRed((await colours(page, "#verdict")).color)).toBe(true);
    await screenshot(page, "invalid.png");
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
    // A valid verdict is green, and nothing in the summary wears the error colour.
    const verdict = await colours(page, "#verdict");
    expect(isGreen(verdict.color) && isGreen(verdict.background)).toBe(true);
    expect(isRed(verdict.color) || isRed(verdict.background)).toBe(false);
    const borders = await inPage<string[]>(page, `[...document.querySelectorAll("#summary li")].map((el) => getComputedStyle(el).borderLeftColor)`);
    expect(borders.length).toBeGreaterThan(0);
    for (const c of borders) expect(isRed(c), `summary border ${c}`).toBe(false);
    await screenshot(page, "valid.png");
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

  it("an unknown verdict is drawn in yellow, neither red nor green", async () => {
    const b = new HistoryBuilder();
    b.invoke(0, "read", null, { key: "k" });
    b.ok(0, null);
    const result = checkExactlyOnce(b.build());
    expect(result.valid).toBe("unknown");
    const { page, problems } = await open(renderTimelineHtml(b.build(), { result }), "unknown.html");
    expect(await page.locator("#verdict").textContent()).toBe("unknown");
    const c = await colours(page, "#verdict");
    for (const x of [c.color, c.background]) {
      expect(isRed(x) || isGreen(x)).toBe(false);
      expect(hueOf(x).hue).toBeGreaterThan(30);
      expect(hueOf(x).hue).toBeLessThan(65);
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  it("an anomaly that several operations show is listed once, naming the other operations", async () => {
    const b = new HistoryBuilder();
    b.invoke(0, "append", "a", { key: "k", client_id: "c1", seq: 1 });
    b.info(0);
    b.invoke(1, "append", "a", { key: "k", client_id: "c1", seq: 1 });
    b.ok(1, ["a", "a"]);
    b.invoke(2, "read", null, { key: "k" });
    b.ok(2, ["a", "a"]);
    b.invoke(3, "read", null, { key: "k" });
    b.ok(3, ["a", "a"]);
    const history = b.build();
    const result = checkExactlyOnce(history);
    // The checker reports the double append once per list that shows it.
    expect(result.anomalies.length).toBe(3);
    const { page, problems } = await open(renderTimelineHtml(history, { result }), "eo-once.html");
    const items = await page.locator("#summary li").allTextContents();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatch(/^\[applied-twice\] key "k": append "a" \(client c1, seq 1\) appears 2 times in the list seen by op 5: .* \(also shown by ops 3, 7\)$/);
    expect(await page.locator("#more-anomalies").count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("labels each fault with its kind and target, on the timeline and in the list of faults", async () => {
    const history = simulatedRun();
    const { page, problems } = await open(renderTimelineHtml(history, { title: "faults" }), "faults.html");
    const labels = ["SIGKILL n3 (leader)", "partition {n1} | {n2 n3}", "pause n2", "late replay: append c7/3 -> n1", "start-partition majority"];
    expect(await page.locator("#faults .fault").allTextContents()).toEqual(labels.map((l) => `⚡ ${l}`));
    const listed = await page.locator("#faults-list li").allTextContents();
    expect(listed).toEqual(["5 ms SIGKILL n3 (leader)", "6 ms partition {n1} | {n2 n3}", "31 ms pause n2", "41 ms late replay: append c7/3 -> n1", "60 ms start-partition majority"]);
    // Every fault label is visible and none overlaps another.
    const drawn = await boxes(page, "#faults .fault");
    for (let i = 0; i < drawn.length; i++) {
      expect(drawn[i]!.width).toBeGreaterThan(20);
      for (let j = i + 1; j < drawn.length; j++) {
        const [p, q] = [drawn[i]!, drawn[j]!];
        const overlap = p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom;
        expect(overlap, `fault labels ${i} and ${j} overlap`).toBe(false);
      }
    }
    expect(await page.locator(".fault-line").count()).toBe(5);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a list of 80 faults stays within the page at every width, scrolling down, never sideways", async () => {
    const b = new HistoryBuilder();
    for (let i = 0; i < 80; i++) {
      b.invoke(0, "write", i, { time: i * 2_000_000 });
      b.ok(0, undefined, { time: i * 2_000_000 + 500_000 });
      b.nemesis("fault", `partition {n${i % 5}} | {n1 n2 n3 n4} number ${i}`, { time: i * 2_000_000 + 1_000_000 });
    }
    const { page, problems } = await open(renderTimelineHtml(b.build(), { title: "many faults" }), "many-faults.html");
    for (const width of [1400, 1024, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const box = (await boxes(page, "#faults-list"))[0]!;
      const items = await boxes(page, "#faults-list li");
      expect(items).toHaveLength(80);
      const outside = items.filter((li) => li.right > Math.min(box.right, width) + 1).length;
      expect(outside, `fault list items past the right edge at ${width}px`).toBe(0);
      const sideways = await inPage<boolean>(page, `(() => { const l = document.getElementById("faults-list").parentElement; return l.scrollWidth > l.clientWidth; })()`);
      expect(sideways, `fault list scrolls sideways at ${width}px`).toBe(false);
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a long unbroken title, subtitle or fault label wraps: the page never scrolls sideways", async () => {
    const b = new HistoryBuilder();
    b.invoke(0, "write", 1, { time: 0 });
    b.ok(0, undefined, { time: 1_000_000 });
    b.nemesis("fault", `late replay: ${"r".repeat(300)}`, { time: 2_000_000 });
    const html = renderTimelineHtml(b.build(), { title: `${"h".repeat(200)}.jsonl`, subtitle: `replay: --core /${"d".repeat(300)}/core.ts` });
    const { page, problems } = await open(html, "long-words.html");
    for (const width of [1400, 1024, 390]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await inPage<number>(page, "document.documentElement.scrollWidth"), `page width at a ${width}px window`).toBeLessThanOrEqual(width);
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows each operation's key, argument and result on its bar", async () => {
    const history = simulatedRun();
    const { page, problems } = await open(renderTimelineHtml(history), "labels.html");
    expect(await page.locator(".op .label").allTextContents()).toEqual([
      'append a0 "c1:1" → ["c1:1"]',
      'append a0 "c2:1" ?',
      "incr n0 1",
      'read a0 → ["c1:1" "c2:1"]',
      "read n0 → 1",
    ]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("has a time axis with ticks and units, fits the whole run to the window, and zooms with the buttons, ctrl+wheel and the keys", async () => {
    const history = simulatedRun();
    const { page, problems } = await open(renderTimelineHtml(history), "zoom.html");
    expect(await page.locator("#axis .unit").textContent()).toBe("time (ms)");
    const ticks = await page.locator("#axis .tick").allTextContents();
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    for (const t of ticks) expect(t).toMatch(/^\d+(\.\d+)? (ns|µs|ms|s)$/);
    expect(ticks).toEqual(expect.arrayContaining(["10 ms", "20 ms", "70 ms"]));
    // Fitted: nothing to scroll sideways, and the last operation ends inside the view.
    expect(await scrollsSideways(page)).toBe(false);
    const last = (await boxes(page, ".op")).pop()!;
    const view = (await boxes(page, "#scroll"))[0]!;
    expect(last.right).toBeLessThanOrEqual(view.right);
    const k0 = await scale(page);
    const width = async () => (await page.locator(".op").first().boundingBox())!.width;
    const w0 = await width();
    await page.click("#zoom-in");
    expect(await scale(page)).toBeCloseTo(2 * k0, 6);
    expect(await width()).toBeCloseTo(2 * w0, 0);
    expect(await scrollsSideways(page)).toBe(true);
    await page.keyboard.press("-");
    expect(await scale(page)).toBeCloseTo(k0, 6);
    await page.keyboard.press("+");
    await page.keyboard.press("+");
    expect(await scale(page)).toBeCloseTo(4 * k0, 6);
    await page.keyboard.press("0");
    expect(await scale(page)).toBeCloseTo(k0, 6);
    const box = (await page.locator("#scroll").boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.keyboard.down("Control");
    await page.mouse.wheel(0, -100);
    await page.keyboard.up("Control");
    await expect.poll(() => scale(page)).toBeGreaterThan(k0);
    await page.click("#zoom-out");
    await page.click("#zoom-out");
    // Never narrower than the fitted view.
    expect(await scale(page)).toBeCloseTo(k0, 6);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("without :time on every event the axis counts events", async () => {
    const b = new HistoryBuilder();
    b.invoke(0, "write", 1);
    b.ok(0);
    b.invoke(1, "read", null);
    b.ok(1, 1);
    const { page, problems } = await open(renderTimelineHtml(b.build()), "events.html");
    expect(await page.locator("#axis .unit").textContent()).toBe("event #");
    expect(await page.locator("#axis .tick").allTextContents()).toContain("0");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a 10,000-operation history renders a window around the failure, fitted, the same bytes every time", async () => {
    const b = new HistoryBuilder();
    for (let i = 0; i < 10_000; i++) {
      const p = i % 8;
      b.invoke(p, "write", i, { time: i * 2_000_000 });
      b.ok(p, undefined, { time: i * 2_000_000 + 1_000_000 });
    }
    b.invoke(9, "read", null, { time: 20_000_000_000 });
    b.ok(9, 5, { time: 20_001_000_000 });
    const history = b.build();
    const result = checkLinearizability(history, { model: "register" });
    expect(result.valid).toBe(false);
    const html = renderTimelineHtml(history, { result });
    expect(renderTimelineHtml(history, { result })).toBe(html);
    expect(html.length).toBeLessThan(3_000_000);
    const { page, problems } = await open(html, "large.html");
    expect(await page.locator(".note").filter({ hasText: /^Showing events \d+–\d+ of 20002/ }).count()).toBe(1);
    expect(await page.locator(".op").count()).toBeLessThanOrEqual(2001);
    expect(await page.locator(".op.failed").count()).toBe(1);
    expect(await scrollsSideways(page)).toBe(false);
    await page.click("#zoom-failure");
    expect(await page.locator(".op.failed").isVisible()).toBe(true);
    const failedBox = (await boxes(page, ".op.failed"))[0]!;
    const scrollBox = (await boxes(page, "#scroll"))[0]!;
    const inView = failedBox.left >= scrollBox.left && failedBox.right <= scrollBox.right;
    expect(inView).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });
  it("a history with thousands of invokes left open across the window draws the window's operations and the ones involved, and says how many more are not drawn", async () => {
    const history = openAcrossHistory();
    const result = checkLinearizability(history, { model: "register" });
    expect(result.valid).toBe(false);
    const html = renderTimelineHtml(history, { result });
    const { page, problems } = await open(html, "open-across.html");
    expect(await page.locator(".op").count()).toBeLessThanOrEqual(2000 + 64);
    expect(await page.locator(".row-label").count()).toBeLessThanOrEqual(64 + 10);
    expect(await page.locator(".op.failed").count()).toBe(1);
    expect(await page.locator(".note").filter({ hasText: /^\d+ more operations are open across all of this window and not drawn\.$/ }).count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("the keyboard alone reaches every operation and fault: Tab to the timeline, arrows between bars, Enter or Space opens the details, Escape closes them and gives the focus back", async () => {
    const history = staleRead();
    const result = checkLinearizability(history, { model: "register" });
    const { page, problems } = await open(renderTimelineHtml(history, { title: "stale read", result }), "keyboard.html");
    const outlineOf = (selector: string) =>
      inPage<{ style: string; width: number; color: string }>(page, `(() => { const s = getComputedStyle(document.querySelector(${JSON.stringify(selector)})); return { style: s.outlineStyle, width: parseFloat(s.outlineWidth), color: s.outlineColor }; })()`);
    const unfocused = await outlineOf(".op.failed");
    // The zoom buttons come first, then the timeline: one tab stop, on the failing operation.
    const before = await tabIntoTimeline(page);
    expect(before).toEqual(expect.arrayContaining(["zoom-out", "zoom-in", "zoom-fit", "zoom-failure"]));
    let f = await focused(page);
    expect(f.cls).toContain("failed");
    expect(f.role).toBe("button");
    expect(f.label).toBe("process 1: read → 1 (ok; cannot be linearized)");
    expect(f.expanded).toBe("false");
    const failedId = f.id;
    // A visible focus outline, which the bar has not when it is not focused.
    const outline = await outlineOf(".op.failed");
    expect(outline.style).toBe("solid");
    expect(outline.width).toBeGreaterThanOrEqual(2);
    expect(outline.color).not.toBe(unfocused.color);
    expect(isRed(unfocused.color)).toBe(true);
    expect(isRed(outline.color)).toBe(false);
    // Enter opens the details; the focus moves into them.
    expect(await detailsText(page)).toBeNull();
    await page.keyboard.press("Enter");
    const text = await detailsText(page);
    expect(text).toContain("process 1: read → 1 (ok; cannot be linearized)");
    expect(text).toMatch(/result\s+1/);
    expect(text).toMatch(/checker\s+cannot be linearized/);
    f = await focused(page);
    expect(f.inDetails).toBe(true);
    expect(await page.locator(`#${failedId}`).getAttribute("aria-expanded")).toBe("true");
    expect(await page.locator(`#${failedId}`).getAttribute("aria-controls")).toBe("details");
    expect(await page.locator("#details").getAttribute("role")).toBe("dialog");
    // Escape closes them, and the focus is back on the bar.
    await page.keyboard.press("Escape");
    expect(await detailsText(page)).toBeNull();
    f = await focused(page);
    expect(f.id).toBe(failedId);
    expect(f.expanded).toBe("false");
    // Up: process 2's row (its write 3 ?), then process 0's (the write nearest in time), then the fault band.
    await page.keyboard.press("ArrowUp");
    f = await focused(page);
    expect(f.label).toBe("process 2: write 3 ? (info, may or may not have happened)");
    await page.keyboard.press("ArrowUp");
    f = await focused(page);
    expect(f.label).toBe("process 0: write 2 (ok; involved in the failure)");
    await page.keyboard.press("ArrowLeft");
    f = await focused(page);
    expect(f.label).toBe("process 0: write 1 (ok; involved in the failure)");
    // Left at the start of a row stays put.
    await page.keyboard.press("ArrowLeft");
    expect((await focused(page)).label).toBe("process 0: write 1 (ok; involved in the failure)");
    await page.keyboard.press("End");
    expect((await focused(page)).label).toBe("process 0: write 2 (ok; involved in the failure)");
    // Still one tab stop in the timeline, now on the bar reached.
    expect(await page.locator("#canvas [tabindex]").count()).toBe(1);
    expect(await page.locator("#canvas [tabindex]").getAttribute("aria-label")).toBe("process 0: write 2 (ok; involved in the failure)");
    // Space opens the details too.
    await page.keyboard.press(" ");
    expect(await detailsText(page)).toMatch(/argument\s+2/);
    await page.keyboard.press("Escape");
    expect((await focused(page)).label).toBe("process 0: write 2 (ok; involved in the failure)");
    // The fault band is the lane above the first row.
    await page.keyboard.press("ArrowUp");
    f = await focused(page);
    expect(f.cls).toContain("fault");
    expect(f.label).toBe("fault at 12 ns: start-partition majority");
    await page.keyboard.press("Enter");
    expect(await detailsText(page)).toMatch(/fault\s+start-partition majority/);
    await page.keyboard.press("Escape");
    expect((await focused(page)).cls).toContain("fault");
    // Tab leaves the timeline in one step, and Shift+Tab comes back to where it was.
    await page.keyboard.press("Tab");
    expect((await focused(page)).inTimeline).toBe(false);
    await page.keyboard.press("Shift+Tab");
    f = await focused(page);
    expect(f.inTimeline).toBe(true);
    expect(f.cls).toContain("fault");
    // The close button closes the details as well, from the keyboard.
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    expect((await focused(page)).id).toBe("details-close");
    await page.keyboard.press("Enter");
    expect(await detailsText(page)).toBeNull();
    expect((await focused(page)).cls).toContain("fault");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a click opens an operation's details too, and Escape closes them", async () => {
    const history = simulatedRun();
    const { page, problems } = await open(renderTimelineHtml(history), "click-details.html");
    const bar = page.locator(".op", { hasText: "incr n0 1" });
    await bar.click();
    expect(await detailsText(page)).toMatch(/client_id\s+c1/);
    expect(await bar.getAttribute("aria-expanded")).toBe("true");
    await page.keyboard.press("Escape");
    expect(await detailsText(page)).toBeNull();
    expect((await focused(page)).label).toBe("process 0: incr n0 1 (ok)");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("a timeline of thousands of bars is one tab stop, and the arrow keys walk its bars", async () => {
    const history = openAcrossHistory();
    const result = checkLinearizability(history, { model: "register" });
    const { page, problems } = await open(renderTimelineHtml(history, { result }), "keyboard-large.html");
    const bars = await page.locator(".op").count();
    expect(bars).toBeGreaterThan(1000);
    expect(await page.locator("#canvas [tabindex]").count()).toBe(1);
    await tabIntoTimeline(page);
    const first = await focused(page);
    expect(first.cls).toContain("failed");
    expect(first.label).toMatch(/^process 9: read → 5 \(ok; cannot be linearized\)$/);
    // Up to the row of writes above, to the write nearest in time (its last), then back along it.
    await page.keyboard.press("ArrowUp");
    const up = await focused(page);
    const row = /^process ([0-7]): write \d+ \(ok/.exec(up.label ?? "")?.[1];
    expect(row, `the bar above the failing read: ${up.label}`).toBeDefined();
    const seen = new Set([up.id]);
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press("ArrowLeft");
      const f = await focused(page);
      expect(f.label).toMatch(new RegExp(`^process ${row}: write \\d+ \\(ok`));
      seen.add(f.id);
    }
    expect(seen.size).toBe(6);
    await page.keyboard.press("ArrowDown");
    const below = await focused(page);
    expect(below.id).toBe(first.id);
    await page.keyboard.press("Enter");
    expect(await detailsText(page)).toContain(below.label!);
    await page.keyboard.press("Escape");
    expect((await focused(page)).id).toBe(below.id);
    expect(await page.locator("#canvas [tabindex]").count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });
});
