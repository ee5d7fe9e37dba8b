/**
 * Validation at the boundary, shared by the stdio and TCP
 * shells: a raw line becomes a message, or a definite error reply plus a log
 * line that names where the line came from and the bad field.
 */
import { ErrorCode, ProtocolError, decodeLine, errorBody, type Message, type SchemaTable } from "@dslab/protocol";

export interface RawLine {
  line: string;
  lineNumber: number;
  oversized: boolean;
}

export type Inbound =
  | { ok: true; message: Message }
  /** `reply` answers the sender; its dest is "unknown" when the line did not say who sent it. */
  | { ok: false; log: string; reply: Message };

export interface InboundOptions {
  /** Where the line came from, for the log: "stdin", "tcp 127.0.0.1:53422". */
  source: string;
  nodeId: string;
  schemas: SchemaTable;
  /** Bound on a client's line (error 1002 beyond it). */
  maxLineBytes: number;
  /**
   * Peers' lines may be longer: an append carries up to 256 entries of up
   * to 64 KiB each. The line splitter must use this bound. Default: maxLineBytes.
   */
  maxPeerLineBytes?: number;
  /** Whether `src` is a node of the cluster (its lines get maxPeerLineBytes). */
  isPeer?: (src: string) => boolean;
}

/** Default bound on a peer's line. */
export const DEFAULT_MAX_PEER_LINE_BYTES = 64 * 1024 * 1024;

/** Address used for an error reply when the bad line carried no readable `src`. */
export const UNKNOWN_SENDER = "unknown";

export function decodeInbound(raw: RawLine, opts: InboundOptions): Inbound {
  const splitBound = Math.max(opts.maxLineBytes, opts.maxPeerLineBytes ?? 0);
  let result = raw.oversized
    ? {
        ok: false as const,
        error: new ProtocolError(`line is larger than ${splitBound} bytes; skipped`, {
          errorCode: ErrorCode.RequestTooLarge,
          location: { source: opts.source, line: raw.lineNumber },
        }),
      }
    : decodeLine(raw.line, { source: opts.source, line: raw.lineNumber, schemas: opts.schemas, maxLineBytes: splitBound });
  if (result.ok && !(opts.isPeer?.(result.message.src) ?? false) && tooLong(raw.line, opts.maxLineBytes)) {
    const m = result.message;
    result = {
      ok: false,
      error: new ProtocolError(`line is larger than ${opts.maxLineBytes} bytes`, {
        errorCode: ErrorCode.RequestTooLarge,
        location: { source: opts.source, line: raw.lineNumber },
        replyTo: { src: m.src, dest: m.dest, msg_id: m.body.msg_id, type: m.body.type },
      }),
    };
  }
  if (result.ok) return result;
  const err = result.error;
  const replyTo = err.replyTo;
  const body = errorBody(err.errorCode, err.message);
  if (replyTo?.msg_id !== undefined) body.in_reply_to = replyTo.msg_id;
  return {
    ok: false,
    log: `bad input ${err.message} (answered with error ${err.errorCode})`,
    reply: { src: opts.nodeId, dest: replyTo?.src ?? UNKNOWN_SENDER, body },
  };
}

function tooLong(line: string, maxBytes: number): boolean {
  if (line.length > maxBytes) return true;
  return line.length * 3 > maxBytes && Buffer.byteLength(line, "utf8") > maxBytes;
}

/** True for lines a person typing into `nc` may leave: nothing to answer. */
export function isBlank(raw: RawLine): boolean {
  return !raw.oversized && raw.line.trim() === "";
}
