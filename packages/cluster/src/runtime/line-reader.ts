/**
 * Splits one connection's bytes into lines, counting exactly the bytes it
 * holds (the unfinished line), so the shell can bound the input buffered
 * over all connections. The bound on one line may change while the
 * connection lives (a peer that proved the cluster secret may send longer
 * lines). A line past the bound is not buffered: its bytes are skipped up to
 * the next newline and reported once, as an oversized line.
 */
import type { RawLine } from "./inbound.js";

export class ConnectionLineReader {
  /** The unfinished line, as the chunks it arrived in. */
  private parts: Buffer[] = [];
  private held = 0;
  private skipping = false;
  private lineNumber = 0;

  constructor(public maxLineBytes: number) {}

  /** Bytes of the unfinished line held in memory. */
  get bufferedBytes(): number {
    return this.held;
  }

  push(chunk: Buffer): RawLine[] {
    const out: RawLine[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) break;
      this.lineNumber++;
      if (this.skipping || this.held + (nl - start) > this.maxLineBytes) {
        this.skipping = false;
        this.drop();
        out.push({ line: "", lineNumber: this.lineNumber, oversized: true });
      } else {
        this.parts.push(chunk.subarray(start, nl));
        let line = (this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts)).toString("utf8");
        this.drop();
        if (line.endsWith("\r")) line = line.slice(0, -1);
        out.push({ line, lineNumber: this.lineNumber, oversized: false });
      }
      start = nl + 1;
    }
    if (start < chunk.length && !this.skipping) {
      const rest = chunk.length - start;
      if (this.held + rest > this.maxLineBytes) {
        this.drop();
        this.skipping = true;
      } else {
        // A copy: the socket's chunk may be a slice of a larger buffer we should not pin.
        this.parts.push(Buffer.from(chunk.subarray(start)));
        this.held += rest;
      }
    }
    return out;
  }

  /** What is left when the stream ends, as a last line (no newline needed). */
  end(): RawLine[] {
    if (this.skipping) {
      this.skipping = false;
      return [{ line: "", lineNumber: ++this.lineNumber, oversized: true }];
    }
    if (this.held === 0) return [];
    const line = Buffer.concat(this.parts).toString("utf8");
    this.drop();
    return [{ line, lineNumber: ++this.lineNumber, oversized: false }];
  }

  /** Forget the unfinished line (the connection is closing). */
  drop(): void {
    this.parts = [];
    this.held = 0;
  }
}
