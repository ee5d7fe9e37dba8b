// The instructor-only markers of a lesson: `<!-- instructor-only -->` and
// `<!-- /instructor-only -->`, each alone on its line, around a passage the
// student release and the course site cut. Pure.

export const INSTRUCTOR_START = /^[ \t]*<!--\s*instructor-only\s*-->[ \t]*$/;
export const INSTRUCTOR_END = /^[ \t]*<!--\s*\/instructor-only\s*-->[ \t]*$/;

/**
 * The first misplaced marker of `markdown` (a marker inside an open passage,
 * a closing marker with no opening one, a passage never closed), with its
 * 1-based line, or undefined when every passage is closed. `firstLine`: the
 * file line `markdown` starts on (a lesson's body starts below its front-matter).
 */
export function instructorMarkerProblem(markdown: string, firstLine = 1): { line: number; message: string } | undefined {
  let openedAt: number | undefined;
  const lines = markdown.split("\n");
  for (const [k, line] of lines.entries()) {
    const lineNo = firstLine + k;
    if (INSTRUCTOR_START.test(line)) {
      if (openedAt !== undefined) return { line: lineNo, message: `<!-- instructor-only --> inside the passage opened at line ${openedAt}; close it with <!-- /instructor-only --> first` };
      openedAt = lineNo;
    } else if (INSTRUCTOR_END.test(line)) {
      if (openedAt === undefined) return { line: lineNo, message: "<!-- /instructor-only --> without an opening <!-- instructor-only -->" };
      openedAt = undefined;
    }
  }
  if (openedAt !== undefined) return { line: openedAt, message: "<!-- instructor-only --> is never closed; end the passage with <!-- /instructor-only -->" };
  return undefined;
}
