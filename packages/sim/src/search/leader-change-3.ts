/**
 * The `leader-change-3` scenario: three replicas, each running the
 * workbook's DedupKVStore as its state machine (the sessions travel in the
 * log: every replica applies the same entries), a leader that may crash
 * while a client's append is in flight, and one client that retries.
 *
 * The replication is Raft's, reduced to what the client and the sessions
 * see: the leader appends a client request to its log; a replicate event
 * copies the leader's log to one follower (its log becomes the leader's, as
 * AppendEntries leaves it), and the leader commits the longest prefix a
 * majority holds that ends in an entry of its own term (§5.4.2), applies it
 * to its store and answers the client with the store's reply; a follower
 * applies what the leader has committed. A leader change crashes the leader
 * (it stays down) and elects one of the others whose log is at least as up
 * to date as the other's (the vote rule, §5.4.1); the new leader appends a
 * no-op of its term. A request to a node that does not lead is answered
 * with a redirect to the leader it knows (none when it knows none); a
 * request to a crashed node is lost.
 *
 * The client is scripted as in dedup-single: each append keeps its identity
 * (client c1, seq) for every attempt; its retry timer resends to the next
 * node (a timeout moves on), up to 1 + maxRetries attempts, then gives the
 * append up (outcome unknown); a redirect resends to the named leader at
 * once (at most 2 per append, not counted as retries).
 *
 * Invariants, watched by the step that can break them and latched:
 * results-ok (an acknowledged append's reply ends with its own value, has
 * no repeats and is a prefix of the list then), appends-linearizable (a
 * replica's list only grows, by the applied request's value),
 * appends-at-most-once, committed-entry-kept (a new leader holds every entry
 * committed before it, at its index), sessions-bounded (no replica holds
 * more sessions than `sessionsMax`).
 */
import type { Model } from "./engine.js";
import { stableStringify } from "./engine.js";
import { clone, distinctMessages, latch, messageText, withMessage, withoutMessage } from "./world-parts.js";
import type { AppendRequest, DedupStoreClass, StoreReply } from "./dedup-single.js";

const IDS = ["n1", "n2", "n3"];
const KEY = "l";
const NOW_MS = 1_000;
const SESSION_TIMEOUT_MS = 1e12;
const MAX_REDIRECTS = 2;

export interface Entry {
  term: number;
  /** A client request, or null for a leader's no-op. */
  request: AppendRequest | null;
}

export interface Replica {
  id: string;
  up: boolean;
  term: number;
  role: "leader" | "follower";
  /** The leader it knows of its term. */
  leader: string | null;
  log: Entry[];
  commit: number;
  /** The store's state after applying log[0..commit). */
  server: unknown;
  /** As leader: how far each follower's log matches its own. */
  match: Record<string, number>;
}

export type LcMessage =
  | { kind: "request"; from: "c1"; to: string; body: AppendRequest }
  | { kind: "reply"; from: string; to: "c1"; seq: number; body: StoreReply; problem?: string };

export interface LcClient {
  seq: number;
  attempts: number;
  redirects: number;
  /** The node the next attempt goes to. */
  node: string;
  outcomes: string;
}

export interface LeaderChangeWorld {
  replicas: Replica[];
  client: LcClient;
  inFlight: LcMessage[];
  duplicates: number;
  leaderChanges: number;
  /** Entries committed so far, by index (their term): a later leader must hold them. */
  committed: number[];
  broken?: Record<string, string>;
}

export type LeaderChangeEvent =
  | { kind: "deliver"; message: LcMessage }
  | { kind: "duplicate"; message: LcMessage }
  | { kind: "replicate"; from: string; to: string }
  | { kind: "crash-leader"; elect: string }
  | { kind: "timer" };

export interface LeaderChangeOptions {
  store: DedupStoreClass;
  appends: number;
  maxRetries: number;
  leaderChanges: number;
  maxDuplicates: number;
  sessionsMax: number;
}

export const LEADER_CHANGE_DEFAULTS = { appends: 1, maxRetries: 1, leaderChanges: 1, maxDuplicates: 1, sessionsMax: 1 } as const;
export const LEADER_CHANGE_INVARIANTS = ["results-ok", "appends-linearizable", "appends-at-most-once", "committed-entry-kept", "sessions-bounded"] as const;


function listOf(server: unknown): string[] {
  const data = (server as { data?: Record<string, unknown> } | null)?.data;
  const list = data !== undefined && data !== null && typeof data === "object" && Object.hasOwn(data, KEY) ? data[KEY] : [];
  return Array.isArray(list) ? list.map((v) => JSON.stringify(v)) : [];
}

function sessionCount(server: unknown): number {
  const sessions = (server as { tracker?: { sessions?: Record<string, unknown> } } | null)?.tracker?.sessions;
  return sessions !== undefined && sessions !== null && typeof sessions === "object" ? Object.keys(sessions).length : 0;
}

const requestOf = (seq: number, to: string): LcMessage => ({ kind: "request", from: "c1", to, body: { type: "append", key: KEY, value: `c1:${seq}`, client_id: "c1", seq } });
const lastTerm = (r: Replica) => r.log.at(-1)?.term ?? 0;
const upToDate = (a: Replica, b: Replica) => lastTerm(a) > lastTerm(b) || (lastTerm(a) === lastTerm(b) && a.log.length >= b.log.length);

function show(m: LcMessage): string {
  if (m.kind === "request") return `c1->${m.to} append "c1:${m.body.seq}" (seq ${m.body.seq})`;
  const b = m.body;
  return `${m.from}->c1 reply to seq ${m.seq}: ${b.type === "error" ? `error ${String(b.code)}${typeof b.leader === "string" ? ` (leader ${b.leader})` : ""}` : `${b.type} ${JSON.stringify(b.value)}`}`;
}

export function leaderChange3Model(options: LeaderChangeOptions): Model<LeaderChangeWorld, LeaderChangeEvent> {
  const Store = options.store;
  const maxAttempts = 1 + options.maxRetries;
  const applyMemo = new Map<string, { server: unknown; reply: StoreReply }>();

  const apply = (server: unknown, request: AppendRequest): { server: unknown; reply: StoreReply } => {
    const k = stableStringify(server) + "|" + JSON.stringify(request);
    let r = applyMemo.get(k);
    if (r === undefined) {
      const store = new Store({ sessionTimeoutMs: SESSION_TIMEOUT_MS }, clone(server) as never);
      const reply = clone(store.handleRequest(clone(request), NOW_MS));
      r = { server: clone(store.state), reply };
      applyMemo.set(k, r);
    }
    return r;
  };

  const put = (world: LeaderChangeWorld, r: Replica) => {
    world.replicas = world.replicas.map((x) => (x.id === r.id ? r : x));
  };
  const replica = (world: LeaderChangeWorld, id: string) => world.replicas.find((r) => r.id === id)!;
  const leaderOf = (world: LeaderChangeWorld) => world.replicas.find((r) => r.up && r.role === "leader");

  /** Applies log entries up to `commit` to `r`'s store; the leader answers the client for each request it applies. */
  const catchUp = (world: LeaderChangeWorld, r: Replica, applied: number, answer: boolean): Replica => {
    let server = r.server;
    for (let i = applied; i < r.commit; i++) {
      const request = r.log[i]!.request;
      if (request === null) continue;
      const before = listOf(server);
      const step = apply(server, request);
      server = step.server;
      const after = listOf(server);
      if (before.length !== after.length || before.some((v, j) => v !== after[j])) {
        if (new Set(after).size !== after.length) latch(world, "appends-at-most-once", `${r.id} applied entry ${i + 1} (seq ${request.seq}) and its list is [${after.join(",")}]: an append applied twice`);
        const grew = after.length === before.length + 1 && before.every((v, j) => v === after[j]) && after.at(-1) === JSON.stringify(request.value);
        if (!grew) latch(world, "appends-linearizable", `${r.id} applied entry ${i + 1} and its list went from [${before.join(",")}] to [${after.join(",")}]: an append only adds its own value at the end`);
      }
      if (sessionCount(server) > options.sessionsMax) latch(world, "sessions-bounded", `${r.id} holds ${sessionCount(server)} sessions, more than ${options.sessionsMax} for one client`);
      // The node that appended the entry answers it; an entry of an earlier term has nobody waiting here.
      if (answer && r.log[i]!.term === r.term && world.client.seq === request.seq) {
        const problem = replyProblem(after, request.seq, step.reply);
        const reply: LcMessage = { kind: "reply", from: r.id, to: "c1", seq: request.seq, body: step.reply, ...(problem === null ? {} : { problem }) };
        world.inFlight = withMessage(world.inFlight, reply);
      }
    }
    return { ...r, server };
  };

  const leaderCommit = (world: LeaderChangeWorld, leader: Replica): Replica => {
    let commit = leader.commit;
    for (let i = leader.log.length; i > leader.commit; i--) {
      const holders = 1 + Object.values(leader.match).filter((m) => m >= i).length;
      if (holders >= 2 && leader.log[i - 1]!.term === leader.term) {
        commit = i;
        break;
      }
    }
    if (commit === leader.commit) return leader;
    const applied = leader.commit;
    const next = catchUp(world, { ...leader, commit }, applied, true);
    world.committed = next.log.slice(0, commit).map((e) => e.term);
    return next;
  };

  const settle = (world: LeaderChangeWorld, outcome: "a" | "f" | "u", reply?: Extract<LcMessage, { kind: "reply" }>) => {
    const c = world.client;
    if (reply !== undefined && outcome === "a" && reply.problem !== undefined) latch(world, "results-ok", reply.problem);
    world.inFlight = world.inFlight.filter((m) => m.kind !== "reply");
    const next: LcClient = { seq: c.seq + 1, attempts: 0, redirects: 0, node: c.node, outcomes: c.outcomes + outcome };
    if (next.seq <= options.appends) {
      next.attempts = 1;
      world.inFlight = withMessage(world.inFlight, requestOf(next.seq, next.node));
    }
    world.client = next;
  };

  const deliverRequest = (world: LeaderChangeWorld, m: Extract<LcMessage, { kind: "request" }>) => {
    const r = replica(world, m.to);
    if (!r.up) return; // lost
    if (r.role !== "leader") {
      if (world.client.seq === m.body.seq) {
        const body: StoreReply = r.leader === null ? { type: "error", code: 11, text: "no leader known" } : { type: "error", code: 11, text: `not the leader`, leader: r.leader };
        world.inFlight = withMessage(world.inFlight, { kind: "reply", from: r.id, to: "c1", seq: m.body.seq, body });
      }
      return;
    }
    put(world, { ...r, log: [...r.log, { term: r.term, request: m.body }] });
  };

  const deliverReply = (world: LeaderChangeWorld, m: Extract<LcMessage, { kind: "reply" }>) => {
    const c = world.client;
    if (c.seq !== m.seq) return;
    if (m.body.type === "error" && m.body.code === 11) {
      const leader = typeof m.body.leader === "string" ? m.body.leader : undefined;
      if (leader !== undefined && c.redirects < MAX_REDIRECTS) {
        world.client = { ...c, redirects: c.redirects + 1, node: leader };
        world.inFlight = withMessage(world.inFlight, requestOf(c.seq, leader));
      }
      return; // no leader known: the retry timer moves on
    }
    settle(world, typeof m.body.type === "string" && m.body.type.endsWith("_ok") ? "a" : "f", m);
  };

  return {
    initial() {
      const server = clone(new Store({ sessionTimeoutMs: SESSION_TIMEOUT_MS }).state);
      const replicas: Replica[] = IDS.map((id): Replica => ({ id, up: true, term: 1, role: id === "n1" ? "leader" : "follower", leader: "n1", log: [], commit: 0, server, match: id === "n1" ? { n2: 0, n3: 0 } : {} }));
      const world: LeaderChangeWorld = { replicas, client: { seq: 1, attempts: 1, redirects: 0, node: "n1", outcomes: "" }, inFlight: [], duplicates: 0, leaderChanges: 0, committed: [] };
      world.inFlight = withMessage([], requestOf(1, "n1"));
      return world;
    },

    events(world) {
      const out: LeaderChangeEvent[] = [];
      for (const message of distinctMessages(world.inFlight)) {
        out.push({ kind: "deliver", message });
        if (message.kind === "request" && world.duplicates < options.maxDuplicates) out.push({ kind: "duplicate", message });
      }
      const leader = leaderOf(world);
      if (leader !== undefined) {
        for (const f of world.replicas) {
          if (f.id === leader.id || !f.up) continue;
          // Only when it changes something: the follower lacks entries, or the commit point.
          if (leader.match[f.id] !== leader.log.length || f.commit !== leader.commit || f.term !== leader.term) out.push({ kind: "replicate", from: leader.id, to: f.id });
        }
        if (world.leaderChanges < options.leaderChanges) {
          const others = world.replicas.filter((r) => r.up && r.id !== leader.id);
          for (const r of others) if (others.every((o) => upToDate(r, o))) out.push({ kind: "crash-leader", elect: r.id });
        }
      }
      if (world.client.seq <= options.appends) out.push({ kind: "timer" });
      return out;
    },

    step(world, event) {
      const next: LeaderChangeWorld = { ...world };
      switch (event.kind) {
        case "timer": {
          const c = world.client;
          if (c.attempts >= maxAttempts) settle(next, "u");
          else {
            const node = IDS[(IDS.indexOf(c.node) + 1) % IDS.length]!;
            next.client = { ...c, attempts: c.attempts + 1, node };
            next.inFlight = withMessage(next.inFlight, requestOf(c.seq, node));
          }
          return next;
        }
        case "replicate": {
          const leader = replica(world, event.from);
          const f = replica(world, event.to);
          const follower: Replica = { ...f, term: leader.term, role: "follower", leader: leader.id, log: leader.log, commit: Math.max(f.commit, leader.commit), match: {} };
          // The follower's store is rebuilt from what it had applied when its log still agreed, else from the leader's.
          const agreed = f.log.length >= f.commit && f.log.slice(0, f.commit).every((e, i) => leader.log[i] === e || stableStringify(leader.log[i]) === stableStringify(e));
          put(next, agreed ? catchUp(next, follower, f.commit, false) : { ...follower, commit: leader.commit, server: leader.server });
          put(next, leaderCommit(next, { ...leader, match: { ...leader.match, [f.id]: leader.log.length } }));
          return next;
        }
        case "crash-leader": {
          const old = leaderOf(world)!;
          next.leaderChanges++;
          put(next, { ...old, up: false, role: "follower", match: {} });
          const elected = replica(next, event.elect);
          if (world.committed.some((t, i) => elected.log[i]?.term !== t)) {
            latch(next, "committed-entry-kept", `${elected.id} became leader with the log [${elected.log.map((e) => e.term).join(",")}], without the committed entries [${world.committed.join(",")}]`);
          }
          const term = old.term + 1;
          const match = Object.fromEntries(IDS.filter((id) => id !== elected.id).map((id) => [id, 0]));
          put(next, { ...elected, term, role: "leader", leader: elected.id, log: [...elected.log, { term, request: null }], match });
          for (const r of next.replicas) if (r.up && r.id !== elected.id) put(next, { ...r, term, leader: elected.id });
          return next;
        }
        case "duplicate":
        case "deliver": {
          if (event.kind === "duplicate") next.duplicates++;
          else next.inFlight = withoutMessage(next.inFlight, event.message);
          const m = event.message;
          if (m.kind === "request") deliverRequest(next, m);
          else deliverReply(next, m);
          return next;
        }
      }
    },

    describe(event, before, after) {
      switch (event.kind) {
        case "timer":
          return after.client.seq !== before.client.seq
            ? `timer c1: seq ${before.client.seq} gives up (outcome unknown)`
            : `timer c1: resends seq ${after.client.seq} to ${after.client.node} (attempt ${after.client.attempts})`;
        case "replicate": {
          const l = replica(after, event.from);
          return `replicate ${event.from}->${event.to}: log of ${l.log.length} entries, commit ${l.commit}`;
        }
        case "crash-leader":
          return `crash the leader ${leaderOf(before)?.id ?? "?"}; ${event.elect} is elected leader of term ${replica(after, event.elect).term}`;
        case "duplicate":
        case "deliver":
          return `${event.kind === "duplicate" ? "duplicate" : "deliver  "} ${show(event.message)}`;
      }
    },

    canonical(world) {
      const replicas = world.replicas.map(
        (r) => `${r.up ? "u" : "d"}${r.term}${r.role[0]}${r.leader ?? "-"}:${r.log.map((e) => `${e.term}${e.request ? "s" + e.request.seq : "n"}`).join(".")}:${r.commit}:${stableStringify(r.server)}:${stableStringify(r.match)}`,
      );
      const c = world.client;
      const broken = world.broken === undefined ? "" : Object.keys(world.broken).sort().join(",");
      return `${replicas.join(";")}|${c.seq},${c.attempts},${c.redirects},${c.node},${c.outcomes.replaceAll("a", "u")}|${world.inFlight.map(messageText).join(";")}|${world.duplicates},${world.leaderChanges}|${world.committed.join(".")}|${broken}`;
    },

    invariants: Object.fromEntries(LEADER_CHANGE_INVARIANTS.map((name) => [name, (w: LeaderChangeWorld) => w.broken?.[name] ?? null])),

    predicates: {
      "clients-done": (w) => w.client.seq > options.appends,
    },
  };
}

/** An acknowledged append's reply when the leader makes it (`list`: its list then, as JSON texts). */
function replyProblem(list: readonly string[], seq: number, got: StoreReply): string | null {
  if (got.type === "error") return null;
  const value = JSON.stringify(`c1:${seq}`);
  if (got.type !== "append_ok" || !Array.isArray(got.value)) return `client c1 seq ${seq} (an append) was answered ${JSON.stringify(got)}: an append's reply is append_ok with the list after it`;
  const seen = got.value.map((v) => JSON.stringify(v));
  if (seen.at(-1) !== value) return `client c1 seq ${seq} got the reply ${JSON.stringify(got.value)}, which does not end with its own value ${value}: it is the reply of another operation`;
  if (new Set(seen).size !== seen.length) return `client c1 seq ${seq} got the list ${JSON.stringify(got.value)}, in which an append appears twice`;
  if (seen.some((v, i) => list[i] !== v)) return `client c1 seq ${seq} got the list ${JSON.stringify(got.value)}, which is not a prefix of the list ([${list.join(",")}])`;
  return null;
}
