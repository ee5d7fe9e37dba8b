/**
 * Real processes and real sockets for the process tests (DESIGN principle 4):
 * spawn the shipped bins, talk JSON lines to them, always kill them after.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import readline from "node:readline";
import type { Body, Message } from "@dslab/protocol";

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
