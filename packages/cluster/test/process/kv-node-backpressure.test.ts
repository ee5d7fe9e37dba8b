/**
 * kv-node under a writer faster than the reader of its output: every bad
 * line on stdin is answered (an error line on stdout, a log line on stderr),
 * so two bytes in make a few hundred out. While its output is not taken, the
 * node stops reading stdin rather than queueing the output in memory; once
 * the reader takes it, the node serves on.
 */
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { KV_NODE_BIN, killAll, spawnTracked } from "../../src/testing/processes.js";

afterEach(killAll);

/** Input the test offers the node while nobody reads its stdout. */
const FLOOD_BYTES = 8 * 1024 * 1024;
/** A write the node does not take within this is back-pressure: the flood stops there. */
const STALL_MS = 3000;
/** Far above a node's own footprint, far below the output 8 MiB of bad lines make (several hundred MiB). */
const MAX_RSS_BYTES = 400 * 1024 * 1024;

function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

describe("kv-node back-pressure", () => {
  it.runIf(existsSync("/proc/self/status"))(
    "while its stdout is not read, a flood of bad lines does not grow the node's memory without bound, and it answers once its output is read",
    async () => {
      const child = spawnTracked([KV_NODE_BIN]);
      const stdin = child.stdin!;
      stdin.on("error", () => {});
      let stdout = "";
      child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
      stdin.write('{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"n1","node_ids":["n1"]}}\n');
      const deadline = Date.now() + 15_000;
      while (!stdout.includes('"init_ok"')) {
        if (Date.now() > deadline) throw new Error(`no init_ok within 15 s; stderr: ${child.stderrLines.join(" / ")}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      child.stdout!.pause();

      const chunk = Buffer.from("x\n".repeat(32 * 1024));
      let offered = 0;
      while (offered < FLOOD_BYTES) {
        offered += chunk.length;
        if (stdin.write(chunk)) continue;
        const drained = await new Promise<boolean>((resolve) => {
          const stall = setTimeout(() => resolve(false), STALL_MS);
          stdin.once("drain", () => {
            clearTimeout(stall);
            resolve(true);
          });
        });
        if (!drained) break;
      }
      expect(rssBytes(child.pid!)).toBeLessThan(MAX_RSS_BYTES);

      stdout = "";
      child.stdout!.resume();
      stdin.write('{"src":"c1","dest":"n1","body":{"type":"write","msg_id":2,"key":"k","value":1,"client_id":"c1","seq":1}}\n');
      const answered = Date.now() + 60_000;
      while (!stdout.includes('"write_ok","in_reply_to":2')) {
        if (Date.now() > answered) throw new Error("no write_ok within 60 s of reading the node's output again");
        await new Promise((r) => setTimeout(r, 50));
        // Keep only the tail: the error lines before it are many.
        if (stdout.length > 1 << 20) stdout = stdout.slice(-4096);
      }
      expect(child.exitCode).toBeNull();
    },
    120_000,
  );
});
