import { expect } from "chai";
import { installMocks } from "@openstack-blueprints/test-harness";
import { CLIENT_NAMESPACE, netnsLabUnavailable, NetnsLab, RouterSnat } from "./support/netns-lab";
import { LabTopology } from "./support/topology-from-resources";
import { runCalculatorForLab, SEED_CALCULATOR } from "./support/seed-program";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";
import type { TwoTierCalculatorTopologyArgs } from "../../src/calculator/two-tier-calculator-args";

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

/** One lab per case: the component's inputs for Net2's egress, and how the routers SNAT. */
interface EgressCase {
  args: Partial<TwoTierCalculatorTopologyArgs>;
  routerSnat: RouterSnat;
  /** Expected from the component: RT2 has its own gateway (serviceEgressRouter "inner"). */
  inner: boolean;
  /** Expected: a service reaches the outside. */
  servicesOut: boolean;
}
const EGRESS_CASES: EgressCase[] = [
  // The seed's layout on ML2/OVS: RT1 SNATs whatever leaves its gateway, Net2 included.
  { args: {}, routerSnat: "ovs", inner: false, servicesOut: true },
  // The seed's layout on ML2/OVN (ovn_router_indirect_snat false): RT1 SNATs Net1 only.
  { args: {}, routerSnat: "ovn", inner: false, servicesOut: false },
  // RT2 with its own gateway: Net2 is attached to the router that SNATs it, on either backend.
  { args: { serviceEgressRouter: "inner" }, routerSnat: "ovn", inner: true, servicesOut: true },
  { args: { serviceEgressRouter: "inner" }, routerSnat: "ovs", inner: true, servicesOut: true },
  // Told the cloud is ML2/OVN, the component chooses that layout itself.
  { args: { networkBackend: "ovn" }, routerSnat: "ovn", inner: true, servicesOut: true },
];

/**
 * Net2's way out, for real, under each backend's SNAT (NetnsLab's RouterSnat). The component runs
 * with serviceInternetEgress (the default); the routers, their gateways, router routes and the
 * floating IP it records become the lab; an "internet" server listens in the client namespace
 * on the external network. A service and the front end each fetch from it; who answers and
 * under which source address is read from the recorded topology, never typed in.
 */
for (const c of EGRESS_CASES) {
  const given = Object.entries(c.args).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
  describe(`TwoTierCalculatorTopology in real network namespaces: Net2 egress with ${given.join(", ") || "the defaults"} under ${c.routerSnat.toUpperCase()} SNAT`, function () {
    this.timeout(120000);
    let lab: NetnsLab | undefined;
    let topology: LabTopology;
    let internetUrl = "";

    before(async function () {
      const missing = netnsLabUnavailable();
      if (missing) unavailableHere(this, `the netns lab cannot run here: ${missing}`);
      ({ topology } = await runCalculatorForLab(harness, c.args));
      lab = new NetnsLab(topology, c.routerSnat);
      lab.up();
      const internet = await lab.startIn(CLIENT_NAMESPACE, "internet", [
        process.execPath,
        "-e",
        `
        const http = require("node:http");
        const s = http.createServer((req, res) => res.end(JSON.stringify({ from: req.socket.remoteAddress })));
        s.listen(8080, "${lab.clientIp}", () => console.log("listening on http://${lab.clientIp}:8080"));`,
      ]);
      internetUrl = internet.url;
    });

    after(async () => {
      if (lab) await lab.down();
    });

    const networkOf = (server: string) =>
      topology.networks.find((n) => n.id === topology.servers.find((s) => s.name === server)!.networkId)!;
    const net2 = () => networkOf("calc-sum");
    const net1 = () => networkOf("calc-frontend");
    /** The router with Net2 attached (RT2) and the one with Net1 and a gateway (RT1). */
    const rt2 = () => topology.routers.find((r) => r.interfaces.some((i) => i.networkId === net2().id))!;
    const rt1 = () => topology.routers.find((r) => r.external && r.interfaces.some((i) => i.networkId === net1().id))!;

    it(`the recorded layout: ${c.inner ? "RT2 has its own gateway, no router routes" : "RT2 routes to RT1, RT1 back to Net2"}`, () => {
      if (c.inner) {
        expect(rt2().external, "RT2's own gateway").to.not.equal(undefined);
        expect(rt2().routes).to.deep.equal([]);
        expect(rt1().routes).to.deep.equal([]);
      } else {
        expect(rt2().external, "RT2's gateway").to.equal(undefined);
        expect(rt2().routes).to.deep.equal([{ destinationCidr: "0.0.0.0/0", nextHop: rt1().interfaces[0].ip }]);
        expect(rt1().routes).to.deep.equal([
          { destinationCidr: net2().cidr, nextHop: rt2().interfaces.find((i) => i.networkId === net1().id)!.ip },
        ]);
      }
    });

    it(
      c.servicesOut
        ? "a service reaches the outside, seen there as its gateway router's external address"
        : "a service does NOT reach the outside: RT1 routes its packets out un-NATed and the answer has no way back",
      async () => {
        const arrivals = lab!.countArrivalsFrom(net2().cidr);
        const sumNs = lab!.serverNamespace.get("calc-sum")!;
        const answer = await lab!.clientRequest("GET", `${internetUrl}/`, undefined, 3000, sumNs);
        if (c.servicesOut) {
          expect(answer.status, JSON.stringify(answer)).to.equal(200);
          // SNATed by the router Net2 leaves through: RT2 when it has a gateway, else RT1.
          expect(answer.json).to.deep.equal({ from: (rt2().external ?? rt1().external)!.ip });
          expect(arrivals(), "packets arriving outside with a Net2 source").to.equal(0);
        } else {
          expect(answer.status, JSON.stringify(answer)).to.equal(0);
          console.log(`      service → outside: ${answer.error}; ${arrivals()} packet(s) arrived from ${net2().cidr}`);
          // The SYN did leave RT1 (OVN forwards what no SNAT rule matches), with Net2's source.
          expect(arrivals(), "packets arriving outside with a Net2 source").to.be.greaterThan(0);
        }
      },
    );

    it("the front end reaches the outside, seen there as its floating IP", async () => {
      const frontendNs = lab!.serverNamespace.get("calc-frontend")!;
      const answer = await lab!.clientRequest("GET", `${internetUrl}/`, undefined, 3000, frontendNs);
      expect(answer.status, JSON.stringify(answer)).to.equal(200);
      expect(answer.json).to.deep.equal({ from: topology.floatingIps[0].address });
    });
  });
}
