/**
 * Process mode's cluster: N child processes and the harness routing every
 * message between them through the packet simulator (Maelstrom-style: a node
 * writes a message for another node on its stdout). Implements the same
 * FaultTarget as the in-process cluster, so one nemesis schedule drives both.
 * Without a status API, "the leader" is the node most recently seen leading:
 * the last one to answer a write, or the one a redirect named.
 */
import { join } from "node:path";
import type { Message } from "@dslab/protocol";
import type { FaultTarget } from "../nemesis/applier.js";
import type { PacketFate, TraceEntry } from "../network/trace.js";
import { NodeProcess, type NodeProblem } from "./node-process.js";

export interface ProcessClusterOptions {
  command: string;
  nodeIds: readonly string[];
  /** Per-node data directories (when the command takes --data-dir). */
  dataRoot: string | null;
  /** Extra arguments per node (e.g. --seed). */
  extraArgs: (nodeId: string) => string[];
  route: (m: Message) => void;
  /** Whether `id` is one of the run's clients (a node may send to a node or a client, nothing else). */
  isClient: (id: string) => boolean;
  onProblem: (p: NodeProblem) => void;
  now: () => number;
}

/**
 * The command under test could not start: a node exited (or could not be
 * spawned) before answering init. Nothing was run, so there is no verdict;
 * the CLI reports it as a set-up error.
 */
export class StartupError extends Error {
  readonly code = "E_SETUP";
}

const INIT_SRC = "c0";
const DEDUP_LINE = /\[dedup\] client (\S+) seq (\d+)/;

export class ProcessCluster implements FaultTarget {
  readonly nodeIds: readonly string[];
  readonly nodes = new Map<string, NodeProcess>();
  private leaderHint: string | null = null;
  private initMsgId = 1;
  private readonly initWaiters = new Map<number, () => void>();
  /** Nodes still starting: what to do if one exits before its init_ok. */
  private readonly booting = new Map<string, (p: NodeProblem) => void>();
  readonly stats = { kills: 0, restarts: 0, pauses: 0, crashes: 0, dedupHits: 0 };
  /**
   * Per node, the "client/seq" pairs its stderr reported answering from the
   * session: at most MAX_DEDUP_PAIRS each, since the lines are the node's to
   * write (past it, later answers are not marked as from the session).
   */
  readonly dedupHits = new Map<string, Set<string>>();
  private static readonly MAX_DEDUP_PAIRS = 100_000;

  constructor(private readonly opts: ProcessClusterOptions) {
    this.nodeIds = opts.nodeIds;
    for (const id of opts.nodeIds) {
      const args = [...(opts.dataRoot ? ["--data-dir", join(opts.dataRoot, id)] : []), ...opts.extraArgs(id)];
      this.nodes.set(
        id,
        new NodeProcess({
          id,
          command: opts.command,
          args,
          now: opts.now,
          onMessage: (m) => this.fromNode(id, m),
          knownDest: (dest) => this.nodes.has(dest) || dest === INIT_SRC || opts.isClient(dest),
          onLog: (line) => {
            const m = DEDUP_LINE.exec(line);
            if (!m) return;
            this.stats.dedupHits++;
            let set = this.dedupHits.get(id);
            if (!set) this.dedupHits.set(id, (set = new Set()));
            if (set.size < ProcessCluster.MAX_DEDUP_PAIRS) set.add(`${m[1]}/${m[2]}`);
          },
          onProblem: (p) => {
            const failedBoot = (p.kind === "crashed" || p.kind === "spawn-failed") && this.booting.get(id);
            if (failedBoot) return failedBoot(p);
            if (p.kind === "crashed") this.stats.crashes++;
            opts.onProblem(p);
          },
        }),
      );
    }
  }

  /**
   * Start every node and wait for every init_ok (or the timeout). A node that
   * exits before answering init means the command cannot run at all: this
   * rejects with a StartupError at once (the other nodes' waits are dropped;
   * the caller stops them), rather than running the workload against nothing.
   */
  async start(timeoutMs: number): Promise<void> {
    const timers: NodeJS.Timeout[] = [];
    try {
      await Promise.all(this.nodeIds.map((id) => this.boot(id, timeoutMs, timers)));
    } catch (e) {
      for (const t of timers) clearTimeout(t);
      this.initWaiters.clear();
      this.booting.clear();
      throw e;
    }
  }

  /**
   * Starts node `id` and sends init. `timers` is given by `start` only: then an
   * exit before init_ok rejects. A restart mid-run (no `timers`) keeps the run
   * going: its crash is reported as a problem like any other.
   */
  private boot(id: string, timeoutMs: number, timers?: NodeJS.Timeout[]): Promise<void> {
    const node = this.nodes.get(id)!;
    const msgId = this.initMsgId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.booting.delete(id);
        if (!this.initWaiters.delete(msgId)) return;
        this.opts.onProblem({ node: id, kind: "init-timeout", message: `${id} did not answer init within ${timeoutMs} ms`, atMs: this.opts.now() });
        resolve();
      }, timeoutMs);
      timers?.push(timer);
      this.initWaiters.set(msgId, () => {
        clearTimeout(timer);
        this.booting.delete(id);
        resolve();
      });
      if (timers) this.booting.set(id, (p) => {
        clearTimeout(timer);
        this.booting.delete(id);
        this.initWaiters.delete(msgId);
        // The whole stderr, not its tail: the reason is often in the middle (a stack trace follows it).
        const how = /\(([^)]*)\)/.exec(p.message)?.[1] ?? p.kind;
        const stderr = node.logs.map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("at ")).slice(0, 12).join(" / ").slice(0, 800);
        reject(new StartupError(`--bin: ${JSON.stringify(this.opts.command)} cannot start: node ${id} exited before answering init (${how}); stderr: ${stderr || "(none)"}`));
      });
      node.start();
      node.send({ src: INIT_SRC, dest: id, body: { type: "init", msg_id: msgId, node_id: id, node_ids: [...this.nodeIds] } });
    });
  }

  private fromNode(id: string, m: Message): void {
    if (m.dest === INIT_SRC) {
      const w = typeof m.body.in_reply_to === "number" ? this.initWaiters.get(m.body.in_reply_to) : undefined;
      if (w && m.body.type === "init_ok") {
        this.initWaiters.delete(m.body.in_reply_to as number);
        w();
      }
      return;
    }
    // Leader hints from client replies.
    if (!this.nodes.has(m.dest)) {
      if (m.body.type.endsWith("_ok") && m.body.type !== "read_ok") this.leaderHint = id;
      if (m.body.type === "error" && typeof m.body.leader === "string" && this.nodes.has(m.body.leader)) this.leaderHint = m.body.leader;
    }
    this.opts.route(m);
  }

  deliver(m: Message): PacketFate | void {
    const node = this.nodes.get(m.dest);
    if (!node || !node.running || !node.send(m)) return "dropped-node-down";
  }

  leader(): string | null {
    const h = this.leaderHint;
    if (!h) return null;
    const n = this.nodes.get(h)!;
    return n.running && !n.isPaused ? h : null;
  }

  kill(id: string): void {
    const n = this.nodes.get(id)!;
    if (!n.running) return;
    n.kill();
    this.stats.kills++;
    if (this.leaderHint === id) this.leaderHint = null;
  }

  restart(id: string): void {
    const n = this.nodes.get(id)!;
    if (n.running) return;
    this.stats.restarts++;
    void this.boot(id, 10_000);
  }

  pause(id: string): void {
    const n = this.nodes.get(id)!;
    if (!n.running || n.isPaused) return;
    n.pause();
    this.stats.pauses++;
  }

  resume(id: string): void {
    this.nodes.get(id)!.resume();
  }

  isDown(id: string): boolean {
    const n = this.nodes.get(id)!;
    return !n.running || n.isPaused;
  }

  /** Process mode cannot skew a child's clock; the fault is recorded and has no effect. */
  setClock(): void {}
  resetClocks(): void {}

  /** Restart any node that died on its own (end of the safety phase). */
  reviveCrashed(): void {
    for (const id of this.nodeIds) if (!this.nodes.get(id)!.running) this.restart(id);
  }

  /**
   * Mark the replies a node answered from its session table. Its stderr and
   * stdout are separate streams, so this runs at the end: a reply for a
   * (client, seq) that was already answered once, from a node that logged a
   * dedup for that pair, came from the session.
   */
  markSessionReplies(entries: readonly TraceEntry[]): void {
    const answered = new Set<string>();
    for (const e of entries) {
      if (e.kind !== "message" || !this.nodes.has(e.src) || this.nodes.has(e.dest) || e.clientId === undefined) continue;
      if (!e.type.endsWith("_ok")) continue;
      const key = `${e.clientId}/${e.seq}`;
      if (answered.has(key) && this.dedupHits.get(e.src)?.has(key)) e.fromSession = true;
      answered.add(key);
    }
  }

  stopAll(): void {
    for (const n of this.nodes.values()) {
      n.resume();
      n.kill();
    }
  }
}
