import { describe, expect, it } from "vitest";
import { parseSnapshotText, snapshotText } from "../../src/raft/snapshot-text.js";

describe("snapshot text (raft_snapshot chunks): no JSON round trip between nodes of one process", () => {
  it("gives back the very value a text was made from, equal to parsing it", () => {
    const data = { format: "x", kv: [["a", [1, 2, 3]]], sessions: [] };
    const text = snapshotText(data);
    expect(text).toBe(JSON.stringify(data));
    // A text rebuilt from chunks is another string with the same contents.
    const rejoined = [text.slice(0, 5), text.slice(5)].join("");
    expect(parseSnapshotText(rejoined)).toBe(data);
    expect(parseSnapshotText(rejoined)).toEqual(JSON.parse(text));
  });

  it("parses a text it did not make (a leader in another process), and refuses one that is not JSON", () => {
    const foreign = JSON.stringify({ kv: [["b", 7]] });
    expect(parseSnapshotText(foreign)).toEqual({ kv: [["b", 7]] });
    expect(() => parseSnapshotText(foreign.slice(0, -1))).toThrow(SyntaxError);
  });

  it("remembers only the last few texts", () => {
    const first = { n: 0 };
    const text = snapshotText(first);
    for (let n = 1; n <= 8; n++) snapshotText({ n });
    const again = parseSnapshotText(text);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });
});
