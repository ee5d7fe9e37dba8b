/**
 * The `dedup-single` scenario: one server running the workbook's
 * DedupKVStore, and 1 or 2 scripted clients, each appending its own values
 * ("c1:1", "c1:2", ...) to the list at key "l" with retries.
 *
 * The client is a simple scripted one, not the workbook's retry-client
 * state machine: its backoff waits and random client ids matter for time,
 * which this model leaves out (only the order of events matters here). Each
 * operation keeps one identity (client id, seq = operation number) for all
 * its attempts. While an operation waits for its reply, its retry timer is
 * pending; firing it sends the same request again, up to 1 + maxRetries
 * attempts; firing it after the last attempt gives the operation up
 * (outcome unknown) and starts the next one. A reply to anything but the
 * current operation is discarded.
 *
 * The network holds a multiset of messages in flight. Events: deliver one
 * message, fire one client's retry timer, drop one message (at most
 * maxDrops in a run), deliver a copy of a request and keep it in flight (a
 * duplicate, at most maxDuplicates in a run). A reply to an operation its
 * client has already settled could only be discarded on arrival, so it is
 * discarded at once: fewer states, the same behaviours. The server's clock stands
 * still (sessions never expire here): expiry is another scenario's matter.
 *
 * Invariants are watched by the step that can break them, and a broken one
 * stays broken (`world.broken`, latched): the server's step checks the list
 * it leaves (no append twice; the list only grows, by the request's own
 * value at its end) and computes each reply's verdict when it makes it (an
 * append_ok must end with its own value, have no repeats and be a prefix of
 * the list then; since the list only grows, it is a prefix at any later time
 * too); the client's step latches that verdict when it accepts the reply,
 * and checks that a refused append is not in the list.
 *
 * Reductions (`reduce: true`, what `kv-sim search` uses; the explorer and
 * replays of old traces use `reduce: false`, every event offered). Each is
 * sound for this scenario's invariants and its goal, and the test
 * `reduction.test.ts` holds the reduced search to the full one (the same
 * verdicts on every store, the same end states):
 *
 * 1. No drop events. A message left in flight forever is a dropped message,
 *    a message in flight never disables another event, and nothing the
 *    invariants or the goal read looks at the messages in flight, so a run
 *    with a drop has the same states, but for the in-flight set, as the run
 *    that leaves the message where it is. The drop event only matters to
 *    properties that read the network, which this scenario has none of.
 * 2. Client symmetry. With 2 clients the scripts are the same but for the
 *    names; a store treats client ids as opaque names (its behaviour on a
 *    renamed state is the renamed behaviour), so a state and its image under
 *    c1 <-> c2 (ids, values "c1:n", replies) have the same futures up to
 *    renaming. The canonical text is the smaller of the two texts; the latch
 *    enters it by invariant name only (its sentence names a client).
 * 3. Partial-order reduction (persistent sets). When a client c has no copy
 *    of its current request in flight, its events (its replies' delivery,
 *    its timer) are the only ones explored from that state. They touch c's
 *    progress, the replies to c and c's new requests; every other event
 *    (another client's, the server handling another client's request or an
 *    old copy of c's, whose reply is never made because c has moved past
 *    it) touches none of those, and no other event can make a reply to c's
 *    current request, since no copy of it is in flight. So any run from the
 *    state either contains one of c's events, which commutes to the front,
 *    or never does: but c's timer stays enabled until c moves, so such a run
 *    never ends. The latch's checks commute too: a client step reads the
 *    list only for its own value, which no other event adds unless the store
 *    appends a value nobody sent, which the server step latches in either
 *    order. The graph has no cycle (every event moves a client forward,
 *    spends a duplicate, or takes a request out of flight for at most one
 *    reply), so persistent sets with a visited set keep every end state and
 *    every latched violation (Godefroid 1996, ch. 4 and 6). A reduced trace
 *    is a shortest one among the orders explored; `reduce: false` gives a
 *    shortest one among all orders.
 */
import type { Model } from "./engine.js";
import { stableStringify } from "./engine.js";
import { clone, latch } from "./world-parts.js";

/** A reply body from the store: `{ type: "append_ok", value: [...] }`, `{ type: "error", code, text }`. */
export type StoreReply = { type: string; [field: string]: unknown };

export interface DedupStoreLike {
  state: unknown;
  handleRequest(request: AppendRequest, nowMs: number): StoreReply;
}

/** A module's `DedupKVStore` class: the workbook's, the solution's, or a variant's. */
export type DedupStoreClass = new (options: { sessionTimeoutMs: number }, state?: never) => DedupStoreLike;

export interface AppendRequest {
  type: "append";
  key: string;
  value: string;
  client_id: string;
  seq: number;
}

export type Message =
  | { kind: "request"; to: "server"; from: string; body: AppendRequest }
  /** `problem`: what no exactly-once, linearizable execution allows of this reply, judged when it was made (absent when it is allowed). */
  | { kind: "reply"; to: string; from: "server"; seq: number; body: StoreReply; problem?: string };

export type Outcome = "ok" | "failed" | "unknown";
const OUTCOME_LETTER: Record<Outcome, string> = { ok: "a", failed: "f", unknown: "u" };

export interface ClientProgress {
  id: string;
  /** The seq of the current operation (1-based); appends + 1 when done. */
  seq: number;
  /** Requests sent for the current operation. */
  attempts: number;
  /** One letter per settled operation, by seq: a (acknowledged), f (refused), u (unknown). */
  outcomes: string;
}

export interface DedupWorld {
  server: unknown;
  clients: ClientProgress[];
  /** Messages in flight, sorted by their canonical text (a multiset). */
  inFlight: Message[];
  drops: number;
  duplicates: number;
  /** Latched: each broken invariant's first sentence, by name (see the header). */
  broken?: Record<string, string>;
}

export type DedupEvent =
  | { kind: "deliver"; message: Message }
  | { kind: "duplicate"; message: Message }
  | { kind: "drop"; message: Message }
  | { kind: "timer"; client: string };

export interface DedupScenarioOptions {
  store: DedupStoreClass;
  /** 1 or 2. */
  clients: number;
  /** Appends per client. */
  appends: number;
  maxRetries: number;
  maxDrops: number;
  maxDuplicates: number;
  /** The reductions of the header (default false: every event offered). */
  reduce?: boolean;
}

export const DEDUP_INVARIANTS = ["appends-at-most-once", "appends-linearizable", "results-ok"] as const;

export const DEDUP_DEFAULTS = { clients: 2, appends: 2, maxRetries: 1, maxDrops: 1, maxDuplicates: 1 } as const;

const KEY = "l";
const NOW_MS = 1_000;
const SESSION_TIMEOUT_MS = 1e12;

const valueOf = (client: string, seq: number) => `${client}:${seq}`;
const requestOf = (client: string, seq: number): AppendRequest => ({ type: "append", key: KEY, value: valueOf(client, seq), client_id: client, seq });

// ---- interning ----------------------------------------------------------
//
// Equal server states and equal messages are one object each, numbered in
// the order they are first met: a state's canonical text is then a handful
// of numbers (the server's, the messages'), the store's step is computed
// once per (server state, request) and remembered (a store is a pure
// function of its state, the request and the time, which stands still
// here), and the list's checks are computed once per server state.

interface ServerEntry {
  id: number;
  state: unknown;
  /** The list at key "l", each value as JSON text. */
  listText: string[];
  /** The id of the image under c1 <-> c2 (client symmetry), once asked. */
  swapped?: number;
  /** The store's step from this state, by request text: the state after, the reply, and the reply message (with its verdict). */
  after: Map<string, { server: ServerEntry; reply: StoreReply; message: Message }>;
}

interface MessageEntry {
  id: number;
  message: Message;
  text: string;
  swapped?: number;
}

// ---- client symmetry: the image of a state under c1 <-> c2 --------------

/** c1 <-> c2 on one string: a client id, or a value "c1:n". Anything else is left as it is. */
function swapName(s: string): string {
  if (s === "c1") return "c2";
  if (s === "c2") return "c1";
  if (s.startsWith("c1:")) return "c2" + s.slice(2);
  if (s.startsWith("c2:")) return "c1" + s.slice(2);
  return s;
}

function swapped(v: unknown): unknown {
  if (typeof v === "string") return swapName(v);
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(swapped);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[swapName(k)] = swapped(x);
  return out;
}

function showMessage(m: Message): string {
  if (m.kind === "request") return `${m.from}->server append ${JSON.stringify(m.body.value)} (client ${m.body.client_id} seq ${m.body.seq})`;
  return `server->${m.to} reply to seq ${m.seq}: ${showReply(m.body)}`;
}

function showReply(r: StoreReply): string {
  if (r.type === "error") return `error ${String(r.code)}`;
  return "value" in r ? `${r.type} ${JSON.stringify(r.value)}` : r.type;
}

/** The list at key "l" in a store's state (`state.data.l`), or []. */
function listOf(server: unknown): unknown[] {
  const data = (server as { data?: Record<string, unknown> } | null)?.data;
  const list = data !== undefined && data !== null && typeof data === "object" && Object.hasOwn(data, KEY) ? data[KEY] : [];
  return Array.isArray(list) ? list : [];
}

/** The list at key "l" in the store's state (`state.data.l`), or []. */
export function serverList(world: DedupWorld): unknown[] {
  return listOf(world.server);
}

export function dedupSingleModel(options: DedupScenarioOptions): Model<DedupWorld, DedupEvent> {
  const Store = options.store;
  const maxAttempts = 1 + options.maxRetries;
  const ids = Array.from({ length: options.clients }, (_, i) => `c${i + 1}`);
  const reduce = options.reduce === true;
  const symmetric = reduce && options.clients === 2;

  const servers = new Map<string, ServerEntry>();
  const serverOf = new WeakMap<object, ServerEntry>();
  const serverEntries: ServerEntry[] = [];
  // Interned objects carry their entry under a symbol of this model's own
  // (invisible to JSON and to stable JSON); anything else is looked up by text.
  const TAG = Symbol("interned");
  type Tagged = { [TAG]?: ServerEntry | MessageEntry };
  const internServer = (state: unknown): ServerEntry => {
    const tagged = state !== null && typeof state === "object" ? ((state as Tagged)[TAG] as ServerEntry | undefined) : undefined;
    if (tagged !== undefined) return tagged;
    const known = tagged === undefined && state !== null && typeof state === "object" ? serverOf.get(state) : undefined;
    if (known !== undefined) return known;
    const text = stableStringify(state);
    let entry = servers.get(text);
    if (entry === undefined) {
      entry = { id: serverEntries.length, state, listText: listOf(state).map((v) => JSON.stringify(v)), after: new Map() };
      servers.set(text, entry);
      serverEntries.push(entry);
      if (state !== null && typeof state === "object") Object.defineProperty(state, TAG, { value: entry });
    }
    if (state !== null && typeof state === "object" && entry.state !== state) serverOf.set(state, entry);
    return entry;
  };
  const swappedServer = (e: ServerEntry): number => (e.swapped ??= internServer(swapped(e.state)).id);

  const messages = new Map<string, MessageEntry>();
  const messageEntries: MessageEntry[] = [];
  const messageOf = new WeakMap<Message, MessageEntry>();
  const internMessage = (m: Message): MessageEntry => {
    const tagged = (m as Tagged)[TAG] as MessageEntry | undefined;
    if (tagged !== undefined) return tagged;
    const known = messageOf.get(m);
    if (known !== undefined) return known;
    const text = JSON.stringify(m);
    let entry = messages.get(text);
    if (entry === undefined) {
      entry = { id: messageEntries.length, message: m, text };
      messages.set(text, entry);
      messageEntries.push(entry);
      Object.defineProperty(m, TAG, { value: entry });
    } else messageOf.set(m, entry);
    return entry;
  };
  const swappedMessage = (e: MessageEntry): number => (e.swapped ??= internMessage(swapped(e.message) as Message).id);

  /** In-flight messages are interned objects kept sorted by id (a multiset). */
  const withMessage = (inFlight: readonly Message[], m: Message): Message[] => {
    const e = internMessage(m);
    const out = [...inFlight];
    let i = 0;
    while (i < out.length && internMessage(out[i]!).id < e.id) i++;
    out.splice(i, 0, e.message);
    return out;
  };
  const withoutMessage = (inFlight: readonly Message[], m: Message): Message[] => {
    const i = inFlight.indexOf(internMessage(m).message);
    return [...inFlight.slice(0, i), ...inFlight.slice(i + 1)];
  };

  const startOperation = (world: DedupWorld, c: ClientProgress): void => {
    if (c.seq > options.appends) return;
    c.attempts = 1;
    world.inFlight = withMessage(world.inFlight, { kind: "request", to: "server", from: c.id, body: requestOf(c.id, c.seq) });
  };
  const settle = (world: DedupWorld, index: number, outcome: Outcome, reply?: Extract<Message, { kind: "reply" }>): void => {
    const c = world.clients[index]!;
    if (reply !== undefined && outcome === "ok" && reply.problem !== undefined) latch(world, "results-ok", reply.problem);
    if (outcome === "failed") {
      const value = JSON.stringify(valueOf(c.id, c.seq));
      if (internServer(world.server).listText.includes(value)) {
        latch(world, "results-ok", `client ${c.id} seq ${c.seq} was refused with an error, but ${value} is in the list (${JSON.stringify(listOf(world.server))}): a refused write must never be applied`);
      }
    }
    const next: ClientProgress = { ...c, seq: c.seq + 1, attempts: 0, outcomes: c.outcomes + OUTCOME_LETTER[outcome] };
    world.clients = world.clients.map((x, i) => (i === index ? next : x));
    // Replies to this client's earlier operations can only be discarded on
    // arrival: discard them now (fewer states, the same behaviours).
    if (world.inFlight.some((m) => m.to === c.id)) world.inFlight = world.inFlight.filter((m) => m.to !== c.id);
    startOperation(world, next);
  };

  /** The server handles `m`: the store's step, the list's checks, and the reply (with its verdict) if its client still waits for it. */
  const serve = (world: DedupWorld, next: DedupWorld, m: Extract<Message, { kind: "request" }>): void => {
    const from = internServer(world.server);
    const request = internMessage(m).text;
    let step = from.after.get(request);
    if (step === undefined) {
      const store = new Store({ sessionTimeoutMs: SESSION_TIMEOUT_MS }, clone(from.state) as never);
      const reply = clone(store.handleRequest(clone(m.body), NOW_MS));
      const server = internServer(clone(store.state));
      const problem = replyProblem(server.listText, m.from, m.body.seq, reply);
      const message = internMessage({ kind: "reply", to: m.from, from: "server", seq: m.body.seq, body: reply, ...(problem === null ? {} : { problem }) }).message;
      step = { server, reply, message };
      from.after.set(request, step);
    }
    next.server = step.server.state;
    if (step.server !== from) checkList(next, from, step.server, m);
    const client = next.clients.find((c) => c.id === m.from);
    if (client === undefined || client.seq !== m.body.seq) return; // its reply would be discarded on arrival
    next.inFlight = withMessage(next.inFlight, step.message);
  };

  /** After the server handled `m`: no append twice; the list only grows, by `m`'s value at its end; no refused append applied. */
  const checkList = (next: DedupWorld, before: ServerEntry, after: ServerEntry, m: Extract<Message, { kind: "request" }>): void => {
    const b = before.listText;
    const a = after.listText;
    if (b.length === a.length && b.every((v, i) => v === a[i])) return;
    if (new Set(a).size !== a.length) {
      const twice = a.find((v, i) => a.indexOf(v) !== i)!;
      latch(next, "appends-at-most-once", `append ${twice} was applied twice: the list is ${JSON.stringify(listOf(after.state))}`);
    }
    const value = JSON.stringify(m.body.value);
    const grew = a.length === b.length + 1 && b.every((v, i) => v === a[i]) && a.at(-1) === value;
    if (!grew) {
      latch(
        next,
        "appends-linearizable",
        `handling ${showMessage(m)} changed the list from ${JSON.stringify(listOf(before.state))} to ${JSON.stringify(listOf(after.state))}: an append only adds its own value at the end`,
      );
    }
    for (const c of next.clients) {
      for (let i = 0; i < c.outcomes.length; i++) {
        if (c.outcomes[i] !== "f") continue;
        const v = JSON.stringify(valueOf(c.id, i + 1));
        if (a.includes(v)) latch(next, "results-ok", `client ${c.id} seq ${i + 1} was refused with an error, but ${v} is in the list now (${JSON.stringify(listOf(after.state))}): a refused write must never be applied`);
      }
    }
  };

  /** The reply the server gave to `request` in the step from `before` to `after` (remembered with the store's step). */
  const replyText = (before: DedupWorld, after: DedupWorld, request: Extract<Message, { kind: "request" }>): string => {
    const reply = internServer(before.server).after.get(internMessage(request).text)?.reply;
    if (reply === undefined) return "?";
    const waiting = after.clients.some((c) => c.id === request.from && c.seq === request.body.seq);
    return showReply(reply) + (waiting ? "" : " (its client no longer waits for it)");
  };

  const allEvents = (world: DedupWorld): DedupEvent[] => {
    const out: DedupEvent[] = [];
    let previous: Message | undefined;
    for (const message of world.inFlight) {
      if (message === previous) continue; // copies of one message: one event each kind
      previous = message;
      out.push({ kind: "deliver", message });
      if (world.duplicates < options.maxDuplicates && message.kind === "request") out.push({ kind: "duplicate", message });
      if (!reduce && world.drops < options.maxDrops) out.push({ kind: "drop", message });
    }
    for (const c of world.clients) if (c.seq <= options.appends) out.push({ kind: "timer", client: c.id });
    return out;
  };

  /** Reduction 3: the events of the first client with no copy of its current request in flight, if any. */
  const persistent = (world: DedupWorld): DedupEvent[] | undefined => {
    for (const c of world.clients) {
      if (c.seq > options.appends) continue;
      if (world.inFlight.some((m) => m.kind === "request" && m.from === c.id && m.body.seq === c.seq)) continue;
      const out: DedupEvent[] = [];
      let previous: Message | undefined;
      for (const message of world.inFlight) {
        if (message.to !== c.id || message === previous) continue;
        previous = message;
        out.push({ kind: "deliver", message });
      }
      out.push({ kind: "timer", client: c.id });
      return out;
    }
    return undefined;
  };

  // A client's part of the canonical text. Whether a settled append was
  // acknowledged or its outcome is unknown is never read again (an
  // acknowledged value stays in the list as long as the list only grows,
  // which appends-linearizable watches), so both are written "u"; a refusal
  // is kept ("f": it must never be applied later).
  const outcomeTexts = new Map<string, string>();
  const clientText = (c: ClientProgress): string => {
    let o = outcomeTexts.get(c.outcomes);
    if (o === undefined) outcomeTexts.set(c.outcomes, (o = c.outcomes.replaceAll("a", "u")));
    return `${c.seq},${c.attempts},${o}`;
  };

  /** The canonical text with the clients in the given order (`swap`: c2's part first, every name swapped). */
  const text = (world: DedupWorld, swap: boolean, first: string, second: string | undefined): string => {
    const server = internServer(world.server);
    let out = `${swap ? swappedServer(server) : server.id}|${swap ? second! + ";" + first : second === undefined ? first : first + ";" + second}|`;
    if (swap) {
      const ids = world.inFlight.map((m) => swappedMessage(internMessage(m))).sort((x, y) => x - y);
      out += ids.join(",");
    } else {
      for (let i = 0; i < world.inFlight.length; i++) out += (i > 0 ? "," : "") + internMessage(world.inFlight[i]!).id;
    }
    out += `|${world.drops},${world.duplicates}|`;
    if (world.broken !== undefined) out += Object.keys(world.broken).sort().join(",");
    return out;
  };

  return {
    initial() {
      const store = new Store({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
      const world: DedupWorld = { server: internServer(clone(store.state)).state, clients: [], inFlight: [], drops: 0, duplicates: 0 };
      for (const id of ids) {
        const c: ClientProgress = { id, seq: 1, attempts: 0, outcomes: "" };
        world.clients.push(c);
        startOperation(world, c);
      }
      return world;
    },

    events(world) {
      return (reduce ? persistent(world) : undefined) ?? allEvents(world);
    },

    step(world, event) {
      const next: DedupWorld = { ...world };
      if (event.kind === "timer") {
        const index = next.clients.findIndex((c) => c.id === event.client);
        const c = next.clients[index]!;
        if (c.attempts < maxAttempts) {
          next.clients = next.clients.map((x, i) => (i === index ? { ...c, attempts: c.attempts + 1 } : x));
          next.inFlight = withMessage(next.inFlight, { kind: "request", to: "server", from: c.id, body: requestOf(c.id, c.seq) });
        } else {
          settle(next, index, "unknown");
        }
        return next;
      }
      if (event.kind === "drop") {
        next.inFlight = withoutMessage(next.inFlight, event.message);
        next.drops++;
        return next;
      }
      if (event.kind === "duplicate") next.duplicates++;
      else next.inFlight = withoutMessage(next.inFlight, event.message);
      const m = internMessage(event.message).message;
      if (m.kind === "request") {
        serve(world, next, m);
        return next;
      }
      const index = next.clients.findIndex((c) => c.id === m.to);
      const c = next.clients[index];
      if (c === undefined || c.seq !== m.seq) return next; // a late reply: discarded
      const ok = typeof m.body.type === "string" && m.body.type.endsWith("_ok");
      settle(next, index, ok ? "ok" : "failed", m);
      return next;
    },

    describe(event, _before, after) {
      switch (event.kind) {
        case "timer": {
          const c = after.clients.find((x) => x.id === event.client)!;
          const before = _before.clients.find((x) => x.id === event.client)!;
          return c.seq !== before.seq
            ? `timer ${event.client}: seq ${before.seq} gives up (outcome unknown)${c.seq <= options.appends ? `, sends seq ${c.seq}` : ""}`
            : `timer ${event.client}: resends seq ${c.seq} (attempt ${c.attempts})`;
        }
        case "drop":
          return `drop      ${showMessage(event.message)}`;
        case "duplicate":
          return `duplicate ${showMessage(event.message)}${event.message.kind === "request" ? ` => ${replyText(_before, after, event.message)}` : ""}`;
        case "deliver":
          return `deliver   ${showMessage(event.message)}${event.message.kind === "request" ? ` => ${replyText(_before, after, event.message)}` : ""}`;
      }
    },

    // With symmetry: the orientation that puts the smaller client text
    // first (the same for a state and its image), the smaller whole text
    // when the clients' texts are equal.
    canonical(world) {
      const first = clientText(world.clients[0]!);
      if (world.clients.length === 1) return text(world, false, first, undefined);
      const second = clientText(world.clients[1]!);
      if (!symmetric) return text(world, false, first, second);
      if (first !== second) return text(world, second < first, first, second);
      const a = text(world, false, first, second);
      const b = text(world, true, first, second);
      return a < b ? a : b;
    },

    invariants: {
      "appends-at-most-once": (world) => world.broken?.["appends-at-most-once"] ?? null,
      "appends-linearizable": (world) => world.broken?.["appends-linearizable"] ?? null,
      // An acknowledged reply is judged against the list when it was made; it stays right only while the list only grows.
      "results-ok": (world) =>
        world.broken?.["results-ok"] ??
        (world.broken?.["appends-linearizable"] === undefined ? null : `${world.broken["appends-linearizable"]}, so an acknowledged append may no longer be in it`),
    },

    predicates: {
      "clients-done": (world) => world.clients.every((c) => c.seq > options.appends),
    },
  };
}


/**
 * What an exactly-once, linearizable execution allows of an append's reply
 * when the server makes it (`list`: the list then, each value as JSON):
 * append_ok with a list that has no repeats, ends with the append's own
 * value, and is a prefix of the list then (so of the list at any later
 * time, as the list only grows: appends-linearizable). An error reply is
 * judged when its client accepts it. Null when allowed.
 */
function replyProblem(list: readonly string[], client: string, seq: number, got: StoreReply): string | null {
  if (got.type === "error") return null;
  const value = JSON.stringify(valueOf(client, seq));
  if (got.type !== "append_ok" || !Array.isArray(got.value)) {
    return `client ${client} seq ${seq} (an append) was answered ${JSON.stringify(got)}: an append's reply is append_ok with the list after it`;
  }
  const seen = got.value.map((v) => JSON.stringify(v));
  if (seen.at(-1) !== value) {
    return `client ${client} seq ${seq} got the reply ${JSON.stringify(got.value)}, which does not end with its own value ${value}: it is the reply of another operation`;
  }
  if (new Set(seen).size !== seen.length) return `client ${client} seq ${seq} got the list ${JSON.stringify(got.value)}, in which an append appears twice`;
  if (seen.some((v, i) => list[i] !== v)) {
    return `client ${client} seq ${seq} got the list ${JSON.stringify(got.value)}, which is not a prefix of the list (${"[" + list.join(",") + "]"}): the list changed in a way appends alone cannot`;
  }
  return null;
}
