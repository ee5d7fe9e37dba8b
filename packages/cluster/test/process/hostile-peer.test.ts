/**
 * A running 3-node cluster (`kv-cluster node` processes) against a process
 * that speaks the protocol but does not know the cluster secret: it sends
 * forged Raft messages (high terms, a node's src, entries of its own),
 * replays what it sent before (handshake proofs included) and malformed
 * lines, on client connections and through failed handshakes. Nothing it
 * sends reaches Raft: the leader keeps its term, forged entries never
 * commit, every node stays up, and a workload of retrying clients that runs
 * meanwhile leaves a linearizable, exactly-once history.
 */
import net from "node:net";
import readline from "node:readline";
import { checkExactlyOnce, checkLinearizability, HistoryBuilder, type Value } from "@dslab/checker";
import { KvClient, TcpTransport as ClientTransport, type OpResult } from "@dslab/client";
import { createPrng, type Prng } from "@dslab/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newNonce, proof } from "../../src/runtime/peer-auth.js";
import { ProcessCluster, TcpClient, killAll, waitFor } from "../../src/testing/processes.js";

/** How long the hostile process and the workload run together. */
const HOSTILE_MS = 20_000;
/** Bound on the hostile process's connections over the whole run. */
const MAX_HOSTILE_CONNECTIONS = 2_000;

let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.start({ size: 3, tmpPrefix: "dslab-hostile-" });
  await cluster.waitForLeader();
}, 30_000);

afterAll(async () => {
  await cluster?.stop();
  await killAll();
});

/** One connection of the hostile process: write lines, collect what comes back, close. */
function hostileConnection(port: number): Promise<{ socket: net.Socket; lines: any[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    const lines: any[] = [];
    socket.on("error", () => {});
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    readline.createInterface({ input: socket }).on("line", (l) => {
      try {
        lines.push(JSON.parse(l));
      } catch {
        lines.push(l);
      }
    });
    socket.once("connect", () => resolve({ socket, lines, closed }));
    socket.once("error", reject);
  });
}

function forgedAppend(src: string, dest: string, term: number, fromIndex: number, key: string) {
  return {
    src,
    dest,
    body: {
      type: "raft_append",
      term,
      leader: src,
      prev_log_index: fromIndex - 1,
      prev_log_term: term,
      entries: [{ index: fromIndex, term, command: { kind: "client", ts: Date.now(), request: { type: "write", key, value: 666, client_id: "evil", seq: 1 } } }],
      leader_commit: fromIndex + 10,
    },
  };
}

describe("a process without the cluster secret cannot act as a Raft peer", () => {
  it("a raft_append with a high term on a client connection is refused and logged, and the leader keeps its term", async () => {
    const leader = await cluster.waitForLeader();
    const before = (await cluster.status(leader))!;
    const other = cluster.ids.find((id) => id !== leader)!;
    const c = await hostileConnection(cluster.portOf(leader));
    c.socket.write(`${JSON.stringify(forgedAppend(other, leader, before.term + 1000, before.lastLogIndex + 1, "forged"))}\n`);
    await c.closed;
    expect(c.lines[0]?.body).toMatchObject({ type: "error", code: 10 });
    await waitFor("the refusal in the leader's log", 5000, async () =>
      cluster.children.get(leader)!.stderrLines.some((l) => l.includes(`refused raft_append from "${other}"`)),
    );
    const after = (await cluster.status(leader))!;
    expect(after).toMatchObject({ role: "leader", term: before.term });
  }, 30_000);

  it("a forged entry with a node's src sent to a follower is never committed", async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.ids.find((id) => id !== leader)!;
    const s = (await cluster.status(follower))!;
    const c = await hostileConnection(cluster.portOf(follower));
    c.socket.write(`${JSON.stringify(forgedAppend(leader, follower, s.term, s.lastLogIndex + 1, "forged-entry"))}\n`);
    await c.closed;
    const client = await TcpClient.connect(cluster.portOf(leader), "reader");
    try {
      expect(await client.request({ type: "read", key: "forged-entry" })).toMatchObject({ type: "error", code: 20 });
    } finally {
      client.close();
    }
  }, 30_000);

  it(
    `forged, replayed and malformed Raft messages for ${HOSTILE_MS / 1000} s while a workload runs: the history is linearizable and exactly-once, and every node stays up`,
    async () => {
      await cluster.waitForLeader();
      const stopAt = Date.now() + HOSTILE_MS;
      const hostile = runHostile(createPrng("hostile-peer"), stopAt);
      const workload = runWorkload(stopAt);
      const [stats, histories] = await Promise.all([hostile, workload]);

      // Every node is still up and answering.
      for (const id of cluster.ids) {
        const child = cluster.children.get(id)!;
        expect(child.exitCode, `${id} exited; last lines:\n${child.stderrLines.slice(-20).join("\n")}`).toBeNull();
        expect(await cluster.status(id), `${id} answers status`).not.toBeNull();
      }
      expect(stats.connections).toBeGreaterThan(100);
      expect(stats.refusals).toBeGreaterThan(0);
      // Nothing the hostile process sent was taken as a peer's: no term of its
      // making, and none of its entries applied (its refusals are logged, of course).
      const taken = cluster.logs.filter((l) => /evil|term \d{4,}/.test(l) && !/\| (refused|dropped|bad input) /.test(l));
      expect(taken).toEqual([]);
      for (const id of cluster.ids) expect((await cluster.status(id))!.term).toBeLessThan(1000);
      const reader = await TcpClient.connect(cluster.portOf(await cluster.waitForLeader()), "final-reader");
      try {
        for (const key of ["evil", "evil-after-auth", "forged"]) {
          expect(await reader.request({ type: "read", key }), key).toMatchObject({ type: "error", code: 20 });
        }
      } finally {
        reader.close();
      }

      expect(histories.ok).toBeGreaterThan(20);
      const lin = checkLinearizability(histories.registers.build(), { model: "register", timeLimitMs: 30_000 });
      expect(lin.failure?.message).toBeUndefined();
      expect(lin.valid).toBe(true);
      const once = checkExactlyOnce(histories.appends.build());
      expect(once.anomalies.map((a) => a.message)).toEqual([]);
      expect(once.valid).toBe(true);
    },
    HOSTILE_MS + 60_000,
  );
});

/** Two loops of hostile connections until `stopAt`, bounded in count. */
async function runHostile(prng: Prng, stopAt: number): Promise<{ connections: number; refusals: number }> {
  const stats = { connections: 0, refusals: 0 };
  const sent: string[] = [];
  const seenProofs: string[] = [];
  const loop = async () => {
    while (Date.now() < stopAt && stats.connections < MAX_HOSTILE_CONNECTIONS) {
      stats.connections++;
      const target = prng.pick(cluster.ids);
      const c = await hostileConnection(cluster.portOf(target)).catch(() => null);
      if (!c) continue;
      const lines = hostileLines(prng, target, sent, seenProofs);
      for (const line of lines) c.socket.write(`${line}\n`);
      if (lines.length > 0 && prng.int(0, 3) > 0) sent.push(...lines.filter((l) => l.length < 10_000).slice(0, 2));
      if (sent.length > 200) sent.splice(0, sent.length - 200);
      // A failed handshake: answer the challenge with a proof made from a guessed secret, or with one seen before.
      if (lines[0]?.includes('"peer_hello"')) {
        const challenge = await waitFor("a challenge", 2000, async () => c.lines.find((m) => m?.body?.type === "peer_challenge") ?? (c.socket.destroyed ? {} : null)).catch(() => null);
        if (challenge?.body) {
          const guess = prng.int(0, 1) === 0 && seenProofs.length > 0
            ? prng.pick(seenProofs)
            : proof(Buffer.from(`guess-${prng.int(0, 1e9)}`.padEnd(64, "x")), { role: "dialer", self: "n1", other: target, dialerNonce: newNonce(), acceptorNonce: challenge.body.nonce });
          seenProofs.push(guess, challenge.body.proof);
          c.socket.write(`${JSON.stringify({ src: "n1", dest: target, body: { type: "peer_auth", proof: guess } })}\n`);
          c.socket.write(`${JSON.stringify(forgedAppend("n1", target, 10_000, 1, "evil-after-auth"))}\n`);
        }
      }
      await new Promise((r) => setTimeout(r, prng.int(5, 40)));
      stats.refusals += c.lines.filter((m) => m?.body?.type === "error").length;
      c.socket.destroy();
    }
  };
  await Promise.all([loop(), loop()]);
  return stats;
}

/** What one hostile connection sends. */
function hostileLines(prng: Prng, target: string, sent: string[], seenProofs: string[]): string[] {
  const src = prng.pick([...cluster.ids, "evil", "c1"]);
  const term = prng.pick([1, 2, 1000, 2 ** 40, Number.MAX_SAFE_INTEGER]);
  const big = prng.pick([0, 1, 5, 1000, 2 ** 31, Number.MAX_SAFE_INTEGER]);
  const raft = (body: Record<string, unknown>) => JSON.stringify({ src, dest: target, body });
  switch (prng.int(0, 9)) {
    case 0:
      return [JSON.stringify(forgedAppend(src, target, term, big + 1, "evil"))];
    case 1:
      return [raft({ type: "raft_request_vote", term, candidate: src, last_log_index: big, last_log_term: term, pre_vote: prng.int(0, 1) === 0 })];
    case 2:
      return [raft({ type: "raft_append_ok", term, success: true, match_index: big }), raft({ type: "raft_append_ok", term, success: false, match_index: 0, reject_index: big, conflict_index: big })];
    case 3:
      return [raft({ type: "raft_snapshot", term, leader: src, last_included_index: big, last_included_term: term, node_ids: cluster.ids, offset: 0, chunk: '{"format":"evil"}', done: true })];
    case 4:
      return [raft({ type: "raft_snapshot_ok", term, match_index: big, next_offset: big, snapshot_index: big }), raft({ type: "raft_request_vote_ok", term, granted: true })];
    case 5:
      // Replays of earlier lines, on a new connection.
      return sent.length === 0 ? [] : [prng.pick(sent), prng.pick(sent)];
    case 6:
      return [JSON.stringify({ src: "n1", dest: target, body: { type: "peer_hello", node: prng.pick(cluster.ids.filter((n) => n !== target)), nonce: newNonce() } })];
    case 7:
      // Handshake lines out of order, and a proof seen before.
      return [
        JSON.stringify({ src: "n1", dest: target, body: { type: "peer_auth", proof: seenProofs.length > 0 ? prng.pick(seenProofs) : "00" } }),
        JSON.stringify({ src: "n1", dest: target, body: { type: "peer_auth_ok" } }),
      ];
    case 8:
      return prng.pick([
        ["{not json"],
        ["[".repeat(20_000)],
        [JSON.stringify({ src: "n2", dest: target, body: { type: "raft_append", term: "x" } })],
        [`{"src":"evil","dest":"${target}","body":{"type":"write","key":"k","value":"${"v".repeat(2 * 1024 * 1024)}"}}`],
        ["\u0000\u0001\u0002 binary"],
      ]);
    default:
      // A partial line, then the connection closes.
      return [`{"src":"n1","dest":"${target}","body":{"type":"raft_append","term":99999,"entries":[`];
  }
}

interface Histories {
  registers: HistoryBuilder;
  appends: HistoryBuilder;
  ok: number;
}

/** Three retrying clients: write/read/cas on two registers, append/read on two lists, until `stopAt`. */
async function runWorkload(stopAt: number): Promise<Histories> {
  const h: Histories = { registers: new HistoryBuilder(), appends: new HistoryBuilder(), ok: 0 };
  const started = Date.now();
  const time = () => (Date.now() - started) * 1e6;
  const worker = async (w: number) => {
    const prng = createPrng(`workload/${w}`);
    const transport = new ClientTransport({ nodes: cluster.portMap });
    const client = new KvClient({ nodes: cluster.ids, transport, prng, attemptTimeoutMs: 500, maxTotalMs: 5000 });
    let n = 0;
    try {
      while (Date.now() < stopAt) {
        n++;
        const kind = prng.int(0, 4);
        const isList = kind >= 3;
        const history = isList ? h.appends : h.registers;
        const key = isList ? `l${prng.int(0, 1)}` : `r${prng.int(0, 1)}`;
        let f = "cas";
        let value: Value;
        let run: () => Promise<OpResult>;
        if (kind === 0 || kind === 4) {
          f = "read";
          value = null;
          run = () => client.get(key);
        } else if (kind === 1) {
          f = "write";
          value = w * 100_000 + n;
          run = () => client.put(key, value as number);
        } else if (kind === 2) {
          const from = w * 100_000 + prng.int(1, Math.max(1, n - 1));
          value = [from, w * 100_000 + n];
          run = () => client.cas(key, from, w * 100_000 + n);
        } else {
          f = "append";
          value = `w${w}-${n}`;
          run = () => client.append(key, value as string);
        }
        const seq = f === "read" ? undefined : client.nextSeq;
        history.invoke(w, f, value, { time: time(), key, client_id: client.clientId, ...(seq !== undefined ? { seq } : {}) });
        const r = await run();
        if (r.outcome === "ok") {
          h.ok++;
          const v = f === "read" || f === "append" ? ((r.reply.value ?? null) as Value) : undefined;
          history.ok(w, v, { time: time() });
        } else if (r.outcome === "failed") {
          if (f === "read" && r.error.code === 20) history.ok(w, isList ? [] : null, { time: time() });
          else history.fail(w, { time: time(), error: r.error.code });
        } else {
          history.info(w, { time: time(), error: r.lastError.code });
        }
      }
    } finally {
      transport.close();
    }
  };
  await Promise.all([0, 1, 2].map(worker));
  return h;
}
