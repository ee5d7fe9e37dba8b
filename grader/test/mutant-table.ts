/**
 * The mutant catalogue as week-12/README.md shows it: one row per mutant in
 * grader/test/mutants/ (its name, its mistake, the criterion that catches
 * it) and the score. The catalogue test holds the README to this; after
 * adding a mutant, rewrite the section with
 *
 *   npx tsx grader/test/mutant-table.ts --write
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Mutant } from "./mutants/mutant.js";

export const MUTANTS_DIR = fileURLToPath(new URL("./mutants/", import.meta.url));
export const WORKBOOK_README = fileURLToPath(new URL("../../week-12/README.md", import.meta.url));
export const START = "<!-- mutants:start -->";
export const END = "<!-- mutants:end -->";

export interface CatalogueEntry {
  name: string;
  file: string;
  mutant: Mutant;
}

/** The mutant files on disk (every .ts beside mutant.ts), by name. */
export function mutantFiles(): { name: string; file: string }[] {
  return readdirSync(MUTANTS_DIR)
    .filter((f) => f.endsWith(".ts") && f !== "mutant.ts")
    .sort()
    .map((f) => ({ name: f.slice(0, -3), file: `${MUTANTS_DIR}${f}` }));
}

export async function loadCatalogue(): Promise<CatalogueEntry[]> {
  const out: CatalogueEntry[] = [];
  for (const { name, file } of mutantFiles()) {
    const { MUTANT } = (await import(pathToFileURL(file).href)) as { MUTANT: Mutant };
    out.push({ name, file, mutant: MUTANT });
  }
  return out;
}

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

/** The README section between the markers (markers included). */
export function catalogueSection(entries: readonly CatalogueEntry[]): string {
  const lines = [
    START,
    "## Mutants",
    "",
    "Each mutant in `grader/test/mutants/` is a reference solution with one",
    "plausible mistake. The catalogue test runs every one through the checks of",
    "`npm run check` and requires the named criterion to fail with a message that",
    "names the mistake.",
    "",
    "| Mutant | Mistake | Caught by |",
    "| --- | --- | --- |",
    ...entries.map((e) => `| \`${e.name}\` | ${cell(e.mutant.mistake)} | \`${e.mutant.caughtBy.criterion}\` |`),
    "",
    `Score: ${entries.length} of ${entries.length} caught.`,
    END,
  ];
  return lines.join("\n");
}

/** The section as the README has it now, or undefined without markers. */
export function readmeSection(text: string): string | undefined {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  return start === -1 || end < start ? undefined : text.slice(start, end + END.length);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv.includes("--write")) {
  const section = catalogueSection(await loadCatalogue());
  const text = readFileSync(WORKBOOK_README, "utf8");
  const old = readmeSection(text);
  writeFileSync(WORKBOOK_README, old === undefined ? `${text.trimEnd()}\n\n${section}\n` : text.replace(old, section));
  process.stdout.write(`wrote the mutant catalogue (${section.split("\n").filter((l) => l.startsWith("| `")).length} mutants) into ${WORKBOOK_README}\n`);
}
