/**
 * Real processes and real sockets for process tests and benchmarks (no
 * mocks): spawn the shipped bins, talk JSON lines to them, always kill
 * them after. Exported as `@dslab/cluster/testing`, so the client's and the
 * HTTP front's tests start clusters the same way the cluster's own do.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import readline from "node:readline";
import type { Body, Message } from "@dslab/protocol";
import type { NodeStatus } from "../contract.js";
import { defaultSecretFile, ensureClusterSecret } from "../runtime/cluster-secret.js";

export const KV_NODE_BIN = fileURLToPath(new URL("../../bin/kv-node.js", import.meta.url));
export const KV_CLUSTER_BIN = fileURLToPath(new URL("../../bin/kv-cluster.js", import.meta.url));

/** Every child a test started, so afterEach/afterAll can kill what is left. */
const children = new Set<ChildProcess>();

export function spawnTracked(args: string[]): ChildProcess & { stderrLines: string[] } {
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] }) as ChildProcess & { stderrLines: string[] };
  child.stderrLines = [];
  readline.createInterface({ input: child.stderr! }).on("line", (l) => child.stderrLines.push(l));
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export async function killAll(): Promise<void> {
  const waits = [...children].map((c) => exited(c));
  for (const c of children) c.kill("SIGKILL");
  await Promise.all(waits);
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Reads stdout as JSON lines; `next(pred)` waits for a matching one. */
export class LineReader {
  readonly lines: unknown[] = [];
  private waiters: Array<{ pred: (m: any) => boolean; resolve: (m: any) => void }> = [];

  constructor(stream: NodeJS.ReadableStream) {
    readline.createInterface({ input: stream }).on("line", (l) => {
      const m = JSON.parse(l); // a non-JSON stdout line fails the test here
      this.lines.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
  }

  next(pred: (m: any) => boolean, timeoutMs = 5000, what = "a matching line"): Promise<any> {
    const found = this.lines.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.lines)}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }
}

/**
 * Makes sure `dataDir` holds a cluster secret (what `kv-cluster start` does
 * before it spawns nodes), so `kv-cluster node` children can run there.
 */
export async function ensureSecretIn(dataDir: string): Promise<string> {
  const file = defaultSecretFile(dataDir);
  await ensureClusterSecret(file);
  return file;
}

/** `n` consecutive free localhost ports (kv-cluster node i uses base+i-1): bind port 0 first, then check the run. */
export async function freePortRun(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await bindAndRelease(0);
    if (base + n > 65535) continue;
    let ok = true;
    for (let i = 1; i < n && ok; i++) ok = await bindAndRelease(base + i).then(() => true, () => false);
    if (ok) return base;
  }
  throw new Error(`no run of ${n} free ports found`);
}

function bindAndRelease(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(port, "127.0.0.1", () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

/** A TCP client of one node: sends bodies as `src`, matches replies by in_reply_to. */
export class TcpClient {
  private nextId = 1;
  private readonly pending = new Map<number, (b: Body) => void>();
  private constructor(
    private readonly socket: net.Socket,
    private readonly src: string,
  ) {
    readline.createInterface({ input: socket }).on("line", (l) => {
      const m = JSON.parse(l) as Message;
      const id = m.body.in_reply_to;
      if (id !== undefined) this.pending.get(id)?.(m.body);
      if (id !== undefined) this.pending.delete(id);
    });
    socket.on("error", () => {});
  }

  static connect(port: number, src: string, timeoutMs = 1000): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: "127.0.0.1" });
      const timer = setTimeout(() => (socket.destroy(), reject(new Error(`connect to ${port} timed out`))), timeoutMs);
      socket.once("connect", () => (clearTimeout(timer), resolve(new TcpClient(socket, src))));
      socket.once("error", (e) => (clearTimeout(timer), reject(e)));
    });
  }

  request(body: Omit<Body, "msg_id">, timeoutMs = 3000): Promise<Body> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply to ${JSON.stringify(body)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (b) => (clearTimeout(timer), resolve(b)));
      this.socket.write(`${JSON.stringify({ src: this.src, dest: "n?", body: { ...body, msg_id: id } })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One request on a fresh connection; null if the node is down or silent. */
export async function ask(port: number, body: Omit<Body, "msg_id">, src = "probe", timeoutMs = 1000): Promise<Body | null> {
  let client: TcpClient | undefined;
  try {
    client = await TcpClient.connect(port, src, timeoutMs);
    return await client.request(body, timeoutMs);
  } catch {
    return null;
  } finally {
    client?.close();
  }
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ProcessClusterOptions {
  /** Number of nodes (n1..nN). Default 3. */
  size?: number;
  /** Also serve the HTTP front, on the run of free ports after the TCP ones. */
  http?: boolean;
  /** Extra `kv-cluster node` flags for every node (e.g. `--snapshot-every 8`). */
  extraArgs?: string[];
  /** Prefix of the data directory made under the OS temp dir. */
  tmpPrefix?: string;
}

/**
 * A real cluster for process tests: one `kv-cluster node` child per node on
 * consecutive free localhost ports (and HTTP ports after them with `http`),
 * all under one data directory (`kv-cluster` gives each node its own
 * subdirectory) with the cluster secret in it. `stop()` SIGKILLs every child
 * and removes the directory.
 */
export class ProcessCluster {
  readonly ids: string[];
  readonly children = new Map<string, ChildProcess & { stderrLines: string[] }>();

  private constructor(
    readonly basePort: number,
    readonly httpBasePort: number | null,
    readonly extraArgs: string[],
    readonly dataDir: string,
    size: number,
  ) {
    this.ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  }

  static async start(opts: ProcessClusterOptions = {}): Promise<ProcessCluster> {
    const size = opts.size ?? 3;
    const base = await freePortRun(opts.http ? size * 2 : size);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), opts.tmpPrefix ?? "dslab-cluster-"));
    const c = new ProcessCluster(base, opts.http ? base + size : null, opts.extraArgs ?? [], dataDir, size);
    // The nodes prove this secret to each other, as under `kv-cluster start`.
    await ensureSecretIn(dataDir);
    for (const id of c.ids) c.startNode(id);
    return c;
  }

  get ports(): number[] {
    return this.ids.map((id) => this.portOf(id));
  }

  /** Node id to TCP port, the shape `TcpTransport` and `kv --nodes` take. */
  get portMap(): Record<string, number> {
    return Object.fromEntries(this.ids.map((id) => [id, this.portOf(id)]));
  }

  portOf(id: string): number {
    return this.basePort + this.ids.indexOf(id);
  }

  /** The node's HTTP front; only with `http: true`. */
  url(id: string): string {
    if (this.httpBasePort === null) throw new Error("this cluster was started without http: true");
    return `http://127.0.0.1:${this.httpBasePort + this.ids.indexOf(id)}`;
  }

  /** Everything the nodes logged on stderr, in arrival order per node. */
  get logs(): string[] {
    return [...this.children.entries()].flatMap(([id, c]) => c.stderrLines.map((l) => `${id} | ${l}`));
  }

  /** Starts (or restarts, with the same data directory) one node. */
  startNode(id: string): void {
    const args = [KV_CLUSTER_BIN, "node", "--id", id, "--nodes", String(this.ids.length), "--base-port", String(this.basePort)];
    if (this.httpBasePort !== null) args.push("--http-port", String(this.httpBasePort));
    this.children.set(id, spawnTracked([...args, "--data-dir", this.dataDir, ...this.extraArgs]));
  }

  /** SIGKILL: nothing is flushed, nobody is told. Resolves once the process is gone. */
  async kill(id: string): Promise<void> {
    const c = this.children.get(id);
    if (!c) return;
    this.children.delete(id);
    c.kill("SIGKILL");
    await exited(c);
  }

  /** The node's own `status` reply over TCP, or null while it is down or silent. */
  async status(id: string): Promise<(Body & NodeStatus) | null> {
    const s = await ask(this.portOf(id), { type: "status" });
    return s?.type === "status_ok" ? (s as Body & NodeStatus) : null;
  }

  /**
   * The node that says it leads, once every running node agrees on the term
   * and names it as leader: a follower that voted in the term but has not
   * heard from the leader yet would answer a client "not the leader" without
   * naming one.
   */
  async waitForLeader(timeoutMs = 15_000): Promise<string> {
    try {
      return await waitFor(`a leader among ${[...this.children.keys()].join(", ")}`, timeoutMs, async () => {
        const all = await Promise.all([...this.children.keys()].map((id) => this.status(id)));
        const leader = all.find((s) => s?.role === "leader");
        return leader && all.every((s) => s && s.term === leader.term && s.leader === leader.id) ? (leader.id as string) : null;
      });
    } catch (e) {
      throw new Error(`${(e as Error).message}; last log lines:\n${this.logs.slice(-30).join("\n")}`);
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.children.keys()].map((id) => this.kill(id)));
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
