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
 */
import type { Model } from "./engine.js";
import { stableStringify } from "./engine.js";

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

export type Message = { kind: "request"; to: "server"; from: string; body: AppendRequest } | { kind: "reply"; to: string; from: "server"; seq: number; body: StoreReply };

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
  /** The first reply that no exactly-once, linearizable execution gives, in words (see `replyProblem`). */
  badReply?: string;
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
}

export const DEDUP_DEFAULTS = { clients: 2, appends: 2, maxRetries: 1, maxDrops: 1, maxDuplicates: 1 } as const;

const KEY = "l";
const NOW_MS = 1_000;
const SESSION_TIMEOUT_MS = 1e12;

const valueOf = (client: string, seq: number) => `${client}:${seq}`;
const requestOf = (client: string, seq: number): AppendRequest => ({ type: "append", key: KEY, value: valueOf(client, seq), client_id: client, seq });

// A message's text: plain JSON.stringify (this file builds messages in one
// key order, and a store builds its replies in one order), kept per object.
const messageKeys = new WeakMap<Message, string>();
function messageKey(m: Message): string {
  let k = messageKeys.get(m);
  if (k === undefined) {
    k = JSON.stringify(m);
    messageKeys.set(m, k);
  }
  return k;
}

function withMessage(inFlight: readonly Message[], m: Message): Message[] {
  const k = messageKey(m);
  const out = [...inFlight];
  let i = 0;
  while (i < out.length && messageKey(out[i]!) < k) i++;
  out.splice(i, 0, m);
  return out;
}

function withoutMessage(inFlight: readonly Message[], m: Message): Message[] {
  const k = messageKey(m);
  const i = inFlight.findIndex((x) => messageKey(x) === k);
  return [...inFlight.slice(0, i), ...inFlight.slice(i + 1)];
}

/** The server's canonical text, kept per state object: most steps leave the server's state as it was (shared). */
const serverKeys = new WeakMap<object, string>();
function serverKey(server: unknown): string {
  if (server === null || typeof server !== "object") return stableStringify(server);
  let k = serverKeys.get(server);
  if (k === undefined) {
    k = stableStringify(server);
    serverKeys.set(server, k);
  }
  return k;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function showMessage(m: Message): string {
  if (m.kind === "request") return `${m.from}->server append ${JSON.stringify(m.body.value)} (client ${m.body.client_id} seq ${m.body.seq})`;
  return `server->${m.to} reply to seq ${m.seq}: ${showReply(m.body)}`;
}

function showReply(r: StoreReply): string {
  if (r.type === "error") return `error ${String(r.code)}`;
  return "value" in r ? `${r.type} ${JSON.stringify(r.value)}` : r.type;
}

/** The list at key "l" in the store's state (`state.data.l`), or []. */
export function serverList(world: DedupWorld): unknown[] {
  const data = (world.server as { data?: Record<string, unknown> } | null)?.data;
  const list = data !== undefined && Object.hasOwn(data, KEY) ? data[KEY] : [];
  return Array.isArray(list) ? list : [];
}

export function dedupSingleModel(options: DedupScenarioOptions): Model<DedupWorld, DedupEvent> {
  const Store = options.store;
  const maxAttempts = 1 + options.maxRetries;
  const ids = Array.from({ length: options.clients }, (_, i) => `c${i + 1}`);

  const startOperation = (world: DedupWorld, c: ClientProgress): void => {
    if (c.seq > options.appends) return;
    c.attempts = 1;
    world.inFlight = withMessage(world.inFlight, { kind: "request", to: "server", from: c.id, body: requestOf(c.id, c.seq) });
  };
  const settle = (world: DedupWorld, index: number, outcome: Outcome, reply?: StoreReply): void => {
    const c = world.clients[index]!;
    if (reply !== undefined && outcome === "ok" && world.badReply === undefined) {
      const problem = replyProblem(world, c.id, c.seq, reply);
      if (problem !== null) world.badReply = problem;
    }
    const next: ClientProgress = { ...c, seq: c.seq + 1, attempts: 0, outcomes: c.outcomes + OUTCOME_LETTER[outcome] };
    world.clients = world.clients.map((x, i) => (i === index ? next : x));
    // Replies to this client's earlier operations can only be discarded on
    // arrival: discard them now (fewer states, the same behaviours).
    world.inFlight = world.inFlight.filter((m) => m.to !== c.id);
    startOperation(world, next);
  };

  return {
    initial() {
      const store = new Store({ sessionTimeoutMs: SESSION_TIMEOUT_MS });
      const world: DedupWorld = { server: clone(store.state), clients: [], inFlight: [], drops: 0, duplicates: 0 };
      for (const id of ids) {
        const c: ClientProgress = { id, seq: 1, attempts: 0, outcomes: "" };
        world.clients.push(c);
        startOperation(world, c);
      }
      return world;
    },

    events(world) {
      const out: DedupEvent[] = [];
      let previous: string | undefined;
      for (const message of world.inFlight) {
        const k = messageKey(message);
        if (k === previous) continue; // copies of one message: one event each kind
        previous = k;
        out.push({ kind: "deliver", message });
        if (world.duplicates < options.maxDuplicates && message.kind === "request") out.push({ kind: "duplicate", message });
        if (world.drops < options.maxDrops) out.push({ kind: "drop", message });
      }
      for (const c of world.clients) if (c.seq <= options.appends) out.push({ kind: "timer", client: c.id });
      return out;
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
      const m = event.message;
      if (m.kind === "request") {
        const store = new Store({ sessionTimeoutMs: SESSION_TIMEOUT_MS }, clone(world.server) as never);
        const reply = clone(store.handleRequest(clone(m.body), NOW_MS));
        next.server = store.state;
        lastReplies.set(next, reply);
        const client = next.clients.find((c) => c.id === m.from);
        if (client === undefined || client.seq !== m.body.seq) return next; // its reply would be discarded on arrival
        next.inFlight = withMessage(next.inFlight, { kind: "reply", to: m.from, from: "server", seq: m.body.seq, body: reply });
        return next;
      }
      if (m.kind !== "reply") return next;
      const index = next.clients.findIndex((c) => c.id === m.to);
      const c = next.clients[index];
      if (c === undefined || c.seq !== m.seq) return next; // a late reply: discarded
      const ok = typeof m.body.type === "string" && m.body.type.endsWith("_ok");
      settle(next, index, ok ? "ok" : "failed", m.body);
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
          return `duplicate ${showMessage(event.message)}${event.message.kind === "request" ? ` => ${lastReplyText(after, event.message)}` : ""}`;
        case "deliver":
          return `deliver   ${showMessage(event.message)}${event.message.kind === "request" ? ` => ${lastReplyText(after, event.message)}` : ""}`;
      }
    },

    // The clients and the drop/duplicate counts are built here in a fixed
    // key order; the server's state is the store's, in any key order.
    canonical: (world) =>
      `${serverKey(world.server)}|${JSON.stringify(world.clients)}|${world.inFlight.map(messageKey).join(";")}|${world.drops},${world.duplicates}|${world.badReply ?? ""}`,

    invariants: {
      "appends-at-most-once": (world) => {
        const list = serverList(world);
        const seen = new Set<string>();
        for (const v of list) {
          const k = JSON.stringify(v);
          if (seen.has(k)) return `append ${k} was applied twice: the list is ${JSON.stringify(list)}`;
          seen.add(k);
        }
        return null;
      },
      "results-ok": (world) => world.badReply ?? resultsOk(world),
    },

    predicates: {
      "clients-done": (world) => world.clients.every((c) => c.seq > options.appends),
    },
  };
}

/** The reply the server gave in the step that made a world (for the trace's lines; not part of the state). */
const lastReplies = new WeakMap<DedupWorld, StoreReply>();

function lastReplyText(after: DedupWorld, request: Extract<Message, { kind: "request" }>): string {
  const reply = lastReplies.get(after);
  if (reply === undefined) return "?";
  const waiting = after.clients.some((c) => c.id === request.from && c.seq === request.body.seq);
  return showReply(reply) + (waiting ? "" : " (its client no longer waits for it)");
}

/**
 * What an exactly-once, linearizable execution allows of an acknowledged
 * append's reply, when it arrives: append_ok with a list that has no
 * repeats, ends with the append's own value, and is a prefix of the list
 * now (a list only grows). Null when the reply is allowed.
 */
function replyProblem(world: DedupWorld, client: string, seq: number, got: StoreReply): string | null {
  const value = JSON.stringify(valueOf(client, seq));
  if (got.type !== "append_ok" || !Array.isArray(got.value)) {
    return `client ${client} seq ${seq} (an append) was answered ${JSON.stringify(got)}: an append's reply is append_ok with the list after it`;
  }
  const seen = got.value.map((v) => JSON.stringify(v));
  if (seen.at(-1) !== value) {
    return `client ${client} seq ${seq} got the reply ${JSON.stringify(got.value)}, which does not end with its own value ${value}: it is the reply of another operation`;
  }
  if (new Set(seen).size !== seen.length) return `client ${client} seq ${seq} got the list ${JSON.stringify(got.value)}, in which an append appears twice`;
  const list = serverList(world).map((v) => JSON.stringify(v));
  if (seen.some((v, i) => list[i] !== v)) {
    return `client ${client} seq ${seq} got the list ${JSON.stringify(got.value)}, which is not a prefix of the list now (${JSON.stringify(serverList(world))}): the list changed in a way appends alone cannot`;
  }
  return null;
}

/** Every acknowledged append is in the list now; a refused one (an error reply) is not. */
function resultsOk(world: DedupWorld): string | null {
  let list: string[] | undefined;
  for (const c of world.clients) {
    for (let i = 0; i < c.outcomes.length; i++) {
      const letter = c.outcomes[i];
      if (letter === "u") continue;
      list ??= serverList(world).map((v) => JSON.stringify(v));
      const value = JSON.stringify(valueOf(c.id, i + 1));
      if (letter === "a" && !list.includes(value)) return `client ${c.id} seq ${i + 1} was acknowledged, but ${value} is not in the list now (${JSON.stringify(serverList(world))})`;
      if (letter === "f" && list.includes(value)) return `client ${c.id} seq ${i + 1} was refused with an error, but ${value} is in the list: a refused write must never be applied`;
    }
  }
  return null;
}
