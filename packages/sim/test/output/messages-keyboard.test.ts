// messages.html from the keyboard alone, in a real browser: Tab reaches the
// diagram (one tab stop), the arrow keys walk the messages in time, Enter or
// Space opens a message's details in a panel, Escape closes it and gives the
// focus back to the arrow; a click opens the same panel.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { renderMessageDiagram, type DiagramInput } from "../../src/output/message-diagram.js";
import type { TraceEntry, TracedMessage } from "../../src/network/trace.js";
import { launchChromium } from "./browser.js";

let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await launchChromium();
  dir = await mkdtemp(join(tmpdir(), "kv-sim-messages-keys-"));
});

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function message(m: Omit<TracedMessage, "kind" | "packetId" | "body"> & { body?: Record<string, unknown> }, packetId: number): TracedMessage {
  const body = { type: m.type, ...(m.msgId !== undefined ? { msg_id: m.msgId } : {}), ...(m.inReplyTo !== undefined ? { in_reply_to: m.inReplyTo } : {}), ...(m.body ?? {}) };
  return { kind: "message", packetId, ...m, body } as TracedMessage;
}

/**
 * Two clients and three nodes: an append and its reply, node traffic (one
 * packet lost to a partition), a read, a fault, then the append retried and
 * answered from the session; the first violation names the retried request.
 */
function smallRun(): DiagramInput {
  let p = 0;
  const entries: TraceEntry[] = [
    message({ src: "c1", dest: "n1", sentAtMs: 1, deliveredAtMs: 1.5, fate: "delivered", type: "append", msgId: 1, clientId: "7", seq: 1, body: { key: "k", value: "c1:1", client_id: "7", seq: 1 } }, p++),
    message({ src: "n1", dest: "n2", sentAtMs: 2, deliveredAtMs: 2.4, fate: "delivered", type: "raft_append", msgId: 10, body: { term: 2 } }, p++),
    message({ src: "n1", dest: "n3", sentAtMs: 2.1, fate: "dropped-partition", type: "raft_append", msgId: 11, body: { term: 2 } }, p++),
    message({ src: "n2", dest: "n1", sentAtMs: 3, deliveredAtMs: 3.3, fate: "delivered", type: "raft_append_ok", msgId: 12, inReplyTo: 10 }, p++),
    message({ src: "n1", dest: "c1", sentAtMs: 4, deliveredAtMs: 4.2, fate: "delivered", type: "append_ok", msgId: 13, inReplyTo: 1, clientId: "7", seq: 1, body: { client_id: "7", seq: 1 } }, p++),
    message({ src: "c2", dest: "n2", sentAtMs: 5, deliveredAtMs: 5.1, fate: "delivered", type: "read", msgId: 1, clientId: "8", seq: 1, body: { key: "k", client_id: "8", seq: 1 } }, p++),
    { kind: "fault", atMs: 5.5, label: "partition {n1} | {n2 n3}", nodes: ["n1"] },
    message({ src: "c1", dest: "n1", sentAtMs: 6, deliveredAtMs: 6.2, fate: "delivered", type: "append", msgId: 2, clientId: "7", seq: 1, body: { key: "k", value: "c1:1", client_id: "7", seq: 1 } }, p++),
    message({ src: "n1", dest: "c1", sentAtMs: 7, deliveredAtMs: 7.25, fate: "delivered", type: "append_ok", msgId: 14, inReplyTo: 2, clientId: "7", seq: 1, fromSession: true, body: { client_id: "7", seq: 1 } }, p++),
  ];
  return {
    title: "a small run",
    subtitle: "two clients, three nodes",
    nodeIds: ["n1", "n2", "n3"],
    entries,
    violation: { atMs: 6.5, label: "exactly-once: applied-twice" },
    involved: [{ clientId: "7", seq: 1 }],
    verdict: "invalid",
  };
}

const FIRST = "c1 to n1: append msg 1, client_id 7 seq 1, delivered at 1.5 ms, in the first violation";
const RAFT = "n1 to n2: raft_append msg 10, delivered at 2.4 ms";
const LOST = "n1 to n3: raft_append msg 11, sent at 2.1 ms, dropped (partition)";
const RETRY = "c1 to n1: append msg 2, client_id 7 seq 1, delivered at 6.2 ms, retry #1, in the first violation";
const FROM_SESSION = "n1 to c1: append_ok msg 14, reply to 2, client_id 7 seq 1, delivered at 7.3 ms, from session, in the first violation";

/** Runs a JavaScript expression in the page (the package compiles without DOM types). */
function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

interface Focused {
  id: string;
  tag: string;
  role: string | null;
  label: string | null;
  expanded: string | null;
  inDiagram: boolean;
  inDetails: boolean;
}

/** What has the keyboard focus: its id, tag, role, aria-label and aria-expanded, and whether it is an arrow of the diagram or in the details panel. */
function focused(page: Page): Promise<Focused> {
  return inPage(
    page,
    `(() => { const e = document.activeElement; return { id: e.id, tag: e.tagName, role: e.getAttribute("role"), label: e.getAttribute("aria-label"), expanded: e.getAttribute("aria-expanded"), inDiagram: !!e.closest(".view g.msg"), inDetails: !!e.closest("#details") }; })()`,
  );
}

/** Presses Tab until the focus is on an arrow of the diagram (at most 20 times); what was focused on the way. */
async function tabIntoDiagram(page: Page): Promise<string[]> {
  const passed: string[] = [];
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    if (f.inDiagram) return passed;
    passed.push(f.id || f.tag);
  }
  throw new Error(`Tab never reached the diagram; focused on the way: ${passed.join(", ")}`);
}

/** The text of the details panel, or null when it is hidden. */
function detailsText(page: Page): Promise<string | null> {
  return inPage(page, `(() => { const d = document.getElementById("details"); return d && !d.hidden && d.getClientRects().length > 0 ? d.innerText : null; })()`);
}

/** Opens the page in chromium; every console error and any request that is not for the file itself is collected. */
async function open(html: string, name: string): Promise<{ page: Page; problems: string[] }> {
  const file = join(dir, name);
  await writeFile(file, html);
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) problems.push(`unexpected request ${r.url()}`);
  });
  await page.goto(`file://${file}`);
  await page.waitForLoadState("load");
  return { page, problems };
}

describe("messages.html from the keyboard", () => {
  test("Tab reaches the diagram at the violation's request; the arrow keys walk the messages in time; Enter or Space opens a message's details and Escape closes them, giving the focus back", async () => {
    const { page, problems } = await open(renderMessageDiagram(smallRun()), "small.html");
    const outline = () => inPage<{ style: string; width: number }>(page, `(() => { const s = getComputedStyle(document.activeElement); return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) }; })()`);
    // One tab stop: the request the page opens at.
    expect(await page.locator(".view g.msg[tabindex]").count()).toBe(1);
    await tabIntoDiagram(page);
    let f = await focused(page);
    expect(f.id).toBe("focus");
    expect(f.role).toBe("button");
    expect(f.label).toBe(RETRY);
    // A visible focus outline.
    const o = await outline();
    expect(o.style).toBe("solid");
    expect(o.width).toBeGreaterThanOrEqual(2);
    // Down: the next message in time (its reply, answered from the session); past the last, it stays.
    await page.keyboard.press("ArrowDown");
    expect((await focused(page)).label).toBe(FROM_SESSION);
    await page.keyboard.press("ArrowDown");
    expect((await focused(page)).label).toBe(FROM_SESSION);
    // Home / End: the first and the last message; Up from the first stays.
    await page.keyboard.press("Home");
    expect((await focused(page)).label).toBe(FIRST);
    await page.keyboard.press("ArrowUp");
    expect((await focused(page)).label).toBe(FIRST);
    await page.keyboard.press("End");
    expect((await focused(page)).label).toBe(FROM_SESSION);
    await page.keyboard.press("Home");
    await page.keyboard.press("ArrowDown");
    expect((await focused(page)).label).toBe(RAFT);
    await page.keyboard.press("ArrowDown");
    f = await focused(page);
    expect(f.label).toBe(LOST);
    expect(f.expanded).not.toBe("true");
    // Still one tab stop, now on the message reached.
    expect(await page.locator(".view g.msg[tabindex]").count()).toBe(1);
    expect(await page.locator(".view g.msg[tabindex]").getAttribute("aria-label")).toBe(LOST);
    // Enter opens the details, naming the message; the focus moves into them.
    expect(await detailsText(page)).toBeNull();
    await page.keyboard.press("Enter");
    let text = await detailsText(page);
    expect(text).toContain(LOST);
    expect(text).toMatch(/msg_id\s+11/);
    expect(text).toMatch(/fate\s+dropped-partition/);
    expect(text).toMatch(/sent\s+2\.10 ms/);
    expect(text).toMatch(/body\s+raft_append \{"term":2\}/);
    expect((await focused(page)).inDetails).toBe(true);
    expect(await page.locator("#details").getAttribute("role")).toBe("dialog");
    const lost = page.locator(".view g.msg[tabindex]");
    expect(await lost.getAttribute("aria-expanded")).toBe("true");
    expect(await lost.getAttribute("aria-controls")).toBe("details");
    // Escape closes them; the focus is back on the arrow.
    await page.keyboard.press("Escape");
    expect(await detailsText(page)).toBeNull();
    f = await focused(page);
    expect(f.label).toBe(LOST);
    expect(f.expanded).toBe("false");
    // Space opens them too: client_id, seq, the times, the marks.
    await page.keyboard.press("End");
    await page.keyboard.press(" ");
    text = await detailsText(page);
    expect(text).toContain(FROM_SESSION);
    expect(text).toMatch(/client_id\s+7/);
    expect(text).toMatch(/seq\s+1/);
    expect(text).toMatch(/in_reply_to\s+2/);
    expect(text).toMatch(/delivered\s+7\.25 ms/);
    expect(text).toMatch(/marks\s+from session/);
    // The close button closes them as well, from the keyboard.
    await page.keyboard.press("Tab");
    expect((await focused(page)).id).toBe("details-close");
    await page.keyboard.press("Enter");
    expect(await detailsText(page)).toBeNull();
    expect((await focused(page)).label).toBe(FROM_SESSION);
    // Tab leaves the diagram in one step, and Shift+Tab comes back to the message it was on.
    await page.keyboard.press("Tab");
    expect((await focused(page)).inDiagram).toBe(false);
    await page.keyboard.press("Shift+Tab");
    f = await focused(page);
    expect(f.inDiagram).toBe(true);
    expect(f.label).toBe(FROM_SESSION);
    expect(problems).toEqual([]);
    await page.close();
  });

  test("without a violation or a retry the tab stop is the first message, and a click opens a message's details too", async () => {
    const run = smallRun();
    const input: DiagramInput = { ...run, entries: run.entries.slice(0, 6), violation: undefined, involved: undefined, verdict: "valid" };
    const { page, problems } = await open(renderMessageDiagram(input), "click.html");
    await tabIntoDiagram(page);
    expect((await focused(page)).label).toBe("c1 to n1: append msg 1, client_id 7 seq 1, delivered at 1.5 ms");
    const read = page.locator(".view g.msg", { hasText: "read 8/1" });
    await read.locator("text").click();
    const text = await detailsText(page);
    expect(text).toContain("c2 to n2: read msg 1, client_id 8 seq 1, delivered at 5.1 ms");
    expect(text).toMatch(/message\s+c2 → n2 read/);
    expect(await read.getAttribute("aria-expanded")).toBe("true");
    await page.keyboard.press("Escape");
    expect(await detailsText(page)).toBeNull();
    expect((await focused(page)).label).toBe("c2 to n2: read msg 1, client_id 8 seq 1, delivered at 5.1 ms");
    expect(await page.locator(".view g.msg[tabindex]").count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  test("with a window and the whole run, each view is one tab stop reached after the toggle button, and the keys work in the whole run too", async () => {
    const { page, problems } = await open(renderMessageDiagram({ ...smallRun(), maxMessages: 2 }), "views.html");
    const before = await tabIntoDiagram(page);
    expect(before).toEqual(["toggle-whole"]);
    expect((await focused(page)).label).toBe(RETRY);
    // Back to the button, Enter swaps in the whole run; Tab reaches its tab stop, on the same request.
    await page.keyboard.press("Shift+Tab");
    expect((await focused(page)).id).toBe("toggle-whole");
    await page.keyboard.press("Enter");
    expect(await page.locator("#view-whole").isVisible()).toBe(true);
    await page.keyboard.press("Tab");
    let f = await focused(page);
    expect(f.inDiagram).toBe(true);
    expect(await inPage(page, `!!document.activeElement.closest("#view-whole")`)).toBe(true);
    expect(f.label).toBe(RETRY);
    expect(await page.locator("#view-whole g.msg[tabindex]").count()).toBe(1);
    // The whole run has the client messages only: Home is the first request, Down its reply.
    await page.keyboard.press("Home");
    expect((await focused(page)).label).toBe(FIRST);
    await page.keyboard.press("ArrowDown");
    f = await focused(page);
    expect(f.label).toBe("n1 to c1: append_ok msg 13, reply to 1, client_id 7 seq 1, delivered at 4.2 ms, in the first violation");
    await page.keyboard.press("Enter");
    expect(await detailsText(page)).toContain(f.label!);
    await page.keyboard.press("Escape");
    expect((await focused(page)).label).toBe(f.label);
    expect(problems).toEqual([]);
    await page.close();
  });
});
