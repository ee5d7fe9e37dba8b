/**
 * The Raft paper, rule by rule (after etcd's raft_paper_test.go).
 * Every title names the section of Ongaro & Ousterhout's paper (or of
 * Ongaro's thesis, for pre-vote and check-quorum) that it enforces.
 */
import { createPrng, type Message } from "@dslab/protocol";
import { describe, expect, it } from "vitest";
import type { AppendBody, AppendOkBody, RequestVoteOkBody, SnapshotBody } from "../../src/raft/index.js";
import { campaignUntilLeader, entry, Net, persisted, raft, terms, tickUntil } from "./helpers.js";

const five = ["n1", "n2", "n3", "n4", "n5"];

function bodies<T>(messages: Message[], type: string): Array<T & { dest: string }> {
  return messages.filter((m) => m.body.type === type).map((m) => ({ ...(m.body as T), dest: m.dest }));
}

/** Elect n1 among `nodes` (pre-vote off) and replicate its no-op everywhere. */
function electN1(net: Net): void {
  const n1 = net.get("n1");
  const { ready } = tickUntil(n1, () => n1.role === "candidate");
  net.run(ready.send);
}

describe("§5.2 leader election", () => {
  it("§5.2 a follower that hears nothing for an election timeout becomes a candidate, votes for itself and asks every peer", () => {
    const r = raft("n1");
    const { ticks, ready } = tickUntil(r, () => r.role === "candidate");
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(ticks).toBeLessThanOrEqual(20);
    expect(r.term).toBe(1);
    expect(r.votedFor).toBe("n1");
    expect(ready.persist).toEqual([{ type: "hardState", hardState: { term: 1, votedFor: "n1" } }]);
    expect(ready.send.map((m) => [m.dest, m.body.type, m.body.term])).toEqual([
      ["n2", "raft_request_vote", 1],
      ["n3", "raft_request_vote", 1],
    ]);
  });

  it("§5.2 election timeouts are drawn from the injected PRNG within [min, max]: the seed replays them, other seeds spread them", () => {
    const timeoutFor = (seed: string): number => {
      const r = raft("n1", { prng: createPrng(seed), electionTimeoutTicksMin: 10, electionTimeoutTicksMax: 20 });
      return tickUntil(r, () => r.role === "candidate").ticks;
    };
    const seen = new Set<number>();
    for (let s = 0; s < 40; s++) {
      const t = timeoutFor(`seed-${s}`);
      expect(t).toBeGreaterThanOrEqual(10);
      expect(t).toBeLessThanOrEqual(20);
      expect(timeoutFor(`seed-${s}`)).toBe(t);
      seen.add(t);
    }
    expect(seen.size).toBeGreaterThan(4);
  });

  it("§5.2 a candidate that gets votes from a majority becomes leader and at once appends a no-op of its term (§8)", () => {
    const net = new Net([raft("n1"), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    expect(n1.role).toBe("leader");
    expect(n1.log.entry(1)).toMatchObject({ index: 1, term: 1, command: { kind: "noop" } });
    expect(n1.commitIndex).toBe(1);
    expect(net.get("n2").leader).toBe("n1");
  });

  it("§5.2 a node grants at most one vote per term, first come first served (a repeated request from the same candidate is granted again)", () => {
    const r = raft("n1");
    const ask = (candidate: string): boolean => {
      r.step({ src: candidate, dest: "n1", body: { type: "raft_request_vote", term: 5, candidate, last_log_index: 0, last_log_term: 0 } }, 0);
      return bodies<RequestVoteOkBody>(r.takeReady().send, "raft_request_vote_ok")[0]!.granted;
    };
    expect(ask("n2")).toBe(true);
    expect(ask("n3")).toBe(false);
    expect(ask("n2")).toBe(true);
    expect(r.votedFor).toBe("n2");
  });

  it("§5.2 a vote is made durable before it is sent: the hard state is in the same ready's persist list", () => {
    const r = raft("n1");
    r.step({ src: "n2", dest: "n1", body: { type: "raft_request_vote", term: 2, candidate: "n2", last_log_index: 0, last_log_term: 0 } }, 0);
    const ready = r.takeReady();
    expect(ready.persist).toContainEqual({ type: "hardState", hardState: { term: 2, votedFor: "n2" } });
    expect(bodies<RequestVoteOkBody>(ready.send, "raft_request_vote_ok")[0]!.granted).toBe(true);
  });

  it("§5.2 a candidate that hears from a leader of its own term steps back to follower", () => {
    const r = raft("n1");
    tickUntil(r, () => r.role === "candidate");
    r.step(
      { src: "n2", dest: "n1", body: { type: "raft_append", term: 1, leader: "n2", prev_log_index: 0, prev_log_term: 0, entries: [], leader_commit: 0 } },
      0,
    );
    expect(r.role).toBe("follower");
    expect(r.leader).toBe("n2");
  });
});

describe("§5.4.1 election restriction", () => {
  // Voter's log: 1@1, 2@2, 3@2.
  it.each([
    { what: "a lower last term", lastIndex: 5, lastTerm: 1, granted: false },
    { what: "the same last term but a shorter log", lastIndex: 2, lastTerm: 2, granted: false },
    { what: "the same last term and length", lastIndex: 3, lastTerm: 2, granted: true },
    { what: "a higher last term, even with a shorter log", lastIndex: 1, lastTerm: 3, granted: true },
  ])("§5.4.1 a voter answers a candidate whose log has $what: granted=$granted", ({ lastIndex, lastTerm, granted }) => {
    const r = raft("n1", {}, persisted(3, [[1, 1], [2, 2], [3, 2]]));
    r.step({ src: "n2", dest: "n1", body: { type: "raft_request_vote", term: 4, candidate: "n2", last_log_index: lastIndex, last_log_term: lastTerm } }, 0);
    expect(bodies<RequestVoteOkBody>(r.takeReady().send, "raft_request_vote_ok")[0]!.granted).toBe(granted);
  });
});

describe("§5.1 terms", () => {
  it("§5.1 a leader that sees a higher term in any answer adopts it, persists it and steps down", () => {
    const net = new Net([raft("n1"), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    n1.step({ src: "n2", dest: "n1", body: { type: "raft_append_ok", term: 7, success: false, match_index: 0 } }, 0);
    expect(n1.role).toBe("follower");
    expect(n1.term).toBe(7);
    expect(n1.takeReady().persist).toContainEqual({ type: "hardState", hardState: { term: 7, votedFor: null } });
  });

  it("§5.1 a request from a stale term is refused with the current term, so the stale leader learns it", () => {
    const r = raft("n1", {}, persisted(5, []));
    r.step(
      { src: "n2", dest: "n1", body: { type: "raft_append", term: 3, leader: "n2", prev_log_index: 0, prev_log_term: 0, entries: [entry(1, 3)], leader_commit: 0 } },
      0,
    );
    const reply = bodies<AppendOkBody>(r.takeReady().send, "raft_append_ok")[0]!;
    expect(reply).toMatchObject({ term: 5, success: false });
    expect(r.log.lastIndex()).toBe(0);
  });
});

describe("§5.3 log replication", () => {
  const append = (prev: number, prevTerm: number, entries: Array<[number, number]>, commit = 0): Message => ({
    src: "n2",
    dest: "n1",
    body: {
      type: "raft_append",
      term: 5,
      leader: "n2",
      prev_log_index: prev,
      prev_log_term: prevTerm,
      entries: entries.map(([i, t]) => entry(i, t)),
      leader_commit: commit,
    },
  });

  it("§5.3 a follower whose log is too short rejects, hinting its last index + 1", () => {
    const r = raft("n1", {}, persisted(5, [[1, 1], [2, 1]]));
    r.step(append(4, 3, [[5, 5]]), 0);
    expect(bodies<AppendOkBody>(r.takeReady().send, "raft_append_ok")[0]).toMatchObject({
      success: false,
      reject_index: 4,
      conflict_term: 0,
      conflict_index: 3,
    });
  });

  it("§5.3 a follower whose entry at prev has another term rejects, hinting that term and its first index", () => {
    const r = raft("n1", {}, persisted(5, [[1, 1], [2, 2], [3, 2], [4, 2]]));
    r.step(append(4, 3, [[5, 5]]), 0);
    expect(bodies<AppendOkBody>(r.takeReady().send, "raft_append_ok")[0]).toMatchObject({
      success: false,
      conflict_term: 2,
      conflict_index: 2,
    });
  });

  it("§5.3 a follower drops a conflicting entry and all that follow it, and appends the leader's (persisted before the ack)", () => {
    const r = raft("n1", {}, persisted(5, [[1, 1], [2, 2], [3, 2], [4, 2]]));
    r.step(append(1, 1, [[2, 3], [3, 3]], 3), 0);
    const ready = r.takeReady();
    expect(terms(r)).toEqual([1, 3, 3]);
    expect(ready.persist).toEqual([{ type: "append", entries: [entry(2, 3), entry(3, 3)] }]);
    expect(bodies<AppendOkBody>(ready.send, "raft_append_ok")[0]).toMatchObject({ success: true, match_index: 3 });
    expect(r.commitIndex).toBe(3);
  });

  it("§5.3 a follower keeps its log when a late, reordered AppendEntries matches it (no truncation of later entries)", () => {
    const r = raft("n1", {}, persisted(5, [[1, 5], [2, 5], [3, 5]]));
    r.step(append(0, 0, [[1, 5]]), 0);
    expect(terms(r)).toEqual([5, 5, 5]);
    expect(r.takeReady().persist).toEqual([]);
  });

  it("§5.3 a follower commits no further than the last entry this message proved matches the leader", () => {
    const r = raft("n1", {}, persisted(5, [[1, 1], [2, 1], [3, 4]]));
    r.step(append(1, 1, [[2, 1]], 10), 0);
    expect(r.commitIndex).toBe(2);
  });

  it("§5.3 the leader repairs a divergent follower with the conflict-term hint in a few round trips, then the logs are equal", () => {
    // Figure 7 (f)-like follower: many entries of terms the leader never had.
    const leaderLog: Array<[number, number]> = [[1, 1], [2, 1], [3, 1], [4, 4], [5, 4], [6, 5], [7, 5], [8, 6], [9, 6], [10, 6]];
    const followerLog: Array<[number, number]> = [[1, 1], [2, 1], [3, 1], [4, 2], [5, 2], [6, 2], [7, 3], [8, 3], [9, 3], [10, 3], [11, 3]];
    const n1 = raft("n1", { nodeIds: ["n1", "n2"] }, persisted(6, leaderLog));
    const n2 = raft("n2", { nodeIds: ["n1", "n2"] }, persisted(6, followerLog));
    const net = new Net([n1, n2]);
    const { ready } = tickUntil(n1, () => n1.role === "candidate");
    net.run(ready.send);
    expect(n1.role).toBe("leader");
    expect(terms(n2)).toEqual(terms(n1));
    const rejections = net.delivered.filter((m) => m.body.type === "raft_append_ok" && !m.body.success).length;
    expect(rejections).toBeLessThanOrEqual(3);
    expect(n1.commitIndex).toBe(11);
  });

  it("§5.3 pipelining: the leader sends new entries without waiting for acks, at most maxInflightAppends unacknowledged, batched up to maxEntriesPerAppend", () => {
    const net = new Net([
      raft("n1", { maxInflightAppends: 2, maxEntriesPerAppend: 3 }),
      raft("n2"),
      raft("n3"),
    ]);
    electN1(net);
    const n1 = net.get("n1");
    const sent: Message[] = [];
    for (let i = 0; i < 10; i++) {
      n1.propose({ kind: "noop", ts: i });
      sent.push(...n1.takeReady().send);
    }
    // Two appends of one entry each go out at once; the rest wait for acks.
    const toN2 = sent.filter((m) => m.dest === "n2").map((m) => (m.body as AppendBody).entries.map((e) => e.index));
    expect(toN2).toEqual([[2], [3]]);
    expect(n1.progressOf("n2")).toMatchObject({ state: "replicate", next: 4, inflight: [2, 3] });
    // Acks free the window; the backlog goes out in batches of 3.
    net.run(sent);
    const batches = net.delivered.filter((m) => m.body.type === "raft_append" && m.dest === "n2").map((m) => (m.body as AppendBody).entries.length);
    expect(batches).toContain(3);
    expect(Math.max(...batches)).toBe(3);
    expect(net.get("n2").log.lastIndex()).toBe(11);
    expect(n1.commitIndex).toBe(11);
  });

  it("§5.3 one AppendEntries carries at most maxAppendChars of entries (but always at least one), so it fits on a line", () => {
    const net = new Net([raft("n1", { maxAppendChars: 300 }), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    net.nodes.delete("n3");
    for (let i = 0; i < 12; i++) n1.propose({ kind: "client", ts: i, request: { type: "write", key: `k${i}`, value: "v".repeat(i === 5 ? 500 : 40) } });
    net.run(net.collect());
    const appends = net.delivered.filter((m) => m.body.type === "raft_append" && m.dest === "n2").map((m) => (m.body as AppendBody).entries);
    for (const entries of appends) expect(entries.length === 1 || JSON.stringify(entries).length <= 300 + entries.length).toBe(true);
    expect(appends.some((e) => e.length > 1)).toBe(true);
    expect(net.get("n2").log.lastIndex()).toBe(13);
  });

  it("§5.3 a lost append is recovered: the next heartbeat finds the gap and the follower catches up", () => {
    const net = new Net([raft("n1"), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    n1.propose({ kind: "noop", ts: 1 });
    n1.takeReady(); // the append is lost on the way to both followers
    n1.propose({ kind: "noop", ts: 2 });
    net.run(n1.takeReady().send);
    for (let i = 0; i < 4; i++) {
      n1.tick(0);
      net.run(net.collect());
    }
    expect(terms(net.get("n2"))).toEqual([1, 1, 1]);
    expect(n1.commitIndex).toBe(3);
  });

  it("§5.2 a heartbeat round skips a follower sent entries since the last round (that append restarted its timer), so no follower goes two rounds without a message", () => {
    const net = new Net([raft("n1"), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    /** The destinations of the empty appends a heartbeat round (two ticks) sends. */
    const round = (): string[] => {
      n1.tick(0);
      n1.tick(0);
      const sent = n1.takeReady().send;
      net.run(sent);
      return bodies<AppendBody>(sent, "raft_append").filter((b) => b.entries.length === 0).map((b) => b.dest);
    };
    round(); // the round after the no-op went out
    expect(round()).toEqual(["n2", "n3"]);
    n1.propose({ kind: "noop", ts: 1 });
    net.run(n1.takeReady().send);
    expect(round()).toEqual([]);
    expect(round()).toEqual(["n2", "n3"]);
    // The commit the skipped round would have carried reaches the followers with the next one.
    expect(net.get("n2").commitIndex).toBe(2);
  });

  it("§5.3 a follower sent entries and then put back to probe by a rejection still gets the next heartbeat round's probe", () => {
    const net = new Net([raft("n1"), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    n1.tick(0);
    n1.tick(0);
    net.run(n1.takeReady().send);
    n1.propose({ kind: "noop", ts: 1 });
    n1.takeReady(); // the appends of index 2 are lost
    // n2 rejects index 2 (as if its log disagreed there): the leader probes it again.
    n1.step({ src: "n2", dest: "n1", body: { type: "raft_append_ok", term: 1, success: false, match_index: 0, reject_index: 2, conflict_index: 2 } }, 0);
    expect(n1.progressOf("n2")?.state).toBe("probe");
    n1.takeReady(); // and that probe is lost too
    n1.tick(0);
    n1.tick(0);
    const heartbeats = bodies<AppendBody>(n1.takeReady().send, "raft_append").filter((b) => b.entries.length === 0);
    expect(heartbeats.map((b) => b.dest)).toEqual(["n2"]);
  });

  it("§6.4 while a read round is in flight, every heartbeat round reaches every follower, sent entries or not", () => {
    const net = new Net([raft("n1"), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    n1.requestRead();
    n1.takeReady(); // the read round's heartbeats are lost
    n1.propose({ kind: "noop", ts: 1 });
    n1.takeReady(); // and so are the entries
    n1.tick(0);
    n1.tick(0);
    const heartbeats = bodies<AppendBody>(n1.takeReady().send, "raft_append").filter((b) => b.entries.length === 0);
    expect(heartbeats.map((b) => [b.dest, b.read_ctx])).toEqual([["n2", 1], ["n3", 1]]);
  });
});

describe("§5.4.2 committing entries from previous terms (Figure 8)", () => {
  // Figure 8 (c): n1 leads term 4 with 2@2 (from its term-2 reign) that n3 lacks;
  // n5 holds 2@3 from a term-3 reign that never replicated.
  function figure8() {
    const opts = { nodeIds: five, maxEntriesPerAppend: 1 };
    const net = new Net([
      raft("n1", opts, persisted(3, [[1, 1], [2, 2]])),
      raft("n2", opts, persisted(3, [[1, 1], [2, 2]])),
      raft("n3", opts, persisted(3, [[1, 1]])),
      raft("n4", opts, persisted(3, [[1, 1]])),
      raft("n5", opts, persisted(3, [[1, 1], [2, 3]])),
    ]);
    const n1 = net.get("n1");
    const { ready } = tickUntil(n1, () => n1.role === "candidate");
    // n1 wins term 4 with votes from n2 and n3 (n4 and n5 do not hear it). n2
    // stores n1's no-op 3@4; n3 gets 2@2 but every append carrying 3@4 to it is lost.
    const carriesNoop = (m: Message): boolean =>
      m.body.type === "raft_append" && (m.body as AppendBody).entries.some((e) => e.index === 3);
    const filter = (m: Message): boolean => !["n4", "n5"].includes(m.dest) && !(m.dest === "n3" && carriesNoop(m));
    net.run(ready.send, filter);
    // A heartbeat finds that n3 lacks index 2; the leader backs up and sends it 2@2.
    n1.tick(0);
    n1.tick(0);
    net.run(net.collect(), filter);
    return net;
  }

  it("§5.4.2 a leader does not commit an entry of an earlier term because a majority stores it", () => {
    const net = figure8();
    const n1 = net.get("n1");
    expect(n1.role).toBe("leader");
    expect(n1.term).toBe(4);
    // n1 knows 2@2 is on n1, n2 and n3: a majority of five, but of term 2.
    expect(n1.progressOf("n2")?.match).toBe(3);
    expect(n1.progressOf("n3")?.match).toBe(2);
    expect(n1.commitIndex).toBeLessThan(2);
  });

  it("§5.4.2 that restraint is needed: a node with a later last term can still win and overwrite the entry", () => {
    const net = figure8();
    const n1 = net.get("n1");
    net.nodes.delete("n1"); // n1 crashes
    campaignUntilLeader(net, "n5");
    for (const id of ["n2", "n3", "n4"]) expect(net.get(id).log.term(2)).toBe(3);
    expect(n1.commitIndex).toBeLessThan(2);
  });

  it("§5.4.2 the earlier-term entry commits indirectly once an entry of the leader's term is on a majority", () => {
    const net = figure8();
    const n1 = net.get("n1");
    for (let i = 0; i < 6; i++) {
      n1.tick(0);
      net.run(net.collect(), (m) => !["n4", "n5"].includes(m.dest));
    }
    expect(n1.commitIndex).toBe(3);
    expect(net.get("n3").log.term(3)).toBe(4);
  });
});

describe("§7 log compaction and InstallSnapshot", () => {
  it("§7 a leader sends its snapshot to a follower that needs compacted entries; the follower installs it and gets the rest", () => {
    const net = new Net([raft("n1"), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    net.nodes.delete("n3");
    for (let i = 0; i < 5; i++) {
      n1.propose({ kind: "noop", ts: i });
      net.run(net.collect());
    }
    n1.compact(4, { state: "at 4" });
    expect(n1.takeReady().persist).toEqual([
      { type: "snapshot", snapshot: { lastIncludedIndex: 4, lastIncludedTerm: 1, nodeIds: ["n1", "n2", "n3"], data: { state: "at 4" } } },
    ]);
    const n3 = raft("n3");
    net.nodes.set("n3", n3);
    for (let i = 0; i < 6; i++) {
      n1.tick(0);
      net.run(net.collect());
    }
    const restored = net.restores.find((r) => r.node === "n3")?.snapshot.data;
    expect(net.delivered.some((m) => m.body.type === "raft_snapshot" && m.dest === "n3")).toBe(true);
    expect(restored).toEqual({ state: "at 4" });
    expect(n3.log.snapshotIndex).toBe(4);
    expect(n3.log.lastIndex()).toBe(6);
    expect(n1.progressOf("n3")).toMatchObject({ match: 6, state: "replicate" });
  });

  it("§7 a snapshot larger than one chunk travels chunk by chunk, in order; a lost chunk is sent again", () => {
    const net = new Net([raft("n1", { maxSnapshotChunkChars: 16 }), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    net.nodes.delete("n3");
    for (let i = 0; i < 3; i++) {
      n1.propose({ kind: "noop", ts: i });
      net.run(net.collect());
    }
    const data = { text: "x".repeat(100), list: [1, 2, 3] };
    n1.compact(3, data);
    n1.takeReady();
    net.nodes.set("n3", raft("n3"));
    let dropped = 0;
    const loseSecondChunk = (m: Message): boolean => !(m.body.type === "raft_snapshot" && m.body.offset === 16 && dropped++ === 0);
    for (let i = 0; i < 40 && net.restores.length === 0; i++) {
      n1.tick(0);
      net.run(net.collect(), loseSecondChunk);
    }
    expect(dropped).toBeGreaterThan(0);
    const chunks = net.delivered.filter((m) => m.body.type === "raft_snapshot").map((m) => m.body as SnapshotBody);
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(JSON.stringify(data).length / 16));
    expect(chunks.every((c) => c.chunk.length <= 16)).toBe(true);
    expect(net.restores).toEqual([{ node: "n3", snapshot: { lastIncludedIndex: 3, lastIncludedTerm: 1, nodeIds: ["n1", "n2", "n3"], data } }]);
  });

  it("§7 while a snapshot is on its way, the leader's heartbeats keep the follower from starting an election", () => {
    const net = new Net([raft("n1", { maxSnapshotChunkChars: 8 }), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    net.nodes.delete("n3");
    n1.propose({ kind: "noop", ts: 1 });
    net.run(net.collect());
    n1.compact(2, { big: "y".repeat(200) });
    n1.takeReady();
    // n3 times out well before the leader would resend a lost chunk (electionTimeoutTicksMax = 20).
    const n3 = raft("n3", { electionTimeoutTicksMin: 8, electionTimeoutTicksMax: 9 });
    net.nodes.set("n3", n3);
    // Every chunk acknowledgement is lost: the snapshot cannot progress.
    const noChunkAcks = (m: Message): boolean => m.body.type !== "raft_snapshot_ok";
    for (let i = 0; i < 60; i++) {
      n1.tick(0);
      n3.tick(0);
      net.run(net.collect(), noChunkAcks);
    }
    expect(n1.progressOf("n3")?.state).toBe("snapshot");
    expect(n3.role).toBe("follower");
    expect(n3.term).toBe(n1.term);
    expect(n3.leader).toBe("n1");
  });

  const snapshotMessage = (index: number, term: number): Message<SnapshotBody> => ({
    src: "n2",
    dest: "n1",
    body: {
      type: "raft_snapshot",
      term: 5,
      leader: "n2",
      last_included_index: index,
      last_included_term: term,
      node_ids: ["n1", "n2", "n3"],
      offset: 0,
      chunk: JSON.stringify("s"),
      done: true,
    },
  });

  it("§7 a follower whose log agrees at the snapshot's last entry keeps the entries after it", () => {
    const r = raft("n1", {}, persisted(5, [[1, 1], [2, 2], [3, 2], [4, 5]]));
    r.step(snapshotMessage(3, 2), 0);
    const ready = r.takeReady();
    expect(ready.restore?.lastIncludedIndex).toBe(3);
    expect(r.log.snapshotIndex).toBe(3);
    expect(r.log.lastIndex()).toBe(4);
    expect(r.commitIndex).toBe(3);
  });

  it("§7 a follower whose log disagrees with the snapshot discards its whole log", () => {
    const r = raft("n1", {}, persisted(5, [[1, 1], [2, 2], [3, 2], [4, 2]]));
    r.step(snapshotMessage(3, 3), 0);
    r.takeReady();
    expect(r.log.snapshotIndex).toBe(3);
    expect(r.log.lastIndex()).toBe(3);
    expect(r.log.lastTerm()).toBe(3);
  });

  it("§7 a snapshot older than what the follower has committed is acknowledged and ignored", () => {
    const r = raft("n1", {}, persisted(5, [[1, 1], [2, 2], [3, 2]]));
    r.step({ ...snapshotMessage(0, 0), body: { ...snapshotMessage(0, 0).body, type: "raft_append", prev_log_index: 3, prev_log_term: 2, entries: [], leader_commit: 3 } as never }, 0);
    r.takeReady();
    r.step(snapshotMessage(2, 2), 0);
    const ready = r.takeReady();
    expect(ready.restore).toBeNull();
    expect(bodies<{ match_index: number }>(ready.send, "raft_snapshot_ok")[0]!.match_index).toBe(3);
  });

  it("§7 a node restarted from a snapshot and the entries after it resumes with its commit index at the snapshot", () => {
    const r = raft("n1", {}, {
      hardState: { term: 2, votedFor: null },
      snapshot: { lastIncludedIndex: 10, lastIncludedTerm: 2, nodeIds: ["n1", "n2", "n3"], data: null },
      entries: [entry(11, 2), entry(12, 2)],
    });
    expect(r.commitIndex).toBe(10);
    expect(r.log.lastIndex()).toBe(12);
    expect(r.log.term(10)).toBe(2);
  });
});

describe("thesis §6.4 ReadIndex: linearizable reads without log entries", () => {
  it("§6.4 a read is reported only after a majority answers a heartbeat round sent after it arrived, with the commit index of that moment", () => {
    const net = new Net([raft("n1"), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    const id = n1.requestRead()!;
    const ready = n1.takeReady();
    expect(ready.reads).toEqual([]);
    const heartbeats = bodies<AppendBody>(ready.send, "raft_append");
    expect(heartbeats.map((b) => [b.dest, b.read_ctx])).toEqual([["n2", 1], ["n3", 1]]);
    // One answer (plus the leader itself) is a majority of three.
    net.get("n2").step(ready.send.find((m) => m.dest === "n2")!, 0);
    const answer = net.get("n2").takeReady().send;
    expect(bodies<AppendOkBody>(answer, "raft_append_ok")[0]!.read_ctx).toBe(1);
    n1.step(answer[0]!, 0);
    expect(n1.takeReady().reads).toEqual([{ id, index: 1 }]);
  });

  /** Deliver until quiet, keeping the confirmed reads the network helper would drop. */
  function pump(net: Net, messages: Message[]): { reads: Array<{ id: number; index: number }>; delivered: Message[] } {
    const reads: Array<{ id: number; index: number }> = [];
    const delivered: Message[] = [];
    let queue = messages;
    for (let i = 0; i < 50 && queue.length > 0; i++) {
      for (const m of queue) net.get(m.dest).step(m, 0);
      delivered.push(...queue);
      queue = [];
      for (const node of net.nodes.values()) {
        const r = node.takeReady();
        reads.push(...r.reads);
        queue.push(...r.send);
      }
    }
    return { reads, delivered };
  }

  it("§6.4 a new leader holds reads until it has committed an entry of its own term (its no-op)", () => {
    const net = new Net([raft("n1"), raft("n2"), raft("n3")]);
    const n1 = net.get("n1");
    const { ready } = tickUntil(n1, () => n1.role === "candidate");
    const noopAppends = net.hop(net.hop(ready.send)); // votes granted: n1 leads, its no-op is on the way
    expect(n1.role).toBe("leader");
    expect(n1.commitIndex).toBe(0);
    const id = n1.requestRead()!;
    const held = n1.takeReady();
    expect(held.reads).toEqual([]);
    expect(held.send).toEqual([]);
    const { reads } = pump(net, noopAppends);
    expect(n1.commitIndex).toBe(1);
    expect(reads).toEqual([{ id, index: 1 }]);
  });

  it("§6.4 reads that arrive while a round is in flight share the next round", () => {
    const net = new Net([raft("n1"), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    const first = n1.requestRead()!;
    const round1 = n1.takeReady().send;
    const second = n1.requestRead()!;
    const third = n1.requestRead()!;
    expect(n1.takeReady().send).toEqual([]);
    const { reads, delivered } = pump(net, round1);
    expect(reads.map((r) => r.id)).toEqual([first, second, third]);
    const rounds = new Set(delivered.map((m) => m.body.read_ctx).filter((c) => c !== undefined));
    expect(rounds).toEqual(new Set([1, 2]));
  });

  it("§6.4 a single-node leader confirms a read at once", () => {
    const r = raft("n1", { nodeIds: ["n1"] });
    r.bootstrap(0);
    r.takeReady();
    const id = r.requestRead()!;
    expect(r.takeReady().reads).toEqual([{ id, index: 1 }]);
  });

  it("§6.4 a node that is not the leader refuses to start a read", () => {
    expect(raft("n1").requestRead()).toBeNull();
  });
});

describe("thesis §9.6 pre-vote and check-quorum", () => {
  it("§9.6 a node cut off from the others keeps asking for pre-votes but never raises its term", () => {
    const r = raft("n1", { preVote: true });
    for (let i = 0; i < 200; i++) r.tick(0);
    const sent = r.takeReady().send;
    expect(r.term).toBe(0);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((m) => m.body.type === "raft_request_vote" && m.body.pre_vote === true)).toBe(true);
  });

  it("§9.6 a follower that heard from its leader within the minimum election timeout ignores a vote request (leader lease)", () => {
    const net = new Net([raft("n1", { checkQuorum: true }), raft("n2", { checkQuorum: true }), raft("n3", { checkQuorum: true })]);
    electN1(net);
    const n2 = net.get("n2");
    n2.step({ src: "n3", dest: "n2", body: { type: "raft_request_vote", term: 9, candidate: "n3", last_log_index: 9, last_log_term: 9 } }, 0);
    expect(n2.term).toBe(1);
    expect(n2.takeReady().send).toEqual([]);
  });

  it("§9.6 check-quorum: a leader that hears from no majority for an election timeout steps down", () => {
    const net = new Net([raft("n1", { checkQuorum: true }), raft("n2"), raft("n3")]);
    electN1(net);
    const n1 = net.get("n1");
    for (let i = 0; i < 45 && n1.role === "leader"; i++) {
      n1.tick(0);
      n1.takeReady(); // everything it sends is lost
    }
    expect(n1.role).toBe("follower");
    expect(n1.term).toBe(1);
  });
});

describe("options", () => {
  it.each([
    { opts: { heartbeatTicks: 10, electionTimeoutTicksMin: 10 }, error: /heartbeatTicks \(10\) must be below electionTimeoutTicksMin/ },
    { opts: { electionTimeoutTicksMin: 10, electionTimeoutTicksMax: 5 }, error: /electionTimeoutTicksMax \(5\) is below/ },
    { opts: { maxEntriesPerAppend: 0 }, error: /maxEntriesPerAppend must be a positive integer/ },
  ])("refuses options that cannot work, saying what to change ($error)", ({ opts, error }) => {
    expect(() => raft("n1", opts)).toThrow(error);
  });

  it("a node id outside the cluster's node ids is refused", () => {
    expect(() => raft("n9")).toThrow(/n9 is not among the cluster's node ids/);
  });
});

describe("Raft carries commands without looking inside them", () => {
  it("the no-op a new leader appends is the one the node makes, and Raft reads nothing in it", () => {
    const made: number[] = [];
    const r = raft("n1", { nodeIds: ["n1"], leaderNoop: (nowMs) => (made.push(nowMs), { kind: "noop", ts: 7 }) });
    r.bootstrap(1234);
    expect(made).toEqual([1234]);
    expect(r.log.entry(1)!.command).toEqual({ kind: "noop", ts: 7 });
  });

  it("an AppendEntries whose command the node's checkCommand refuses is dropped, not appended", () => {
    const r = raft("n2", { checkCommand: (c) => ((c as { ok?: boolean }).ok ? null : "not ok") });
    r.step({ src: "n1", dest: "n2", body: { type: "raft_append", term: 1, leader_id: "n1", prev_log_index: 0, prev_log_term: 0, entries: [{ index: 1, term: 1, command: { ok: false } }], leader_commit: 0 } }, 0);
    const ready = r.takeReady();
    expect(r.log.lastIndex()).toBe(0);
    expect(ready.logs.join("\n")).toMatch(/entry 0: not ok/);
  });
});
