import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readBounded } from "../../src/cli/commands/read-paste.js";
import { FIXTURES, grader, REPO } from "../helpers/cli.js";

const COURSE = path.join(FIXTURES, "course");
const PASTES = path.join(FIXTURES, "pastes");
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "grader-cli-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("grader: help and usage", () => {
  test("every command has --help (exit 0) that documents --lessons and --json", async () => {
    const commands = [["lesson", "show"], ["lint"], ["proof"], ["proofs"], ["review"], ["schedule"]];
    const runs = await Promise.all([grader(["--help"]), ...commands.map((c) => grader([...c, "--help"]))]);
    expect(runs[0]).toMatchObject({ code: 0 });
    for (const c of commands) expect(runs[0]!.stdout).toContain(`  ${c.join(" ")}`);
    runs.slice(1).forEach((r, i) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: grader ${commands[i]!.join(" ")}`);
      expect(r.stdout).toContain("--lessons DIR");
      expect(r.stdout).toContain("--json");
    });
  });

  test("usage errors exit 2 with a message that says what to do", async () => {
    const [none, unknown, badFlag, noLesson] = await Promise.all([
      grader([]),
      grader(["grade"]),
      grader(["lint", "--colour"]),
      grader(["proof", path.join(PASTES, "alice.txt")]),
    ]);
    expect(none.code).toBe(2);
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr).toContain('grader: unknown command "grade"');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("grader lint: unknown option --colour\n");
    expect(badFlag.stderr).toContain("Run `grader lint --help` for usage.");
    expect(noLesson).toMatchObject({ code: 2, stderr: "grader proof: missing --lesson. Run `grader proof --help` for usage.\n" });
  });
});

describe("grader lint and lesson show", () => {
  test("lint reads lessons/ by default and the course is clean, its references resolving in the repository", async () => {
    const r = await grader(["lint"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+ file\(s\), \d+ lesson\(s\): 0 error\(s\), 0 warning\(s\)\n$/);
  });

  test("lint of a broken course exits 1, prints the cycle, and --json gives the same findings", async () => {
    const dir = path.join(FIXTURES, "broken-course");
    const [text, json] = await Promise.all([grader(["lint", "--lessons", dir]), grader(["lint", "--lessons", dir, "--json"])]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain("error prereqs: prerequisites form a cycle: fx-a -> fx-c -> fx-b -> fx-a [prereq-cycle]");
    expect(text.stdout).toContain("5 file(s), 4 lesson(s): 9 error(s), 2 warning(s)");
    const report = JSON.parse(json.stdout);
    expect(json.code).toBe(1);
    expect(report).toMatchObject({ errors: 9, warnings: 2 });
    expect(report.diagnostics[0]).toMatchObject({ code: "prereq-cycle", line: 6, field: "prereqs" });
  });

  test("lint holds How-to-check references to the repository: the lessons' parent by default, --root DIR otherwise", async () => {
    const lessons = path.join(FIXTURES, "refs-repo", "lessons");
    const [byDefault, elsewhere] = await Promise.all([grader(["lint", "--lessons", lessons]), grader(["lint", "--lessons", lessons, "--root", FIXTURES, "--json"])]);
    expect(byDefault.code).toBe(1);
    expect(byDefault.stdout).toContain("error body.criteria: criterion fx-dangling#1: `week-12/test/gone.test.ts` does not exist (repository root: grader/test/fixtures/refs-repo) [ref-missing-file]");
    expect(byDefault.stdout).toContain("6 file(s), 6 lesson(s): 7 error(s), 1 warning(s)");
    expect(elsewhere.code).toBe(1);
    // From the fixture course's root the valid lesson's test file and its kv-sim script are not there.
    const valid = JSON.parse(elsewhere.stdout).diagnostics.filter((d: { file: string }) => d.file.endsWith("valid.md")).map((d: { code: string }) => d.code);
    expect(valid).toContain("ref-missing-file");
    expect(valid).toContain("ref-unknown-script");
  });

  test("lesson show prints criteria, checklist, proof rules and review days; --json the model", async () => {
    const [text, json, missing] = await Promise.all([
      grader(["lesson", "show", "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h"]),
      grader(["lesson", "show", "fx-retry", "--lessons", COURSE, "--json"]),
      grader(["lesson", "show", "nope", "--lessons", COURSE]),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h#5  Server-side dedup ensures at-most-once application");
    expect(text.stdout).toContain("how to check: week-12/test/retry-client.test.ts, npm run check -- --lesson retry");
    expect(text.stdout).toContain("deliverable  week-12/day3-client-retry-idempotency.md");
    expect(text.stdout).toContain("review days  3, 7, 21, 60");
    expect(text.stdout).toContain("[ ] The dedup proof is pasted into your day file");
    expect(text.stdout).toContain("type paste_or_upload, status manual_or_regex");
    const lesson = JSON.parse(json.stdout);
    expect(lesson).toMatchObject({ id: "fx-retry", criteria: [{ id: "fx-retry#1", tests: [] }, { id: "fx-retry#2" }], deliverable: "week-12/day3-fixture.md" });
    expect(lesson.body).toBeUndefined();
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('lesson ID "nope" names no lesson of the course in');
    expect(missing.stderr).toContain("the lessons: election (Fixture election lesson), retry (Fixture retry lesson), messy (Messy — retries)");
  });

  test("`grader lesson` without `show` names the command to use; `grader lesson --help` shows its help", async () => {
    const [bare, help] = await Promise.all([grader(["lesson", "w11-l04"]), grader(["lesson", "--help"])]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toBe('grader: "lesson w11-l04" is not a command; use `grader lesson pictures` or `grader lesson show` (see `grader lesson pictures --help` or `grader lesson show --help`, or `grader lesson --help` for all of them)\n');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: grader lesson show ID [--lessons DIR] [--json]");
  });

  test("without --lessons, the course is found in the nearest parent directory that has lessons/", async () => {
    const [r, atRoot] = await Promise.all([grader(["lint", "--json"], { cwd: path.join(FIXTURES, "..") }), grader(["lint", "--json"])]);
    // From grader/test the course and the repository its references point into are the same as from the root.
    const { files, lessons, errors, warnings } = JSON.parse(atRoot.stdout);
    expect(JSON.parse(r.stdout)).toMatchObject({ files, lessons: 6, errors, warnings });
    expect(lessons).toBe(6);
    expect(r.code).toBe(atRoot.code);
    const none = await grader(["lint"], { cwd: tmp });
    expect(none.code).toBe(4);
    expect(none.stderr).toContain("cannot read the lessons directory lessons");
  });

  test("lesson show on a lesson with errors lists them and says so (exit 2), rather than 'no lesson'", async () => {
    const r = await grader(["lesson", "show", "fx-e", "--lessons", path.join(FIXTURES, "broken-course")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("e.md:2: error title: is required but missing [missing-field]");
    expect(r.stderr).toMatch(/lesson "fx-e" \(.*e\.md\) has 1 error\(s\), listed above; fix them/);
  });
});

describe("grader proof: exit 0 pass, 1 fail, 3 needs-review", () => {
  test("the three statuses and their exit codes", async () => {
    const [pass, fail, review] = await Promise.all([
      grader(["proof", "--lessons", COURSE, "--lesson", "fx-retry", path.join(PASTES, "alice.txt")]),
      grader(["proof", "--lessons", COURSE, "--lesson", "fx-retry", path.join(PASTES, "bob.txt")]),
      grader(["proof", "--lessons", COURSE, "--lesson", "fx-election", path.join(PASTES, "alice.txt")]),
    ]);
    expect(pass.code).toBe(0);
    expect(pass.stdout).toMatch(/^pass: .*alice\.txt \(lesson fx-retry, score 10\/10\)/);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain("evidence: line 3: client 7 seq 2 applied again (first applied on line 1); a retry must not be applied twice");
    expect(review.code).toBe(3);
    expect(review.stdout).toContain("lesson fx-election has no regex patterns; every paste goes to review");
  });

  test("--json prints the result without the paste text", async () => {
    const r = await grader(["proof", "--lessons", COURSE, "--lesson", "fx-retry", path.join(PASTES, "erin.txt"), "--json"]);
    const result = JSON.parse(r.stdout);
    expect(r.code).toBe(0);
    expect(result).toMatchObject({ status: "pass", score: 10, maxScore: 10, evidence: { requests: 2, applied: 0, acknowledged: 1, duplicates: 2, clients: 1, violations: [] } });
    expect(result.text).toBeUndefined();
  });

  test("a 50 MB paste is refused from its size, without being read", async () => {
    const big = path.join(tmp, "big.txt");
    await writeFile(big, "");
    await truncate(big, 50 * 1024 * 1024);
    // Not read: the bounded reader stops at the file's size.
    const bounded = await readBounded(big, 1024 * 1024);
    expect(bounded).toMatchObject({ sizeBytes: 50 * 1024 * 1024 });
    expect(bounded.data.byteLength).toBe(0);
    const r = await grader(["proof", "--lessons", COURSE, "--lesson", "fx-retry", big]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("paste refused: 52,428,800 bytes is over the limit of 1,048,576 bytes");
  });

  test("a missing paste file is an unreadable input file (exit 4) that names the path", async () => {
    const r = await grader(["proof", "--lessons", COURSE, "--lesson", "fx-retry", path.join(tmp, "nope.txt")]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`grader proof: cannot read ${path.join(tmp, "nope.txt")}: no such file\n`);
  });
});

describe("grader proofs and review", () => {
  test("--now is a full date or a date and time with its zone; anything else is a usage error naming it, before anything is read or written", async () => {
    const out = path.join(tmp, "grades-bad-now");
    const bad = ["1", "2026", "2026-11", "2026-02-30", "2026-11-24T25:00Z", "2026-11-24T10:00", "Tue, 24 Nov 2026 10:00:00 GMT", "+002026-11-24"];
    const runs = await Promise.all(
      bad.flatMap((now) => [
        grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", PASTES, "--out", out, "--now", now]),
        grader(["review", "--lessons", COURSE, "--lesson", "fx-retry", "--student", "carol", "--status", "pass", "--note", "n", "--out", out, "--now", now]),
      ]),
    );
    runs.forEach((r, i) => {
      expect({ now: bad[i >> 1], code: r.code, stdout: r.stdout }).toEqual({ now: bad[i >> 1], code: 2, stdout: "" });
      expect(r.stderr).toContain(`--now ${JSON.stringify(bad[i >> 1])}`);
    });
    await expect(readFile(path.join(out, "gradebook.csv"), "utf8")).rejects.toThrow(/ENOENT/);
    const good = await Promise.all(
      ["2026-11-24", "2026-11-24T10:00Z", "2026-11-24T11:00:00.5+01:00", "2026-11-24 10:00:00z"].map((now, i) =>
        grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", PASTES, "--out", path.join(tmp, `grades-now-${i}`), "--now", now, "--json"]),
      ),
    );
    expect(good.map((r) => JSON.parse(r.stdout).rows[0].gradedAt)).toEqual(["2026-11-24T00:00:00.000Z", "2026-11-24T10:00:00.000Z", "2026-11-24T10:00:00.500Z", "2026-11-24T10:00:00.000Z"]);
  });

  test("class batch: gradebook CSV/JSON and review page; manual decisions survive a rerun", async () => {
    const out = path.join(tmp, "grades");
    const batch = ["proofs", "--lessons", COURSE, "--lesson", "fx-retry", PASTES, "--out", out, "--now", "2026-11-24T10:00:00Z"];
    const first = await grader(batch);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("lesson fx-retry: 5 student(s): 1 pass, 2 fail, 2 needs-review (0 manual)");
    expect(first.stdout).toContain("identical: alice and dave");
    const csv1 = await readFile(path.join(out, "gradebook.csv"), "utf8");
    expect(csv1.split("\r\n")[0]).toBe("student,lesson,status,score,max_score,reasons,grader,graded_at");
    expect(csv1).toContain("erin,fx-retry,pass,10,10,,auto,2026-11-24T10:00:00.000Z");

    const rerun = await grader(batch);
    expect(rerun.code).toBe(0);
    expect(await readFile(path.join(out, "gradebook.csv"), "utf8")).toBe(csv1);

    const rev = await grader(["review", "--lessons", COURSE, "--lesson", "fx-retry", "--student", "carol", "--status", "pass", "--note", "screenshot checked", "--by", "ana", "--out", out, "--now", "2026-11-24T12:00:00Z", "--json"]);
    expect(rev.code).toBe(0);
    expect(JSON.parse(rev.stdout)).toMatchObject({ recorded: { student: "carol", status: "pass", by: "ana" }, gradebookUpdated: true });
    expect(await readFile(path.join(out, "gradebook.csv"), "utf8")).toContain('carol,fx-retry,pass,10,10,"manual (ana): screenshot checked; auto: fail');

    const third = await grader([...batch.slice(0, -1), "2026-11-25T10:00:00Z", "--json"]);
    const summary = JSON.parse(third.stdout);
    expect(summary.counts).toEqual({ pass: 2, fail: 1, "needs-review": 2 });
    expect(summary.rows.find((r: { student: string }) => r.student === "carol")).toMatchObject({ status: "pass", manual: true, grader: "manual:ana", gradedAt: "2026-11-24T12:00:00.000Z" });
    const html = await readFile(path.join(out, "review-fx-retry.html"), "utf8");
    expect(html).toContain('data-student="carol" data-status="pass"');
  });

  test("review refuses a bad status with exit 2", async () => {
    const r = await grader(["review", "--lessons", COURSE, "--lesson", "fx-retry", "--student", "x", "--status", "maybe", "--note", "n", "--out", path.join(tmp, "g2")]);
    expect(r).toMatchObject({ code: 2, stderr: 'grader review: --status must be pass or fail, found "maybe"\n' });
  });
});

describe("grader proofs: a review page left under the name an earlier rule gave it", () => {
  test("the page named as before ids with capitals gained a hash is listed as stale, on stderr and in --json, and kept; the record then holds the new page", async () => {
    // A course whose lesson id has capitals: its page is review-Fx-Retry~<hash>.html, review-Fx-Retry.html before.
    const course = path.join(tmp, "course-capitals");
    await mkdir(course, { recursive: true });
    for (const f of ["election.md", "messy.md"]) await writeFile(path.join(course, f), await readFile(path.join(COURSE, f)));
    await writeFile(path.join(course, "retry.md"), (await readFile(path.join(COURSE, "retry.md"), "utf8")).replace("id: fx-retry", "id: Fx-Retry"));
    const out = path.join(tmp, "grades-capitals");
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, "review-Fx-Retry.html"), "<p>an earlier run's page</p>\n");
    const r = await grader(["proofs", "--lessons", course, "--lesson", "Fx-Retry", PASTES, "--out", out, "--now", "2026-11-24T10:00:00Z", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { files: { html: string }; stalePages: unknown[] };
    const page = path.basename(json.files.html);
    expect(page).toMatch(/^review-Fx-Retry~[0-9a-f]{12}\.html$/);
    expect(json.stalePages).toEqual([{ lesson: "Fx-Retry", file: "review-Fx-Retry.html", now: page, removed: false, reason: expect.stringContaining("not recorded as its own") }]);
    expect(r.stderr).toContain(`grader proofs: left stale ${path.join(out, "review-Fx-Retry.html")}: lesson Fx-Retry's review page of an earlier run, now ${page}; named as`);
    expect(await readFile(path.join(out, "review-Fx-Retry.html"), "utf8")).toBe("<p>an earlier run's page</p>\n");
    const record = JSON.parse(await readFile(path.join(out, ".grader-outputs.json"), "utf8")) as { outputs: Record<string, { owner: string }> };
    expect(record.outputs).toEqual({ [page]: { owner: "lesson:Fx-Retry", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
  });
});

describe("grader schedule", () => {
  test("bad rows are reported with line numbers (exit 1), the rest scheduled; regeneration is byte-identical", async () => {
    const csv = path.join(tmp, "completions.csv");
    await writeFile(csv, "student,lesson,completed_at,rating\nalice,fx-retry,2026-11-20,good\nbob,fx-nope,2026-11-20,\ncarol,fx-election,2026-11-31,\ndave,fx-election,2026-11-21,easy\n");
    const out = path.join(tmp, "sched");
    const args = ["schedule", "--lessons", COURSE, "--completions", csv, "--out", out];
    const first = await grader(args);
    expect(first.code).toBe(1);
    expect(first.stderr).toBe(`${csv}:3: unknown lesson "fx-nope"; row skipped\n${csv}:4: bad date "2026-11-31" (expected an ISO date, YYYY-MM-DD); row skipped\n`);
    expect(first.stdout).toContain("scheduled 6 review(s) for 2 student(s) from 2 row(s); 2 bad row(s) skipped");
    const files = ["alice.ics", "dave.ics", "agenda.csv", ".schedule-state.json"];
    const before = await Promise.all(files.map((f) => readFile(path.join(out, f))));
    await grader(args);
    const after = await Promise.all(files.map((f) => readFile(path.join(out, f))));
    expect(after).toEqual(before);
  });

  test("--base-url links each review to the page grader site publishes for the lesson; without it, to the lesson's Markdown file", async () => {
    const csv = path.join(tmp, "links.csv");
    await writeFile(csv, "student,lesson,completed_at\nalice,fx-retry,2026-11-20\n");
    const site = path.join(tmp, "links-site");
    const [linked, plain, built] = await Promise.all([
      grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", path.join(tmp, "links"), "--base-url", "https://course.example.edu/lessons/"]),
      grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", path.join(tmp, "links-plain")]),
      grader(["site", "--lessons", COURSE, "--out", site]),
    ]);
    expect([linked.code, plain.code, built.code]).toEqual([0, 0, 0]);
    const link = (dir: string) => readFile(path.join(tmp, dir, "agenda.csv"), "utf8").then((t) => t.split("\r\n")[1]!.split(",").at(-1)!);
    const url = await link("links");
    expect(url).toBe("https://course.example.edu/lessons/retry.html");
    await expect(readFile(path.join(site, url.slice("https://course.example.edu/lessons/".length)), "utf8")).resolves.toContain("<html");
    expect(await link("links-plain")).toBe(path.relative(REPO, path.join(COURSE, "retry.md")));
    expect(await readFile(path.join(tmp, "links", "alice.ics"), "utf8")).toContain("URL:https://course.example.edu/lessons/retry.html");
  });

  test("--base-url percent-encodes the lesson's page path: a file named with a space, '#' or '?' links to its page", async () => {
    const course = path.join(tmp, "odd-names");
    await mkdir(course, { recursive: true });
    await writeFile(path.join(course, "day 3 #retry?.md"), "---\nid: fx-odd\npart: p\ntitle: Odd\norder: 1\nreview_schedule_days: [3]\n---\n# Odd\n");
    const csv = path.join(tmp, "odd.csv");
    await writeFile(csv, "student,lesson,completed_at\nalice,fx-odd,2026-11-20\n");
    const site = path.join(tmp, "odd-site");
    const [linked, built] = await Promise.all([
      grader(["schedule", "--lessons", course, "--completions", csv, "--out", path.join(tmp, "odd-links"), "--base-url", "https://course.example.edu/lessons/"]),
      grader(["site", "--lessons", course, "--out", site]),
    ]);
    expect([linked.code, built.code]).toEqual([0, 0]);
    const url = (await readFile(path.join(tmp, "odd-links", "agenda.csv"), "utf8")).split("\r\n")[1]!.split(",").at(-1)!;
    expect(url).toBe("https://course.example.edu/lessons/day%203%20%23retry%3F.html");
    const page = decodeURIComponent(new URL(url).pathname.slice("/lessons/".length));
    await expect(readFile(path.join(site, page), "utf8")).resolves.toContain("<h1>Odd</h1>");
  });

  test("--fsrs --json schedules the next review per student and lesson", async () => {
    const csv = path.join(tmp, "fsrs.csv");
    await writeFile(csv, "student,lesson,completed_at,rating\nalice,fx-retry,2026-11-20,good\nalice,fx-retry,2026-11-23,easy\n");
    const r = await grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", path.join(tmp, "fsrs"), "--fsrs", "--json"]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.mode).toBe("fsrs");
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({ uid: "alice.fx-retry.next-review@dslab-grader", sequence: 0, status: "CONFIRMED" });
    expect(result.events[0].date > "2026-11-23").toBe(true);
  });
});



describe("lesson w11-l04 (idempotent writes) of the course, through the grader command", () => {
  // The course's own lesson: proof type paste, status regex, xp 50.
  const lessons = path.join(REPO, "lessons");
  const attemptLog = (client: string, seq: number, backoffMs: number, replyMs: number) => [
    `client_id=${client} seq=${seq} attempt=1 node=n1 outcome=timeout(1000ms) action=retry-next backoff_ms=${backoffMs} t_ms=1000`,
    `n1 | [dedup] client ${client} seq ${seq} is duplicate, returning cached result`,
    `client_id=${client} seq=${seq} attempt=2 node=n1 outcome=append_ok action=succeed backoff_ms=0 t_ms=${replyMs}`,
    `client_id=${client} seq=${seq + 1} attempt=1 node=n1 outcome=append_ok action=succeed backoff_ms=0 t_ms=4`,
    "n1 | became leader for term 2",
  ].join("\n");

  test("grader proof: the dedup line alone passes (exit 0), both patterns matched, with a note that its original is not in the paste", async () => {
    const paste = path.join(tmp, "w11-one-line.txt");
    await writeFile(paste, "[dedup] client 42 seq 5 is duplicate, returning cached result\n");
    const r = await grader(["proof", "--lessons", lessons, "--lesson", "w11-l04", paste]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`pass: ${paste} (lesson w11-l04, score 50/50)`);
    expect(r.stdout).toContain("  - evidence to review: line 1: duplicate of client 42 seq 5, but the paste shows no earlier request or application of it");
    expect(r.stdout).toContain("  pattern 1 matched (3x): duplicate|idempotent|cached|dedup");
    expect(r.stdout).toContain("  pattern 2 matched (1x): client_id|seq");
  });

  test("grader proof: a (client, seq) applied twice fails (exit 1)", async () => {
    const paste = path.join(tmp, "w11-twice.txt");
    await writeFile(paste, "[apply] client 42 seq 5\n[dedup] client 42 seq 5 is duplicate, returning cached result\n[apply] client 42 seq 5\n");
    const r = await grader(["proof", "--lessons", lessons, "--lesson", "w11-l04", paste]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("  - evidence: line 3: client 42 seq 5 applied again (first applied on line 1); a retry must not be applied twice");
  });

  test("grader proofs: a copy with a number and a space changed is flagged with both students and the similarity; honest pastes pass", async () => {
    const dir = path.join(tmp, "w11-pastes");
    const out = path.join(tmp, "w11-grades");
    await mkdir(dir, { recursive: true });
    const alice = attemptLog("290341886112200198731443657610290341", 7, 97, 1104);
    await writeFile(path.join(dir, "alice.txt"), alice);
    await writeFile(path.join(dir, "bob.txt"), attemptLog("118446744073709551615002219023476121", 3, 112, 1131));
    await writeFile(path.join(dir, "carol.txt"), attemptLog("77301994822017634002193847561029384", 12, 84, 1090));
    await writeFile(path.join(dir, "zoe.txt"), alice.replace("t_ms=1104", "t_ms=1107").replace("| became", "|  became"));
    // A paste in a folder is not graded, and the instructor is told which folder.
    await mkdir(path.join(dir, "dave"), { recursive: true });
    await writeFile(path.join(dir, "dave", "log.txt"), attemptLog("55", 2, 90, 1000));
    const r = await grader(["proofs", "--lessons", lessons, "--lesson", "w11-l04", dir, "--out", out, "--now", "2026-11-24T10:00:00Z"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`grader proofs: warning: ${path.join(dir, "dave")}/ is a directory, not graded; each student's paste is a file directly in ${dir}\n`);
    expect(r.stdout).toContain("lesson w11-l04: 4 student(s): 2 pass, 0 fail, 2 needs-review (0 manual)");
    expect(r.stdout).toContain("  near-identical (1.00): alice and zoe\n");
    const csv = await readFile(path.join(out, "gradebook.csv"), "utf8");
    const why = "(similarity 1.00 with ids, numbers and whitespace normalised; both name client 290341886112200198731443657610290341)";
    // The reason holds a comma, so the CSV quotes it.
    expect(csv).toContain(`alice,w11-l04,needs-review,,50,"near-identical to the paste of zoe ${why}",auto,2026-11-24T10:00:00.000Z`);
    expect(csv).toContain(`zoe,w11-l04,needs-review,,50,"near-identical to the paste of alice ${why}",auto,2026-11-24T10:00:00.000Z`);
    expect(csv).toContain("bob,w11-l04,pass,50,50,,auto,2026-11-24T10:00:00.000Z");
    expect(csv).toContain("carol,w11-l04,pass,50,50,,auto,2026-11-24T10:00:00.000Z");
  });
});
