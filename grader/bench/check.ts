// `npm run bench` (grader): how long a student waits for `npm run check`.
// The untouched workbook, warm (the second of two runs; goal under 5 s), and
// the reference solutions with every check's default seeds (goal under 60 s
// on 2 cores). Each is the real command, run from the repository root.
import { spawnSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Figure {
  what: string;
  command: string;
  goalS: number;
  /** The exit code the command should end with (the untouched workbook fails its criteria). */
  expectCode: number;
  warmup: boolean;
}

const FIGURES: Figure[] = [
  { what: "untouched workbook, warm", command: "npm run check", goalS: 5, expectCode: 1, warmup: true },
  { what: "reference solutions, default seeds", command: "npm run check -- --solution", goalS: 60, expectCode: 0, warmup: false },
];

function timed(command: string): { seconds: number; code: number | null; tail: string } {
  const t0 = performance.now();
  const r = spawnSync(command, { cwd: ROOT, shell: true, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, code: r.status, tail: `${r.stdout}${r.stderr}`.trimEnd().split("\n").slice(-6).join("\n") };
}

const cores = availableParallelism();
const rows: string[][] = [["figure", "seconds", "goal", "command", "cores", "exit"]];
const notes: string[] = [];
let failed = false;
for (const f of FIGURES) {
  if (f.warmup) timed(f.command);
  const r = timed(f.command);
  const ok = r.seconds < f.goalS && r.code === f.expectCode;
  if (!ok) failed = true;
  rows.push([f.what, r.seconds.toFixed(2), `< ${f.goalS} s${ok ? "" : "  MISSED"}`, f.command, String(cores), `${r.code}`]);
  if (r.code !== f.expectCode) notes.push(`${f.command}: exit ${r.code}, expected ${f.expectCode}; its last lines:\n${r.tail}`);
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
process.stdout.write(`npm run check (load average ${loadavg()[0]!.toFixed(2)})\n`);
for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()}\n`);
for (const n of notes) process.stdout.write(`\n${n}\n`);
if (failed) process.exitCode = 1;
