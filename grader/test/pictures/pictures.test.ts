// `grader lesson pictures`: the committed pictures are what the scenarios draw
// today (the real command with --check), a tampered or missing copy is named,
// and each picture shows what its lesson says it shows.
import { cp, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PICTURES } from "../../src/pictures/index.js";
import { grader, REPO } from "../helpers/cli.js";

const COMMITTED = path.join(REPO, "lessons/pictures");
let copy: string;

beforeAll(async () => {
  copy = await mkdtemp(path.join(tmpdir(), "grader-pictures-"));
  await cp(COMMITTED, copy, { recursive: true });
});

afterAll(async () => {
  if (copy) await rm(copy, { recursive: true, force: true });
});

describe("grader lesson pictures", () => {
  test("--check: the committed pictures are exactly what the scenarios draw (exit 0)", async () => {
    const r = await grader(["lesson", "pictures", "--check"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`3 pictures match ${COMMITTED}\n`);
    expect(r.code).toBe(0);
  });

  test("--check names a tampered picture and a missing one, and exits 1", async () => {
    const tampered = path.join(copy, "split-vote.svg");
    await writeFile(tampered, (await readFile(tampered, "utf8")).replace("term 2", "term 3"));
    await unlink(path.join(copy, "retry-across-leader-crash.svg"));
    const r = await grader(["lesson", "pictures", "--check", "--out", copy]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("split-vote.svg: differs from a fresh drawing\n");
    expect(r.stdout).toContain(`retry-across-leader-crash.svg: missing from ${copy}\n`);
    expect(r.stdout).not.toContain("lost-reply-answered-from-session.svg");
    expect(r.stdout).toContain("2 of 3 pictures are out of date; run `grader lesson pictures` to redraw them\n");
  });

  test("writing into --out gives the committed bytes, twice over", async () => {
    const out = path.join(copy, "fresh");
    const r = await grader(["lesson", "pictures", "--out", out]);
    expect(r.code).toBe(0);
    for (const p of PICTURES) {
      expect(r.stdout).toContain(`wrote ${path.join(out, p.file)}: `);
      expect(await readFile(path.join(out, p.file), "utf8")).toBe(await readFile(path.join(COMMITTED, p.file), "utf8"));
    }
  });

  test("an --out that cannot take the pictures is refused before they are drawn (exit 4), under /proc too, where a recursive mkdir never returns", async () => {
    const file = path.join(copy, "a-file");
    await writeFile(file, "x");
    const underFile = await grader(["lesson", "pictures", "--out", path.join(file, "sub")]);
    expect(underFile.code).toBe(4);
    expect(underFile.stderr).toBe(`grader lesson pictures: --out ${path.join(file, "sub")}: ${file} exists and is not a directory; give a directory for the outputs\n`);
    const proc = await grader(["lesson", "pictures", "--out", "/proc/grader-no-such/pictures"]);
    expect(proc.code).toBe(4);
    expect(proc.stderr).toBe(
      "grader lesson pictures: --out /proc/grader-no-such/pictures: cannot create the directory /proc/grader-no-such: this file system does not allow it (ENOENT); give a directory you can write to\n",
    );
    expect(proc.stdout).toBe("");
  });

  test("--help documents the pictures and --check; a stray argument is a usage error", async () => {
    const help = await grader(["lesson", "pictures", "--help"]);
    expect(help.code).toBe(0);
    for (const p of PICTURES) expect(help.stdout).toContain(p.file);
    expect(help.stdout).toContain("--check");
    const bad = await grader(["lesson", "pictures", "extra"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unexpected argument "extra"');
  });
});

describe("what each picture shows", () => {
  const svg = (file: string): Promise<string> => readFile(path.join(COMMITTED, file), "utf8");

  test("the lost reply: the reply dropped, the retry answered from the session, the [dedup] line beside it", async () => {
    const s = await svg("lost-reply-answered-from-session.svg");
    expect(s).toMatch(/append_ok seq 3 \[dropped: lost-reply\]/);
    expect(s).toMatch(/append &quot;c1:3&quot; seq 3 \(retry 1\)/);
    expect(s).toMatch(/append_ok seq 3 \[from the session\]/);
    expect(s).toContain("[dedup] client c1 seq 3 is duplicate, returning cached result");
    expect(s).toContain("lose replies after apply p=1");
  });

  test("the leader crash: the kill labelled as the tools label it, the attempts, the backoff, the redirect, the answer from the session", async () => {
    const s = await svg("retry-across-leader-crash.svg");
    expect(s).toMatch(/SIGKILL n\d \(leader\) at \d+ ms/);
    expect(s).toContain("lose replies after apply p=1");
    expect(s).toMatch(/#1 → n\d: timeout \(applied; reply lost\)/);
    expect(s).toMatch(/backoff \d+ ms/);
    expect(s).toMatch(/#2 → n\d: redirect to n\d/);
    expect(s).toMatch(/#3 → n\d: ok, from the session/);
    expect(s).toMatch(/n\d elected leader for term 2/);
    expect(s).toMatch(/n\d \[dedup\] client c1 seq \d is duplicate, returning cached result/);
  });

  test("the split vote: two candidates in term 1 without a majority, then term 2 elects a leader", async () => {
    const s = await svg("split-vote.svg");
    expect(s.match(/term 1: 2 of 4 votes/g)).toHaveLength(2);
    expect(s).toMatch(/election timeout: n\d starts term 2/);
    expect(s).toMatch(/vote granted \(term 2\)/);
  });

  test("standalone and deterministic: no script, no external reference, generic fonts only", async () => {
    for (const p of PICTURES) {
      const s = await svg(p.file);
      expect(s.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(s).not.toMatch(/<script|href=|url\((?!#)/);
      expect([...s.matchAll(/font-family="([^"]+)"/g)].map((m) => m[1]).every((f) => f === "sans-serif" || f === "monospace")).toBe(true);
    }
  });
});
