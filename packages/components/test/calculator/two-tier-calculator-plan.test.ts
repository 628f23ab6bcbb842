import { expect } from "chai";
import { assertValidCloudConfig } from "@openstack-blueprints/test-harness";
import {
  execStartOfUnit,
  renderCalculatorUnit,
  renderCalculatorUserData,
} from "../../src/calculator/calculator-user-data";
import {
  OVN_READINESS_HINT,
  planTwoTierCalculator,
  poolsExcluding,
} from "../../src/calculator/two-tier-calculator-plan";
import { ComponentArgsError } from "../../src/errors";
import { parseCloudConfig } from "../../src/cloudinit/cloud-config";
import { readBundle } from "@openstack-blueprints/calculator";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Checks a unit file with the real `systemd-analyze verify` (it parses every directive and
 * reports unknown ones or bad values as warnings, which we treat as failures). systemd need
 * not be running. It also checks that ExecStart's binary exists: where this machine's node is
 * not /usr/bin/node, the copy under test points at this machine's node instead.
 */
function assertValidSystemdUnit(name: string, unit: string): void {
  const found = spawnSync("sh", ["-c", "command -v systemd-analyze"]);
  if (found.status !== 0)
    throw new Error("systemd-analyze is not installed; install it with: sudo apt-get install -y systemd");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "calc-unit-"));
  try {
    const text = fs.existsSync("/usr/bin/node")
      ? unit
      : unit.replace("ExecStart=/usr/bin/node ", `ExecStart=${process.execPath} `);
    fs.writeFileSync(path.join(dir, name), text);
    const result = spawnSync("systemd-analyze", ["verify", "--man=no", path.join(dir, name)], { encoding: "utf8" });
    const report = `${result.stdout}${result.stderr}`.trim();
    if (result.status !== 0 || report !== "")
      throw new Error(`${name} fails systemd-analyze verify:\n${report}\n--- unit ---\n${unit}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const C = "TwoTierCalculatorTopology t";
/** What every calculator names: its image, flavor and external network. */
const ARGS = { imageName: "debian-12", flavorName: "m1.small", externalNetworkName: "public" };

describe("two-tier calculator planner", function () {
  this.timeout(60000);
  it("plans the seed's topology by default, moving Net2's gateway off Sum's .1", () => {
    const plan = planTwoTierCalculator(C, { ...ARGS, clientCidr: "203.0.113.0/24" });
    expect(plan.frontendSubnet).to.deep.equal({
      cidr: "192.168.1.0/24",
      gatewayIp: "192.168.1.1",
      allocationPools: [
        { start: "192.168.1.2", end: "192.168.1.9" },
        { start: "192.168.1.11", end: "192.168.1.253" },
      ],
      hostRoutes: [{ destinationCidr: "192.168.2.0/24", nextHop: "192.168.1.254" }],
    });
    expect(plan.serviceSubnet).to.deep.equal({
      cidr: "192.168.2.0/24",
      gatewayIp: "192.168.2.254",
      allocationPools: [{ start: "192.168.2.5", end: "192.168.2.253" }],
      hostRoutes: [],
    });
    expect(plan.servers.map((s) => [s.role, s.ip, s.port])).to.deep.equal([
      ["frontend", "192.168.1.10", 50000],
      ["sum", "192.168.2.1", 50001],
      ["sub", "192.168.2.2", 50002],
      ["mul", "192.168.2.3", 50003],
      ["div", "192.168.2.4", 50004],
    ]);
    expect(plan.servers[0].execStart).to.deep.equal([
      "/usr/bin/node",
      "/opt/openstack-blueprints/calculator/calculator-frontend.js",
      "--host",
      "192.168.1.10",
      "--port",
      "50000",
      "--sum-url",
      "http://192.168.2.1:50001",
      "--sub-url",
      "http://192.168.2.2:50002",
      "--mul-url",
      "http://192.168.2.3:50003",
      "--div-url",
      "http://192.168.2.4:50004",
      "--service-timeout-ms",
      "3000",
    ]);
    expect(plan.routerRoutes).to.deep.equal([
      { router: "inner", destinationCidr: "0.0.0.0/0", nextHop: "192.168.1.1" },
      { router: "outer", destinationCidr: "192.168.2.0/24", nextHop: "192.168.1.254" },
    ]);
    expect(plan.frontendRules).to.deep.equal([
      { protocol: "tcp", port: 50000, remoteCidr: "203.0.113.0/24", description: "calculator front end from clients" },
    ]);
    expect(plan.serviceRules.map((r) => [r.port, r.remoteCidr])).to.deep.equal([
      [50001, "192.168.1.10/32"],
      [50002, "192.168.1.10/32"],
      [50003, "192.168.1.10/32"],
      [50004, "192.168.1.10/32"],
    ]);
  });

  it("systemd-analyze catches a broken unit (the check can fail)", () => {
    expect(() => assertValidSystemdUnit("x.service", "[Service]\nExecStart=/bin/true\nRestart=sometimes\n")).to.throw(
      "Failed to parse service restart specifier",
    );
  });

  it("computes allocation pools around fixed addresses", () => {
    expect(poolsExcluding("10.0.0.0/29", ["10.0.0.1", "10.0.0.6"])).to.deep.equal([
      { start: "10.0.0.2", end: "10.0.0.5" },
    ]);
    expect(poolsExcluding("10.0.0.0/29", ["10.0.0.3"])).to.deep.equal([
      { start: "10.0.0.1", end: "10.0.0.2" },
      { start: "10.0.0.4", end: "10.0.0.6" },
    ]);
  });

  it("without egress there are no router routes; then Node.js must come with the image", () => {
    const plan = planTwoTierCalculator(C, {
      ...ARGS,
      clientCidr: "198.51.100.7/32",
      serviceInternetEgress: false,
      nodejsSource: "image",
    });
    expect(plan.routerRoutes).to.deep.equal([]);
    expect(() =>
      planTwoTierCalculator(C, { ...ARGS, clientCidr: "198.51.100.7/32", serviceInternetEgress: false }),
    ).to.throw(
      `${C}: invalid arguments:\n  - serviceInternetEgress: false leaves the services without a route to a package mirror`,
    );
  });

  it("a /28 fits the defaults; /29 is refused with the fix", () => {
    const plan = planTwoTierCalculator(C, {
      ...ARGS,
      clientCidr: "203.0.113.0/24",
      frontendCidr: "10.0.0.0/28",
      serviceCidr: "10.0.1.0/28",
    });
    expect(plan.servers.find((s) => s.role === "frontend")!.ip).to.equal("10.0.0.10");
    expect(plan.innerRouterFrontendIp).to.equal("10.0.0.14");
    expect(() =>
      planTwoTierCalculator(C, { ...ARGS, clientCidr: "203.0.113.0/24", frontendCidr: "10.0.0.0/29" }),
    ).to.throw("use e.g. 192.168.1.0/24");
  });

  it("Net2's egress: through RT1 by default (routes on both routers), or RT2's own gateway (no routes) for ML2/OVN", () => {
    const outer = planTwoTierCalculator(C, { ...ARGS, clientCidr: "203.0.113.0/24" });
    expect(outer.innerRouterExternalGateway).to.equal(false);
    expect(outer.routerRoutes.map((r) => r.router)).to.deep.equal(["inner", "outer"]);
    const inner = planTwoTierCalculator(C, { ...ARGS, clientCidr: "203.0.113.0/24", serviceEgressRouter: "inner" });
    expect(inner.innerRouterExternalGateway).to.equal(true);
    expect(inner.routerRoutes).to.deep.equal([]);
  });

  it("networkBackend: on ML2/OVN Net2 leaves through RT2 by default; the seed's layout only with indirect SNAT", () => {
    const plan = (extra: object) => planTwoTierCalculator(C, { ...ARGS, clientCidr: "203.0.113.0/24", ...extra });
    // Unset or "ovs": the seed's layout, as before (existing stacks keep their resources).
    for (const extra of [{}, { networkBackend: "ovs" }]) {
      expect(plan(extra).serviceEgressRouter, JSON.stringify(extra)).to.equal("outer");
      expect(plan(extra).innerRouterExternalGateway).to.equal(false);
    }
    // Only the readiness check can tell the seed's layout failed on OVN: its failure says how.
    expect(plan({}).readiness!.hint).to.equal(OVN_READINESS_HINT);
    expect(plan({ networkBackend: "ovs" }).readiness!.hint).to.equal(undefined);
    expect(plan({ serviceEgressRouter: "inner" }).readiness!.hint).to.equal(undefined);
    expect(plan({ serviceInternetEgress: false, nodejsSource: "image" }).readiness!.hint).to.equal(undefined);
    expect(plan({ nodejsSource: "image" }).readiness!.hint, "Node.js in the image: no mirror needed").to.equal(
      undefined,
    );
    const ovn = plan({ networkBackend: "ovn" });
    expect(ovn.serviceEgressRouter).to.equal("inner");
    expect(ovn.innerRouterExternalGateway).to.equal(true);
    expect(ovn.routerRoutes).to.deep.equal([]);
    // Neutron's ovn_router_indirect_snat = true: RT1 SNATs Net2, the seed's layout works again.
    const indirect = plan({ networkBackend: "ovn", ovnRouterIndirectSnat: true });
    expect(indirect.serviceEgressRouter).to.equal("outer");
    expect(indirect.routerRoutes.map((r) => r.router)).to.deep.equal(["inner", "outer"]);
    expect(
      plan({ networkBackend: "ovn", ovnRouterIndirectSnat: true, serviceEgressRouter: "inner" })
        .innerRouterExternalGateway,
    ).to.equal(true);
    // No egress: nothing to SNAT, no gateway for RT2 whatever the backend.
    const closed = plan({ networkBackend: "ovn", serviceInternetEgress: false, nodejsSource: "image" });
    expect(closed.innerRouterExternalGateway).to.equal(false);
    expect(closed.routerRoutes).to.deep.equal([]);
  });

  it("refuses bad input naming the field, the value and the fix", () => {
    const cases: [object, string][] = [
      [{}, "clientCidr: (not set) is required"],
      [{ serviceCidr: "192.168.1.128/25" }, 'serviceCidr: "192.168.1.128/25" overlaps frontendCidr 192.168.1.0/24'],
      [{ frontendCidr: "192.168.1.0/33" }, 'frontendCidr: "192.168.1.0/33"'],
      [{ serviceIps: { mul: "192.168.3.3" } }, 'serviceIps.mul: "192.168.3.3" is outside 192.168.2.0/24'],
      [{ serviceIps: { sub: "192.168.2.1" } }, 'serviceIps.sub: "192.168.2.1" is already used by serviceIps.sum'],
      [{ serviceIps: { div: "192.168.2.254" } }, 'serviceGatewayIp: "192.168.2.254" is already used by serviceIps.div'],
      [{ frontendIp: "192.168.1.1" }, 'frontendIp: "192.168.1.1" is already used by frontendGatewayIp'],
      [
        { frontendIp: "192.168.1.255" },
        'frontendIp: "192.168.1.255" is outside 192.168.1.0/24; use a host address 192.168.1.1-192.168.1.254',
      ],
      [{ servicePorts: { div: 50000 } }, "servicePorts.div: 50000 clashes with frontendPort"],
      [{ servicePorts: { sub: 50001 } }, "servicePorts.sub: 50001 clashes with servicePorts.sum"],
      [{ frontendPort: 70000 }, "frontendPort: 70000 is not a TCP port"],
      [{ nodejsSource: "snap" }, 'nodejsSource: "snap" is not one of "package", "image"'],
      [
        { sshClientCidr: "0.0.0.0/0", keyPairName: "ops" },
        'sshClientCidr: "0.0.0.0/0" opens SSH to the whole internet',
      ],
      // SSH without a keypair: nothing could log in, so nothing is opened.
      [
        { sshClientCidr: "198.51.100.0/28" },
        'sshClientCidr: "198.51.100.0/28" opens SSH, but keyPairName is not set, so no key could log in; set keyPairName to a Nova keypair or leave sshClientCidr unset',
      ],
      // Too small for the layout: a clear refusal naming the field, not a raw "host number 10 is outside".
      [
        { frontendCidr: "10.0.0.0/29" },
        'frontendCidr: "10.0.0.0/29" is too small (/29): the calculator needs /28 or larger',
      ],
      [
        { serviceCidr: "10.1.0.0/29" },
        'serviceCidr: "10.1.0.0/29" is too small (/29): the calculator needs /28 or larger',
      ],
      [{ serviceEgressRouter: "rt3" }, 'serviceEgressRouter: "rt3" is not one of "outer", "inner"'],
      [
        { serviceEgressRouter: "inner", serviceInternetEgress: false, nodejsSource: "image" },
        'serviceEgressRouter: "inner" gives RT2 an external gateway, yet serviceInternetEgress is false',
      ],
      [{ networkBackend: "linuxbridge" }, 'networkBackend: "linuxbridge" is not one of "ovs", "ovn"'],
      [
        { networkBackend: "ovn", serviceEgressRouter: "outer" },
        'serviceEgressRouter: "outer" routes Net2 out through RT1, but on ML2/OVN (networkBackend "ovn") RT1 SNATs only its own subnets unless Neutron sets [ovn] ovn_router_indirect_snat = true (default false), so the services would never reach a mirror; use serviceEgressRouter "inner" (RT2 gets its own external gateway; the default on "ovn"), or, if your cloud sets ovn_router_indirect_snat = true, set ovnRouterIndirectSnat: true',
      ],
      [
        { ovnRouterIndirectSnat: true },
        'ovnRouterIndirectSnat: true is an ML2/OVN setting, yet networkBackend is not set; set networkBackend "ovn" or leave ovnRouterIndirectSnat out',
      ],
      [{ networkBackend: "ovn", ovnRouterIndirectSnat: "yes" }, 'ovnRouterIndirectSnat: "yes" is not true or false'],
      [{ clientCidr: "10.0.0.1/8" }, 'clientCidr: "10.0.0.1/8"'],
    ];
    for (const [spec, message] of cases) {
      const full = { ...ARGS, clientCidr: "203.0.113.0/24", ...spec };
      if (!("clientCidr" in spec) && Object.keys(spec).length === 0)
        delete (full as { clientCidr?: string }).clientCidr;
      expect(() => planTwoTierCalculator(C, full), JSON.stringify(spec)).to.throw(
        ComponentArgsError,
        `${C}: invalid arguments:\n  - ${message}`,
      );
    }
  });

  it("reports every problem at once: bad fields, clashing addresses and ports, SSH without a key", () => {
    // A lab's calculator typed in by hand, with one mistake in nearly every line.
    let error: ComponentArgsError | undefined;
    try {
      planTwoTierCalculator(C, {
        imageName: "debian-12",
        flavorName: "",
        externalNetworkName: "public",
        clientCidr: "203.0.113.7/24",
        serviceCidr: "192.168.1.128/25",
        frontendIp: "192.168.1.1",
        frontendPort: 50002,
        sshClientCidr: "198.51.100.0/28",
        nodejsSource: "snap",
      });
    } catch (e) {
      error = e as ComponentArgsError;
    }
    expect(error).to.be.instanceOf(ComponentArgsError);
    expect(error!.problems.map((p) => `${p.field}: ${p.problem.split(";")[0]}`)).to.have.members([
      "flavorName: is empty",
      "clientCidr: has host bits set",
      "serviceCidr: overlaps frontendCidr 192.168.1.0/24",
      "frontendIp: is already used by frontendGatewayIp on 192.168.1.0/24",
      "servicePorts.sub: clashes with frontendPort",
      "sshClientCidr: opens SSH, but keyPairName is not set, so no key could log in",
      'nodejsSource: is not one of "package", "image"',
    ]);
    expect(error!.message).to.match(/^TwoTierCalculatorTopology t: invalid arguments:\n {2}- /);
  });

  it("renders user data that real cloud-init accepts, with the bundle, a systemd unit and its start", () => {
    const plan = planTwoTierCalculator(C, { ...ARGS, clientCidr: "203.0.113.0/24" });
    for (const server of plan.servers) {
      const text = renderCalculatorUserData(plan, server);
      assertValidCloudConfig(text, `${server.role} user data`);
      const doc = parseCloudConfig(text);
      expect(doc.packages).to.deep.equal(["nodejs"]);
      const [bundle, unit] = doc.write_files!;
      expect(bundle.path).to.equal(server.execStart[1]);
      expect(bundle.content).to.equal(readBundle(server.role));
      expect(unit.path).to.equal(`/etc/systemd/system/${server.unitName}`);
      expect(unit.content).to.equal(renderCalculatorUnit(server));
      expect(unit.content).to.contain("Restart=on-failure\n").and.contain("WantedBy=multi-user.target\n");
      expect(execStartOfUnit(unit.content)).to.deep.equal(server.execStart);
      assertValidSystemdUnit(server.unitName, unit.content);
      expect(doc.runcmd).to.deep.equal([
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", server.unitName],
      ]);
      expect(4 * Math.ceil(Buffer.byteLength(text) / 3)).to.be.below(65535 / 2);
    }
    const imagePlan = planTwoTierCalculator(C, { ...ARGS, clientCidr: "203.0.113.0/24", nodejsSource: "image" });
    const doc = parseCloudConfig(renderCalculatorUserData(imagePlan, imagePlan.servers[1]));
    expect(doc.packages).to.equal(undefined);
  });
});
