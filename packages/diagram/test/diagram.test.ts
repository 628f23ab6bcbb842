import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as openstack from "@pulumi/openstack";
import { PrivateNetwork, SecurityProfile } from "@openstack-blueprints/components";
import { installMocks, type RecordedResource } from "@openstack-blueprints/test-harness";
import { buildTopology, renderMermaid, renderSvg, type Topology } from "../src";

const harness = installMocks();
const existingNetworks = { "net-public": { name: "public", cidrs: ["172.24.4.0/24"] } };

/** Two networks joined by an inner router on a fixed-IP port, a dual-homed gateway server with a floating IP, eight desktops. */
function twoTierProgram() {
  const front = new PrivateNetwork("front", {
    cidr: "192.168.1.0/24",
    externalNetworkName: "public",
    dnsNameservers: ["9.9.9.9"],
    internetAccess: true,
    hostRoutes: [{ destinationCidr: "192.168.2.0/24", nextHop: "192.168.1.254" }],
  });
  const back = new PrivateNetwork("back", { cidr: "192.168.2.0/24", gatewayIp: "192.168.2.254" });
  const web = new SecurityProfile("web", {
    rules: [
      { protocol: "tcp", port: 443, remoteCidr: "0.0.0.0/0" },
      { protocol: "tcp", port: 22, remoteCidr: "198.51.100.0/28" },
    ],
  });
  const desk = new SecurityProfile("desk", { rules: [{ protocol: "tcp", port: 3389, remoteCidr: "192.168.1.0/24" }] });
  const inner = new openstack.networking.Router("inner", { name: "inner" });
  const innerFront = new openstack.networking.Port("inner-front", {
    networkId: front.networkId,
    fixedIps: [{ subnetId: front.subnetId, ipAddress: "192.168.1.254" }],
  });
  new openstack.networking.RouterInterface("inner-front-if", { routerId: inner.id, portId: innerFront.id });
  new openstack.networking.RouterInterface("inner-back-if", { routerId: inner.id, subnetId: back.subnetId });
  const gwFront = new openstack.networking.Port("gw-front", {
    networkId: front.networkId,
    fixedIps: [{ subnetId: front.subnetId, ipAddress: "192.168.1.10" }],
    securityGroupIds: [web.securityGroupId],
  });
  const gwBack = new openstack.networking.Port("gw-back", {
    networkId: back.networkId,
    fixedIps: [{ subnetId: back.subnetId }],
  });
  new openstack.compute.Instance("gateway", {
    name: "gateway",
    flavorName: "m1.small",
    imageName: "debian-12",
    networks: [{ port: gwFront.id }, { port: gwBack.id }],
  });
  const fip = new openstack.networking.FloatingIp("gateway-fip", { pool: "public" });
  new openstack.networking.FloatingIpAssociate(
    "gateway-fip-assoc",
    { floatingIp: fip.address, portId: gwFront.id },
    { dependsOn: [front] },
  );
  for (let i = 1; i <= 8; i++) {
    const port = new openstack.networking.Port(`desk-${i}-port`, {
      networkId: back.networkId,
      fixedIps: [{ subnetId: back.subnetId }],
      securityGroupIds: [desk.securityGroupId],
    });
    new openstack.compute.Instance(`desk-${i}`, {
      name: `desk-${i}`,
      flavorName: "m1.desktop",
      imageName: "ubuntu-24.04",
      networks: [{ port: port.id }],
    });
  }
  new openstack.networking.Port("vip", {
    networkId: front.networkId,
    fixedIps: [{ subnetId: front.subnetId, ipAddress: "192.168.1.100" }],
  });
}

describe("diagrams", function () {
  this.timeout(60_000);
  let resources: RecordedResource[];
  let topology: Topology;

  before(async () => {
    const run = await harness.runProgram(twoTierProgram);
    expect(run.errors.map((e) => e.message)).to.deep.equal([]);
    resources = run.resources;
    topology = buildTopology(resources, { existingNetworks });
  });

  it("collects networks, routers with their addresses, servers, floating IPs and openings", () => {
    expect(topology.networks.map((n) => [n.name, n.external, n.subnets.map((s) => s.cidr)])).to.deep.equal([
      ["public", true, ["172.24.4.0/24"]],
      ["front", false, ["192.168.1.0/24"]],
      ["back", false, ["192.168.2.0/24"]],
    ]);
    const byName = (n: string) => topology.routers.find((r) => r.name === n)!;
    expect(byName("front-router").externalNetworkId).to.equal("net-public");
    expect(byName("front-router").externalIp).to.match(/^172\.24\.4\./);
    expect(byName("front-router").interfaces).to.deep.equal([
      { networkId: topology.networks[1].id, ip: "192.168.1.1" },
    ]);
    expect(
      byName("inner")
        .interfaces.map((i) => i.ip)
        .sort(),
    ).to.deep.equal(["192.168.1.254", "192.168.2.254"]);
    const gateway = topology.servers.find((s) => s.name === "gateway")!;
    expect(gateway.attachments.map((a) => a.ip)).to.deep.equal(["192.168.1.10", "192.168.2.1"]);
    expect(gateway.floatingIps).to.have.length(1);
    expect(gateway.floatingIps[0]).to.match(/^172\.24\.4\./);
    const web = topology.groups.find((g) => g.name === "web")!;
    expect(web.openings).to.have.members(["tcp 443 from 0.0.0.0/0", "tcp 22 from 198.51.100.0/28"]);
    expect(gateway.groupIds).to.deep.equal([web.id]);
    expect(topology.ports.map((p) => [p.name, p.attachment.ip])).to.deep.equal([["vip", "192.168.1.100"]]);
  });

  it("draws a pool of identical servers as one entry", () => {
    const pool = topology.servers.find((s) => s.count > 1)!;
    expect(pool.count).to.equal(8);
    expect([pool.name, pool.lastName]).to.deep.equal(["desk-1", "desk-8"]);
    expect(buildTopology(resources, { collapseAbove: 100 }).servers).to.have.length(9);
  });

  it("renders Mermaid with every network, router link, server link, floating IP and opening", () => {
    const text = renderMermaid(topology, "two tier");
    expect(text.split("\n").slice(0, 4)).to.deep.equal(["---", "title: two tier", "---", "flowchart TB"]);
    expect(text).to.contain('[["public (external)<br/>172.24.4.0/24"]]:::external');
    expect(text).to.contain('[["front<br/>192.168.1.0/24"]]:::network');
    expect(text).to.contain('net1[["public (external)');
    const inner = /(router\d+)\{\{"router inner"\}\}/.exec(text)![1];
    expect(text).to.contain(`${inner} ---|"192.168.2.254"| net3`);
    expect(text).to.match(/net2 ---\|"192\.168\.1\.10"\| server\d+/);
    expect(text).to.match(/net1 -\.->\|"floating 172\.24\.4\.\d+"\| server\d+/);
    expect(text).to.contain("in: tcp 3389 from 192.168.1.0/24");
    expect(text).to.contain("desk-1 … desk-8 (×8)");
    // Every node referenced by an edge is declared.
    const declared = new Set([...text.matchAll(/^\s+(\w+)(?:\[\[|\{\{|\[|\(\[|>)/gm)].map((m) => m[1]));
    for (const m of text.matchAll(/^\s+(\w+) (?:---|-\.->|-\.-)(?:\|[^|]*\|)? (\w+)$/gm)) {
      expect(declared, m[0]).to.include(m[1]);
      expect(declared, m[0]).to.include(m[2]);
    }
  });

  it("renders a well-formed SVG with a bar per network and a box per router, server and port", function () {
    const svg = renderSvg(topology, "two tier <test>");
    expect(svg.match(/<rect class="bar"/g)).to.have.length(3);
    expect(svg.match(/<rect class="router"/g)).to.have.length(2);
    expect(svg.match(/<rect class="server"/g)).to.have.length(2);
    expect(svg.match(/<rect class="port"/g)).to.have.length(1);
    expect(svg)
      .to.contain("two tier &lt;test&gt;")
      .and.contain("in: tcp 443 from 0.0.0.0/0")
      .and.contain("192.168.2.254");
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "diagram-")), "t.svg");
    fs.writeFileSync(file, svg);
    try {
      // A real XML parser, so a broken escape or unclosed element fails here.
      execFileSync("python3", [
        "-c",
        "import sys,xml.dom.minidom as m; d=m.parse(sys.argv[1]); assert d.documentElement.tagName=='svg'",
        file,
      ]);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});

describe("diagrams of hosts configured over SSH", () => {
  it("draws each remote host once with its number of steps", () => {
    const cmd = (name: string, host: string) => ({
      type: "command:remote:Command",
      name,
      id: `id-${name}`,
      inputs: { connection: { host }, create: "true" },
      state: {},
    });
    const topology = buildTopology([cmd("a", "10.0.0.1"), cmd("b", "10.0.0.1"), cmd("c", "10.0.0.2")]);
    expect(topology.hosts).to.deep.equal([
      { address: "10.0.0.1", steps: 2 },
      { address: "10.0.0.2", steps: 1 },
    ]);
    expect(renderMermaid(topology)).to.contain('host1[/"host 10.0.0.1<br/>2 remote steps over SSH"/]:::host');
    expect(renderSvg(topology).match(/<rect class="host"/g)).to.have.length(2);
  });
});

describe("diagrams of migrations", () => {
  it("draws a migration from cloud to cloud without any credential", () => {
    const run = {
      type: "pulumi-nodejs:dynamic/s2d:S2DMigrationRun",
      name: "m-run",
      id: "run-1",
      inputs: {
        source: {
          authUrl: "https://cloud-a.example:5000/v3",
          project: "software",
          username: "u",
          password: "s3cret-a",
        },
        target: { cloud: "cloud-b", password: "s3cret-b" },
        server: { source: "analytics-01", name: "analytics-near-data", network: "data-net", floatingIp: "new" },
      },
      state: { floatingIp: "203.0.113.7" },
    };
    const topology = buildTopology([run]);
    expect(topology.migrations).to.deep.equal([
      {
        name: "m-run",
        sourceCloud: "cloud-a.example / software",
        sourceServer: "analytics-01",
        targetCloud: "cloud-b",
        targetServer: "analytics-near-data",
        network: "data-net",
        floatingIp: "203.0.113.7",
      },
    ]);
    const mermaid = renderMermaid(topology);
    expect(mermaid).to.contain('cloud1[("cloud cloud-a.example / software<br/>server analytics-01")]:::migration');
    expect(mermaid).to.match(/cloud1 ==>\|.*\| cloud2/);
    const svg = renderSvg(topology);
    expect(svg.match(/<rect class="migration"/g)).to.have.length(1);
    for (const text of [mermaid, svg]) expect(text).not.to.contain("s3cret");
  });
});
