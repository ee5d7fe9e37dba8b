/**
 * Test-only entry: builds the student release of the repository at ROOT in
 * memory and runs the leak scan over it (the real `grader release` always
 * uses its own repository), reporting a failure as `grader release` does:
 * one line and its exit code, or exit 70 with the stack for a bug.
 * Usage: collect-release.ts ROOT
 */
import { processIo, runMain } from "@dslab/protocol/cli";
import { collectRelease } from "../../src/release/build.js";
import { findLeaks, protectedFingerprints } from "../../src/release/leaks.js";

const io = processIo(process);
await runMain(
  { name: "grader release", version: "test" },
  async ([root]) => {
    const files = collectRelease({ root: root!, profile: "student", lessons: [] });
    const leaks = findLeaks(files, protectedFingerprints(root!));
    io.stdout(`${files.length} files, ${leaks.length} leaks\n`);
    return 0;
  },
  process.argv.slice(2),
  io,
);
