// Instructor regexes run on RE2 (re2js): linear time in the input, so no paste
// can make a pattern run away. When RE2 refuses a pattern, its error is mapped
// to the backtracking feature that caused it, with a reason a person can act on.
import { RE2JS } from "re2js";

export type CompiledPattern = { ok: true; source: string; re: RE2JS } | { ok: false; source: string; reason: string };

const FEATURES: { error: RegExp; reason: string }[] = [
  { error: /invalid escape sequence: `\\[1-9]/, reason: "backreferences (\\1..\\9) need backtracking and are not supported by the linear-time engine (RE2); match the repeated text explicitly" },
  { error: /invalid escape sequence: `\\k/, reason: "named backreferences (\\k<name>) need backtracking and are not supported by the linear-time engine (RE2)" },
  { error: /`\(\?<?[=!]/, reason: "lookaround ((?=, (?!, (?<=, (?<!) is not supported by the linear-time engine (RE2); match the surrounding text instead" },
  { error: /`\(\?>/, reason: "atomic groups ((?>...)) are not supported by the linear-time engine (RE2)" },
  { error: /invalid nested repetition operator: `[*+?}]\+/, reason: "possessive quantifiers (*+, ++, ?+) are not supported by the linear-time engine (RE2)" },
];

/** Compiles a pattern case-insensitively (`^`/`$` match at line ends), or says why it cannot run on RE2. */
export function compilePattern(source: string): CompiledPattern {
  try {
    return { ok: true, source, re: RE2JS.compile(source, RE2JS.CASE_INSENSITIVE | RE2JS.MULTILINE) };
  } catch (err) {
    const message = (err as Error).message;
    const feature = FEATURES.find((f) => f.error.test(message));
    return { ok: false, source, reason: feature?.reason ?? `invalid regular expression: ${message}` };
  }
}
