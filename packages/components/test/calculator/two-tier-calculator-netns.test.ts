import { expect } from "chai";
import { installMocks } from "@openstack-blueprints/test-harness";
import { CLIENT_NAMESPACE, netnsLabUnavailable, NetnsLab } from "./support/netns-lab";
import { LabTopology } from "./support/topology-from-resources";
import { runCalculatorForLab, SEED_CALCULATOR } from "./support/seed-program";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

const harness = installMocks();

/**
 * The real network test. The component runs under the mock harness; the resources it records
 * (subnets with their host routes, both routers and their interfaces and routes, ports at their
 * fixed IPs, instances with their user data, the floating IP association) are turned into Linux
 * network namespaces; the five services start with their systemd units' ExecStart; a client on
 * the external network computes through the floating IP. Then the host route Net1's DHCP hands
 * out is dropped from the front end, and the same request fails: the seed's bug, caught.
 *
 * Not emulated here: security groups (no port security in the lab), DHCP itself (the lab
 * installs what the lease would carry), systemd (the ExecStart runs as root, not DynamicUser),
 * cloud-init (the lab writes the user data's files itself).
 */
describe("TwoTierCalculatorTopology in real network namespaces", function () {
  this.timeout(120000);
  let lab: NetnsLab | undefined;
  let topology: LabTopology;
  let publicUrl = "";

  before(async function () {
    const missing = netnsLabUnavailable();
    if (missing) unavailableHere(this, `the netns lab cannot run here: ${missing}`);
    ({ publicUrl, topology } = await runCalculatorForLab(harness, { ...SEED_CALCULATOR, serviceTimeoutMs: 1500 }));
    lab = new NetnsLab(topology);
    lab.up();
  });

  after(async () => {
    if (lab) await lab.down();
  });

  it("the lab mirrors the recorded resources: 2 routers, 5 servers, Net1's host route, 1 floating IP", () => {
    expect(
      topology.routers.map((r) => [r.name, r.interfaces.map((i) => i.ip).sort(), r.external !== undefined]),
    ).to.have.deep.members([
      ["calc-net1-router", ["192.168.1.1"], true],
      ["calc-rt2", ["192.168.1.254", "192.168.2.254"], false],
    ]);
    expect(topology.servers.map((s) => [s.name, s.ip])).to.have.deep.members([
      ["calc-frontend", "192.168.1.10"],
      ["calc-sum", "192.168.2.1"],
      ["calc-sub", "192.168.2.2"],
      ["calc-mul", "192.168.2.3"],
      ["calc-div", "192.168.2.4"],
    ]);
    const net1 = topology.networks.find((n) => n.cidr === "192.168.1.0/24")!;
    expect(net1.hostRoutes).to.deep.equal([{ destinationCidr: "192.168.2.0/24", nextHop: "192.168.1.254" }]);
    expect(topology.floatingIps).to.have.length(1);
    expect(publicUrl).to.equal(`http://${topology.floatingIps[0].address}:50000`);
  });

  it("starts the five services with their units' ExecStart and computes through the floating IP", async () => {
    // Services first: the front end only needs them at request time, but this order mirrors a boot.
    for (const server of [...topology.servers].sort(
      (a, b) => (a.name === "calc-frontend" ? 1 : 0) - (b.name === "calc-frontend" ? 1 : 0),
    )) {
      const running = await lab!.startServer(server);
      expect(running.url).to.equal(`http://${server.ip}:${server.execStart[server.execStart.indexOf("--port") + 1]}`);
    }
    const answer = await lab!.clientRequest("POST", `${publicUrl}/calculate`, { expression: "(4+5)*3-10/2" });
    expect(answer.status, JSON.stringify(answer)).to.equal(200);
    expect(answer.json).to.deep.equal({ result: 22 });

    const health = await lab!.clientRequest("GET", `${publicUrl}/healthz`);
    expect(health.status, health.body).to.equal(200);
    expect(Object.values(health.json.services).map((s: any) => s.up)).to.deep.equal([true, true, true, true]);
  });

  it("without the subnet's host route the same request fails (the seed's bug), and works again with it", async () => {
    const frontendNs = lab!.serverNamespace.get("calc-frontend")!;
    const { execFileSync } = await import("node:child_process");
    execFileSync("ip", ["-n", frontendNs, "route", "del", "192.168.2.0/24", "via", "192.168.1.254"]);
    const broken = await lab!.clientRequest("POST", `${publicUrl}/calculate`, { expression: "(4+5)*3-10/2" });
    expect([502, 504], JSON.stringify(broken)).to.include(broken.status);
    console.log(`      without the host route: HTTP ${broken.status} ${broken.json.error.message}`);
    expect(broken.json.error.message).to.match(
      /^the sum service at http:\/\/192\.168\.2\.1:50001 (is unreachable|did not answer within 1500 ms)/,
    );

    execFileSync("ip", ["-n", frontendNs, "route", "add", "192.168.2.0/24", "via", "192.168.1.254"]);
    const fixed = await lab!.clientRequest("POST", `${publicUrl}/calculate`, { expression: "(4+5)*3-10/2" });
    expect(fixed.json).to.deep.equal({ result: 22 });
  });
});

/**
 * With serviceInternetEgress (the default), Net2 reaches the outside through RT2 → RT1: the
 * RouterRoute resources the component records become routes in the router namespaces, and
 * a service namespace fetches from an "internet" server on the external network.
 */
describe("TwoTierCalculatorTopology in real network namespaces: Net2 egress through RT2 → RT1", function () {
  this.timeout(120000);
  let lab: NetnsLab | undefined;
  let topology: LabTopology;

  before(async function () {
    const missing = netnsLabUnavailable();
    if (missing) unavailableHere(this, `the netns lab cannot run here: ${missing}`);
    ({ topology } = await runCalculatorForLab(harness));
    lab = new NetnsLab(topology);
    lab.up();
  });

  after(async () => {
    if (lab) await lab.down();
  });

  it("a service reaches a server on the external network, seen there as RT1's gateway address", async () => {
    expect(topology.routers.find((r) => r.name === "calc-rt2")!.routes).to.deep.equal([
      { destinationCidr: "0.0.0.0/0", nextHop: "192.168.1.1" },
    ]);
    expect(topology.routers.find((r) => r.name === "calc-net1-router")!.routes).to.deep.equal([
      { destinationCidr: "192.168.2.0/24", nextHop: "192.168.1.254" },
    ]);
    const internet = await lab!.startIn(CLIENT_NAMESPACE, "internet", [
      process.execPath,
      "-e",
      `
      const http = require("node:http");
      const s = http.createServer((req, res) => res.end(JSON.stringify({ from: req.socket.remoteAddress })));
      s.listen(8080, "${lab!.clientIp}", () => console.log("listening on http://${lab!.clientIp}:8080"));`,
    ]);
    const sumNs = lab!.serverNamespace.get("calc-sum")!;
    const answer = await lab!.clientRequest("GET", `${internet.url}/`, undefined, 5000, sumNs);
    expect(answer.status, JSON.stringify(answer)).to.equal(200);
    const rt1 = topology.routers.find((r) => r.name === "calc-net1-router")!;
    expect(answer.json).to.deep.equal({ from: rt1.external!.ip });
  });
});
