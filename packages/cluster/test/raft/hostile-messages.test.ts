/**
 * No message makes a node throw: impossible indexes, terms and offsets from a
 * peer, snapshots whose data is not a snapshot, and a seeded stream of
 * replayed and mutated Raft messages are each logged and dropped (or, when
 * they are possible, handled). These are peer messages that already passed
 * the TCP shell's authentication; the shell keeps everyone else out.
 */
import { createPrng, type Body, type Message, type Prng } from "@dslab/protocol";
import { describe, expect, it } from "vitest";
import { RaftDriver } from "../../src/testing/raft-driver.js";

const nodeIds = ["n1", "n2", "n3"];

/** A 3-node cluster with a leader and a few committed entries (snapshots every 8 entries). */
function runningCluster(seed = 1): { d: RaftDriver; leader: string; follower: string } {
  const d = new RaftDriver({ nodeIds, seed, config: { snapshotEveryEntries: 8 } });
  for (let i = 0; i < 100 && d.leader() === null; i++) d.run(1);
  const leader = d.leader();
  if (leader === null) throw new Error("no leader after 100 rounds");
  for (let seq = 1; seq <= 3; seq++) {
    d.request("c1", leader, { type: "write", key: "k", value: seq, client_id: "c1", seq, msg_id: seq });
    d.run(3);
  }
  return { d, leader, follower: nodeIds.find((n) => n !== leader)! };
}

/** Deliver `body` from `src` straight to `dest`'s core, then let the cluster run: nothing may throw. */
function inject(d: RaftDriver, src: string, dest: string, body: Body): void {
  const effects = d.node(dest).receive({ src, dest, body }, d.nowMs);
  for (const line of effects.logs) d.trace.push(`${dest}: ${line}`);
  for (const m of effects.send) if (nodeIds.includes(m.dest)) d.queue.push(m);
  d.run(40);
}

describe("Raft messages a correct peer never sends are logged and dropped, and the node keeps serving", () => {
  it.each<[string, (term: number, leader: string) => Body, RegExp]>([
    [
      "an append acknowledgement for an index beyond the leader's log",
      (term) => ({ type: "raft_append_ok", term, success: true, match_index: 1000 }),
      /dropped raft_append_ok from n\d: match_index 1000 is beyond the last log index/,
    ],
    [
      "an append rejection for an index beyond the leader's log",
      (term) => ({ type: "raft_append_ok", term, success: false, match_index: 0, reject_index: 5000, conflict_index: 7000 }),
      /dropped raft_append_ok from n\d: reject_index 5000 is beyond the last log index/,
    ],
    [
      "a snapshot acknowledgement for an index beyond the leader's log",
      (term) => ({ type: "raft_snapshot_ok", term, match_index: 900 }),
      /dropped raft_snapshot_ok from n\d: match_index 900 is beyond the last log index/,
    ],
  ])("the leader logs and drops %s, and keeps leading and committing", (_what, make, logged) => {
    const { d, leader, follower } = runningCluster();
    const term = d.status(leader).term;
    inject(d, follower, leader, make(term, leader));
    expect(d.trace.join("\n")).toMatch(logged);
    // The leader still leads (no step down, no throw) and still commits.
    expect(d.leader()).toBe(leader);
    d.request("c1", leader, { type: "write", key: "k", value: 99, client_id: "c1", seq: 4, msg_id: 4 });
    d.run(5);
    expect(d.takeReplies("c1").map((m) => m.body.type)).toContain("write_ok");
  });

  it.each<[string, (term: number, leader: string, commit: number) => Body, RegExp]>([
    [
      "a snapshot whose data is not a key-value snapshot",
      (term, leader, commit) => ({
        type: "raft_snapshot",
        term,
        leader,
        last_included_index: commit + 50,
        last_included_term: term,
        node_ids: nodeIds,
        offset: 0,
        chunk: JSON.stringify({ format: "nonsense" }),
        done: true,
      }),
      /snapshot at index \d+ from n\d is not a valid snapshot/,
    ],
    [
      "a snapshot whose applied index is past its own last included index",
      (term, leader, commit) => ({
        type: "raft_snapshot",
        term,
        leader,
        last_included_index: commit + 50,
        last_included_term: term,
        node_ids: nodeIds,
        offset: 0,
        chunk: JSON.stringify({ format: "dslab-kv/1", applied_index: commit + 5000, clock_ms: 0, kv: [], sessions: [], tombstones: [], idempotency_keys: [] }),
        done: true,
      }),
      /snapshot at index \d+ from n\d is not a valid snapshot/,
    ],
  ])("a follower logs and refuses %s sent as if by its leader, and the cluster keeps serving", (_what, make, logged) => {
    const { d, leader, follower } = runningCluster();
    const s = d.status(follower);
    inject(d, leader, follower, make(s.term, leader, s.commitIndex));
    expect(d.trace.join("\n")).toMatch(logged);
    expect(d.status(follower).lastApplied).toBeGreaterThanOrEqual(s.lastApplied);
    d.request("c1", leader, { type: "read", key: "k", msg_id: 50 });
    d.run(5);
    expect(d.takeReplies("c1").find((m) => m.body.in_reply_to === 50)?.body).toMatchObject({ type: "read_ok", value: 3 });
  });

  it("200 seeded runs of replayed, reordered and mutated peer messages never make a node throw", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const prng = createPrng(`hostile/${seed}`);
      const seen: Message[] = [];
      const d = new RaftDriver({ nodeIds, seed, config: { snapshotEveryEntries: 5 }, observe: (m) => void (nodeIds.includes(m.dest) && seen.push(m)) });
      let seq = 0;
      try {
        for (let round = 0; round < 120; round++) {
          d.tickAll();
          const leader = d.leader() ?? prng.pick(nodeIds);
          if (round % 4 === 0) d.request("c1", leader, { type: "append", key: "k", value: ++seq, client_id: "c1", seq, msg_id: seq });
          if (seen.length > 0) {
            for (let i = 0; i < 3; i++) {
              const m = mutate(prng, prng.pick(seen));
              const dest = prng.pick(nodeIds);
              if (d.isUp(dest)) d.queue.push({ ...m, dest });
            }
          }
          d.deliverRound();
        }
      } catch (e) {
        throw new Error(`seed ${seed}: ${(e as Error).stack ?? String(e)}`);
      }
    }
  });
});

/** A replay of `m`, sometimes with one field changed to something a correct peer would not send. */
function mutate(prng: Prng, m: Message): Message {
  const body = structuredClone(m.body) as Record<string, unknown>;
  const src = prng.int(0, 9) === 0 ? prng.pick(nodeIds) : m.src;
  if (prng.int(0, 2) === 0) return { src, dest: m.dest, body: body as Body };
  const fields = Object.keys(body).filter((k) => k !== "type");
  if (fields.length === 0) return { src, dest: m.dest, body: body as Body };
  const f = prng.pick(fields);
  const choices: unknown[] = [0, 1, 7, 1000, 2 ** 40, Number.MAX_SAFE_INTEGER, true, "x", [], {}];
  if (f === "entries" && Array.isArray(body.entries) && body.entries.length > 0) {
    const e = structuredClone(body.entries[0]) as Record<string, unknown>;
    const g = prng.pick(["index", "term", "command"]);
    e[g] = prng.pick(choices);
    body.entries = [e, ...(body.entries as unknown[]).slice(1)];
  } else if (f === "chunk") {
    body.chunk = prng.pick(['{"format":"dslab-kv/1"}', "[]", "{", String(body.chunk).slice(1)]);
  } else {
    body[f] = prng.pick(choices);
  }
  return { src, dest: m.dest, body: body as Body };
}
