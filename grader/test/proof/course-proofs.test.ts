/**
 * The course's own proofs through the real `grader proof`: each lesson's
 * proof rules against a real run of what its Proof section asks for (the
 * fixtures are real output, see fixtures/README.md) and against the forgeries
 * the rules are there to catch.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FIXTURES, grader, REPO } from "../helpers/cli.js";

const RETRY = "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h";
const VOTE = "w12-leader-election-client-idempotency-d02-quest-vote-rules-2h";
const RETRY_LESSON = path.join(REPO, "lessons/w12-leader-election-client-idempotency/d03-quest-client-retry-idempotency.md");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dslab-course-proofs-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function paste(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

const fixture = (name: string) => readFile(path.join(FIXTURES, name), "utf8");

/** The `text lost-reply --seed N` block of the retry lesson's Proof section. */
async function lessonExample(): Promise<string> {
  const text = await readFile(RETRY_LESSON, "utf8");
  return /```text lost-reply --seed \d+\n([\s\S]*?)```/.exec(text)![1]!;
}

describe(`${RETRY}: the lost-reply proof`, () => {
  test("a genuine paste (seed 1234) passes with no reason", async () => {
    const r = await grader(["proof", "--lesson", RETRY, path.join(FIXTURES, "lost-reply/seed-1234.txt")]);
    expect({ code: r.code, out: r.stdout.split("\n").slice(0, 2) }).toMatchObject({ code: 0, out: [expect.stringMatching(/^pass: /), expect.stringMatching(/^ {2}pattern 1 matched/)] });
  });

  test("a retry applied twice goes to review with the broken evidence rule and its line as the first reason, in `proof` and in the gradebook", async () => {
    const good = await fixture("lost-reply/seed-1234.txt");
    const id = /client_id=(\d+)/.exec(good)![1]!;
    const text = `${good}n3 | [apply] client ${id} seq 9\nn3 | [apply] client ${id} seq 9\n`;
    const file = await paste("twice.txt", text);
    const r = await grader(["proof", "--lesson", RETRY, file, "--json"]);
    expect(r.code).toBe(3);
    const first = JSON.parse(r.stdout).reasons[0] as string;
    expect(first).toMatch(/^an evidence rule is broken \(line 7: client \d+ seq 9 applied again \(first applied on line 6\)/);
    expect(first).toContain("sent to review (status: manual_or_regex)");
    expect(first).not.toContain("regex checks");

    const pastes = path.join(dir, "class");
    const out = path.join(dir, "grades");
    await rm(pastes, { recursive: true, force: true });
    await mkdir(pastes);
    await writeFile(path.join(pastes, "bob.txt"), text);
    const g = await grader(["proofs", "--lesson", RETRY, pastes, "--out", out, "--now", "2026-11-24T10:00:00Z"]);
    expect(g.code, g.stderr).toBe(0);
    const rows = JSON.parse(await readFile(path.join(out, "gradebook.json"), "utf8")).rows as { student: string; reasons: string[] }[];
    expect(rows.find((row) => row.student === "bob")!.reasons[0]).toBe(first);
  });

  test("the lesson's example with one digit of the client id changed is nearly the example: needs review, saying so", async () => {
    const example = await lessonExample();
    const id = /client_id=(\d+)/.exec(example)![1]!;
    const changed = id.slice(0, -1) + String((Number(id.at(-1)) + 1) % 10);
    const file = await paste("copied2.txt", example.replaceAll(id, changed));
    const r = await grader(["proof", "--lesson", RETRY, file]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^needs-review: /);
    expect(r.stdout).toMatch(/the paste is nearly the lesson's example log \(similarity 1\.00 .*\); a real run has its own times and backoffs/);
  });

  test("the lesson's example verbatim still goes to review as a copy", async () => {
    const r = await grader(["proof", "--lesson", RETRY, await paste("copied.txt", await lessonExample())]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("the paste contains the lesson's example log (7 lines) verbatim");
  });
});

describe(`${VOTE}: the proof is an election after the leader was killed`, () => {
  test("a real `kv-cluster start` log with the leader killed and the next election passes", async () => {
    const r = await grader(["proof", "--lesson", VOTE, path.join(FIXTURES, "election/leader-killed.txt")]);
    expect({ code: r.code, first: r.stdout.split("\n")[0] }).toMatchObject({ code: 0, first: expect.stringMatching(/^pass: /) });
    expect(r.stdout).toContain("evidence: 2 leader(s) elected, 1 node(s) exited, 0 rule violation(s)");
  });

  test("a log of the reference cluster (started without --core) does not pass: nothing shows the election ran the student's vote rules", async () => {
    const r = await grader(["proof", "--lesson", VOTE, path.join(FIXTURES, "election/reference-core.txt"), "--json"]);
    expect(r.code).not.toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.status).not.toBe("pass");
    expect(JSON.stringify(result.reasons)).toContain("vote-core");
  });

  test("the same log up to the first election (no leader killed) does not pass: no leader stops", async () => {
    const r = await grader(["proof", "--lesson", VOTE, path.join(FIXTURES, "election/first-election.txt"), "--json"]);
    expect(r.code).toBe(3);
    const result = JSON.parse(r.stdout);
    expect(result.status).toBe("needs-review");
    expect(result.reasons[0]).toMatch(/^an evidence rule is broken \(line 31: n1 leads term 1, but no leader stops in the paste/);
  });

  test("two made-up lines matching both patterns do not pass", async () => {
    const file = await paste("forged.txt", "n1 | became candidate for term 2\nn1 | became leader for term 2\n");
    const r = await grader(["proof", "--lesson", VOTE, file]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("no leader stops in the paste");
  });

  test("a killed leader with no election after it does not pass", async () => {
    const log = (await fixture("election/leader-killed.txt")).split("\n");
    const exited = log.findIndex((l) => / exited \(SIGKILL\)/.test(l));
    const r = await grader(["proof", "--lesson", VOTE, await paste("no-new-leader.txt", log.slice(0, exited + 1).join("\n"))]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/line \d+: n1, leader of term 1, exited, but no other node becomes leader for a higher term after it/);
  });

  test("a second leader of a term padded past 4,096 characters goes to review naming its line, not skipped", async () => {
    const log = await fixture("election/leader-killed.txt");
    const lines = log.split("\n").length;
    const file = await paste("padded-leader.txt", `${log}n3 | became leader for term 2${" ".repeat(5000)}x\n`);
    const r = await grader(["proof", "--lesson", VOTE, file, "--json"]);
    expect(r.code).toBe(3);
    const result = JSON.parse(r.stdout);
    expect(result.status).toBe("needs-review");
    expect(result.reasons).toContain(`evidence to review: line ${lines} is over 4,096 characters, longer than a log line: not read for evidence; check it by hand`);
  });

  test("the real log with the first leader's line and the cluster's line about it joined goes to review naming the line (exit 3)", async () => {
    const lines = (await fixture("election/leader-killed.txt")).split("\n");
    const elected = lines.indexOf("n1 | became leader for term 1");
    expect(lines[elected + 1]).toBe("cluster | leader is now n1 (term 1)");
    const joined = [...lines.slice(0, elected), `${lines[elected]} ${lines[elected + 1]}`, ...lines.slice(elected + 2)];
    const r = await grader(["proof", "--lesson", VOTE, await paste("joined-leader.txt", joined.join("\n")), "--json"]);
    expect(r.code, r.stderr).toBe(3);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ status: "needs-review", score: null, evidence: { violations: [] } });
    expect(result.reasons).toEqual([
      `evidence to review: line ${elected + 1} holds 2 events, read as: leader n1 term 1; leader n1 term 1. A log prints one event a line: which words between two events belong to which is read from the line's layout, so check the line by hand`,
    ]);
  });

  test("unrelated `[dedup]` lines in the log raise no exactly-once note: those rules are not this lesson's", async () => {
    const log = await fixture("election/leader-killed.txt");
    const file = await paste("with-dedup.txt", `${log}n1 | [dedup] client c77 seq 3 is duplicate, returning cached result\n`);
    const r = await grader(["proof", "--lesson", VOTE, file]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("c77");
  });
});

describe("w11-l04: the node program's output for one write sent twice", () => {
  test("the exact output of step 7 passes with no note: the first write_ok to c1 comes before the [dedup] line", async () => {
    const r = await grader(["proof", "--lesson", "w11-l04", path.join(FIXTURES, "node/write-twice.txt"), "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "pass", reasons: [] });
  });

  test("the lesson's quoted order (both replies, then the [dedup] line) passes with no note too", async () => {
    const lines = (await fixture("node/write-twice.txt")).trimEnd().split("\n");
    const dedup = lines.find((l) => l.includes("[dedup]"))!;
    const file = await paste("quoted-order.txt", [...lines.filter((l) => l !== dedup), dedup].join("\n"));
    const r = await grader(["proof", "--lesson", "w11-l04", file, "--json"]);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "pass", reasons: [] });
  });

  test("a [dedup] line with no earlier reply to that client still gets the note: the original is not shown", async () => {
    const lines = (await fixture("node/write-twice.txt")).trimEnd().split("\n");
    const dedup = lines.find((l) => l.includes("[dedup]"))!;
    for (const text of [dedup, [dedup, ...lines.filter((l) => l !== dedup)].join("\n")]) {
      const r = await grader(["proof", "--lesson", "w11-l04", await paste("bare.txt", text), "--json"]);
      expect(JSON.parse(r.stdout).reasons).toEqual([expect.stringMatching(/^evidence to review: line 1: duplicate of client c1 seq 1, but the paste shows no earlier request/)]);
    }
  });
});
