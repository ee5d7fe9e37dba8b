import { describe, expect, it } from "vitest";
import type { PersistOp, PersistentState } from "../../src/contract.js";
import { MemoryStorage } from "../../src/storage/index.js";
import { entries } from "./helpers.js";

const snapshot = (lastIncludedIndex: number, lastIncludedTerm: number) => ({
  lastIncludedIndex,
  lastIncludedTerm,
  nodeIds: ["n1", "n2", "n3"],
  data: { kv: { x: 1 } },
});

const indexes = (s: PersistentState) => s.entries.map((e) => `${e.index}@${e.term}`);

describe("MemoryStorage (etcd MemoryStorage semantics, used by the simulator)", () => {
  it.each<{ name: string; ops: PersistOp[]; want: string[]; snap: number }>([
    { name: "appends in order", ops: [{ type: "append", entries: entries(1, 3, 1) }], want: ["1@1", "2@1", "3@1"], snap: 0 },
    {
      name: "an append drops existing entries from its first index on (conflict truncation)",
      ops: [
        { type: "append", entries: entries(1, 5, 1) },
        { type: "append", entries: entries(3, 3, 2) },
      ],
      want: ["1@1", "2@1", "3@2"],
      snap: 0,
    },
    {
      name: "a snapshot whose last entry matches keeps the entries after it (Raft §7)",
      ops: [
        { type: "append", entries: entries(1, 5, 1) },
        { type: "snapshot", snapshot: snapshot(3, 1) },
      ],
      want: ["4@1", "5@1"],
      snap: 3,
    },
    {
      name: "a snapshot that does not match the log discards the whole log (Raft §7)",
      ops: [
        { type: "append", entries: entries(1, 5, 1) },
        { type: "snapshot", snapshot: snapshot(3, 2) },
      ],
      want: [],
      snap: 3,
    },
    {
      name: "entries already covered by the snapshot are skipped on append",
      ops: [
        { type: "snapshot", snapshot: snapshot(3, 1) },
        { type: "append", entries: entries(2, 5, 1) },
      ],
      want: ["4@1", "5@1"],
      snap: 3,
    },
  ])("$name", ({ ops, want, snap }) => {
    const s = new MemoryStorage();
    s.persistSync(ops);
    const loaded = s.loadSync();
    expect(indexes(loaded)).toEqual(want);
    expect(loaded.snapshot?.lastIncludedIndex ?? 0).toBe(snap);
  });

  it("refuses an append that would leave a gap in the log", () => {
    const s = new MemoryStorage();
    expect(() => s.persistSync([{ type: "append", entries: entries(3, 3, 1) }])).toThrow(/gap/);
  });

  it("survives a simulated restart: the same object hands the new node what was persisted", async () => {
    const s = new MemoryStorage();
    await s.persist([{ type: "hardState", hardState: { term: 4, votedFor: "n2" } }, { type: "append", entries: entries(1, 2, 4) }]);
    const first = await s.load();
    first.entries.pop(); // the old node's copy: changing it must not change storage
    await s.close();
    const again = await s.load();
    expect(again.hardState).toEqual({ term: 4, votedFor: "n2" });
    expect(indexes(again)).toEqual(["1@4", "2@4"]);
  });

  it("keeps what was persisted frozen: changing a persisted entry or snapshot afterwards throws, storage is unchanged", () => {
    const s = new MemoryStorage();
    const ops: PersistOp[] = [{ type: "append", entries: entries(1, 2, 1) }, { type: "snapshot", snapshot: snapshot(1, 1) }];
    s.persistSync(ops);
    const [append, snap] = ops as [Extract<PersistOp, { type: "append" }>, Extract<PersistOp, { type: "snapshot" }>];
    expect(() => {
      append.entries[1]!.term = 9;
    }).toThrow(TypeError);
    expect(() => {
      (snap.snapshot.data as { kv: Record<string, number> }).kv.x = 2;
    }).toThrow(TypeError);
    const loaded = s.loadSync();
    expect(indexes(loaded)).toEqual(["2@1"]);
    expect(loaded.snapshot?.data).toEqual({ kv: { x: 1 } });
  });

  it("with persisted: \"copy\", keeps copies: the core may go on changing what it handed over", () => {
    const s = new MemoryStorage(undefined, { persisted: "copy" });
    const appended = entries(1, 2, 1);
    s.persistSync([{ type: "append", entries: appended }]);
    appended[1]!.term = 9;
    const loaded = s.loadSync();
    expect(indexes(loaded)).toEqual(["1@1", "2@1"]);
    loaded.entries[0]!.term = 7;
    expect(indexes(s.loadSync())).toEqual(["1@1", "2@1"]);
  });
});

