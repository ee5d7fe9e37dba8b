/**
 * A real 3-node TCP cluster for process tests: one `kv-cluster node` child
 * per node on consecutive free localhost ports, each with its own data
 * directory. Every child is SIGKILLed by `stop()`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TcpTransport } from "../src/index.js";

export const KV_CLUSTER_BIN = fileURLToPath(new URL("../../cluster/bin/kv-cluster.js", import.meta.url));
export const KV_BIN = fileURLToPath(new URL("../bin/kv.js", import.meta.url));

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** A base port such that base..base+n-1 are free right now. */
export async function freePortRun(n: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = await canBind(base + i);
    if (ok) return base;
  }
  throw new Error("no run of free ports found");
}

export class ProcessCluster {
  readonly ids: string[];
  readonly children = new Map<string, ChildProcess>();
  readonly logs: string[] = [];
  private readonly dataDir = mkdtempSync(path.join(os.tmpdir(), "dslab-client-"));

  private constructor(
    readonly basePort: number,
    readonly size: number,
  ) {
    this.ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  }

  static async start(size = 3): Promise<ProcessCluster> {
    const c = new ProcessCluster(await freePortRun(size), size);
    for (const id of c.ids) c.startNode(id);
    return c;
  }

  get ports(): number[] {
    return this.ids.map((_, i) => this.basePort + i);
  }

  get portMap(): Record<string, number> {
    return Object.fromEntries(this.ids.map((id, i) => [id, this.basePort + i]));
  }

  startNode(id: string): void {
    const args = [KV_CLUSTER_BIN, "node", "--id", id, "--nodes", String(this.size), "--base-port", String(this.basePort), "--data-dir", this.dataDir];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => this.logs.push(...d.split("\n").filter(Boolean)));
    this.children.set(id, child);
  }

  kill(id: string): void {
    this.children.get(id)?.kill("SIGKILL");
    this.children.delete(id);
  }

  /** Asks every running node for its status until one says it leads. */
  async waitForLeader(timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const t = new TcpTransport({ nodes: this.portMap });
    try {
      while (Date.now() < deadline) {
        for (const id of this.children.keys()) {
          const s = await t.send(id, { type: "status" }, 300).catch(() => undefined);
          if (s?.role === "leader") return id;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      t.close();
    }
    throw new Error(`no leader within ${timeoutMs} ms; logs:\n${this.logs.slice(-30).join("\n")}`);
  }

  async stop(): Promise<void> {
    const exits = [...this.children.values()].map(
      (c) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once("exit", () => r()))),
    );
    for (const id of [...this.children.keys()]) this.kill(id);
    await Promise.all(exits);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
