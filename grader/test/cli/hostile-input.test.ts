// Careless and hostile input to the real `grader` bin: an alias bomb in a
// lesson, FIFOs where files are expected, symlinked lessons and pastes,
// UTF-16 pastes, and a review decision for a student nobody graded.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, truncate, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FIXTURES, grader, REPO } from "../helpers/cli.js";

const COURSE = path.join(FIXTURES, "course");
const PASTES = path.join(FIXTURES, "pastes");
/** A FIFO nobody writes to: reading it blocks for ever, so a command must refuse it first. */
const FIFO_TIMEOUT_MS = 20_000;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "grader-hostile-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A copy of the fixture course in a fresh directory, plus `extra` files; lint it with `--root FIXTURES`, where its references point. */
async function course(name: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const f of await readdir(COURSE)) await copyFile(path.join(COURSE, f), path.join(dir, f));
  for (const [f, text] of Object.entries(extra)) await writeFile(path.join(dir, f), text);
  return dir;
}

function mkfifo(file: string): void {
  execFileSync("mkfifo", [file]);
}

/** Nine levels of nine aliases each: expanded, 9^9 strings. */
function aliasBomb(asList: boolean): string {
  const lead = asList ? "- " : (n: string) => `${n}: `;
  const key = (n: string) => (typeof lead === "string" ? lead : lead(n));
  const lines = [`${key("a")}&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`];
  const names = "abcdefghi";
  for (let i = 1; i < names.length; i++) lines.push(`${key(names[i]!)}&${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(",")}]`);
  const fields = asList ? [] : ["id: fx-bomb", "part: fx-week", "title: Bomb", "order: 9"];
  return ["---", ...lines, ...fields, "---", "", "# Bomb", ""].join("\n");
}

describe("grader lint: a lesson with a YAML alias bomb", () => {
  test("is reported as that lesson's error with file:line, and the other lessons are still linted (exit 1, not 70)", async () => {
    const dir = await course("bomb", { "bomb-list.md": aliasBomb(true), "bomb-map.md": aliasBomb(false) });
    const r = await grader(["lint", "--lessons", dir, "--root", FIXTURES]);
    expect(r.stderr).not.toContain("internal error");
    expect(r.code).toBe(1);
    const rel = (f: string) => path.relative(REPO, path.join(dir, f));
    expect(r.stdout).toMatch(/bomb-list\.md:3: error front-matter: YAML aliases are not allowed in a lesson's front-matter \(\*a, and 71 more\)/);
    expect(r.stdout).toContain(`${rel("bomb-map.md")}:3: error front-matter: YAML aliases are not allowed`);
    expect(r.stdout).toContain("[yaml-alias]");
    expect(r.stdout).toContain("5 file(s), 3 lesson(s): 2 error(s)");
    // The good lessons are still usable by the other commands.
    const show = await grader(["lesson", "show", "fx-retry", "--lessons", dir]);
    expect(show.code).toBe(0);
  });
});

describe("grader: FIFOs and other non-regular files are refused at once", () => {
  test("proof on a FIFO names the path and exits 4 without reading it", async () => {
    const fifo = path.join(tmp, "paste.fifo");
    mkfifo(fifo);
    const r = await grader(["proof", "--lessons", COURSE, "--lesson", "fx-retry", fifo], { timeoutMs: FIFO_TIMEOUT_MS });
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`grader proof: cannot read ${fifo}: it is a FIFO (named pipe), not a regular file; give the paste as a file\n`);
  });

  test("proofs reports a FIFO among the pastes for that student and grades the rest", async () => {
    const dir = path.join(tmp, "pastes-fifo");
    await mkdir(dir);
    await copyFile(path.join(PASTES, "alice.txt"), path.join(dir, "alice.txt"));
    mkfifo(path.join(dir, "mallory.txt"));
    const r = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", dir, "--out", path.join(tmp, "grades-fifo"), "--json"], { timeoutMs: FIFO_TIMEOUT_MS });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).rows as { student: string; status: string; reasons: string[] }[];
    expect(rows.find((x) => x.student === "alice")?.status).toBe("pass");
    expect(rows.find((x) => x.student === "mallory")).toMatchObject({ status: "fail", reasons: ["paste refused: it is a FIFO (named pipe), not a regular file"] });
  });

  test("lint reports a FIFO named like a lesson and lints the rest", async () => {
    const dir = await course("fifo-course");
    mkfifo(path.join(dir, "pipe.md"));
    const r = await grader(["lint", "--lessons", dir, "--root", FIXTURES], { timeoutMs: FIFO_TIMEOUT_MS });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/pipe\.md: error file: it is a FIFO \(named pipe\), not a regular file; a lesson is a Markdown file \[not-a-file\]/);
    expect(r.stdout).toContain("4 file(s), 3 lesson(s): 1 error(s)");
  });
});

test("schedule refuses a FIFO as --completions at once (exit 4), naming it", async () => {
  const fifo = path.join(tmp, "completions.fifo");
  mkfifo(fifo);
  const r = await grader(["schedule", "--lessons", COURSE, "--completions", fifo, "--out", path.join(tmp, "sched-fifo")], { timeoutMs: FIFO_TIMEOUT_MS });
  expect(r.code).toBe(4);
  expect(r.stderr).toBe(`grader schedule: cannot read ${fifo}: it is a FIFO (named pipe), not a regular file\n`);
});

test("proof and schedule say a Unix socket is a socket, as they say a FIFO is one (exit 4)", async () => {
  const sock = path.join(tmp, "paste.sock");
  const server = createServer();
  await new Promise<void>((listening) => server.listen(sock, listening));
  try {
    const proof = await grader(["proof", "--lessons", COURSE, "--lesson", "fx-retry", sock]);
    expect(proof.code).toBe(4);
    expect(proof.stderr).toBe(`grader proof: cannot read ${sock}: it is a socket, not a regular file; give the paste as a file\n`);
    const schedule = await grader(["schedule", "--lessons", COURSE, "--completions", sock, "--out", path.join(tmp, "sched-sock")]);
    expect(schedule.code).toBe(4);
    expect(schedule.stderr).toBe(`grader schedule: cannot read ${sock}: it is a socket, not a regular file\n`);
  } finally {
    await new Promise((closed) => server.close(closed));
  }
});

describe("grader: symlinked lessons and pastes are followed", () => {
  test("a symlinked lesson file and a symlinked directory of lessons are read; a dangling link is reported", async () => {
    const dir = path.join(tmp, "linked-course");
    const elsewhere = path.join(tmp, "elsewhere");
    await mkdir(path.join(elsewhere, "more"), { recursive: true });
    await mkdir(dir);
    await copyFile(path.join(COURSE, "election.md"), path.join(dir, "election.md"));
    await copyFile(path.join(COURSE, "retry.md"), path.join(elsewhere, "retry.md"));
    await copyFile(path.join(COURSE, "messy.md"), path.join(elsewhere, "more", "messy.md"));
    await symlink(path.join(elsewhere, "retry.md"), path.join(dir, "retry.md"));
    await symlink(path.join(elsewhere, "more"), path.join(dir, "more"));
    await symlink(dir, path.join(elsewhere, "more", "loop")); // a cycle: read once, not for ever
    const clean = await grader(["lint", "--lessons", dir, "--root", FIXTURES, "--json"]);
    expect(JSON.parse(clean.stdout)).toMatchObject({ files: 3, lessons: 3, errors: 0 });
    expect(clean.code).toBe(0);
    await symlink(path.join(tmp, "gone.md"), path.join(dir, "dangling.md"));
    const r = await grader(["lint", "--lessons", dir, "--root", FIXTURES]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/dangling\.md: error file: a symbolic link to .*gone\.md, which does not exist \[broken-link\]/);
  });

  test("a symlinked paste is graded like a file", async () => {
    const dir = path.join(tmp, "pastes-linked");
    await mkdir(dir);
    await symlink(path.join(PASTES, "alice.txt"), path.join(dir, "alice.txt"));
    await copyFile(path.join(PASTES, "erin.txt"), path.join(dir, "erin.txt"));
    const r = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", dir, "--out", path.join(tmp, "grades-linked"), "--json"]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).rows as { student: string; status: string }[];
    expect(rows.map((x) => [x.student, x.status])).toEqual([["alice", "pass"], ["erin", "pass"]]);
  });
});

describe("grader proof: UTF-16 pastes", () => {
  const text = readFileSync(path.join(PASTES, "alice.txt"), "utf8");
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
  const be = Buffer.from(text, "utf16le").swap16();
  test.each([
    ["little-endian with a byte-order mark", le, "iconv -f UTF-16 -t UTF-8"],
    ["big-endian with a byte-order mark", Buffer.concat([Buffer.from([0xfe, 0xff]), be]), "iconv -f UTF-16 -t UTF-8"],
    ["big-endian without a byte-order mark", be, "iconv -f UTF-16BE -t UTF-8"],
  ])("a UTF-16 paste (%s) is refused as UTF-16, saying how to convert it", async (_name, data, iconv) => {
    const file = path.join(tmp, `utf16-${_name.replace(/\W+/g, "-")}.txt`);
    await writeFile(file, data);
    const r = await grader(["proof", "--lessons", COURSE, "--lesson", "fx-retry", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`paste refused: UTF-16 text (${_name.replace(" with a byte-order mark", "").replace(" without a byte-order mark", "")}), not UTF-8; convert it, e.g. \`${iconv} paste.txt > paste-utf8.txt\``);
    expect(r.stdout).not.toContain("binary");
  });
});

describe("grader proof: a paste that is not UTF-8", () => {
  test("is refused naming the line, column and byte offset of the first bad byte, as the other files are (exit 1)", async () => {
    const file = path.join(tmp, "latin1-paste.txt");
    // "[apply] client 1 seq 1\n" then "caf\xe9" on line 2: the Latin-1 é is byte 26, column 4.
    await writeFile(file, Buffer.concat([Buffer.from("[apply] client 1 seq 1\ncaf"), Buffer.from([0xe9]), Buffer.from(" ok\n")]));
    const r = await grader(["proof", "--lessons", COURSE, "--lesson", "fx-retry", file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`paste refused: ${file}:2:4: not UTF-8 text: byte 0xE9 (byte offset 26) is not valid UTF-8; saved in Latin-1/Windows-1252? save it as UTF-8`);
  });

  test("grader proofs puts the same reason, naming the student's paste, in the gradebook", async () => {
    const dir = path.join(tmp, "pastes-latin1");
    await mkdir(dir);
    await writeFile(path.join(dir, "zoe.txt"), Buffer.concat([Buffer.from("[apply] client 1 seq 1\ncaf"), Buffer.from([0xe9]), Buffer.from(" ok\n")]));
    const r = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", dir, "--out", path.join(tmp, "grades-latin1"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout).rows as { student: string; status: string; reasons: string[] }[];
    expect(rows).toMatchObject([
      { student: "zoe", status: "fail", reasons: [`paste refused: ${path.join(dir, "zoe.txt")}:2:4: not UTF-8 text: byte 0xE9 (byte offset 26) is not valid UTF-8; saved in Latin-1/Windows-1252? save it as UTF-8`] },
    ]);
  });
});

describe("grader review: a student not in the batch", () => {
  test("is refused with a message naming --new-student, and recorded with it", async () => {
    const out = path.join(tmp, "grades-review");
    const batch = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", PASTES, "--out", out, "--now", "2026-11-24T10:00:00Z"]);
    expect(batch.code).toBe(0);
    const args = ["review", "--lessons", COURSE, "--lesson", "fx-retry", "--student", "carl", "--status", "pass", "--note", "n", "--out", out, "--now", "2026-11-24T12:00:00Z"];
    const refused = await grader(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'grader review: student "carl" is not in the gradebook for lesson fx-retry (students: alice, bob, carol, dave, erin); check the spelling, or pass --new-student to record a decision for a student with no paste\n',
    );
    expect(await readFile(path.join(out, "gradebook.csv"), "utf8")).not.toContain("carl");
    const accepted = await grader([...args, "--new-student"]);
    expect(accepted.code).toBe(0);
    expect(await readFile(path.join(out, "manual-grades.json"), "utf8")).toContain('"student": "carl"');
    // Once recorded, carl is known: a second decision needs no flag.
    const again = await grader(args.map((a) => (a === "pass" ? "fail" : a)));
    expect(again.code).toBe(0);
  });
});

describe("a gradebook.json that is valid JSON of another shape", () => {
  test("proofs, review and test --class refuse it naming the row (exit 4), and the file is left as it was", async () => {
    const out = path.join(tmp, "grades-bad-row");
    await mkdir(out, { recursive: true });
    const file = path.join(out, "gradebook.json");
    const bad = JSON.stringify({ version: 1, rows: [{ student: "x" }] });
    await writeFile(file, bad);
    const klass = path.join(tmp, "class-bad-gradebook");
    await mkdir(path.join(klass, "dora"), { recursive: true });
    const runs = await Promise.all([
      grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", PASTES, "--out", out]),
      grader(["review", "--lessons", COURSE, "--lesson", "fx-retry", "--student", "alice", "--status", "pass", "--note", "n", "--new-student", "--out", out]),
      grader(["test", "--class", klass, "--lesson", "keys", "--out", out], { timeoutMs: 60_000 }),
    ]);
    for (const r of runs) {
      expect(r.stderr).not.toContain("internal error");
      // As root, the first `grader test` on a checkout first says it made the instructor's directories 0700.
      const stderr = r.stderr.replace(/^grader test: made grader\/\S+ 0700 .*\n/gm, "");
      expect(stderr).toMatch(/^grader (proofs|review|test): .*gradebook\.json: rows\[0\] needs student, lesson, status \(pass\|fail\|needs-review\), .*; fix or move it away\n$/);
      expect(r.code).toBe(4);
    }
    expect(await readFile(file, "utf8")).toBe(bad);
    await writeFile(file, JSON.stringify([1, 2]));
    const array = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", PASTES, "--out", out]);
    expect(array.stderr).toContain(`${file}: expected {"version":1,"rows":[...]}; fix or move it away`);
    expect(array.code).toBe(4);
    expect(await readFile(file, "utf8")).toBe("[1,2]");
  }, 90_000);
});

describe("state files of another shape", () => {
  test("a manual-grades.json holding null and a .schedule-state.json whose event lacks its fields are refused in one line (exit 4), not a crash", async () => {
    const grades = path.join(tmp, "grades-null");
    await mkdir(grades, { recursive: true });
    await writeFile(path.join(grades, "manual-grades.json"), "null\n");
    const sched = path.join(tmp, "sched-bad-event");
    await mkdir(sched, { recursive: true });
    await writeFile(path.join(sched, ".schedule-state.json"), JSON.stringify({ version: 1, events: { "alice.fx-retry.review-1@dslab-grader": 5 } }));
    const csv = path.join(tmp, "completions-bad-state.csv");
    await writeFile(csv, "student,lesson,completed_at\nalice,fx-retry,2026-11-20\n");
    const [proofs, schedule] = await Promise.all([
      grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", PASTES, "--out", grades]),
      grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", sched]),
    ]);
    expect(proofs).toMatchObject({ code: 4, stderr: `grader proofs: ${path.join(grades, "manual-grades.json")}: expected {"version":1,"grades":[...]}\n` });
    expect(schedule).toMatchObject({
      code: 4,
      stderr: `grader schedule: ${path.join(sched, ".schedule-state.json")} is not a schedule state file (event alice.fx-retry.review-1@dslab-grader needs sequence, student, fingerprint, date, summary, description); move it away to start the sequences over\n`,
    });
  });
});

describe("a .schedule-state.json with values of the right type but out of range", () => {
  test("an event whose date is not a day or whose sequence is not a whole number >= 0 is refused in one line naming the event and field (exit 4), not a crash", async () => {
    const csv = path.join(tmp, "completions-state-values.csv");
    await writeFile(csv, "student,lesson,completed_at\nalice,fx-retry,2026-11-20\n");
    const event = { student: "bob", sequence: 0, fingerprint: "0123456789abcdef", date: "2026-12-01", summary: "Review", description: "d" };
    for (const [field, value, why] of [
      ["date", "not-a-date", 'date "not-a-date" is not a day (YYYY-MM-DD)'],
      ["date", "2026-02-30", 'date "2026-02-30" is not a day (YYYY-MM-DD)'],
      ["sequence", -1, "sequence -1 is not a whole number >= 0"],
      ["sequence", 1.5, "sequence 1.5 is not a whole number >= 0"],
    ] as const) {
      const sched = path.join(tmp, `sched-${field}-${String(value)}`);
      await mkdir(sched, { recursive: true });
      const state = path.join(sched, ".schedule-state.json");
      const text = JSON.stringify({ version: 1, events: { "bob.fx-retry.review-1@dslab-grader": { ...event, [field]: value } } });
      await writeFile(state, text);
      const r = await grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", sched]);
      expect(r).toMatchObject({
        code: 4,
        stderr: `grader schedule: ${state} is not a schedule state file (event bob.fx-retry.review-1@dslab-grader: ${why}); move it away to start the sequences over\n`,
      });
      expect(await readFile(state, "utf8")).toBe(text);
    }
  });
});

describe("grader schedule: reviews that would fall after 9999-12-31", () => {
  test("are not scheduled, with a note naming the line and the review; the others are written (fixed and --fsrs), not a crash", async () => {
    const dir = await course("far-reviews", {
      "far.md": "---\nid: fx-far\npart: fx-week\ntitle: Far\norder: 50\nreview_schedule_days: [3, 1000000000]\n---\n# Far\n",
    });
    const csv = path.join(tmp, "completions-far.csv");
    await writeFile(csv, "student,lesson,completed_at\nalice,fx-far,2026-11-20\nbob,fx-far,9999-12-30\n");
    const fixed = await grader(["schedule", "--lessons", dir, "--completions", csv, "--out", path.join(tmp, "sched-far")]);
    expect(fixed.stderr).toBe("");
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain("note: line 2: review 2 of fx-far by alice would fall 1000000000 days after 2026-11-20, after 9999-12-31; not scheduled\n");
    expect(fixed.stdout).toContain("note: line 3: review 1 of fx-far by bob would fall 3 days after 9999-12-30, after 9999-12-31; not scheduled\n");
    expect(fixed.stdout).toContain("scheduled 1 review(s) for 1 student(s) from 2 row(s)");
    const ics = await readFile(path.join(tmp, "sched-far", "alice.ics"), "utf8");
    expect(ics).toContain("DTSTART;VALUE=DATE:20261123\r\n");
    const fsrs = await grader(["schedule", "--fsrs", "--lessons", dir, "--completions", csv, "--out", path.join(tmp, "sched-far-fsrs")]);
    expect(fsrs.stderr).toBe("");
    expect(fsrs.code).toBe(0);
    expect(fsrs.stdout).toContain("note: line 3: the next review of fx-far by bob would fall after 9999-12-31; not scheduled\n");
    expect(fsrs.stdout).toContain("scheduled 1 review(s) for 1 student(s) from 2 row(s)");
  });
});

describe("a lesson holding terminal control characters", () => {
  test("is a lint error at the line of the first one (control-char), and lesson show refuses it without printing them (exit 2)", async () => {
    const esc = "\u001b";
    const dir = await course("control-chars", {
      "ctl.md": `---\nid: fx-ctl\npart: fx-week\ntitle: "T${esc}]0;pwned\u0007${esc}[2J"\norder: 60\n---\n# T\n\nline \u0085 and ${esc}[31m red\n`,
    });
    const lint = await grader(["lint", "--lessons", dir, "--root", FIXTURES]);
    expect(lint.stderr).toBe("");
    expect(lint.code).toBe(1);
    const rel = path.relative(REPO, path.join(dir, "ctl.md"));
    expect(lint.stdout).toContain(
      `${rel}:4: error file: 5 control character(s), the first U+001B (ESC); a terminal runs them as escape sequences when a command prints the lesson: remove them [control-char]\n`,
    );
    expect(lint.stdout).not.toContain(esc);
    const show = await grader(["lesson", "show", "fx-ctl", "--lessons", dir]);
    expect(show.code).toBe(2);
    expect(show.stdout + show.stderr).toContain("[control-char]");
    expect(show.stdout + show.stderr).not.toContain(esc);
  });
});

describe("a lesson file far larger than a lesson", () => {
  test("is that file's error (too-large), never read, and the rest of the course is linted", async () => {
    const size = 5 * 1024 * 1024;
    const head = "---\nid: fx-huge\npart: fx-week\ntitle: Huge\norder: 70\n---\n# Huge\n\n";
    const text = head + "x".repeat(size - head.length);
    const dir = await course("huge-lesson", { "huge.md": text });
    const r = await grader(["lint", "--lessons", dir, "--root", FIXTURES]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const rel = path.relative(REPO, path.join(dir, "huge.md"));
    expect(r.stdout).toContain(`${rel}: error file: it is 5,242,880 bytes, over the 4,194,304 a lesson may be; not read (a lesson is a page of Markdown: split it, or move data out of it) [too-large]\n`);
    expect(r.stdout).toMatch(/4 file\(s\), 3 lesson\(s\): 1 error\(s\)/);
  });
});

describe("a manual-grades.json decision with a field of the wrong type", () => {
  test("a note that is not a text, a --by that is not a text or a gradedAt that is no time is refused naming the decision (exit 4), not written into the gradebook as 'undefined' or '[object Object]'", async () => {
    const decision = { lesson: "fx-retry", student: "alice", status: "pass", note: "checked by hand", gradedAt: "2026-11-24T10:00:00Z" };
    for (const [name, bad] of [
      ["no-note", { note: undefined }],
      ["by-object", { by: { name: "ana" } }],
      ["bad-time", { gradedAt: "yesterday" }],
      ["sha-number", { sha256: 5 }],
    ] as const) {
      const grades = path.join(tmp, `grades-${name}`);
      await mkdir(grades, { recursive: true });
      const file = path.join(grades, "manual-grades.json");
      await writeFile(file, JSON.stringify({ version: 1, grades: [{ ...decision, ...bad }] }));
      const r = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", PASTES, "--out", grades]);
      expect(r, name).toMatchObject({
        code: 4,
        stderr: `grader proofs: ${file}: grades[0] needs lesson, student, status (pass|fail), note (a text), gradedAt (an ISO time) and, when given, by and sha256 (texts)\n`,
      });
    }
  });
});

describe("a student id (a paste's file name) holding terminal control characters", () => {
  test("proofs and review print it with the controls escaped, never raw; the gradebook keeps the id as it is", async () => {
    const esc = "\u001b";
    const student = `e${esc}]0;pwned\u0007${esc}[2Jvil`;
    const pastes = path.join(tmp, "pastes-control");
    await mkdir(pastes, { recursive: true });
    const paste = await readFile(path.join(PASTES, "alice.txt"));
    await writeFile(path.join(pastes, `${student}.txt`), paste);
    await writeFile(path.join(pastes, "bob.txt"), paste);
    const out = path.join(tmp, "grades-control");
    const proofs = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", pastes, "--out", out]);
    expect(proofs.code, proofs.stderr).toBe(0);
    expect(proofs.stdout).toContain("identical: bob and e\\u001b]0;pwned\\u0007\\u001b[2Jvil\n");
    expect(proofs.stdout).not.toContain(esc);
    const rows = JSON.parse(await readFile(path.join(out, "gradebook.json"), "utf8")).rows as { student: string }[];
    expect(rows.map((r) => r.student)).toEqual(["bob", student]);
    const review = await grader(["review", "--lessons", COURSE, "--lesson", "fx-retry", "--student", "x", "--status", "pass", "--note", "n", "--out", out]);
    expect(review.code).toBe(2);
    expect(review.stderr).toContain("(students: bob, e\\u001b]0;pwned\\u0007\\u001b[2Jvil)");
    expect(review.stderr).not.toContain(esc);
  });
});

describe("instructor notes in the course directory", () => {
  test("an instructor/ directory and a *.instructor.md file are not read as lessons, as answer keys are not: lint passes", async () => {
    const dir = await course("with-notes", { "retry.instructor.md": "Grading notes: a paste without the seq line fails.\n" });
    await mkdir(path.join(dir, "Instructor"), { recursive: true });
    await writeFile(path.join(dir, "Instructor", "notes.md"), "Students forget that reads are not deduplicated.\n");
    const r = await grader(["lint", "--lessons", dir, "--root", FIXTURES]);
    expect(r.stderr).toBe("");
    expect(r.stdout).not.toContain("instructor");
    expect(r.stdout).toMatch(/3 file\(s\), 3 lesson\(s\): 0 error\(s\)/);
    expect(r.code).toBe(0);
  });
});

describe("grader test --class with --out the class directory itself", () => {
  test("is a usage error (exit 2) before anything is graded or written: its reports/ folder would be graded as a student on the next run", async () => {
    const klass = path.join(tmp, "class-and-grades");
    await mkdir(path.join(klass, "alice", "week-12", "src"), { recursive: true });
    const r = await grader(["test", "--class", klass, "--lesson", "keys", "--out", klass], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out ${klass} is the class directory ${klass}; its reports/ folder would be graded as a student on the next run: give another --out`);
    expect((await readdir(klass)).sort()).toEqual(["alice"]);
  });
});

describe("grader proofs with --out the pastes directory itself", () => {
  test("is a usage error naming both (exit 2) before anything is written: the gradebook's files would be read as pastes on the next run", async () => {
    const dir = path.join(tmp, "pastes-and-grades");
    await mkdir(dir, { recursive: true });
    for (const f of await readdir(PASTES)) await copyFile(path.join(PASTES, f), path.join(dir, f));
    const before = (await readdir(dir)).sort();
    const r = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", dir, "--out", `${dir}/`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`grader proofs: --out ${dir}/ is the pastes directory ${dir}; its gradebook.csv, gradebook.json and review page would be read as pastes on the next run: give another --out`);
    expect((await readdir(dir)).sort()).toEqual(before);
  });
});

describe("grader proof: a paste whose size the system reports wrong", () => {
  test("a file whose stat size is 0 but that holds text (/proc/version) is read to its end, not refused as empty", async () => {
    const r = await grader(["proof", "--lessons", COURSE, "--lesson", "fx-retry", "/proc/version"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain("the paste is empty");
    expect(r.stdout).toContain("pattern 1 no match");
  });
});

describe("grader proofs: a paste that cannot be opened", () => {
  test("a symbolic link to itself among the pastes is that student's fail saying so, and the rest are graded (exit 0, not 70)", async () => {
    const dir = path.join(tmp, "pastes-loop");
    await mkdir(dir);
    await copyFile(path.join(PASTES, "alice.txt"), path.join(dir, "alice.txt"));
    await symlink("mallory.txt", path.join(dir, "mallory.txt"));
    const r = await grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", dir, "--out", path.join(tmp, "grades-loop-paste"), "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout).rows as { student: string; status: string; reasons: string[] }[];
    expect(rows.find((x) => x.student === "alice")?.status).toBe("pass");
    expect(rows.find((x) => x.student === "mallory")).toMatchObject({ status: "fail", reasons: ["paste refused: it is a loop of symbolic links"] });
  });
});

describe("grader site: a picture far larger than a picture", () => {
  test("a 3 GB picture is drawn as its text with a warning naming it and its size, never read or copied (exit 0, not a crash)", async () => {
    const dir = await course("site-huge-picture");
    await writeFile(path.join(dir, "retry.md"), `${await readFile(path.join(COURSE, "retry.md"), "utf8")}\n![the diagram](huge.png)\n`);
    const huge = path.join(dir, "huge.png");
    await writeFile(huge, "");
    await truncate(huge, 3 * 1024 ** 3);
    const out = path.join(tmp, "site-huge-picture-out");
    const r = await grader(["site", "--lessons", dir, "--out", out]);
    expect(r.stderr).not.toContain("internal error");
    expect(r.code).toBe(0);
    const rel = path.relative(REPO, path.join(dir, "retry.md"));
    expect(r.stderr).toBe(`grader site: ${rel}: image huge.png is 3,221,225,472 bytes, more than the 67,108,864 a file of the site may be; drawn as its text\n`);
    expect(await readdir(out)).not.toContain("huge.png");
    expect(await readFile(path.join(out, "retry.html"), "utf8")).toContain('<span class="missing-image">[the diagram]</span>');
  });
});

describe("a gradebook.json that cannot be read", () => {
  test("one larger than any gradebook, or a loop of symbolic links, is refused in one line naming it (exit 4, not 70), unread and left as it was", async () => {
    const big = path.join(tmp, "grades-huge");
    await mkdir(big, { recursive: true });
    await writeFile(path.join(big, "gradebook.json"), "");
    await truncate(path.join(big, "gradebook.json"), 1024 ** 3);
    const loop = path.join(tmp, "grades-loop");
    await mkdir(loop, { recursive: true });
    await symlink("gradebook.json", path.join(loop, "gradebook.json"));
    const [huge, looped] = await Promise.all([
      grader(["proofs", "--lessons", COURSE, "--lesson", "fx-retry", PASTES, "--out", big]),
      grader(["review", "--lessons", COURSE, "--lesson", "fx-retry", "--student", "alice", "--status", "pass", "--note", "n", "--new-student", "--out", loop]),
    ]);
    expect(huge).toMatchObject({
      code: 4,
      stderr: `grader proofs: ${path.join(big, "gradebook.json")}: it is 1,073,741,824 bytes, more than the 268,435,456 a grades file may be; move it away\n`,
    });
    expect(looped).toMatchObject({
      code: 4,
      stderr: `grader review: ${path.join(loop, "gradebook.json")} cannot be read: it is a loop of symbolic links; fix or move it away\n`,
    });
    expect((await stat(path.join(big, "gradebook.json"))).size).toBe(1024 ** 3);
  });
});

describe("a .schedule-state.json that cannot be a state file", () => {
  test("one larger than any state file is refused by its size, unread, in one line naming it (exit 4), and left as it was", async () => {
    const sched = path.join(tmp, "sched-huge-state");
    await mkdir(sched, { recursive: true });
    const state = path.join(sched, ".schedule-state.json");
    await writeFile(state, "");
    await truncate(state, 100 * 1024 * 1024);
    const csv = path.join(tmp, "completions-huge-state.csv");
    await writeFile(csv, "student,lesson,completed_at\nalice,fx-retry,2026-11-20\n");
    const r = await grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", sched]);
    expect(r).toMatchObject({
      code: 4,
      stdout: "",
      stderr: `grader schedule: cannot read ${state}: it is 104,857,600 bytes, more than the 67,108,864 a schedule state file may be; move it away to start the sequences over\n`,
    });
    expect((await stat(state)).size).toBe(100 * 1024 * 1024);
    expect(await readdir(sched)).toEqual([".schedule-state.json"]);
  });

  test("one that is not UTF-8, or whose JSON error would quote terminal control characters, is refused in one line naming it (exit 4), the controls escaped", async () => {
    const csv = path.join(tmp, "completions-bad-bytes-state.csv");
    await writeFile(csv, "student,lesson,completed_at\nalice,fx-retry,2026-11-20\n");
    const latin1 = path.join(tmp, "sched-latin1-state");
    await mkdir(latin1, { recursive: true });
    await writeFile(path.join(latin1, ".schedule-state.json"), Buffer.from('{"version":1,"events":{},"note":"caf\xe9"}', "latin1"));
    const esc = path.join(tmp, "sched-esc-state");
    await mkdir(esc, { recursive: true });
    await writeFile(path.join(esc, ".schedule-state.json"), "\u001b[2J\u0007");
    const [bytes, escaped] = await Promise.all([
      grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", latin1]),
      grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", esc]),
    ]);
    expect(bytes).toMatchObject({
      code: 4,
      stderr: `grader schedule: ${path.join(latin1, ".schedule-state.json")} is not a schedule state file (not UTF-8 text: line 1, column 37, byte offset 36); move it away to start the sequences over\n`,
    });
    expect(escaped.code).toBe(4);
    expect(escaped.stderr).toMatch(/^grader schedule: \S+ is not a schedule state file \(Unexpected token .*\\u001b\[2J\\u0007.*\); move it away to start the sequences over\n$/);
    expect(escaped.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });
});
