/**
 * What happened on the wire and to the nodes, in order: the raw material for
 * the message-sequence diagram and the msgs-per-op figure. Client messages
 * are kept in full; node-to-node traffic is counted, and kept only when asked
 * (it dominates the volume).
 */
import type { Body } from "@dslab/protocol";
import { plural } from "../output/plural.js";

export type PacketFate =
  | "delivered"
  | "dropped-loss"
  | "dropped-partition"
  | "dropped-lost-reply"
  | "dropped-node-down"
  | "duplicate"
  | "replayed";

export interface TracedMessage {
  kind: "message";
  /** Unique per packet (a duplicate gets its own). */
  packetId: number;
  src: string;
  dest: string;
  sentAtMs: number;
  /** Undefined when the packet never arrived. */
  deliveredAtMs?: number;
  fate: PacketFate;
  type: string;
  msgId?: number;
  inReplyTo?: number;
  clientId?: string;
  seq?: number;
  /** The reply came from the session table (a duplicate answered, not applied). */
  fromSession?: boolean;
  /** The body as sent (rendered only when a diagram is drawn). */
  body: Body;
}

export interface TracedFault {
  kind: "fault";
  atMs: number;
  /** "partition start", "kill n2", "restart n2", ... */
  label: string;
  nodes: string[];
}

export type TraceEntry = TracedMessage | TracedFault;

export class MessageTrace {
  readonly entries: TraceEntry[] = [];
  /** Every packet sent, including node-to-node and dropped ones. */
  packetsSent = 0;
  peerPacketsSent = 0;
  clientPacketsSent = 0;
  private peerKept = 0;
  private clientKept = 0;

  /**
   * `maxEntries` bounds client messages; node-to-node messages (when kept)
   * have their own bound of half that, so on a long run heartbeats fill
   * their share and client traffic is still traced to the end.
   */
  constructor(
    private readonly opts: { keepPeerMessages: boolean; maxEntries: number } = { keepPeerMessages: false, maxEntries: 200_000 },
  ) {}

  wantsMessage(isClientMessage: boolean): boolean {
    if (isClientMessage) return this.clientKept < this.opts.maxEntries;
    return this.opts.keepPeerMessages && this.peerKept < this.opts.maxEntries / 2;
  }

  /** Add a message `wantsMessage` accepted. */
  add(entry: TracedMessage, isClientMessage: boolean): void {
    if (isClientMessage) this.clientKept++;
    else this.peerKept++;
    this.entries.push(entry);
  }

  fault(atMs: number, label: string, nodes: string[]): void {
    this.entries.push({ kind: "fault", atMs, label, nodes });
  }
}

/**
 * A body as a trace of real processes keeps it: one whose JSON is longer
 * than `maxChars` keeps its first 20 fields, each long one as the start of
 * its JSON and its length. A node that sends big messages (its whole log in
 * every append) would otherwise have the trace hold every one of them.
 *
 * `lineChars`, the length of the stdout line the body arrived in, measures it
 * without serialising it again: the line holds the body's JSON, so a line of
 * at most `maxChars` keeps the body whole. (Written again, that JSON can only
 * grow where the line shortened a number, `1e20` for 21 digits: at most about
 * 5 times the line, still bounded.) A longer line, or none, is measured by
 * the body's own JSON.
 */
export function boundedBody(body: Body, { maxChars = 4096, lineChars }: { maxChars?: number; lineChars?: number } = {}): Body {
  if (lineChars !== undefined && lineChars <= maxChars) return body;
  const text = JSON.stringify(body);
  if (text.length <= maxChars) return body;
  const entries = Object.entries(body);
  const kept: Record<string, unknown> = {};
  for (const [key, value] of entries.slice(0, 20)) {
    const json = JSON.stringify(value) ?? "null";
    // A copy, not a slice: V8 keeps a slice's whole parent string alive.
    kept[key] = json.length <= 160 ? value : `${Buffer.from(json.slice(0, 160)).toString()}... (${json.length} characters)`;
  }
  if (entries.length > 20) kept["..."] = `${plural(entries.length - 20, "more field", "more fields")}`;
  return kept as Body;
}

export function summarizeBody(body: Body): string {
  const { type, msg_id, in_reply_to, ...rest } = body;
  void msg_id;
  void in_reply_to;
  const text = JSON.stringify(rest);
  return `${type} ${text.length > 160 ? `${text.slice(0, 160)}...` : text}`;
}
