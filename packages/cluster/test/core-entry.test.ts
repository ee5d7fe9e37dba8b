/**
 * The pure core's entry point loads no IO: every module reachable from
 * src/core.ts through static and dynamic imports is walked, and none may
 * import a Node module that touches the outside world, or a package other
 * than the protocol's IO-free main entry.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../src");
const FORBIDDEN = /^(node:)?(fs|fs\/promises|net|http|https|http2|child_process|dgram|tls|cluster|worker_threads|readline|process)$/;
const ALLOWED_PACKAGES = new Set(["@dslab/protocol"]);
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every module reachable from `entry`, with what each imports from outside the package. */
function walk(entry: string, root = SRC): { modules: string[]; external: Array<{ from: string; specifier: string }> } {
  const seen = new Set<string>();
  const external: Array<{ from: string; specifier: string }> = [];
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(IMPORT)) {
      const specifier = (m[1] ?? m[2])!;
      if (/^import\s+type\b|^export\s+type\b/.test(m[0].trim())) continue;
      if (specifier.startsWith(".")) queue.push(join(dirname(file), specifier.replace(/\.js$/, ".ts")));
      else external.push({ from: file.slice(root.length + 1), specifier });
    }
  }
  return { modules: [...seen].map((f) => f.slice(root.length + 1)).sort(), external };
}

describe("the pure core's entry point (@dslab/cluster/core)", () => {
  const { modules, external } = walk(join(SRC, "core.ts"));

  test("reaches Raft, the state machine and the node, and none of the shells or storage", () => {
    expect(modules).toEqual(expect.arrayContaining(["raft/raft.ts", "state-machine/kv-state-machine.ts", "state-machine/session-table.ts", "node/core.ts"]));
    expect(modules.filter((m) => /^(runtime|http|storage|cli|testing)\//.test(m))).toEqual([]);
  });

  test("imports no Node module that does IO, and no package but the protocol", () => {
    const bad = external.filter(({ specifier }) => FORBIDDEN.test(specifier) || (!specifier.startsWith("node:") && !ALLOWED_PACKAGES.has(specifier)));
    expect(bad).toEqual([]);
  });

  test("the protocol's main entry, which the core imports, does no IO either", () => {
    const protocolSrc = resolve(SRC, "../../protocol/src");
    const protocol = walk(join(protocolSrc, "index.ts"), protocolSrc);
    expect(protocol.modules).toContain("errors.ts");
    expect(protocol.external.filter(({ specifier }) => FORBIDDEN.test(specifier) || !specifier.startsWith("node:"))).toEqual([]);
  });

  test("the walk sees real imports: it finds the ones the shells make", () => {
    const shell = walk(join(SRC, "index.ts"));
    expect(shell.external.some(({ specifier }) => FORBIDDEN.test(specifier))).toBe(true);
  });

  test("loads, and runs a one-node cluster with no IO", async () => {
    const core = await import("../src/core.js");
    const { createPrng } = await import("@dslab/protocol");
    const node = core.createKvNodeCore({ id: "n1", nodeIds: ["n1"], prng: createPrng(1) }, null);
    const effects = node.receive({ src: "c1", dest: "n1", body: { type: "write", msg_id: 1, key: "k", value: 1 } }, 0);
    expect(effects.send.map((m) => m.body.type)).toEqual(["write_ok"]);
  });
});
