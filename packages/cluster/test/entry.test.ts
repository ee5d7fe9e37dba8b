/**
 * The package entry point (other packages import only through it) exports every error a caller may need to catch by class.
 */
import { describe, expect, test } from "vitest";
import * as cluster from "../src/index.js";

describe("@dslab/cluster entry point", () => {
  test.each(["StorageError", "StorageCorruptError", "StorageFormatError", "StorageIoError", "StorageLockedError", "SnapshotFormatError"] as const)("exports %s, so callers can catch it by class", (name) => {
    expect(typeof (cluster as Record<string, unknown>)[name]).toBe("function");
  });
});
