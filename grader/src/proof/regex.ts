// Instructor regexes run on RE2 (re2js): linear time in the input, so no paste
// can make a pattern run away. Features RE2 lacks are named with a reason.
import { RE2JS } from "re2js";

export type CompiledPattern = { ok: true; source: string; re: RE2JS } | { ok: false; source: string; reason: string };

const UNSUPPORTED: { test: RegExp; reason: string }[] = [
  { test: /(?<!\\)(?:\\\\)*\\[1-9]/, reason: "backreferences (\\1..\\9) need backtracking and are not supported by the linear-time engine (RE2); match the repeated text explicitly" },
  { test: /(?<!\\)(?:\\\\)*\\k</, reason: "named backreferences (\\k<name>) need backtracking and are not supported by the linear-time engine (RE2)" },
  { test: /(?<!\\)(?:\\\\)*\(\?<?[=!]/, reason: "lookaround ((?=, (?!, (?<=, (?<!) is not supported by the linear-time engine (RE2); match the surrounding text instead" },
  { test: /(?<!\\)(?:\\\\)*\(\?>/, reason: "atomic groups ((?>...)) are not supported by the linear-time engine (RE2)" },
  { test: /[*+?}](?<!\\[*+?}])\+/, reason: "possessive quantifiers (*+, ++, ?+) are not supported by the linear-time engine (RE2)" },
];

/** Compiles a pattern case-insensitively, or says why it cannot run on RE2. */
export function compilePattern(source: string): CompiledPattern {
  for (const u of UNSUPPORTED) if (u.test.test(source)) return { ok: false, source, reason: u.reason };
  try {
    return { ok: true, source, re: RE2JS.compile(source, RE2JS.CASE_INSENSITIVE | RE2JS.MULTILINE) };
  } catch (err) {
    return { ok: false, source, reason: `invalid regular expression: ${(err as Error).message}` };
  }
}
