import type { Lesson } from "../../lesson/model.js";
import { EXIT, json, UNREADABLE_HELP, type Command } from "../args.js";
import { loadLessonOrExit } from "./course.js";

export function lessonJson(l: Lesson): Omit<Lesson, "body"> {
  const { body: _body, ...rest } = l;
  return rest;
}

export function formatLesson(l: Lesson): string {
  const out: string[] = [];
  out.push(`${l.id}: ${l.title}`);
  out.push(`  file         ${l.file}`);
  out.push(`  part         ${l.part}, order ${l.order}${l.kind ? `, kind ${l.kind}` : ""}`);
  if (l.durationMinutes !== undefined) out.push(`  duration     ${l.durationMinutes} min`);
  if (l.xp !== undefined) out.push(`  xp           ${l.xp}`);
  out.push(`  prereqs      ${l.prereqs.join(", ") || "none"}`);
  out.push(`  deliverable  ${l.deliverable ?? "none found"}`);
  out.push(`  review days  ${l.reviewScheduleDays.join(", ") || "none"}`);
  for (const [k, v] of Object.entries(l.extra)) out.push(`  ${k} (extra)  ${JSON.stringify(v)}`);
  out.push("", `Pass criteria (${l.criteria.length}):`);
  for (const c of l.criteria) {
    out.push(`  ${c.id}  ${c.text}`);
    if (c.howToCheck) out.push(`      how to check: ${c.howToCheck}`);
  }
  out.push("", `Done when (${l.doneWhen.length}):`);
  for (const item of l.doneWhen) out.push(`  [${item.checked ? "x" : " "}] ${item.text}`);
  out.push("", "Proof:");
  if (!l.proof) out.push("  none");
  else {
    out.push(`  type ${l.proof.type}, status ${l.proof.status}`);
    if (l.proof.instructions) out.push(`  instructions: ${l.proof.instructions}`);
    if (l.proof.regexPatterns.length === 0) out.push("  no regex patterns: every proof goes to review");
    l.proof.regexPatterns.forEach((p, i) => out.push(`  pattern ${i + 1}: ${p.source}`));
  }
  if (l.proofSection) out.push("  section:", ...l.proofSection.split("\n").map((s) => `    ${s}`));
  return out.join("\n") + "\n";
}

export const lessonShow: Command = {
  name: "lesson show",
  help: `Usage: grader lesson show ID [--lessons DIR] [--json]

Prints the lesson's fields, pass criteria (with their ids, ID#n), the "Done when"
checklist, the deliverable, the proof rules and the review days. ID is the
lesson's id, or its short name or another piece of its id or title that no
other lesson has (retry, vote, w11), as \`grader check --lesson\` takes it.

Options:
  --lessons DIR   the course directory (default: lessons, here or in the nearest parent)
  --json          print the parsed lesson as JSON
  -h, --help      show this help

Exit codes: 0 shown, 2 usage error or unknown lesson (also one whose file
cannot be read or is over 4 MiB), 4 the lessons directory cannot be read.

${UNREADABLE_HELP}
`,
  options: {},
  async run(values, positionals, io) {
    const id = positionals[0];
    if (!id || positionals.length > 1) {
      io.stderr("grader lesson show: give exactly one lesson ID. Run `grader lesson show --help` for usage.\n");
      return EXIT.usage;
    }
    const { lesson } = await loadLessonOrExit(String(values.lessons), id, io);
    io.stdout(values.json ? json(lessonJson(lesson)) : formatLesson(lesson));
    return EXIT.ok;
  },
};
