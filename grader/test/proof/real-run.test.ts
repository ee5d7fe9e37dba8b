/**
 * The proofs the lessons ask for can be produced by following the lessons: a
 * real lost-reply run (the reference cluster and retrying client in the
 * seeded simulator, the reply of an applied write dropped by hand, then the
 * leader killed) prints the lines a student copies, and the regex_patterns
 * and the evidence rules of every lesson whose proof is a cluster log pass
 * on them through the grader's own proof checker: the lost-reply proofs
 * (idempotent writes, client retry, dedup store) on the copied attempt and
 * dedup lines, the vote-rules proof on the election after the kill.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_CONFIG, runInProcess, type NemesisOp } from "@dslab/sim";
import { beforeAll, describe, expect, test } from "vitest";
import { loadCourse, type Course } from "../../src/lesson/load.js";
import type { Lesson } from "../../src/lesson/model.js";
import { proofChecker } from "../../src/proof/check.js";
import { findSimilar } from "../../src/proof/similarity.js";
import { ATTEMPT_LOG_SINK } from "../helpers/attempt-log-client.js";
import { withPatterns } from "../helpers/lessons.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const LESSONS = path.resolve(here, "../../../lessons");
const CLIENT_MODULE = path.resolve(here, "../helpers/attempt-log-client.ts");
const enc = (s: string) => new TextEncoder().encode(s);
const QUEST = "w12-leader-election-client-idempotency";
/** Lessons whose proof is the lines of a lost-reply run. */
const LOST_REPLY_PROOFS = ["w11-l04", `${QUEST}-d03-quest-client-retry-idempotency-2h`, `${QUEST}-d04-quest-dedup-store-2h`];
/** The lesson whose proof is the election that follows a killed leader. */
const ELECTION_PROOF = `${QUEST}-d02-quest-vote-rules-2h`;
/** The lesson whose proof is an HTTP exchange with the payments server, not a cluster log. */
const HTTP_PROOF = `${QUEST}-d05-quest-idempotency-keys-2h`;

/** The day-3 scenario: replies of applied writes are lost, the leader dies, the retries reach the new leader. */
const LOST_REPLY: NemesisOp[] = [
  { atMs: 1_500, op: "lose-reply", probability: 1 },
  { atMs: 1_700, op: "kill", target: "leader", slot: "k1" },
  { atMs: 1_900, op: "lose-reply", probability: 0 },
  { atMs: 3_000, op: "restart", slot: "k1" },
  { atMs: 4_000, op: "heal" },
];

interface Run {
  /** Every line, in the order the run printed them: node lines (`n2 [dedup] ...`) and the clients' attempt lines. */
  log: string[];
  valid: boolean;
}

async function lostReplyRun(seed: string): Promise<Run> {
  const log: string[] = [];
  const g = globalThis as { [ATTEMPT_LOG_SINK]?: (line: string) => void };
  g[ATTEMPT_LOG_SINK] = (line) => log.push(line);
  try {
    const a = await runInProcess(
      { ...DEFAULT_CONFIG, seed, timeLimitS: 4, workload: "exactly-once", client: CLIENT_MODULE },
      { schedule: LOST_REPLY, onLog: (line) => log.push(line) },
    );
    return { log, valid: a.results!.verdict === "valid" };
  } finally {
    delete g[ATTEMPT_LOG_SINK];
  }
}

/**
 * What a student copies, as the day-3 lesson's Proof section says: the client's
 * attempt lines for one operation whose reply was lost (its first attempt timed
 * out) and whose retry a node answered from the session (`[dedup] ... is
 * duplicate`), the node lines about it, and the leader changes around it.
 */
function studentPaste(log: readonly string[]): { paste: string; client: string; seq: string } {
  for (const line of log) {
    const dedup = /\[dedup\] client (\S+) seq (\d+) is duplicate, returning cached result$/.exec(line);
    if (!dedup) continue;
    const [, client, seq] = dedup as unknown as [string, string, string];
    const attempts = log.filter((l) => l.startsWith(`client_id=${client} seq=${seq} `));
    if (!attempts[0]?.includes(" attempt=1 ") || !attempts[0].includes("outcome=timeout")) continue;
    if (!attempts.slice(1).some((l) => /outcome=\w+_ok\b/.test(l))) continue;
    const lines = log.filter((l) => attempts.includes(l) || l.includes(`client ${client} seq ${seq} `) || /became leader for term \d+/.test(l));
    return { paste: lines.join("\n"), client, seq };
  }
  throw new Error("the run answered no retry from a session: no [dedup] line for an operation whose first attempt timed out and a later one succeeded");
}

/** What a student copies for the vote-rules proof: the election lines, as that lesson's Proof section lists them. */
function electionPaste(log: readonly string[]): string {
  return log.filter((l) => /election timeout|became candidate for term \d+|voted for \S+ in term \d+|became leader for term \d+/.test(l)).join("\n");
}

describe("a real lost-reply run gives the proofs the lessons ask for", () => {
  let run: Run;
  let copied: { paste: string; client: string; seq: string };
  let course: Course;

  beforeAll(async () => {
    course = await loadCourse(LESSONS);
    run = await lostReplyRun("grader-lost-reply");
    copied = studentPaste(run.log);
  });

  test("the run is valid and the copied lines show the lost reply, the dedup answer and the successful retry of one operation", () => {
    expect(run.valid).toBe(true);
    const { paste, client, seq } = copied;
    expect(paste).toMatch(new RegExp(`^client_id=${client} seq=${seq} attempt=1 .*outcome=timeout\\(\\d+ms\\) action=retry`, "m"));
    expect(paste).toMatch(new RegExp(`^n\\d \\[dedup\\] client ${client} seq ${seq} is duplicate, returning cached result$`, "m"));
    expect(paste).toMatch(new RegExp(`^client_id=${client} seq=${seq} attempt=[2-9] .*outcome=\\w+_ok`, "m"));
    expect(paste).toMatch(/^n\d became leader for term \d+$/m);
  });

  test("every lesson whose proof is a lost-reply log passes on the copied lines: its patterns match and the evidence holds", async () => {
    const lessons = LOST_REPLY_PROOFS.map((id) => course.lessons.find((l) => l.id === id)!);
    expect(lessons.every((l) => l !== undefined && (l.proof?.regexPatterns.length ?? 0) > 0)).toBe(true);
    const verdicts = lessons.map((lesson) => {
      const r = proofChecker(lesson).check(enc(copied.paste));
      return { lesson: lesson.id, status: r.status, reasons: r.reasons, unmatched: r.patterns.filter((p) => !p.matched).map((p) => p.source) };
    });
    expect(verdicts).toEqual(lessons.map((l) => ({ lesson: l.id, status: "pass", reasons: [], unmatched: [] })));
  });

  test("the vote-rules lesson does not pass the simulated run's election lines: they show leaders, but no leader exiting (its proof is a kv-cluster log, see course-proofs.test.ts)", () => {
    const lesson = course.lessons.find((l) => l.id === ELECTION_PROOF)!;
    const paste = electionPaste(run.log);
    expect(paste).toMatch(/became candidate for term \d+/);
    const r = proofChecker(lesson).check(enc(paste));
    expect(r.status).toBe("needs-review");
    expect(r.evidence?.violations.map((v) => v.rule)).toEqual(["no-leader-stopped"]);
  });

  test("lesson w11-l04 (idempotent writes) passes on the copied lines, and on the dedup line with the attempt it answers", () => {
    const w11l04: Lesson = withPatterns("w11-l04", ["duplicate|idempotent|cached|dedup", "client_id|seq"]);
    expect(proofChecker(w11l04).check(enc(copied.paste))).toMatchObject({ status: "pass", reasons: [] });
    const dedup = copied.paste.split("\n").filter((l) => l.includes("[dedup]") || l.includes("attempt=1 "));
    expect(proofChecker(w11l04).check(enc(dedup.join("\n")))).toMatchObject({ status: "pass", reasons: [] });
  });

  test("the whole log of the run, pasted as it is, holds the evidence rules for every lesson whose proof is a lost-reply log", async () => {
    const whole = run.log.join("\n");
    for (const id of LOST_REPLY_PROOFS) {
      const lesson = course.lessons.find((l) => l.id === id)!;
      const r = proofChecker(lesson).check(enc(whole));
      expect({ lesson: lesson.id, status: r.status, violations: r.evidence?.violations, toReview: r.evidence?.toReview }).toEqual({
        lesson: lesson.id, status: "pass", violations: [], toReview: [],
      });
    }
  });

  test("the idempotency-keys lesson, whose proof is an HTTP exchange, sends a cluster log to review (manual_or_regex), never passes it", () => {
    const lesson = course.lessons.find((l) => l.id === HTTP_PROOF)!;
    expect(lesson.proof?.status).toBe("manual_or_regex");
    expect(proofChecker(lesson).check(enc(run.log.join("\n"))).status).toBe("needs-review");
  });

  test("lessons without regex patterns send the paste to review, as their front-matter says", async () => {
    const { lessons } = course;
    for (const lesson of lessons.filter((l) => (l.proof?.regexPatterns.length ?? 0) === 0)) {
      expect(proofChecker(lesson).check(enc(copied.paste)).status).toBe("needs-review");
    }
  });

  test("two students' runs of the scenario are not near-duplicates; a copy of one with a number and a space changed is", async () => {
    const other = studentPaste((await lostReplyRun("grader-lost-reply-second-student")).log);
    expect(other.client).not.toBe(copied.client);
    const copy = copied.paste.replace(/t_ms=(\d+)/, (_m, ms: string) => `t_ms=${Number(ms) + 1}`).replace(" [dedup]", "  [dedup]");
    expect(copy).not.toBe(copied.paste);
    const pairs = findSimilar([{ id: "alice", text: copied.paste }, { id: "bob", text: other.paste }, { id: "zoe", text: copy }]);
    expect(pairs).toEqual([{ a: "alice", b: "zoe", similarity: 1, identical: false, sharedOrigin: `both name client ${copied.client}` }]);
  });
});
