import { readdir } from "node:fs/promises";
import { prepareOutDir, ReadRegularError } from "@dslab/protocol/cli";
import path from "node:path";
import { gradeClass, similarityText, type Paste } from "../../gradebook/batch.js";
import { renderReviewPage } from "../../gradebook/html.js";
import { earlierReviewPageName, readManualGrades, readOutputRecord, reviewPageName, writeFileAtomic, writeGradebook, writeOutputRecord, GRADEBOOK_CSV, GRADEBOOK_JSON, OUTPUTS_FILE } from "../../gradebook/store.js";
import { sha256, sweepRenamed } from "../../fs/outputs.js";
import { proofChecker } from "../../proof/check.js";
import { DEFAULT_MAX_PASTE_BYTES } from "../../proof/input.js";
import { DEFAULT_SIMILARITY } from "../../proof/similarity.js";
import { DEFAULT_GRADES_DIR, EXIT, InputFileError, json, positiveInt, requireString, sameDirectory, shown, unreadableReason, UsageError, UNREADABLE_HELP, type Command } from "../args.js";
import { nowIso } from "../now.js";
import { loadLessonOrExit } from "./course.js";
import { pasteUnreadableReason } from "./proof.js";
import { readBounded } from "./read-paste.js";

export { DEFAULT_SIMILARITY };

/** Paste files read at once. */
const READ_CONCURRENCY = 16;

/** `alice.txt` -> `alice`: the file name without its last extension is the student id. */
export function studentIdOf(fileName: string): string {
  const ext = path.extname(fileName);
  return ext && ext !== fileName ? fileName.slice(0, -ext.length) : fileName;
}

/** One student's paste, or why it cannot be read (a FIFO, a dangling symlink, a loop of symlinks): that student's row says so. */
async function readPaste(file: string, maxBytes: number): Promise<{ data: Uint8Array; sizeBytes: number; unreadable?: string }> {
  try {
    return await readBounded(file, maxBytes);
  } catch (err) {
    if (!(err instanceof ReadRegularError)) throw err;
    const code = err.code;
    const why = code === "ENOENT" ? "it is a symbolic link to a file that does not exist" : pasteUnreadableReason(err);
    return { data: new Uint8Array(0), sizeBytes: 0, unreadable: why };
  }
}

export const proofs: Command = {
  name: "proofs",
  help: `Usage: grader proofs --lesson ID DIR [--out DIR2] [--now ISO] [--similarity X] [--lessons DIR] [--json]

DIR holds one paste per student; the file name without its extension is the
student id (alice.txt -> alice); symlinks are followed, and a paste that is
not a regular file (a FIFO, a device, a dangling symlink) or cannot be
opened (a symlink that loops) is a fail that says so. Each paste gets the checks of \`grader proof\`;
identical or near-identical pastes across students (similarity >= --similarity
after ids, numbers and whitespace are normalised, for pastes that share their
run's own ids or times; see the README) are flagged and sent to review.

Writes to DIR2 (default: ${DEFAULT_GRADES_DIR}, which git ignores):
  gradebook.csv          student,lesson,status,score,max_score,reasons,grader,graded_at
  gradebook.json         the same rows, with the automated result kept under manual ones
  review-<lesson>.html   self-contained review page: highlighted evidence, reasons, filter by status
  .grader-outputs.json   each review page and report written, with its lesson or student and hash
A review page of an earlier run left under a name its lesson no longer has is
removed when .grader-outputs.json records it as that lesson's and it is
unchanged; otherwise it is left and listed as stale on stderr and in --json
(stalePages).
Rows of other lessons already in the gradebook are kept. Manual decisions
recorded with \`grader review\` (DIR2/manual-grades.json) override the automated
status and are marked manual.

Options:
  --lesson ID       the lesson (required): its id, or its short name (retry, vote, w11)
  --out DIR2        output directory (default: ${DEFAULT_GRADES_DIR}); not DIR itself
  --now ISO         graded_at timestamp (default: the current time); fix it for reproducible reruns:
                    a date (2026-11-24, midnight UTC) or a date and time with Z or an offset
                    (2026-11-24T10:00:00Z); anything else is a usage error
  --similarity X    near-duplicate threshold between 0 and 1 (default: ${DEFAULT_SIMILARITY})
  --max-bytes N     paste size bound in bytes (default: ${DEFAULT_MAX_PASTE_BYTES})
  --lessons DIR     the course directory (default: lessons, here or in the nearest parent)
  --json            print a summary with every row as JSON
  -h, --help        show this help

Exit codes: 0 gradebook written (whatever the statuses; a paste that cannot be
read is that student's fail), 2 usage error, 4 DIR cannot be read or holds no
paste, or a grades file cannot be read (over 256 MiB) or is not UTF-8 JSON
of its shape (nothing is written then).

${UNREADABLE_HELP}
`,
  options: { lesson: { type: "string" }, out: { type: "string", default: DEFAULT_GRADES_DIR }, now: { type: "string" }, similarity: { type: "string" }, "max-bytes": { type: "string" } },
  async run(values, positionals, io) {
    const id = requireString(values, "lesson", "proofs");
    if (positionals.length !== 1) throw new UsageError("give exactly one DIR of pastes. Run `grader proofs --help` for usage.");
    const dir = positionals[0]!;
    const out = String(values.out);
    const now = nowIso(values, io);
    const maxBytes = positiveInt(values, "max-bytes", DEFAULT_MAX_PASTE_BYTES);
    const threshold = values.similarity === undefined ? DEFAULT_SIMILARITY : Number(values.similarity);
    if (!(threshold > 0 && threshold <= 1)) throw new UsageError(`--similarity must be a number in (0, 1], found ${JSON.stringify(values.similarity)}`);
    if (sameDirectory(out, dir)) {
      throw new UsageError(`--out ${out} is the pastes directory ${dir}; its gradebook.csv, gradebook.json and review page would be read as pastes on the next run: give another --out`);
    }
    const { lesson } = await loadLessonOrExit(String(values.lessons), id, io);
    const checker = proofChecker(lesson, { maxBytes });
    let entries;
    try {
      // Symlinks are followed when read; FIFOs and devices are refused per student, never read.
      const listed = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith(".")).sort((a, b) => (a.name < b.name ? -1 : 1));
      entries = listed.filter((e) => !e.isDirectory());
      // A paste left in a folder (a student's own, an LMS export's) would otherwise vanish from the gradebook without a word.
      for (const e of listed) {
        if (e.isDirectory()) io.stderr(`grader proofs: warning: ${shown(path.join(dir, e.name))}/ is a directory, not graded; each student's paste is a file directly in ${dir}\n`);
      }
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === "ENOTDIR" ? "it is a file, not a directory; give the directory that holds one paste per student" : unreadableReason(err);
      throw new InputFileError(`cannot read the pastes directory ${dir}: ${why}`, { cause: err });
    }
    if (entries.length === 0) {
      throw new InputFileError(`${dir} holds no paste (no files but hidden ones); nothing graded, nothing written`);
    }
    // Before grading: a gradebook that cannot be written is refused now (exit 4), not lost at the end.
    prepareOutDir(out, [GRADEBOOK_CSV, GRADEBOOK_JSON, OUTPUTS_FILE, reviewPageName(lesson.id)]);
    const record = await readOutputRecord(out);
    const seen = new Map<string, string>();
    for (const e of entries) {
      const student = studentIdOf(e.name);
      const prev = seen.get(student);
      if (prev) throw new UsageError(`${dir}: ${prev} and ${e.name} are both for student ${student}; keep one paste per student`);
      seen.set(student, e.name);
    }
    // Read a few files at a time: one by one, a class of 500 waits on the disk 500 times.
    const pastes: (Paste & { sizeBytes: number })[] = [];
    for (let i = 0; i < entries.length; i += READ_CONCURRENCY) {
      const batch = entries.slice(i, i + READ_CONCURRENCY);
      const read = await Promise.all(batch.map((e) => readPaste(path.join(dir, e.name), maxBytes)));
      read.forEach((p, j) => pastes.push({ student: studentIdOf(batch[j]!.name), file: path.join(dir, batch[j]!.name), ...p }));
    }
    const grading = gradeClass({ checker, pastes, manual: await readManualGrades(out), now, similarityThreshold: threshold });
    const all = await writeGradebook(out, lesson.id, grading.rows);
    const pageName = reviewPageName(lesson.id);
    const page = path.join(out, pageName);
    const html = renderReviewPage({ lessonId: lesson.id, lessonTitle: lesson.title, rows: grading.rows, results: grading.results, generatedAt: now });
    await writeFileAtomic(page, html);
    // The page under the name it had before (ids with "/" or capitals): removed when recorded as this lesson's and unchanged, else listed.
    const owner = `lesson:${lesson.id}`;
    const pages = new Set([...new Set(all.map((r) => r.lesson))].map((l) => reviewPageName(l).toLowerCase()));
    const earlier = [earlierReviewPageName(lesson.id)].filter((f) => !pages.has(f.toLowerCase()));
    const { stale, kept } = await sweepRenamed(out, record.outputs, new Map([[owner, pageName]]), new Map([[owner, earlier]]));
    await writeOutputRecord(out, { ...record, outputs: { ...kept, [pageName]: { owner, sha256: sha256(html) } } });
    for (const f of stale) {
      io.stderr(`grader proofs: ${f.removed ? "removed" : "left stale"} ${shown(path.join(out, f.file))}: lesson ${lesson.id}'s review page of an earlier run, now ${pageName}; ${f.reason}\n`);
    }
    const counts = { pass: 0, fail: 0, "needs-review": 0 };
    for (const r of grading.rows) counts[r.status]++;
    const files = { csv: path.join(out, GRADEBOOK_CSV), json: path.join(out, GRADEBOOK_JSON), html: page };
    if (values.json) {
      const stalePages = stale.map(({ owner: _o, ...f }) => ({ lesson: lesson.id, ...f }));
      io.stdout(json({ lesson: lesson.id, gradedAt: now, counts, similar: grading.similar, files, stalePages, rows: grading.rows }));
    } else {
      io.stdout(`lesson ${lesson.id}: ${grading.rows.length} student(s): ${counts.pass} pass, ${counts.fail} fail, ${counts["needs-review"]} needs-review (${grading.rows.filter((r) => r.manual).length} manual)\n`);
      for (const p of grading.similar) io.stdout(`  ${p.identical ? "identical" : `near-identical (${similarityText(p.similarity)})`}: ${shown(p.a)} and ${shown(p.b)}\n`);
      io.stdout(`wrote ${files.csv}, ${files.json}, ${files.html}\n`);
    }
    return EXIT.ok;
  },
};
