// Turns planned reviews into per-student calendars and the CSV agenda. Pure.
import { createHash } from "node:crypto";
import { studentFileNames } from "../fs/student-names.js";
import { sheetField } from "../gradebook/csv.js";
import { formatIsoDate } from "./dates.js";
import { renderCalendar, type IcsEvent } from "./ics.js";
import type { PlannedReview } from "./plan.js";
import { sequenceEvents, type DraftEvent, type ScheduleState } from "./state.js";

export interface BuildOptions {
  reviews: readonly PlannedReview[];
  previous: ScheduleState;
  /** Link to a lesson: its path, or the URL under `--base-url`. */
  linkOf: (review: PlannedReview) => { text: string; url?: string };
  /** Latest input date per student (days since epoch), the source of DTSTAMP. */
  stampDayOf: (student: string) => number;
  mode: "fixed" | "fsrs";
}

export interface BuiltSchedule {
  /** File name (`<student>.ics`) -> content. */
  calendars: Map<string, string>;
  /** Student -> the name of their calendar file (studentFileNames: distinct when case is ignored, kept from the previous state). */
  fileOf: Map<string, string>;
  agendaCsv: string;
  state: ScheduleState;
  events: (IcsEvent & { student: string })[];
}

/**
 * A name safe in a UID, one to one: a plain name (letters, digits, `.`, `_`,
 * `-`) stays itself; any other keeps its plain characters and gets `~` and a
 * hash of the original, so that `jörg` and `jürg`, or `dave, jr` and
 * `dave_jr`, never share a UID. Calendar files are named by studentFileNames,
 * which also tells apart ids that differ only by case.
 */
export function safeName(s: string): string {
  if (/^[A-Za-z0-9._-]+$/.test(s) && s !== "." && s !== "..") return s;
  const hash = createHash("sha256").update(s, "utf8").digest("hex").slice(0, 12);
  return `${s.replace(/[^A-Za-z0-9._-]+/g, "_")}~${hash}`;
}

function uidPart(s: string): string {
  return safeName(s);
}

export function buildSchedule(options: BuildOptions): BuiltSchedule {
  const drafts: DraftEvent[] = options.reviews.map((r) => {
    const link = options.linkOf(r);
    const summary = options.mode === "fsrs"
      ? `Review: ${r.lesson.title}`
      : `Review ${r.review}/${r.lesson.reviewScheduleDays.length}: ${r.lesson.title}`;
    const description = [
      `Spaced review of lesson ${r.lesson.id} (${r.lesson.title}).`,
      options.mode === "fsrs" ? `Scheduled by FSRS after ${r.review} rating(s).` : `Review ${r.review}, ${r.lesson.reviewScheduleDays[r.review - 1]} days after completion.`,
      `Lesson: ${link.url ?? link.text}`,
    ].join("\n");
    const draft: DraftEvent = {
      uid: `${uidPart(r.student)}.${uidPart(r.lesson.id)}.${r.key}@dslab-grader`,
      student: r.student,
      date: formatIsoDate(r.day),
      summary,
      description,
      status: "CONFIRMED",
    };
    if (link.url) draft.url = link.url;
    return draft;
  });
  const { events, state } = sequenceEvents(drafts, options.previous);
  const byStudent = new Map<string, (IcsEvent & { student: string })[]>();
  for (const e of events) {
    const list = byStudent.get(e.student);
    if (list) list.push(e);
    else byStudent.set(e.student, [e]);
  }
  const fileOf = studentFileNames(byStudent.keys(), ".ics", options.previous.calendars);
  state.calendars = Object.fromEntries([...fileOf].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const calendars = new Map<string, string>();
  for (const [student, list] of [...byStudent.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    list.sort((a, b) => (a.date !== b.date ? (a.date < b.date ? -1 : 1) : a.uid < b.uid ? -1 : 1));
    const stamp = formatIsoDate(options.stampDayOf(student)).replace(/-/g, "") + "T000000Z";
    calendars.set(fileOf.get(student)!, renderCalendar({ name: `dslab reviews: ${student}`, dtstamp: stamp, events: list }));
  }
  const reviewByUid = new Map(drafts.map((d, i) => [d.uid, options.reviews[i]!]));
  const agenda = ["student,lesson,title,review,date,status,uid,sequence,link"];
  const sorted = [...events].sort((a, b) =>
    a.student !== b.student ? (a.student < b.student ? -1 : 1) : a.date !== b.date ? (a.date < b.date ? -1 : 1) : a.uid < b.uid ? -1 : 1,
  );
  for (const e of sorted) {
    const r = reviewByUid.get(e.uid);
    const link = r ? options.linkOf(r) : undefined;
    agenda.push(
      [e.student, r?.lesson.id ?? "", r?.lesson.title ?? e.summary, r ? String(r.review) : "", e.date, e.status.toLowerCase(), e.uid, String(e.sequence), link?.url ?? link?.text ?? ""]
        .map(sheetField)
        .join(","),
    );
  }
  return { calendars, fileOf, agendaCsv: agenda.join("\r\n") + "\r\n", state, events };
}
