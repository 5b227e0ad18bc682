/**
 * A loopback TCP proxy in front of a node: a second "endpoint" of the same chain for failover tests, which can be
 * killed (listener closed, every open connection reset) while the node behind it keeps running.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface ProxyHandle {
  url: string;
  port: number;
  /** Stops accepting and resets every open connection, as a crashed node or a cut link would. */
  kill(): Promise<void>;
}

/** Starts a TCP proxy on a free loopback port that forwards every connection to `target` (http://host:port). */
export async function startProxy(target: string): Promise<ProxyHandle> {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(targetPort), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("proxy: no listening address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    kill: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.resetAndDestroy();
      }),
  };
}
