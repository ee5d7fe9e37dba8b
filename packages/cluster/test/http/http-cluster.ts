/**
 * A real 3-node cluster with HTTP fronts for the HTTP tests: one
 * `kv-cluster node --http-port` child per node on free localhost ports.
 * `stop()` SIGKILLs every child and removes the data directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const KV_CLUSTER_BIN = fileURLToPath(new URL("../../bin/kv-cluster.js", import.meta.url));

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

export class HttpCluster {
  readonly ids: string[];
  readonly children = new Map<string, ChildProcess>();
  readonly logs: string[] = [];
  private readonly dataDir = mkdtempSync(path.join(os.tmpdir(), "dslab-http-"));

  private constructor(
    readonly size: number,
    readonly basePort: number,
    readonly httpBasePort: number,
    readonly extraArgs: string[],
  ) {
    this.ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  }

  static async start(size = 3, extraArgs: string[] = []): Promise<HttpCluster> {
    const base = await freePortRun(size * 2);
    const c = new HttpCluster(size, base, base + size, extraArgs);
    for (const id of c.ids) c.startNode(id);
    return c;
  }

  url(id: string): string {
    return `http://127.0.0.1:${this.httpBasePort + this.ids.indexOf(id)}`;
  }

  startNode(id: string): void {
    const args = [
      KV_CLUSTER_BIN, "node", "--id", id, "--nodes", String(this.size), "--base-port", String(this.basePort),
      "--http-port", String(this.httpBasePort), "--data-dir", this.dataDir, ...this.extraArgs,
    ];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => this.logs.push(...d.split("\n").filter(Boolean)));
    this.children.set(id, child);
  }

  async kill(id: string): Promise<void> {
    const c = this.children.get(id);
    if (!c) return;
    const exited = new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once("exit", () => r())));
    c.kill("SIGKILL");
    this.children.delete(id);
    await exited;
  }

  /**
   * The leader, found through the fronts themselves: a follower's front
   * redirects a GET to the leader's URL; the leader answers it.
   */
  async waitForLeader(timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      for (const id of this.children.keys()) {
        const res = await fetch(`${this.url(id)}/kv/__leader_probe`, { redirect: "manual", signal: AbortSignal.timeout(4000) }).catch(
          () => undefined,
        );
        if (res && (res.status === 404 || res.status === 200)) return id;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no leader within ${timeoutMs} ms; logs:\n${this.logs.slice(-30).join("\n")}`);
  }

  async stop(): Promise<void> {
    for (const id of [...this.children.keys()]) await this.kill(id);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
