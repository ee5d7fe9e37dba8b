/**
 * `kv-sim explore` in a real browser: `kv-sim search` on a known-bad store
 * writes a violating trace, `kv-sim explore --trace` serves it, and the page
 * steps to the violation (the right arrow), shows the violating state in
 * red with the invariant's sentence, takes an event by its button, and
 * loads a trace file through its file input. The page must make no request
 * but to the explorer, and log no error.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "@dslab/checker/testing";
import { parseTrace, type ExploreTrace } from "../../src/explore/index.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const bin = fileURLToPath(new URL("../../bin/kv-sim.js", import.meta.url));
const MUTANT = join(root, "grader/test/mutants/stale-rewinds-last-seq.ts");
/** DSLAB_KEEP_HTML=1 keeps the trace and the screenshots for a person to open. */
const keep = process.env.DSLAB_KEEP_HTML === "1";

let dir: string;
let tracePath: string;
let trace: ExploreTrace;
let server: ResultPromise<{ reject: false; cwd: string; env: Record<string, string> }>;
let url: string;
let browser: Browser;

/** Waits for the explorer's `explore: URL` line on its stdout. */
function urlOf(child: typeof server): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const m = /^explore: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    void child.then((r) => reject(new Error(`kv-sim explore exited ${r.exitCode} before serving: ${r.stderr}`)));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kv-sim-explore-"));
  tracePath = join(dir, "trace.json");
  const search = await execa(process.execPath, [bin, "search", "--scenario", "dedup-single", "--clients", "1", "--appends", "2", "--store", MUTANT, "--trace", tracePath], {
    reject: false,
    cwd: root,
    env: { FORCE_COLOR: "0" },
  });
  expect(search.exitCode, search.stderr).toBe(1);
  trace = parseTrace(readFileSync(tracePath, "utf8"), { maxEvents: 1_000 });
  expect(trace.violation?.invariant).toBe("appends-at-most-once");
  server = execa(process.execPath, [bin, "explore", "--trace", tracePath, "--store", MUTANT, "--no-open"], { reject: false, cwd: root, env: { FORCE_COLOR: "0" } });
  url = await urlOf(server);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  if (server !== undefined) {
    server.kill("SIGINT");
    const r = await server;
    // Ctrl-C is how the explorer is meant to stop: exit 0.
    expect(r.exitCode, r.stderr).toBe(0);
  }
  if (dir === undefined) return;
  if (keep) console.log(`explorer trace and screenshots kept in ${dir}`);
  else await rm(dir, { recursive: true, force: true });
});

/** A page that records console errors, page errors, and any request not to the explorer. */
async function watched(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${String(e)}`));
  page.on("request", (r) => {
    if (!r.url().startsWith(url) && !r.url().startsWith("data:")) problems.push(`unexpected request ${r.url()}`);
  });
  return { page, problems };
}

function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

async function waitForPosition(page: Page, n: number): Promise<void> {
  // Locators, not waitForFunction: the page's policy forbids evaluating strings as script.
  await page.locator("#where", { hasText: new RegExp(`^state ${n} of`) }).waitFor();
}

async function screenshot(page: Page, name: string): Promise<void> {
  const file = join(dir, name);
  await page.screenshot({ path: file });
  console.log(`screenshot: ${file}${keep ? "" : " (removed after the run; DSLAB_KEEP_HTML=1 keeps it)"}`);
}

describe("kv-sim explore in a browser", () => {
  test("a violating trace from kv-sim search: the right arrow steps to the violation, the violating state is shown in red with the invariant's sentence, the left arrow steps back", async () => {
    const { page, problems } = await watched();
    await page.goto(url);
    await page.waitForSelector("#columns .column");
    await waitForPosition(page, 0);
    // The trace with its events, at its start; no violation yet.
    expect(await page.locator("#trace-steps li").count()).toBe(trace.events.length + 1);
    expect(await page.locator("#trace-name").textContent()).toBe(`trace.json (${trace.events.length} events)`);
    expect(await page.locator("#violation").isHidden()).toBe(true);
    expect(await page.locator("#state").getAttribute("class")).toBe("");
    const columns = await page.locator("#columns .column .title").allInnerTexts();
    expect(columns).toEqual(["server", "c1", "network"]);

    for (let step = 1; step <= trace.events.length; step++) {
      await page.keyboard.press("ArrowRight");
      await waitForPosition(page, step);
      expect(await page.locator("#trace-steps li.current").innerText()).toContain(trace.lines[step - 1]!);
      if (step < trace.events.length) expect(await page.locator("#violation").isHidden()).toBe(true);
    }

    // The violating state: the banner with the sentence, the state outlined in red, the invariant marked.
    const banner = page.locator("#violation");
    expect(await banner.isVisible()).toBe(true);
    expect(await banner.innerText()).toContain(`Invariant ${trace.violation!.invariant} is violated in this state`);
    expect(await banner.innerText()).toContain(trace.violation!.message);
    expect(await page.locator("#state").getAttribute("class")).toBe("violated");
    expect(await inPage<string>(page, `getComputedStyle(document.getElementById("state")).outlineColor`)).toBe("rgb(220, 38, 38)");
    expect(await inPage<string>(page, `getComputedStyle(document.getElementById("violation")).backgroundColor`)).toBe("rgb(251, 217, 217)");
    const invariant = page.locator(`#invariant-list li[data-invariant="${trace.violation!.invariant}"]`);
    expect(await invariant.getAttribute("class")).toBe("inv broken");
    expect(await invariant.innerText()).toContain(trace.violation!.message);
    expect(await page.locator("#verdict").innerText()).toBe("invariant violated");
    expect(await page.locator("#trace-steps li.current").getAttribute("class")).toContain("violated");
    // The server's list holds the append twice: the state as the store keeps it, key by key.
    expect(await page.locator('[data-column="server"] tr[data-key="l"]').innerText()).toContain('["c1:2","c1:2"]');
    expect(await page.locator("#forward").isDisabled()).toBe(true);
    await screenshot(page, "violation.png");

    await page.keyboard.press("ArrowLeft");
    await waitForPosition(page, trace.events.length - 1);
    expect(await page.locator("#violation").isHidden()).toBe(true);
    expect(await page.locator("#state").getAttribute("class")).toBe("");
    expect(problems).toEqual([]);
    await page.close();
  });

  test("an event's button takes it and leaves the trace; back to the trace; a trace file loaded through the page; a broken file is refused with its reason", async () => {
    const { page, problems } = await watched();
    await page.goto(url);
    await page.waitForSelector("#columns .column");
    await page.locator("#reset").click();
    await waitForPosition(page, 0);
    // At the start, deliver the request instead of the trace's first event (a timer).
    const deliver = page.locator('#events button[data-action="deliver"]').first();
    const line = await deliver.getAttribute("title");
    await deliver.click();
    await waitForPosition(page, 1);
    expect(line).toMatch(/^deliver /);
    expect(await page.locator("#path li.current").innerText()).toContain(line!);
    expect(await page.locator("#trace-note").innerText()).toContain("The path left the trace after step 0.");
    expect(await page.locator('[data-column="server"] tr[data-key="data"]').getAttribute("class")).toBe("changed");
    await page.locator("#rejoin").click();
    await waitForPosition(page, 0);
    expect(await page.locator("#trace-note").innerText()).toMatch(/^State 0 of the trace's \d+ steps\.$/);

    // Load the same trace through the file input, under another name.
    const copy = join(dir, "again.json");
    await writeFile(copy, readFileSync(tracePath));
    await page.locator("#trace-file").setInputFiles(copy);
    await page.locator("#trace-name", { hasText: /^again\.json/ }).waitFor();
    await page.locator("#to-violation").click();
    await waitForPosition(page, trace.events.length);
    expect(await page.locator("#violation").isVisible()).toBe(true);
    await screenshot(page, "loaded-through-the-page.png");

    // A pasted file that is not a search trace: the page says why, the state stays.
    await page.locator("details summary", { hasText: "Paste a trace file" }).click();
    await page.locator("#trace-text").fill('{"kind": "history"}');
    await page.locator("#trace-paste-load").click();
    await page.locator("#message.error").waitFor();
    expect(await page.locator("#message").innerText()).toBe('the trace file: not a search trace: "kind" is "history", expected "dslab-search-trace"');
    expect(await page.locator("#trace-name").textContent()).toMatch(/^again\.json/);
    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
    await page.close();
  });

  test("a page of another origin cannot drive the explorer: its form post and its fetches change nothing; the page opened as localhost works", async () => {
    const position = async () => ((await (await fetch(`${url}api/state`)).json()) as { position: number; pathLength: number });
    const before = await position();
    // Another origin on the loopback address: a page the user might have open in another tab.
    const attacker: Server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><iframe name="sink"></iframe>
<form id="f" method="POST" action="${url}api/reset" enctype="text/plain" target="sink"><input name='{"a":"' value='"}'></form>
<script>
const tries = [
  fetch("${url}api/step", { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body: '{"index":0}' }).then((r) => "no-cors " + r.type, (e) => "no-cors refused: " + e.message),
  fetch("${url}api/reset", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).then((r) => "json " + r.status, (e) => "json refused: " + e.message),
];
document.getElementById("f").submit();
Promise.all(tries).then((r) => { document.title = r.join(" | "); });
</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    try {
      const page = await browser.newPage();
      const answers: string[] = [];
      page.on("response", (r) => {
        if (r.url().startsWith(url)) answers.push(`${r.request().method()} ${r.url().slice(url.length - 1)} ${r.status()}`);
      });
      await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      // The form post and the no-cors fetch reach the explorer, which refuses each by its Origin; the JSON
      // fetch needs the explorer's leave first (a preflight), which it never gives, so the browser never sends it.
      await expect.poll(() => page.title(), { timeout: 10_000, message: "the page's two fetches settled" }).toMatch(/^no-cors /);
      expect(await page.title()).toBe("no-cors opaque | json refused: Failed to fetch");
      await expect.poll(() => answers.filter((a) => a.startsWith("POST")).length, { timeout: 10_000, message: "the form post and the no-cors fetch answered" }).toBe(2);
      expect(answers.filter((a) => a.startsWith("POST")).sort()).toEqual(["POST /api/reset 403", "POST /api/step 403"]);
      await page.close();
    } finally {
      await new Promise((resolve) => attacker.close(resolve));
    }
    expect(await position()).toEqual(before);

    // The explorer's own page under its other name takes actions.
    const { page, problems } = await watched();
    await page.goto(url.replace("127.0.0.1", "localhost"));
    await page.waitForSelector("#columns .column");
    await page.locator("#reset").click();
    await waitForPosition(page, 0);
    await page.keyboard.press("ArrowRight");
    await waitForPosition(page, 1);
    expect(problems.filter((p) => !p.startsWith("unexpected request http://localhost:"))).toEqual([]);
    await page.close();
  });

  test("in a phone-wide window the state and the events stack, overlap nothing and keep the page from scrolling sideways", async () => {
    const { page, problems } = await watched();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(url);
    await page.waitForSelector("#columns .column");
    const box = (selector: string) => page.locator(selector).first().evaluate((el) => el.getBoundingClientRect().toJSON() as { left: number; right: number; top: number; bottom: number });
    const state = await box("#state");
    const events = await box("section:has(#events)");
    expect(state.right, "the state section ends inside the window").toBeLessThanOrEqual(390);
    expect(events.right, "the events section ends inside the window").toBeLessThanOrEqual(390);
    const overlap = state.left < events.right && events.left < state.right && state.top < events.bottom && events.top < state.bottom;
    expect(overlap, "the state and the events overlap").toBe(false);
    expect(await inPage<number>(page, "document.documentElement.scrollWidth")).toBeLessThanOrEqual(390);
    expect(problems).toEqual([]);
    await page.close();
  });
});
