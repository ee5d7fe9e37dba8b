import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildSchedule } from "../../src/schedule/build.js";
import { parseCompletions } from "../../src/schedule/completions.js";
import { formatIsoDate, parseIsoDate } from "../../src/schedule/dates.js";
import { escapeText, foldLine } from "../../src/schedule/ics.js";
import { fixedPlan, type PlannedReview } from "../../src/schedule/plan.js";
import { emptyState, type ScheduleState } from "../../src/schedule/state.js";
import { FIXTURES, grader } from "../helpers/cli.js";
import { makeLesson } from "../helpers/lessons.js";
import { parseIcs, prop, unescapeText, value } from "../helpers/ics.js";

const lessons = [
  makeLesson({ id: "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h", title: "Client retry, idempotency; dedup", reviewScheduleDays: [3, 7, 21, 60], file: "lessons/w12-leader-election-client-idempotency/d03-quest-client-retry-idempotency.md" }),
  makeLesson({ id: "w12-leader-election-client-idempotency-d02-quest-vote-rules-2h", title: "Quest: Vote Rules", reviewScheduleDays: [2, 5], file: "lessons/w12-leader-election-client-idempotency/d02-quest-vote-rules.md" }),
  makeLesson({ id: "none", title: "No reviews", reviewScheduleDays: [] }),
];

const CSV = "student,lesson,completed_at,rating\nalice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-20,good\nalice,w12-leader-election-client-idempotency-d02-quest-vote-rules-2h,2026-11-02,\nbob,w12-leader-election-client-idempotency-d02-quest-vote-rules-2h,2026-11-21,easy\n";

function build(csv: string, previous: ScheduleState = emptyState(), baseUrl?: string) {
  const { rows, errors } = parseCompletions(csv, "c.csv", lessons);
  const plan = fixedPlan(rows);
  const latest = new Map<string, number>();
  for (const r of rows) latest.set(r.student, Math.max(latest.get(r.student) ?? 0, r.day));
  const linkOf = (r: PlannedReview) => (baseUrl ? { text: r.lesson.file, url: `${baseUrl}${r.lesson.file}` } : { text: r.lesson.file });
  return { errors, plan, built: buildSchedule({ reviews: plan.reviews, previous, linkOf, stampDayOf: (s) => latest.get(s) ?? 0, mode: "fixed" }) };
}

describe("completions CSV", () => {
  test("bad rows are reported with their line numbers and the rest are kept", () => {
    const csv = [
      "student,lesson,completed_at,rating",
      "alice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-20,good",
      "bob,w99,2026-11-20,",
      "carol,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-02-30,",
      "dave,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,yesterday,good",
      ",w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-20,",
      "erin,w12-leader-election-client-idempotency-d02-quest-vote-rules-2h,2026-11-20,meh",
      '"frank, jr",w12-leader-election-client-idempotency-d02-quest-vote-rules-2h,2026-11-20T15:30:00Z,EASY',
    ].join("\r\n");
    const { rows, errors } = parseCompletions(csv, "c.csv", lessons);
    expect(errors).toEqual([
      { line: 3, message: 'c.csv:3: unknown lesson "w99"; row skipped' },
      { line: 4, message: 'c.csv:4: bad date "2026-02-30" (expected an ISO date, YYYY-MM-DD); row skipped' },
      { line: 5, message: 'c.csv:5: bad date "yesterday" (expected an ISO date, YYYY-MM-DD); row skipped' },
      { line: 6, message: "c.csv:6: student is empty; row skipped" },
      { line: 7, message: 'c.csv:7: bad rating "meh" (expected one of again, hard, good, easy); row skipped' },
    ]);
    expect(rows.map((r) => [r.student, r.lesson.id, formatIsoDate(r.day), r.rating, r.line])).toEqual([
      ["alice", "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h", "2026-11-20", "good", 2],
      ["frank, jr", "w12-leader-election-client-idempotency-d02-quest-vote-rules-2h", "2026-11-20", "easy", 8],
    ]);
  });

  test("a header without the required columns is refused", () => {
    expect(() => parseCompletions("name,lesson\nalice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h\n", "c.csv", lessons)).toThrow(
      "c.csv:1: the header must name the columns student,lesson,completed_at and optionally rating; missing student, completed_at",
    );
  });

  test("a row that is not well-formed CSV says file:line and what is wrong: a quote left open, too few or too many fields", () => {
    const L = "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h";
    const csv = ["student,lesson,completed_at", `ann,${L},2026-11-01`, `ivy,${L},"2026-11-20`, `ivy,${L},2026-11-21"`, `ivy,${L}`, `jo,${L},2026-11-03,good,x`, `kim,${L},2026-11-04`, ""].join("\n");
    const { rows, errors } = parseCompletions(csv, "bad.csv", lessons);
    expect(errors.map((e) => e.message)).toEqual([
      "bad.csv:3: unterminated quote on line 3: its quoted field runs on to line 4 (no field of this file holds a line break); close the quote on line 3. Rows 3-4 skipped",
      "bad.csv:5: row has 2 fields, expected 3 (student,lesson,completed_at); row skipped",
      "bad.csv:6: row has 5 fields, expected 3 (student,lesson,completed_at); row skipped",
    ]);
    expect(rows.map((r) => r.student)).toEqual(["ann", "kim"]);
    // With the optional rating column, a row may leave it out, not more.
    const rated = parseCompletions(`student,lesson,completed_at,rating\nann,${L},2026-11-01\nbo,${L},2026-11-01,good,x\n`, "r.csv", lessons);
    expect(rated.rows.map((r) => r.student)).toEqual(["ann"]);
    expect(rated.errors.map((e) => e.message)).toEqual(["r.csv:3: row has 5 fields, expected 3 to 4 (student,lesson,completed_at,rating); row skipped"]);
  });

  test("a quote never closed is reported where it opens, not as a bad date", () => {
    const L = "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h";
    const { rows, errors } = parseCompletions(`student,lesson,completed_at\nann,${L},"2026-11-01\nbob,${L},2026-11-02\n`, "u.csv", lessons);
    expect(rows).toEqual([]);
    expect(errors).toEqual([{ line: 2, message: "u.csv:2: unterminated quote: a quoted field opened on line 2 is never closed, so the rest of the file (lines 2-3) was read into it; close the quote. Rows skipped" }]);
  });

  test("an empty file, or a header separated by semicolons or tabs, is refused with what is wrong", () => {
    expect(() => parseCompletions("", "e.csv", lessons)).toThrow("e.csv: the file is empty; expected a header line student,lesson,completed_at (and optionally rating), then one row per completion");
    expect(() => parseCompletions("\ufeff\r\n", "e.csv", lessons)).toThrow("e.csv: the file is empty");
    expect(() => parseCompletions("student;lesson;completed_at\nann;x;2026-11-01\n", "s.csv", lessons)).toThrow(
      's.csv:1: the header must name the columns student,lesson,completed_at and optionally rating; missing student, lesson, completed_at; the header looks ";"-separated: save the file with commas between the fields',
    );
    expect(() => parseCompletions("student\tlesson\tcompleted_at\n", "t.csv", lessons)).toThrow("the header looks tab-separated");
  });

  test.each([["2026-11-20", "2026-11-20"], ["2024-02-29", "2024-02-29"], ["2026-11-20T23:59:59+02:00", "2026-11-20"], ["2026-11-20 23:59", "2026-11-20"], ["2026-11-20T23:59:59.123456Z", "2026-11-20"]])("date %s", (input, out) => {
    expect(formatIsoDate(parseIsoDate(input)!)).toBe(out);
  });
  test.each(["2023-02-29", "2026-1-5", "20261120", "", "2026-11-20T1", "2026-11-20T99:99", "2026-11-20T10:00:61Z", "2026-11-20T10:00+25:00", "2026-11-20T::"])("bad date %j", (input) => {
    expect(parseIsoDate(input)).toBeUndefined();
  });
});

describe("calendar file names and UIDs", () => {
  test("students whose ids differ only in characters a file name cannot hold get their own calendar and UIDs", () => {
    const csv = "student,lesson,completed_at\njörg,w12-leader-election-client-idempotency-d02-quest-vote-rules-2h,2026-11-02\njürg,w12-leader-election-client-idempotency-d02-quest-vote-rules-2h,2026-11-02\n\"dave, jr\",w12-leader-election-client-idempotency-d02-quest-vote-rules-2h,2026-11-02\ndave_jr,w12-leader-election-client-idempotency-d02-quest-vote-rules-2h,2026-11-02\n";
    const { built } = build(csv);
    const files = [...built.calendars.keys()];
    expect(files).toHaveLength(4);
    expect(files).toContain("dave_jr.ics");
    for (const f of files.filter((f) => f !== "dave_jr.ics")) expect(f).toMatch(/^(j_rg|dave_jr)~[0-9a-f]{12}\.ics$/);
    const uids = built.events.map((e) => e.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(uids).toContain("dave_jr.w12-leader-election-client-idempotency-d02-quest-vote-rules-2h.review-1@dslab-grader");
  });
});

describe("calendar file names kept in the state", () => {
  test("a file name from the state is kept only when the naming rule could give it to that student", () => {
    const first = build(CSV).built;
    expect(first.state.calendars).toEqual({ alice: "alice.ics", bob: "bob.ics" });
    const edited: ScheduleState = { ...first.state, calendars: { alice: "../elsewhere.ics", bob: "Bob.ics" } };
    const again = build(CSV, edited).built;
    expect([...again.fileOf]).toEqual([["alice", "alice.ics"], ["bob", "bob.ics"]]);
    expect([...again.calendars.keys()]).toEqual(["alice.ics", "bob.ics"]);
  });
});

describe("grader schedule: one calendar file per student on any file system", () => {
  const COURSE = path.join(FIXTURES, "course");
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), "grader-schedule-names-"));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  // What macOS and Windows refuse or fold: a device name (before the first dot), a trailing dot or space, a leading dot hides the file.
  const portable = (name: string) => !/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i.test(name) && !/^\./.test(name) && !/[. ]$/.test(name.replace(/\.ics$/, "")) && /^[A-Za-z0-9._~-]+$/.test(name);
  const calendars = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith(".ics")).sort();
  const schedule = (csv: string, out: string) => grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", out]);

  test("ids that differ only by case, device names and a trailing dot each get their own portable file, named in a note; a unique plain id keeps its name and UIDs", async () => {
    const students = ["Alice", "alice", "ALICE", "con", "Aux.notes", "lpt1", "bob.", "bob", ".carol", "dave"];
    const csv = path.join(tmp, "clash.csv");
    await writeFile(csv, ["student,lesson,completed_at", ...students.map((s) => `${s},fx-retry,2026-11-20`)].join("\n") + "\n");
    const out = path.join(tmp, "clash");
    const r = await schedule(csv, out);
    expect(r.code, r.stderr).toBe(0);
    const files = await calendars(out);
    expect(files).toHaveLength(students.length);
    // On a file system that ignores case, as many files as students.
    expect(new Set(files.map((f) => f.toLowerCase())).size).toBe(students.length);
    for (const f of files) expect(portable(f), f).toBe(true);
    // Ids that are unique and portable keep their name; the others keep a readable part and gain ~ and a hash of the exact id.
    expect(files).toEqual(expect.arrayContaining(["bob.ics", "dave.ics"]));
    for (const f of files.filter((f) => f !== "bob.ics" && f !== "dave.ics")) expect(f).toMatch(/^(Alice|alice|ALICE|con|Aux_notes|lpt1|bob\.|_carol)~[0-9a-f]{12}\.ics$/);
    // Each file is its own student's, and the note says which file is whose.
    for (const s of students) {
      const line = r.stderr.split("\n").find((l) => l.includes(`${JSON.stringify(s)} -> `));
      if (s === "bob" || s === "dave") {
        expect(line).toBeUndefined();
        continue;
      }
      const file = /-> (\S+)$/.exec(line ?? "")?.[1];
      expect(file, `${s}: ${r.stderr}`).toBeDefined();
      expect(files).toContain(file);
      expect(await readFile(path.join(out, file!), "utf8")).toContain(`X-WR-CALNAME:dslab reviews: ${s}\r\n`);
    }
    const bob = await readFile(path.join(out, "bob.ics"), "utf8");
    expect(bob).toContain("UID:bob.fx-retry.review-1@dslab-grader\r\n");
    expect(bob).toContain("X-WR-CALNAME:dslab reviews: bob\r\n");
  });

  test("a student keeps their file when an id differing only by case arrives later, and a rerun writes the same names", async () => {
    const out = path.join(tmp, "later");
    const first = path.join(tmp, "first.csv");
    await writeFile(first, "student,lesson,completed_at\nalice,fx-retry,2026-11-20\n");
    expect((await schedule(first, out)).code).toBe(0);
    const before = await readFile(path.join(out, "alice.ics"), "utf8");
    const second = path.join(tmp, "second.csv");
    await writeFile(second, "student,lesson,completed_at\nalice,fx-retry,2026-11-20\nAlice,fx-retry,2026-11-20\n");
    const r = await schedule(second, out);
    expect(r.code, r.stderr).toBe(0);
    const files = await calendars(out);
    expect(files).toEqual([expect.stringMatching(/^Alice~[0-9a-f]{12}\.ics$/), "alice.ics"]);
    expect(new Set(files.map((f) => f.toLowerCase())).size).toBe(2);
    // alice's calendar is unchanged, UIDs and SEQUENCE included.
    expect(await readFile(path.join(out, "alice.ics"), "utf8")).toBe(before);
    expect(r.stderr).toContain(`"Alice" -> ${files[0]}`);
    const again = await schedule(second, out);
    expect(await calendars(out)).toEqual(files);
    expect(again.stderr).toBe(r.stderr);
  });

  test("a student absent from a run keeps their file: an id differing only by case that comes in meanwhile never takes it", async () => {
    const out = path.join(tmp, "absent");
    const run = async (rows: string) => {
      const csv = path.join(tmp, "absent.csv");
      await writeFile(csv, `student,lesson,completed_at\n${rows}`);
      const r = await grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", out, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const state = JSON.parse(await readFile(path.join(out, ".schedule-state.json"), "utf8")) as ScheduleState;
      return { calendarOf: (JSON.parse(r.stdout) as { calendarOf: Record<string, string> }).calendarOf, kept: state.calendars ?? {}, files: await calendars(out) };
    };
    const first = await run("alice,fx-retry,2026-11-20\n");
    expect(first.calendarOf).toEqual({ alice: "alice.ics" });
    // Only Alice: alice's reviews are published as cancelled in alice.ics, and the state keeps her name.
    const second = await run("Alice,fx-retry,2026-11-21\n");
    expect(second.calendarOf.Alice).toMatch(/^Alice~[0-9a-f]{12}\.ics$/);
    expect(second.kept.alice).toBe("alice.ics");
    expect(await readFile(path.join(out, "alice.ics"), "utf8")).toContain("STATUS:CANCELLED");
    const third = await run("alice,fx-retry,2026-11-20\n");
    expect(third.calendarOf.alice).toBe("alice.ics");
    expect(third.calendarOf.Alice).toBe(second.calendarOf.Alice);
    expect(third.files).toEqual([second.calendarOf.Alice, "alice.ics"]);
    expect(await readFile(path.join(out, "alice.ics"), "utf8")).toContain("X-WR-CALNAME:dslab reviews: alice\r\n");
  });
});

describe("grader schedule: calendars left under a name their student no longer has", () => {
  const COURSE = path.join(FIXTURES, "course");
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), "grader-schedule-stale-"));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));
  const schedule = (csv: string, out: string) => grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", out, "--json"]);
  const stateOf = async (out: string) => JSON.parse(await readFile(path.join(out, ".schedule-state.json"), "utf8")) as ScheduleState;

  test("a calendar from a state that recorded no outputs is listed as stale, never removed; the state then records each calendar's hash", async () => {
    const out = path.join(tmp, "older-state");
    const first = path.join(tmp, "first.csv");
    await writeFile(first, "student,lesson,completed_at\nalice,fx-retry,2026-11-20\n");
    expect((await schedule(first, out)).code).toBe(0);
    const alice = await readFile(path.join(out, "alice.ics"), "utf8");
    const state = await stateOf(out);
    expect(state.outputs).toEqual({ "alice.ics": { owner: "alice", sha256: createHash("sha256").update(alice).digest("hex") } });
    // The state as a grader that kept no file names or hashes wrote it: alice's calendar was alice.ics.
    delete state.calendars;
    delete state.outputs;
    await writeFile(path.join(out, ".schedule-state.json"), JSON.stringify(state, null, 2) + "\n");
    const second = path.join(tmp, "second.csv");
    await writeFile(second, "student,lesson,completed_at\nalice,fx-retry,2026-11-20\nAlice,fx-retry,2026-11-20\n");
    const r = await schedule(second, out);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { calendarOf: Record<string, string>; staleCalendars: unknown[] };
    expect(json.calendarOf.alice).toMatch(/^alice~[0-9a-f]{12}\.ics$/);
    expect(json.staleCalendars).toEqual([{ student: "alice", file: "alice.ics", now: json.calendarOf.alice, removed: false, reason: expect.stringContaining("not recorded as its own; left as it is") }]);
    expect(r.stderr).toContain(`grader schedule: 1 stale calendar(s) left under a name their student no longer has; remove them once they are not needed:\n  alice.ics ("alice", now ${json.calendarOf.alice}): named as`);
    expect(await readFile(path.join(out, "alice.ics"), "utf8")).toBe(alice);
    expect(Object.keys((await stateOf(out)).outputs!).sort()).toEqual(Object.values(json.calendarOf).sort());
  });

  test("a recorded calendar under an earlier name is removed when unchanged and left, listed, when changed", async () => {
    const out = path.join(tmp, "recorded");
    const csv = path.join(tmp, "both.csv");
    await writeFile(csv, "student,lesson,completed_at\nalice,fx-retry,2026-11-20\nbob,fx-retry,2026-11-20\nAlice,fx-retry,2026-11-20\nBob,fx-retry,2026-11-20\n");
    const first = JSON.parse((await schedule(csv, out)).stdout) as { calendarOf: Record<string, string> };
    expect(first.calendarOf.alice).toMatch(/^alice~/);
    // alice and bob are given back their plain names in the state (the rule may give those): their hashed files are now stale.
    const state = await stateOf(out);
    state.calendars = { ...state.calendars, alice: "alice.ics", bob: "bob.ics" };
    await writeFile(path.join(out, ".schedule-state.json"), JSON.stringify(state, null, 2) + "\n");
    const bobOld = path.join(out, first.calendarOf.bob!);
    await writeFile(bobOld, (await readFile(bobOld, "utf8")) + "edited by hand\r\n");
    const r = await schedule(csv, out);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { calendarOf: Record<string, string>; staleCalendars: { file: string; removed: boolean }[] };
    expect(json.calendarOf).toMatchObject({ alice: "alice.ics", bob: "bob.ics" });
    expect(json.staleCalendars.map((f) => [f.file, f.removed])).toEqual([[first.calendarOf.alice, true], [first.calendarOf.bob, false]]);
    const files = (await readdir(out)).filter((f) => f.endsWith(".ics")).sort();
    expect(files).toEqual([first.calendarOf.Alice, first.calendarOf.Bob, "alice.ics", first.calendarOf.bob, "bob.ics"].sort());
    expect(r.stderr).toContain(`grader schedule: removed 1 calendar(s) of an earlier run under a name their student no longer has (recorded as the grader's, unchanged):\n  ${first.calendarOf.alice} ("alice", now alice.ics)\n`);
    expect(r.stderr).toContain(`  ${first.calendarOf.bob} ("bob", now bob.ics): changed since the grader wrote it; left as it is\n`);
    // Listed again on the next run, until it is removed by hand.
    expect(JSON.parse((await schedule(csv, out)).stdout).staleCalendars).toEqual([expect.objectContaining({ file: first.calendarOf.bob, removed: false })]);
  });

  test("a state whose outputs name a file outside the output directory is refused (exit 4), and nothing is removed", async () => {
    const out = path.join(tmp, "outside");
    const csv = path.join(tmp, "outside.csv");
    await writeFile(csv, "student,lesson,completed_at\nalice,fx-retry,2026-11-20\n");
    expect((await schedule(csv, out)).code).toBe(0);
    const victim = path.join(tmp, "victim.ics");
    await writeFile(victim, "someone else's\n");
    const state = await stateOf(out);
    state.calendars = { alice: "alice.ics" };
    state.outputs = { "../victim.ics": { owner: "alice", sha256: createHash("sha256").update("someone else's\n").digest("hex") } };
    await writeFile(path.join(out, ".schedule-state.json"), JSON.stringify(state));
    const r = await schedule(csv, out);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("is not a schedule state file (outputs must map each calendar file to its owner and sha256)");
    expect(await readFile(victim, "utf8")).toBe("someone else's\n");
  });
});

describe("grader schedule: the completions CSV is read as UTF-8", () => {
  const COURSE = path.join(FIXTURES, "course");
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), "grader-schedule-utf8-"));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));
  const schedule = (csv: string, out: string) => grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", out]);

  test("a CSV saved in Latin-1 is refused with exit 4, naming the file, line and column of the first bad byte; nothing is written", async () => {
    const csv = path.join(tmp, "latin1.csv");
    // "ren\xe9" is "rené" in Latin-1; read as UTF-8 it became "ren\ufffd", a student of its own.
    await writeFile(csv, Buffer.concat([Buffer.from("student,lesson,completed_at\nalice,fx-retry,2026-11-20\nren"), Buffer.from([0xe9]), Buffer.from(",fx-retry,2026-11-20\n")]));
    const out = path.join(tmp, "latin1");
    const r = await schedule(csv, out);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain(`${csv}:3:4: not UTF-8 text: byte 0xE9 (byte offset 57) is not valid UTF-8; saved in Latin-1/Windows-1252? save it as UTF-8`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    await expect(readdir(out)).rejects.toThrow();
  });

  test("a UTF-8 BOM is accepted and dropped; non-ASCII names are kept exactly", async () => {
    const csv = path.join(tmp, "bom.csv");
    await writeFile(csv, "\ufeffstudent,lesson,completed_at\nrené,fx-retry,2026-11-20\nJörg Müller,fx-retry,2026-11-21\n");
    const out = path.join(tmp, "bom");
    const r = await grader(["schedule", "--lessons", COURSE, "--completions", csv, "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const calendarOf = (JSON.parse(r.stdout) as { calendarOf: Record<string, string> }).calendarOf;
    expect(Object.keys(calendarOf).sort()).toEqual(["Jörg Müller", "rené"]);
    expect(await readFile(path.join(out, calendarOf["rené"]!), "utf8")).toContain("X-WR-CALNAME:dslab reviews: rené\r\n");
    const agenda = await readFile(path.join(out, "agenda.csv"), "utf8");
    expect(agenda).toContain("\r\nJörg Müller,fx-retry,");
    expect(agenda).not.toContain("\ufffd");
  });
});

describe("fixed review schedule as iCalendar, parsed back field by field", () => {
  const { built, plan } = build(CSV, emptyState(), "https://course.example.edu/");
  const alice = parseIcs(built.calendars.get("alice.ics")!);

  test("one calendar per student", () => {
    expect([...built.calendars.keys()]).toEqual(["alice.ics", "bob.ics"]);
    expect(plan.reviews.length).toBe(4 + 2 + 2);
  });

  test("the calendar header", () => {
    expect(alice.name).toBe("VCALENDAR");
    expect(alice.props.map((p) => `${p.name}:${p.value}`)).toEqual([
      "VERSION:2.0", "PRODID:-//dslab//grader review schedule//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:dslab reviews: alice",
    ]);
  });

  test("each review is an all-day event on completion + N days, with a stable UID and a reminder", () => {
    const events = alice.components;
    expect(events.map((e) => [value(e, "UID"), value(e, "DTSTART"), value(e, "DTEND")])).toEqual([
      ["alice.w12-leader-election-client-idempotency-d02-quest-vote-rules-2h.review-1@dslab-grader", "20261104", "20261105"],
      ["alice.w12-leader-election-client-idempotency-d02-quest-vote-rules-2h.review-2@dslab-grader", "20261107", "20261108"],
      ["alice.w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h.review-1@dslab-grader", "20261123", "20261124"],
      ["alice.w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h.review-2@dslab-grader", "20261127", "20261128"],
      ["alice.w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h.review-3@dslab-grader", "20261211", "20261212"],
      ["alice.w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h.review-4@dslab-grader", "20270119", "20270120"],
    ]);
    const e = events[2]!;
    expect(e.name).toBe("VEVENT");
    expect(prop(e, "DTSTART")!.params).toEqual({ VALUE: "DATE" });
    expect(prop(e, "DTEND")!.params).toEqual({ VALUE: "DATE" });
    expect(value(e, "SEQUENCE")).toBe("0");
    // DTSTAMP comes from the input (alice's latest completion), not the wall clock.
    expect(value(e, "DTSTAMP")).toBe("20261120T000000Z");
    expect(unescapeText(value(e, "SUMMARY")!)).toBe("Review 1/4: Client retry, idempotency; dedup");
    expect(unescapeText(value(e, "DESCRIPTION")!)).toBe(
      "Spaced review of lesson w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h (Client retry, idempotency; dedup).\nReview 1, 3 days after completion.\nLesson: https://course.example.edu/lessons/w12-leader-election-client-idempotency/d03-quest-client-retry-idempotency.md",
    );
    expect(value(e, "URL")).toBe("https://course.example.edu/lessons/w12-leader-election-client-idempotency/d03-quest-client-retry-idempotency.md");
    expect(value(e, "STATUS")).toBe("CONFIRMED");
    const [alarm] = e.components;
    expect(alarm!.name).toBe("VALARM");
    expect(alarm!.props.map((p) => [p.name, p.params, p.value])).toEqual([
      ["ACTION", {}, "DISPLAY"],
      ["DESCRIPTION", {}, "Review 1/4: Client retry\\, idempotency\\; dedup"],
      ["TRIGGER", { RELATED: "START" }, "PT9H"],
    ]);
  });

  test("every line is at most 75 octets and ends with CRLF", () => {
    const text = built.calendars.get("alice.ics")!;
    expect(text.endsWith("\r\n")).toBe(true);
    for (const line of text.split("\r\n")) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
  });

  test("lines stay within 75 octets with non-ASCII titles and student ids, and unfold back", () => {
    const title = "Sitzungen — höchstens einmal, Wiederholungen; Idempotenz für Schreibvorgänge über Knoten";
    const course = [makeLesson({ id: "w11-l04", title, reviewScheduleDays: [4], file: "lessons/w11/l04-idempotent-writes.md" })];
    const { rows } = parseCompletions("student,lesson,completed_at\njörg,w11-l04,2026-11-20\n", "c.csv", course);
    const built = buildSchedule({ reviews: fixedPlan(rows).reviews, previous: emptyState(), linkOf: (r) => ({ text: r.lesson.file }), stampDayOf: () => 0, mode: "fixed" });
    const [text] = [...built.calendars.values()];
    for (const line of text!.split("\r\n")) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    const cal = parseIcs(text!);
    expect(unescapeText(value(cal, "X-WR-CALNAME")!)).toBe("dslab reviews: jörg");
    const [e] = cal.components;
    expect(unescapeText(value(e!, "SUMMARY")!)).toBe(`Review 1/1: ${title}`);
    expect(value(e!.components[0]!, "DESCRIPTION")).toBe(`Review 1/1: ${title.replace(/[,;]/g, "\\$&")}`);
  });

  test("a student id holding control characters is written in the calendar's name as U+FFFD, which TEXT may hold; a tab stays", () => {
    const course = [makeLesson({ id: "w11-l04", title: "Idempotent writes", reviewScheduleDays: [4], file: "lessons/w11/l04-idempotent-writes.md" })];
    const { rows } = parseCompletions("student,lesson,completed_at\n\"a\u0001b\u001b[2J\tc\",w11-l04,2026-11-20\n", "c.csv", course);
    const built = buildSchedule({ reviews: fixedPlan(rows).reviews, previous: emptyState(), linkOf: (r) => ({ text: r.lesson.file }), stampDayOf: () => 0, mode: "fixed" });
    const [text] = [...built.calendars.values()];
    // CR and LF end the content lines; no other control character is left.
    expect(text).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
    expect(unescapeText(value(parseIcs(text!), "X-WR-CALNAME")!)).toBe("dslab reviews: a\ufffdb\ufffd[2J\tc");
  });

  test("escapeText leaves no control character but tab: RFC 5545 TEXT holds none", () => {
    expect(escapeText("x\u0000y\u007fz\tw")).toBe("x\ufffdy\ufffdz\tw");
  });

  test("the CSV agenda lists every review", () => {
    const lines = built.agendaCsv.split("\r\n");
    expect(lines[0]).toBe("student,lesson,title,review,date,status,uid,sequence,link");
    expect(lines[1]).toBe("alice,w12-leader-election-client-idempotency-d02-quest-vote-rules-2h,Quest: Vote Rules,1,2026-11-04,confirmed,alice.w12-leader-election-client-idempotency-d02-quest-vote-rules-2h.review-1@dslab-grader,0,https://course.example.edu/lessons/w12-leader-election-client-idempotency/d02-quest-vote-rules.md");
    expect(lines.filter((l) => l !== "").length).toBe(1 + 8);
  });

  test("a lesson without review days schedules nothing, with a note", () => {
    const { plan } = build("student,lesson,completed_at\nzed,none,2026-11-20\n");
    expect(plan.reviews).toEqual([]);
    expect(plan.warnings).toEqual([{ line: 2, message: "line 2: lesson none has no review_schedule_days; nothing to schedule" }]);
  });
});

describe("regeneration", () => {
  test("the same input and state give byte-identical calendars, agenda and state", () => {
    const first = build(CSV).built;
    const second = build(CSV, first.state).built;
    expect([...second.calendars]).toEqual([...first.calendars]);
    expect(second.agendaCsv).toBe(first.agendaCsv);
    expect(JSON.stringify(second.state)).toBe(JSON.stringify(first.state));
  });

  test("a changed completion date raises SEQUENCE on the changed events only", () => {
    const first = build(CSV).built;
    const moved = build(CSV.replace("alice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-20", "alice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-22"), first.state).built;
    const events = parseIcs(moved.calendars.get("alice.ics")!).components;
    const seq = Object.fromEntries(events.map((e) => [value(e, "UID"), value(e, "SEQUENCE")]));
    expect(seq).toMatchObject({ "alice.w12-leader-election-client-idempotency-d02-quest-vote-rules-2h.review-1@dslab-grader": "0", "alice.w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h.review-1@dslab-grader": "1", "alice.w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h.review-4@dslab-grader": "1" });
    // Once more with the new input: nothing changes, so nothing is raised.
    const again = build(CSV.replace("alice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-20", "alice,w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h,2026-11-22"), moved.state).built;
    expect([...again.calendars]).toEqual([...moved.calendars]);
  });

  test("a review dropped from the input is published as cancelled with a raised SEQUENCE", () => {
    const first = build(CSV).built;
    const dropped = build(CSV.replace("bob,w12-leader-election-client-idempotency-d02-quest-vote-rules-2h,2026-11-21,easy\n", ""), first.state).built;
    const bob = parseIcs(dropped.calendars.get("bob.ics")!).components;
    expect(bob.map((e) => [value(e, "UID"), value(e, "STATUS"), value(e, "SEQUENCE"), e.components.length])).toEqual([
      ["bob.w12-leader-election-client-idempotency-d02-quest-vote-rules-2h.review-1@dslab-grader", "CANCELLED", "1", 0],
      ["bob.w12-leader-election-client-idempotency-d02-quest-vote-rules-2h.review-2@dslab-grader", "CANCELLED", "1", 0],
    ]);
  });
});

describe("iCalendar text", () => {
  test("TEXT values escape backslash, semicolon, comma and newline", () => {
    expect(escapeText("a\\b;c,d\ne")).toBe("a\\\\b\\;c\\,d\\ne");
  });

  test("folding never splits a UTF-8 character and unfolds back to the line", () => {
    const line = `SUMMARY:${"é—".repeat(40)}`;
    const folded = foldLine(line);
    for (const part of folded.split("\r\n")) expect(new TextEncoder().encode(part).length).toBeLessThanOrEqual(75);
    expect(folded.replace(/\r\n /g, "")).toBe(line);
  });
});
