import path from "node:path";
import { formatDiagnostic } from "../../lesson/model.js";
import { lintDirectory } from "../../lint/lint.js";
import { EXIT, json, UNREADABLE_HELP, type Command } from "../args.js";

export const lint: Command = {
  name: "lint",
  help: `Usage: grader lint [--lessons DIR] [--root DIR] [--json]

Parses every *.md lesson under DIR and checks: front-matter fields and types,
the pass-criteria table, unique ids, prerequisites that exist and form no cycle
(the cycle is printed), unique order within a part, regex_patterns that run on
a linear-time engine (RE2: no backreferences, no lookaround), and
review_schedule_days positive and increasing.

Every code span in a criterion's "How to check" cell is held to the
repository (--root): a path (one with a / and an extension) must exist, and a
test file (*.test.ts, *.spec.js, test_*.py, ...) must hold a test whose title
starts with the criterion's id (\`<lesson id>#<n>\`); \`npm run check -- --lesson X\`
(or \`npm run check -- X\`) must name exactly one lesson of the course (its id,
or a part of one id or title that no other lesson has); any other command
(\`npm run NAME ...\`, \`NAME ...\` such as \`kv-sim run ...\`) must be a script of
the root package.json. These are errors. A criterion that names no test file
and no check command is a warning: nothing tells a student how to check it.

Symbolic links are followed. A *.md entry that is not a regular file (a FIFO,
a device, a dangling link) and a front-matter with YAML aliases are that
lesson's errors; the other lessons are still checked.

Each finding reads FILE:LINE: SEVERITY FIELD: MESSAGE [CODE].

Options:
  --lessons DIR   the course directory (default: lessons, here or in the nearest parent)
  --root DIR      the repository the references are relative to (default: the
                  course directory's parent)
  --json          print {files, lessons, errors, warnings, diagnostics} as JSON
  -h, --help      show this help

Exit codes: 0 no errors (warnings allowed), 1 errors found (a lesson file that
cannot be read, or is over 4 MiB, is that file's error), 2 usage error, 4 the
lessons directory cannot be read or holds no lesson file.

${UNREADABLE_HELP}
`,
  options: { root: { type: "string" } },
  async run(values, positionals, io) {
    if (positionals.length > 0) {
      io.stderr(`grader lint: unexpected argument ${JSON.stringify(positionals[0])}; use --lessons DIR\n`);
      return EXIT.usage;
    }
    const dir = String(values.lessons);
    const root = typeof values.root === "string" ? values.root : path.dirname(path.resolve(dir));
    const report = await lintDirectory(dir, root);
    if (report.files === 0) {
      // Nothing checked is not "no errors": say so, and do not pass.
      if (values.json) io.stdout(json(report));
      io.stderr(`grader lint: warning: ${dir} holds no lesson (no *.md file); nothing was checked. Give the course directory with --lessons DIR\n`);
      return EXIT.badInput;
    }
    if (values.json) io.stdout(json(report));
    else {
      for (const d of report.diagnostics) io.stdout(formatDiagnostic(d) + "\n");
      io.stdout(`${report.files} file(s), ${report.lessons} lesson(s): ${report.errors} error(s), ${report.warnings} warning(s)\n`);
    }
    return report.errors > 0 ? EXIT.fail : EXIT.ok;
  },
};
