import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { runInProcess } from "../../src/run/in-process.js";
import { writeOutputs } from "../../src/output/writer.js";
import { renderMessageDiagram } from "../../src/output/message-diagram.js";
import type { TraceEntry } from "../../src/network/trace.js";
import { DEFAULT_CONFIG } from "../../src/run/config.js";
import { launchChromium, openPage } from "./browser.js";

let browser: Browser;
/** A known-bad run (no sessions): it has a violation to point at. */
let dir: string;
/** A reference run: duplicates are answered from the session. */
let refDir: string;
/** The reference run again: its pages must be the same bytes. */
let againDir: string;
/** DSLAB_KEEP_HTML=1 keeps the output directories (pages and screenshots) for a person to open. */
const keep = process.env.DSLAB_KEEP_HTML === "1";
const nemesis = ["partition", "kill", "duplicate", "lose-reply", "pause", "replay"] as const;
const reference = { ...DEFAULT_CONFIG, seed: "html-2", timeLimitS: 6, nemesis: [...nemesis] };

beforeAll(async () => {
  browser = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), "kv-sim-html-"));
  await writeOutputs(dir, await runInProcess({ ...reference, core: "packages/cluster/test/known-bad/no-sessions.ts" }, { tracePeerMessages: true }));
  refDir = await mkdtemp(join(tmpdir(), "kv-sim-html-ref-"));
  await writeOutputs(refDir, await runInProcess(reference, { tracePeerMessages: true }));
  againDir = await mkdtemp(join(tmpdir(), "kv-sim-html-again-"));
  await writeOutputs(againDir, await runInProcess(reference, { tracePeerMessages: true }));
});

afterAll(async () => {
  await browser?.close();
  for (const d of [dir, refDir, againDir]) {
    if (!d) continue;
    if (keep) console.log(`kept ${d}`);
    else await rm(d, { recursive: true, force: true });
  }
});

/** Runs a JavaScript expression in the page (the package compiles without DOM types). */
function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

async function box(page: Page, selector: string): Promise<Box> {
  return inPage(page, `document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect().toJSON()`);
}

async function viewport(page: Page): Promise<{ width: number; height: number }> {
  return inPage(page, "({ width: window.innerWidth, height: window.innerHeight })");
}

/** Some of the box is inside the viewport, and below the sticky column headers. */
async function expectInView(page: Page, selector: string): Promise<void> {
  const b = await box(page, selector);
  const v = await viewport(page);
  const heads = await box(page, ".view:not([hidden]) .heads");
  expect(b.top, `${selector} below the headers`).toBeGreaterThanOrEqual(heads.bottom - 1);
  expect(b.bottom, `${selector} above the bottom`).toBeLessThanOrEqual(v.height);
  expect(b.right, `${selector} not left of the view`).toBeGreaterThan(0);
  expect(b.left, `${selector} not right of the view`).toBeLessThan(v.width);
}

/** Hue (degrees) and saturation of a computed CSS colour "rgb(r, g, b)". */
function hueOf(css: string): { hue: number; saturation: number } {
  const [r, g, b] = css.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((x) => Number(x) / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const d = max - min;
  if (d === 0) return { hue: 0, saturation: 0 };
  const saturation = d / (1 - Math.abs(max + min - 1));
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return { hue: (h * 60 + 360) % 360, saturation };
}

/** An error colour: a saturated red (hue within 20 degrees of 0). */
function isRed(css: string): boolean {
  const { hue, saturation } = hueOf(css);
  return saturation > 0.3 && (hue <= 20 || hue >= 340);
}

async function verdictColours(page: Page): Promise<string[]> {
  return inPage(page, `(() => { const s = getComputedStyle(document.getElementById("verdict")); return [s.color, s.backgroundColor]; })()`);
}

async function screenshot(page: Page, file: string): Promise<void> {
  await page.screenshot({ path: file });
  console.log(`screenshot: ${file}${keep ? "" : " (removed after the run; DSLAB_KEEP_HTML=1 keeps it)"}`);
}

/** The client messages of a run, counted from messages.txt (one line each). */
async function clientMessageCount(d: string): Promise<number> {
  return (await readFile(join(d, "messages.txt"), "utf8")).split("\n").filter((l) => /^\d+\.\d{3} (c\d+ -> n\d|n\d -> c\d+) /.test(l)).length;
}

describe("outputs: one directory with the histories, the results and two pictures", () => {
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
      "npm run kv-sim -- run --seed html-2 --nodes 3 --time-limit-s 6 --rate 100 --concurrency 8 --workload exactly-once --nemesis partition,kill,duplicate,lose-reply,pause,replay --core packages/cluster/test/known-bad/no-sessions.ts",
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
      expect(tip).toMatch(/^msg_id: \d+$/m);
      expect(tip).toMatch(/^client_id: \d+\nseq: \d+$/m);
    });
    expect(r.consoleErrors).toEqual([]);
    expect(r.title).toBe("kv-sim seed html-2: invalid (exactly-once failed)");
    // The arrow markers, the sticky column headers, the messages.
    expect(r.svgCount).toBe(3);
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
    expect(r.title).toBe("kv-sim seed html-2: invalid (exactly-once failed)");
    expect(r.text).toMatch(/NOT exactly once/);
    expect(r.text).toMatch(/\[applied-twice\]/);
    expect(r.text).toMatch(/replay: npm run kv-sim -- run --seed html-2/);
  });
  test("the message diagram opens at the first violation: its request and the violation line are in view below the column headers", async () => {
    const r = await openPage(browser, join(dir, "messages.html"), async (page) => {
      expect(await page.locator("#focus").getAttribute("class")).toMatch(/\binvolved\b/);
      expect(await inPage(page, "window.scrollY")).toBeGreaterThan(0);
      await expectInView(page, "#focus line:not(.glow)");
      await expectInView(page, "#view-window line.violation");
      expect(await page.locator("#view-window text.violation-label").textContent()).toMatch(/^✖ first violation: exactly-once: applied-twice @\d+ms$/);
      // From the keyboard: past the button, Tab lands on that request, named for a screen reader.
      await page.keyboard.press("Tab");
      expect(await inPage(page, "document.activeElement.id")).toBe("toggle-whole");
      await page.keyboard.press("Tab");
      expect(await inPage(page, "document.activeElement.id")).toBe("focus");
      expect(await page.locator("#focus").getAttribute("aria-label")).toMatch(/^c\d+ to n\d: (append|incr|read) msg \d+, client_id \d+ seq \d+, .*, in the first violation$/);
      await expectInView(page, "#focus line:not(.glow)");
      await screenshot(page, join(dir, "messages.png"));
    });
    expect(r.consoleErrors).toEqual([]);
  });

  test("the column headers stay in view while the diagram scrolls, each over its own lifeline", async () => {
    const r = await openPage(browser, join(dir, "messages.html"), async (page) => {
      await inPage(page, "window.scrollTo(200, document.body.scrollHeight / 2)");
      const heads = await box(page, "#view-window .heads");
      expect(Math.abs(heads.top)).toBeLessThan(1);
      const names = await page.locator("#view-window .heads text.head").allTextContents();
      expect(names).toEqual(expect.arrayContaining(["n1", "n2", "n3"]));
      const offsets = await inPage<number[]>(
        page,
        `(() => { const heads = [...document.querySelectorAll("#view-window .heads text.head")]; const lives = [...document.querySelectorAll("#view-window line.life")];
          return heads.map((h, i) => { const a = h.getBoundingClientRect(), b = lives[i].getBoundingClientRect(); return Math.abs((a.left + a.right) / 2 - (b.left + b.right) / 2); }); })()`,
      );
      expect(offsets.length).toBe(names.length);
      for (const d of offsets) expect(d).toBeLessThan(2);
      const n1 = await box(page, "#view-window .heads text.head.node");
      expect(n1.top).toBeGreaterThanOrEqual(0);
      expect(n1.bottom).toBeLessThanOrEqual(heads.bottom);
    });
    expect(r.consoleErrors).toEqual([]);
  });

  test("a button swaps the window for the whole run and back, each opening at the violation", async () => {
    const clients = await clientMessageCount(dir);
    const r = await openPage(browser, join(dir, "messages.html"), async (page) => {
      const inWindow = await page.locator("#view-window g.msg").count();
      expect(await page.locator("#toggle-whole").textContent()).toBe(`Show the whole run (${clients} client messages)`);
      expect(await page.locator("#view-whole").isHidden()).toBe(true);
      await page.click("#toggle-whole");
      expect(await page.locator("#view-window").isHidden()).toBe(true);
      expect(await page.locator("#view-whole").isVisible()).toBe(true);
      // Every client message of the run, and no node-to-node traffic.
      expect(await page.locator("#view-whole g.msg").count()).toBe(clients);
      expect(clients).toBeGreaterThan(inWindow / 3);
      expect(await page.locator("#view-note").textContent()).toMatch(/^Whole run: all \d+ client messages of the run/);
      await expectInView(page, "#view-whole g.msg.focus line:not(.glow)");
      await expectInView(page, "#view-whole line.violation");
      await page.click("#toggle-whole");
      expect(await page.locator("#view-window").isVisible()).toBe(true);
      expect(await page.locator("#toggle-whole").textContent()).toMatch(/^Show the whole run/);
      await expectInView(page, "#focus line:not(.glow)");
    });
    expect(r.consoleErrors).toEqual([]);
  });

  test("on the reference run the diagram opens at the first retry answered from the session, under a verdict banner that is not red", async () => {
    const r = await openPage(browser, join(refDir, "messages.html"), async (page) => {
      expect(await page.locator("#focus").getAttribute("class")).toMatch(/\bsession\b/);
      expect(await page.locator("#focus title").textContent()).toMatch(/from session/);
      await expectInView(page, "#focus line:not(.glow)");
      expect(await page.locator("#verdict").textContent()).toBe("valid");
      for (const c of await verdictColours(page)) expect(isRed(c), c).toBe(false);
      await screenshot(page, join(refDir, "messages.png"));
    });
    expect(r.consoleErrors).toEqual([]);
    const bad = await openPage(browser, join(dir, "messages.html"), async (page) => {
      expect(await page.locator("#verdict").textContent()).toBe("invalid");
      for (const c of await verdictColours(page)) expect(isRed(c), c).toBe(true);
    });
    expect(bad.consoleErrors).toEqual([]);
  });

  test("the timeline labels every fault the run applied, shows keys and values, has a time axis, fits and zooms, and colours the verdict", async () => {
    for (const [d, valid] of [[refDir, true], [dir, false]] as const) {
      const results = JSON.parse(await readFile(join(d, "results.json"), "utf8")) as { faults: Array<{ label: string }> };
      expect(results.faults.map((f) => f.label)).toEqual(expect.arrayContaining([expect.stringMatching(/^SIGKILL n\d/), expect.stringMatching(/^late replay: /)]));
      const r = await openPage(browser, join(d, "timeline.html"), async (page) => {
        const listed = await page.locator("#faults-list li").allTextContents();
        expect(listed.map((l) => l.replace(/^\d+(\.\d+)? ms /, ""))).toEqual(results.faults.map((f) => f.label));
        expect(await page.locator("#faults .fault").count()).toBe(results.faults.length);
        const labels = await page.locator(".op .label").allTextContents();
        expect(labels).toEqual(
          expect.arrayContaining([expect.stringMatching(/^append a\d\.\d "c\d+:\d+" → \[/), expect.stringMatching(/^incr n\d 1/), expect.stringMatching(/^read (a\d\.\d|n\d) → /)]),
        );
        expect(await page.locator("#axis .unit").textContent()).toBe("time (ms)");
        const ticks = await page.locator("#axis .tick").allTextContents();
        expect(ticks.length).toBeGreaterThan(3);
        for (const t of ticks) expect(t).toMatch(/^\d+(\.\d+)? (ms|s)$/);
        expect(await inPage(page, `document.getElementById("scroll").scrollWidth <= document.getElementById("scroll").clientWidth`)).toBe(true);
        const k = Number(await page.locator("#canvas").getAttribute("data-px-per-unit"));
        await page.click("#zoom-in");
        expect(Number(await page.locator("#canvas").getAttribute("data-px-per-unit"))).toBeCloseTo(2 * k, 6);
        await page.keyboard.press("0");
        for (const c of await verdictColours(page)) expect(isRed(c), c).toBe(!valid);
        await screenshot(page, join(d, "timeline.png"));
      });
      expect(r.consoleErrors).toEqual([]);
    }
  });

  test("the same seed gives byte-identical pages", async () => {
    for (const name of ["messages.html", "timeline.html"]) {
      expect(await readFile(join(againDir, name), "utf8"), name).toBe(await readFile(join(refDir, name), "utf8"));
    }
  });
});

describe("a long run's message diagram", () => {
  /** 10,000 requests and their replies from 8 clients, the 9,000th retried and applied twice. */
  function longTrace(): TraceEntry[] {
    const entries: TraceEntry[] = [];
    let packetId = 0;
    for (let i = 0; i < 10_000; i++) {
      const client = `c${(i % 8) + 1}`;
      const node = `n${(i % 3) + 1}`;
      const clientId = `id-${client}`;
      const seq = Math.floor(i / 8) + 1;
      const at = i * 2;
      const attempts = i === 9_000 ? 2 : 1;
      for (let a = 0; a < attempts; a++) {
        const sent = at + a * 0.5;
        const body = { type: "append", msg_id: i * 2 + a, key: "k", value: `${client}:${seq}`, client_id: clientId, seq };
        entries.push({ kind: "message", packetId: packetId++, src: client, dest: node, sentAtMs: sent, deliveredAtMs: sent + 0.2, fate: "delivered", type: "append", msgId: i * 2 + a, clientId, seq, body });
        const reply = { type: "append_ok", msg_id: 1, in_reply_to: i * 2 + a, client_id: clientId, seq };
        entries.push({ kind: "message", packetId: packetId++, src: node, dest: client, sentAtMs: sent + 0.3, deliveredAtMs: sent + 0.4, fate: "delivered", type: "append_ok", msgId: 1, inReplyTo: i * 2 + a, clientId, seq, body: reply });
      }
      if (i % 1000 === 500) entries.push({ kind: "fault", atMs: at + 1, label: `SIGKILL n${(i % 3) + 1}`, nodes: [`n${(i % 3) + 1}`] });
    }
    return entries;
  }

  test("draws a window of about 300 client messages, and the whole run up to 5,000 of them, in bounded bytes; the page opens at the violation", async () => {
    const entries = longTrace();
    const input = {
      title: "long run: invalid",
      subtitle: "10,000 requests",
      nodeIds: ["n1", "n2", "n3"],
      entries,
      violation: { atMs: 18_000, label: "exactly-once: applied-twice" },
      involved: [{ clientId: "id-c1", seq: 1126 }],
      verdict: "invalid" as const,
    };
    const html = renderMessageDiagram(input);
    expect(renderMessageDiagram(input)).toBe(html);
    // About 520 bytes per message drawn (its details and its spoken name included): the window plus the capped whole run.
    expect(html.length).toBeLessThan(5_300 * 600);
    const file = join(dir, "long-messages.html");
    await writeFile(file, html);
    const r = await openPage(browser, file, async (page) => {
      const clientInWindow = await page.locator("#view-window g.msg").count();
      expect(clientInWindow).toBeLessThanOrEqual(300);
      // However many arrows, each view is one tab stop: the violation's request.
      expect(await page.locator("#view-window g.msg[tabindex]").count()).toBe(1);
      expect(await page.locator("#view-window g.msg[tabindex]").getAttribute("id")).toBe("focus");
      expect(await page.locator("#focus").getAttribute("class")).toMatch(/\binvolved\b/);
      await expectInView(page, "#focus line:not(.glow)");
      await page.click("#toggle-whole");
      expect(await page.locator("#view-whole g.msg").count()).toBe(5_000);
      expect(await page.locator("#view-whole g.msg[tabindex]").count()).toBe(1);
      expect(await page.locator("#view-whole g.msg[tabindex]").getAttribute("class")).toMatch(/\bfocus\b/);
      expect(await page.locator("#view-note").textContent()).toBe(
        "Whole run: 5000 of 20002 client messages around the focus (the most one page draws; messages.txt has every one), with the faults.",
      );
      await expectInView(page, "#view-whole g.msg.focus line:not(.glow)");
    });
    expect(r.consoleErrors).toEqual([]);
  });
});
