/**
 * The Gradescope autograder zip. Gradescope unpacks the zip into
 * /autograder/source, runs `setup.sh` once to build the image, copies
 * `run_autograder` to /autograder/run_autograder and runs it for each
 * submission (in /autograder/submission); whatever it leaves in
 * /autograder/results/results.json is the grade.
 *
 * The zip's root holds `setup.sh`, `run_autograder` and the repository's
 * `autograder` profile (release/rules.ts): the student release's packages,
 * grader and workbook plus the hidden suites and the reference solutions;
 * never node_modules (setup.sh installs them with `npm ci`).
 *
 * Both scripts take the root from AUTOGRADER_ROOT (default /autograder), so
 * a test runs them in a directory of its own. DSLAB_AUTOGRADER_SKIP_SYSTEM=1
 * makes setup.sh skip the system installs (apt, Node: the machine's own Node
 * must be 20 or later) and still run `npm ci` from the zip's lock (npm's own
 * settings apply, e.g. npm_config_offline=true to install from the cache).
 */
import { collectRelease, type ReleaseFile } from "../release/build.js";
import { listFiles } from "../release/leaks.js";
import type { ReleaseLesson } from "../release/classroom.js";
import type { ZipEntry } from "./zip.js";

/** The Node major the autograder installs (NodeSource's apt repository for it). */
export const NODE_MAJOR = 20;

export const SETUP_SH = `#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image:
# Node ${NODE_MAJOR} (NodeSource), Python 3 (for a node program in Python), and the
# repository's dependencies exactly as package-lock.json locks them.
#
#   AUTOGRADER_ROOT                  the root (default /autograder)
#   DSLAB_AUTOGRADER_SKIP_SYSTEM=1   no apt-get, no Node install (the machine's
#                                    Node must be ${NODE_MAJOR} or later); npm ci still runs
set -euo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= ${NODE_MAJOR} ? 0 : 1)'
}

if [ "\${DSLAB_AUTOGRADER_SKIP_SYSTEM:-}" != "1" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends ca-certificates curl gnupg python3
  if ! node_ok; then
    curl -fsSL https://deb.nodesource.com/setup_${NODE_MAJOR}.x | bash -
    apt-get install -y nodejs
  fi
fi
if ! node_ok; then
  echo "setup.sh: Node ${NODE_MAJOR} or later is needed, found $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

npm ci --no-audit --no-fund
chmod +x run_autograder
echo "setup.sh: Node $(node --version), dependencies in $ROOT/source/node_modules"
`;

/** The workbook's pieces a student may upload as loose files: week-12/src/*.ts (not todo.ts) and week-12/node/*. */
export interface WorkbookPieces {
  src: string[];
  node: string[];
}

export function workbookPieces(root: string): WorkbookPieces {
  const names = (dir: string) => listFiles(root, dir).map((p) => p.slice(dir.length + 1)).filter((n) => !n.includes("/"));
  return { src: names("week-12/src").filter((n) => n.endsWith(".ts") && n !== "todo.ts"), node: names("week-12/node") };
}

export function runAutograderScript(pieces: WorkbookPieces): string {
  return RUN_AUTOGRADER.replace("${SRC_PIECES}", pieces.src.join(" ")).replace("${NODE_PIECES}", pieces.node.join(" "));
}

const RUN_AUTOGRADER = `#!/usr/bin/env bash
# Gradescope runs this for each submission. The submission is a student's
# repository or their week-12 directory (zipped or from GitHub), copied
# without its symbolic links (each named on stdout), whose workbook (the
# directory holding src/) is moved to $ROOT/work/week-12, or
# the files of week-12/src uploaded one by one, put in place in a copy of the
# starter workbook. It is graded with the visible and hidden suites:
#
#   grader test --submission $ROOT/work/week-12 --format gradescope \\
#     --out $ROOT/results/results.json
#
# When no results.json comes out of it (no workbook in the submission, the
# grader crashed), one is written that scores 0 and says why.
#
#   AUTOGRADER_ROOT   the root (default /autograder)
set -uo pipefail
ROOT="\${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
SUBMISSION="$ROOT/submission"
RESULTS="$ROOT/results"
WORK="$ROOT/work"
mkdir -p "$RESULTS"
rm -f "$RESULTS/results.json"

fail() {
  MESSAGE="$1" OUT="$RESULTS/results.json" node -e '
    const fs = require("node:fs");
    const results = { score: 0, output: process.env.MESSAGE, output_format: "text", visibility: "visible", stdout_visibility: "hidden", tests: [] };
    fs.writeFileSync(process.env.OUT, JSON.stringify(results, null, 2) + "\\n");
  '
  echo "run_autograder: $1" >&2
  exit 0
}

# The workbook: week-12/ at the top, the top itself, or (a zip of a folder)
# the first week-12/ or directory with src/*.ts at most three levels down.
find_workbook() {
  if [ -d "$SUBMISSION/week-12/src" ]; then echo "$SUBMISSION/week-12"; return; fi
  if [ -d "$SUBMISSION/src" ]; then echo "$SUBMISSION"; return; fi
  local found
  found=$(find "$SUBMISSION" -mindepth 1 -maxdepth 3 -type d -name week-12 -not -path '*/node_modules/*' 2>/dev/null | sort | while read -r d; do [ -d "$d/src" ] && echo "$d"; done | head -n 1)
  if [ -n "$found" ]; then echo "$found"; return; fi
  # Read line by line, not through xargs, which splits "my work/src/x.ts" at the space.
  find "$SUBMISSION" -mindepth 2 -maxdepth 4 -type f -path '*/src/*.ts' -not -path '*/node_modules/*' 2>/dev/null | sort | head -n 1 | while IFS= read -r f; do dirname "$(dirname "$f")"; done
}

# The workbook's files a student may upload one by one (no folders).
SRC_PIECES="\${SRC_PIECES}"
NODE_PIECES="\${NODE_PIECES}"

[ -d "$SUBMISSION" ] || fail "There is no submission to grade ($SUBMISSION is missing)."
rm -rf "$WORK"
mkdir -p "$WORK"
# The submission is read from a copy without its symbolic links: this script
# runs as root, and a link (week-12 -> $SOURCE/grader/solutions/week-12, a
# loose file -> a hidden suite) would grade or copy the autograder's own files
# as the student's work.
cp -R -P "$SUBMISSION/." "$WORK/submission" || fail "The submission could not be copied for grading; your instructor has the log."
find "$WORK/submission" -type l -printf '%P\n' | sort | while read -r link; do echo "run_autograder: left out symbolic link $link"; done
find "$WORK/submission" -type l -delete
UPLOADED="$SUBMISSION"
SUBMISSION="$WORK/submission"
WORKBOOK=$(find_workbook)
if [ -n "$WORKBOOK" ]; then
  mv "$WORKBOOK" "$WORK/week-12"
  rm -rf "$WORK/week-12/node_modules"
  echo "run_autograder: grading $UPLOADED\${WORKBOOK#"$SUBMISSION"}"
else
  # Files uploaded one by one: the starter workbook with them in place.
  loose=""
  for f in $SRC_PIECES $NODE_PIECES; do [ -f "$SUBMISSION/$f" ] && loose="$loose $f"; done
  [ -n "$loose" ] || fail "No workbook found in the submission: upload your repository, its week-12 folder (with week-12/src/ inside), or the files of week-12/src ($SRC_PIECES)."
  mkdir -p "$WORK/week-12"
  cp -R "$SOURCE/week-12/src" "$SOURCE/week-12/node" "$WORK/week-12/"
  for f in $SRC_PIECES; do [ -f "$SUBMISSION/$f" ] && cp "$SUBMISSION/$f" "$WORK/week-12/src/$f"; done
  for f in $NODE_PIECES; do [ -f "$SUBMISSION/$f" ] && cp "$SUBMISSION/$f" "$WORK/week-12/node/$f"; done
  echo "run_autograder: grading the files$loose, with the starter workbook for the rest"
fi

cd "$SOURCE"
node grader/bin/grader.js test --submission "$WORK/week-12" --format gradescope --out "$RESULTS/results.json"
code=$?
echo "run_autograder: grader test exited $code"
[ -s "$RESULTS/results.json" ] || fail "The autograder could not grade this submission (grader test exited $code); your instructor has the log."
exit 0
`;

/** The zip's entries: the scripts first, then the source, sorted. */
export function gradescopeEntries(root: string, lessons: readonly ReleaseLesson[]): ZipEntry[] {
  const files: ReleaseFile[] = collectRelease({ root, profile: "autograder", lessons });
  return [
    { path: "setup.sh", data: Buffer.from(SETUP_SH), mode: 0o755 },
    { path: "run_autograder", data: Buffer.from(runAutograderScript(workbookPieces(root))), mode: 0o755 },
    ...files.map((f) => ({ path: f.path, data: f.data, mode: f.mode })),
  ];
}
