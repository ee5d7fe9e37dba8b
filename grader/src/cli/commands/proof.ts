import { getSystemErrorMap } from "node:util";
import { proofChecker, type ProofResult } from "../../proof/check.js";
import { DEFAULT_MAX_PASTE_BYTES } from "../../proof/input.js";
import { EXIT, InputFileError, json, positiveInt, requireString, unreadableReason, UsageError, UNREADABLE_HELP, type Command } from "../args.js";
import { loadLessonOrExit } from "./course.js";
import { readBounded } from "./read-paste.js";

/**
 * What each system error means for a paste that was not read, in words, as
 * `no such file` and `permission denied` say it (unreadableReason): the rare
 * ones too, so no read shows the system's own `EIO: i/o error, read`.
 */
const SYSTEM_REASONS: Record<string, string> = {
  EIO: "reading it failed with an input/output error (of the disk, network share or device it is on)",
  ENAMETOOLONG: "its name is too long for the file system",
  EPERM: "the system does not permit reading it",
  EISDIR: "it is a directory, not a regular file",
  ENXIO: "the device it is on is not there",
  ENODEV: "the device it is on is not there",
  EMFILE: "too many files are open in this process to open it",
  ENFILE: "too many files are open on this system to open it",
  ENOMEM: "the system ran out of memory while reading it",
  EBUSY: "the system holds it busy",
  EAGAIN: "it was not ready to be read; try again",
  EINTR: "its read was interrupted; try again",
  ETIMEDOUT: "reading it timed out (the network file system it is on did not answer)",
  ESTALE: "the network file system it is on no longer knows it (a stale file handle)",
  EOVERFLOW: "it is too large for the system to read",
  EFBIG: "it is too large for the system to read",
  EINVAL: "the system cannot read this file as a paste (it refused the read as invalid)",
};

/**
 * Why a paste could not be read, in words, whatever the failure: a path that
 * is not a regular file as ReadRegularError says it, the common system errors
 * as the other inputs say them (unreadableReason), the rare ones from
 * SYSTEM_REASONS, and any other one from the system's description of its code
 * (`the system could not read it: cross-device link not permitted (EXDEV)`),
 * never the system's message with its call and path.
 */
export function pasteUnreadableReason(err: unknown): string {
  const e = (err ?? {}) as NodeJS.ErrnoException;
  const code = typeof e.code === "string" ? e.code : undefined;
  if (code === "NOT_A_FILE" || code === "ENOENT" || code === "EACCES" || code === "ENOTDIR" || code === "ELOOP") return unreadableReason(err);
  if (code !== undefined && Object.hasOwn(SYSTEM_REASONS, code)) return SYSTEM_REASONS[code]!;
  const errno = typeof e.errno === "number" ? e.errno : undefined;
  const described = errno === undefined ? undefined : getSystemErrorMap().get(errno);
  if (code !== undefined && described?.[0] === code) return `the system could not read it: ${described[1]} (${code})`;
  return code !== undefined && /^E[A-Z0-9]+$/.test(code) ? `the system could not read it (${code})` : "the system could not read it";
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
term after it (else it fails). A paste that is the lesson's example log, or
nearly (its times and backoffs, other ids), goes to review. Pastes over --max-bytes (default ${DEFAULT_MAX_PASTE_BYTES}),
UTF-16 (with the iconv command that converts it), binary or non-UTF-8 pastes
are refused with a reason. FILE must be a regular file (or a symlink to
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
    const result = checker.check(pasted.data, pasted.sizeBytes);
    if (values.json) {
      const { text: _text, ...rest } = result;
      io.stdout(json({ file, ...rest }));
    } else io.stdout(formatResult(file, result));
    return exitFor(result.status);
  },
};
