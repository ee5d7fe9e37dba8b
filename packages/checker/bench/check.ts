/**
 * `npm run bench`: check time and peak memory for generated histories of 1,
 * 10 and 50 clients with 1,000 to 100,000 operations, valid and invalid
 * (one stale read in the middle), register and kv models, all with network
 * partitions (timeouts, so indefinite operations). Each case runs in its own
 * process so that its peak RSS is its own. "ms" is wall-clock time; "cpu ms"
 * is the time the process spent on a CPU (user and system) meanwhile, which
 * grows far less than wall-clock time when other processes share the cores,
 * so compare that one on a busy machine.
 *
 *   tsx bench/check.ts [--max-ops N] [--time-limit-s N]
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { checkLinearizability } from "../src/index.js";
import { generateHistory } from "./generate.js";

interface Case {
  model: "register" | "kv";
  clients: number;
  ops: number;
  keys: number;
  invalid: boolean;
}

interface Outcome {
  valid: boolean | "unknown";
  ms: number;
  cpuMs: number;
  peakRssMb: number;
  historyEvents: number;
}

function runCase(c: Case, timeLimitMs: number): Outcome {
  const history = generateHistory({ ...c, seed: 42, partitions: true });
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const r = checkLinearizability(history, { model: c.model, timeLimitMs });
  const cpu = process.cpuUsage(cpuStarted);
  const ms = performance.now() - started;
  return { valid: r.valid, ms, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMb: process.resourceUsage().maxRSS / 1024, historyEvents: history.length };
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
}

if (process.argv[2] === "--case") {
  const c = JSON.parse(process.argv[3]!) as Case;
  process.stdout.write(JSON.stringify(runCase(c, Number(process.argv[4]))) + "\n");
} else {
  const maxOps = arg("--max-ops", 100_000);
  const timeLimitMs = arg("--time-limit-s", 60) * 1000;
  const cases: Case[] = [];
  for (const model of ["register", "kv"] as const) {
    for (const clients of [1, 10, 50]) {
      for (const ops of [1_000, 10_000, 100_000]) {
        if (ops > maxOps) continue;
        // lin-kv style: about five clients per key for the register; ten keys for kv (6.824).
        const keys = model === "register" ? Math.max(1, Math.floor(clients / 5)) : 10;
        for (const invalid of [false, true]) cases.push({ model, clients, ops, keys, invalid });
      }
    }
  }
  const self = fileURLToPath(import.meta.url);
  const rows: string[][] = [["model", "clients", "keys", "ops", "history", "verdict", "ms", "cpu ms", "peak RSS MB"]];
  for (const c of cases) {
    const child = spawnSync(process.execPath, [...process.execArgv, self, "--case", JSON.stringify(c), String(timeLimitMs)], { encoding: "utf8" });
    let cells: string[];
    if (child.status !== 0) {
      cells = [c.model, String(c.clients), String(c.keys), String(c.ops), c.invalid ? "invalid" : "valid", `crashed (${child.status})`, "-", "-", "-"];
      process.stderr.write(child.stderr);
    } else {
      const o = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as Outcome;
      const verdict = o.valid === true ? "valid" : o.valid === false ? "invalid" : "UNKNOWN";
      const expected = c.invalid ? "invalid" : "valid";
      cells = [c.model, String(c.clients), String(c.keys), String(c.ops), expected, verdict === expected ? verdict : `${verdict} (!)`, o.ms.toFixed(0), o.cpuMs.toFixed(0), o.peakRssMb.toFixed(0)];
    }
    rows.push(cells);
    process.stdout.write(cells.join("\t") + "\n");
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => "| " + r.map((cell, i) => (i >= 3 && i !== 4 && i !== 5 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(" | ") + " |";
  process.stdout.write("\n" + line(rows[0]!) + "\n|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|\n" + rows.slice(1).map(line).join("\n") + "\n");
}
