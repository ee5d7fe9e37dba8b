import path from "node:path";
import { prepareOutDir } from "@dslab/protocol/cli";
import { loadCourse } from "../../lesson/load.js";
import { writeFileAtomic } from "../../gradebook/store.js";
import { buildSchedule, safeName } from "../../schedule/build.js";
import { lessonPagePath, urlPath } from "../../site/pages.js";
import { CompletionsHeaderError, parseCompletions } from "../../schedule/completions.js";
import { fixedPlan, fsrsPlan, type PlannedReview } from "../../schedule/plan.js";
import { parseIsoDate } from "../../schedule/dates.js";
import { emptyState, STATE_FILE, type EventState, type ScheduleState } from "../../schedule/state.js";
import { readRegularFile, ReadRegularError } from "@dslab/protocol/cli";
import { readRegularText } from "../../fs/read-regular.js";
import { decodeUtf8, NotUtf8Error } from "../../fs/utf8.js";
import { isOutputRecord, sha256, sweepRenamed, type StaleOutput } from "../../fs/outputs.js";
import { hashedName, portableName } from "../../fs/student-names.js";
import { DEFAULT_SCHEDULE_DIR, EXIT, InputFileError, json, requireString, shown, unreadableReason, UsageError, UNREADABLE_HELP, type Command } from "../args.js";

/**
 * Largest .schedule-state.json read: a few hundred bytes an event, so a
 * class of hundreds of students with every lesson's reviews stays well
 * under it; a larger file is refused by its size, unread.
 */
export const STATE_FILE_BYTES_MAX = 64 * 1024 * 1024;

/** The previous run's state, or an empty one when there is none; a file that cannot be a state file is an InputFileError (exit 4) naming it. */
async function readState(file: string): Promise<ScheduleState> {
  const moveAway = "move it away to start the sequences over";
  let bytes: Buffer;
  try {
    bytes = (await readRegularFile(file, { maxBytes: STATE_FILE_BYTES_MAX })).bytes;
  } catch (err) {
    if (!(err instanceof ReadRegularError)) throw err;
    if (err.code === "ENOENT") return emptyState();
    const why =
      err.code === "TOO_LARGE"
        ? err.details.grew
          ? `it grew past the ${STATE_FILE_BYTES_MAX.toLocaleString("en-US")} bytes a schedule state file may be while it was read`
          : `it is ${(err.details.size ?? 0).toLocaleString("en-US")} bytes, more than the ${STATE_FILE_BYTES_MAX.toLocaleString("en-US")} a schedule state file may be`
        : unreadableReason(err);
    throw new InputFileError(`cannot read ${file}: ${why}; ${moveAway}`, { cause: err });
  }
  try {
    let text: string;
    try {
      text = decodeUtf8(bytes, file);
    } catch (err) {
      const e = err as NotUtf8Error;
      throw new Error(`not UTF-8 text: line ${e.line}, column ${e.column}, byte offset ${e.offset}`);
    }
    const data = JSON.parse(text) as ScheduleState;
    if (data?.version !== 1 || typeof data.events !== "object" || data.events === null || Array.isArray(data.events)) throw new Error("unknown format");
    for (const [uid, e] of Object.entries(data.events as Record<string, Partial<EventState> | null>)) {
      const fields = ["student", "fingerprint", "date", "summary", "description"] as const;
      if (typeof e !== "object" || e === null || typeof e.sequence !== "number" || fields.some((f) => typeof e[f] !== "string")) {
        throw new Error(`event ${uid} needs sequence, ${fields.join(", ")}`);
      }
      // The calendars are written from these: a date that is no day, or a SEQUENCE no calendar takes, would be published as is.
      if (!/^\d{4}-\d{2}-\d{2}$/.test(e.date!) || parseIsoDate(e.date!) === undefined) throw new Error(`event ${uid}: date ${JSON.stringify(e.date)} is not a day (YYYY-MM-DD)`);
      if (!Number.isSafeInteger(e.sequence) || e.sequence! < 0) throw new Error(`event ${uid}: sequence ${e.sequence} is not a whole number >= 0`);
    }
    // Optional: each student's calendar file. A name the grader would not give that student is not kept (it is named again).
    const calendars: unknown = data.calendars;
    if (calendars !== undefined && (typeof calendars !== "object" || calendars === null || Array.isArray(calendars) || Object.values(calendars).some((f) => typeof f !== "string"))) {
      throw new Error("calendars must map each student to a file name");
    }
    if (data.outputs !== undefined && !isOutputRecord(data.outputs)) throw new Error("outputs must map each calendar file to its owner and sha256");
    return data;
  } catch (err) {
    // A JSON error quotes the file's text: its control characters are escaped, never printed raw.
    throw new InputFileError(`${file} is not a schedule state file (${shown((err as Error).message)}); ${moveAway}`, { cause: err });
  }
}

/**
 * Calendars of an earlier run left under a name their student no longer has:
 * one recorded in the state as that student's and unchanged is removed; one
 * changed since, or from a state that recorded no outputs (only its name, or
 * the name an earlier rule gave a student the state knows: `<id>.ics`, the
 * id with `~` and a hash), is left and listed. Returns them and the record of
 * outputs to keep in the new state.
 */
async function sweepCalendars(out: string, previous: ScheduleState, fileOf: ReadonlyMap<string, string>, calendars: ReadonlyMap<string, string>) {
  const known = new Set([...Object.values(previous.events).map((e) => e.student), ...Object.keys(previous.calendars ?? {})]);
  const candidates = new Map<string, string[]>();
  for (const student of fileOf.keys()) {
    if (!known.has(student)) continue;
    const plain = portableName(student);
    const earlier = [`${safeName(student)}.ics`, `${hashedName(student)}.ics`, ...(plain !== undefined ? [`${plain}.ics`] : [])];
    const kept = previous.calendars?.[student];
    if (kept !== undefined && !kept.includes("/") && !kept.includes("\\") && kept.endsWith(".ics") && !kept.startsWith(".")) earlier.push(kept);
    candidates.set(student, earlier);
  }
  const { stale, kept } = await sweepRenamed(out, previous.outputs ?? {}, fileOf, candidates);
  const outputs = { ...kept };
  for (const [student, file] of fileOf) outputs[file] = { owner: student, sha256: sha256(calendars.get(file)!) };
  return { stale, outputs: Object.fromEntries(Object.entries(outputs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
}

function reportStale(io: { stderr(s: string): void }, stale: readonly StaleOutput[]): void {
  const removed = stale.filter((f) => f.removed);
  const left = stale.filter((f) => !f.removed);
  if (removed.length > 0) {
    io.stderr(`grader schedule: removed ${removed.length} calendar(s) of an earlier run under a name their student no longer has (recorded as the grader's, unchanged):\n`);
    for (const f of removed) io.stderr(`  ${shown(f.file)} (${shown(JSON.stringify(f.owner))}, now ${shown(f.now)})\n`);
  }
  if (left.length > 0) {
    io.stderr(`grader schedule: ${left.length} stale calendar(s) left under a name their student no longer has; remove them once they are not needed:\n`);
    for (const f of left) io.stderr(`  ${shown(f.file)} (${shown(JSON.stringify(f.owner))}, now ${shown(f.now)}): ${f.reason}\n`);
  }
}

export const schedule: Command = {
  name: "schedule",
  help: `Usage: grader schedule --completions FILE [--out DIR] [--fsrs] [--base-url URL] [--lessons DIR] [--json]

FILE is a CSV with a header: student,lesson,completed_at[,rating]
(completed_at an ISO date, rating one of again, hard, good, easy).

Fixed mode (default): each completion is reviewed on the completion date plus
each of the lesson's review_schedule_days. A later row for the same student
and lesson is ignored (reviews count from the first completion).
--fsrs: the first row of a (student, lesson) is the completion, each later row
a review with its rating; FSRS (ts-fsrs, no fuzz) schedules the next review,
the lesson's first review day serving as the first interval. One event per
(student, lesson): the next review.
A review that would fall after 9999-12-31 is not scheduled (a note says so).

Writes to DIR (default: ${DEFAULT_SCHEDULE_DIR}, which git ignores):
  <student>.ics          RFC 5545: all-day events, stable UIDs, a 09:00 reminder,
                         SEQUENCE raised when an event changes on regeneration,
                         reviews dropped from the input published as CANCELLED;
                         an id that differs from another only by case, or is no
                         portable file name (con, a trailing dot, ...), gains ~
                         and a hash of it (listed on stderr, kept on regeneration)
  agenda.csv             student,lesson,title,review,date,status,uid,sequence,link
  .schedule-state.json   the sequences, file names and each calendar's hash; keep it
                         for the next regeneration
A calendar of an earlier run left under a name its student no longer has is
removed when the state records it as that student's and it is unchanged;
otherwise (changed since, or a state that recorded no hashes) it is left and
listed as stale on stderr and in --json (staleCalendars).
The same input regenerates byte-identical files (DTSTAMP is the student's latest
completion date, not the wall clock).

Options:
  --completions FILE  the completions CSV (required)
  --out DIR           output directory (default: ${DEFAULT_SCHEDULE_DIR})
  --fsrs              adaptive scheduling from ratings
  --base-url URL      lesson links become URL + the lesson's page as grader site
                      publishes it (w12-.../d03-....html); without it, a review's
                      DESCRIPTION and agenda link give the lesson's Markdown file
                      as read from --lessons (e.g. lessons/w12-.../d03-....md)
  --lessons DIR       the course directory (default: lessons, here or in the nearest parent)
  --json              print the reviews and the bad rows as JSON
  -h, --help          show this help

Exit codes: 0 all rows scheduled, 1 some rows were bad (reported with their
line; the rest were scheduled), 2 usage error, 4 FILE cannot be read (over
512 MiB), is not UTF-8 (the line and column of the first bad byte are named;
a leading BOM is fine), is empty or has no header, or the state file cannot
be read (over 64 MiB), is not UTF-8 or is not JSON of its shape (nothing is
written then), or a calendar, the agenda or the state file cannot be written
(named, with why).

${UNREADABLE_HELP}
`,
  options: { completions: { type: "string" }, out: { type: "string", default: DEFAULT_SCHEDULE_DIR }, fsrs: { type: "boolean", default: false }, "base-url": { type: "string" } },
  async run(values, positionals, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}. Run \`grader schedule --help\` for usage.`);
    const file = requireString(values, "completions", "schedule");
    const out = String(values.out);
    const baseUrl = typeof values["base-url"] === "string" ? values["base-url"] : undefined;
    if (baseUrl !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(baseUrl)) throw new UsageError(`--base-url must be an absolute URL, found ${JSON.stringify(baseUrl)}`);
    const lessonsDir = String(values.lessons);
    const course = await loadCourse(lessonsDir);
    let text: string;
    try {
      text = await readRegularText(file);
    } catch (err) {
      if (err instanceof NotUtf8Error) throw new InputFileError(err.message, { cause: err });
      throw new InputFileError(`cannot read ${file}: ${unreadableReason(err)}`, { cause: err });
    }
    let completions;
    try {
      completions = parseCompletions(text, file, course.lessons);
    } catch (err) {
      if (err instanceof CompletionsHeaderError) throw new InputFileError(err.message, { cause: err });
      throw err;
    }
    // Before scheduling: calendars that cannot be written are refused now (exit 4).
    prepareOutDir(out, ["agenda.csv", STATE_FILE]);
    const plan = values.fsrs ? fsrsPlan(completions.rows) : fixedPlan(completions.rows);
    const statePath = path.join(out, STATE_FILE);
    const previous = await readState(statePath);
    const latest = new Map<string, number>();
    for (const r of completions.rows) latest.set(r.student, Math.max(latest.get(r.student) ?? r.day, r.day));
    const overall = Math.max(0, ...latest.values());
    // With --base-url, the page grader site publishes for the lesson; without, its Markdown file as read.
    const linkOf = (r: PlannedReview) => {
      const page = lessonPagePath(lessonsDir, r.lesson.file);
      return baseUrl ? { text: page, url: baseUrl.replace(/\/?$/, "/") + urlPath(page) } : { text: r.lesson.file.split(path.sep).join("/") };
    };
    const built = buildSchedule({ reviews: plan.reviews, previous, linkOf, stampDayOf: (s) => latest.get(s) ?? overall, mode: values.fsrs ? "fsrs" : "fixed" });
    for (const [name, content] of built.calendars) await writeFileAtomic(path.join(out, name), content);
    await writeFileAtomic(path.join(out, "agenda.csv"), built.agendaCsv);
    const { stale, outputs } = await sweepCalendars(out, previous, built.fileOf, built.calendars);
    built.state.outputs = outputs;
    await writeFileAtomic(statePath, JSON.stringify(built.state, null, 2) + "\n");
    for (const e of completions.errors) io.stderr(`${e.message}\n`);
    // Whose calendar is which, when its name is not the student id: ids differing only by case, or no portable file name.
    const renamed = [...built.fileOf].filter(([student, file]) => file !== `${student}.ics`);
    if (renamed.length > 0) {
      io.stderr(`grader schedule: ${renamed.length} calendar(s) not named as their student (an id that differs from another only by case, or is no portable file name, gains ~ and a hash of it):\n`);
      for (const [student, file] of renamed) io.stderr(`  ${shown(JSON.stringify(student))} -> ${file}\n`);
    }
    reportStale(io, stale);
    if (values.json) {
      io.stdout(json({
        mode: values.fsrs ? "fsrs" : "fixed",
        out,
        calendars: [...built.calendars.keys()],
        calendarOf: Object.fromEntries(built.fileOf),
        staleCalendars: stale.map(({ owner, ...f }) => ({ student: owner, ...f })),
        events: built.events.map(({ description: _d, ...e }) => e),
        badRows: completions.errors,
        warnings: plan.warnings,
      }));
    } else {
      for (const w of plan.warnings) io.stdout(`note: ${w.message}\n`);
      io.stdout(`scheduled ${plan.reviews.length} review(s) for ${built.calendars.size} student(s) from ${completions.rows.length} row(s)${completions.errors.length ? `; ${completions.errors.length} bad row(s) skipped` : ""}\n`);
      io.stdout(`wrote ${built.calendars.size} calendar(s), ${path.join(out, "agenda.csv")} and ${statePath}\n`);
    }
    return completions.errors.length > 0 ? EXIT.fail : EXIT.ok;
  },
};
