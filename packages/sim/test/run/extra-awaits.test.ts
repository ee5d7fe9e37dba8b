/**
 * The seed alone decides a history, not how many microtask turns the
 * simulated code takes: the client's retry path and the workload driver's
 * path, each made longer by chains of extra `await`s of varying depth
 * (through the client factory seam, as `--client` plugs in any client), give
 * the same history byte for byte. A client that waits on real time instead
 * stops the run with an error that names it.
 */
import { describe, expect, test } from "vitest";
import { writeHistoryJson } from "@dslab/checker";
import { KvClient, type ClientOptions, type Operation } from "@dslab/client";
import { createPrng } from "@dslab/protocol";
import { runInProcess } from "../../src/run/in-process.js";
import { DEFAULT_CONFIG, type RunConfig } from "../../src/run/config.js";
import { FAULT_KINDS } from "../../src/nemesis/schedule.js";
import type { ClientFactory } from "../../src/run/load-client.js";
import { SimTaskStuckError } from "../../src/world/scheduler.js";

/** `depth` extra microtask turns. */
async function turns(depth: number): Promise<void> {
  for (let i = 0; i < depth; i++) await Promise.resolve();
}

/**
 * The reference client with `maxDepth`-bounded chains of extra awaits
 * (depths drawn from their own PRNG, so every path gets a different length)
 * around each backoff sleep and each request (the retry path), and around
 * each `execute` (the driver's await of the operation and what it does after).
 */
function withExtraAwaits(maxDepth: number): ClientFactory {
  const depths = createPrng(`extra-awaits/${maxDepth}`);
  const depth = (): number => depths.int(0, maxDepth);
  return (options: ClientOptions) => {
    const sleep = options.sleep!;
    const transport = options.transport;
    const client = new KvClient({
      ...options,
      sleep: async (ms) => {
        await turns(depth());
        await sleep(ms);
        await turns(depth());
      },
      transport: {
        send: async (node, body, timeoutMs) => {
          await turns(depth());
          try {
            return await transport.send(node, body, timeoutMs);
          } finally {
            await turns(depth());
          }
        },
        canReach: (node) => transport.canReach?.(node) ?? false,
      },
    });
    const execute = client.execute.bind(client);
    client.execute = async (op: Operation) => {
      await turns(depth());
      const result = await execute(op);
      await turns(depth());
      return result;
    };
    return client;
  };
}

const config = (seed: string, workload: RunConfig["workload"], nodes = 3): RunConfig => ({
  ...DEFAULT_CONFIG,
  seed,
  workload,
  nodes,
  timeLimitS: 6,
  concurrency: 12,
  nemesis: [...FAULT_KINDS],
});

describe("a history does not depend on how many microtask turns the client and the driver take", () => {
  test.each([
    ["exactly-once", 3],
    ["lin-kv", 3],
    ["sessions", 5],
  ] as const)("%s, %i nodes, every fault: extra awaits of depth up to 1, 8 and 40 in the retry path and the driver give the same history", async (workload, nodes) => {
    const plain = await runInProcess(config("77", workload, nodes));
    const history = writeHistoryJson(plain.history);
    expect(plain.results!.ops.invoked).toBeGreaterThan(100);
    // More requests than operations: retries happened, so the retry path was exercised.
    expect(plain.driver.stats.attempts).toBeGreaterThan(plain.results!.ops.invoked + 20);
    for (const maxDepth of [1, 8, 40]) {
      const deeper = await runInProcess(config("77", workload, nodes), { createClient: withExtraAwaits(maxDepth) });
      expect(writeHistoryJson(deeper.history)).toBe(history);
      expect(deeper.applied).toEqual(plain.applied);
    }
  });
});

describe("simulated code may wait only on the simulation", () => {
  test("a client whose backoff sleeps on a real timer stops the run with an error naming its worker and client", async () => {
    const realSleep: ClientFactory = (options) =>
      new KvClient({ ...options, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5))) });
    const err = await runInProcess({ ...config("5", "lin-kv"), nemesis: ["partition", "kill"] }, { createClient: realSleep }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SimTaskStuckError);
    expect((err as Error).message).toMatch(/^worker \d+ \(client c\d+\) is waiting on something the simulation does not resolve/);
  });
});
