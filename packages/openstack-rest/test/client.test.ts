import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import {
  CloudConfig,
  OpenStackClient,
  OpenStackConfigError,
  OpenStackError,
  TransportLogEvent,
  extractServiceMessage,
  findEndpoint,
  loadCloud,
} from "../src";
import { ProtocolServer } from "./protocol-server";

const SECRET = "s3cr3t-Pa55word!";

function cloudFor(url: string, extra: Partial<CloudConfig> = {}): CloudConfig {
  return {
    name: "test",
    interface: "public",
    regionName: "RegionOne",
    auth: {
      authUrl: `${url}/v3`,
      authType: "password",
      username: "alice",
      password: SECRET,
      projectName: "demo",
      userDomainName: "Default",
      projectDomainName: "Default",
    },
    ...extra,
  };
}

describe("openstack-rest client (protocol edge cases against a local scripted server)", () => {
  let srv: ProtocolServer;
  let logs: TransportLogEvent[];
  let client: OpenStackClient;

  beforeEach(async () => {
    srv = await new ProtocolServer().start();
    srv.keystone();
    logs = [];
    client = new OpenStackClient(cloudFor(srv.url), {
      log: (e) => logs.push(e),
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
    });
  });
  afterEach(async () => {
    client.close();
    await srv.stop();
  });

  it("sends a project-scoped password auth and picks the endpoint by type, interface and region", async () => {
    await client.connect();
    const auth = JSON.parse(srv.requests[0].body.toString());
    expect(auth.auth.identity.methods).to.deep.equal(["password"]);
    expect(auth.auth.identity.password.user).to.deep.include({
      name: "alice",
      password: SECRET,
      domain: { name: "Default" },
    });
    expect(auth.auth.scope.project).to.deep.equal({ name: "demo", domain: { name: "Default" } });
    expect(await client.session.endpoint("image")).to.equal(`${srv.url}/image/v2`);
    expect(await client.session.endpoint("network")).to.equal(`${srv.url}/network/v2.0`);
    expect(await client.session.endpoint("compute")).to.equal(`${srv.url}/compute/v2.1`);
    expect(client.session.projectId).to.equal("p1");
  });

  it("uses internal endpoints and other regions when configured", async () => {
    const c2 = new OpenStackClient(cloudFor(srv.url, { interface: "internal" }));
    expect(await c2.session.endpoint("image")).to.equal(`${srv.url}/internal/image/v2`);
    c2.close();
    const c3 = new OpenStackClient(cloudFor(srv.url, { regionName: "RegionTwo" }));
    expect(await c3.session.endpoint("compute")).to.equal(`${srv.url}/r2/compute/v2.1`);
    c3.close();
    expect(() => findEndpoint([{ type: "compute", endpoints: [] }], "image")).to.throw(
      /"image" is not in the catalog \(have: compute\)/,
    );
  });

  it("sends an application-credential auth without scope", async () => {
    const c = new OpenStackClient({
      name: "ac",
      interface: "public",
      auth: {
        authUrl: srv.url,
        authType: "v3applicationcredential",
        applicationCredentialId: "ac1",
        applicationCredentialSecret: SECRET,
      },
    });
    await c.connect();
    const auth = JSON.parse(srv.requests.at(-1)!.body.toString());
    expect(auth).to.deep.equal({
      auth: {
        identity: { methods: ["application_credential"], application_credential: { id: "ac1", secret: SECRET } },
      },
    });
    c.close();
  });

  it("sends the compute microversion header and the token", async () => {
    srv.on("GET", /^\/compute\/v2.1\/servers\/abc$/, (_q, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ server: { id: "abc", name: "x", status: "ACTIVE" } }));
    });
    const s = await client.nova.getServer("abc");
    expect(s.id).to.equal("abc");
    const req = srv.requests.at(-1)!;
    expect(req.headers["openstack-api-version"]).to.equal("compute 2.79");
    expect(req.headers["x-auth-token"]).to.equal("tok-1");
  });

  it("follows tenant_usage_links across pages and merges the totals", async () => {
    srv.on("GET", /^\/compute\/v2.1\/os-simple-tenant-usage\/p1$/, (req, res) => {
      const u = new URL(req.url!, srv.url);
      res.writeHead(200, { "Content-Type": "application/json" });
      if (!u.searchParams.get("marker")) {
        expect(u.searchParams.get("start")).to.equal("2026-01-01T00:00:00");
        expect(u.searchParams.get("end")).to.equal("2026-01-02T00:00:00");
        res.end(
          JSON.stringify({
            tenant_usage: {
              tenant_id: "p1",
              total_hours: 2,
              total_vcpus_usage: 4,
              total_memory_mb_usage: 100,
              total_local_gb_usage: 10,
              server_usages: [{ instance_id: "a", hours: 2 }],
            },
            tenant_usage_links: [
              { rel: "next", href: `${srv.url}/compute/v2.1/os-simple-tenant-usage/p1?end=x&limit=1&marker=a&start=y` },
            ],
          }),
        );
      } else if (u.searchParams.get("marker") === "a") {
        res.end(
          JSON.stringify({
            tenant_usage: {
              tenant_id: "p1",
              total_hours: 1,
              total_vcpus_usage: 1,
              total_memory_mb_usage: 50,
              total_local_gb_usage: 5,
              server_usages: [{ instance_id: "b", hours: 1 }],
            },
            tenant_usage_links: [{ rel: "next", href: `${srv.url}/compute/v2.1/os-simple-tenant-usage/p1?marker=b` }],
          }),
        );
      } else {
        res.end(JSON.stringify({ tenant_usage: {} }));
      }
    });
    const u = await client.nova.projectUsage(
      "p1",
      new Date("2026-01-01T00:00:00Z"),
      new Date("2026-01-02T00:00:00Z"),
      1,
    );
    expect(u.server_usages.map((s) => s.instance_id)).to.deep.equal(["a", "b"]);
    expect(u.total_hours).to.equal(3);
    expect(u.total_vcpus_usage).to.equal(5);
  });

  it("follows Glance `next` links", async () => {
    srv.on("GET", /^\/image\/v2\/images$/, (req, res) => {
      const marker = new URL(req.url!, srv.url).searchParams.get("marker");
      res.writeHead(200, { "Content-Type": "application/json" });
      if (!marker) res.end(JSON.stringify({ images: [{ id: "i1" }], next: "/v2/images?marker=i1" }));
      else res.end(JSON.stringify({ images: [{ id: "i2" }] }));
    });
    const imgs = await client.glance.listImages();
    expect(imgs.map((i) => i.id)).to.deep.equal(["i1", "i2"]);
  });

  it("retries a GET after 503 and a connection reset, with backoff", async () => {
    let n = 0;
    srv.on("GET", /^\/network\/v2.0\/networks$/, (req, res) => {
      n++;
      if (n === 1) {
        res.writeHead(503);
        res.end("busy");
        return;
      }
      if (n === 2) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ networks: [{ id: "n1" }] }));
    });
    const nets = await client.neutron.listNetworks();
    expect(nets.map((x) => x.id)).to.deep.equal(["n1"]);
    expect(n).to.equal(3);
  });

  it("does not retry a POST after 503 (not safe to repeat)", async () => {
    let n = 0;
    srv.on("POST", /^\/network\/v2.0\/floatingips$/, (_q, res) => {
      n++;
      res.writeHead(503, { "X-Openstack-Request-Id": "req-503" });
      res.end("down");
    });
    const err = await client.neutron.createFloatingIp({ floating_network_id: "ext" }).catch((e) => e);
    expect(err).to.be.instanceOf(OpenStackError);
    expect(n).to.equal(1);
    expect(err.requestId).to.equal("req-503");
  });

  it("resends a POST once when a kept-alive socket was closed by the server before the request", async () => {
    let posts = 0;
    srv.on("GET", /^\/network\/v2.0\/ports$/, (_q, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"ports": []}');
    });
    const used = new WeakSet<object>();
    srv.on("POST", /^\/network\/v2.0\/ports$/, (req, res) => {
      if (used.has(req.socket)) {
        req.socket.destroy();
        return;
      } // the server had closed this idle socket: request never processed
      posts++;
      res.writeHead(201, { "Content-Type": "application/json" });
      res.end('{"port": {"id": "p1"}}');
    });
    srv.on("GET", /^\/network\/v2.0\/ports$/, (req, res) => {
      used.add(req.socket);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"ports": []}');
    });
    await client.neutron.listPorts(); // leaves an idle kept-alive socket in the agent
    const port = await client.neutron.createPort({ network_id: "n" });
    expect(port.id).to.equal("p1");
    expect(posts).to.equal(1);
  });

  it("retries a server action refused with 409 (another task running)", async () => {
    let n = 0;
    srv.on("POST", /^\/compute\/v2.1\/servers\/s1\/action$/, (_q, res) => {
      n++;
      if (n < 3) {
        res.writeHead(409, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify({
            conflictingRequest: {
              code: 409,
              message: "Cannot 'createImage' instance s1 while it is in task_state image_snapshot",
            },
          }),
        );
        return;
      }
      res.writeHead(202, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ image_id: "img-1" }));
    });
    expect(await client.nova.createImage("s1", "snap")).to.equal("img-1");
    expect(n).to.equal(3);
  });

  it("re-authenticates once on 401 and resends", async () => {
    srv.on("GET", /^\/image\/v2\/images\/i1$/, (req, res) => {
      if (req.headers["x-auth-token"] === "tok-1") {
        res.writeHead(401);
        res.end(
          JSON.stringify({ error: { code: 401, message: "The request you have made requires authentication." } }),
        );
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ id: "i1", status: "active" }));
    });
    const img = await client.glance.getImage("i1");
    expect(img.status).to.equal("active");
    expect(client.session.authCount).to.equal(2);
  });

  it("gives up after one re-authentication when 401 persists", async () => {
    srv.on("GET", /^\/image\/v2\/images\/i1$/, (_q, res) => {
      res.writeHead(401);
      res.end("{}");
    });
    const err = await client.glance.getImage("i1").catch((e) => e);
    expect(err).to.be.instanceOf(OpenStackError);
    expect(err.status).to.equal(401);
    expect(client.session.authCount).to.equal(2);
  });

  it("re-authenticates before expiry", async () => {
    await srv.stop();
    srv = await new ProtocolServer().start();
    srv.keystone(1500); // tokens live 1.5 s
    srv.on("GET", /^\/network\/v2.0\/ports$/, (_q, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"ports": []}');
    });
    // default margin (120 s) is longer than the token's life: capped at a quarter of it (375 ms)
    const c = new OpenStackClient(cloudFor(srv.url));
    await c.neutron.listPorts();
    await c.neutron.listPorts();
    expect(c.session.authCount).to.equal(1);
    await new Promise((r) => setTimeout(r, 1200));
    await c.neutron.listPorts();
    expect(c.session.authCount).to.equal(2);
    c.close();
  });

  it("reports method, URL, status, request id and OpenStack's message (Nova/Neutron/Glance shapes) and flags quota", async () => {
    srv.on("POST", /^\/compute\/v2.1\/servers$/, (_q, res) => {
      res.writeHead(403, { "Content-Type": "application/json", "X-Compute-Request-Id": "req-nova-1" });
      res.end(
        JSON.stringify({
          forbidden: {
            code: 403,
            message: "Quota exceeded for instances: Requested 1, but already used 2 of 2 instances",
          },
        }),
      );
    });
    const e1: OpenStackError = await client.nova
      .createServer({ name: "x", flavorRef: "f", networks: "none" })
      .catch((e) => e);
    expect(e1.message).to.match(
      /^POST http:\/\/127\.0\.0\.1:\d+\/compute\/v2\.1\/servers → 403 \[request req-nova-1\]: quota or limit exceeded: Quota exceeded for instances/,
    );
    expect(e1.isQuota).to.equal(true);
    srv.on("POST", /^\/network\/v2.0\/security-group-rules$/, (_q, res) => {
      res.writeHead(409, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          NeutronError: {
            type: "SecurityGroupRuleExists",
            message: "Security group rule already exists. Rule id is r1.",
            detail: "",
          },
        }),
      );
    });
    const e2: OpenStackError = await client.neutron
      .createSecurityGroupRule({ security_group_id: "g", direction: "ingress" })
      .catch((e) => e);
    expect(e2.errorType).to.equal("SecurityGroupRuleExists");
    expect(e2.isQuota).to.equal(false);
    expect(
      extractServiceMessage(
        "<html><head><title>413 Request Entity Too Large</title></head><body><h1>413 Request Entity Too Large</h1>Image exceeds the storage quota</body></html>",
      ).message,
    ).to.equal("413 Request Entity Too Large Image exceeds the storage quota");
  });

  it("never puts the password or token into errors or log events", async () => {
    srv.on("POST", /^\/v3\/auth\/tokens$/, (_q, res) => {
      res.writeHead(401, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          error: { code: 401, message: "The request you have made requires authentication.", title: "Unauthorized" },
        }),
      );
    });
    const err = await client.connect().catch((e) => e);
    expect(err).to.be.instanceOf(OpenStackError);
    const everything = JSON.stringify([err.message, err.stack, { ...err }, logs]);
    expect(everything).to.not.include(SECRET);
    expect(everything).to.include("requires authentication");
    // and a successful session: the token never reaches logs or errors either
    const srv2 = await new ProtocolServer().start();
    srv2.keystone();
    srv2.on("GET", /^\/compute\/v2.1\/servers\/zz$/, (_q, res) => {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end('{"itemNotFound":{"code":404,"message":"Instance zz could not be found."}}');
    });
    const logs2: TransportLogEvent[] = [];
    const c2 = new OpenStackClient(cloudFor(srv2.url), { log: (e) => logs2.push(e) });
    const e404 = await c2.nova.getServer("zz").catch((e) => e);
    const dump = JSON.stringify([e404.message, e404.stack, { ...e404 }, logs2]);
    expect(dump).to.not.include("tok-1");
    expect(dump).to.not.include(SECRET);
    expect(e404.message).to.include("Instance zz could not be found.");
    c2.close();
    await srv2.stop();
  });

  it("streams an upload with backpressure (the source is read as the server consumes)", async function () {
    this.timeout(30000);
    srv.streamingRoutes.push(/\/file$/);
    let received = 0;
    srv.on("PUT", /^\/image\/v2\/images\/i1\/file$/, async (req, res) => {
      for await (const c of req) {
        received += (c as Buffer).length;
        await new Promise((r) => setTimeout(r, 1)); // slow consumer
      }
      res.writeHead(204);
      res.end();
    });
    const chunk = Buffer.alloc(64 * 1024, 7);
    const total = 64 * 1024 * 256; // 16 MiB
    let produced = 0;
    let maxAhead = 0;
    const source = new Readable({
      highWaterMark: 64 * 1024,
      read() {
        maxAhead = Math.max(maxAhead, produced - received);
        if (produced >= total) {
          this.push(null);
          return;
        }
        produced += chunk.length;
        this.push(chunk);
      },
    });
    await client.glance.upload("i1", source, total);
    expect(received).to.equal(total);
    // Without backpressure the producer would run the whole 16 MiB ahead of the consumer.
    expect(maxAhead).to.be.lessThan(8 * 1024 * 1024);
    expect(srv.requests.at(-1)!.headers["content-length"]).to.equal(String(total));
  });

  it("streams a download and reports 204 (no data) clearly", async () => {
    srv.on("GET", /^\/image\/v2\/images\/i1\/file$/, (_q, res) => {
      res.writeHead(200, { "Content-MD5": "abc", "Content-Length": "5" });
      res.end("hello");
    });
    srv.on("GET", /^\/image\/v2\/images\/empty\/file$/, (_q, res) => {
      res.writeHead(204);
      res.end();
    });
    const d = await client.glance.download("i1");
    expect(d.contentMd5).to.equal("abc");
    const chunks: Buffer[] = [];
    for await (const c of d.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).to.equal("hello");
    const e = await client.glance.download("empty").catch((x) => x);
    expect(e.name).to.equal("ImageHasNoDataError");
  });

  it("builds JSON-patch updates with add vs replace and escaped pointers", async () => {
    srv.on("GET", /^\/image\/v2\/images\/i1$/, (_q, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ id: "i1", hw_firmware_type: "bios", old: "x" }));
    });
    srv.on("PATCH", /^\/image\/v2\/images\/i1$/, (_q, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"id":"i1"}');
    });
    await client.glance.updateProperties("i1", { hw_firmware_type: "uefi", "a/b": "1" }, ["old", "absent"]);
    const req = srv.requests.at(-1)!;
    expect(req.headers["content-type"]).to.equal("application/openstack-images-v2.1-json-patch");
    expect(JSON.parse(req.body.toString())).to.deep.equal([
      { op: "replace", path: "/hw_firmware_type", value: "uefi" },
      { op: "add", path: "/a~1b", value: "1" },
      { op: "remove", path: "/old" },
    ]);
  });
});

describe("openstack-rest configuration (clouds.yaml, OS_CLOUD, OS_*)", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "osrest-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads a cloud from OS_CLIENT_CONFIG_FILE merged with secure.yaml, selected by OS_CLOUD", () => {
    fs.writeFileSync(
      path.join(dir, "clouds.yaml"),
      "clouds:\n  a:\n    region_name: R1\n    auth:\n      auth_url: http://k:5000/v3\n      username: u\n      project_name: p\n      user_domain_name: Default\n",
    );
    fs.writeFileSync(path.join(dir, "secure.yaml"), "clouds:\n  a:\n    auth:\n      password: pw\n");
    const c = loadCloud(undefined, { OS_CLIENT_CONFIG_FILE: path.join(dir, "clouds.yaml"), OS_CLOUD: "a", HOME: dir });
    expect(c.auth).to.include({ authUrl: "http://k:5000/v3", username: "u", password: "pw", projectName: "p" });
    expect(c.regionName).to.equal("R1");
  });

  it("names the missing field and the fix", () => {
    fs.writeFileSync(
      path.join(dir, "clouds.yaml"),
      "clouds:\n  a:\n    auth:\n      auth_url: http://k:5000/v3\n      username: u\n      password: pw\n",
    );
    expect(() => loadCloud("a", { OS_CLIENT_CONFIG_FILE: path.join(dir, "clouds.yaml"), HOME: dir })).to.throw(
      OpenStackConfigError,
      /auth\.project_name is missing; add project_name or project_id/,
    );
    expect(() => loadCloud("nope", { OS_CLIENT_CONFIG_FILE: path.join(dir, "clouds.yaml"), HOME: dir })).to.throw(
      /cloud "nope" not found/,
    );
  });

  it("builds a cloud from OS_* variables, including application credentials", () => {
    const c = loadCloud(undefined, {
      OS_AUTH_URL: "http://k:5000",
      OS_AUTH_TYPE: "v3applicationcredential",
      OS_APPLICATION_CREDENTIAL_ID: "id",
      OS_APPLICATION_CREDENTIAL_SECRET: "sec",
      HOME: dir,
    });
    expect(c.auth.authType).to.equal("v3applicationcredential");
    expect(() => loadCloud(undefined, { HOME: dir })).to.throw(/set OS_CLOUD/);
  });
});
