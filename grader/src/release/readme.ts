/** The README at the root of the student release. */
import type { ReleaseLesson } from "./classroom.js";

export function studentReadme(lessons: readonly ReleaseLesson[]): string {
  const rows = lessons.map((l) => `| \`${l.short}\` | ${l.title} | ${l.maxScore} | \`npm run check -- --lesson ${l.short}\` |`);
  return `# Week 12: leader election, client retry, idempotent writes

Your workbook for the week. You write small pieces of a replicated
key-value store (the vote rules, a retrying client, a server-side dedup
store, idempotency keys over HTTP) and the checks run them against the
reference cluster, under seeded faults, and tell you what is right and what
to fix.

## Start

Node 20 or later.

\`\`\`sh
npm ci                              # installs exactly what package-lock.json says
npm run check                       # every lesson's criteria, in order; says what to do next
npm run check -- --lesson retry     # one lesson
npm run check -- --watch            # re-run what a saved file touches
npm test                            # the visible tests, against your own week-12/
\`\`\`

A function you have not written yet shows
\`not implemented yet: <function> (<lesson>, criterion <n>)\` and the check
exits 1 until every criterion passes. A failed fault run prints its seed and
the command that replays it.

## The lessons

| name | lesson | XP | check it alone |
| --- | --- | --- | --- |
${rows.join("\n")}

Each lesson is a Markdown file in \`lessons/\`: what to build, the pass
criteria, the proof to paste, and the day file to hand in.

## Where things are

| path | what |
| --- | --- |
| \`week-12/src/\` | the pieces you write: one file per concept, each function to write says \`todo(...)\` |
| \`week-12/node/\` | the node program (TypeScript, or Python in \`main.py\`) |
| \`week-12/day*.md\` | your day files: what you built, how you checked it, your answers and the pasted proof |
| \`week-12/checks/\` | the checks \`npm run check\` runs (read them to see what is asked) |
| \`week-12/test/\` | the visible tests, one per criterion |
| \`week-12/plug/\` | how your pieces plug into the reference cluster |
| \`lessons/\` | the course |
| \`packages/\` | the reference cluster, client, simulator and checkers your pieces run in |
| \`grader/\` | the grader behind \`npm run check\` |

## Grading

Pushing to GitHub runs \`.github/workflows/classroom.yml\`: one step per
lesson runs \`npm run check -- --lesson <name>\`, and a lesson whose criteria
all pass earns its XP. Your instructor may also grade with further tests
that are not in this repository, and reviews the proofs in your day files.
The reference solutions are not part of this repository, so
\`npm run check -- --solution\` does not apply here.
`;
}
