/**
 * `@dslab/protocol/cli` is imported by every command before it parses its
 * arguments, so it loads only its own files and the built-ins every command
 * uses anyway: `node:crypto` (the probe name of prepareOutDir) waits until an
 * output directory is checked.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { modulesLoadedBy } from "@dslab/protocol/testing";

const ENTRY = fileURLToPath(new URL("../src/cli/index.ts", import.meta.url));
const OWN = fileURLToPath(new URL("../src/cli/", import.meta.url));

describe("@dslab/protocol/cli at start-up", () => {
  it("imports only its own modules and node:fs, node:util and node:path", () => {
    const r = modulesLoadedBy(ENTRY, []);
    expect(r.code).toBe(0);
    const others = r.modules.filter((m) => !m.startsWith(OWN));
    expect(others.sort()).toEqual(["node:fs", "node:path", "node:util"]);
  });
});
