/**
 * The standalone SVG pictures: drawn from a real run's trace, the same bytes
 * for the same input, every text escaped, a dropped packet crossed out, a
 * fault labelled with its kind and node, timeline spans and markers placed on
 * the time axis.
 */
import { describe, expect, test } from "vitest";
import { runInProcess } from "../../src/run/in-process.js";
import { DEFAULT_CONFIG } from "../../src/run/config.js";
import { renderSequenceSvg, renderTimelineSvg, wrapText } from "../../src/output/svg.js";
import type { TraceEntry, TracedMessage } from "../../src/network/trace.js";

const msg = (over: Partial<TracedMessage>): TracedMessage => ({
  kind: "message",
  packetId: 1,
  src: "c1",
  dest: "n1",
  sentAtMs: 10,
  deliveredAtMs: 12,
  fate: "delivered",
  type: "write",
  body: { type: "write" },
  ...over,
});

describe("renderSequenceSvg", () => {
  test("a real run's trace: the same bytes twice, every client message and the kill drawn", async () => {
    const config = { ...DEFAULT_CONFIG, seed: "svg-1", nodes: 3, timeLimitS: 2, rate: 5, concurrency: 1, nemesis: ["kill" as const] };
    const schedule = [
      { atMs: 1200, op: "kill" as const, target: "leader", slot: "k" },
      { atMs: 1800, op: "restart" as const, slot: "k" },
      { atMs: 2000, op: "heal" as const },
    ];
    const draw = async (): Promise<string> => {
      const a = await runInProcess(config, { schedule });
      const entries = a.trace.entries.filter((e) => (e.kind === "fault" ? e.atMs < 2000 : e.sentAtMs > 1000 && e.sentAtMs < 2000));
      return renderSequenceSvg({ title: "kill", caption: "seed svg-1", columns: [{ id: "c1" }, ...a.nodeIds.map((id) => ({ id }))], entries });
    };
    const first = await draw();
    expect(await draw()).toBe(first);
    expect(first).toMatch(/⚡ SIGKILL n\d \(leader\) at 1200 ms/);
    expect(first).toMatch(/⚡ restart n\d at 1800 ms/);
    expect(first.match(/<line [^>]*marker-end/g)!.length).toBeGreaterThan(4);
  });

  test("escapes every text, crosses out a dropped packet, marks a reply from the session, places a note", () => {
    const request = msg({ body: { type: "write", value: "<b>&" }, type: "write", seq: 2 });
    const lost = msg({ packetId: 2, src: "n1", dest: "c1", sentAtMs: 13, deliveredAtMs: undefined, fate: "dropped-lost-reply", type: "write_ok", body: { type: "write_ok" } });
    const session = msg({ packetId: 3, src: "n1", dest: "c1", sentAtMs: 20, deliveredAtMs: 21, type: "write_ok", fromSession: true, body: { type: "write_ok" } });
    const entries: TraceEntry[] = [request, lost, { kind: "fault", atMs: 15, label: "pause n1", nodes: ["n1"] }, session];
    const svg = renderSequenceSvg({
      title: 'a <title> & "quotes"',
      caption: "c",
      columns: [{ id: "c1", sublabel: "id <x>" }, { id: "n1" }],
      entries,
      label: (m) => `${m.type} ${JSON.stringify(m.body.value ?? "")}`,
      notes: [{ column: "n1", after: session, text: "[dedup] <cached>" }],
    });
    expect(svg).toContain("a &lt;title&gt; &amp; &quot;quotes&quot;");
    expect(svg).toContain("write &quot;&lt;b&gt;&amp;&quot;");
    expect(svg).toContain("id &lt;x&gt;");
    expect(svg).toContain("[dropped: lost-reply]");
    expect(svg).toMatch(/<path d="M[^"]+" stroke="#b91c1c" stroke-width="2.2"\/>/);
    expect(svg).toContain("[from the session]");
    expect(svg).toContain("[dedup] &lt;cached&gt;");
    expect(svg).toContain("⚡ pause n1 at 15 ms");
    expect(svg).not.toMatch(/<text[^>]*>[^<]*[<>&](?!amp;|lt;|gt;|quot;|#39;)[^<]*<\/text>/);
  });
});

describe("renderTimelineSvg", () => {
  const input = {
    title: "t",
    caption: "c",
    lanes: [{ id: "a", label: "attempts" }, { id: "n1", label: "n1" }],
    fromMs: 0,
    toMs: 1000,
    spans: [
      { lane: "a", fromMs: 100, toMs: 500, kind: "attempt-failed" as const, label: "#1 → n1: timeout" },
      { lane: "a", fromMs: 500, toMs: 510, kind: "backoff" as const, label: "backoff 10 ms" },
      { lane: "a", fromMs: 510, toMs: 520, kind: "attempt-ok" as const, label: "#2 → n2: ok" },
    ],
    markers: [{ atMs: 50, lane: "n1", kind: "fault" as const, label: "SIGKILL n1 (leader)" }],
  };

  test("places spans on the axis, puts labels that do not fit under the lane, numbers the markers", () => {
    const svg = renderTimelineSvg(input);
    expect(renderTimelineSvg(input)).toBe(svg);
    // 760 px wide, 110 px of lane labels on the left, 24 on the right: 100 ms is at 110 + 62.6.
    expect(svg).toContain('<rect x="172.6"');
    expect(svg).toContain(">#1 → n1: timeout</text>");
    expect(svg).toMatch(/text-anchor="start"[^>]*>backoff 10 ms<\/text>/);
    expect(svg).toMatch(/text-anchor="start"[^>]*>#2 → n2: ok<\/text>/);
    expect(svg).toContain(">1. SIGKILL n1 (leader) at 50 ms</text>");
    for (const t of [0, 100, 500, 1000]) expect(svg).toContain(`>${t} ms</text>`);
  });
});

describe("captions", () => {
  test("a long caption wraps at spaces and pushes the picture down, never past its width", () => {
    const caption = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");
    const one = renderTimelineSvg({ title: "t", caption: "short", lanes: [{ id: "a", label: "a" }], fromMs: 0, toMs: 100, spans: [], markers: [] });
    const long = renderTimelineSvg({ title: "t", caption, lanes: [{ id: "a", label: "a" }], fromMs: 0, toMs: 100, spans: [], markers: [] });
    const height = (svg: string): number => Number(/height="(\d+)"/.exec(svg)![1]);
    const lines = wrapText(caption, Math.floor((760 - 24) / 5.6));
    expect(lines.length).toBe(3);
    expect(lines.every((l) => l.length <= 131)).toBe(true);
    expect(height(long)).toBe(height(one) + 2 * 14);
    expect(long).toContain(">word0 word1");
    expect(long).toContain("word39</text>");
  });
});
