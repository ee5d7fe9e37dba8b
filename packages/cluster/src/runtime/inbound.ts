/**
 * Validation at the boundary (STYLE habit 10), shared by the stdio and TCP
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
  maxLineBytes: number;
}

/** Address used for an error reply when the bad line carried no readable `src`. */
export const UNKNOWN_SENDER = "unknown";

export function decodeInbound(raw: RawLine, opts: InboundOptions): Inbound {
  const location = { source: opts.source, line: raw.lineNumber };
  const result = raw.oversized
    ? {
        ok: false as const,
        error: new ProtocolError(`line is larger than ${opts.maxLineBytes} bytes; skipped`, {
          errorCode: ErrorCode.RequestTooLarge,
          location,
        }),
      }
    : decodeLine(raw.line, { ...location, schemas: opts.schemas, maxLineBytes: opts.maxLineBytes });
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

/** True for lines a person typing into `nc` may leave: nothing to answer. */
export function isBlank(raw: RawLine): boolean {
  return !raw.oversized && raw.line.trim() === "";
}
