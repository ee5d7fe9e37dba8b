/**
 * messages.html and messages.txt against the plain reference renderers
 * (renderers-oracle.ts): for the traces of real runs (the reference, whose
 * retries are answered from the session; a known-bad cluster with a
 * violation and the requests it involves; the lin-kv workload), drawn with
 * the default windows and with small ones, and for made-up traces with what
 * runs rarely have (client names that sort as equal, one entry listed twice,
 * every fate, an empty trace), both give the same bytes.
 */
import { beforeAll, describe, expect, test } from "vitest";
import type { RunArtifacts } from "../../src/run/evaluate.js";
import { runInProcess } from "../../src/run/in-process.js";
import { involvedRequests } from "../../src/run/violation.js";
import { verdictTitle } from "../../src/run/results.js";
import { DEFAULT_CONFIG, type RunConfig } from "../../src/run/config.js";
import type { PacketFate, TraceEntry, TracedMessage } from "../../src/network/trace.js";
import { renderMessageDiagram, type DiagramInput } from "../../src/output/message-diagram.js";
import { renderTraceText } from "../../src/output/trace-text.js";
import { indexTrace } from "../../src/output/trace-index.js";
import { oracleRenderMessageDiagram, oracleRenderTraceText } from "./renderers-oracle.js";

const nemesis = ["partition", "kill", "duplicate", "lose-reply", "pause", "replay"] as const;
const reference: RunConfig = { ...DEFAULT_CONFIG, seed: "html-2", timeLimitS: 4, nemesis: [...nemesis] };

const runs: Array<[string, RunArtifacts]> = [];

beforeAll(async () => {
  runs.push(["the reference", await runInProcess(reference, { tracePeerMessages: true })]);
  runs.push(["a cluster without sessions", await runInProcess({ ...reference, core: "packages/cluster/test/known-bad/no-sessions.ts" }, { tracePeerMessages: true })]);
  runs.push(["lin-kv", await runInProcess({ ...reference, seed: "diff-3", workload: "lin-kv" }, { tracePeerMessages: true })]);
});

/** The diagram's input as the writer makes it. */
function inputOf(a: RunArtifacts): DiagramInput {
  const r = a.results!;
  return {
    title: `kv-sim seed ${r.seed}: ${verdictTitle(r)}`,
    subtitle: `${a.config.workload}, ${a.config.nodes} nodes, ${a.mode}; replay: ${r.command}`,
    nodeIds: a.nodeIds,
    entries: a.trace.entries,
    ...(r.firstViolation ? { violation: r.firstViolation } : {}),
    clients: r.clients,
    involved: involvedRequests(r.anomalies, a.history),
    verdict: r.verdict,
  };
}

describe("messages.html and messages.txt against the plain reference renderers", () => {
  test("the runs cover a violation, retries answered from the session and node traffic", () => {
    const [ref, bad] = [runs[0]![1], runs[1]![1]];
    expect(bad.results!.firstViolation).not.toBeNull();
    expect(ref.trace.entries.some((e) => e.kind === "message" && e.fromSession === true)).toBe(true);
    expect(ref.trace.entries.some((e) => e.kind === "message" && ref.nodeIds.includes(e.src) && ref.nodeIds.includes(e.dest))).toBe(true);
  });

  test.each([0, 1, 2])("run %i: the same diagram, with the default windows and with small ones, and the same text", (i) => {
    const a = runs[i]![1];
    const input = inputOf(a);
    expect(renderMessageDiagram(input)).toBe(oracleRenderMessageDiagram(input));
    const small = { ...input, maxMessages: 20, wholeRunMaxMessages: 60 };
    expect(renderMessageDiagram(small)).toBe(oracleRenderMessageDiagram(small));
    // The writer indexes the trace once for both files.
    const index = indexTrace(a.trace.entries, a.nodeIds);
    expect(renderMessageDiagram({ ...small, index })).toBe(oracleRenderMessageDiagram(small));
    expect(renderTraceText(a.trace.entries, a.nodeIds)).toBe(oracleRenderTraceText(a.trace.entries, a.nodeIds));
    expect(renderTraceText(a.trace.entries, a.nodeIds, index)).toBe(oracleRenderTraceText(a.trace.entries, a.nodeIds));
  });

  test("made-up traces: client names a numeric sort finds equal, an entry listed twice, every fate, faults and a violation", () => {
    const fates: PacketFate[] = ["delivered", "dropped-loss", "dropped-partition", "dropped-lost-reply", "dropped-node-down", "duplicate", "replayed"];
    const clients = ["c10", "c1", "c01", "c2", "c001"];
    const entries: TraceEntry[] = [];
    let t = 0;
    for (let i = 0; i < 60; i++) {
      const client = clients[i % clients.length]!;
      const node = `n${(i % 3) + 1}`;
      const fate = fates[i % fates.length]!;
      const seq = Math.floor(i / 10);
      const request: TracedMessage = {
        kind: "message",
        packetId: i * 2,
        src: client,
        dest: node,
        sentAtMs: (t += 1.25),
        ...(fate === "delivered" || fate === "duplicate" || fate === "replayed" ? { deliveredAtMs: t + 0.5 } : {}),
        fate,
        type: "append",
        msgId: i,
        clientId: `id-${client}`,
        seq,
        body: { type: "append", key: `k<${i % 2}>`, value: `"${client}":${i} & 'x'`, client_id: `id-${client}`, seq, msg_id: i },
      };
      const reply: TracedMessage = {
        kind: "message",
        packetId: i * 2 + 1,
        src: node,
        dest: client,
        sentAtMs: t + 0.75,
        deliveredAtMs: t + 1,
        fate: "delivered",
        type: i % 4 === 0 ? "error" : "append_ok",
        inReplyTo: i,
        clientId: `id-${client}`,
        seq,
        ...(i % 5 === 0 ? { fromSession: true } : {}),
        body: i % 4 === 0 ? { type: "error", code: 11, text: "not the leader", leader: "n2", in_reply_to: i } : { type: "append_ok", value: Array.from({ length: i }, (_, j) => `v${j}`), in_reply_to: i },
      };
      entries.push(request, reply);
      if (i % 7 === 0) entries.push(request);
      if (i % 11 === 0) entries.push({ kind: "fault", atMs: t, label: `partition {n1} | {n2 n3} <${i}>`, nodes: ["n1"] });
      if (i % 9 === 0) entries.push({ kind: "message", packetId: 1000 + i, src: "n1", dest: "n2", sentAtMs: t, deliveredAtMs: t + 0.1, fate: "delivered", type: "raft_append", body: { type: "raft_append", term: 1 } });
    }
    const input: DiagramInput = {
      title: "made up <run>",
      subtitle: "a & b",
      nodeIds: ["n1", "n2", "n3"],
      entries,
      violation: { atMs: 40, label: "exactly-once: applied-twice \"x\"" },
      involved: [{ clientId: "id-c1", seq: 3 }],
      clients: { c1: "id-c1", c01: "id-c01" },
      verdict: "invalid",
      maxMessages: 15,
      wholeRunMaxMessages: 40,
    };
    for (const v of [input, { ...input, violation: undefined, involved: undefined }, { ...input, maxMessages: undefined, wholeRunMaxMessages: undefined }, { ...input, entries: [] }]) {
      expect(renderMessageDiagram(v)).toBe(oracleRenderMessageDiagram(v));
      expect(renderTraceText(v.entries, v.nodeIds)).toBe(oracleRenderTraceText(v.entries, v.nodeIds));
    }
  });
});
