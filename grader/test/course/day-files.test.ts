/**
 * A student fills in the day file of each lesson (its deliverable) and pastes
 * the proof where the day file's own "Proof" section says. These tests hold
 * that section to what the grader looks for in the paste: a student who
 * pastes exactly the lines the day file asks for must not be sent to review
 * for a line only the lesson mentions.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { loadCourse, type Course } from "../../src/lesson/load.js";
import type { Lesson } from "../../src/lesson/model.js";
import { REPO } from "../helpers/cli.js";

/**
 * The literal text a pattern starts with, for each of its top-level
 * alternatives: `\[dedup\] client \S+ …` gives "[dedup] client", `\bretry(ing)?\b`
 * gives "retry", `422|409|Idempotent-Replayed` gives all three.
 */
function literalHeads(source: string): string[] {
  const alternatives: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") i++;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === "|" && depth === 0) (alternatives.push(source.slice(start, i)), (start = i + 1));
  }
  alternatives.push(source.slice(start));
  return alternatives.map((alt) => {
    let out = "";
    for (let i = alt.startsWith("\\b") ? 2 : alt.startsWith("^") ? 1 : 0; i < alt.length; i++) {
      const c = alt[i]!;
      if (c === "\\") {
        const next = alt[i + 1] ?? "";
        if (/[A-Za-z0-9]/.test(next)) break; // \S, \d, \b, \w: no longer literal
        out += next;
        i++;
      } else if ("()[]|*+?{}.^$".includes(c)) break;
      else out += c;
    }
    return out.trim();
  });
}

/** What a paste must show for each evidence rule, as the day file should name it. */
const EVIDENCE_WORDS: Record<string, string> = { "leader-change": "exited" };

function proofSection(markdown: string): string {
  const m = /^## Proof\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(markdown);
  return m?.[1] ?? "";
}

let course: Course;

beforeAll(async () => {
  course = await loadCourse(path.join(REPO, "lessons"));
});

describe("day files", () => {
  test("literalHeads reads the literal start of each alternative", () => {
    expect(literalHeads("\\[dedup\\] client \\S+ seq \\d+ is duplicate")).toEqual(["[dedup] client"]);
    expect(literalHeads("\\bretry(ing)?\\b")).toEqual(["retry"]);
    expect(literalHeads("422|409|Idempotent-Replayed")).toEqual(["422", "409", "Idempotent-Replayed"]);
    expect(literalHeads("core: createKvNodeCore from \\S*week-12")).toEqual(["core: createKvNodeCore from"]);
  });

  test("each day file's Proof section asks for every line the lesson's proof patterns and evidence rules look for", async () => {
    const withDayFile = course.lessons.filter((l): l is Lesson & { deliverable: string } => l.deliverable !== undefined && /^week-12\/day\d/.test(l.deliverable) && (l.proof?.regexPatterns.length ?? 0) > 0);
    expect(withDayFile.length).toBeGreaterThanOrEqual(4);
    const missing: string[] = [];
    for (const l of withDayFile) {
      const section = proofSection(await readFile(path.join(REPO, l.deliverable), "utf8"));
      expect({ file: l.deliverable, section: section.trim() !== "" }).toEqual({ file: l.deliverable, section: true });
      for (const p of l.proof!.regexPatterns) {
        const heads = literalHeads(p.source).filter((h) => h !== "");
        if (heads.length > 0 && !heads.some((h) => section.includes(h))) missing.push(`${l.deliverable}: pattern ${p.source} (none of ${heads.map((h) => JSON.stringify(h)).join(", ")})`);
      }
      for (const rule of l.proof!.evidence ?? []) {
        const word = EVIDENCE_WORDS[rule];
        if (word !== undefined && !section.includes(word)) missing.push(`${l.deliverable}: evidence ${rule} (no "${word}")`);
      }
    }
    expect(missing).toEqual([]);
  });

  test("each scenario a day file's Proof section runs is run with the options the lesson's Proof section gives it", async () => {
    /** Each `npx tsx week-12/plug/…` or `npm run … -- SUBCOMMAND` command quoted as code in `text`: the program and its option names. */
    const commands = (text: string) => {
      const code = [
        ...[...text.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.replace(/\\\n\s*/g, " ").split("\n")),
        ...[...text.replace(/```[\s\S]*?```/g, "").matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\s+/g, " ")),
      ];
      return code.flatMap((line) =>
        [...line.matchAll(/(npx tsx week-12\/plug\/\S+|npm run [\w-]+ -- [a-z]+)((?:[ \t]+[^\s;&|]+)*)/g)].map((m) => ({
          program: m[1]!,
          options: [...m[2]!.matchAll(/(?:^|\s)(--?[a-z][\w-]*)/g)].map((o) => o[1]!).sort(),
        })),
      );
    };
    // A day file and a lesson run a scenario through week-12's script (`npm run lost-reply -- --seed 1`, run in
    // week-12/): compared as the program the script runs from the root (`npx tsx week-12/plug/lost-reply.ts --seed 1`).
    const workbookScripts = JSON.parse(await readFile(path.join(REPO, "week-12", "package.json"), "utf8")).scripts as Record<string, string>;
    const asFromRoot = (text: string) =>
      text.replace(/npm run ([\w-]+)(?: --(?=\s|$))?/g, (whole, name: string) => {
        const program = /^cd \.\. && node --import tsx (week-12\/plug\/\S+)$/.exec(workbookScripts[name] ?? "")?.[1];
        return program === undefined ? whole : `npx tsx ${program}`;
      });
    const differ: string[] = [];
    let compared = 0;
    for (const l of course.lessons) {
      if (l.deliverable === undefined || !/^week-12\/day\d/.test(l.deliverable) || l.proof === undefined) continue;
      const lesson = commands(asFromRoot(proofSection(await readFile(path.resolve(REPO, "lessons", l.file), "utf8"))));
      expect({ lesson: l.file, commands: lesson.length > 0 }).toEqual({ lesson: l.file, commands: true });
      for (const c of commands(asFromRoot(proofSection(await readFile(path.join(REPO, l.deliverable), "utf8"))))) {
        const same = lesson.filter((x) => x.program === c.program);
        if (same.length === 0) continue;
        compared++;
        if (!same.some((x) => x.options.join(" ") === c.options.join(" "))) differ.push(`${l.deliverable}: ${c.program} ${c.options.join(" ")}; the lesson: ${same.map((x) => `${x.program} ${x.options.join(" ")}`).join(" | ")}`);
      }
    }
    expect(differ).toEqual([]);
    // The scenarios of the proofs of d02 (kv-cluster start), d03 (lost-reply), d04 (dedup-failover) and d05 (payments-server).
    expect(compared).toBeGreaterThanOrEqual(4);
  });
});
