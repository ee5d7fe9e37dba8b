/**
 * The plug scenarios a day file's proof runs (`npm run lost-reply` in week-12/,
 * `npx tsx week-12/plug/lost-reply.ts` at the repository root)
 * follow the command-line convention of every dslab command: --help, a
 * mistyped or invalid option is a usage error (exit 2) in one line, never a
 * stack or a run with a NaN seed.
 */
import { execFile, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { REPO, type Run } from "../helpers/cli.js";

const TSX = path.join(REPO, "node_modules", "tsx", "dist", "cli.mjs");

function script(name: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [TSX, path.join("week-12", "plug", `${name}.ts`), ...args], { cwd: REPO, timeout: 60_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

describe("the plug scenarios' command lines", () => {
  test.each([
    ["lost-reply", ["--sed", "5"], "lost-reply: unknown option --sed (did you mean --seed?)"],
    ["lost-reply", ["--seed", "abc"], 'lost-reply: --seed: expected an integer >= 0, got "abc"'],
    ["lost-reply", ["--seed=-3"], 'lost-reply: --seed: expected an integer >= 0, got "-3"'],
    ["lost-reply", ["--seed", "-3"], 'lost-reply: --seed: expected an integer >= 0, got "-3"'],
    ["lost-reply", ["--seed", "-x"], "lost-reply: --seed: needs a value; one that starts with a dash is written --seed=-VALUE"],
    ["lost-reply", ["1234"], 'lost-reply: unexpected argument "1234"'],
    ["dedup-failover", ["--seed", "1"], "dedup-failover: unknown option --seed"],
    ["payments-server", ["--prot", "8080"], "payments-server: unknown option --prot (did you mean --port?)"],
    ["payments-server", ["--port", "70000"], 'payments-server: --port: expected an integer from 0 to 65535, got "70000"'],
    ["payments-server", ["--delay-ms", "soon"], 'payments-server: --delay-ms: expected an integer >= 0, got "soon"'],
    ["payments-server", ["8080"], 'payments-server: unexpected argument "8080"'],
  ] as const)("%s %j is a usage error: one line, exit 2", async (name, args, line) => {
    const r = await script(name, [...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line}\nRun \`${name} --help\` for usage.\n`);
    expect(r.stdout).toBe("");
  }, 70_000);

  test.each([
    ["lost-reply", "npm run lost-reply -- [--seed N]", "[--seed N]"],
    ["dedup-failover", "npm run dedup-failover", ""],
    ["payments-server", "npm run payments-server -- [--port P] [--delay-ms MS] [--ttl-ms MS]", "[options]"],
  ] as const)("%s --help names first the command typed in week-12/, where npm run check runs, then the one at the repository root, and exits 0", async (name, workbook, options) => {
    const r = await script(name, ["--help"]);
    expect(r.code, r.stderr).toBe(0);
    const [first, second] = r.stdout.split("\n");
    expect(first!.replace(/ +\(in week-12\/\)$/, "")).toBe(`Usage: ${workbook}`);
    expect(first).toMatch(/ \(in week-12\/\)$/);
    expect(second!.replace(/ +\(at the repository root\)$/, "")).toBe(`   or: npx tsx week-12/plug/${name}.ts${options === "" ? "" : ` ${options}`}`);
    expect(second).toMatch(/ \(at the repository root\)$/);
    // The command the first line names runs this program from week-12/.
    const typed = await new Promise<Run>((resolve) => {
      execFile("npm", ["run", "--silent", name, "--", "--help"], { cwd: path.join(REPO, "week-12"), timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
      });
    });
    expect({ code: typed.code, stdout: typed.stdout }).toEqual({ code: 0, stdout: r.stdout });
    expect(r.stdout).toMatch(/\n  -h, --help +show this help\n/);
  }, 70_000);

  test("payments-server on a port that is taken says so in one line and exits 1", async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const r = await script("payments-server", ["--port", String(port)], { DSLAB_WORKBOOK: "solution" });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`payments-server: port ${port} on 127.0.0.1 is taken; give another with --port, or 0 for any free one\n`);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  }, 70_000);

  test("payments-server serves until Ctrl-C, printing its address and one line per request, then exits 0", async () => {
    const child = spawn(process.execPath, [TSX, path.join("week-12", "plug", "payments-server.ts")], { cwd: REPO, env: { ...process.env, DSLAB_WORKBOOK: "solution" } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no address within 60 s: ${out}`)), 60_000);
        child.stdout.on("data", () => {
          const m = /^payments API on (http:\/\/127\.0\.0\.1:\d+) \(POST \/payments\); Ctrl-C stops it$/m.exec(out);
          if (m) (clearTimeout(timer), resolve(m[1]!));
        });
      });
      const res = await fetch(`${url}/payments`, { method: "POST", headers: { "Content-Type": "application/json", "Idempotency-Key": "k1" }, body: '{"amount":5,"currency":"EUR","to":"acct-1"}' });
      expect(res.status).toBe(201);
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(out).toContain("POST /payments Idempotency-Key: k1 -> 201\n");
    } finally {
      child.kill("SIGKILL");
    }
  }, 70_000);
});
