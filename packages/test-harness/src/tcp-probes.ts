/**
 * TCP helpers the real-guest tests share: a free port to put in a guest's user data before anything
 * listens on it, and one connection attempt from a chosen local address (how a thin client outside
 * or inside an allowed block sees a security group).
 */
import * as net from "node:net";

/** What one connection attempt saw: a security group's DROP is a timeout, a closed port is refused. */
export type ProbeOutcome = "connected" | "refused" | "timeout";

/** A free TCP port on an address (a URL carrying it goes into user data before the server listens). */
export async function freePort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One TCP connection attempt from a given local address. */
export function probeFrom(localAddress: string, host: string, port: number, timeoutMs = 5000): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, localAddress });
    const done = (o: ProbeOutcome) => {
      sock.destroy();
      resolve(o);
    };
    sock.setTimeout(timeoutMs, () => done("timeout"));
    sock.on("connect", () => done("connected"));
    sock.on("error", (e: NodeJS.ErrnoException) => done(e.code === "ECONNREFUSED" ? "refused" : "timeout"));
  });
}
