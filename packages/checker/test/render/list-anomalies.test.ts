/**
 * The timeline lists each anomaly once: the reports of one request's
 * anomaly by many operations become one entry naming the others.
 */
import { describe, expect, it } from "vitest";
import type { Anomaly } from "../../src/index.js";
import { HistoryBuilder, listAnomalies, pairOps } from "../../src/index.js";

describe("listAnomalies", () => {
  it("folds 400,000 reports of one duplicated append into one entry naming each other read once, in one pass", () => {
    const n = 400_000;
    const b = new HistoryBuilder();
    b.invoke(0, "append", 1, { key: "k", client_id: "c", seq: 1 });
    b.ok(0, [1, 1]);
    for (let i = 0; i < n; i++) {
      b.invoke(1, "read", null, { key: "k" });
      b.ok(1, [1, 1]);
    }
    const [append, ...reads] = pairOps(b.build());
    // As the checker reports it: once for the reply, once per read, each read twice over (as a retry would be).
    const reports: Anomaly[] = [append!, ...reads, ...reads].map((shownBy) => ({ kind: "applied-twice", key: "k", message: "append 1 appears 2 times", ops: [append!, shownBy] }));
    const listed = listAnomalies(reports);
    expect(listed).toHaveLength(1);
    expect(listed[0]!.alsoShownBy).toHaveLength(n);
    expect(listed[0]!.alsoShownBy.slice(0, 3)).toEqual([3, 5, 7]);
  });
});
