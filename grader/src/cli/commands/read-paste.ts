// Reads a paste from disk without ever loading more than the size bound.
import { open } from "node:fs/promises";

export async function readBounded(file: string, maxBytes: number): Promise<{ data: Uint8Array; sizeBytes: number }> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) return { data: new Uint8Array(0), sizeBytes: size };
    const data = new Uint8Array(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(data, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return { data: data.subarray(0, read), sizeBytes: read };
  } finally {
    await handle.close();
  }
}
