import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { runProcessMode } from "../../src/process/run.js";
import { DEFAULT_CONFIG, type RunConfig } from "../../src/run/config.js";

const fixture = fileURLToPath(new URL("../fixtures/misbehaving_node.py", import.meta.url));
const config = (mode: string): RunConfig => ({
  ...DEFAULT_CONFIG,
  seed: `misbehave-${mode}`,
  nodes: 1,
  timeLimitS: 2,
  rate: 50,
  concurrency: 2,
  workload: "exactly-once",
  nemesis: [],
  livenessBoundS: 2,
  bin: `python3 ${fixture} --mode ${mode}`,
});

describe("process mode survives a misbehaving node and reports it with the node and the line", () => {
  test("non-protocol lines on stdout are reported with node and line number, and the run goes on", async () => {
    const a = await runProcessMode(config("junk"));
    const r = a.results!;
    const lines = r.anomalies.filter((x) => x.kind === "non-protocol-line");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]!.message).toMatch(/^n1 stdout:\d+: not a protocol message .*"DEBUG handling/);
    expect(r.checks.nodes!.valid).toBe(false);
    expect(r.ops.ok).toBeGreaterThan(10);
  });

  test("a flood of stdout (a 3 MiB line, then 20,000 junk lines) is skipped and counted, not buffered", async () => {
    const a = await runProcessMode(config("flood"));
    const r = a.results!;
    expect(r.anomalies.some((x) => x.kind === "oversized-line" && /^n1 stdout:2: line longer than the bound/.test(x.message))).toBe(true);
    expect(r.anomalies.some((x) => /more bad stdout lines not listed/.test(x.message))).toBe(true);
    expect(r.ops.ok).toBeGreaterThan(10);
  });

  test("a node that crashes is reported with its exit code, restarted at the heal, and the run completes", async () => {
    const a = await runProcessMode(config("crash"));
    const r = a.results!;
    expect(r.anomalies.some((x) => x.kind === "crashed" && /n1 exited on its own \(exit code 3\)/.test(x.message))).toBe(true);
    expect(r.verdict).toBe("invalid");
  });

  test("a node that hangs makes every request time out: the liveness check fails, the run still ends", async () => {
    const t0 = performance.now();
    const a = await runProcessMode(config("hang"));
    const r = a.results!;
    expect(r.ops.ok).toBe(0);
    expect(r.checks.liveness!.valid).toBe(false);
    expect(r.anomalies.some((x) => x.kind === "final-reads-failed")).toBe(true);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });
});
