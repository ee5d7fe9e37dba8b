// `grader site --out DIR`: the course as a static HTML site.
import path from "node:path";
import { prepareOutDir } from "@dslab/protocol/cli";
import { REPOSITORY_ROOT } from "../../check/load.js";
import { EXIT, InputFileError, json, requireString, unreadableReason, UNREADABLE_HELP, type Command } from "../args.js";

/**
 * Why a file of the site could not be written, in words: a file or a
 * directory in the way is named; any other failure names the file of the
 * site and says why as every command does.
 */
function unwritableReason(err: unknown, file: string | undefined): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "EEXIST" || e.code === "ENOTDIR") return `${e.path ?? "a parent"} is a file where the site needs a directory`;
  if (e.code === "EISDIR") return `${e.path ?? "a file of the site"} is a directory where the site writes a file`;
  if (e.code === "EACCES") return "permission denied";
  return file === undefined ? unreadableReason(e, "write") : `${file}: ${unreadableReason(e, "write")}`;
}

export const site: Command = {
  name: "site",
  help: `Usage: grader site --out DIR [--lessons DIR] [--json]

Renders the course as static HTML into DIR: an index listing the lessons in
prerequisite order, one page per lesson (its title, duration, XP and
prerequisites linked, the lesson rendered from Markdown, its pictures, and
each pass criterion with the visible test file and the
\`npm run check -- --lesson NAME\` command that decide it, previous and next
lesson), and one page per visible test file. Pictures and other images of the
course directory are copied into the site; one that is missing, not a regular
file, larger than 64 MiB, or a symbolic link out of the course directory is
drawn as its text, with a warning on stderr. Answer keys (answers.md,
*.answers.md) are never read and instructor-only passages (between
<!-- instructor-only --> and <!-- /instructor-only -->) are cut. Raw HTML in a
lesson is shown as text; the pages load nothing from outside DIR.

Options:
  --out DIR       where to write the site (created if needed; files are overwritten)
  --lessons DIR   the course directory (default: lessons, here or in the nearest parent)
  --json          print the files written as JSON
  -h, --help      show this help

Exit codes: 0 written, 2 usage error, 4 nothing is written: the lessons
directory, a lesson file (over 4 MiB), a visible test file (week-12/test/,
over 4 MiB) or a picture when it is copied (over 64 MiB) cannot be read, a
lesson file does not parse (each error named with its line; the site would
be published without that lesson), the course holds no lesson, a lesson
file index.md would take the index's place, an instructor-only marker is
unclosed, or DIR cannot be written.

${UNREADABLE_HELP}
`,
  options: {
    out: { type: "string" },
  },
  async run(values, positionals, io) {
    if (positionals.length > 0) {
      io.stderr(`grader site: unexpected argument ${JSON.stringify(positionals[0])}. Run \`grader site --help\` for usage.\n`);
      return EXIT.usage;
    }
    const out = path.resolve(requireString(values, "out", "site"));
    const { buildSite } = await import("../../site/build.js");
    const { SiteWriteError, writeSite } = await import("../../site/write.js");
    const lessonsDir = String(values.lessons);
    const built = await buildSite({ lessonsDir: path.resolve(lessonsDir), root: REPOSITORY_ROOT });
    // An empty site would replace the index of one already in DIR and leave its lesson pages behind.
    if (built.lessons === 0) throw new InputFileError(`--lessons ${lessonsDir} holds no lesson (no *.md file); nothing written. Give the course directory with --lessons DIR`);
    prepareOutDir(out, ["index.html"]);
    try {
      await writeSite(out, built.files);
    } catch (err) {
      const failed = err instanceof SiteWriteError ? err : undefined;
      throw new InputFileError(`--out ${out}: cannot write the site there: ${unwritableReason(failed?.cause ?? err, failed?.file)}`, { cause: err });
    }
    for (const w of built.warnings) io.stderr(`grader site: ${w}\n`);
    if (values.json === true) io.stdout(json({ out, lessons: built.lessons, files: built.files.map((f) => f.path), warnings: built.warnings }));
    else io.stdout(`wrote ${built.files.length} files (${built.lessons} lessons) to ${out}; open ${path.join(out, "index.html")}\n`);
    return EXIT.ok;
  },
};
