/**
 * Test-only entry: builds the site of `--lessons DIR` against the repository
 * at ROOT (the real `grader site` always uses its own repository), reporting
 * a failure as `grader site` does: one line and its exit code, or exit 70
 * with the stack for a bug. Usage: build-site.ts LESSONS_DIR ROOT
 */
import { processIo, runMain } from "@dslab/protocol/cli";
import { buildSite } from "../../src/site/build.js";

const io = processIo(process);
await runMain(
  { name: "grader site", version: "test" },
  async ([lessonsDir, root]) => {
    const site = await buildSite({ lessonsDir: lessonsDir!, root: root! });
    io.stdout(`${site.lessons} lessons, ${site.files.length} files\n`);
    return 0;
  },
  process.argv.slice(2),
  io,
);
