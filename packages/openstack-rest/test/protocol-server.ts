/**
 * A local node:http server the tests script per route, to exercise THIS client's protocol
 * handling (paging, retries, re-auth, error shapes, streaming). It is not OpenStack: the
 * behaviour against real services is proven by the minicloud integration suites.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void | Promise<void>;

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class ProtocolServer {
  readonly requests: RecordedRequest[] = [];
  private routes: { method: string; match: RegExp; handler: Handler }[] = [];
  private server = http.createServer((req, res) => void this.dispatch(req, res));
  /** When set, request bodies are not buffered for this route (streaming tests). */
  streamingRoutes: RegExp[] = [];
  url = "";

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  on(method: string, match: RegExp, handler: Handler): this {
    this.routes.unshift({ method, match, handler });
    return this;
  }

  /** Keystone that issues tokens tok-1, tok-2, … valid for `lifetimeMs`, with a catalog pointing back here. */
  keystone(lifetimeMs = 3600_000): this {
    let n = 0;
    return this.on("POST", /^\/v3\/auth\/tokens$/, (_req, res) => {
      n++;
      res.writeHead(201, {
        "Content-Type": "application/json",
        "X-Subject-Token": `tok-${n}`,
        "X-Openstack-Request-Id": `req-auth-${n}`,
      });
      const ep = (type: string, path: string) => ({
        type,
        endpoints: [
          { interface: "public", region_id: "RegionOne", url: `${this.url}${path}` },
          { interface: "internal", region_id: "RegionOne", url: `${this.url}/internal${path}` },
          { interface: "public", region_id: "RegionTwo", url: `${this.url}/r2${path}` },
        ],
      });
      res.end(
        JSON.stringify({
          token: {
            expires_at: new Date(Date.now() + lifetimeMs).toISOString(),
            issued_at: new Date().toISOString(),
            project: { id: "p1", name: "demo" },
            user: { id: "u1", name: "alice" },
            roles: [{ name: "member" }],
            catalog: [ep("compute", "/compute/v2.1"), ep("image", "/image"), ep("network", "/network")],
          },
        }),
      );
    });
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = req.url ?? "/";
    const route = this.routes.find((r) => r.method === req.method && r.match.test(path.split("?")[0]));
    const streaming = this.streamingRoutes.some((r) => r.test(path));
    const chunks: Buffer[] = [];
    if (!streaming) for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    this.requests.push({ method: req.method ?? "", url: path, headers: req.headers, body });
    if (!route) {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ itemNotFound: { code: 404, message: `no route ${req.method} ${path}` } }));
      return;
    }
    await route.handler(req, res, body);
  }
}
