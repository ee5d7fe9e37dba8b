// Reads a paste from disk without ever loading more than the size bound, and
// without waiting on anything that is not a regular file: a FIFO or a device
// is refused from its type before a byte is read.
import { openRegular } from "../../fs/read-regular.js";

export async function readBounded(file: string, maxBytes: number): Promise<{ data: Uint8Array; sizeBytes: number }> {
  const { handle, size } = await openRegular(file);
  try {
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
