// `grader site`: the real command builds the course's site; every page opens
// in a real browser (playwright-core; the browser is found by
// @dslab/checker/testing) without a console error or a request outside the
// site, every link resolves to a file of the site, every picture shows.
// Screenshots of each page go to the site's `screenshots/` directory
// (DSLAB_KEEP_HTML=1 keeps it for a person to look at).
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { launchBrowser } from "@dslab/checker/testing";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { grader, REPO } from "../helpers/cli.js";

const keep = process.env.DSLAB_KEEP_HTML === "1";
let browser: Browser;
let out: string;
let shots: string;
let pages: string[];

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

beforeAll(async () => {
  out = await mkdtemp(path.join(tmpdir(), "grader-site-"));
  const r = await grader(["site", "--out", out]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  pages = (await listFiles(out)).filter((f) => f.endsWith(".html"));
  shots = path.join(out, "screenshots");
  await mkdir(shots);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (out && !keep) await rm(out, { recursive: true, force: true });
});

describe("grader site, in a real browser", () => {
  test("every page loads without a console error or an outside request; every link resolves; every picture shows", async () => {
    expect(pages.length).toBeGreaterThan(6);
    for (const p of pages) {
      const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("request", (r) => {
        if (!r.url().startsWith("file:")) errors.push(`request outside the site: ${r.url()}`);
      });
      page.on("requestfailed", (r) => errors.push(`failed: ${r.url()}`));
      const url = pathToFileURL(path.join(out, p)).href;
      await page.goto(url);
      const links = await page.locator("a[href]").evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
      for (const href of links) {
        if (/^https?:/.test(href)) continue;
        expect(href.startsWith("file:"), `${p}: link ${href}`).toBe(true);
        const file = fileURLToPath(href.split("#")[0]!);
        expect(existsSync(file), `${p}: link ${href} names no file of the site`).toBe(true);
        expect(file.startsWith(out), `${p}: link ${href} leaves the site`).toBe(true);
      }
      const images = await page.locator("img").evaluateAll((imgs) => imgs.map((i) => ({ src: (i as unknown as { src: string }).src, w: (i as unknown as { naturalWidth: number }).naturalWidth })));
      for (const img of images) expect(img.w, `${p}: picture ${img.src} does not show`).toBeGreaterThan(0);
      // Lesson pages in full; a test file page (long source) its first screen.
      await page.screenshot({ path: path.join(shots, `${p.replace(/\//g, "__")}.png`), fullPage: !p.startsWith("tests/") });
      expect(errors, p).toEqual([]);
      await page.close();
    }
    console.log(`screenshots: ${shots}${keep ? "" : " (removed after the run; DSLAB_KEEP_HTML=1 keeps them)"}`);
  }, 240_000);

  test("no page scrolls sideways in a phone-wide window: long code names wrap, a wide table scrolls in its own box", async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const wide: string[] = [];
    for (const p of pages) {
      await page.goto(pathToFileURL(path.join(out, p)).href);
      const width = await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
      if (width > 390) wide.push(`${p}: ${width}px`);
    }
    await page.close();
    expect(wide).toEqual([]);
  }, 120_000);

  test("the index lists the lessons in prerequisite order and each page links its neighbours", async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(path.join(out, "index.html")).href);
    const hrefs = await page.locator("ol.lessons li a").evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
    const at = (name: string): number => hrefs.findIndex((h) => h.includes(name));
    expect(at("d02-quest-vote-rules")).toBeGreaterThan(-1);
    expect(at("d02-quest-vote-rules")).toBeLessThan(at("d03-quest-client-retry-idempotency"));
    expect(at("d03-quest-client-retry-idempotency")).toBeLessThan(at("d04-quest-dedup-store"));
    expect(at("d04-quest-dedup-store")).toBeLessThan(at("d05-quest-idempotency-keys"));
    await page.locator('ol.lessons li a[href$="d02-quest-vote-rules.html"]').click();
    await page.locator('a[rel="next"]').click();
    expect(await page.locator("h1").textContent()).toBe("Quest: Client Retry + Idempotency");
    await page.locator('a[rel="prev"]').click();
    expect(await page.locator("h1").textContent()).toBe("Quest: Vote Rules");
    await page.close();
  });

  test("a lesson page: duration, XP, prerequisites linked, its picture inline, each criterion with its visible test and check command", async () => {
    const page = await browser.newPage();
    await page.goto(pathToFileURL(path.join(out, "w12-leader-election-client-idempotency/d03-quest-client-retry-idempotency.html")).href);
    const meta = await page.locator("dl.meta").textContent();
    expect(meta).toContain("Duration120 min");
    expect(meta).toContain("XP60");
    expect(await page.locator("dl.meta a").getAttribute("href")).toBe("d02-quest-vote-rules.html");
    expect(await page.locator('img[src="../pictures/retry-across-leader-crash.svg"]').count()).toBe(1);
    const first = page.locator("#criterion-1");
    expect(await first.textContent()).toContain("npm run check -- --lesson retry");
    expect(await first.locator("a").getAttribute("href")).toBe("../tests/week-12__test__retry-client.test.ts.html");
    await first.locator("a").click();
    expect(await page.locator("pre code").textContent()).toContain("w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#1");
    await page.close();
  });
});

describe("grader site: what a student must not see", () => {
  let course: string;
  let site: string;

  beforeAll(async () => {
    course = await mkdtemp(path.join(tmpdir(), "grader-site-course-"));
    await cp(path.join(REPO, "lessons"), course, { recursive: true });
    const lesson = path.join(course, "w12-leader-election-client-idempotency/d03-quest-client-retry-idempotency.md");
    const text = await readFile(lesson, "utf8");
    await writeFile(
      lesson,
      text.replace(
        "## Goal",
        "<!-- instructor-only -->\nINSTRUCTOR SECRET: the grader's hidden seeds\n<!-- /instructor-only -->\n\n<script>window.pwned = 1</script> <b>bold?</b>\n\n## Goal",
      ),
    );
    await writeFile(path.join(course, "w12-leader-election-client-idempotency/d03-quest-client-retry-idempotency.answers.md"), "ANSWER KEY: retry with the same seq\n");
    site = path.join(course, "..", `${path.basename(course)}-site`);
    const r = await grader(["site", "--out", site, "--lessons", course]);
    expect(r.code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await rm(course, { recursive: true, force: true });
    await rm(site, { recursive: true, force: true });
  });

  test("no instructor-only passage, no answer key, raw HTML shown as text", async () => {
    const all = await Promise.all((await listFiles(site)).filter((f) => f.endsWith(".html")).map((f) => readFile(path.join(site, f), "utf8")));
    const text = all.join("\n");
    expect(text).not.toContain("INSTRUCTOR SECRET");
    expect(text).not.toContain("ANSWER KEY");
    expect(text).not.toContain("<script>");
    expect(text).toContain("&lt;script&gt;window.pwned = 1&lt;/script&gt; &lt;b&gt;bold?&lt;/b&gt;");
  });
});

describe("grader site --help and usage", () => {
  test("--help names --out and --lessons; without --out it is a usage error", async () => {
    const help = await grader(["site", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--out DIR");
    expect(help.stdout).toContain("--lessons DIR");
    const bad = await grader(["site"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("missing --out");
  });
});
