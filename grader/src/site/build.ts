// `grader site`: the course as static HTML. One page per lesson (its title,
// duration, XP and prerequisites, the body rendered by markdown-it with raw
// HTML off, the pictures it shows, and each pass criterion with the visible
// test file and the `npm run check` command that decide it), an index in
// prerequisite order, previous/next links, and one page per visible test
// file. Answer keys are never read (the course loader skips them) and
// instructor-only passages are cut before rendering (the release's function).
//
// Invariants: every text is escaped; every link of a page is a relative path
// to a file the site holds, or an http(s) link a reader follows (nothing is
// fetched from outside); the same course gives the same bytes.
import { realpathSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { fileKind, InputError, readRegularFile, ReadRegularError } from "@dslab/protocol/cli";
import MarkdownIt from "markdown-it";
import { orderByPrerequisites, planWorkbook } from "../check/plan.js";
import { loadChecks } from "../check/load.js";
import { lessonsLeftOut, loadCourse, type Course } from "../lesson/load.js";
import { TEST_FILE_BYTES_MAX } from "../lint/references.js";
import type { Lesson } from "../lesson/model.js";
import { instructorOnlyReason, stripInstructorOnly } from "../release/rules.js";
import { unreadableReason } from "../fs/reasons.js";
import { lessonPagePath, urlPath } from "./pages.js";

/** Largest file copied into the site (a picture): a larger one is drawn as its text, with a warning, never read. */
export const SITE_FILE_BYTES_MAX = 64 * 1024 * 1024;

/** A course the site cannot be built from as it is (exit 4). */
export class SiteError extends InputError {}

export interface SiteFile {
  /** Path inside the site, with `/`. */
  path: string;
  data: string | Buffer;
}

export interface SiteOptions {
  lessonsDir: string;
  /** The repository root: where the visible tests (week-12/test/) and the checks' registry are. */
  root: string;
}

export interface Site {
  files: SiteFile[];
  lessons: number;
  /** Problems that did not stop the build (a link to a file the site does not hold, drawn as text). */
  warnings: string[];
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const posix = path.posix;


function testPageOf(testFile: string): string {
  return `tests/${testFile.replace(/\//g, "__")}.html`;
}

/** `to` relative to the page at `from` (both site paths), as a URL path. */
function rel(from: string, to: string): string {
  const r = posix.relative(posix.dirname(from), to);
  return urlPath(r === "" ? posix.basename(to) : r);
}

const CSS = `
body { font-family: system-ui, sans-serif; line-height: 1.55; color: #1f2933; margin: 0; background: #fafafa; }
main { max-width: 52rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; background: #fff; overflow-wrap: break-word; }
nav.top, nav.pager { display: flex; justify-content: space-between; gap: 1rem; font-size: 0.95rem; }
nav.pager { margin-top: 2.5rem; border-top: 1px solid #e5e7eb; padding-top: 1rem; }
.meta { color: #52606d; font-size: 0.95rem; }
.meta dt { font-weight: 600; display: inline; }
.meta dd { display: inline; margin: 0 1.2rem 0 0.3rem; }
img { max-width: 100%; height: auto; border: 1px solid #e5e7eb; }
pre { background: #f5f7fa; padding: 0.75rem; overflow-x: auto; font-size: 0.88rem; }
code { font-family: ui-monospace, monospace; }
table { border-collapse: collapse; margin: 1rem 0; display: block; max-width: 100%; overflow-x: auto; }
th, td { border: 1px solid #d9e2ec; padding: 0.35rem 0.6rem; vertical-align: top; }
section.checks li { margin-bottom: 0.5rem; }
ol.lessons li { margin-bottom: 0.6rem; }
a { color: #1d4ed8; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function frontMatterEnd(text: string): number {
  if (!text.startsWith("---\n") && !text.startsWith("---\r\n")) return 0;
  const m = /\r?\n---[ \t]*\r?\n/.exec(text.slice(3));
  return m ? 3 + m.index + m[0].length : 0;
}

/**
 * Why a file the site shows cannot be read, in words (after its name): a
 * FIFO, a device or a directory is refused unread, a file over `maxBytes`
 * too (by its size, or when it grows past it while it is read).
 */
function unreadableWhy(err: ReadRegularError, what: string): string {
  if (err.code === "TOO_LARGE") {
    const limit = `the ${(err.details.limit ?? 0).toLocaleString("en-US")} bytes ${what} may be`;
    return err.details.grew ? `it grew past ${limit} while it was read` : `it is ${(err.details.size ?? 0).toLocaleString("en-US")} bytes, more than ${limit}`;
  }
  // Listed as there a moment before: a file that is not there now is a link to nothing.
  if (err.code === "ENOENT") return "it does not exist (a dangling symbolic link?)";
  return unreadableReason(err);
}

/**
 * Visible test files (under week-12/test/) and the text of each, for finding
 * the criteria they carry. Each is read as the lessons are: a regular file
 * (links followed) of at most TEST_FILE_BYTES_MAX; anything else named
 * `*.test.ts` (a FIFO, a device, a directory, a dangling link, a larger file)
 * stops the build naming it, never read, rather than hang on it or publish
 * the site without it.
 */
async function visibleTests(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(path.join(root, dir))).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const relPath = `${dir}/${name}`;
      if (name.endsWith(".test.ts")) out.set(relPath, await readVisibleTest(root, relPath));
      else if (!name.includes(".")) await walk(relPath);
    }
  };
  await walk("week-12/test");
  return out;
}

async function readVisibleTest(root: string, relPath: string): Promise<string> {
  const file = path.join(root, relPath);
  try {
    return (await readRegularFile(file, { maxBytes: TEST_FILE_BYTES_MAX })).bytes.toString("utf8");
  } catch (err) {
    if (!(err instanceof ReadRegularError)) throw err;
    throw new SiteError(`cannot read the visible test file ${path.relative(process.cwd(), file) || file}: ${unreadableWhy(err, "a test file")}; nothing written`, { cause: err });
  }
}

/**
 * A lesson file the course holds no lesson from stops the build: the site
 * would be published without that lesson, and an instructor who did not
 * read the output would never notice. That is a file that could not be read
 * (a FIFO, a device, a dangling link, a file over the lessons' bound) or one
 * whose text does not parse as a lesson (broken front-matter, a missing
 * field, a malformed criteria table). One error is one line,
 * `file:line: message`; several are a line saying how many files would be
 * left out, then each error on its own line.
 */
function refuseLessonsLeftOut(course: Course): void {
  const why = lessonsLeftOut(course, "the site");
  if (why !== undefined) throw new SiteError(why);
}

/** The short names `npm run check -- --lesson` takes, for the lessons the workbook's checks serve. */
async function shortNames(root: string, lessons: readonly Lesson[]): Promise<Map<string, string>> {
  try {
    const checks = await loadChecks(root);
    const plan = planWorkbook(lessons, checks.CHECKS, Object.values(checks.LESSON));
    return new Map(plan.lessons.map((p) => [p.lesson.id, p.short]));
  } catch {
    return new Map();
  }
}

/** A link's path with its %-escapes decoded; undefined when they are not UTF-8 (`%E0%A4.md` names no file). */
function decodePath(target: string): string | undefined {
  try {
    return decodeURIComponent(target);
  } catch {
    return undefined;
  }
}

/**
 * Why a picture of a lesson cannot be copied into the site, or undefined when
 * it can: it must exist, be a regular file (reading a FIFO would wait for
 * ever) and, links followed, lie inside the course directory (a link to
 * `/etc/passwd` named `pic.png` would publish that file).
 */
function copyProblem(file: string, courseReal: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? "does not exist" : `cannot be read (${unreadableReason(err)})`;
  }
  const inside = path.relative(courseReal, real);
  if (inside.startsWith("..") || path.isAbsolute(inside)) return `is a link to ${real}, outside the course directory`;
  const stat = statSync(real);
  if (!stat.isFile()) return `is ${fileKind(stat)}, not a regular file`;
  if (stat.size > SITE_FILE_BYTES_MAX) return `is ${stat.size.toLocaleString("en-US")} bytes, more than the ${SITE_FILE_BYTES_MAX.toLocaleString("en-US")} a file of the site may be`;
  return undefined;
}

/**
 * A file copied into the site, read within SITE_FILE_BYTES_MAX. It passed
 * copyProblem; one that changed since (replaced by a FIFO, grown past the
 * bound) or cannot be read is a SiteError naming it (exit 4).
 */
async function readCopied(file: string, lessonFile: string): Promise<Buffer> {
  try {
    return (await readRegularFile(file, { maxBytes: SITE_FILE_BYTES_MAX })).bytes;
  } catch (err) {
    if (!(err instanceof ReadRegularError)) throw err;
    const why = err.code === "ENOENT" ? "it no longer exists" : unreadableReason(err);
    throw new SiteError(`${lessonFile}: cannot copy ${path.relative(process.cwd(), file)} into the site: ${why}`, { cause: err });
  }
}

export async function buildSite(o: SiteOptions): Promise<Site> {
  const course = await loadCourse(o.lessonsDir);
  refuseLessonsLeftOut(course);
  const courseReal = realpathSync(o.lessonsDir);
  // A lesson's `file` is relative to the working directory.
  const pageOf = (lessonFile: string): string => lessonPagePath(o.lessonsDir, lessonFile);
  // What the release never ships (an instructor/ directory, *.instructor.md) the site never publishes either.
  const inCourse = (file: string): string => path.relative(path.resolve(o.lessonsDir), path.resolve(file)).split(path.sep).join("/");
  const published = course.lessons.filter((l) => instructorOnlyReason(inCourse(l.file)) === undefined);
  const lessons = orderByPrerequisites(published);
  // The index is written last, over any page of the same path: that lesson would vanish from the site.
  const atIndex = lessons.find((l) => pageOf(l.file) === "index.html");
  if (atIndex) throw new SiteError(`${atIndex.file} would be published as index.html, the site's list of lessons; rename the lesson file (e.g. intro.md)`);
  const [tests, shorts] = await Promise.all([visibleTests(o.root), shortNames(o.root, lessons)]);
  const byId = new Map(lessons.map((l) => [l.id, l]));
  const files = new Map<string, SiteFile>();
  const warnings: string[] = [];
  const usedTests = new Set<string>();

  const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

  for (const [i, lesson] of lessons.entries()) {
    const here = pageOf(lesson.file);
    const sourceDir = path.dirname(path.resolve(lesson.file));
    // The text the course was parsed from: the file is not opened again.
    const raw = course.sources?.get(lesson.file);
    if (raw === undefined) throw new Error(`${lesson.file}: the course holds no text for this lesson`);
    const text = stripInstructorOnly(raw, lesson.file);
    // The page's header carries the title: the body's own first-level heading, when it is the title, is not drawn twice.
    const body = text.slice(frontMatterEnd(text)).replace(/^\s*# (.*)\r?\n/, (line, heading: string) => (heading.trim() === lesson.title ? "" : line));

    // Relative links and images: a lesson's .md becomes its page, a file of the course directory is copied, anything else is drawn as text.
    const resolveLocal = (href: string): { site: string; copyFrom?: string } | { why: string } => {
      const [target] = href.split("#");
      const decoded = target ? decodePath(target) : undefined;
      if (decoded === undefined) return { why: "is not a file of the course directory" };
      const abs = path.resolve(sourceDir, decoded);
      const inCourse = path.relative(path.resolve(o.lessonsDir), abs);
      if (inCourse.startsWith("..") || path.isAbsolute(inCourse)) return { why: "is not a file of the course directory" };
      const sitePath = inCourse.split(path.sep).join("/");
      const lessonHere = lessons.find((l) => path.resolve(l.file) === abs);
      if (lessonHere) return { site: pageOf(lessonHere.file) };
      if (!/\.(svg|png|jpe?g|gif|webp)$/i.test(sitePath)) return { why: "is not a file of the course directory" };
      const instructorOnly = instructorOnlyReason(sitePath);
      if (instructorOnly !== undefined) return { why: `is ${instructorOnly}, never published` };
      // What is copied is what the path names once links are followed: a regular file inside the course directory.
      const problem = copyProblem(abs, courseReal);
      return problem ? { why: problem } : { site: sitePath, copyFrom: abs };
    };
    const env = { copies: [] as Array<{ site: string; from: string }> };
    const rules = md.renderer.rules;
    const isExternal = (href: string): boolean => /^https?:\/\//i.test(href);
    rules.image = (tokens, idx) => {
      const t = tokens[idx]!;
      const src = String(t.attrGet("src") ?? "");
      const alt = t.children ? md.renderer.renderInlineAsText(t.children, md.options, env) : t.content;
      const local = isExternal(src) ? { why: "is not a file of the course directory" } : resolveLocal(src);
      if (!("site" in local) || !local.copyFrom) {
        warnings.push(`${lesson.file}: image ${src} ${"why" in local ? local.why : "is not a picture"}; drawn as its text`);
        return `<span class="missing-image">[${esc(alt)}]</span>`;
      }
      env.copies.push({ site: local.site, from: local.copyFrom });
      return `<img src="${esc(rel(here, local.site))}" alt="${esc(alt)}">`;
    };
    const defaultOpen = rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
    const defaultClose = rules.link_close ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
    const dropped: boolean[] = [];
    rules.link_open = (tokens, idx, options, e, self) => {
      const t = tokens[idx]!;
      const href = String(t.attrGet("href") ?? "");
      if (href.startsWith("#") || isExternal(href)) {
        dropped.push(false);
        return defaultOpen(tokens, idx, options, e, self);
      }
      const local = resolveLocal(href);
      if (!("site" in local)) {
        warnings.push(`${lesson.file}: link ${href} is not a page of the site; drawn as text`);
        dropped.push(true);
        return `<span class="link-text" title="${esc(href)}">`;
      }
      if (local.copyFrom) env.copies.push({ site: local.site, from: local.copyFrom });
      const anchor = href.includes("#") ? href.slice(href.indexOf("#")) : "";
      t.attrSet("href", rel(here, local.site) + anchor);
      dropped.push(false);
      return defaultOpen(tokens, idx, options, e, self);
    };
    rules.link_close = (tokens, idx, options, e, self) => (dropped.pop() ? "</span>" : defaultClose(tokens, idx, options, e, self));
    const html = md.render(body, env);
    for (const c of env.copies) if (!files.has(c.site)) files.set(c.site, { path: c.site, data: await readCopied(c.from, lesson.file) });

    const prereqs = lesson.prereqs.map((p) => {
      const l = byId.get(p);
      return l ? `<a href="${esc(rel(here, pageOf(l.file)))}">${esc(l.title)}</a>` : `<span title="not in this course">${esc(p)}</span>`;
    });
    const short = shorts.get(lesson.id);
    const checks = lesson.criteria.map((c) => {
      const testFiles = [...tests.entries()].filter(([, src]) => src.includes(c.id)).map(([f]) => f);
      for (const ref of c.checkRefs) if (tests.has(ref) && !testFiles.includes(ref)) testFiles.push(ref);
      for (const f of testFiles) usedTests.add(f);
      const links = testFiles.map((f) => `<a href="${esc(rel(here, testPageOf(f)))}"><code>${esc(f)}</code></a>`);
      const command = short ? `<code>npm run check -- --lesson ${esc(short)}</code>` : "";
      const decidedBy = [links.length ? `visible test ${links.join(", ")}` : "", command ? `run ${command}` : ""].filter(Boolean).join("; ");
      return `<li id="criterion-${c.number}"><strong>#${c.number}</strong> ${esc(c.text)}<br><span class="meta">${decidedBy || `how to check: ${esc(c.howToCheck) || "see the lesson"}`} <span class="criterion-id">(<code>${esc(c.id)}</code>)</span></span></li>`;
    });
    const prev = lessons[i - 1];
    const next = lessons[i + 1];
    const pager = `<nav class="pager"><span>${prev ? `← <a rel="prev" href="${esc(rel(here, pageOf(prev.file)))}">${esc(prev.title)}</a>` : ""}</span><span>${next ? `<a rel="next" href="${esc(rel(here, pageOf(next.file)))}">${esc(next.title)}</a> →` : ""}</span></nav>`;
    const meta = [
      lesson.durationMinutes !== undefined ? `<dt>Duration</dt><dd>${lesson.durationMinutes} min</dd>` : "",
      lesson.xp !== undefined ? `<dt>XP</dt><dd>${lesson.xp}</dd>` : "",
      `<dt>Prerequisites</dt><dd>${prereqs.join(", ") || "none"}</dd>`,
    ].join("");
    files.set(
      here,
      {
        path: here,
        data: page(
          lesson.title,
          `<nav class="top"><a href="${esc(rel(here, "index.html"))}">All lessons</a><span>Lesson ${i + 1} of ${lessons.length}</span></nav>
<header><h1>${esc(lesson.title)}</h1><dl class="meta">${meta}</dl></header>
<article>
${html}</article>
${checks.length ? `<section class="checks"><h2>What decides each pass criterion</h2><ol>${checks.join("\n")}</ol></section>` : ""}
${pager}`,
        ),
      },
    );
  }

  for (const f of [...usedTests].sort()) {
    const p = testPageOf(f);
    const carried = lessons.flatMap((l) => l.criteria).filter((c) => tests.get(f)!.includes(c.id));
    const list = carried.map((c) => {
      const l = lessons.find((x) => x.criteria.includes(c))!;
      return `<li><a href="${esc(rel(p, pageOf(l.file)))}#criterion-${c.number}"><code>${esc(c.id)}</code></a> ${esc(c.text)}</li>`;
    });
    files.set(p, {
      path: p,
      data: page(
        f,
        `<nav class="top"><a href="${esc(rel(p, "index.html"))}">All lessons</a></nav>
<h1><code>${esc(f)}</code></h1>
<p>The visible test file: each test's title begins with the id of the criterion it decides. Run it with <code>npm run check</code>.</p>
<ul>${list.join("\n")}</ul>
<pre><code>${esc(tests.get(f)!)}</code></pre>`,
      ),
    });
  }

  const items = lessons.map(
    (l) =>
      `<li><a href="${esc(urlPath(pageOf(l.file)))}">${esc(l.title)}</a> <span class="meta">${[l.durationMinutes !== undefined ? `${l.durationMinutes} min` : "", l.xp !== undefined ? `${l.xp} XP` : "", esc(l.part)].filter(Boolean).join(" · ")}</span></li>`,
  );
  files.set("index.html", {
    path: "index.html",
    data: page("The course", `<h1>The course</h1>\n<p>The lessons in the order their prerequisites set.</p>\n<ol class="lessons">\n${items.join("\n")}\n</ol>`),
  });

  return { files: [...files.values()].sort((a, b) => a.path.localeCompare(b.path)), lessons: lessons.length, warnings };
}
