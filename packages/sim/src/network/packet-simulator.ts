/**
 * The packet simulator (TigerBeetle's `packet_simulator.zig`, in spirit):
 * every message between any two endpoints passes through here and gets a
 * fate drawn from the network PRNG: a latency from a distribution (which
 * reorders messages on its own), loss, duplication, a partition, or, for a
 * reply to a client after the server applied the request, a lost reply.
 * It also keeps old client requests so the nemesis can replay one late.
 *
 * It runs against a `Timeline`, so the same code serves simulated time
 * (in-process mode) and real time (process mode).
 */
import type { Body, Message, Prng } from "@dslab/protocol";
import { linkKey, type Partition } from "./partition.js";
import type { Timeline } from "../world/scheduler.js";
import { MessageTrace, type PacketFate, type TracedMessage } from "./trace.js";

export interface LatencyDistribution {
  /** No packet arrives faster than this. */
  minMs: number;
  /** Mean of the exponential tail added to minMs. */
  meanExtraMs: number;
  /** Cap on one packet's latency. */
  maxMs: number;
}

export interface NetworkFaults {
  partition: Partition | null;
  /** Probability that any packet is dropped. */
  lossProbability: number;
  /** Probability that a packet is delivered twice (the copy with its own latency). */
  duplicateProbability: number;
  /** Probability that an `*_ok` reply to a client is dropped: the request was applied, the client never hears. */
  loseReplyProbability: number;
  /** Multiplies the latency tail: a slow network (delay spikes reorder more). */
  latencyFactor: number;
}

export const QUIET_FAULTS: NetworkFaults = {
  partition: null,
  lossProbability: 0,
  duplicateProbability: 0,
  loseReplyProbability: 0,
  latencyFactor: 1,
};

/**
 * Delivers a packet to its endpoint. Returns a fate when the endpoint refused
 * it (a killed node), so the trace says so.
 */
export type DeliverFn = (message: Message) => PacketFate | void;

export interface PacketSimulatorOptions {
  timeline: Timeline;
  prng: Prng;
  nodeIds: readonly string[];
  latency: LatencyDistribution;
  deliver: DeliverFn;
  trace: MessageTrace;
  /** How many recent client requests to keep for late replay. Default 256. */
  replayPoolSize?: number;
  /**
   * Give each delivery its own deep copy of the body (default true), so a
   * node that changes what it received, or what it sent, changes neither
   * another delivery of the same packet nor the trace nor the history.
   * False when the nodes are known never to write to a message they
   * received or sent (the reference core: a test holds it to that).
   */
  copyDeliveries?: boolean;
  /** What the trace keeps of a packet's body (default: the body itself); process mode bounds it. */
  traceBody?: (body: Body) => Body;
}

/** A packet on its way. */
interface InFlight {
  message: Message;
  record: TracedMessage | undefined;
}

interface RememberedRequest {
  message: Message;
  sentAtMs: number;
}

export class PacketSimulator {
  faults: NetworkFaults = { ...QUIET_FAULTS };
  private nextPacketId = 1;
  private readonly nodes: Set<string>;
  private readonly replayPool: RememberedRequest[] = [];
  private replayPoolNext = 0;
  /**
   * Client endpoint -> its requests' bodies by msg_id, so a reply can be
   * labelled with the client_id/seq it answers. Endpoints number their
   * messages 1, 2, 3, ..., so an array indexed by msg_id holds them without
   * hashing (a msg_id that is not a small integer goes in `oddRequests`).
   */
  private readonly requestIdentity = new Map<string, Body[]>();
  private readonly oddRequests = new Map<string, Body>();
  private remembered = 0;
  private readonly copyDeliveries: boolean;

  constructor(private readonly opts: PacketSimulatorOptions) {
    this.nodes = new Set(opts.nodeIds);
    this.copyDeliveries = opts.copyDeliveries ?? true;
  }

  isNode(id: string): boolean {
    return this.nodes.has(id);
  }

  /** Send one message; its fate is decided now, its delivery scheduled. */
  send(message: Message, extra?: { sessionHits?: ReadonlySet<string> }): void {
    const { timeline, prng, trace } = this.opts;
    const now = timeline.now();
    const srcIsNode = this.nodes.has(message.src);
    const destIsNode = this.nodes.has(message.dest);
    const clientMessage = !(srcIsNode && destIsNode);
    trace.packetsSent++;
    if (clientMessage) trace.clientPacketsSent++;
    else trace.peerPacketsSent++;
    if (!srcIsNode && destIsNode) this.rememberRequest(message, now);

    let fate: PacketFate = "delivered";
    if (srcIsNode && destIsNode && this.faults.partition?.blocked.has(linkKey(message.src, message.dest))) {
      fate = "dropped-partition";
    } else if (this.faults.lossProbability > 0 && prng.chance(this.faults.lossProbability)) {
      fate = "dropped-loss";
    } else if (
      srcIsNode &&
      !destIsNode &&
      this.faults.loseReplyProbability > 0 &&
      message.body.type.endsWith("_ok") &&
      message.body.type !== "read_ok" &&
      message.body.type !== "init_ok" &&
      prng.chance(this.faults.loseReplyProbability)
    ) {
      fate = "dropped-lost-reply";
    }
    const sessionHits = extra?.sessionHits;
    const record = this.traceRecord(message, now, fate, srcIsNode, destIsNode, sessionHits);
    if (fate !== "delivered") return;
    this.schedule(message, record);
    if (this.faults.duplicateProbability > 0 && prng.chance(this.faults.duplicateProbability)) {
      const copy = this.traceRecord(message, now, "duplicate", srcIsNode, destIsNode, sessionHits);
      this.schedule(message, copy);
    }
  }

  /**
   * Late replay: deliver again one client request sent between `minAgeMs`
   * and `maxAgeMs` ago (a packet stuck in the network), to a node drawn from
   * the PRNG. Returns what was replayed, or null when none is that old.
   */
  replayOldRequest(minAgeMs: number, maxAgeMs: number): Message | null {
    const { timeline, prng } = this.opts;
    const now = timeline.now();
    const old = this.replayPool.filter((r) => now - r.sentAtMs >= minAgeMs && now - r.sentAtMs <= maxAgeMs);
    if (old.length === 0) return null;
    const chosen = prng.pick(old);
    const dest = prng.pick(this.opts.nodeIds);
    const message: Message = { src: chosen.message.src, dest, body: chosen.message.body };
    const record = this.traceRecord(message, now, "replayed", this.nodes.has(message.src), true);
    this.schedule(message, record);
    return message;
  }

  private rememberRequest(message: Message, now: number): void {
    const b = message.body;
    const msgId = b.msg_id;
    if (typeof msgId === "number") {
      // Bounded memory on long runs: forget every label (a reply that late only loses its label).
      if (++this.remembered > 200_000) {
        this.requestIdentity.clear();
        this.oddRequests.clear();
        this.remembered = 1;
      }
      if (Number.isInteger(msgId) && msgId >= 0 && msgId < 2 ** 24) {
        let bodies = this.requestIdentity.get(message.src);
        if (bodies === undefined) this.requestIdentity.set(message.src, (bodies = []));
        // Fill any gap so the array stays packed.
        while (bodies.length < msgId) bodies.push(NO_BODY);
        bodies[msgId] = b;
      } else {
        this.oddRequests.set(`${message.src}:${msgId}`, b);
      }
    }
    if (b.client_id === undefined) return;
    // A ring of the most recent mutating requests: replays are of recent packets.
    const size = this.opts.replayPoolSize ?? 256;
    if (this.replayPool.length < size) this.replayPool.push({ message, sentAtMs: now });
    else this.replayPool[this.replayPoolNext] = { message, sentAtMs: now };
    this.replayPoolNext = (this.replayPoolNext + 1) % size;
  }

  /** The request `endpoint` sent with `msgId`, if remembered. */
  private requestOf(endpoint: string, msgId: number): Body | undefined {
    if (Number.isInteger(msgId) && msgId >= 0 && msgId < 2 ** 24) {
      const b = this.requestIdentity.get(endpoint)?.[msgId];
      return b === NO_BODY ? undefined : b;
    }
    return this.oddRequests.get(`${endpoint}:${msgId}`);
  }

  private latencyMs(): number {
    const { minMs, meanExtraMs, maxMs } = this.opts.latency;
    const u = this.opts.prng.next();
    const extra = -Math.log(1 - u) * meanExtraMs * this.faults.latencyFactor;
    return Math.min(maxMs * this.faults.latencyFactor, minMs + extra);
  }

  private schedule(message: Message, record: TracedMessage | undefined): void {
    const delay = this.latencyMs();
    // An untraced packet takes a second id here (ids in traces stay as they were).
    if (record === undefined) this.nextPacketId++;
    this.opts.timeline.after(delay, this.arrival, { message, record });
  }

  /** The packet a scheduled event delivers, if the event is a packet's arrival (for a benchmark's breakdown of events by kind). */
  packetOf(fn: unknown, arg: unknown): Message | undefined {
    return fn === this.arrival ? (arg as InFlight).message : undefined;
  }

  /** A scheduled packet arrives: one function for every packet, its argument the packet. */
  private readonly arrival = ({ message, record }: InFlight): void => {
    // A wire delivers bytes: with `copyDeliveries`, each delivery is a copy
    // of its own, so a node that changes what it received changes neither
    // another delivery of the same packet (a duplicate, a late replay) nor the
    // trace. Without it the receivers are known to change nothing, so the
    // packet itself is delivered.
    const refused = this.opts.deliver(this.copyDeliveries ? { src: message.src, dest: message.dest, body: copyJson(message.body) as Body } : message);
    if (record) {
      if (refused) record.fate = refused;
      else record.deliveredAtMs = this.opts.timeline.now();
    }
  };

  private traceRecord(
    message: Message,
    now: number,
    fate: PacketFate,
    srcIsNode: boolean,
    destIsNode: boolean,
    sessionHits?: ReadonlySet<string>,
  ): TracedMessage | undefined {
    const clientMessage = !(srcIsNode && destIsNode);
    const packetId = this.nextPacketId++;
    if (!this.opts.trace.wantsMessage(clientMessage)) return undefined;
    const b: Body = message.body;
    let clientId = typeof b.client_id === "string" ? b.client_id : undefined;
    let seq = typeof b.seq === "number" ? b.seq : undefined;
    if (typeof b.in_reply_to === "number" && srcIsNode && !destIsNode) {
      const request = this.requestOf(message.dest, b.in_reply_to);
      clientId = typeof request?.client_id === "string" ? request.client_id : undefined;
      seq = typeof request?.seq === "number" ? request.seq : undefined;
    }
    const record: TracedMessage = {
      kind: "message",
      packetId,
      src: message.src,
      dest: message.dest,
      sentAtMs: now,
      // Set on arrival; present from the start so the record keeps one shape.
      deliveredAtMs: undefined,
      fate,
      type: b.type,
      msgId: b.msg_id,
      inReplyTo: b.in_reply_to,
      clientId,
      seq,
      fromSession: b.replayed === true || (b.type.endsWith("_ok") && clientId !== undefined && sessionHits?.has(`${clientId}/${seq}`)) || undefined,
      body: this.opts.traceBody ? this.opts.traceBody(b) : b,
    };
    this.opts.trace.add(record, clientMessage);
    return record;
  }
}

/** Fills the gaps of a `requestIdentity` array. */
const NO_BODY: Body = Object.freeze({ type: "" }) as Body;

/**
 * A deep copy of a JSON value (message bodies are plain JSON). A frozen value
 * is shared instead: no receiver can change it, and the log entries a
 * leader sends are frozen all the way down when they are persisted.
 */
function copyJson(v: unknown): unknown {
  if (v === null || typeof v !== "object" || Object.isFrozen(v)) return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyJson(v[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k in v as Record<string, unknown>) out[k] = copyJson((v as Record<string, unknown>)[k]);
  return out;
}
