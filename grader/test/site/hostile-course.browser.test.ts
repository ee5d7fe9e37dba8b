// `grader site` on a course written by a hostile author: the real command
// builds the site, and a real browser (playwright-core, found by
// @dslab/checker/testing) opens and follows it. No link of a page may run
// script, whatever the lesson's file name.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { launchBrowser, watchedPage } from "@dslab/checker/testing";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { grader } from "../helpers/cli.js";

let browser: Browser;
let base: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), "grader-site-hostile-"));
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (base) await rm(base, { recursive: true, force: true });
});

function lesson(id: string, title: string, order: number, extra = "", body = ""): string {
  return `---\nid: ${id}\npart: p\ntitle: ${JSON.stringify(title)}\norder: ${order}\n${extra}---\n# ${title}\n\n${body}\n`;
}

/** A course in a fresh directory under the test's base; returns the course and where its site goes. */
async function course(name: string, files: Record<string, string>): Promise<{ dir: string; site: string }> {
  const dir = path.join(base, name);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return { dir, site: path.join(base, `${name}-site`) };
}

describe("grader site: lesson file names are paths in every link, never a scheme, a query or a fragment", () => {
  test("a lesson named javascript:alert(1).md: the index, prerequisite and pager links open its page and run nothing", async () => {
    const c = await course("names", {
      "javascript:alert(1).md": lesson("fx-a", "Lesson A", 1),
      "q?x=1#frag.md": lesson("fx-q", "Lesson Q", 2, "prereqs: [fx-a]\n"),
      "b.md": lesson("fx-b", "Lesson B", 3, "prereqs: [fx-a, fx-q]\n"),
    });
    const r = await grader(["site", "--lessons", c.dir, "--out", c.site]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync(path.join(c.site, "javascript:alert(1).html"))).toBe(true);

    const { page, problems } = await watchedPage(browser);
    const dialogs: string[] = [];
    page.on("dialog", async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    for (const [from, selector, title] of [
      ["index.html", 'ol.lessons a:text("Lesson A")', "Lesson A"],
      ["index.html", 'ol.lessons a:text("Lesson Q")', "Lesson Q"],
      ["b.html", 'dl.meta a:text("Lesson A")', "Lesson A"],
      ["b.html", 'dl.meta a:text("Lesson Q")', "Lesson Q"],
      ["b.html", 'a[rel="prev"]', "Lesson Q"],
    ] as const) {
      await page.goto(pathToFileURL(path.join(c.site, from)).href);
      const href = await page.locator(selector).evaluate((a) => (a as unknown as { href: string }).href);
      expect(href.startsWith("file:"), `${from}: ${selector} links to ${href}`).toBe(true);
      const file = fileURLToPath(href.split("#")[0]!);
      expect(file.startsWith(c.site) && existsSync(file), `${from}: ${selector} links to ${href}, no file of the site`).toBe(true);
      await page.locator(selector).click();
      await page.waitForLoadState();
      expect(await page.locator("h1").textContent(), `${from}: ${selector}`).toBe(title);
    }
    expect(dialogs).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
    const index = await readFile(path.join(c.site, "index.html"), "utf8");
    expect(index).not.toContain('href="javascript:');
  }, 60_000);
});

describe("grader site: a lesson's pictures are copied only when they are regular files of the course directory", () => {
  test("a picture that is a link to /etc/passwd, a FIFO, a directory or missing is drawn as its text with a warning naming why; the site is written", async () => {
    const c = await course("pictures", {
      "a.md": lesson("fx-a", "Lesson A", 1, "", "![leak](leak.png) ![pipe](pipe.png) ![dir](dir.png) ![gone](gone.png) ![ok](ok.svg)"),
      "ok.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\n',
    });
    await symlink("/etc/passwd", path.join(c.dir, "leak.png"));
    execFileSync("mkfifo", [path.join(c.dir, "pipe.png")]);
    await mkdir(path.join(c.dir, "dir.png"));
    const r = await grader(["site", "--lessons", c.dir, "--out", c.site], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.trim().split("\n");
    expect(warnings).toEqual([
      expect.stringMatching(/a\.md: image leak\.png is a link to \/etc\/passwd, outside the course directory; drawn as its text$/),
      expect.stringMatching(/a\.md: image pipe\.png is a FIFO \(named pipe\), not a regular file; drawn as its text$/),
      expect.stringMatching(/a\.md: image dir\.png is a directory, not a regular file; drawn as its text$/),
      expect.stringMatching(/a\.md: image gone\.png does not exist; drawn as its text$/),
    ]);
    expect(existsSync(path.join(c.site, "leak.png"))).toBe(false);
    expect(existsSync(path.join(c.site, "pipe.png"))).toBe(false);
    expect(existsSync(path.join(c.site, "ok.svg"))).toBe(true);

    const { page, problems } = await watchedPage(browser);
    await page.goto(pathToFileURL(path.join(c.site, "a.html")).href);
    expect(await page.locator("span.missing-image").allTextContents()).toEqual(["[leak]", "[pipe]", "[dir]", "[gone]"]);
    expect(await page.locator("img").evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});

describe("grader site: links whose percent-encoding is not UTF-8", () => {
  test("a link and a picture with a broken %-escape are drawn as text with a warning, not an internal error", async () => {
    const c = await course("escapes", { "a.md": lesson("fx-a", "Lesson A", 1, "", "![pic](%E0%A4%A.png) and [next](%E0%A4.md)") });
    const r = await grader(["site", "--lessons", c.dir, "--out", c.site]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/a\.md: image %E0%A4%25A\.png is not a file of the course directory; drawn as its text\n/);
    expect(r.stderr).toMatch(/a\.md: link %E0%A4\.md is not a page of the site; drawn as text\n/);
    expect(await readFile(path.join(c.site, "a.html"), "utf8")).toContain('<span class="missing-image">[pic]</span>');
  });
});

describe("grader site: instructor-only files of the course directory are never published", () => {
  test("a picture under instructor/ is drawn as its text, and a lesson named *.instructor.md or under instructor/ gets no page", async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text y="9">KEY</text></svg>\n';
    const c = await course("instructor", {
      "a.md": lesson("fx-a", "Lesson A", 1, "", "![key](instructor/key.svg)"),
      "instructor/key.svg": svg,
      "a.instructor.md": lesson("fx-a-key", "Lesson A with answers", 2),
      "instructor/walkthrough.md": lesson("fx-walk", "Walkthrough", 3),
    });
    const r = await grader(["site", "--lessons", c.dir, "--out", c.site]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/a\.md: image instructor\/key\.svg is instructor notes, never published; drawn as its text\n/);
    expect(r.stdout).toMatch(/\(1 lessons\)/);
    const { page, problems } = await watchedPage(browser);
    await page.goto(pathToFileURL(path.join(c.site, "index.html")).href);
    expect(await page.locator("ol.lessons a").allTextContents()).toEqual(["Lesson A"]);
    await page.goto(pathToFileURL(path.join(c.site, "a.html")).href);
    expect(await page.locator("img").count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
    for (const f of ["instructor/key.svg", "a.instructor.html", "instructor/walkthrough.html"]) expect(existsSync(path.join(c.site, f)), f).toBe(false);
  });
});

describe("grader site: a lesson whose page would take the index's place", () => {
  test("a lesson file named index.md is refused, naming it (exit 4), and nothing is written, instead of its page being replaced by the list of lessons", async () => {
    const c = await course("index-lesson", {
      "index.md": lesson("fx-intro", "Intro", 1, "", "Welcome."),
      "b.md": lesson("fx-b", "Lesson B", 2, "prereqs: [fx-intro]\n"),
    });
    const r = await grader(["site", "--lessons", c.dir, "--out", c.site]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^grader site: .*index-lesson\/index\.md would be published as index\.html, the site's list of lessons; rename the lesson file \(e\.g\. intro\.md\)\n$/);
    expect(existsSync(c.site)).toBe(false);
  });
});
