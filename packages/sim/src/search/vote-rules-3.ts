/**
 * The `vote-rules-3` scenario: three nodes electing a leader, every
 * decision made by the vote rules plugged in (the workbook's `observeTerm`
 * and `decide`), the rest done as the reference Raft does it
 * (packages/cluster/src/raft/raft.ts): a node whose election timer fires
 * becomes a candidate of the next term, votes for itself and asks both
 * peers; every message first goes through `observeTerm` with the term it
 * carries (a result Raft refuses, by `wrongObservation`, breaks the rules'
 * contract); a vote request then goes to `decide`, and a granted vote is
 * recorded; a request of an older term is answered with a refusal in the
 * voter's term; a candidate with votes from a majority (itself included)
 * leads, appends a no-op of its term and tells its peers, which follow it;
 * one with refusals from a majority steps down.
 *
 * The model is Raft's election and nothing else, sized to be exhausted: the
 * logs do not grow but for a new leader's no-op, terms stop at `maxTerm`
 * (a timer fires only below it), and at most `maxElections` timers fire. The logs start where the vote's
 * log rule matters: n1 and n2 hold two entries of term 1 (committed: a
 * majority has them), n3 only the first. Left out: pre-vote and the leader
 * lease, which only ever refuse more, so the model allows more orders than
 * the cluster, never fewer.
 *
 * Events: deliver a message, deliver a copy and keep it in flight (at most
 * `maxDuplicates`), fire a node's election timer. With `network: 0` no
 * message is delivered (the no-network check: nothing may be decided).
 * Messages never delivered are lost ones: no separate drop event (see
 * dedup-single.ts, reduction 1; nothing here reads the messages in flight).
 *
 * Invariants, watched by the step that can break them and latched:
 * one-leader-per-term, committed-entries-kept (a new leader holds every
 * committed entry: otherwise its log overwrites one), rules-keep-contract,
 * and nothing-decided-offline (with the network off, nobody leads).
 */
import type { Model } from "./engine.js";
import { stableStringify } from "./engine.js";
import { distinctMessages, latch, messageText, withMessage, withoutMessage } from "./world-parts.js";
import { wrongObservation, type TermState, type VoteDecision, type VoteRequest, type VoterState } from "@dslab/cluster/core";

/** The two rules the scenario calls (the workbook's `voteRules`, or the reference's). */
export interface VoteRulesLike {
  observeTerm(node: TermState, seenTerm: number): TermState;
  decide(voter: VoterState, request: VoteRequest): VoteDecision;
}

export interface ElectionNode {
  id: string;
  term: number;
  votedFor: string | null;
  role: "follower" | "candidate" | "leader";
  leader: string | null;
  /** The term of each log entry, by index - 1. */
  log: number[];
  /** As a candidate: the peers that answered, and whether they granted. */
  votes: Record<string, boolean>;
}

export type ElectionMessage =
  | { kind: "vote"; from: string; to: string; term: number; lastLogIndex: number; lastLogTerm: number }
  | { kind: "vote-reply"; from: string; to: string; term: number; granted: boolean }
  | { kind: "heartbeat"; from: string; to: string; term: number };

export type ElectionEvent = { kind: "deliver"; message: ElectionMessage } | { kind: "duplicate"; message: ElectionMessage } | { kind: "timer"; node: string };

export interface ElectionWorld {
  nodes: ElectionNode[];
  /** Messages in flight, sorted by their text (a multiset). */
  inFlight: ElectionMessage[];
  duplicates: number;
  /** Election timers fired so far. */
  elections: number;
  /** Who led each term (term 1's leader wrote the first entries). */
  leaders: Record<string, string>;
  broken?: Record<string, string>;
}

export interface VoteScenarioOptions {
  rules: VoteRulesLike;
  /** No timer fires in this term or later (default 3: two elections at most in a row). */
  maxTerm: number;
  maxDuplicates: number;
  /** Election timers that fire in a run, all nodes together. */
  maxElections: number;
  /** 0: no message is ever delivered (the no-network check). */
  network: number;
}

export const VOTE_DEFAULTS = { maxTerm: 3, maxElections: 2, maxDuplicates: 1, network: 1 } as const;
export const VOTE_INVARIANTS = ["one-leader-per-term", "committed-entries-kept", "rules-keep-contract", "nothing-decided-offline"] as const;

const IDS = ["n1", "n2", "n3"];
/** Entries 1 and 2 (term 1) are on n1 and n2, a majority: committed. */
const COMMITTED = [1, 1];
const QUORUM = 2;

function show(m: ElectionMessage): string {
  switch (m.kind) {
    case "vote":
      return `${m.from}->${m.to} vote request, term ${m.term} (last log index ${m.lastLogIndex}, term ${m.lastLogTerm})`;
    case "vote-reply":
      return `${m.from}->${m.to} vote ${m.granted ? "granted" : "refused"}, term ${m.term}`;
    case "heartbeat":
      return `${m.from}->${m.to} heartbeat of the leader of term ${m.term}`;
  }
}

const lastTerm = (n: ElectionNode) => n.log.at(-1) ?? 0;

export function voteRules3Model(options: VoteScenarioOptions): Model<ElectionWorld, ElectionEvent> {
  const rules = options.rules;
  const online = options.network !== 0;

  const node = (world: ElectionWorld, id: string) => world.nodes.find((n) => n.id === id)!;
  const put = (world: ElectionWorld, n: ElectionNode) => {
    world.nodes = world.nodes.map((x) => (x.id === n.id ? n : x));
  };
  const send = (world: ElectionWorld, m: ElectionMessage) => {
    world.inFlight = withMessage(world.inFlight, m);
  };
  /**
   * A heartbeat or a vote reply whose term is below its receiver's term can
   * only be ignored on arrival (observeTerm with a lower term changes
   * nothing: rules-keep-contract and criterion #3's checks hold it to
   * that), and terms never go down: such messages leave the network at once.
   */
  const dropStale = (world: ElectionWorld) => {
    const term = new Map(world.nodes.map((n) => [n.id, n.term]));
    if (world.inFlight.some((m) => m.kind !== "vote" && m.term < term.get(m.to)!)) {
      world.inFlight = world.inFlight.filter((m) => m.kind === "vote" || m.term >= term.get(m.to)!);
    }
  };

  /** Raft's observeTerm: the rules' answer, checked as Raft checks it, applied when it adopts a higher term. */
  const observe = (world: ElectionWorld, n: ElectionNode, seenTerm: number, sender: string | null): ElectionNode => {
    const before: TermState = { term: n.term, votedFor: n.votedFor, role: n.role, leader: n.leader };
    const after = rules.observeTerm({ ...before }, seenTerm);
    const wrong = wrongObservation(before, seenTerm, after, IDS);
    if (wrong !== null) {
      latch(world, "rules-keep-contract", `observeTerm(${stableStringify(before)}, ${seenTerm}) on ${n.id} returned ${stableStringify(after)}, which Raft refuses: ${wrong}`);
      return n;
    }
    if (after.term <= n.term) return n;
    return { ...n, term: after.term, votedFor: after.votedFor, role: "follower", leader: sender, votes: {} };
  };

  const becomeLeader = (world: ElectionWorld, n: ElectionNode): ElectionNode => {
    const led = { ...n, role: "leader" as const, leader: n.id, votes: {}, log: [...n.log, n.term] };
    const other = world.leaders[String(n.term)];
    if (other !== undefined && other !== n.id) latch(world, "one-leader-per-term", `${other} and ${n.id} both became leader of term ${n.term}`);
    world.leaders = { ...world.leaders, [String(n.term)]: n.id };
    if (COMMITTED.some((t, i) => n.log[i] !== t)) {
      latch(world, "committed-entries-kept", `${n.id} became leader of term ${n.term} with the log [${n.log.join(",")}], without the committed entries [${COMMITTED.join(",")}]: its log will overwrite them`);
    }
    if (!online) latch(world, "nothing-decided-offline", `${n.id} became leader of term ${n.term} though no message was delivered`);
    for (const peer of IDS) if (peer !== n.id) send(world, { kind: "heartbeat", from: n.id, to: peer, term: n.term });
    return led;
  };

  const deliver = (world: ElectionWorld, m: ElectionMessage): void => {
    let n = observe(world, node(world, m.to), m.term, m.kind === "heartbeat" ? m.from : null);
    if (m.term < n.term) {
      // A stale candidate: answered with our term, so it steps down (§5.1).
      if (m.kind === "vote") send(world, { kind: "vote-reply", from: n.id, to: m.from, term: n.term, granted: false });
      put(world, n);
      return;
    }
    if (m.kind === "vote") {
      const voter: VoterState = { term: n.term, votedFor: n.votedFor, leader: n.leader, lastLogIndex: n.log.length, lastLogTerm: lastTerm(n) };
      const request: VoteRequest = { candidate: m.from, term: m.term, lastLogIndex: m.lastLogIndex, lastLogTerm: m.lastLogTerm, preVote: false };
      const decision = rules.decide({ ...voter }, { ...request });
      const grant = decision?.grant === true;
      if (grant) n = { ...n, votedFor: m.from };
      send(world, { kind: "vote-reply", from: n.id, to: m.from, term: n.term, granted: grant });
    } else if (m.kind === "vote-reply") {
      if (n.role === "candidate" && m.term === n.term) {
        const votes = { ...n.votes, [m.from]: m.granted };
        const granted = Object.values(votes).filter((v) => v).length;
        const refused = Object.values(votes).filter((v) => !v).length;
        n = { ...n, votes };
        if (granted >= QUORUM) n = becomeLeader(world, n);
        else if (refused >= QUORUM) n = { ...n, role: "follower", leader: null, votes: {} };
      }
    } else if (n.role !== "leader" || n.leader !== m.from) {
      // The leader of our term: follow it.
      n = { ...n, role: "follower", leader: m.from, votes: {} };
    }
    put(world, n);
  };

  return {
    initial() {
      const nodes: ElectionNode[] = IDS.map((id) => ({ id, term: 1, votedFor: "n1", role: "follower", leader: null, log: id === "n3" ? [1] : [1, 1], votes: {} }));
      return { nodes, inFlight: [], duplicates: 0, elections: 0, leaders: { "1": "n1" } };
    },

    events(world) {
      const out: ElectionEvent[] = [];
      if (online) {
        for (const message of distinctMessages(world.inFlight)) {
          out.push({ kind: "deliver", message });
          if (world.duplicates < options.maxDuplicates) out.push({ kind: "duplicate", message });
        }
      }
      if (world.elections < options.maxElections) for (const n of world.nodes) if (n.role !== "leader" && n.term < options.maxTerm) out.push({ kind: "timer", node: n.id });
      return out;
    },

    step(world, event) {
      const next: ElectionWorld = { ...world };
      if (event.kind === "timer") {
        const n = node(world, event.node);
        next.elections++;
        const c: ElectionNode = { ...n, term: n.term + 1, role: "candidate", votedFor: n.id, leader: null, votes: { [n.id]: true } };
        put(next, c);
        for (const peer of IDS) if (peer !== n.id) send(next, { kind: "vote", from: n.id, to: peer, term: c.term, lastLogIndex: c.log.length, lastLogTerm: lastTerm(c) });
        dropStale(next);
        return next;
      }
      if (event.kind === "duplicate") next.duplicates++;
      else next.inFlight = withoutMessage(next.inFlight, event.message);
      deliver(next, event.message);
      dropStale(next);
      return next;
    },

    describe(event, before, after) {
      if (event.kind === "timer") return `timer ${event.node}: election timeout, candidate for term ${node(after, event.node).term}`;
      const m = event.message;
      const b = node(before, m.to);
      const a = node(after, m.to);
      const changes: string[] = [];
      if (a.term !== b.term) changes.push(`term ${b.term} -> ${a.term}`);
      if (a.votedFor !== b.votedFor) changes.push(`votedFor ${a.votedFor ?? "null"}`);
      if (a.role !== b.role) changes.push(a.role === "leader" ? `LEADER of term ${a.term}` : a.role);
      if (a.leader !== b.leader && a.role !== "leader") changes.push(`follows ${a.leader ?? "nobody"}`);
      const verb = event.kind === "duplicate" ? "duplicate" : "deliver  ";
      return `${verb} ${show(m)}${changes.length > 0 ? ` => ${m.to}: ${changes.join(", ")}` : ""}`;
    },

    canonical(world) {
      const nodes = world.nodes.map((n) => `${n.term},${n.votedFor ?? "-"},${n.role[0]},${n.leader ?? "-"},${n.log.join(".")},${Object.entries(n.votes).map(([k, v]) => k + (v ? "+" : "-")).sort().join("")}`);
      const broken = world.broken === undefined ? "" : Object.keys(world.broken).sort().join(",");
      return `${nodes.join(";")}|${world.inFlight.map(messageText).join(";")}|${world.duplicates},${world.elections}|${stableStringify(world.leaders)}|${broken}`;
    },

    invariants: {
      "one-leader-per-term": (w) => w.broken?.["one-leader-per-term"] ?? null,
      "committed-entries-kept": (w) => w.broken?.["committed-entries-kept"] ?? null,
      "rules-keep-contract": (w) => w.broken?.["rules-keep-contract"] ?? null,
      "nothing-decided-offline": (w) => w.broken?.["nothing-decided-offline"] ?? null,
    },

    predicates: {
      "leader-elected": (w) => w.nodes.some((n) => n.role === "leader"),
    },
  };
}
