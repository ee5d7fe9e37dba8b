/**
 * The dedup node program in both languages a student may choose: the Python
 * starter's reference solution (node/main.py) passes the same process-mode
 * checks as node/main.ts on the TypeScript solution; both print the same
 * lines for the same input; a bad line gets an error reply or a stderr line
 * and the node keeps serving; the untouched Python starter is reported as
 * "not implemented yet". These hold the instructor's solutions and starters
 * to each other, so they live with the grader, not in the student's tests.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DEDUP_STORE_CHECKS } from "../../../week-12/checks/dedup-store.js";
import { runCheck } from "../../../week-12/checks/run.js";
import { expectCheckPasses, testContext } from "../../../week-12/checks/vitest.js";
import { openWorkbook, REPOSITORY_ROOT } from "../../../week-12/checks/workbook.js";

const D04 = "w12-leader-election-client-idempotency-d04-quest-dedup-store-2h";
const check = (n: number) => DEDUP_STORE_CHECKS.find((c) => c.criterion === `${D04}#${n}`)!;

const savedNode = process.env.DSLAB_NODE;
const savedWorkbook = process.env.DSLAB_WORKBOOK;
process.env.DSLAB_WORKBOOK = "solution";
afterAll(() => {
  if (savedWorkbook === undefined) delete process.env.DSLAB_WORKBOOK;
  else process.env.DSLAB_WORKBOOK = savedWorkbook;
});
afterEach(() => {
  if (savedNode === undefined) delete process.env.DSLAB_NODE;
  else process.env.DSLAB_NODE = savedNode;
});

const INPUT = [
  '{"src":"c9","dest":"n1","body":{"type":"write","msg_id":1,"key":"x","value":1}}',
  '{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}',
  '{"src":"c1","dest":"n1","body":{"type":"write","msg_id":2,"key":"x","value":1,"client_id":"c1","seq":1}}',
  '{"src":"c1","dest":"n1","body":{"type":"append","msg_id":3,"key":"l","value":{"v":[1.5,2.0,"é"]},"client_id":"c1","seq":2}}',
  '{"src":"c1","dest":"n1","body":{"type":"append","msg_id":4,"key":"l","value":{"v":[1.5,2.0,"é"]},"client_id":"c1","seq":2}}',
  '{"src":"c1","dest":"n1","body":{"type":"write","msg_id":5,"key":"x","value":9,"client_id":"c1","seq":1}}',
  '{"src":"c2","dest":"n1","body":{"type":"read","msg_id":6,"key":"l","client_id":"c1","seq":2}}',
  '{"src":"c2","dest":"n1","body":{"type":"read","msg_id":7,"key":7}}',
  '{"src":"c2","dest":"n1","body":{"type":"cas","msg_id":8,"key":"x","from":1,"to":2}}',
  '{"src":"c2","dest":"n1","body":{"type":"write","msg_id":9,"key":"x","value":1,"seq":3}}',
  '{"src":"c2","dest":"n1","body":{"type":"write","msg_id":-1,"key":"x","value":1}}',
  '{"src":"c2","dest":"n2","body":{"type":"read","msg_id":10,"key":"x"}}',
  '{"src":"c2","dest":"n1","body":"nope"}',
  "not json",
  "",
  '{"src":"c2","dest":"n1","body":{"type":"write","msg_id":11,"key":"big","value":[12345678901234567890,1e20,0.25]}}',
  '{"src":"c2","dest":"n1","body":{"type":"read","msg_id":12,"key":"big"}}',
];

function run(argv: string[], input: string) {
  return spawnSync(argv[0]!, argv.slice(1), {
    cwd: REPOSITORY_ROOT,
    input,
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, DSLAB_WORKBOOK: "solution", DSLAB_DEDUP_STORE: "" },
  });
}

describe("the Python node program under the process-mode checks", () => {
  for (const n of [1, 2, 5]) {
    it(`${D04}#${n} passes with node/main.py (DSLAB_NODE=python): ${check(n).title}`, async () => {
      process.env.DSLAB_NODE = "python";
      await expectCheckPasses(check(n));
    });
  }

  it(`${D04}#5 an unwritten Python stub is reported as not implemented yet, naming its function`, async () => {
    process.env.DSLAB_NODE = "python";
    const ctx = { ...testContext(), workbook: openWorkbook() };
    const r = await runCheck(check(5), ctx);
    expect(r.status).toBe("todo");
    expect(r.message).toBe(`not implemented yet: handle_request (${D04}, criterion 5)`);
  });
});

describe("the node program", () => {
  it("main.ts and main.py print the same lines, on stdout and stderr, for the same input, bad lines included", () => {
    const input = `${INPUT.join("\n")}\n`;
    const ts = run([process.execPath, "--import", "tsx", join(REPOSITORY_ROOT, "week-12", "node", "main.ts")], input);
    const py = run(["python3", join(REPOSITORY_ROOT, "grader", "solutions", "week-12", "node", "main.py")], input);
    expect(ts.status).toBe(0);
    expect(py.status).toBe(0);
    expect(py.stdout).toBe(ts.stdout);
    expect(py.stderr).toBe(ts.stderr);
    const lines = ts.stdout.trim().split("\n");
    expect(lines).toHaveLength(15);
    expect(lines[0]).toBe('{"src":"n1","dest":"c9","body":{"type":"error","code":11,"text":"not initialized: send init first","in_reply_to":1,"msg_id":0}}');
    expect(lines[4]).toBe(lines[3]!.replace('"in_reply_to":3,"msg_id":3', '"in_reply_to":4,"msg_id":4'));
    expect(lines[14]).toBe('{"src":"n1","dest":"c2","body":{"type":"read_ok","value":[12345678901234567000,100000000000000000000,0.25],"in_reply_to":12,"msg_id":14}}');
    expect(ts.stderr).toContain("n1 | [dedup] client c1 seq 2 is duplicate, returning cached result");
    expect(ts.stderr).toContain("n1 | [dedup] client c1 seq 1 is stale (last applied seq 2), refused");
    expect(ts.stderr).toContain("n1 | bad input line 14: not JSON; skipped");
  });
});
