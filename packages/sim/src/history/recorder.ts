/**
 * Records what clients invoked and what came back into the checker's history
 * model (Jepsen-style: an `invoke`, then `ok`, `fail` for a definite error, or
 * `info` for an unknown outcome). Every mutating op carries the client_id and
 * seq it used, so the exactly-once checker and a person can tie it to the
 * messages. Times are ns since the start of the run (simulated or real).
 * Fault events go in as nemesis ops, which the checkers ignore and the
 * timeline shows.
 */
import { HistoryBuilder, type History, type Op, type Value } from "@dslab/checker";
import type { Json, Key } from "@dslab/protocol";

export type OpF = "read" | "write" | "cas" | "append" | "incr" | "delete";

/**
 * What the harness records about a completed op beyond the history itself.
 * The client's attempt log is not kept here: nothing reads it after the op
 * (the driver counts redirects from it as the op completes), and holding
 * every op's records for the whole run only fed the garbage collector.
 */
export interface OpDetail {
  /** Requests sent for this op (retries and redirects included). */
  attempts: number;
}

export class HistoryRecorder {
  private readonly builder = new HistoryBuilder();
  private count = 0;

  constructor(private readonly nowMs: () => number) {}

  private timeNs(): number {
    return Math.round(this.nowMs() * 1e6);
  }

  invoke(process: number, f: OpF, key: Key, value: Json, identity: { clientId: string; seq?: number }): Op {
    this.count++;
    return this.builder.invoke(process, f, value as Value, {
      time: this.timeNs(),
      key,
      client_id: identity.clientId,
      ...(identity.seq !== undefined ? { seq: identity.seq } : {}),
    });
  }

  ok(process: number, value: Json | undefined, detail: OpDetail): Op {
    const op = this.builder.ok(process, value as Value | undefined, { time: this.timeNs(), extra: { attempts: detail.attempts } });
    return op;
  }

  fail(process: number, error: { code: number; name: string }, detail: OpDetail): Op {
    const op = this.builder.fail(process, { time: this.timeNs(), error: [error.code, error.name], extra: { attempts: detail.attempts } });
    return op;
  }

  info(process: number, error: { code: number; name: string }, detail: OpDetail): Op {
    const op = this.builder.info(process, { time: this.timeNs(), error: [error.code, error.name], extra: { attempts: detail.attempts } });
    return op;
  }

  nemesis(label: string): Op {
    return this.builder.nemesis("fault", label, { time: this.timeNs() });
  }

  get invocations(): number {
    return this.count;
  }

  history(): History {
    return this.builder.build();
  }
}
