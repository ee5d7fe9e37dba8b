import { withManualGrades } from "../../gradebook/manual.js";
import { upsertManualGrade } from "../../gradebook/manual.js";
import type { GradebookRow, ManualGrade } from "../../gradebook/model.js";
import { readGradebookRows, readManualGrades, writeGradebook, writeManualGrades, MANUAL_GRADES_FILE } from "../../gradebook/store.js";
import { DEFAULT_GRADES_DIR, EXIT, json, requireString, shown, UsageError, UNREADABLE_HELP, type Command } from "../args.js";
import { nowIso } from "../now.js";
import { loadLessonOrExit } from "./course.js";
import path from "node:path";
import { prepareOutDir } from "@dslab/protocol/cli";

/** The automated rows of a lesson as they were before any manual decision. */
function autoRows(rows: readonly GradebookRow[], lesson: string): GradebookRow[] {
  return rows
    .filter((r) => r.lesson === lesson && r.auto !== undefined)
    .map((r) => ({ ...r, status: r.auto!.status, score: r.auto!.score, reasons: r.auto!.reasons, grader: "auto", gradedAt: r.auto!.gradedAt, manual: false }));
}

export const review: Command = {
  name: "review",
  help: `Usage: grader review --lesson ID --student S --status pass|fail --note "..." [--new-student] [--out DIR2] [--by NAME] [--now ISO] [--lessons DIR] [--json]

Records a manual decision in DIR2/manual-grades.json (replacing an earlier
decision for the same lesson and student). Every later \`grader proofs\` run keeps
it, and the exports mark it manual. If DIR2 already holds a gradebook, its CSV
and JSON are updated at once.

Options:
  --lesson ID      the lesson (required): its id, or its short name (retry, vote, w11)
  --student S      the student id, as in the pastes directory (required); a
                   student not in DIR2's gradebook for the lesson is refused
  --new-student    record the decision even so (a student with no paste)
  --status S       pass or fail (required)
  --note TEXT      why (required; it goes into the gradebook's reasons)
  --out DIR2       the grades directory (default: ${DEFAULT_GRADES_DIR})
  --by NAME        who decided; the grader column reads manual:NAME
  --now ISO        decision timestamp (default: the current time): a date (2026-11-24,
                   midnight UTC) or a date and time with Z or an offset (2026-11-24T10:00:00Z)
  --lessons DIR    the course directory (default: lessons, here or in the nearest parent)
  --json           print the recorded decision as JSON
  -h, --help       show this help

Exit codes: 0 recorded, 2 usage error (also: a student not in the gradebook,
without --new-student), 4 a grades file cannot be read (over 256 MiB) or is
not UTF-8 JSON of its shape (nothing is written then).

${UNREADABLE_HELP}
`,
  options: {
    lesson: { type: "string" }, student: { type: "string" }, status: { type: "string" }, note: { type: "string" },
    out: { type: "string", default: DEFAULT_GRADES_DIR }, by: { type: "string" }, now: { type: "string" },
    "new-student": { type: "boolean", default: false },
  },
  async run(values, positionals, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}. Run \`grader review --help\` for usage.`);
    const id = requireString(values, "lesson", "review");
    const student = requireString(values, "student", "review");
    const status = requireString(values, "status", "review");
    if (status !== "pass" && status !== "fail") throw new UsageError(`--status must be pass or fail, found ${JSON.stringify(status)}`);
    const note = requireString(values, "note", "review");
    const out = String(values.out);
    const gradedAt = nowIso(values, io);
    const { lesson } = await loadLessonOrExit(String(values.lessons), id, io);
    prepareOutDir(out, [MANUAL_GRADES_FILE]);
    const rows = await readGradebookRows(out);
    const existing = rows.find((r) => r.lesson === lesson.id && r.student === student);
    const earlier = await readManualGrades(out);
    const decided = earlier.some((g) => g.lesson === lesson.id && g.student === student);
    if (existing === undefined && !decided && values["new-student"] !== true) {
      // A typo in --student would otherwise add a row for nobody.
      const known = [...new Set(rows.filter((r) => r.lesson === lesson.id).map((r) => r.student))].sort();
      const list = known.length === 0 ? `no gradebook for lesson ${lesson.id} in ${out} yet` : `students: ${known.slice(0, 20).map(shown).join(", ")}${known.length > 20 ? `, and ${known.length - 20} more` : ""}`;
      throw new UsageError(
        `student ${JSON.stringify(student)} is not in the gradebook for lesson ${lesson.id} (${list}); check the spelling, or pass --new-student to record a decision for a student with no paste`,
      );
    }
    const grade: ManualGrade = { lesson: lesson.id, student, status, note, gradedAt };
    if (typeof values.by === "string" && values.by !== "") grade.by = values.by;
    if (existing?.auto?.sha256) grade.sha256 = existing.auto.sha256;
    const manual = upsertManualGrade(earlier, grade);
    await writeManualGrades(out, manual);
    if (rows.length > 0) await writeGradebook(out, lesson.id, withManualGrades(autoRows(rows, lesson.id), manual, lesson.id, lesson.xp ?? 1));
    if (values.json) io.stdout(json({ recorded: grade, file: path.join(out, MANUAL_GRADES_FILE), gradebookUpdated: rows.length > 0 }));
    else {
      io.stdout(`recorded ${status} for ${student} on ${lesson.id} in ${path.join(out, MANUAL_GRADES_FILE)}${existing ? "" : " (no automated result for this student yet)"}\n`);
      if (rows.length > 0) io.stdout(`updated the gradebook in ${out}; re-run \`grader proofs\` to refresh the review page\n`);
    }
    return EXIT.ok;
  },
};
