// `npm run bench`: the proof batch (500 pastes of 20 KB) and the lint of 200
// generated lessons, against their goals (median under 2 s and 1 s). Inputs
// are generated from a fixed seed, so every run measures the same work.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gradeClass, type Paste } from "../src/gradebook/batch.js";
import { gradebookCsv } from "../src/gradebook/csv.js";
import { renderReviewPage } from "../src/gradebook/html.js";
import { parseLesson } from "../src/lesson/parse.js";
import { lintDirectory } from "../src/lint/lint.js";
import { proofChecker } from "../src/proof/check.js";

const RUNS = 5;
const PASTES = 500;
const PASTE_BYTES = 20 * 1024;
const LESSONS = 200;

/** mulberry32: a small seeded PRNG, so the generated inputs are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function paste(student: number, rand: () => number): Uint8Array {
  const client = 1000 + student;
  const lines: string[] = [];
  let bytes = 0;
  let seq = 0;
  let ms = Math.floor(rand() * 1e6);
  while (bytes < PASTE_BYTES + 200) {
    seq++;
    ms += 1 + Math.floor(rand() * 400);
    const node = `n${1 + Math.floor(rand() * 3)}`;
    const key = `k${Math.floor(rand() * 50)}`;
    const block = [
      `${ms} ${node} [apply] client ${client} seq ${seq} append ${key} v${client}-${seq} applied at index ${seq * 2 + student}`,
      ...(rand() < 0.15
        ? [`${ms + 3} client ${client}: no reply for seq ${seq} (timeout), retrying`, `${ms + 9} ${node} [dedup] client ${client} seq ${seq} is duplicate, returning cached result`]
        : []),
      `${ms + 1} ${node} commit index ${seq * 2 + student} term ${1 + Math.floor(seq / 40)}`,
    ];
    for (const l of block) {
      lines.push(l);
      bytes += l.length + 1;
    }
  }
  // Whole lines up to 20 KB: a line cut in the middle would read as a different seq.
  let text = lines.join("\n");
  text = text.slice(0, text.lastIndexOf("\n", PASTE_BYTES));
  return new TextEncoder().encode(text);
}

const id = (i: number) => `gen-${String(i).padStart(3, "0")}`;

function lessonText(i: number): string {
  const prereqs = i === 0 ? [] : [id(i - 1), ...(i > 5 ? [id(i - 5)] : [])];
  return `---
id: ${id(i)}
part: week-${Math.floor(i / 10)}
title: Generated lesson ${i}
order: ${i % 10}
duration_minutes: 60
prereqs: [${prereqs.join(", ")}]
kind: lesson
xp: 10
proof:
  type: paste
  status: manual_or_regex
  instructions: Paste the log.
  regex_patterns:
    - '\\[dedup\\] client \\S+ seq \\d+ is duplicate, returning cached result'
    - 'leader (changed|elected) .* term \\d+'
review_schedule_days: [3, 7, 21, 60]
---

# Generated lesson ${i}

Some text about retries \u2014 and idempotency.

## Pass criteria

| # | Criterion | How to check |
| --- | --- | --- |
| 1 | First criterion of ${i} | \`week-12/test/gen-${i}.test.ts\` |
| 2 | Second criterion of ${i} | \`npm run check -- --lesson ${id(i)}\` |
| 3 | Third criterion of ${i} | \`week-12/test/gen-${i}.test.ts\`, \`npm run kv-sim -- run --seed ${i}\` |

## Done when

- [ ] tests pass
- [ ] proof pasted

## Deliverable

Fill in \`week-12/gen-${i}.md\`.
`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

const lessonsDir = fileURLToPath(new URL("../../lessons/", import.meta.url));
const lesson = parseLesson(await readFile(path.join(lessonsDir, "w12-leader-election-client-idempotency/d03-quest-client-retry-idempotency.md"), "utf8"), "d03.md").lesson!;
const checker = proofChecker(lesson);
const rand = prng(12);
const pastes: Paste[] = Array.from({ length: PASTES }, (_, i) => ({ student: `s${String(i).padStart(3, "0")}`, data: paste(i, rand) }));
// Five students hand in another's log with its first line changed: the near-duplicate path has work to do.
for (let i = 0; i < 5; i++) {
  const copied = new TextDecoder().decode(pastes[i]!.data).replace(/^[^\n]*/, "copied by a friend");
  pastes[PASTES - 1 - i]!.data = new TextEncoder().encode(copied);
}
const now = "2026-11-24T10:00:00.000Z";

const batch = await time(() => gradeClass({ checker, pastes, manual: [], now }));
const exports = await time(() => {
  const g = gradeClass({ checker, pastes, manual: [], now });
  gradebookCsv(g.rows);
  renderReviewPage({ lessonId: lesson.id, lessonTitle: lesson.title, rows: g.rows, results: g.results, generatedAt: now });
});

const tmp = await mkdtemp(path.join(tmpdir(), "grader-bench-"));
try {
  // The generated course in a repository of its own: the test files and the
  // scripts its "How to check" cells name exist, so lint reads and checks them.
  await mkdir(path.join(tmp, "week-12", "test"), { recursive: true });
  await writeFile(path.join(tmp, "package.json"), JSON.stringify({ private: true, scripts: { check: "true", "kv-sim": "true" } }));
  for (let i = 0; i < LESSONS; i++) {
    const dir = path.join(tmp, "course", `week-${Math.floor(i / 10)}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, `gen-${i}.md`), lessonText(i));
    const tests = [1, 2, 3].map((n) => `test("${id(i)}#${n} criterion ${n}", () => {});`);
    await writeFile(path.join(tmp, "week-12", "test", `gen-${i}.test.ts`), `import { test } from "vitest";\n\n${tests.join("\n")}\n`);
  }
  const pasteDir = path.join(tmp, "pastes");
  await mkdir(pasteDir);
  for (const p of pastes) await writeFile(path.join(pasteDir, `${p.student}.txt`), p.data);
  const bin = fileURLToPath(new URL("../bin/grader.js", import.meta.url));
  const cliStart = performance.now();
  execFileSync(process.execPath, [bin, "proofs", "--lessons", lessonsDir, "--lesson", lesson.id, pasteDir, "--out", path.join(tmp, "grades"), "--now", now]);
  const cli = [performance.now() - cliStart];
  let lintErrors = -1;
  const lint = await time(async () => {
    lintErrors = (await lintDirectory(path.join(tmp, "course"), tmp)).errors;
  });
  const g = gradeClass({ checker, pastes, manual: [], now });
  const counts = { pass: 0, fail: 0, "needs-review": 0 };
  for (const r of g.rows) counts[r.status]++;

  const rows = [
    ["proof batch: 500 pastes x 20 KB (checks + near-duplicates)", batch, 2000],
    ["  same, plus CSV and HTML review page", exports, undefined],
    ["  `grader proofs` CLI end to end: 500 files, 1 run, incl. startup", cli, undefined],
    ["lint: 200 lessons, 200 test files (read, parse, all rules)", lint, 1000],
  ] as const;
  console.log(`grader bench (node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}; ${RUNS} runs each; times in ms)\n`);
  console.log(`${"case".padEnd(60)} ${"min".padStart(8)} ${"median".padStart(8)} ${"max".padStart(8)} ${"goal".padStart(8)}  ok`);
  for (const [name, xs, goal] of rows) {
    const med = median(xs);
    console.log(
      `${name.padEnd(60)} ${Math.min(...xs).toFixed(0).padStart(8)} ${med.toFixed(0).padStart(8)} ${Math.max(...xs).toFixed(0).padStart(8)} ${(goal === undefined ? "-" : `< ${goal}`).padStart(8)}  ${goal === undefined ? "" : med < goal ? "yes" : "NO"}`,
    );
  }
  const kb = pastes.reduce((n, p) => n + p.data.byteLength, 0) / pastes.length / 1024;
  console.log(`\npastes: ${pastes.length}, mean ${kb.toFixed(1)} KB; batch outcome: ${counts.pass} pass, ${counts.fail} fail, ${counts["needs-review"]} needs-review; ${g.similar.length} similar pair(s); lint errors: ${lintErrors}`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}
