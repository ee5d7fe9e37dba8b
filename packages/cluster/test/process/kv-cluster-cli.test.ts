import { promises as fsp } from "node:fs";
import os from "node:os";
import { spawn } from "node:child_process";
import path from "node:path";
import net from "node:net";
import readline from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KV_CLUSTER_BIN, KV_NODE_BIN, ask, exited, freePortRun, killAll, spawnTracked, waitFor } from "../../src/testing/processes.js";

let dataDir = "";
beforeAll(async () => {
  dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-cli-"));
});
afterAll(async () => {
  await killAll();
  await fsp.rm(dataDir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTracked(args);
  let stdout = "";
  child.stdout!.on("data", (d) => (stdout += d));
  await exited(child);
  return { code: child.exitCode, stdout, stderr: child.stderrLines.join("\n") };
}

/**
 * Runs `args` (a bin and its arguments) as a user without privileges: nobody
 * (65534) through setpriv when the tests run as root, else the user running
 * them. What it wrote to stderr, and its exit code.
 */
async function runUnprivileged(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const asRoot = process.getuid?.() === 0;
  const child = spawn(asRoot ? "setpriv" : process.execPath, asRoot ? ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, ...args] : args, {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.once("close", (c) => resolve(c)));
  return { code, stderr };
}

/** The first port a user without privileges may listen on (net.ipv4.ip_unprivileged_port_start). */
async function firstUnprivilegedPort(): Promise<number> {
  return Number((await fsp.readFile("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8")).trim());
}

describe("kv-cluster and kv-node command lines: flags, usage errors and refusals", () => {
  it.each([
    [[KV_CLUSTER_BIN, "--help"], /Commands:\n  start/],
    [[KV_CLUSTER_BIN, "start", "--help"], /--base-port P/],
    [[KV_CLUSTER_BIN, "node", "--help"], /--id ID/],
    [[KV_NODE_BIN, "--help"], /--data-dir DIR/],
    [[KV_CLUSTER_BIN, "help", "start"], /^Usage: kv-cluster start [^]*--base-port P/],
    [[KV_CLUSTER_BIN, "help", "node"], /^Usage: kv-cluster node [^]*--id ID/],
  ])("%s prints its usage and exits 0", async (args, pattern) => {
    const r = await run(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(pattern);
  });

  it.each([
    ["kv-cluster start", [KV_CLUSTER_BIN, "start", "--help"]],
    ["kv-cluster node", [KV_CLUSTER_BIN, "node", "--help"]],
    ["kv-node", [KV_NODE_BIN, "--help"]],
  ])("%s --help documents the session timeout and the session and idempotency-key bounds", async (_name, args) => {
    const r = await run(args);
    for (const flag of ["--session-timeout-ms MS", "--max-sessions N", "--idempotency-ttl-ms MS", "--max-idempotency-keys N"]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it.each([
    [["start", "--nodes", "3"], /--data-dir DIR is required/],
    [["node", "--nodes", "3", "--data-dir", "/tmp/x"], /--id is required/],
    [["node", "--id", "n7", "--nodes", "3", "--data-dir", "/tmp/x"], /--id n7 is not one of n1, n2, n3/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["start", "--nodes", "three", "--data-dir", "/tmp/x"], /^kv-cluster: --nodes: expected an integer from 1 to 9, got "three"/],
    [["start", "--data-dir", "/tmp/x", "--max-sessions", "0"], /--max-sessions: expected an integer >= 1, got "0"/],
    [["start", "--data-dir", "/tmp/x", "--idempotency-ttl-ms", "1h"], /--idempotency-ttl-ms: expected an integer >= 1/],
    [["start", "--data-dir", "/tmp/x", "--tick-ms", "150"], /--tick-ms 150: the heartbeat \(30 ms\) and the shortest election timeout \(150 ms\) would both be 1 tick\(s\); .* Use --tick-ms 100 or less/],
    [["start", "--data-dir", "/tmp/x", "--base-port", "7831", "--http-port", "7832"], /--http-port 7832 overlaps --base-port 7831: the nodes listen on 7831-7833 and would serve HTTP on 7832-7834/],
    [["start", "--data-dir", "/tmp/x", "--http-port", "65534"], /--http-port 65534 with 3 nodes goes past port 65535/],
    [["start", "--data-dir", "/tmp/x", "extra"], /unexpected argument "extra"/],
    [["node", "--id", "n1", "--data-dir", "/tmp/x", "bogus"], /unexpected argument "bogus"/],
    [["start", "--data-dir", ""], /^kv-cluster: --data-dir "": an empty path; give the directory the nodes keep their data in$/m],
    [["node", "--id", "n1", "--data-dir", ""], /^kv-cluster: --data-dir "": an empty path; give the directory the nodes keep their data in$/m],
    [["help", "frobnicate"], /unknown command "frobnicate"/],
    [["--data-dir", "/tmp/x", "start"], /^kv-cluster: --data-dir: an option before the command; the command comes first: kv-cluster start \[options\] or kv-cluster node \[options\]$/m],
  ])("kv-cluster %s is a usage error (exit 2) that says what to fix", async (args, pattern) => {
    const r = await run([KV_CLUSTER_BIN, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
  });

  it.each([
    [["start", "--nodes", "1000"], /^kv-cluster: --nodes: expected an integer from 1 to 9, got "1000"$/m],
    [["node", "--id", "n12", "--nodes", "12"], /^kv-cluster: --nodes: expected an integer from 1 to 9, got "12"$/m],
    [["start", "--core", ""], /^kv-cluster: --core "": an empty path; give the module that exports createKvNodeCore\(config, restored\)$/m],
    [["start", "--core", "/no-such-dir/core.ts"], /^kv-cluster: --core \/no-such-dir\/core.ts: no such file; give the module that exports createKvNodeCore\(config, restored\)$/m],
    [["node", "--id", "n1", "--core", "no-such-core.ts"], /^kv-cluster: --core no-such-core.ts: no such file here \(\/.*\/no-such-core.ts\) nor under the repository root; give the module/m],
    [["start", "--core", os.tmpdir()], new RegExp(`^kv-cluster: --core ${os.tmpdir()}: ${os.tmpdir()} is a directory; give the module file in it that exports createKvNodeCore`, "m")],
    [["start", "--secret-file", ""], /^kv-cluster: --secret-file "": an empty path; give the cluster secret's file, or leave --secret-file out for DIR\/cluster.secret$/m],
  ])("kv-cluster %s is a usage error (exit 2) before anything is started or made", async (args, pattern) => {
    // A --data-dir that is a regular file: a command that got past its usage checks stops there, without starting a node.
    const file = path.join(dataDir, "in-the-way");
    await fsp.writeFile(file, "hi\n");
    const r = await run([KV_CLUSTER_BIN, ...args, "--base-port", String(await freePortRun(1)), "--data-dir", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/ pid \d+/);
  });

  it("kv-cluster node --events-fd naming no open file descriptor is a usage error (exit 2) before the node starts, not a crash", async () => {
    const dir = path.join(dataDir, "events-fd");
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(path.join(dir, "cluster.secret"), `${"ab".repeat(32)}\n`, { mode: 0o600 });
    const r = await run([KV_CLUSTER_BIN, "node", "--id", "n1", "--nodes", "1", "--base-port", String(await freePortRun(1)), "--data-dir", dir, "--events-fd", "99"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^kv-cluster: --events-fd 99: no open file descriptor 99; `kv-cluster start` gives each node its own, so leave --events-fd out$/m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/ pid \d+/);
  }, 30_000);

  it("kv-node --tick-ms 200 is a usage error (exit 2) naming the largest tick that works", async () => {
    const r = await run([KV_NODE_BIN, "--tick-ms", "200"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tick-ms 200: .* Use --tick-ms 100 or less/);
  });

  it("start with --data-dir naming a regular file is one line and exit 4, not a crash", async () => {
    const file = path.join(dataDir, "a-file");
    await fsp.writeFile(file, "hi\n");
    const r = await run([KV_CLUSTER_BIN, "start", "--nodes", "3", "--data-dir", file]);
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(
      `kv-cluster: --data-dir: ${file} is a regular file, not a directory; each node keeps its data in DIR/n<i>, a directory it must be able to create and write`,
    );
  });

  it("start with a --data-dir it cannot create for another reason says that reason alone, one line and exit 4", async () => {
    const tooLong = path.join(dataDir, "d".repeat(300));
    const r = await run([KV_CLUSTER_BIN, "start", "--nodes", "3", "--data-dir", tooLong]);
    expect(r.code).toBe(4);
    // The path is shown by its first and last 60 characters and its length, not whole.
    const n1 = `${tooLong}/n1`;
    expect(r.stderr).toBe(
      `kv-cluster: --data-dir: ${n1.slice(0, 60)}…${n1.slice(-60)} (${n1.length} bytes): the path is too long (ENAMETOOLONG: the system allows 4095 bytes in all and 255 per name); ` +
        `each node keeps its data in DIR/n<i>, a directory it must be able to create and write`,
    );
  });

  it("a node whose own port another program holds stops with one line that says what to do, exit 1", async () => {
    const base = await freePortRun(1);
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(base, "127.0.0.1", resolve));
    try {
      const dir = path.join(dataDir, "port-busy");
      await fsp.mkdir(dir, { recursive: true });
      await fsp.writeFile(path.join(dir, "cluster.secret"), `${"ab".repeat(32)}\n`, { mode: 0o600 });
      const r = await run([KV_CLUSTER_BIN, "node", "--id", "n1", "--nodes", "1", "--base-port", String(base), "--data-dir", dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `n1 | cannot listen on 127.0.0.1:${base}: another program listens there (this node already running?); stop it, or give another --base-port (listen EADDRINUSE: address already in use 127.0.0.1:${base})`,
      );
    } finally {
      holder.close();
    }
  }, 30_000);

  it("a node whose HTTP port another program holds stops with one line and exit 1, as for its own port", async () => {
    const base = await freePortRun(2);
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(base + 1, "127.0.0.1", resolve));
    try {
      const dir = path.join(dataDir, "http-busy");
      await fsp.mkdir(dir, { recursive: true });
      await fsp.writeFile(path.join(dir, "cluster.secret"), `${"ab".repeat(32)}\n`, { mode: 0o600 });
      const r = await run([KV_CLUSTER_BIN, "node", "--id", "n1", "--nodes", "1", "--base-port", String(base), "--http-port", String(base + 1), "--data-dir", dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `n1 | cannot serve HTTP on 127.0.0.1:${base + 1}: another program listens there (this node already running?); stop it, or give another --http-port (listen EADDRINUSE: address already in use 127.0.0.1:${base + 1})`,
      );
      expect(r.stderr).not.toMatch(/internal error|a bug/);
    } finally {
      holder.close();
    }
  }, 30_000);

  it("start on ports another program holds refuses before it starts a node: one line naming the ports and what to do, exit 1", async () => {
    const base = await freePortRun(3);
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(base + 1, "127.0.0.1", resolve));
    try {
      const dir = path.join(dataDir, "ports-busy");
      const r = await run([KV_CLUSTER_BIN, "start", "--nodes", "3", "--base-port", String(base), "--data-dir", dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `kv-cluster: 127.0.0.1:${base + 1} (n2) is in use by another program (a cluster already running on these ports?); stop it, or give another --base-port`,
      );
      // Nothing was started, so nothing is to be restarted, and nothing was written.
      await expect(fsp.stat(dir)).rejects.toThrow(/ENOENT/);
    } finally {
      holder.close();
    }
  }, 30_000);

  it.each([
    ["--base-port", (low: number) => ["--base-port", String(low)]],
    ["--http-port", (low: number, free: number) => ["--base-port", String(free), "--http-port", String(low)]],
  ] as const)(
    "start run by a user without privileges on %s ports below the first unprivileged one refuses before it starts a node: one line naming the ports and that they need privileges, exit 1",
    async (flag, ports) => {
      const unprivileged = await firstUnprivilegedPort();
      const low = unprivileged - 3;
      const parent = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-privileged-"));
      try {
        await fsp.chmod(parent, 0o777);
        const dir = path.join(parent, "data");
        const { code, stderr } = await runUnprivileged([KV_CLUSTER_BIN, "start", "--nodes", "3", ...ports(low, await freePortRun(3)), "--data-dir", dir]);
        expect(stderr).toBe(
          `kv-cluster: 127.0.0.1:${low} (n1), 127.0.0.1:${low + 1} (n2), 127.0.0.1:${low + 2} (n3): permission denied (EACCES) to listen there: ` +
            `ports below ${unprivileged} need privileges (root, or the CAP_NET_BIND_SERVICE capability) that this process does not have; give a ${flag} of ${unprivileged} or above\n`,
        );
        expect(code).toBe(1);
        // Refused before anything was made.
        await expect(fsp.stat(dir)).rejects.toThrow(/ENOENT/);
      } finally {
        await fsp.rm(parent, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it.each([
    ["its own port (--base-port)", "--base-port", "cannot listen on", (low: number) => ["--id", "n2", "--nodes", "3", "--base-port", String(low - 1)]],
    ["its HTTP port (--http-port)", "--http-port", "cannot serve HTTP on", (low: number, free: number) => ["--id", "n1", "--nodes", "1", "--base-port", String(free), "--http-port", String(low)]],
  ] as const)(
    "a node run by a user without privileges on %s below the first unprivileged one stops with one line naming the port and that it needs privileges, exit 1, and removes its LOCK",
    async (_what, flag, doing, ports) => {
      const unprivileged = await firstUnprivilegedPort();
      const low = unprivileged - 2;
      const parent = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-privileged-node-"));
      try {
        const dir = path.join(parent, "data");
        await fsp.mkdir(dir);
        await fsp.writeFile(path.join(dir, "cluster.secret"), `${"ab".repeat(32)}\n`, { mode: 0o600 });
        // The data directory and its secret belong to the user the node runs as.
        if (process.getuid?.() === 0) {
          for (const p of [parent, dir, path.join(dir, "cluster.secret")]) await fsp.chown(p, 65534, 65534);
        }
        const portArgs = ports(low, await freePortRun(1));
        const id = portArgs[1]!;
        const { code, stderr } = await runUnprivileged([KV_CLUSTER_BIN, "node", ...portArgs, "--data-dir", dir]);
        expect(stderr).toContain(
          `${id} | ${doing} 127.0.0.1:${low}: permission denied (EACCES): ` +
            `ports below ${unprivileged} need privileges (root, or the CAP_NET_BIND_SERVICE capability) that this process does not have; give a ${flag} of ${unprivileged} or above\n`,
        );
        expect(stderr).not.toMatch(/listen EACCES|internal error|a bug|^\s+at /m);
        expect(code).toBe(1);
        // The node did take its data directory (it restored its storage) before it tried the port, and gave it back.
        expect(stderr).toMatch(new RegExp(`^${id} \\| started: term 0`, "m"));
        expect((await fsp.readdir(path.join(dir, id))).filter((n) => n === "LOCK" || n.startsWith("LOCK."))).toEqual([]);
      } finally {
        await fsp.rm(parent, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it("start on a data directory a running cluster holds refuses before it starts a node: one line naming the holder and what to do, exit 1", async () => {
    const dir = path.join(dataDir, "held");
    const base = await freePortRun(1);
    const first = spawnTracked([KV_CLUSTER_BIN, "start", "--nodes", "1", "--base-port", String(base), "--data-dir", dir]);
    try {
      const pid = Number(/ n1 \| pid (\d+):/.exec(` ${await waitFor("the node's own pid line", 20_000, async () => first.stderrLines.find((l) => /^n1 \| pid \d+:/.test(l)))}`)![1]);
      await waitFor("n1 listening", 20_000, async () => first.stderrLines.some((l) => l.startsWith("n1 | listening on")));
      const other = await freePortRun(1);
      const r = await run([KV_CLUSTER_BIN, "start", "--nodes", "1", "--base-port", String(other), "--data-dir", dir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `kv-cluster: ${path.join(dir, "n1")} is in use by process ${pid} (${path.join(dir, "n1", "LOCK")}): a cluster on this --data-dir is already running; stop it first (Ctrl-C where it runs, or kill ${pid}), or give another --data-dir`,
      );
    } finally {
      first.kill("SIGTERM");
      await exited(first);
    }
  }, 60_000);

  it("start runs every node as a child process, logs by node id, says each node's pid, who leads and the client command for its ports, and stops them all on SIGTERM with exit 0", async () => {
    const base = await freePortRun(3);
    const cluster = spawnTracked([KV_CLUSTER_BIN, "start", "--nodes", "3", "--base-port", String(base), "--data-dir", dataDir]);
    const leader = await waitFor("a leader", 15_000, async () => {
      for (let i = 0; i < 3; i++) {
        const s = await ask(base + i, { type: "status" });
        if (s?.role === "leader") return s.id as string;
      }
      return null;
    });
    expect(["n1", "n2", "n3"]).toContain(leader);
    const pids = cluster.stderrLines.filter((l) => /^cluster \| n\d pid \d+/.test(l)).map((l) => Number(/pid (\d+)/.exec(l)![1]));
    expect(pids).toHaveLength(3);
    // The log line travels node -> start -> us, so it may trail the status answer.
    await expect.poll(() => cluster.stderrLines.some((l) => l.startsWith(`${leader} | became leader`)), { timeout: 5000 }).toBe(true);
    // start says who leads, and each node says its own pid as it starts.
    await expect.poll(() => cluster.stderrLines.some((l) => new RegExp(`^cluster \\| leader is now ${leader} \\(term \\d+\\)$`).test(l)), { timeout: 5000 }).toBe(true);
    // And how to reach it: the client command for these ports.
    expect(cluster.stderrLines).toContain(`cluster | try: npm run kv -- --nodes ${base},${base + 1},${base + 2} put greeting hello`);
    // A node's own lines travel node -> start -> us: a slow node's may trail the leader's.
    for (const [i, pid] of pids.entries()) {
      const line = `n${i + 1} | pid ${pid}: SIGTERM or Ctrl-C (kill ${pid}) stops this node`;
      await expect.poll(() => cluster.stderrLines.includes(line), { timeout: 10_000 }).toBe(true);
    }

    cluster.kill("SIGTERM");
    await exited(cluster);
    expect(cluster.exitCode).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(); // every child is gone
    for (const id of ["n1", "n2", "n3"]) expect((await fsp.readdir(path.join(dataDir, id))).some((f) => f.startsWith("wal-"))).toBe(true);
  }, 30_000);

  it("the restart command start prints for a node names the secret file by its absolute path, as it does the data directory, so it works from any directory", async () => {
    const base = await freePortRun(1);
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-relative-"));
    await fsp.writeFile(path.join(dir, "my.secret"), "s".repeat(64), { mode: 0o600 });
    // Relative paths, from the directory the command runs in.
    const cluster = spawn(process.execPath, [KV_CLUSTER_BIN, "start", "--nodes", "1", "--base-port", String(base), "--data-dir", "data", "--secret-file", "my.secret"], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const lines: string[] = [];
    readline.createInterface({ input: cluster.stderr! }).on("line", (l) => lines.push(l));
    try {
      const pidLine = await waitFor("the pid line", 15_000, async () => lines.find((l) => /^cluster \| n1 pid \d+/.test(l)));
      process.kill(Number(/pid (\d+)/.exec(pidLine)![1]), "SIGKILL");
      await exited(cluster);
      const dirReal = await fsp.realpath(dir);
      expect(lines).toContain(
        `cluster | n1 exited (SIGKILL). Restart it with: npm run kv-cluster -- node --id n1 --nodes 1 --base-port ${base} --data-dir ${path.join(dirReal, "data")} --secret-file ${path.join(dirReal, "my.secret")}`,
      );
    } finally {
      if (cluster.exitCode === null && cluster.signalCode === null) cluster.kill("SIGKILL");
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it.each([
    ["its compiled bundle, when fresh", {}],
    ["its TypeScript sources", { DSLAB_RUN_SOURCES: "1" }],
  ])("start --http-port serves the HTTP front from %s: a PUT through any node's front is read back through another's", async (_from, env) => {
    const base = await freePortRun(3);
    const httpBase = await freePortRun(3);
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-http-front-"));
    const cluster = spawn(process.execPath, [KV_CLUSTER_BIN, "start", "--nodes", "3", "--base-port", String(base), "--http-port", String(httpBase), "--data-dir", dir], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ...env },
    });
    const lines: string[] = [];
    readline.createInterface({ input: cluster.stderr! }).on("line", (l) => lines.push(l));
    try {
      for (let i = 0; i < 3; i++) {
        await expect.poll(() => lines.includes(`n${i + 1} | HTTP front on http://127.0.0.1:${httpBase + i}`), { timeout: 15_000 }).toBe(true);
      }
      expect(lines).toContain(
        `cluster | try: npm run kv -- --nodes ${base},${base + 1},${base + 2} put greeting hello, or over HTTP: ` +
          `curl -L -X PUT http://127.0.0.1:${httpBase}/kv/greeting -d '{"value":"hello"}'`,
      );
      // A follower's front redirects to the leader's (307 keeps method and body); fetch follows it.
      const put = await waitFor("a leader to take the PUT", 15_000, async () => {
        const r = await fetch(`http://127.0.0.1:${httpBase}/kv/colour`, { method: "PUT", body: JSON.stringify({ value: "teal" }) });
        return r.status === 200 ? r : null;
      });
      expect(put.status).toBe(200);
      const got = await fetch(`http://127.0.0.1:${httpBase + 2}/kv/colour`);
      expect(got.status).toBe(200);
      expect(await got.json()).toEqual({ value: "teal" });
    } finally {
      cluster.kill("SIGTERM");
      await exited(cluster);
      await fsp.rm(dir, { recursive: true, force: true });
    }
    expect(cluster.exitCode).toBe(0);
  }, 40_000);

  it("Ctrl-C (SIGINT to the whole process group, as a terminal sends it) stops start and every node cleanly, exit 0", async () => {
    const base = await freePortRun(3);
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-ctrl-c-"));
    // Its own process group, like a shell job in the foreground.
    const cluster = spawn(process.execPath, [KV_CLUSTER_BIN, "start", "--nodes", "3", "--base-port", String(base), "--data-dir", dir], {
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    });
    const lines: string[] = [];
    readline.createInterface({ input: cluster.stderr! }).on("line", (l) => lines.push(l));
    try {
      await waitFor("a leader", 15_000, async () => {
        for (let i = 0; i < 3; i++) if ((await ask(base + i, { type: "status" }))?.role === "leader") return true;
        return null;
      });
      // The pid lines come through a pipe that a loaded machine may read after the leader answered.
      const pidLines = () => lines.filter((l) => /^cluster \| n\d pid \d+/.test(l));
      await waitFor("the three pid lines", 10_000, async () => (pidLines().length >= 3 ? true : null));
      const pids = pidLines().map((l) => Number(/pid (\d+)/.exec(l)![1]));
      expect(pids).toHaveLength(3);
      process.kill(-cluster.pid!, "SIGINT");
      await exited(cluster);
      expect(cluster.exitCode).toBe(0);
      for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
      expect(lines).toContain("cluster | stopped");
      // Each node stops on the first signal it handles: the terminal's SIGINT, or the SIGTERM start sends it.
      for (const id of ["n1", "n2", "n3"]) expect(lines.some((l) => l === `${id} | SIGINT: stopping` || l === `${id} | SIGTERM: stopping`), `${id} stopping`).toBe(true);
    } finally {
      if (cluster.exitCode === null && cluster.signalCode === null) process.kill(-cluster.pid!, "SIGKILL");
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it("start whose log reader goes away (kv-cluster start 2>&1 | head) stops quietly with 141, and its nodes stop too", async () => {
    const base = await freePortRun(3);
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "dslab-log-reader-"));
    const cluster = spawn(process.execPath, [KV_CLUSTER_BIN, "start", "--nodes", "3", "--base-port", String(base), "--data-dir", dir], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const lines: string[] = [];
    const reader = readline.createInterface({ input: cluster.stderr! });
    reader.on("line", (l) => lines.push(l));
    try {
      const pidLines = () => lines.filter((l) => /^cluster \| n\d pid \d+/.test(l));
      await waitFor("the three pid lines", 15_000, async () => (pidLines().length >= 3 ? true : null));
      const pids = pidLines().map((l) => Number(/pid (\d+)/.exec(l)![1]));
      // The reader closes its end: every later log line start writes meets a closed pipe.
      reader.close();
      cluster.stderr!.destroy();
      await exited(cluster);
      expect(cluster.exitCode).toBe(141);
      await waitFor("every node to stop", 15_000, async () => pids.every((pid) => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      }));
    } finally {
      if (cluster.exitCode === null && cluster.signalCode === null) cluster.kill("SIGKILL");
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
