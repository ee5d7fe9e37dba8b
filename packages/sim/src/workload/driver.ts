/**
 * Drives a workload through the real retrying client: `concurrency` workers,
 * each with its own client (one operation outstanding per client_id, as the
 * client requires), issuing operations at the target rate until the safety
 * phase ends, recording each into the history. Works on any Timeline, so the
 * same driver runs in simulated time and in real time.
 */
import { endsSession, errorSpec, type Json, type Prng } from "@dslab/protocol";
import { formatAttempt, type KvClient, type OpResult, type Operation } from "@dslab/client";
import { ClientContractError, resultProblem, type ClientFactory } from "../run/load-client.js";
import type { SimTask, Timeline } from "../world/scheduler.js";
import type { WorldSeeds } from "../world/seeds.js";
import { ClientEndpoint, type ClientNetwork } from "../client/sim-transport.js";
import type { HistoryRecorder, OpF } from "../history/recorder.js";
import type { Workload } from "./workloads.js";

export interface ClientSettings {
  attemptTimeoutMs: number;
  maxRetries: number;
  maxTotalMs: number;
}

export interface DriverOptions {
  timeline: Timeline;
  seeds: WorldSeeds;
  nodeIds: readonly string[];
  network: ClientNetwork;
  recorder: HistoryRecorder;
  workload: Workload;
  concurrency: number;
  /** Target operations per second, across all workers. */
  ratePerSec: number;
  client: ClientSettings;
  /** Makes each worker's client. */
  createClient: ClientFactory;
}

export interface OpStats {
  ok: number;
  fail: number;
  info: number;
  /** Fails that are the system's correct answer (key missing, cas precondition), not unavailability. */
  failAnswered: number;
  /** Latency of every completed op, ms. */
  latenciesMs: number[];
  /** Requests sent by clients (retries and redirects included). */
  attempts: number;
  /** Attempt-log lines where a redirect (error 11 naming a leader) was followed by a backoff. */
  redirectBackoffs: Array<{ line: string; opIndex: number }>;
  /** Redirects followed, with or without backoff. */
  redirects: number;
}

export class WorkloadDriver {
  /** Client endpoints by id, for delivering replies. */
  readonly endpoints = new Map<string, ClientEndpoint>();
  /** client endpoint name -> client_id, for results and diagrams. */
  readonly clientIds = new Map<string, string>();
  readonly stats: OpStats = { ok: 0, fail: 0, info: 0, failAnswered: 0, latenciesMs: [], attempts: 0, redirectBackoffs: [], redirects: 0 };
  private nextClient = 1;
  private readonly workloadPrng: Prng;

  constructor(private readonly opts: DriverOptions) {
    this.workloadPrng = opts.seeds.workload;
  }

  /**
   * A fresh client on its own endpoint ("c1", "c2", ...), starting at a node
   * spread by index, for `task` to drive: its sleeps and requests are the
   * task's timeline promises.
   */
  newClient(task: SimTask, settings: ClientSettings = this.opts.client): { client: KvClient; name: string } {
    const { timeline, seeds, nodeIds } = this.opts;
    const n = this.nextClient++;
    const name = `c${n}`;
    const endpoint = new ClientEndpoint(name, this.opts.network, timeline, nodeIds, task);
    this.endpoints.set(name, endpoint);
    const start = (n - 1) % nodeIds.length;
    const nodes = [...nodeIds.slice(start), ...nodeIds.slice(0, start)];
    const client = this.opts.createClient({
      nodes,
      transport: endpoint,
      prng: seeds.client(name),
      clock: { now: () => timeline.now() },
      sleep: (ms) => timeline.sleep(ms, task),
      attemptTimeoutMs: settings.attemptTimeoutMs,
      maxRetries: settings.maxRetries,
      maxTotalMs: settings.maxTotalMs,
    });
    this.clientIds.set(name, client.clientId);
    return { client, name };
  }

  /** Run every worker until `stopAtMs`; resolves when the last outstanding op completes. */
  async run(stopAtMs: number): Promise<void> {
    const { timeline } = this.opts;
    const workers: Promise<void>[] = [];
    for (let p = 0; p < this.opts.concurrency; p++) workers.push(timeline.spawn(`worker ${p}`, (task) => this.worker(task, p, stopAtMs)));
    await Promise.all(workers);
  }

  private async worker(task: SimTask, process: number, stopAtMs: number): Promise<void> {
    const { timeline, workload, concurrency, ratePerSec } = this.opts;
    const prng = this.workloadPrng;
    const meanGapMs = (1000 * concurrency) / Math.max(ratePerSec, 0.001);
    let { client, name } = this.newClient(task);
    task.label = `worker ${process} (client ${name})`;
    let opsOnClient = 0;
    let nextStartMs = timeline.now();
    for (;;) {
      // Jepsen-style stagger, uniform in [0, 2 * mean gap], counted from the
      // previous start, so op latency does not lower the rate (unless an op
      // outlasts the gap).
      nextStartMs += prng.next() * 2 * meanGapMs;
      await timeline.sleep(nextStartMs - timeline.now(), task);
      nextStartMs = Math.max(nextStartMs, timeline.now());
      if (timeline.now() >= stopAtMs) return;
      if (workload.clientLifetimeOps !== undefined && opsOnClient >= workload.clientLifetimeOps) {
        ({ client, name } = this.newClient(task));
        task.label = `worker ${process} (client ${name})`;
        opsOnClient = 0;
      }
      opsOnClient++;
      const op = workload.nextOp(prng, { clientName: name, nextSeq: client.nextSeq });
      const result = await this.perform(process, client, name, op);
      // The session ended (1001, 1005, 1006): this client_id is finished; start a new one, as the error says.
      const code = result.outcome === "failed" ? result.error.code : result.outcome === "unknown" ? result.lastError.code : undefined;
      if (code !== undefined && endsSession(code)) {
        ({ client, name } = this.newClient(task));
        task.label = `worker ${process} (client ${name})`;
        opsOnClient = 0;
      }
    }
  }

  /** Invoke one operation through `client` and record it. Returns the client's result. */
  async perform(process: number, client: KvClient, clientName: string, op: Operation): Promise<OpResult> {
    const { recorder, timeline } = this.opts;
    const startMs = timeline.now();
    const seq = op.type === "read" ? undefined : client.nextSeq;
    const invoked = recorder.invoke(process, op.type as OpF, op.key, argumentOf(op), { clientId: client.clientId, seq });
    const result = await client.execute(op);
    const problem = resultProblem(result);
    if (problem !== undefined) throw new ClientContractError(`${problem}; it must resolve to a result as the reference client's does ({ outcome, reply or error or lastError, attempts, log })`);
    for (const r of result.log) {
      if (!r.outcome.includes("(leader=")) continue;
      this.stats.redirects++;
      if (r.backoffMs > 0) this.stats.redirectBackoffs.push({ line: formatAttempt(r), opIndex: invoked.index });
    }
    const detail = { attempts: result.attempts };
    this.stats.attempts += result.attempts;
    this.stats.latenciesMs.push(timeline.now() - startMs);
    if (result.outcome === "ok") {
      this.stats.ok++;
      recorder.ok(process, resultValue(op, result.reply.value as Json | undefined), detail);
    } else if (result.outcome === "failed") {
      const code = result.error.code;
      if (op.type === "read" && code === 20) {
        // Maelstrom lin-kv: a read of a missing key returns nil.
        this.stats.ok++;
        recorder.ok(process, null, detail);
      } else {
        this.stats.fail++;
        if (code === 20 || code === 21 || code === 22) this.stats.failAnswered++;
        recorder.fail(process, { code, name: errorSpec(code).name }, detail);
      }
    } else {
      this.stats.info++;
      const code = result.lastError.code;
      recorder.info(process, { code, name: errorSpec(code).name }, detail);
    }
    return result;
  }

  deliver(dest: string, message: Parameters<ClientEndpoint["deliver"]>[0]): void {
    this.endpoints.get(dest)?.deliver(message);
  }
}

function argumentOf(op: Operation): Json {
  switch (op.type) {
    case "read":
      return null;
    case "write":
    case "append":
      return op.value;
    case "cas":
      return [op.from, op.to];
    case "incr":
      return op.delta;
    case "delete":
      return null;
  }
}

/** What an ok completion records: the value read, the list after append, the counter after incr. */
function resultValue(op: Operation, replyValue: Json | undefined): Json | undefined {
  switch (op.type) {
    case "read":
    case "append":
    case "incr":
      return replyValue === undefined ? null : replyValue;
    default:
      return undefined;
  }
}
