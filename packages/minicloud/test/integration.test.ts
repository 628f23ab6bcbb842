/**
 * Real OpenStack API calls against a running minicloud (see cloud-access.ts for when this
 * runs). Everything the suite creates is named `mctest-<random>` and deleted in after().
 * Nova runs the fake driver: a server reaches ACTIVE without booting anything, so this
 * proves the API/scheduling/port-binding path, not a guest.
 */
import { expect } from "chai";
import * as crypto from "crypto";
import { Readable } from "stream";
import { catalogUrl, NOVA_MICROVERSION, request, Session } from "../src/rest";
import { requireMinicloud, session } from "./cloud-access";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("minicloud (real OpenStack APIs)", function () {
  this.timeout(240_000);
  const tag = `mctest-${crypto.randomBytes(3).toString("hex")}`;
  let s: Session;
  let admin: Session;
  let glance: string, neutron: string, nova: string;
  const cleanup: { what: string; fn: () => Promise<unknown> }[] = [];
  const ids: Record<string, string> = {};

  before(async function () {
    await requireMinicloud(this);
    s = await session("minicloud-a");
    admin = await session("minicloud-admin");
    glance = `${catalogUrl(s, "image")}/v2`;
    neutron = `${catalogUrl(s, "network")}/v2.0`;
    nova = catalogUrl(s, "compute");
  });

  after(async function () {
    this.timeout(180_000);
    for (const step of cleanup.reverse()) {
      try {
        await step.fn();
      } catch (e) {
        console.log(`    cleanup of ${step.what} failed: ${(e as Error).message}`);
      }
    }
  });

  it("issues a project-scoped token with a catalog holding every service", async () => {
    expect(s.token).to.be.a("string").and.have.length.greaterThan(20);
    const types = s.catalog.map((e) => e.type).sort();
    expect(types).to.include.members(["identity", "image", "compute", "network", "placement"]);
    for (const e of s.catalog) {
      for (const ep of e.endpoints) expect(ep.url, `${e.type} ${ep.interface}`).to.match(/^http:\/\/127\.0\.0\.1:/);
    }
    // The token validates (GET /v3/auth/tokens with itself as subject).
    const res = await request(s, "GET", `${catalogUrl(s, "identity")}/auth/tokens`, {
      headers: { "X-Subject-Token": s.token },
    });
    expect(res.body.token.project.name).to.equal("minicloud-a");
  });

  it("uploads an image as a stream and downloads it as a stream with matching checksums", async () => {
    const size = 8 * 1024 * 1024 + 123;
    const data = crypto.randomBytes(size);
    const md5 = crypto.createHash("md5").update(data).digest("hex");
    const sha512 = crypto.createHash("sha512").update(data).digest("hex");
    const img = (
      await request(s, "POST", `${glance}/images`, {
        body: { name: `${tag}-image`, disk_format: "raw", container_format: "bare" },
        expect: [201],
      })
    ).body;
    ids.image = img.id;
    cleanup.push({
      what: "image",
      fn: () => request(s, "DELETE", `${glance}/images/${img.id}`, { expect: [204, 404] }),
    });
    // Upload in 1 MiB chunks from a stream (chunked transfer encoding), not as one buffer.
    const chunks = function* () {
      for (let off = 0; off < size; off += 1024 * 1024) yield data.subarray(off, Math.min(size, off + 1024 * 1024));
    };
    const put = await fetch(`${glance}/images/${img.id}/file`, {
      method: "PUT",
      headers: { "X-Auth-Token": s.token, "Content-Type": "application/octet-stream" },
      body: Readable.toWeb(Readable.from(chunks())) as unknown as ReadableStream,
      duplex: "half",
    } as RequestInit);
    expect(put.status, await put.text()).to.equal(204);
    const meta = (await request(s, "GET", `${glance}/images/${img.id}`)).body;
    expect(meta.status).to.equal("active");
    expect(meta.size).to.equal(size);
    expect(meta.checksum).to.equal(md5);
    expect(meta.os_hash_algo).to.equal("sha512");
    expect(meta.os_hash_value).to.equal(sha512);
    // Stream the download through hashes without holding it in memory.
    const get = await fetch(`${glance}/images/${img.id}/file`, { headers: { "X-Auth-Token": s.token } });
    expect(get.status).to.equal(200);
    expect(get.headers.get("content-md5")).to.equal(md5);
    const dlMd5 = crypto.createHash("md5");
    const dlSha = crypto.createHash("sha512");
    let received = 0;
    for await (const chunk of Readable.fromWeb(get.body as any)) {
      dlMd5.update(chunk as Buffer);
      dlSha.update(chunk as Buffer);
      received += (chunk as Buffer).length;
    }
    expect(received).to.equal(size);
    expect(dlMd5.digest("hex")).to.equal(md5);
    expect(dlSha.digest("hex")).to.equal(sha512);
  });

  it("creates a network, subnet, router with external gateway, router interface and a port with a fixed IP", async () => {
    const publicNet = ((await request(s, "GET", `${neutron}/networks?name=public`)).body.networks as any[])[0];
    expect(publicNet, "external network 'public'").to.exist;
    expect(publicNet["router:external"]).to.equal(true);
    ids.public = publicNet.id;

    const net = (
      await request(s, "POST", `${neutron}/networks`, { body: { network: { name: `${tag}-net` } }, expect: [201] })
    ).body.network;
    ids.network = net.id;
    cleanup.push({
      what: "network",
      fn: () => request(s, "DELETE", `${neutron}/networks/${net.id}`, { expect: [204, 404] }),
    });
    expect(net.status).to.equal("ACTIVE");

    const subnet = (
      await request(s, "POST", `${neutron}/subnets`, {
        body: {
          subnet: {
            name: `${tag}-subnet`,
            network_id: net.id,
            ip_version: 4,
            cidr: "192.168.210.0/24",
            enable_dhcp: false,
          },
        },
        expect: [201],
      })
    ).body.subnet;
    ids.subnet = subnet.id;
    cleanup.push({
      what: "subnet",
      fn: () => request(s, "DELETE", `${neutron}/subnets/${subnet.id}`, { expect: [204, 404] }),
    });
    expect(subnet.gateway_ip).to.equal("192.168.210.1");

    const router = (
      await request(s, "POST", `${neutron}/routers`, {
        body: { router: { name: `${tag}-router`, external_gateway_info: { network_id: publicNet.id } } },
        expect: [201],
      })
    ).body.router;
    ids.router = router.id;
    cleanup.push({
      what: "router",
      fn: () => request(s, "DELETE", `${neutron}/routers/${router.id}`, { expect: [204, 404] }),
    });
    expect(router.external_gateway_info.network_id).to.equal(publicNet.id);
    const gwIp = router.external_gateway_info.external_fixed_ips[0].ip_address as string;
    expect(gwIp).to.match(/^172\.24\.4\.\d+$/);

    const iface = (
      await request(s, "PUT", `${neutron}/routers/${router.id}/add_router_interface`, {
        body: { subnet_id: subnet.id },
      })
    ).body;
    expect(iface.subnet_id).to.equal(subnet.id);
    cleanup.push({
      what: "router interface",
      fn: () =>
        request(s, "PUT", `${neutron}/routers/${router.id}/remove_router_interface`, {
          body: { subnet_id: subnet.id },
          expect: [200, 404],
        }),
    });

    const sg = (
      await request(s, "POST", `${neutron}/security-groups`, {
        body: { security_group: { name: `${tag}-sg`, description: "minicloud test" } },
        expect: [201],
      })
    ).body.security_group;
    ids.sg = sg.id;
    cleanup.push({
      what: "security group",
      fn: () => request(s, "DELETE", `${neutron}/security-groups/${sg.id}`, { expect: [204, 404] }),
    });
    const rules = [
      {
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "tcp",
        port_range_min: 22,
        port_range_max: 22,
        remote_ip_prefix: "192.168.0.0/16",
      },
      { direction: "ingress", ethertype: "IPv4", protocol: "icmp", remote_ip_prefix: "192.168.210.0/24" },
    ];
    for (const rule of rules) {
      await request(s, "POST", `${neutron}/security-group-rules`, {
        body: { security_group_rule: { ...rule, security_group_id: sg.id } },
        expect: [201],
      });
    }
    // A duplicate rule is refused with 409, as on any Neutron.
    await request(s, "POST", `${neutron}/security-group-rules`, {
      body: { security_group_rule: { ...rules[0], security_group_id: sg.id } },
      expect: [409],
    });
    const listed = (await request(s, "GET", `${neutron}/security-group-rules?security_group_id=${sg.id}`)).body
      .security_group_rules as any[];
    expect(
      listed
        .filter((r) => r.direction === "ingress")
        .map((r) => r.protocol)
        .sort(),
    ).to.deep.equal(["icmp", "tcp"]);

    const port = (
      await request(s, "POST", `${neutron}/ports`, {
        body: {
          port: {
            name: `${tag}-port`,
            network_id: net.id,
            fixed_ips: [{ subnet_id: subnet.id, ip_address: "192.168.210.50" }],
            security_groups: [sg.id],
          },
        },
        expect: [201],
      })
    ).body.port;
    ids.port = port.id;
    cleanup.push({
      what: "port",
      fn: () => request(s, "DELETE", `${neutron}/ports/${port.id}`, { expect: [204, 404] }),
    });
    expect(port.fixed_ips[0].ip_address).to.equal("192.168.210.50");
    expect(port.security_groups).to.deep.equal([sg.id]);
  });

  it("boots a server on that port to ACTIVE and associates a floating IP", async () => {
    expect(ids.port, "port from the previous test").to.exist;
    const flavors = (await request(s, "GET", `${nova}/flavors`, { headers: NOVA_MICROVERSION })).body.flavors as any[];
    const tiny = flavors.find((f) => f.name === "m1.tiny");
    expect(tiny, "flavor m1.tiny").to.exist;
    const images = (await request(s, "GET", `${glance}/images?name=minicloud-tiny`)).body.images as any[];
    expect(images[0], "image minicloud-tiny").to.exist;

    const created = (
      await request(s, "POST", `${nova}/servers`, {
        headers: NOVA_MICROVERSION,
        body: {
          server: { name: `${tag}-server`, flavorRef: tiny.id, imageRef: images[0].id, networks: [{ port: ids.port }] },
        },
        expect: [202],
      })
    ).body.server;
    ids.server = created.id;
    cleanup.push({
      what: "server",
      fn: async () => {
        await request(s, "DELETE", `${nova}/servers/${created.id}`, { headers: NOVA_MICROVERSION, expect: [204, 404] });
        for (let i = 0; i < 120; i++) {
          const r = await request(s, "GET", `${nova}/servers/${created.id}`, {
            headers: NOVA_MICROVERSION,
            expect: [200, 404],
          });
          if (r.status === 404) return;
          await sleep(500);
        }
      },
    });
    let server: any;
    const deadline = Date.now() + 180_000;
    for (;;) {
      server = (await request(s, "GET", `${nova}/servers/${created.id}`, { headers: NOVA_MICROVERSION })).body.server;
      if (server.status === "ACTIVE" || server.status === "ERROR" || Date.now() > deadline) break;
      await sleep(1000);
    }
    expect(server.status, JSON.stringify(server.fault ?? {})).to.equal("ACTIVE");
    const addrs = Object.values(server.addresses as Record<string, { addr: string }[]>)
      .flat()
      .map((a) => a.addr);
    expect(addrs).to.include("192.168.210.50");
    const port = (await request(s, "GET", `${neutron}/ports/${ids.port}`)).body.port;
    expect(port.device_id).to.equal(created.id);
    expect(port["binding:vif_type"] ?? "bound", "port is bound (admin-only field may be hidden)").to.not.equal(
      "binding_failed",
    );

    const fip = (
      await request(s, "POST", `${neutron}/floatingips`, {
        body: { floatingip: { floating_network_id: ids.public, port_id: ids.port } },
        expect: [201],
      })
    ).body.floatingip;
    cleanup.push({
      what: "floating IP",
      fn: () => request(s, "DELETE", `${neutron}/floatingips/${fip.id}`, { expect: [204, 404] }),
    });
    expect(fip.fixed_ip_address).to.equal("192.168.210.50");
    expect(fip.floating_ip_address).to.match(/^172\.24\.4\.\d+$/);
    expect(fip.router_id).to.equal(ids.router);
    const byPort = (await request(s, "GET", `${neutron}/floatingips?port_id=${ids.port}`)).body.floatingips as any[];
    expect(byPort.map((f) => f.id)).to.deep.equal([fip.id]);
    // Nova shows the floating address on the server once Neutron tells it (network info cache).
    const adminPort = (await request(admin, "GET", `${neutron}/ports/${ids.port}`)).body.port;
    expect(adminPort["binding:host_id"]).to.equal("minicloud");
    expect(adminPort["binding:vif_type"]).to.equal("bridge");
  });

  it("reports the server in os-simple-tenant-usage", async () => {
    expect(ids.server, "server from the previous test").to.exist;
    const fmt = (d: Date) =>
      d
        .toISOString()
        .replace("Z", "")
        .replace(/\.\d+$/, "");
    const start = fmt(new Date(Date.now() - 3600_000));
    const end = fmt(new Date(Date.now() + 60_000));
    const usage = (
      await request(s, "GET", `${nova}/os-simple-tenant-usage/${s.projectId}?start=${start}&end=${end}`, {
        headers: NOVA_MICROVERSION,
      })
    ).body.tenant_usage;
    expect(usage.tenant_id).to.equal(s.projectId);
    const mine = (usage.server_usages as any[]).find((u) => u.instance_id === ids.server);
    expect(mine, "server in server_usages").to.exist;
    expect(mine.flavor).to.equal("m1.tiny");
    expect(mine.state).to.equal("active");
    expect(usage.total_hours).to.be.greaterThan(0);
  });
});
