/**
 * A small forward proxy that lets guests (which have no route beyond the host) reach Debian's
 * package mirrors, and nothing else. It runs inside the test process, bound to a lab network's
 * gateway address, so it ends with the test and changes nothing on the host (no ip_forward, no
 * NAT rules). Plain HTTP requests are forwarded; HTTPS goes through CONNECT tunnels. Only hosts
 * under debian.org are allowed: apt, and cloud-init's `packages:`/`apt:` modules, need no more.
 */
import * as http from "node:http";
import * as net from "node:net";

const ALLOWED_HOST = /(^|\.)debian\.org$/i;

export interface AptProxy {
  /** "http://10.200.0.1:3142" — what apt's Acquire::http::Proxy takes. */
  url: string;
  /** Requests served so far (for tests and diagnostics). */
  requests: () => number;
  close: () => Promise<void>;
}

export async function startAptProxy(listenAddress: string, port = 3142): Promise<AptProxy> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = http.createServer((request, response) => {
    count++;
    let target: URL;
    try {
      target = new URL(request.url ?? "");
    } catch {
      response.writeHead(400).end("absolute URL expected (this is a forward proxy)\n");
      return;
    }
    if (target.protocol !== "http:" || !ALLOWED_HOST.test(target.hostname)) {
      response.writeHead(403).end(`test-host apt proxy: only http://*.debian.org is allowed, not ${target.origin}\n`);
      return;
    }
    const headers: http.OutgoingHttpHeaders = { ...request.headers, host: target.host };
    delete headers["proxy-connection"];
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port || 80,
        path: `${target.pathname}${target.search}`,
        method: request.method,
        headers,
      },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    upstream.on("error", (error) => {
      if (!response.headersSent) response.writeHead(502);
      response.end(`upstream error: ${error.message}\n`);
    });
    request.pipe(upstream);
  });
  server.on("connect", (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    count++;
    const [host, portText] = (request.url ?? "").split(":");
    if (!host || !ALLOWED_HOST.test(host) || portText !== "443") {
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = net.connect(443, host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const closeBoth = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on("error", closeBoth);
    client.on("error", closeBoth);
  });
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, listenAddress, () => resolve());
  });
  // A test that forgets cleanup() must not keep mocha alive forever because of the proxy.
  server.unref();
  return {
    url: `http://${listenAddress}:${port}`,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** apt configuration that sends guests' downloads (http and https) through the proxy. */
export function aptProxyConfig(proxyUrl: string): string {
  return [
    "// Written by the test-host library: guests reach Debian's mirrors only through the host's proxy.",
    `Acquire::http::Proxy "${proxyUrl}";`,
    `Acquire::https::Proxy "${proxyUrl}";`,
    "",
  ].join("\n");
}
