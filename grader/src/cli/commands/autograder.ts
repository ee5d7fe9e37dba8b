// `grader autograder gradescope --out FILE`: the Gradescope autograder zip.
import { existsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { InputError, prepareOutDir } from "@dslab/protocol/cli";
import { gradescopeEntries } from "../../autograder/gradescope.js";
import { writeZip } from "../../autograder/zip.js";
import { REPOSITORY_ROOT } from "../../check/load.js";
import { EXIT, json, requireString, unreadableReason, type Command } from "../args.js";

export const autograderGradescope: Command = {
  name: "autograder gradescope",
  help: `Usage: grader autograder gradescope --out FILE [--json]

Builds the autograder zip to upload to a Gradescope programming assignment
("Zip file upload", base image Ubuntu). Its root holds:

  setup.sh        run once when Gradescope builds the image: installs Node 20
                  (NodeSource) and Python 3, then the dependencies with npm ci
  run_autograder  run for each submission: finds the workbook in
                  /autograder/submission (the student's repository or their
                  week-12 folder), copies it, runs
                  grader test --submission DIR --format gradescope
                  --out /autograder/results/results.json, and writes a
                  results.json scoring 0 with the reason when no grade came out
  the source      the packages, the grader, the workbook, the lessons, the
                  hidden suites and the reference solutions (the zip stays
                  with the instructor); no node_modules

Both scripts read the root from AUTOGRADER_ROOT (default /autograder);
DSLAB_AUTOGRADER_SKIP_SYSTEM=1 makes setup.sh skip apt-get and the Node
install (the machine's Node must be 20 or later) and only run npm ci.

Options:
  --out FILE      where to write the zip (e.g. autograder.zip)
  --json          print the entries (path, bytes, mode) and the zip's size
  -h, --help      show this help

Exit codes: 0 written, 2 usage error, 4 FILE cannot be written.
`,
  options: {
    out: { type: "string" },
  },
  async run(values, _positionals, io) {
    const out = path.resolve(requireString(values, "out", "autograder gradescope"));
    if (existsSync(out) && !statSync(out).isFile()) throw new InputError(`--out ${out}: ${statSync(out).isDirectory() ? "is a directory" : "exists and is not a regular file"}; give the zip's file name, e.g. ${path.join(out, "autograder.zip")}`);
    try {
      prepareOutDir(path.dirname(out), []);
    } catch (e) {
      throw new InputError(`--out ${out}: ${(e as Error).message.replace(/^--out [^:]*: /, "")}`);
    }
    const entries = gradescopeEntries(REPOSITORY_ROOT, []);
    const zip = writeZip(entries);
    try {
      writeFileSync(out, zip);
    } catch (e) {
      throw new InputError(`--out ${out}: cannot write the zip: ${unreadableReason(e, "write")}`);
    }
    if (values.json === true) {
      io.stdout(json({ out, bytes: zip.length, entries: entries.map((e) => ({ path: e.path, bytes: e.data.length, mode: `0${e.mode.toString(8)}` })) }));
    } else {
      const hidden = entries.filter((e) => e.path.startsWith("grader/hidden/")).length;
      io.stdout(`Wrote ${path.relative(process.cwd(), out) || out}: ${entries.length} files (${hidden} in grader/hidden/), ${(zip.length / 1024).toFixed(0)} KiB\n`);
      if (hidden === 0) io.stderr("grader autograder gradescope: warning: grader/hidden/ holds no suite; only the visible checks will grade\n");
    }
    return EXIT.ok;
  },
};
