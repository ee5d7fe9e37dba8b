/**
 * The bridge between the runner and the submission's host (`grader test
 * --isolate`): a real host process on real pipes, importing a module of
 * "student" code from a temporary directory, called from the test as the
 * checks call it.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { createPrng } from "@dslab/protocol";
import { BridgeProtocolError } from "../../src/test-run/bridge.js";
import { openHostPipes, startSubmissionHost, type SubmissionHost } from "../../src/test-run/submission-host.js";

const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;
const work = mkdtempSync(join(tmpdir(), "dslab-bridge-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const STUDENT = `
import { writeSync } from "node:fs";
export const LIMIT = 7;
export function echo(x: unknown) {
  return { x, frozen: Object.isFrozen(x), nullProto: x !== null && typeof x === "object" && Object.getPrototypeOf(x) === null };
}
export class Counter {
  n = 0;
  get double() { return this.n * 2; }
  inc(by = 1) { this.n += by; return this.n; }
}
export function push(list: unknown[], x: unknown) { list.push(x); }
export function bump(o: { n: number }) { o.n++; }
export class Store {
  state: { sessions: Record<string, number> };
  constructor(state?: { sessions: Record<string, number> }) { this.state = state ?? { sessions: {} }; }
}
export class Tracker {
  constructor(private readonly sessions: Record<string, number>) {}
  add(k: string) { this.sessions[k] = 1; }
}
export function draw(prng: { int(a: number, b: number): number }, n: number) {
  return Array.from({ length: n }, () => prng.int(0, 1000));
}
export async function twice(f: (x: number) => Promise<number>) { return (await f(1)) + (await f(2)); }
export function fail(kind: string) {
  if (kind === "type") return (null as unknown as { x: number }).x;
  const e = new Error("not implemented yet: decide") as Error & { fn: string };
  e.name = "NotImplementedError";
  e.fn = "decide";
  throw e;
}
export function peek(f: () => unknown, o: Record<string, unknown>) {
  let set = "set";
  try { o.x = 1; } catch (e) { set = (e as Error).message; }
  return { source: Function.prototype.toString.call(f), ctor: typeof o.constructor, proto: Object.getPrototypeOf(o), set, called: (o.now as () => number)() };
}
export function quit() { process.exit(3); }
export function scribble() { writeSync(4, "garbage that is no message of the bridge\\n"); return 1; }
export function say() { console.log("hello from the code"); return 0; }
`;
const module = join(work, "student.mts");
writeFileSync(module, STUDENT);

interface Started {
  host: SubmissionHost;
  ended: Array<{ host: ChildProcess; broken: string | undefined }>;
  m: Record<string, any>;
}
const started: Started[] = [];
afterEach(() => {
  for (const s of started.splice(0)) {
    s.host.close();
    s.ended[0]?.host.kill();
  }
});

async function start(): Promise<Started> {
  const dir = mkdtempSync(join(work, "pipes-"));
  const ended: Started["ended"] = [];
  const host = startSubmissionHost(openHostPipes(dir), { execArgv: ["--import", TSX], onEnded: (h, broken) => ended.push({ host: h, broken }) });
  const m = (await host.importModule(module)) as Record<string, any>;
  const s = { host, ended, m };
  started.push(s);
  return s;
}

describe("the bridge to the submission's host", () => {
  it("imports a module in the host: its data as copies, its functions and classes as proxies", async () => {
    const { m } = await start();
    expect(m.LIMIT).toBe(7);
    expect(typeof m.echo).toBe("function");
    expect(Object.keys(m)).toContain("Counter");
  });

  it("copies plain data both ways: special numbers, bigints, Maps, Sets, Dates, frozen and null-prototype objects", async () => {
    const { m } = await start();
    const value = { nan: NaN, inf: -Infinity, negZero: -0, big: 12345678901234567890n, none: undefined, map: new Map([["a", 1]]), set: new Set([1, 2]), at: new Date(5), deep: [[{ k: "v" }]] };
    const r = m.echo(value);
    expect(r.x.nan).toBeNaN();
    expect(r.x.inf).toBe(-Infinity);
    expect(Object.is(r.x.negZero, -0)).toBe(true);
    expect(r.x.big).toBe(12345678901234567890n);
    expect("none" in r.x).toBe(true);
    expect(r.x.map).toEqual(new Map([["a", 1]]));
    expect(r.x.set).toEqual(new Set([1, 2]));
    expect(r.x.at).toEqual(new Date(5));
    expect(r.x.deep).toEqual([[{ k: "v" }]]);
    expect(m.echo(Object.freeze({ a: 1 })).frozen).toBe(true);
    expect(m.echo(Object.create(null)).nullProto).toBe(true);
  });

  it("a class of the submission's: new, its methods, getters and fields, through a proxy", async () => {
    const { m } = await start();
    const c = new m.Counter();
    expect(c.inc()).toBe(1);
    expect(c.inc(4)).toBe(5);
    expect(c.n).toBe(5);
    expect(c.double).toBe(10);
    c.n = 20;
    expect(c.inc()).toBe(21);
  });

  it("an argument the submission's code changes in place is changed on the grader's side too", async () => {
    const { m } = await start();
    const list = [1];
    m.push(list, 2);
    expect(list).toEqual([1, 2]);
    const o = { n: 1 };
    m.bump(o);
    expect(o.n).toBe(2);
  });

  it("an object the grader hands back keeps its identity: two of the submission's objects share it, as in one process", async () => {
    const { m } = await start();
    const store = new m.Store();
    const tracker = new m.Tracker(store.state.sessions);
    tracker.add("c1");
    expect(store.state.sessions).toEqual({ c1: 1 });
  });

  it("a seeded PRNG crosses as its state: the same draws as in one process, and the grader's generator moves on with them", async () => {
    const { m } = await start();
    const there = createPrng("bridge-seed");
    const here = createPrng("bridge-seed");
    expect(m.draw(there, 5)).toEqual(Array.from({ length: 5 }, () => here.int(0, 1000)));
    expect(there.next()).toBe(here.next());
    expect(m.draw(there, 3)).toEqual(Array.from({ length: 3 }, () => here.int(0, 1000)));
  });

  it("promises cross both ways: an async function of the submission's awaits the grader's", async () => {
    const { m } = await start();
    const slow = async (x: number): Promise<number> => {
      await new Promise((r) => setTimeout(r, 5));
      return x * 10;
    };
    await expect(m.twice(slow)).resolves.toBe(30);
  });

  it("an error keeps its kind, its message and its fields", async () => {
    const { m } = await start();
    expect(() => m.fail("type")).toThrow(TypeError);
    let caught: unknown;
    try {
      m.fail("todo");
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ name: "NotImplementedError", message: "not implemented yet: decide", fn: "decide" });
    expect(String((caught as Error).stack)).toContain("student.mts");
  });

  it("the submission's code cannot read the grader's functions, reach their constructors or change the grader's objects", async () => {
    const { m } = await start();
    const secret = (): string => "SECRET-BODY-OF-A-HIDDEN-TEST";
    const clock = { secret: "S", now(): number { return 42; } };
    const r = m.peek(secret, clock);
    expect(r.source).not.toContain("SECRET-BODY");
    expect(r.ctor).toBe("undefined");
    expect(r.proto).toBeNull();
    expect(r.set).toMatch(/cannot set x on the grader's object/);
    expect(r.called).toBe(42);
    expect("x" in clock).toBe(false);
  });

  it("what the submission's code prints is kept for the test's report", async () => {
    const { host, m } = await start();
    host.output();
    m.say();
    expect(host.output()).toContain("hello from the code");
    expect(host.output()).toBe("");
  });

  it("a host that ends in the middle of a call ends the bridge, and the runner hears of it", async () => {
    const { m, ended } = await start();
    expect(() => m.quit()).toThrow(BridgeProtocolError);
    expect(ended).toHaveLength(1);
    expect(ended[0]!.broken).toBeUndefined();
  });

  it("code that writes into the bridge's pipe breaks the bridge, and the runner is told what came", async () => {
    const { m, ended } = await start();
    expect(() => m.scribble()).toThrow(BridgeProtocolError);
    expect(ended).toHaveLength(1);
    expect(ended[0]!.broken).toMatch(/a message of \d+ bytes \(the most is \d+\)/);
  });
});

