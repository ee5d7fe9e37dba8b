/**
 * The `raft-core-3` scenario: three real node cores of the reference
 * cluster (`@dslab/cluster/core`: Raft with pre-vote and check-quorum, the
 * key-value state machine with client sessions, the node between them),
 * not a model of them, and one client appending to key "l". Every step
 * rebuilds the cores it touches from their exported state
 * (`KvNode.fromState`), hands them one input and exports them again, so a
 * world is plain data: each node's `exportState()`, the messages in
 * flight, the client and the bounds used.
 *
 * Events:
 * - deliver a message in flight to its node (or the client's reply to it);
 * - duplicate: deliver a copy and keep the message in flight (at most
 *   `maxDuplicates`);
 * - timer: a node's clock runs until it acts on its own: a follower,
 *   pre-candidate or candidate until its election timeout (it asks for
 *   pre-votes), a leader one heartbeat (AppendEntries to both peers, and
 *   check-quorum every election timeout). At most `maxElections` election
 *   timers (of nodes that do not lead, each only below `maxTerm`) and
 *   `maxHeartbeats` heartbeat timers in a run;
 * - request: the client sends its current append (client c1, seq s, value
 *   "c1:s"; the same identity on every attempt) to a node that believes it
 *   leads, at most 1 + `maxRetries` times per append; an `append_ok` for
 *   it moves the client to the next append, any other answer is left for a
 *   later attempt;
 * - restart: a node crashes and restarts at once from what it persisted
 *   (its hard state and log, the effects' `persist` written before its
 *   `send`, as the simulator's `persistSync` does), at most `maxCrashes`.
 *   A node down for a while is the same as one whose messages and timer
 *   wait: every message can wait in flight.
 *
 * Time is abstract and deterministic. The cores count time in ticks: the
 * election timeout is fixed at ELECTION_TICKS (minimum = maximum, so the
 * draw from the node's PRNG always gives the same timeout, and the PRNG's
 * position is kept at its start in the world: nothing else reads it), a
 * leader's heartbeat at 1 tick, and a timer event ticks the node until it
 * sends something. With the timeout fixed, a follower's leader lease (the
 * minimum timeout) ends exactly when its own timer fires, so ticks between
 * deadlines change nothing a timer event does not. The clock in ms stands
 * still at 0: the core reads it only to stamp the entries a leader appends
 * (and the state machine's session expiry reads the stamps; 300 s cannot
 * pass). Two fields the core keeps only to shape its log lines (the commit
 * index last logged) are normalized too.
 *
 * Messages never delivered are lost ones (no drop event: nothing here reads
 * the network). A reply of a lower term than its receiver's (AppendEntries,
 * vote and snapshot answers) changes nothing when delivered (raft.ts
 * `step`), and terms never go down (they are persisted), so such replies
 * leave the network at once (with `reduce`, the search's default); so do
 * the client's replies it ignores now and forever (an error, which only
 * a later attempt answers, or an answer to an append already acknowledged).
 *
 * Reductions, all sound (`reduce`, the search's default, for the last
 * two): equal node states, messages and disks are one object each,
 * numbered, so a world's canonical text is a few numbers, and what an
 * input does to a node state is computed once (a core is deterministic)
 * and remembered; replies of a lower term leave the network (above); and
 * the three nodes are symmetric (one configuration, one PRNG seed, and
 * the core never orders or compares ids), so a world and its image under
 * a renaming of n1, n2, n3 share one canonical text. A `--core` or vote
 * rules that treat one node name apart from the others need `--no-reduce`.
 *
 * Invariants, checked after the step that can break them and latched:
 * - one-leader-per-term: no two nodes lead the same term;
 * - committed-entry-kept: every node's committed prefix agrees with every
 *   entry any node ever knew committed (same index, term and command), a
 *   committed entry stays on a majority of logs, and a new leader holds all
 *   of them (Leader Completeness);
 * - state-machine-safety: a node has applied only committed entries, and
 *   nodes that applied the same number of entries hold the same state
 *   machine (the map and the sessions);
 * - applied-at-most-once: no value appears twice in the list "l" of any
 *   node (each value is one (client, seq));
 * - acked-write-committed: an `append_ok` the client accepts is for an
 *   entry known committed;
 * - core-keeps-running: a core never throws on an input (a vote-rules
 *   piece that breaks Raft's contract makes it throw).
 */
import {
  createKvNodeCore,
  KvNode,
  REFERENCE_VOTE_RULES,
  type Effects,
  type KvNodeCore,
  type KvNodeState,
  type LogEntry,
  type NodeConfig,
  type PersistentState,
  type PersistOp,
  type VoteRules,
} from "@dslab/cluster/core";
// What a persist means, as the storages apply it (pure; outside the core entry point, which holds no storage).
import { applyOps } from "@dslab/cluster";
import { createPrng, type Body, type Message, type PrngState } from "@dslab/protocol";
import type { Model } from "./engine.js";
import { stableStringify } from "./engine.js";
import { distinctMessages, latch, messageText, stableText, withMessage, withoutMessage } from "./world-parts.js";
import { plural } from "../output/plural.js";
import type { VoteRulesLike } from "./vote-rules-3.js";
import type { Column, EventSubject, ExploreView } from "../explore/types.js";

/** A node core the search can export and rebuild: the reference's `KvNode`, or a module's. */
export type SearchableCore = KvNodeCore & { exportState(): KvNodeState };

/** How the scenario makes cores: from durable state (a start, a restart) and from an exported state. */
export interface SearchCore {
  create(config: NodeConfig, restored: PersistentState | null): SearchableCore;
  fromState(config: NodeConfig, state: KvNodeState): SearchableCore;
}

/** The reference core (`@dslab/cluster/core`). */
export const REFERENCE_CORE: SearchCore = {
  create: (config, restored) => createKvNodeCore(config, restored),
  fromState: (config, state) => KvNode.fromState(config, state),
};

const IDS = ["n1", "n2", "n3"] as const;
const CLIENT = "c1";
const KEY = "l";
/** The election timeout in ticks (minimum = maximum); a heartbeat every tick. */
export const ELECTION_TICKS = 2;
const HEARTBEAT_TICKS = 1;
/** A timer event stops ticking after this many ticks (a core that never acts on its own). */
const MAX_TICKS_PER_TIMER = 2 * ELECTION_TICKS + 2;
const NOW_MS = 0;
/** msg_id of attempt `a` (1-based) of append `seq`: the append is msg_id / MSG_IDS_PER_APPEND. */
const MSG_IDS_PER_APPEND = 100;
const REPLY_TYPES = new Set(["raft_append_ok", "raft_request_vote_ok", "raft_snapshot_ok"]);
const QUORUM = 2;

export interface CoreNode {
  id: string;
  core: KvNodeState;
  /** What the node persisted (its hard state and log): a restart starts from it. Kept only when restarts are allowed. */
  disk?: PersistentState;
}

export interface CoreMessage {
  from: string;
  to: string;
  /** The body's type for peer messages; "request" or "reply" for the client's. */
  kind: string;
  term?: number;
  /** The client's append a request or reply belongs to. */
  seq?: number;
  body: Body;
}

export interface CoreClient {
  /** The append in progress (1-based); past `appends` when done. */
  seq: number;
  /** Attempts of the append in progress. */
  attempts: number;
  /** The seqs acknowledged with append_ok. */
  acked: number[];
}

export type CoreEvent =
  | { kind: "deliver"; message: CoreMessage }
  | { kind: "duplicate"; message: CoreMessage }
  | { kind: "timer"; node: string }
  | { kind: "request"; node: string }
  | { kind: "restart"; node: string };

export interface CoreWorld {
  nodes: CoreNode[];
  client: CoreClient;
  /** Sorted by text (a multiset). */
  inFlight: CoreMessage[];
  /** Election timers fired (nodes that did not lead). */
  elections: number;
  /** Heartbeat timers fired (leaders). */
  heartbeats: number;
  duplicates: number;
  crashes: number;
  /** Who led each term. */
  leaders: Record<string, string>;
  /** Every entry any node knew committed, by index - 1: `term|command` texts. */
  committed: string[];
  /** The term of the node that first knew each of them committed (by index - 1). */
  committedIn: number[];
  broken?: Record<string, string>;
}

export interface CoreScenarioOptions {
  /** The cores (default: the reference). */
  core?: SearchCore;
  /** Vote rules plugged into the cores through `NodeConfig.voteRules` (default: the reference rules). */
  voteRules?: VoteRulesLike;
  appends: number;
  maxRetries: number;
  maxTerm: number;
  maxElections: number;
  maxHeartbeats: number;
  maxDuplicates: number;
  maxCrashes: number;
  /** Drop replies of a lower term than their receiver's (see the header; default true). */
  reduce?: boolean;
}

export const CORE_DEFAULTS = { appends: 1, maxRetries: 1, maxTerm: 2, maxElections: 1, maxHeartbeats: 0, maxDuplicates: 0, maxCrashes: 0 } as const;
export const CORE_INVARIANTS = [
  "one-leader-per-term",
  "committed-entry-kept",
  "state-machine-safety",
  "applied-at-most-once",
  "acked-write-committed",
  "core-keeps-running",
] as const;

/** Equal texts, one object and one number: node states, messages and committed records are interned per model. */
class Interner<T extends object> {
  private readonly byText = new Map<string, T>();
  private readonly numbers = new WeakMap<T, number>();
  private readonly texts: string[] = [];
  /** The one object equal to `value` (by `text`), and its number. */
  intern(value: T, text: string): T {
    const known = this.byText.get(text);
    if (known !== undefined) return known;
    this.byText.set(text, value);
    this.numbers.set(value, this.texts.length);
    this.texts.push(text);
    return value;
  }
  /** An interned object's number. */
  number(value: T): number {
    return this.numbers.get(value)!;
  }
  textOf(n: number): string {
    return this.texts[n]!;
  }
}

/** The six ways to rename n1, n2, n3 (each: the new name of IDS[i]). */
const RENAMINGS: string[][] = [
  ["n1", "n2", "n3"],
  ["n1", "n3", "n2"],
  ["n2", "n1", "n3"],
  ["n2", "n3", "n1"],
  ["n3", "n1", "n2"],
  ["n3", "n2", "n1"],
];
const NODE_NAME = /\bn([123])\b/g;
/** `text` with every node name renamed by `renaming`. */
const renamed = (text: string, renaming: readonly string[]): string => text.replace(NODE_NAME, (_, d: string) => renaming[Number(d) - 1]!);

const entryTexts = new WeakMap<LogEntry, string>();
/** An entry's term and command as text (per entry object: interned states share theirs). */
function entryText(e: LogEntry): string {
  let t = entryTexts.get(e);
  if (t === undefined) entryTexts.set(e, (t = `${e.term}|${stableStringify(e.command)}`));
  return t;
}

function showCommand(text: string): string {
  const [term, command] = [text.slice(0, text.indexOf("|")), JSON.parse(text.slice(text.indexOf("|") + 1)) as LogEntry["command"]];
  if (command.kind === "noop") return `term ${term}, no-op`;
  const r = command.request as { type: string; value?: unknown; client_id?: string; seq?: number };
  return `term ${term}, ${r.type} ${JSON.stringify(r.value)} (${r.client_id ?? "-"} seq ${r.seq ?? "-"})`;
}

/** The node's log entries (a compacted prefix is not here: the scenario takes no snapshots). */
const entriesOf = (s: KvNodeState): LogEntry[] => s.raft?.log?.entries ?? [];
const entryAt = (s: KvNodeState, index: number): LogEntry | undefined => {
  const log = s.raft?.log;
  if (!log) return undefined;
  return log.entries[index - log.snapshotIndex - 1];
};

function showMessage(m: CoreMessage): string {
  const b = m.body as Record<string, unknown>;
  switch (m.kind) {
    case "request":
      return `${m.from}->${m.to} append ${JSON.stringify(b.value)} (seq ${m.seq}, msg ${String(b.msg_id)})`;
    case "reply":
      return `${m.from}->${m.to} ${b.type === "error" ? `error ${String(b.code)}${b.leader ? ` (leader ${String(b.leader)})` : ""}` : `${String(b.type)} ${JSON.stringify(b.value)}`} (seq ${m.seq})`;
    case "raft_request_vote":
      return `${m.from}->${m.to} ${b.pre_vote ? "pre-vote" : "vote"} request, term ${m.term} (last log ${String(b.last_log_index)}/${String(b.last_log_term)})`;
    case "raft_request_vote_ok":
      return `${m.from}->${m.to} ${b.pre_vote ? "pre-vote" : "vote"} ${b.granted ? "granted" : "refused"}, term ${m.term}`;
    case "raft_append": {
      const entries = (b.entries as LogEntry[]).map((e) => `${e.index}:${e.term}${e.command.kind === "noop" ? "" : `:${JSON.stringify((e.command.request as { value?: unknown }).value)}`}`);
      return `${m.from}->${m.to} append term ${m.term}, prev ${String(b.prev_log_index)}/${String(b.prev_log_term)}, entries [${entries.join(" ")}], commit ${String(b.leader_commit)}`;
    }
    case "raft_append_ok":
      return `${m.from}->${m.to} append ${b.success ? `ok, match ${String(b.match_index)}` : `refused at ${String(b.reject_index ?? "-")}`}, term ${m.term}`;
    default:
      return `${m.from}->${m.to} ${m.kind} term ${m.term ?? "-"}`;
  }
}

function toMessage(m: Message): CoreMessage {
  const body = m.body as Body & { term?: number; in_reply_to?: number };
  if (m.dest === CLIENT) return { from: m.src, to: m.dest, kind: "reply", seq: Math.floor((body.in_reply_to ?? 0) / MSG_IDS_PER_APPEND), body };
  return { from: m.src, to: m.dest, kind: body.type, ...(typeof body.term === "number" ? { term: body.term } : {}), body };
}

/** Applies persist ops to a disk, as the storages do (`applyOps`), into a new object: the old one is left as it was. */
function written(disk: PersistentState, ops: readonly PersistOp[]): PersistentState {
  const next: PersistentState = { hardState: disk.hardState, snapshot: disk.snapshot, entries: disk.entries.slice() };
  applyOps(next, ops);
  return next;
}

/** What the explorer shows of a world: a column per node (its Raft state in a few fields, its list), the client, the network, the bounds. */
function exploreView(): ExploreView<CoreWorld, CoreEvent> {
  const logText = (s: KvNodeState) => entriesOf(s).map((e) => `${e.index}:${e.term}${e.command.kind === "noop" ? "" : ` ${JSON.stringify((e.command.request as { value?: unknown }).value)}`}`);
  return {
    columns(w) {
      const columns: Column[] = w.nodes.map((n) => {
        const r = n.core.raft;
        const kv = (n.core.stateMachine as { kv?: Array<[string, unknown]> } | null)?.kv;
        const fields: Record<string, unknown> = {
          term: r.term,
          votedFor: r.votedFor ?? "-",
          leader: r.leader ?? "-",
          log: logText(n.core).join(", ") || "empty",
          commit: r.commitIndex,
          applied: n.core.lastApplied,
          [KEY]: Array.isArray(kv) ? (kv.find(([k]) => k === KEY)?.[1] ?? "absent") : "?",
          votes: r.votes,
          "election ticks": `${r.electionElapsed} of ${r.randomizedElectionTimeout}`,
        };
        if (n.disk) fields.disk = `term ${n.disk.hardState.term}, vote ${n.disk.hardState.votedFor ?? "-"}, ${plural(n.disk.entries.length, "entry", "entries")}`;
        return { id: n.id, kind: "node", title: n.id, subtitle: r.role, fields };
      });
      columns.push({ id: CLIENT, kind: "client", title: CLIENT, subtitle: `append seq ${w.client.seq}`, fields: { seq: w.client.seq, attempts: w.client.attempts, acknowledged: w.client.acked } });
      columns.push({ id: "network", kind: "network", title: "network", fields: { inFlight: w.inFlight.length === 0 ? "nothing" : w.inFlight.map(showMessage) } });
      columns.push({
        id: "world",
        kind: "world",
        title: "world",
        fields: { committed: w.committed.map(showCommand), leaders: w.leaders, elections: w.elections, heartbeats: w.heartbeats, duplicates: w.duplicates, crashes: w.crashes },
      });
      return columns;
    },
    subject(event): EventSubject | undefined {
      switch (event.kind) {
        case "deliver":
        case "duplicate":
          return { key: messageText(event.message), text: showMessage(event.message), kind: "message", action: event.kind };
        case "timer":
          return { key: `timer:${event.node}`, text: `${event.node}'s timer`, kind: "timer", action: "fire" };
        case "request":
          return { key: `request:${event.node}`, text: `${CLIENT}'s append to ${event.node}`, kind: "other", action: "send" };
        case "restart":
          return { key: `restart:${event.node}`, text: `${event.node} crashes`, kind: "other", action: "restart" };
      }
    },
  };
}

export function raftCore3Model(options: CoreScenarioOptions): Model<CoreWorld, CoreEvent> & { explore: ExploreView<CoreWorld, CoreEvent> } {
  const pieces = options.core ?? REFERENCE_CORE;
  const reduce = options.reduce ?? true;
  const keepDisk = options.maxCrashes > 0;
  const voteRules: VoteRules | undefined = options.voteRules ? { ...REFERENCE_VOTE_RULES, observeTerm: options.voteRules.observeTerm, decide: options.voteRules.decide } : undefined;
  const initialPrng = new Map<string, PrngState>();
  const config = (id: string): NodeConfig => ({
    id,
    nodeIds: [...IDS],
    prng: createPrng("raft-core-3"),
    electionTimeoutTicksMin: ELECTION_TICKS,
    electionTimeoutTicksMax: ELECTION_TICKS,
    heartbeatTicks: HEARTBEAT_TICKS,
    snapshotEveryEntries: 1_000_000,
    ...(voteRules ? { voteRules } : {}),
  });
  // One seed for all three (the draw is fixed), so the nodes differ only in their names.
  for (const id of IDS) initialPrng.set(id, createPrng("raft-core-3").exportState!());

  /** Keeps only what changes what the core does (see the header): a fixed PRNG position and log-line bookkeeping. */
  const normalize = (id: string, s: KvNodeState): KvNodeState => {
    const r = s.raft;
    if (r && typeof r === "object") {
      if (r.randomizedElectionTimeout === ELECTION_TICKS && r.prng) r.prng = initialPrng.get(id)!;
      if (typeof r.loggedCommit === "number") {
        r.loggedCommit = r.commitIndex;
        r.commitLoggedThisTick = false;
      }
    }
    return s;
  };

  const nodeOf = (w: CoreWorld, id: string) => w.nodes.find((n) => n.id === id)!;
  const isLeader = (s: KvNodeState) => s.raft?.role === "leader";

  const states = new Interner<KvNodeState>();
  const messages = new Interner<CoreMessage>();
  const disks = new Interner<PersistentState>();
  const records = new Interner<{ texts: string[] }>();
  const internState = (s: KvNodeState) => states.intern(s, stableStringify(s));
  const internMessage = (m: CoreMessage) => messages.intern(m, messageText(m));
  const internDisk = (d: PersistentState) => disks.intern(d, stableStringify(d));
  const recordNumbers = new WeakMap<string[], number>();
  const recordNumber = (w: CoreWorld): number => {
    const texts = w.committed;
    let n = recordNumbers.get(texts);
    if (n === undefined) recordNumbers.set(texts, (n = records.number(records.intern({ texts }, texts.join("\n") + "\n" + w.committedIn.join(",")))));
    return n;
  };

  /** What one input does to one node state: computed once per (state, input) and remembered. */
  interface Outcome {
    state: KvNodeState;
    sent: CoreMessage[];
    persist: PersistOp[];
    error?: string;
  }
  const outcomes = new Map<string, Outcome>();

  /** Runs one input on node `id`'s core (`input` names it for the memo); returns what it did. */
  const run = (w: CoreWorld, id: string, input: string, feed: (core: SearchableCore) => Effects[]): Outcome => {
    const node = nodeOf(w, id);
    const key = `${states.number(node.core)}|${input}`;
    let outcome = outcomes.get(key);
    if (outcome === undefined) {
      try {
        const core = pieces.fromState(config(id), node.core);
        const effects = feed(core);
        outcome = {
          state: internState(normalize(id, core.exportState())),
          sent: effects.flatMap((e) => e.send.map((m) => internMessage(toMessage(m)))),
          persist: effects.flatMap((e) => e.persist),
        };
      } catch (e) {
        outcome = { state: node.core, sent: [], persist: [], error: e instanceof Error ? e.message : String(e) };
      }
      outcomes.set(key, outcome);
    }
    if (outcome.error !== undefined) return outcome;
    const next: CoreNode = { id, core: outcome.state };
    if (node.disk) next.disk = outcome.persist.length === 0 ? node.disk : internDisk(written(node.disk, outcome.persist));
    w.nodes = w.nodes.map((n) => (n.id === id ? next : n));
    for (const m of outcome.sent) w.inFlight = withMessage(w.inFlight, m);
    return outcome;
  };

  const check = (w: CoreWorld, id: string, before: KvNodeState): void => {
    const s = nodeOf(w, id).core;
    const raft = s.raft;
    if (!raft) return;
    // one-leader-per-term
    if (raft.role === "leader") {
      const other = w.leaders[String(raft.term)];
      if (other !== undefined && other !== id) latch(w, "one-leader-per-term", `${other} and ${id} both became leader of term ${raft.term}`);
      else if (other === undefined) w.leaders = { ...w.leaders, [String(raft.term)]: id };
    }
    // committed-entry-kept: the node's committed prefix against the record.
    const log = raft.log;
    let committed = w.committed;
    for (let i = log.snapshotIndex + 1; i <= raft.commitIndex; i++) {
      const e = entryAt(s, i);
      if (e === undefined) break;
      const t = entryText(e);
      if (i <= committed.length) {
        if (committed[i - 1] !== t) {
          latch(w, "committed-entry-kept", `${id} committed entry ${i} as (${showCommand(t)}), but entry ${i} was committed as (${showCommand(committed[i - 1]!)})`);
          break;
        }
      } else {
        if (committed === w.committed) {
          committed = [...committed];
          w.committedIn = [...w.committedIn];
        }
        committed.push(t);
        w.committedIn.push(raft.term);
      }
    }
    w.committed = committed;
    // Leader Completeness: a leader of a later term holds every entry committed before it.
    const newLeader = raft.role === "leader" && (before.raft?.role !== "leader" || before.raft.term !== raft.term);
    if (newLeader) {
      for (let i = 1; i <= w.committed.length; i++) {
        if (w.committedIn[i - 1]! >= raft.term) continue;
        const e = entryAt(s, i);
        if (e === undefined || entryText(e) !== w.committed[i - 1]) {
          latch(w, "committed-entry-kept", `${id} became leader of term ${raft.term} without committed entry ${i} (${showCommand(w.committed[i - 1]!)}); its log: [${entriesOf(s).map((x) => `${x.index}:${x.term}`).join(" ")}]`);
          break;
        }
      }
    }
    // A committed entry stays on a majority of logs.
    for (let i = 1; i <= w.committed.length; i++) {
      const holders = w.nodes.filter((n) => {
        const e = entryAt(n.core, i);
        return e !== undefined && entryText(e) === w.committed[i - 1];
      });
      if (holders.length < QUORUM) {
        latch(w, "committed-entry-kept", `committed entry ${i} (${showCommand(w.committed[i - 1]!)}) is now on ${holders.length === 0 ? "no log" : `only ${holders.map((n) => n.id).join(", ")}'s log`}`);
        break;
      }
    }
    // state-machine-safety
    const applied = s.lastApplied;
    if (typeof applied === "number") {
      if (applied > w.committed.length) latch(w, "state-machine-safety", `${id} applied entries up to ${applied}, but only ${plural(w.committed.length, "entry", "entries")} ${w.committed.length === 1 ? "is" : "are"} known committed`);
      else {
        for (let i = log.snapshotIndex + 1; i <= applied; i++) {
          const e = entryAt(s, i);
          if (e !== undefined && entryText(e) !== w.committed[i - 1]) {
            latch(w, "state-machine-safety", `${id} applied entry ${i} as (${showCommand(entryText(e))}), but entry ${i} was committed as (${showCommand(w.committed[i - 1]!)})`);
            break;
          }
        }
      }
      for (const other of w.nodes) {
        if (other.id === id || other.core.lastApplied !== applied) continue;
        if (stableText(other.core.stateMachine) !== stableText(s.stateMachine)) {
          latch(w, "state-machine-safety", `${id} and ${other.id} both applied ${plural(applied, "entry", "entries")} but hold different state machines: ${stableText(s.stateMachine)} vs ${stableText(other.core.stateMachine)}`);
          break;
        }
      }
    }
    // applied-at-most-once
    const kv = (s.stateMachine as { kv?: Array<[string, unknown]> } | null)?.kv;
    const list = Array.isArray(kv) ? kv.find(([k]) => k === KEY)?.[1] : undefined;
    if (Array.isArray(list)) {
      const seen = new Set<string>();
      for (const v of list) {
        const t = JSON.stringify(v);
        if (seen.has(t)) {
          latch(w, "applied-at-most-once", `${id} applied append ${t} twice: the list "${KEY}" is ${JSON.stringify(list)}`);
          break;
        }
        seen.add(t);
      }
    }
  };

  /** Replies of a lower term than their receiver's, and replies the client will ignore, change nothing: they leave the network. */
  const dropStale = (w: CoreWorld): void => {
    if (!reduce) return;
    const terms = new Map(w.nodes.map((n) => [n.id, n.core.raft?.term ?? 0]));
    const seq = w.client.seq;
    const stale = (m: CoreMessage) =>
      m.to === CLIENT ? m.body.type !== "append_ok" || (m.seq ?? 0) < seq : REPLY_TYPES.has(m.kind) && m.term !== undefined && m.term < (terms.get(m.to) ?? 0);
    if (w.inFlight.some(stale)) w.inFlight = w.inFlight.filter((m) => !stale(m));
  };

  const deliverToNode = (w: CoreWorld, m: CoreMessage): void => {
    m = internMessage(m);
    const before = nodeOf(w, m.to).core;
    const r = run(w, m.to, String(messages.number(m)), (core) => [core.receive({ src: m.from, dest: m.to, body: m.body }, NOW_MS)]);
    if (r.error !== undefined) latch(w, "core-keeps-running", `${m.to} threw on ${showMessage(m)}: ${r.error}`);
    else check(w, m.to, before);
  };

  const deliverToClient = (w: CoreWorld, m: CoreMessage): void => {
    const c = w.client;
    if (m.seq !== c.seq || m.body.type !== "append_ok") return;
    const value = `${CLIENT}:${c.seq}`;
    if (!w.committed.some((t) => t.includes(`"value":${JSON.stringify(value)}`) && t.includes(`"client_id":"${CLIENT}"`))) {
      latch(w, "acked-write-committed", `${m.from} acknowledged append ${JSON.stringify(value)}, but no committed entry holds it (committed: ${w.committed.map(showCommand).join("; ") || "none"})`);
    }
    w.client = { seq: c.seq + 1, attempts: 0, acked: [...c.acked, c.seq] };
  };

  const tickUntilActs = (core: SearchableCore): Effects[] => {
    const out: Effects[] = [];
    for (let i = 0; i < MAX_TICKS_PER_TIMER; i++) {
      const e = core.tick(NOW_MS);
      out.push(e);
      if (e.send.length > 0 || e.persist.length > 0) break;
    }
    return out;
  };

  /**
   * Symmetry (with `reduce`): the three nodes differ only in their names
   * (one configuration, one PRNG seed, and the core never compares ids), so
   * a world and its image under a renaming of n1, n2, n3 share a canonical
   * text: the least of the six renamings' texts. A renamed node state or
   * message is interned like any other, and its number remembered.
   */
  /** For each interned number, its renamings' numbers (index: renaming), filled as needed. */
  const renamings = <T extends object>(interner: Interner<T>, intern: (v: T) => T) => {
    const table: number[][] = [];
    return (value: T, r: number): number => {
      const n = interner.number(value);
      if (r === 0) return n;
      const row = (table[n] ??= []);
      let m = row[r];
      if (m === undefined) row[r] = m = interner.number(intern(JSON.parse(renamed(interner.textOf(n), RENAMINGS[r]!)) as T));
      return m;
    };
  };
  const renamedState = renamings(states, internState);
  const renamedMessage = renamings(messages, internMessage);
  const renamedDisk = renamings(disks, internDisk);
  /** The numbers of `w`'s node states (and disks) renamed by renaming `r`, in the order n1, n2, n3 of the new names. */
  const nodeNumbers = (w: CoreWorld, r: number): number[] => {
    const renaming = RENAMINGS[r]!;
    const out: number[] = [];
    for (const id of IDS) {
      const n = w.nodes[renaming.indexOf(id)]!;
      out.push(renamedState(n.core, r));
      if (n.disk) out.push(renamedDisk(n.disk, r));
    }
    return out;
  };
  /** The canonical text of `w` with its nodes renamed by renaming `r`. */
  const text = (w: CoreWorld, r: number, nodes: number[], rest: string): string => {
    const renaming = RENAMINGS[r]!;
    const msgs = w.inFlight.map((m) => renamedMessage(m, r)).sort((a, b) => a - b);
    const leaders = Object.keys(w.leaders).map((t) => t + renaming[IDS.indexOf(w.leaders[t] as (typeof IDS)[number])]!).join("");
    return `${nodes.join(",")}|${msgs.join(",")}|${leaders}|${rest}`;
  };
  const lessThan = (a: number[], b: number[]): number => {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return 0;
  };

  const step = (world: CoreWorld, event: CoreEvent): CoreWorld => {
    const w: CoreWorld = { ...world };
    switch (event.kind) {
      case "deliver":
      case "duplicate": {
        if (event.kind === "duplicate") w.duplicates++;
        else w.inFlight = withoutMessage(w.inFlight, event.message);
        if (event.message.to === CLIENT) deliverToClient(w, event.message);
        else deliverToNode(w, event.message);
        break;
      }
      case "timer": {
        if (isLeader(nodeOf(w, event.node).core)) w.heartbeats++;
        else w.elections++;
        const before = nodeOf(w, event.node).core;
        const r = run(w, event.node, "timer", tickUntilActs);
        if (r.error !== undefined) latch(w, "core-keeps-running", `${event.node} threw on a timer: ${r.error}`);
        else check(w, event.node, before);
        break;
      }
      case "request": {
        const c = w.client;
        const attempt = c.attempts + 1;
        w.client = { ...c, attempts: attempt };
        const value = `${CLIENT}:${c.seq}`;
        const body = { type: "append", key: KEY, value, client_id: CLIENT, seq: c.seq, msg_id: c.seq * MSG_IDS_PER_APPEND + attempt } as Body;
        w.inFlight = withMessage(w.inFlight, internMessage({ from: CLIENT, to: event.node, kind: "request", seq: c.seq, body }));
        break;
      }
      case "restart": {
        w.crashes++;
        const node = nodeOf(w, event.node);
        const disk = node.disk ?? { hardState: { term: 0, votedFor: null }, snapshot: null, entries: [] };
        try {
          const core = pieces.create(config(event.node), structuredClone(disk));
          const next: CoreNode = { id: event.node, core: internState(normalize(event.node, core.exportState())), disk };
          w.nodes = w.nodes.map((n) => (n.id === event.node ? next : n));
          check(w, event.node, node.core);
        } catch (e) {
          latch(w, "core-keeps-running", `${event.node} threw restarting: ${e instanceof Error ? e.message : String(e)}`);
        }
        break;
      }
    }
    dropStale(w);
    return w;
  };

  return {
    explore: exploreView(),

    initial() {
      const nodes = IDS.map((id): CoreNode => {
        const core = pieces.create(config(id), null);
        const n: CoreNode = { id, core: internState(normalize(id, core.exportState())) };
        if (keepDisk) n.disk = internDisk({ hardState: { term: 0, votedFor: null }, snapshot: null, entries: [] });
        return n;
      });
      return { nodes, client: { seq: 1, attempts: 0, acked: [] }, inFlight: [], elections: 0, heartbeats: 0, duplicates: 0, crashes: 0, leaders: {}, committed: [], committedIn: [] };
    },

    events(w) {
      const out: CoreEvent[] = [];
      for (const message of distinctMessages(w.inFlight)) {
        out.push({ kind: "deliver", message });
        if (w.duplicates < options.maxDuplicates) out.push({ kind: "duplicate", message });
      }
      for (const n of w.nodes) {
        const enabled = isLeader(n.core) ? w.heartbeats < options.maxHeartbeats : w.elections < options.maxElections && (n.core.raft?.term ?? 0) < options.maxTerm;
        if (enabled) out.push({ kind: "timer", node: n.id });
      }
      if (w.client.seq <= options.appends && w.client.attempts < 1 + options.maxRetries) {
        for (const n of w.nodes) if (isLeader(n.core)) out.push({ kind: "request", node: n.id });
      }
      if (w.crashes < options.maxCrashes) for (const n of w.nodes) out.push({ kind: "restart", node: n.id });
      return out;
    },

    step,

    describe(event, before, after) {
      const summary = (id: string): string => {
        const b = nodeOf(before, id).core.raft;
        const a = nodeOf(after, id).core.raft;
        if (!a || !b) return "";
        const changes: string[] = [];
        if (a.term !== b.term) changes.push(`term ${a.term}`);
        if (a.role !== b.role) changes.push(a.role === "leader" ? `LEADER of term ${a.term}` : a.role);
        if (a.votedFor !== b.votedFor && a.votedFor !== null) changes.push(`voted for ${a.votedFor}`);
        if (a.leader !== b.leader && a.role !== "leader" && a.leader !== null) changes.push(`follows ${a.leader}`);
        const al = a.log.snapshotIndex + a.log.entries.length;
        const bl = b.log.snapshotIndex + b.log.entries.length;
        if (al !== bl || stableStringify(a.log) !== stableStringify(b.log)) changes.push(`log [${a.log.entries.map((e) => `${e.index}:${e.term}`).join(" ")}]`);
        if (a.commitIndex !== b.commitIndex) changes.push(`commit ${a.commitIndex}`);
        const ab = nodeOf(after, id).core.lastApplied;
        if (ab !== nodeOf(before, id).core.lastApplied) changes.push(`applied ${ab}`);
        return changes.length > 0 ? ` => ${id}: ${changes.join(", ")}` : "";
      };
      switch (event.kind) {
        case "timer":
          return `timer     ${event.node}: ${nodeOf(before, event.node).core.raft?.role === "leader" ? "heartbeat" : "election timeout"}${summary(event.node)}`;
        case "request":
          return `request   ${CLIENT}->${event.node} append "${CLIENT}:${before.client.seq}" (seq ${before.client.seq}, attempt ${before.client.attempts + 1})`;
        case "restart":
          return `restart   ${event.node}: crashed and restarted from its disk${summary(event.node)}`;
        default: {
          const m = event.message;
          const verb = event.kind === "duplicate" ? "duplicate" : "deliver  ";
          if (m.to === CLIENT) return `${verb} ${showMessage(m)}${after.client.seq !== before.client.seq ? ` => ${CLIENT}: append seq ${before.client.seq} acknowledged` : ""}`;
          return `${verb} ${showMessage(m)}${summary(m.to)}`;
        }
      }
    },

    canonical(w) {
      const broken = w.broken === undefined ? "" : Object.keys(w.broken).sort().join(",");
      const c = w.client;
      const rest = `${c.seq},${c.attempts},${c.acked.join(".")}|${w.elections},${w.heartbeats},${w.duplicates},${w.crashes}|${recordNumber(w)}|${broken}`;
      if (!reduce) return text(w, 0, nodeNumbers(w, 0), rest);
      // The renamings whose node numbers are least; of those (a world symmetric in some nodes), the least text.
      let best: number[] = [];
      let bestNodes: number[] | undefined;
      for (let r = 0; r < RENAMINGS.length; r++) {
        const nodes = nodeNumbers(w, r);
        const order = bestNodes === undefined ? -1 : lessThan(nodes, bestNodes);
        if (order < 0) {
          best = [r];
          bestNodes = nodes;
        } else if (order === 0) best.push(r);
      }
      let least: string | undefined;
      for (const r of best) {
        const t = text(w, r, bestNodes!, rest);
        if (least === undefined || t < least) least = t;
      }
      return least!;
    },

    invariants: Object.fromEntries(CORE_INVARIANTS.map((name) => [name, (w: CoreWorld) => w.broken?.[name] ?? null])),

    predicates: {
      "leader-elected": (w) => w.nodes.some((n) => isLeader(n.core)),
      "clients-done": (w) => w.client.seq > options.appends,
      "write-committed": (w) => w.committed.some((t) => t.includes('"kind":"client"')),
    },
  };
}
