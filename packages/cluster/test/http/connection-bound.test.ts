/**
 * The HTTP front holds a bounded number of connections: a process that opens
 * many and leaves them idle (no request, or a request line that never ends)
 * cannot take every file descriptor of the node. Past the bound a connection
 * is closed as soon as it is accepted; the node's TCP clients and the
 * connections already open carry on, and once the idle ones go the front
 * serves again.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessCluster, ask, killAll, waitFor } from "../../src/testing/processes.js";

/** The bound the nodes run with. */
const MAX_HTTP_CONNECTIONS = 16;
/** Idle connections the test opens, well past the bound. */
const IDLE_CONNECTIONS = 200;

let cluster: ProcessCluster;
let leader: string;

beforeAll(async () => {
  cluster = await ProcessCluster.start({
    size: 3,
    http: true,
    extraArgs: ["--max-http-connections", String(MAX_HTTP_CONNECTIONS)],
    tmpPrefix: "dslab-http-bound-",
  });
  leader = await cluster.waitForLeader();
  await waitFor(`the HTTP front of ${leader}`, 15_000, async () => {
    const res = await fetch(`${cluster.url(leader)}/kv/__probe`, { redirect: "manual", signal: AbortSignal.timeout(4000) }).catch(() => undefined);
    return res !== undefined && (res.status === 404 || res.status === 200);
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  await killAll();
});

function idleConnection(port: number): { socket: net.Socket; closed: Promise<void> } {
  const socket = net.connect({ port, host: "127.0.0.1" });
  socket.on("error", () => {});
  // Half a request line: the server waits for the rest.
  socket.write("GET /kv/a HTT");
  return { socket, closed: new Promise((r) => socket.once("close", () => r())) };
}

describe("the HTTP front bounds its open connections (--max-http-connections)", () => {
  it("connections past the bound are closed at once, the node still answers TCP clients, and HTTP serves again once the idle ones go", async () => {
    const port = Number(new URL(cluster.url(leader)).port);
    const conns = Array.from({ length: IDLE_CONNECTIONS }, () => idleConnection(port));
    let closedCount = 0;
    for (const c of conns) void c.closed.then(() => closedCount++);
    await waitFor(`the front to close ${IDLE_CONNECTIONS - MAX_HTTP_CONNECTIONS} connections past its bound`, 30_000, async () => closedCount >= IDLE_CONNECTIONS - MAX_HTTP_CONNECTIONS);
    // The ones within the bound stay open (the readiness probe's keep-alive connection may hold one slot).
    expect(closedCount).toBeLessThan(IDLE_CONNECTIONS);

    const reply = await ask(cluster.portOf(leader), { type: "write", key: "during", value: 1, client_id: "hb1", seq: 1 }, "hb1", 10_000);
    expect(reply).toMatchObject({ type: "write_ok" });
    expect(cluster.logs.join("\n")).toMatch(/http: closed the connection from 127\.0\.0\.1:\d+ at once: 16 HTTP connections are open, the most this front takes/);

    for (const c of conns) c.socket.destroy();
    await Promise.all(conns.map((c) => c.closed));
    const got = await waitFor("the front to serve again", 15_000, async () => {
      const res = await fetch(`${cluster.url(leader)}/kv/during`, { signal: AbortSignal.timeout(4000) }).catch(() => undefined);
      return res?.status === 200 ? await res.json() : null;
    });
    expect(got).toMatchObject({ value: 1 });
  }, 90_000);
});
