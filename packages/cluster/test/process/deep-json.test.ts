/**
 * A line nested thousands of levels deep (a 10 KB line of `[` then `]`) is
 * refused at the boundary with error 12 naming the depth bound, and the node
 * that got it keeps serving: over real TCP connections to a real 3-node
 * cluster (leader and follower alike), and on a real `kv-node`'s stdin.
 */
import net from "node:net";
import { MAX_JSON_DEPTH, type Body } from "@dslab/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KV_NODE_BIN, LineReader, ProcessCluster, TcpClient, killAll, spawnTracked } from "../../src/testing/processes.js";

const LEVELS = 5000;
const brackets = `${"[".repeat(LEVELS)}${"]".repeat(LEVELS)}`;
const TOO_DEEP = `value nested deeper than ${MAX_JSON_DEPTH} levels`;

/**
 * One connection that sends lines as they are: the deep value cannot go
 * through JSON.stringify (it overflows the stack), so the line is text.
 */
async function connectRaw(port: number): Promise<{ ask: (line: string, msgId: number) => Promise<Body>; close: () => void }> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const replies = new LineReader(socket);
  return {
    ask: async (line, msgId) => {
      socket.write(`${line}\n`);
      return (await replies.next((m) => m.body.in_reply_to === msgId, 10_000, `the reply to msg_id ${msgId}`)).body as Body;
    },
    close: () => socket.destroy(),
  };
}

describe("kv-cluster: a too-deep write over TCP", () => {
  let cluster: ProcessCluster;

  beforeAll(async () => {
    cluster = await ProcessCluster.start({ size: 3, tmpPrefix: "dslab-deep-" });
  });

  afterAll(async () => {
    await cluster?.stop();
    await killAll();
  });

  it("the leader and a follower each answer error 12 naming the bound, and every node keeps serving", async () => {
    const leader = await cluster.waitForLeader(15_000);
    const follower = cluster.ids.find((id) => id !== leader)!;
    for (const [id, role] of [[leader, "leader"], [follower, "follower"]] as const) {
      const c = await connectRaw(cluster.portOf(id));
      const src = `deep-${role}`;
      try {
        const line = `{"src":"${src}","dest":"${id}","body":{"type":"write","msg_id":1,"key":"deep","value":${brackets},"client_id":"${src}","seq":1}}`;
        const refused = await c.ask(line, 1);
        expect(refused).toMatchObject({ type: "error", code: 12, in_reply_to: 1 });
        expect(refused.text).toMatch(new RegExp(`^tcp [^ ]+:1: field "body\\.value": ${TOO_DEEP}$`));
        // The same connection still works.
        const after = await c.ask(`{"src":"${src}","dest":"${id}","body":{"type":"write","msg_id":2,"key":"after","value":1,"client_id":"${src}","seq":1}}`, 2);
        if (role === "leader") expect(after).toEqual({ type: "write_ok", in_reply_to: 2 });
        else expect(after).toMatchObject({ type: "error", code: 11, leader });
      } finally {
        c.close();
      }
    }
    // Every node is still up, and the cluster still commits writes.
    for (const id of cluster.ids) expect(cluster.children.get(id)!.exitCode).toBeNull();
    const c = await TcpClient.connect(cluster.portOf(leader), "after-all");
    try {
      expect(await c.request({ type: "write", key: "k", value: [[1]], client_id: "after-all", seq: 1 }, 10_000)).toMatchObject({ type: "write_ok" });
      expect(await c.request({ type: "read", key: "k" }, 10_000)).toMatchObject({ type: "read_ok", value: [[1]] });
    } finally {
      c.close();
    }
    expect(cluster.children.get(leader)!.stderrLines.join("\n")).toContain(TOO_DEEP);
  }, 60_000);
});

describe("kv-node: a too-deep line on stdin", () => {
  afterEach(killAll);

  it("is answered with error 12 naming the bound, and the process keeps running and answering", async () => {
    const child = spawnTracked([KV_NODE_BIN]);
    const out = new LineReader(child.stdout!);
    const send = (line: string) => child.stdin!.write(`${line}\n`);
    send('{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}');
    await out.next((m) => m.body.in_reply_to === 1, 10_000, "init_ok");

    send(`{"src":"c1","dest":"n1","body":{"type":"write","msg_id":2,"key":"x","value":${brackets},"client_id":"c1","seq":1}}`);
    const refused = await out.next((m) => m.body.in_reply_to === 2, 10_000, "the reply to the deep write");
    expect(refused).toMatchObject({ src: "n1", dest: "c1", body: { type: "error", code: 12 } });
    expect(refused.body.text).toBe(`stdin:2: field "body.value": ${TOO_DEEP}`);

    send('{"src":"c1","dest":"n1","body":{"type":"write","msg_id":3,"key":"x","value":1,"client_id":"c1","seq":1}}');
    expect((await out.next((m) => m.body.in_reply_to === 3, 10_000, "write_ok")).body).toEqual({ type: "write_ok", in_reply_to: 3, msg_id: expect.any(Number) });
    send('{"src":"c1","dest":"n1","body":{"type":"read","msg_id":4,"key":"x"}}');
    expect((await out.next((m) => m.body.in_reply_to === 4, 10_000, "read_ok")).body).toEqual({ type: "read_ok", value: 1, in_reply_to: 4, msg_id: expect.any(Number) });
    expect(child.exitCode).toBeNull();
    expect(child.stderrLines.join("\n")).toContain(`bad input stdin:2: field "body.value": ${TOO_DEEP} (answered with error 12)`);
  }, 30_000);
});
