/**
 * Runs the workbook's retrying client (src/retry-client.ts, a state machine
 * over plain data) with real time, sleeping, randomness and a transport, as
 * an object the simulator's workloads drive like the reference `KvClient`:
 * `execute(op)`, `clientId`, `nextSeq`, and an answer with the outcome, the
 * reply or error, the attempts and one attempt-log line per attempt.
 *
 *   npm run kv-sim -- run --seed 7 --workload exactly-once --client week-12/plug/client.ts
 *
 * loads the pieces of the workbook `DSLAB_WORKBOOK` names (week-12/ when
 * unset). Checks call `clientFactoryFor(workbook)` instead, so a mutant's
 * replacement file runs the same way.
 *
 * The driver owns what is not the state machine's to decide: the
 * per-attempt timeout, the bound on an operation's total time (when the
 * next wait would pass it, the client stops and `settle` says what is
 * known), and the attempt log. `clientId` and `firstSeq` options replace
 * what `newClient` chose; the circuit breaker, custom `classify` and jitter
 * modes other than proportional are the reference client's alone.
 */
import {
  CLIENT_DEFAULTS,
  DEFAULT_BACKOFF,
  classify as referenceClassify,
  describeResult,
  formatAttempt,
  TransportError,
  type AttemptRecord,
  type ClientOptions,
  type KvClient,
  type OpResult,
} from "@dslab/client";
import type { ClientFactory } from "@dslab/sim";
import type { Body } from "@dslab/protocol";
import { CheckFailure, type Workbook } from "../checks/types.js";
import { workbookFromEnv } from "../checks/workbook.js";
import type * as RetryClient from "../src/retry-client.js";

type Machine = typeof RetryClient;

/** The client factory running `workbook`'s retrying client. */
export async function clientFactoryFor(workbook: Workbook): Promise<ClientFactory> {
  const machine = await workbook.import<Machine>("src/retry-client.ts");
  // The simulator's factory type names the reference class; the workloads use only what this object has.
  return (options) => new WorkbookClient(machine, options) as unknown as KvClient;
}

const fromEnv: ClientFactory | Error = await clientFactoryFor(workbookFromEnv()).catch((e: unknown) =>
  e instanceof Error ? e : new Error(String(e)),
);

/** For `kv-sim --client week-12/plug/client.ts`: the client of the workbook `DSLAB_WORKBOOK` names. */
export function createClient(options: ClientOptions): KvClient {
  if (fromEnv instanceof Error) throw fromEnv;
  return fromEnv(options);
}

/**
 * The simulator starts its workers without awaiting them, so an error thrown
 * by the workbook's code inside a run would be an unhandled rejection. This
 * factory's clients keep the first such error (see `error()`), made or
 * executing, and leave the operation pending instead; the caller rethrows
 * the error after the run.
 */
export function keepingErrors(factory: ClientFactory): { factory: ClientFactory; error(): unknown } {
  let first: { error: unknown } | undefined;
  const wrapped: ClientFactory = (options) => {
    let client: KvClient;
    try {
      client = factory(options);
    } catch (error) {
      first ??= { error };
      return { clientId: "", nextSeq: 1, execute: () => new Promise<OpResult>(() => {}) } as unknown as KvClient;
    }
    const kept = {
      get clientId() {
        return client.clientId;
      },
      get nextSeq() {
        return client.nextSeq;
      },
      execute: (op: RetryClient.Operation): Promise<OpResult> =>
        client.execute(op).catch((error: unknown) => {
          first ??= { error };
          return new Promise<OpResult>(() => {});
        }),
    };
    return kept as unknown as KvClient;
  };
  return { factory: wrapped, error: () => first?.error };
}

export class WorkbookClient {
  private client: RetryClient.ClientState;
  private readonly policy: RetryClient.RetryPolicy;
  private busy = false;

  constructor(
    private readonly machine: Machine,
    private readonly options: ClientOptions,
  ) {
    if (options.nodes.length === 0) throw new Error("nodes: give at least one node id");
    this.client = machine.newClient(options.nodes, options.prng);
    if (options.clientId !== undefined) this.client = { ...this.client, clientId: options.clientId };
    if (options.firstSeq !== undefined) this.client = { ...this.client, nextSeq: options.firstSeq };
    const backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.policy = {
      maxRetries: options.maxRetries ?? CLIENT_DEFAULTS.maxRetries,
      maxRedirects: options.maxRedirects ?? CLIENT_DEFAULTS.maxRedirects,
      backoff: { baseMs: backoff.baseMs, capMs: backoff.capMs, jitterRatio: backoff.jitterRatio, floorMs: backoff.floorMs },
    };
  }

  get clientId(): string {
    return this.client.clientId;
  }

  get nextSeq(): number {
    return this.client.nextSeq;
  }

  /** The client's state (plain data), as the state machine keeps it. */
  get state(): RetryClient.ClientState {
    return this.client;
  }

  async execute(op: RetryClient.Operation): Promise<OpResult> {
    if (this.busy) throw new Error(`client ${this.clientId} already has an operation outstanding; use one client per concurrent worker`);
    this.busy = true;
    try {
      return await this.run(op);
    } finally {
      this.busy = false;
    }
  }

  private async run(op: RetryClient.Operation): Promise<OpResult> {
    const { machine, options, policy } = this;
    const clock = options.clock ?? { now: () => Date.now() };
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const attemptTimeoutMs = options.attemptTimeoutMs ?? CLIENT_DEFAULTS.attemptTimeoutMs;
    const startMs = clock.now();
    const deadlineMs = startMs + (options.maxTotalMs ?? CLIENT_DEFAULTS.maxTotalMs);

    const started = machine.newOperation(this.client, op);
    this.client = started.client;
    let state = started.operation;
    let node = state.node;
    const log: AttemptRecord[] = [];
    const nodesTried: string[] = [];
    let attempts = 0;

    const answer = (outcome: RetryClient.Outcome, gaveUp?: "max-retries" | "max-total-time"): OpResult => {
      this.client = machine.afterOperation(this.client, state);
      const base = {
        clientId: state.clientId,
        seq: state.seq ?? undefined,
        attempts,
        nodesTried,
        elapsedMs: clock.now() - startMs,
        log,
        ...(gaveUp ? { gaveUp } : {}),
      };
      switch (outcome.outcome) {
        case "ok":
          return { ...base, outcome: "ok", reply: outcome.reply };
        case "failed":
          return { ...base, outcome: "failed", error: outcome.error };
        case "unknown":
          return {
            ...base,
            outcome: "unknown",
            lastError: outcome.lastError,
            because: state.mayHaveApplied ? "an-attempt-may-have-applied" : "a-copy-may-still-arrive",
          };
        default:
          throw new CheckFailure(`settle/onResult returned the outcome ${JSON.stringify(outcome)}: expected { outcome: "ok", reply }, { outcome: "failed", error } or { outcome: "unknown", lastError }`);
      }
    };

    for (;;) {
      const timeoutMs = Math.min(attemptTimeoutMs, deadlineMs - clock.now());
      if (timeoutMs <= 0) {
        if (attempts === 0) return answer({ outcome: "failed", error: { type: "error", code: 0, text: "no time left for an attempt" } }, "max-total-time");
        return answer(machine.settle(state), "max-total-time");
      }
      const request = state.request;
      attempts++;
      if (!nodesTried.includes(node)) nodesTried.push(node);
      const result = await this.attempt(node, request, timeoutMs);
      const step = machine.onResult(state, result, options.prng, policy);
      const next = checkNext(step?.next);
      state = step.state;
      const record = (action: AttemptRecord["action"], backoffMs: number): void => {
        const rec: AttemptRecord = {
          clientId: typeof request.client_id === "string" ? request.client_id : state.clientId,
          seq: typeof request.seq === "number" ? request.seq : undefined,
          attempt: attempts,
          node,
          outcome: describeResult(result, timeoutMs),
          // The reference table's row, naming what came back; `action` is the workbook's decision.
          rule: referenceClassify(result, { canReach: (n) => options.nodes.includes(n), redirectsLeft: 1 }).id,
          action,
          backoffMs,
          tMs: clock.now() - startMs,
        };
        log.push(rec);
        options.onAttempt?.(rec, formatAttempt(rec));
      };

      if ("done" in next) {
        const ok = next.done.outcome === "ok";
        record(ok ? "succeed" : machine.classify(result) === "terminal" ? "fail" : "give-up", 0);
        return answer(next.done, ok || machine.classify(result) === "terminal" ? undefined : "max-retries");
      }
      if ("send" in next) {
        record("redirect", 0);
        node = next.send;
        continue;
      }
      if (clock.now() + next.wait >= deadlineMs) {
        record("give-up", 0);
        return answer(machine.settle(state), "max-total-time");
      }
      record(next.then === node ? "retry-same" : "retry-next", next.wait);
      await sleep(next.wait);
      node = next.then;
    }
  }

  private async attempt(node: string, request: Body, timeoutMs: number): Promise<RetryClient.AttemptResult> {
    try {
      return { kind: "reply", body: await this.options.transport.send(node, request, timeoutMs) };
    } catch (e) {
      if (e instanceof TransportError) return { kind: "transport", failure: e.failure, message: e.message };
      return { kind: "transport", failure: "disconnected", message: e instanceof Error ? e.message : String(e) };
    }
  }
}

/** What `onResult` returned, if it is one of the three steps; otherwise a one-line failure naming it. */
function checkNext(next: unknown): RetryClient.Next {
  const n = next as Record<string, unknown> | undefined;
  if (n && typeof n === "object") {
    if (typeof n.send === "string") return n as { send: string };
    if (typeof n.wait === "number" && Number.isFinite(n.wait) && n.wait >= 0 && typeof n.then === "string") return n as { wait: number; then: string };
    if (n.done && typeof n.done === "object") return n as { done: RetryClient.Outcome };
  }
  throw new CheckFailure(
    `onResult returned next = ${JSON.stringify(next)}: expected { send: node }, { wait: ms, then: node } (ms a non-negative number) or { done: outcome }`,
  );
}

