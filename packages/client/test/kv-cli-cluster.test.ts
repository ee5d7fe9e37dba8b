/**
 * Real processes: the `kv` CLI against a 3-node TCP cluster
 * (`kv-cluster node` children), with the leader SIGKILLed mid-run. Every
 * acknowledged append appears exactly once; nothing appears twice.
 */
import { execFile } from "node:child_process";
import net from "node:net";
import { createPrng } from "@dslab/protocol";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { KvClient, TcpTransport } from "../src/index.js";
import { KV_BIN, ProcessCluster } from "./cluster-harness.js";

interface KvRun {
  code: number;
  stdout: string;
  stderr: string;
}

function kv(args: string[], timeoutMs = 20_000): Promise<KvRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KV_BIN, ...args], { timeout: timeoutMs, killSignal: "SIGKILL" }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.start({ size: 3, http: true, tmpPrefix: "dslab-client-" });
  await cluster.waitForLeader();
}, 30_000);

afterAll(async () => {
  await cluster?.stop();
});

describe("kv CLI against a real 3-node TCP cluster", () => {
  test("exit codes: 0 ok with the client_id and seq printed, 1 definite failure, 2 usage error", async () => {
    const nodes = ["--nodes", cluster.ports.join(",")];
    const put = await kv([...nodes, "put", "cli-x", "41"]);
    expect(put.code).toBe(0);
    expect(put.stdout).toMatch(/^ok write_ok\nclient_id=\d+ seq=1 attempts=\d+\n$/);
    expect((await kv([...nodes, "incr", "cli-x", "1"])).stdout).toMatch(/"value":42/);
    const missing = await kv([...nodes, "get", "cli-missing"]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^failed: could not read "cli-missing" \(a read changes nothing\): error 20 key-does-not-exist/);
    expect((await kv([...nodes, "cas", "cli-x", "1", "2"])).code).toBe(1);
    const usage = await kv([...nodes, "put", "cli-x"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/usage: kv put KEY VALUE/);
  }, 60_000);

  test("cas --create creates a missing key with TO (create_if_not_exists); without it a missing key is a definite failure; a key that exists is still compared with FROM", async () => {
    const nodes = ["--nodes", cluster.ports.join(",")];
    const without = await kv([...nodes, "cas", "cli-create", "null", "1"]);
    expect(without.code).toBe(1);
    expect(without.stdout).toMatch(/^failed \(definite: it did not happen\): error 20 key-does-not-exist/);
    const created = await kv([...nodes, "cas", "cli-create", "null", "1", "--create"]);
    expect(created.code, created.stdout + created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^ok cas_ok\n/);
    expect((await kv([...nodes, "get", "cli-create"])).stdout).toMatch(/^ok read_ok \{"value":1\}\n/);
    const mismatch = await kv([...nodes, "cas", "cli-create", "null", "2", "--create"]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toMatch(/error 22 precondition-failed/);
    expect((await kv([...nodes, "cas", "cli-create", "1", "2", "--create"])).code).toBe(0);
    expect((await kv([...nodes, "get", "cli-create"])).stdout).toMatch(/^ok read_ok \{"value":2\}\n/);
  }, 60_000);

  test("a read prints no client_id or seq: reads carry no identity", async () => {
    const nodes = ["--nodes", cluster.ports.join(",")];
    expect((await kv([...nodes, "put", "cli-read", "1"])).code).toBe(0);
    const text = await kv([...nodes, "get", "cli-read"]);
    expect(text).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ok read_ok \{"value":1\}\nattempts=\d+\n$/) });
    const json = JSON.parse((await kv([...nodes, "--json", "get", "cli-read"])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ outcome: "ok", reply: { value: 1 } });
    expect(json).not.toHaveProperty("client_id");
    expect(json).not.toHaveProperty("seq");
  }, 30_000);

  test("--json carries the node's reply and error as the text does: without the transport's msg_id and in_reply_to", async () => {
    const nodes = ["--nodes", cluster.ports.join(","), "--json"];
    const put = JSON.parse((await kv([...nodes, "put", "cli-json", "[1]"])).stdout) as Record<string, unknown>;
    expect(put).toMatchObject({ outcome: "ok" });
    expect(put.reply).toEqual({ type: "write_ok" });
    const read = JSON.parse((await kv([...nodes, "get", "cli-json"])).stdout) as Record<string, unknown>;
    expect(read.reply).toEqual({ type: "read_ok", value: [1] });
    const missing = JSON.parse((await kv([...nodes, "delete", "cli-json-missing"])).stdout) as Record<string, unknown>;
    expect(missing).toMatchObject({ outcome: "failed", error: { type: "error", code: 20 } });
    expect(missing.error).not.toHaveProperty("in_reply_to");
  }, 30_000);

  test("status prints each node's id, port, role, term, leader, commit and applied index, as a table and as JSON", async () => {
    const leader = await cluster.waitForLeader();
    const nodes = ["--nodes", cluster.ports.join(",")];
    const table = await kv([...nodes, "status"]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+PORT\s+ROLE\s+TERM\s+LEADER\s+COMMIT\s+APPLIED$/);
    expect(lines).toHaveLength(4);
    for (const [i, id] of cluster.ids.entries()) expect(lines[i + 1]).toMatch(new RegExp(`^${id}\\s+${cluster.ports[i]}\\s+(leader|follower|candidate|pre-candidate)\\s+\\d+\\s+\\S+\\s+\\d+\\s+\\d+$`));
    const json = await kv([...nodes, "status", "--json"]);
    expect(json.code).toBe(0);
    const rows = (JSON.parse(json.stdout) as { nodes: Array<Record<string, unknown>> }).nodes;
    expect(rows.map((r) => r.id)).toEqual(cluster.ids);
    // `node` names a node as the other commands' output does: its id once it answered.
    expect(rows.map((r) => [r.node, r.address])).toEqual(cluster.ids.map((id, i) => [id, `127.0.0.1:${cluster.ports[i]}`]));
    expect(rows.some((r) => r.role === "leader" && r.id === leader)).toBe(true);
    for (const r of rows) expect(r).toMatchObject({ term: expect.any(Number), commit_index: expect.any(Number), applied_index: expect.any(Number) });
  }, 60_000);

  test("status with one port shows the whole cluster: the members that node's status lists are asked too, given port first", async () => {
    const [first, ...others] = [cluster.ids[1]!, cluster.ids[0]!, cluster.ids[2]!];
    const r = await kv(["--port", String(cluster.portMap[first]), "status", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { nodes: Array<{ id: string; port: number; address: string; role: string }> }).nodes;
    expect(rows.map((row) => [row.id, row.port, row.address])).toEqual(
      [first, ...others].map((id) => [id, cluster.portMap[id], `127.0.0.1:${cluster.portMap[id]}`]),
    );
    expect(rows.filter((row) => row.role === "leader")).toHaveLength(1);
  }, 30_000);

  test("--nodes in any order: each port's id is learned before the first attempt, so a follower's redirect goes straight to the leader, never to a port nobody listens on", async () => {
    const leader = await cluster.waitForLeader();
    const [f1, f2] = cluster.ids.filter((id) => id !== leader) as [string, string];
    // The leader at a place in the list that is not its own number, after a follower.
    const order = leader === "n3" ? [f1, leader, f2] : [f1, f2, leader];
    const ports = order.map((id) => cluster.portMap[id]);
    for (const args of [["append", "cli-order", "1"], ["get", "cli-order"]]) {
      const r = await kv(["--nodes", ports.join(","), "-v", ...args]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/outcome=refused/);
      // The first attempt goes to the first port given (a follower), which redirects at once to the leader by its id.
      // Each node is written the same way, its id with its address beside it, whether it was given as a port or named by a redirect.
      expect(r.stderr).toMatch(new RegExp(`attempt=1 node=${f1}\\(127\\.0\\.0\\.1:${cluster.portMap[f1]}\\) outcome=error:11:temporarily-unavailable\\(leader=${leader}\\) action=redirect backoff_ms=0`));
      expect(r.stderr).toMatch(new RegExp(`attempt=2 node=${leader}\\(127\\.0\\.0\\.1:${cluster.portMap[leader]}\\) outcome=(append|read)_ok action=succeed`));
    }
    const json = JSON.parse((await kv(["--nodes", ports.join(","), "--json", "append", "cli-order", "2"])).stdout) as { nodes_tried: string[]; log: string[] };
    expect(json.nodes_tried).toEqual([f1, leader]);
    expect(json.log.map((line) => /node=(\S+)/.exec(line)?.[1])).toEqual([f1, leader].map((id) => `${id}(127.0.0.1:${cluster.portMap[id]})`));
    const status = JSON.parse((await kv(["--nodes", ports.join(","), "--json", "status"])).stdout) as { nodes: Array<{ id: string; port: number }> };
    expect(status.nodes.map((n) => [n.id, n.port])).toEqual(order.map((id) => [id, cluster.portMap[id]]));
  }, 30_000);

  test("--port of a follower: the follower's status says where the leader listens, so its redirect goes straight there", async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.ids.find((id) => id !== leader) as string;
    const port = cluster.portMap[follower];
    const r = await kv(["--port", String(port), "-v", "append", "cli-port", "1"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^client_id=\\d+ seq=1 attempt=1 node=${follower}\\(127\\.0\\.0\\.1:${port}\\) outcome=error:11:temporarily-unavailable\\(leader=${leader}\\) action=redirect backoff_ms=0`));
    expect(r.stderr).toMatch(new RegExp(`attempt=2 node=${leader}\\(127\\.0\\.0\\.1:${cluster.portMap[leader]}\\) outcome=append_ok action=succeed`));
    expect(r.stderr).not.toMatch(/no port given answered/);
  }, 30_000);

  test("the cluster's HTTP port: kv says it speaks HTTP, not the line protocol, and that nothing was read or written there", async () => {
    const httpPort = Number(new URL(cluster.url(cluster.ids[0] as string)).port);
    const read = await kv(["--port", String(httpPort), "--max-retries", "1", "get", "cli-http"]);
    const hint = `kv: port ${httpPort} speaks HTTP, not the kv line protocol: use curl, or the node's TCP port\n`;
    expect(read.code).toBe(1);
    expect(read.stderr).toBe(hint);
    expect(read.stdout).toMatch(new RegExp(`^failed: could not read "cli-http" .*: port ${httpPort} speaks HTTP, not the kv line protocol`));
    const write = await kv(["--port", String(httpPort), "--max-retries", "0", "put", "cli-http", "1"]);
    expect(write.code).toBe(1);
    expect(write.stderr).toBe(hint);
    expect(write.stdout).toMatch(/^failed \(definite: it did not happen\): /);
    // With the TCP ports given too, the operation goes on to a node.
    const mixed = await kv(["--nodes", [httpPort, ...cluster.ports].join(","), "put", "cli-http", "2"]);
    expect(mixed.code).toBe(0);
    expect(mixed.stderr).toBe(hint);
  }, 30_000);

  test("only HTTP ports given: kv stops after the first attempt that finds it out, since no retry can reach a kv node there", async () => {
    const httpPorts = cluster.ids.map((id) => Number(new URL(cluster.url(id)).port));
    for (const target of [["--port", String(httpPorts[0])], ["--nodes", httpPorts.join(",")]]) {
      for (const args of [["put", "cli-http-only", "1"], ["get", "cli-http-only"]]) {
        // The default --max-retries (5) and --total-ms (30000): without the stop, 6 attempts over seconds of backoff.
        const r = await kv([...target, "--json", ...args]);
        expect(r.code, r.stdout + r.stderr).toBe(1);
        const report = JSON.parse(r.stdout) as { outcome: string; attempts: number; log: string[] };
        expect(report.outcome).toBe("failed");
        expect(report.attempts).toBe(1);
        expect(report.log[0]).toMatch(/outcome=refused action=fail /);
        expect(r.stderr).toMatch(/speaks HTTP, not the kv line protocol/);
      }
    }
  }, 30_000);

  test("replaying a request by hand with --client-id and --seq is answered from the session, not applied twice", async () => {
    const nodes = ["--nodes", cluster.ports.join(","), "--json"];
    const first = JSON.parse((await kv([...nodes, "--client-id", "9001", "--seq", "1", "append", "cli-replay", "a"])).stdout);
    const again = JSON.parse((await kv([...nodes, "--client-id", "9001", "--seq", "1", "append", "cli-replay", "a"])).stdout);
    expect(first).toMatchObject({ outcome: "ok", client_id: "9001", seq: 1, reply: { value: ["a"] } });
    expect(again).toMatchObject({ outcome: "ok", client_id: "9001", seq: 1, reply: { value: ["a"] } });
  }, 30_000);

  test("a --seq above 1 for a client_id the cluster does not know is refused (1006, exit 3: whether it was applied before cannot be told), not applied as new", async () => {
    const nodes = ["--nodes", cluster.ports.join(",")];
    const r = await kv([...nodes, "--client-id", "never-seen", "--seq", "5", "append", "cli-unknown", "a"]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^unknown \(it may or may not have happened\).*error 1006 session-unknown: client never-seen has no session, and a session begins at seq 1/s);
    // Replaying it would get the same answer: kv says to start a new client_id, not to replay.
    expect(r.stdout).not.toContain("replay it to find out");
    // As the cluster does: it marks the client_id ended (its seq 1 is refused below), so kv does not say the cluster keeps no record of it.
    expect(r.stdout).toContain(
      "a replay gets the same answer: the cluster had no record of this client_id to check the seq against, and has now marked the client_id ended, so it refuses every request under it: start a new client_id, at seq 1\n",
    );
    expect((await kv([...nodes, "get", "cli-unknown"])).code).toBe(1);
    // Its seq 1 now is refused too, and says why.
    const one = await kv([...nodes, "--client-id", "never-seen", "--seq", "1", "append", "cli-unknown", "a"]);
    expect(one.code).toBe(3);
    expect(one.stdout).toContain("client never-seen was refused before for a seq above 1 with no session");
  }, 30_000);

  test("a node that never answers: a write is unknown (exit 3) with a runnable replay command, a read could not be read (exit 1)", async () => {
    const server = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await kv(["--port", String(port), "--timeout-ms", "100", "--max-retries", "1", "-v", "append", "k", "it's"]);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/^unknown \(it may or may not have happened\): 2 attempts/);
      expect(r.stdout).toMatch(new RegExp(`\nreplay it to find out: npm run kv -- --port ${port} --client-id \\d+ --seq 1 append k 'it'\\\\''s'\n$`));
      const read = await kv(["--port", String(port), "--timeout-ms", "100", "--max-retries", "1", "get", "k"]);
      expect(read.code).toBe(1);
      expect(read.stdout).toMatch(/^failed: could not read "k" \(a read changes nothing\): error 0 timeout: .*\(gave up after 2 attempts on 127\.0\.0\.1:\d+: max-retries\)\nattempts=2\n$/);
    } finally {
      server.close();
    }
  }, 30_000);

  test("with the leader SIGKILLed mid-run, every acknowledged append appears exactly once", async () => {
    const nodes = ["--nodes", cluster.ports.join(","), "--json", "--timeout-ms", "400", "--total-ms", "8000"];
    const outcomes = new Map<string, string>();
    const runFor = (worker: number, untilMs: number) =>
      (async () => {
        for (let j = 0; Date.now() < untilMs; j++) {
          const value = `w${worker}-${j}`;
          const r = await kv([...nodes, "append", "cli-log", value]);
          outcomes.set(value, r.code === 0 ? "ok" : r.code === 1 ? "failed" : r.code === 3 ? "unknown" : `exit ${r.code}: ${r.stderr}`);
        }
      })();
    const start = Date.now();
    const workers = [0, 1, 2].map((w) => runFor(w, start + 7_000));
    await new Promise((r) => setTimeout(r, 2_000));
    const leader = await cluster.waitForLeader();
    cluster.kill(leader);
    const okBeforeKill = [...outcomes.values()].filter((o) => o === "ok").length;
    await Promise.all(workers);

    const client = new KvClient({ nodes: cluster.ids, transport: new TcpTransport({ nodes: cluster.portMap }), prng: createPrng("final-read") });
    const read = await client.get("cli-log");
    expect(read.outcome).toBe("ok");
    const list = (read.outcome === "ok" ? read.reply.value : []) as string[];
    const counts = new Map<string, number>();
    for (const v of list) counts.set(v, (counts.get(v) ?? 0) + 1);

    const acked = [...outcomes].filter(([, o]) => o === "ok").map(([v]) => v);
    expect([...outcomes.values()].filter((o) => o.startsWith("exit"))).toEqual([]);
    expect(acked.length).toBeGreaterThan(okBeforeKill); // progress after the kill
    for (const v of acked) expect(counts.get(v), `acknowledged ${v}`).toBe(1);
    for (const [v, n] of counts) expect(n, `${v} applied ${n} times`).toBe(1);
    for (const [v, o] of outcomes) if (o === "failed") expect(counts.has(v), `failed ${v} must not be applied`).toBe(false);
  }, 60_000);
});
