/**
 * How the client reaches a node. Small on purpose: the TCP transport
 * (`TcpTransport`) and the simulator's in-process network both implement it.
 *
 * `send` delivers one request body to one node and resolves with that node's
 * reply body (an `*_ok` body or an `error` body). It rejects with a
 * `TransportError` when no reply came: `timeout` (the request may have been
 * delivered and applied), `refused` (the request certainly never reached the
 * node: refused, a host name that does not resolve, a connect not finished
 * within the timeout), or `disconnected` (the connection broke after the
 * request was written: it may have been applied). Any other rejection is
 * treated like `disconnected`. A transport may also resolve with error 0
 * (timeout) instead of rejecting; the client reads both the same way.
 *
 * A request the transport cannot send at all (it cannot be encoded, or is
 * over the line limit) is answered locally with the definite error the node
 * would have given (12 malformed-request, 1002 request-too-large), marked
 * `not_sent: true`: the client then fails it at once instead of retrying
 * something that can never be delivered.
 *
 * The transport owns `msg_id`/`in_reply_to` routing; the client never sets
 * `msg_id` itself.
 */
import type { Body } from "@dslab/protocol";

export interface Transport {
  send(node: string, body: Body, timeoutMs: number): Promise<Body>;
  /**
   * Optional: whether `node` (e.g. a leader named in a redirect) can be
   * addressed even though it is not in the client's node list. The TCP
   * transport answers from the ids it learned from replies.
   */
  canReach?(node: string): boolean;
}

export type TransportFailure = "timeout" | "refused" | "disconnected";

export class TransportError extends Error {
  override readonly name = "TransportError";
  /** Stable code for callers: always "E_TRANSPORT". */
  readonly code = "E_TRANSPORT";
  constructor(
    readonly failure: TransportFailure,
    readonly node: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether the request may have reached the node (and so may have been applied). */
  get maybeDelivered(): boolean {
    return this.failure !== "refused";
  }
}
