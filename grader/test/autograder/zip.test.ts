// The zip writer and reader: what goes in comes out, byte for byte, with its
// permissions; the same entries make the same zip.
import { describe, expect, it } from "vitest";
import { crc32, readZip, writeZip } from "../../src/autograder/zip.js";

describe("zip", () => {
  it("computes the CRC-32 of the standard check string", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });

  it("reads back every entry, deflated or stored, with its mode, and writes the same bytes twice", () => {
    const entries = [
      { path: "run_autograder", data: Buffer.from("#!/usr/bin/env bash\necho hi\n"), mode: 0o755 },
      { path: "source/big.txt", data: Buffer.from("idempotent ".repeat(10_000)), mode: 0o644 },
      { path: "source/random.bin", data: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)), mode: 0o644 },
      { path: "source/ünïcode name.md", data: Buffer.alloc(0), mode: 0o644 },
    ];
    const zip = writeZip(entries);
    expect(zip.length).toBeLessThan(entries.reduce((s, e) => s + e.data.length, 0));
    expect(readZip(zip)).toEqual(entries);
    expect(writeZip(entries).equals(zip)).toBe(true);
  });

  it("refuses paths a zip must not hold, and a damaged archive", () => {
    for (const path of ["/etc/passwd", "../x", "a//b", "a\\b", ""]) expect(() => writeZip([{ path, data: Buffer.alloc(1), mode: 0o644 }]), path).toThrow(/not a relative path/);
    expect(() => writeZip([{ path: "a", data: Buffer.alloc(1), mode: 0o644 }, { path: "a", data: Buffer.alloc(1), mode: 0o644 }])).toThrow(/twice/);
    const zip = writeZip([{ path: "a.txt", data: Buffer.from("hello hello hello"), mode: 0o644 }]);
    const damaged = Buffer.from(zip);
    damaged[35] = damaged[35]! ^ 0xff;
    expect(() => readZip(damaged)).toThrow(/a\.txt/);
    expect(() => readZip(Buffer.from("not a zip at all, just text"))).toThrow(/not a zip/);
  });
});
