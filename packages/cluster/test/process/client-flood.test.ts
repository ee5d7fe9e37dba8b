/**
 * A running 3-node cluster against one client that floods the leader with
 * short bad lines (two bytes each, every one answered with an error line).
 * The leader handles a connection's lines a bounded batch at a time, so its
 * heartbeats still go out on time: it keeps its leadership and its term, it
 * answers every line, and an acknowledged write is still there. Its log says
 * so in a line a second with a count, not in a line per bad line.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessCluster, ask, killAll, waitFor } from "../../src/testing/processes.js";

/** Bad lines in the flood: 16384 in each 32 KiB of input, far more than one batch. */
const FLOOD_LINES = 128 * 1024;

let cluster: ProcessCluster;

beforeAll(async () => {
  cluster = await ProcessCluster.start({ size: 3, tmpPrefix: "dslab-flood-" });
  await cluster.waitForLeader();
}, 30_000);

afterAll(async () => {
  await cluster?.stop();
  await killAll();
});

describe("a client flooding the leader with bad lines", () => {
  it("gets an error line for each, while the leader keeps its term, an acknowledged write stays readable, and the leader's log counts the bad lines instead of repeating them", async () => {
    const leader = await cluster.waitForLeader();
    const port = cluster.portOf(leader);
    const ack = await ask(port, { type: "write", key: "kept", value: 7, client_id: "flood-ack", seq: 1 }, "flood-ack", 10_000);
    expect(ack).toMatchObject({ type: "write_ok" });
    const before = (await cluster.status(leader))!;

    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.on("error", () => {});
    let answered = 0;
    socket.on("data", (c: Buffer) => {
      for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) answered++;
    });
    await new Promise<void>((r) => socket.once("connect", () => r()));
    socket.end(Buffer.from("x\n".repeat(FLOOD_LINES)));
    await waitFor(`an answer to each of ${FLOOD_LINES} bad lines`, 120_000, async () => answered >= FLOOD_LINES);
    socket.destroy();

    const after = (await cluster.status(leader))!;
    expect({ role: after.role, term: after.term }).toEqual({ role: "leader", term: before.term });
    expect(await ask(port, { type: "read", key: "kept" }, "flood-read", 10_000)).toMatchObject({ type: "read_ok", value: 7 });
    const badInput = cluster.children.get(leader)!.stderrLines.filter((l) => l.includes("bad input"));
    expect(badInput.length).toBeGreaterThan(0);
    expect(badInput.length).toBeLessThan(FLOOD_LINES / 100);
  }, 180_000);
});
