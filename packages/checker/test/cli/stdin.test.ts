/**
 * Reading standard input (`history-check -`) from a real stream: bytes are
 * counted as they come, and the input is refused once past the limit,
 * without reading the rest.
 */
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readStdin } from "../../src/cli/check-files.js";

describe("readStdin", () => {
  it("reads a stream in chunks to its end, as one buffer", async () => {
    const r = await readStdin(Readable.from([Buffer.from("{:type "), Buffer.from(":invoke}"), "\n"]), 100);
    expect(r).toEqual({ bytes: Buffer.from("{:type :invoke}\n") });
  });

  it("refuses input past the byte limit as it streams in, and reads no further", async () => {
    let pulled = 0;
    function* chunks() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield Buffer.alloc(10, 0x20);
      }
    }
    const r = await readStdin(Readable.from(chunks()), 25);
    expect(r).toEqual({ error: "cannot read standard input: too large: more than 25 bytes (limit 25 bytes)" });
    expect(pulled).toBeLessThan(100);
  });

  it("reports a stream that fails as input it cannot read", async () => {
    const stream = new Readable({
      read() {
        this.destroy(Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" }));
      },
    });
    expect(await readStdin(stream, 100)).toEqual({ error: "cannot read standard input: EIO: i/o error, read" });
  });
});
