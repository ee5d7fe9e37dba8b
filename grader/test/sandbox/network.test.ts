// A run's network: a namespace of its own where only loopback exists, so it
// reaches neither the machine's other interfaces nor a server the grader
// listens on (all addresses used here are loopback).
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSandboxed, type SandboxLayout } from "../../src/sandbox/index.js";
import { caps, LIMITS, layoutWith } from "./helpers.js";

// Prints the interfaces it sees, whether it reached the grader's port, and whether it can talk to itself on loopback.
const PROBE = `
const net = require("node:net");
const os = require("node:os");
const port = Number(process.argv[2]);
const result = { interfaces: Object.keys(os.networkInterfaces()).sort() };
const outer = net.connect({ host: "127.0.0.1", port });
outer.setTimeout(3000, () => outer.destroy(new Error("timeout")));
outer.on("connect", () => { result.grader = "reached"; outer.end(); });
outer.on("error", (e) => { result.grader = e.code || e.message; });
outer.on("close", () => {
  const server = net.createServer((s) => s.end("pong")).listen(0, "127.0.0.1", () => {
    const c = net.connect(server.address().port, "127.0.0.1");
    c.on("data", (d) => { result.self = String(d); });
    c.on("error", (e) => { result.self = e.code; });
    c.on("close", () => { server.close(); console.log(JSON.stringify(result)); });
  });
});
`;

describe.skipIf(!caps.netns)("the run's network namespace", () => {
  let layout: SandboxLayout;
  let server: Server;
  let port: number;
  beforeAll(async () => {
    layout = await layoutWith({ "net.cjs": PROBE });
    server = createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await layout?.cleanup();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("has only loopback: it talks to itself there but cannot reach a port the grader listens on", async () => {
    const r = await runSandboxed({ command: process.execPath, args: ["net.cjs", String(port)], cwd: layout.workDir, env: layout.env, limits: LIMITS });
    expect(r.status, r.stderr).toBe("ok");
    expect(JSON.parse(r.stdout)).toEqual({ interfaces: ["lo"], grader: "ECONNREFUSED", self: "pong" });
    expect(r.mechanisms.network).toBe("a network namespace of its own: loopback only");
  });

  it("reaches the grader's port with the namespace turned off (so the test above can tell)", async () => {
    const r = await runSandboxed({ command: process.execPath, args: ["net.cjs", String(port)], cwd: layout.workDir, env: layout.env, limits: LIMITS, use: { netns: false } });
    expect(r.status, r.stderr).toBe("ok");
    expect(JSON.parse(r.stdout)).toMatchObject({ grader: "reached", self: "pong" });
  });
});
