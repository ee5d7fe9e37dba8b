import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { runProcessMode } from "../../src/process/run.js";
import { stdoutLineChars } from "../../src/process/node-process.js";
import { boundedBody } from "../../src/network/trace.js";
import { DEFAULT_CONFIG, type RunConfig } from "../../src/run/config.js";

const kvNode = fileURLToPath(new URL("../../../cluster/bin/kv-node.js", import.meta.url));
const pythonNode = fileURLToPath(new URL("../fixtures/lin_kv_node.py", import.meta.url));

describe("process mode: any command speaking the protocol runs as child processes", () => {
  test(
    "three real kv-node processes under partitions, lost replies and duplicates for 20 s: valid",
    async () => {
      const config: RunConfig = {
        ...DEFAULT_CONFIG,
        seed: "process-kv-node",
        nodes: 3,
        timeLimitS: 20,
        rate: 40,
        concurrency: 4,
        workload: "exactly-once",
        nemesis: ["partition", "lose-reply", "duplicate"],
        bin: `node ${kvNode}`,
      };
      const a = await runProcessMode(config);
      const r = a.results!;
      expect(r.anomalies).toEqual([]);
      expect(r.verdict).toBe("valid");
      expect(r.ops.ok).toBeGreaterThan(200);
      expect(r.faults.some((f) => f.label.startsWith("partition {"))).toBe(true);
      expect(r.faults.some((f) => f.label.startsWith("lose replies"))).toBe(true);
      expect(r.faults.some((f) => f.label.startsWith("duplicate packets"))).toBe(true);
      // Lost replies make the clients retry, and the cluster answers the retries from its sessions.
      expect(a.trace.entries.some((e) => e.kind === "message" && e.fate === "dropped-lost-reply")).toBe(true);
      expect(a.trace.entries.some((e) => e.kind === "message" && e.fromSession === true)).toBe(true);
    },
    90_000,
  );

  test(
    "kv-node processes SIGKILLed and restarted with their own --data-dir, and paused with SIGSTOP/SIGCONT: valid, no acknowledged write lost",
    async () => {
      const a = await runProcessMode({
        ...DEFAULT_CONFIG,
        seed: "4",
        nodes: 3,
        timeLimitS: 10,
        rate: 40,
        concurrency: 4,
        workload: "exactly-once",
        nemesis: ["kill", "pause", "lose-reply"],
        bin: `node ${kvNode}`,
      });
      const r = a.results!;
      expect(r.anomalies).toEqual([]);
      expect(r.verdict).toBe("valid");
      const labels = r.faults.map((f) => f.label);
      expect(labels.some((l) => l.startsWith("SIGKILL"))).toBe(true);
      expect(labels.some((l) => l.startsWith("restart"))).toBe(true);
      expect(labels.some((l) => l.startsWith("pause"))).toBe(true);
      expect(labels.some((l) => l.startsWith("resume"))).toBe(true);
    },
    60_000,
  );

  test(
    "the trace keeps each node message's body as it arrived, measured by its stdout line: the bodies a second serialisation would have kept",
    async () => {
      const a = await runProcessMode({ ...DEFAULT_CONFIG, seed: "trace-bodies", nodes: 3, timeLimitS: 3, rate: 40, concurrency: 4, workload: "exactly-once", nemesis: [], bin: `node ${kvNode}` });
      expect(a.results!.verdict).toBe("valid");
      const nodes = new Set(a.nodeIds);
      const fromNodes = a.trace.entries.filter((e) => e.kind === "message" && nodes.has(e.src));
      expect(fromNodes.some((e) => e.kind === "message" && nodes.has(e.dest))).toBe(true);
      expect(fromNodes.some((e) => e.kind === "message" && !nodes.has(e.dest))).toBe(true);
      let small = 0;
      for (const e of fromNodes) {
        if (e.kind !== "message") continue;
        const json = JSON.stringify(e.body);
        if (json.length > 4096) continue;
        small++;
        // Measured by the line it came in (which holds it), and what bounding it by its JSON keeps: the body itself.
        expect(stdoutLineChars(e.body), json).toBeGreaterThanOrEqual(json.length);
        expect(boundedBody(e.body)).toBe(e.body);
      }
      expect(small).toBeGreaterThan(100);
    },
    60_000,
  );

  test(
    "a Maelstrom-demo-style node written in Python runs in process mode: single-node lin-kv with sessions, valid under duplicates, lost replies and late replays",
    async () => {
      const base: RunConfig = { ...DEFAULT_CONFIG, nodes: 1, timeLimitS: 4, rate: 60, concurrency: 4, nemesis: ["duplicate", "lose-reply", "replay"], bin: `python3 ${pythonNode}` };
      for (const workload of ["lin-kv", "exactly-once"] as const) {
        const a = await runProcessMode({ ...base, seed: `python-${workload}`, workload });
        const r = a.results!;
        expect(r.anomalies).toEqual([]);
        expect(r.verdict).toBe("valid");
        expect(r.ops.ok).toBeGreaterThan(50);
      }
    },
    60_000,
  );
});
