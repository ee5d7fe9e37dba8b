/**
 * `kv --help` and `kv --version` start without the client: the help reads
 * the defaults from src/defaults.ts and src/backoff.ts, and the retrying
 * client, the sockets and the protocol codec are imported only for an
 * operation or `status`.
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { modulesLoadedBy } from "@dslab/protocol/testing";

const ENTRY = fileURLToPath(new URL("../../src/cli/kv.ts", import.meta.url));
const PACKAGES = fileURLToPath(new URL("../../../", import.meta.url));

describe("kv start-up", () => {
  it.each([["--help"], ["--version"]])("kv %s imports only the shell, the argument parsing, the client's defaults, the shared CLI module and the JSON number checks", (flag) => {
    const r = modulesLoadedBy(ENTRY, [flag]);
    expect(r.code, r.stderr).toBe(0);
    const files = r.modules.filter((m) => !m.startsWith("node:")).map((m) => relative(PACKAGES, m));
    expect(files.sort()).toEqual([
      "client/src/backoff.ts",
      "client/src/cli/args.ts",
      "client/src/cli/kv.ts",
      "client/src/cli/main.ts",
      "client/src/defaults.ts",
      "protocol/src/cli/directory.ts",
      "protocol/src/cli/index.ts",
      "protocol/src/cli/out-dir.ts",
      "protocol/src/finite-json.ts",
    ]);
    expect(r.modules).not.toContain("node:net");
  });
});
