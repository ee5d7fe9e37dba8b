// `grader release --out DIR`: the repository students clone.
import path from "node:path";
import { REPOSITORY_ROOT } from "../../check/load.js";
import { collectRelease } from "../../release/build.js";
import { describeLeak, findLeaks, protectedFingerprints } from "../../release/leaks.js";
import { releaseLessons } from "../../release/lessons.js";
import { SHIP_RULES } from "../../release/rules.js";
import { writeRelease } from "../../release/write.js";
import { EXIT, json, requireString, type Command } from "../args.js";

export const release: Command = {
  name: "release",
  help: `Usage: grader release --out DIR [--list] [--json]

Builds the repository students clone into DIR (new or empty): the lessons,
the workbook's stubs, day files, node program, plug modules, visible checks
and tests, the packages and the grader that \`npm run check\` needs, a
package.json whose \`npm run check\` checks the student's week-12/ and whose
\`npm test\` runs the visible tests against it, a package-lock.json cut to
match, a README, and .github/workflows/classroom.yml (GitHub Classroom: one
step per lesson, worth the lesson's XP).

Only what the allow-list names ships (grader/src/release/rules.ts; --list
shows it). Never shipped: the hidden suites (grader/hidden/), the reference
solutions (grader/solutions/), the grader's tests and mutants
(grader/test/), answer keys (lessons/**/answers.md, lessons/**/*.answers.md),
instructor notes (any instructor/ directory, *.instructor.md), and the
passages of a lesson between <!-- instructor-only --> and
<!-- /instructor-only -->. Before anything is written, every file of the
release is searched for the text of each of those files (whitespace
normalised); a match stops the release.

Options:
  --out DIR       where to write the release (must be new or empty)
  --list          print each file that would ship and why; write nothing
  --json          print the files (path, bytes, mode, why) as JSON
  -h, --help      show this help

Exit codes: 0 written (or listed), 1 a release file carries instructor-only
text (nothing is written), 2 usage error, 4 DIR cannot be written or is not
empty, or a lesson file cannot be read or does not parse (it would ship
missing from the classroom workflow), or an instructor-only marker cannot
be read, or a
symbolic link, a FIFO or a device stands where files ship (the release
copies files, not links), or a file the release reads is not a regular file
(a FIFO is refused, never waited on), is over 64 MiB, or (package.json,
package-lock.json) is not JSON; nothing is written.
`,
  options: {
    out: { type: "string" },
    list: { type: "boolean", default: false },
  },
  async run(values, _positionals, io) {
    const list = values.list === true;
    const out = list && values.out === undefined ? undefined : path.resolve(requireString(values, "out", "release"));
    const lessons = await releaseLessons(REPOSITORY_ROOT, path.resolve(String(values.lessons)));
    const files = collectRelease({ root: REPOSITORY_ROOT, profile: "student", lessons });
    const leaks = findLeaks(files, protectedFingerprints(REPOSITORY_ROOT));
    if (leaks.length > 0) {
      for (const l of leaks) io.stderr(`grader release: ${describeLeak(l)}\n`);
      io.stderr(`grader release: ${leaks.length} file(s) carry instructor-only material; nothing was written\n`);
      return EXIT.fail;
    }
    if (values.json === true) {
      io.stdout(json({ out: out ?? null, written: !list, files: files.map((f) => ({ path: f.path, bytes: f.data.length, mode: `0${f.mode.toString(8)}`, why: f.why })) }));
    } else if (list) {
      for (const f of files) io.stdout(`${f.path}  (${f.why})\n`);
      io.stdout(`${files.length} files; the allow-list has ${SHIP_RULES.length} rows (grader/src/release/rules.ts)\n`);
    }
    if (list) return EXIT.ok;
    writeRelease(files, out!);
    if (values.json !== true) {
      io.stdout(`Wrote the student release to ${path.relative(process.cwd(), out!) || "."}: ${files.length} files, ${lessons.length} lessons in .github/workflows/classroom.yml\n`);
      io.stdout(`Next: cd ${path.relative(process.cwd(), out!) || "."} && npm ci && npm run check\n`);
    }
    return EXIT.ok;
  },
};
