// `npm run bench` (grader): how long `grader test` takes. One submission (the
// reference solutions) with every hidden suite at its full seeds, wall clock
// of the real command with --skip-typecheck and with the type check (goal
// under 60 s on 2 cores); then `grader test --class` over 40 generated
// submissions (the mutants and the reference, repeated) with --jobs 2:
// submissions per minute. BENCH_CLASS_SIZE changes the class size, and
// DSLAB_GRADER_SEED_SCALE the hidden seeds, for a quicker look.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listMutants, makeSubmission } from "../test/grader-test/submissions.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = fileURLToPath(new URL("../bin/grader.js", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "dslab-bench-grader-test-"));
const classSize = Number(process.env.BENCH_CLASS_SIZE ?? 40);

function timed(args: string[]): { seconds: number; code: number | null; stdout: string; stderr: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return { seconds: (performance.now() - t0) / 1000, code: r.status, stdout: r.stdout, stderr: r.stderr };
}

try {
  const reference = makeSubmission(join(work, "reference"));
  const rows: string[][] = [["figure", "value", "goal", "exit"]];
  let failed = false;
  for (const [what, extra] of [
    ["one submission, every hidden suite, no type check (s)", ["--skip-typecheck"]],
    ["one submission, every hidden suite, with tsc --noEmit (s)", []],
  ] as const) {
    const r = timed(["test", "--submission", reference, "--format", "json", "--out", join(work, "one.json"), ...extra]);
    const full = /reference: (\d+(?:\.\d+)?) \/ \1/.test(r.stderr);
    if (r.code !== 0 || !full || r.seconds >= 60) failed = true;
    rows.push([what, r.seconds.toFixed(1), "< 60", `${r.code}${full ? "" : " (not full marks)"}`]);
  }

  const mutants = await listMutants();
  const klass = join(work, "class");
  for (let i = 0; i < classSize; i++) {
    const m = mutants[i % (mutants.length + 1)];
    makeSubmission(join(klass, `s${String(i + 1).padStart(2, "0")}-${m ? m.name : "reference"}`), m ? { overrides: { [m.replaces]: m.path } } : {});
  }
  const r = timed(["test", "--class", klass, "--jobs", "2", "--out", join(work, "gradebook")]);
  const perMinute = (classSize / r.seconds) * 60;
  if (r.code !== 0) failed = true;
  rows.push([`grader test --class, ${classSize} submissions, --jobs 2 (submissions/min; ${r.seconds.toFixed(0)} s)`, perMinute.toFixed(1), "-", String(r.code)]);

  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join("  "));
  console.log(`\n${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)}; hidden seed scale ${process.env.DSLAB_GRADER_SEED_SCALE ?? "1"}`);
  if (failed) {
    console.error("grader test bench: a figure missed its goal or the command failed");
    process.exitCode = 1;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
