/**
 * Listeners on 127.0.0.1 (port 0) that stand in for nodes in the client's
 * tests: each test scripts what its node does with a connection or with each
 * request line, and `close()` (after each test) ends every connection and
 * listener they made.
 */
import net from "node:net";

export class FakeNodes {
  private readonly servers: net.Server[] = [];
  /** Every connection accepted and not yet closed by `close()`, in the order accepted. */
  readonly sockets = new Set<net.Socket>();

  /** A listener that hands each connection to `onConnection` (its errors ignored). Resolves to its port. */
  async listen(onConnection: (socket: net.Socket) => void): Promise<number> {
    const server = net.createServer((s) => {
      this.sockets.add(s);
      s.on("error", () => {});
      onConnection(s);
    });
    this.servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return (server.address() as net.AddressInfo).port;
  }

  /** A listener that calls `onLine` with each whole line a connection sends (without its newline). Resolves to its port. */
  lines(onLine: (line: string, socket: net.Socket) => void): Promise<number> {
    return this.listen((s) => {
      s.setEncoding("utf8");
      let buf = "";
      s.on("data", (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          onLine(line, s);
        }
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    for (const s of this.servers.splice(0)) await new Promise<void>((r) => s.close(() => r()));
  }
}
