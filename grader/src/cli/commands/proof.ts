import { proofChecker, type ProofResult } from "../../proof/check.js";
import { DEFAULT_MAX_PASTE_BYTES } from "../../proof/input.js";
import { EXIT, InputFileError, json, positiveInt, requireString, unreadableReason, UsageError, UNREADABLE_HELP, type Command } from "../args.js";
import { loadLessonOrExit } from "./course.js";
import { readBounded } from "./read-paste.js";

/**
 * Why a paste could not be read, in words, whatever the failure: as every
 * command says it (unreadableReason), and an EINVAL as a paste.
 */
export function pasteUnreadableReason(err: unknown): string {
  if ((err as NodeJS.ErrnoException | undefined)?.code === "EINVAL") return "the system cannot read this file as a paste (it refused the read as invalid)";
  return unreadableReason(err);
}

export function exitFor(status: ProofResult["status"]): number {
  return status === "pass" ? EXIT.ok : status === "fail" ? EXIT.fail : EXIT.needsReview;
}

export function formatResult(file: string, r: ProofResult): string {
  const out = [`${r.status}: ${file} (lesson ${r.lesson}, score ${r.score ?? "-"}/${r.maxScore})`];
  for (const reason of r.reasons) out.push(`  - ${reason}`);
  for (const [i, p] of r.patterns.entries()) out.push(`  pattern ${i + 1} ${p.matched ? `matched (${p.matches}x)` : "no match"}: ${p.source}`);
  if (r.evidence) {
    const e = r.evidence;
    const read: string[] = [];
    if (e.rules.includes("exactly-once")) read.push(`${e.requests} request(s), ${e.applied} applied, ${e.acknowledged} acknowledged, ${e.duplicates} duplicate(s), ${e.clients} client(s)`);
    if (e.rules.includes("leader-change")) read.push(`${e.leaders ?? 0} leader(s) elected, ${e.stopped ?? 0} node(s) exited`);
    out.push(`  evidence: ${[...read, `${e.violations.length} rule violation(s)`].join(", ")}`);
  }
  return out.join("\n") + "\n";
}

export const proof: Command = {
  name: "proof",
  help: `Usage: grader proof --lesson ID FILE [--lessons DIR] [--max-bytes N] [--json]

Checks a pasted proof log: every regex_patterns entry must match (RE2,
case-insensitive); the evidence in the log must hold, read for the lesson's
proof.evidence rules. exactly-once (the default): no (client, seq) is
applied twice and applied seqs increase per client (else it fails); a
duplicate whose original is not in the paste is a note for review, not a
failure: it sends the paste to review in a manual_or_regex lesson.
leader-change: a leader exits and another node becomes leader for a higher
term after it (else it fails). A line holding several events (two log lines
joined) is a note for review, for either rule, as a duplicate is. A paste that is the lesson's example log, or
nearly (its times and backoffs, other ids), goes to review. Pastes over --max-bytes (default ${DEFAULT_MAX_PASTE_BYTES}),
UTF-16 (with the iconv command that converts it), binary or non-UTF-8 pastes
are refused with a reason (non-UTF-8: the line, column and byte offset of
the first bad byte). FILE must be a regular file (or a symlink to
one): a FIFO or a device is refused before anything is read. A FILE that
cannot be read is named with what happened in words (no such file,
permission denied, a name too long, an input/output error), never the
system's own message.

Lessons with status manual_or_regex send what the regexes do not pass to
review; lessons with no patterns send every paste to review.

Options:
  --lesson ID     the lesson the proof is for (required): its id, or its short
                  name or another piece of its id or title (retry, vote, w11)
  --lessons DIR   the course directory (default: lessons, here or in the nearest parent)
  --max-bytes N   paste size bound in bytes (default: ${DEFAULT_MAX_PASTE_BYTES})
  --json          print the result as JSON
  -h, --help      show this help

Exit codes: 0 pass, 1 fail (also a paste over --max-bytes, refused by its
size, unread), 3 needs-review, 2 usage error, 4 FILE cannot be read.

${UNREADABLE_HELP}
`,
  options: { lesson: { type: "string" }, "max-bytes": { type: "string" } },
  async run(values, positionals, io) {
    const id = requireString(values, "lesson", "proof");
    if (positionals.length !== 1) throw new UsageError("give exactly one paste FILE. Run `grader proof --help` for usage.");
    const file = positionals[0]!;
    const maxBytes = positiveInt(values, "max-bytes", DEFAULT_MAX_PASTE_BYTES);
    const { lesson } = await loadLessonOrExit(String(values.lessons), id, io);
    const checker = proofChecker(lesson, { maxBytes });
    let pasted: { data: Uint8Array; sizeBytes: number };
    try {
      pasted = await readBounded(file, maxBytes);
    } catch (err) {
      const hint = (err as NodeJS.ErrnoException).code === "NOT_A_FILE" ? "; give the paste as a file" : "";
      throw new InputFileError(`cannot read ${file}: ${pasteUnreadableReason(err)}${hint}`, { cause: err });
    }
    const result = checker.check(pasted.data, pasted.sizeBytes, file);
    if (values.json) {
      const { text: _text, ...rest } = result;
      io.stdout(json({ file, ...rest }));
    } else io.stdout(formatResult(file, result));
    return exitFor(result.status);
  },
};
