// The review page in a real browser (playwright-core; the browser is found by @dslab/checker/testing).
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { launchBrowser } from "@dslab/checker/testing";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { gradeClass } from "../../src/gradebook/batch.js";
import { renderReviewPage } from "../../src/gradebook/html.js";
import { parseLesson } from "../../src/lesson/parse.js";
import { proofChecker } from "../../src/proof/check.js";
import { FIXTURES } from "../helpers/cli.js";

let browser: Browser;
let page: Page;
let dir: string;
const requests: string[] = [];

beforeAll(async () => {
  const lesson = parseLesson(await readFile(path.join(FIXTURES, "course/retry.md"), "utf8"), "retry.md").lesson!;
  const pasteDir = path.join(FIXTURES, "pastes");
  const pastes = await Promise.all((await readdir(pasteDir)).sort().map(async (f) => ({ student: f.replace(/\.[^.]+$/, ""), data: await readFile(path.join(pasteDir, f)) })));
  pastes.push({ student: "mallory", data: Buffer.from('<script>window.pwned = 1</script><img src="https://example.invalid/x.png">') });
  const grading = gradeClass({
    checker: proofChecker(lesson),
    pastes,
    manual: [{ lesson: "fx-retry", student: "carol", status: "pass", note: "screenshot <b>checked</b>", gradedAt: "2026-11-24T12:00:00.000Z" }],
    now: "2026-11-24T10:00:00.000Z",
  });
  dir = await mkdtemp(path.join(tmpdir(), "grader-html-"));
  const file = path.join(dir, "review.html");
  await writeFile(file, renderReviewPage({ lessonId: lesson.id, lessonTitle: lesson.title, rows: grading.rows, results: grading.results, generatedAt: "2026-11-24T10:00:00.000Z" }));
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function visibleStudents(): Promise<string[]> {
  return page.locator("section.student:visible").evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { student: string } }).dataset.student));
}

describe("review page (grader proofs, HTML export)", () => {
  test("lists every student with a status badge; the manual decision is marked", async () => {
    expect(await visibleStudents()).toEqual(["alice", "bob", "carol", "dave", "erin", "mallory"]);
    expect(await page.locator("#shown").textContent()).toBe("6");
    expect(await page.locator("#student-carol .badge").textContent()).toBe("pass");
    expect(await page.locator("#student-carol .manual").textContent()).toBe("manual");
    expect(await page.locator("#student-bob .badge").textContent()).toBe("fail");
    expect(await page.locator("#student-alice .badge").textContent()).toBe("needs-review");
    // Passing pastes start folded; the ones that need a look start open.
    expect(await page.locator("#student-erin details").getAttribute("open")).toBeNull();
    expect(await page.locator("#student-bob details").getAttribute("open")).toBe("");
    expect(await page.locator("#student-bob pre.paste").isVisible()).toBe(true);
  });

  test("the filter by status shows only that status, with counts", async () => {
    await page.locator('input[name="status"][value="fail"]').check();
    expect(await visibleStudents()).toEqual(["bob", "mallory"]);
    expect(await page.locator("#shown").textContent()).toBe("2");
    await page.locator('input[name="status"][value="needs-review"]').check();
    expect(await visibleStudents()).toEqual(["alice", "dave"]);
    expect(await page.locator('.count[data-status="needs-review"]').textContent()).toBe("2");
    await page.locator('input[name="status"][value="pass"]').check();
    expect(await visibleStudents()).toEqual(["carol", "erin"]);
    await page.locator('input[name="status"][value="all"]').check();
    expect(await visibleStudents()).toHaveLength(6);
  });

  test("matched evidence is highlighted in each paste", async () => {
    const regex = await page.locator("#student-erin mark.hl-regex").allTextContents();
    expect(regex.join("")).toContain("[dedup] client 7301 seq 2 is duplicate, returning cached result");
    const acknowledged = await page.locator("#student-erin mark.hl-acknowledged").allTextContents();
    expect(acknowledged.join("")).toContain("client_id=7301 seq=1 attempt=1 node=n1 outcome=write_ok");
    const requests = await page.locator("#student-erin mark.hl-request").allTextContents();
    expect(requests.join("")).toContain("outcome=timeout(1000ms)");
    const broken = await page.locator("#student-bob mark.hl-violation").allTextContents();
    expect(broken.join("")).toContain("n3 [apply] client 7 seq 2 append k3 y2 applied at index 11");
    expect(await page.locator("#student-erin mark.hl-duplicate").first().getAttribute("title")).toContain("duplicate: client 7301 seq 2");
  });

  test("the reasons are listed under each student", async () => {
    expect(await page.locator("#student-alice .reasons li").allTextContents()).toEqual(["identical to the paste of dave"]);
    expect(await page.locator("#student-carol .reasons li").first().textContent()).toBe("manual: screenshot <b>checked</b>");
    expect(await page.locator("#student-erin .reasons-none").textContent()).toBe("all checks passed");
  });

  test("a long unbroken student name, note or paste line wraps inside the page at every width; the page never scrolls sideways", async () => {
    const lesson = parseLesson(await readFile(path.join(FIXTURES, "course/retry.md"), "utf8"), "retry.md").lesson!;
    const paste = await readFile(path.join(FIXTURES, "pastes/bob.txt"));
    const name = "a".repeat(300);
    const grading = gradeClass({
      checker: proofChecker(lesson),
      pastes: [
        { student: name, data: Buffer.concat([paste, Buffer.from(`\n${"x".repeat(400)}\n`)]) },
        { student: "s1", data: paste },
      ],
      manual: [{ lesson: "fx-retry", student: "s1", status: "pass", note: "y".repeat(400), gradedAt: "2026-11-24T12:00:00.000Z" }],
      now: "2026-11-24T10:00:00.000Z",
    });
    const file = path.join(dir, "long-words.html");
    await writeFile(file, renderReviewPage({ lessonId: lesson.id, lessonTitle: lesson.title, rows: grading.rows, results: grading.results, generatedAt: "2026-11-24T10:00:00.000Z" }));
    const narrow = await browser.newPage();
    try {
      await narrow.goto(pathToFileURL(file).href);
      for (const width of [1400, 1024, 390]) {
        await narrow.setViewportSize({ width, height: 900 });
        const scrollWidth = await narrow.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
        expect(scrollWidth, `page width at a ${width}px window`).toBeLessThanOrEqual(width);
        const pre = await narrow.locator("pre.paste").first().evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
        expect(pre.scroll, `paste scrolls sideways at ${width}px`).toBeLessThanOrEqual(pre.client);
      }
      expect(await narrow.locator("section.student h2").first().textContent()).toContain(name);
    } finally {
      await narrow.close();
    }
  });

  test("on a wide window the header with the filter stays in view; on a phone it scrolls away and leaves the window to the students", async () => {
    const at = async (width: number): Promise<number> => {
      const p = await browser.newPage({ viewport: { width, height: 844 } });
      try {
        await p.goto(page.url());
        await p.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 1e6));
        return await p.locator("header").evaluate((el) => el.getBoundingClientRect().bottom);
      } finally {
        await p.close();
      }
    };
    expect(await at(1024)).toBeGreaterThan(0);
    expect(await at(390)).toBeLessThanOrEqual(0);
  });

  test("pasted HTML is shown as text, never run or fetched; the page loads nothing else", async () => {
    expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator("#student-mallory pre").textContent()).toContain("<script>window.pwned = 1</script>");
    expect(requests.filter((u) => !u.startsWith("file:"))).toEqual([]);
  });
});
