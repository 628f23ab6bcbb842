import { expect } from "chai";
import {
  assertValidCloudConfig,
  defaultExistingCloud,
  installMocks,
  outputValue,
  T,
} from "@openstack-blueprints/test-harness";
import { execStartOfUnit } from "../../src/calculator/calculator-user-data";
import { OVN_READINESS_HINT } from "../../src/calculator/two-tier-calculator-plan";
import {
  TwoTierCalculatorTopology,
  TwoTierCalculatorTopologyArgs,
} from "../../src/calculator/two-tier-calculator-topology";
import { parseCloudConfig } from "../../src/cloudinit/cloud-config";

const harness = installMocks();
const BASE: TwoTierCalculatorTopologyArgs = {
  imageName: "ubuntu-24.04",
  flavorName: "m1.small",
  externalNetworkName: "public",
  clientCidr: "203.0.113.0/24",
};

describe("TwoTierCalculatorTopology (under the mock harness)", function () {
  this.timeout(60000);

  it("builds both networks, both routers and their interfaces, the host route, ports at the fixed IPs, rules, floating IP and servers", async () => {
    harness.reset();
    const run = await harness.runProgram(() => new TwoTierCalculatorTopology("calc", BASE));
    expect(run.errors.map((e) => e.message)).to.deep.equal([]);
    const component = run.byName("calc");
    expect(component.type).to.equal("openstack-blueprints:index:TwoTierCalculatorTopology");

    // Networks and subnets: Net1 hands out the route to Net2; Net2's gateway is RT2 at .254.
    expect(
      run
        .byType(T.network)
        .map((n) => n.inputs.name)
        .sort(),
    ).to.deep.equal(["calc-net1", "calc-net2"]);
    const subnet1 = run.byName("calc-net1-subnet");
    const subnet2 = run.byName("calc-net2-subnet");
    expect(subnet1.inputs).to.deep.include({ cidr: "192.168.1.0/24", gatewayIp: "192.168.1.1", enableDhcp: true });
    expect(
      run.byType(T.subnetRoute).map((r) => [r.name, r.inputs.subnetId, r.inputs.destinationCidr, r.inputs.nextHop]),
    ).to.deep.equal([["calc-net1-route-192.168.2.0_24", subnet1.id, "192.168.2.0/24", "192.168.1.254"]]);
    expect(subnet2.inputs).to.deep.include({ cidr: "192.168.2.0/24", gatewayIp: "192.168.2.254", enableDhcp: true });
    expect(subnet2.inputs.hostRoutes).to.equal(undefined);

    // Routers: RT1 with the external gateway, RT2 without; RT1 on Net1, RT2 on Net2 and on Net1 at .254.
    const rt1 = run.byName("calc-net1-router");
    const rt2 = run.byName("calc-rt2");
    expect(run.byType(T.router)).to.have.length(2);
    expect(rt1.inputs.externalNetworkId).to.equal("net-public");
    expect(rt2.inputs.externalNetworkId).to.equal(undefined);
    const interfaces = run
      .byType(T.routerInterface)
      .map((i) => [i.name, i.inputs.routerId, i.inputs.subnetId ?? i.inputs.portId]);
    expect(interfaces).to.have.deep.members([
      ["calc-net1-router-interface", rt1.id, subnet1.id],
      ["calc-net2-router-interface", rt2.id, subnet2.id],
      ["calc-rt2-net1-interface", rt2.id, run.byName("calc-rt2-net1-port").id],
    ]);
    expect(
      run.byName("calc-rt2-net1-port").state.fixedIps ?? run.byName("calc-rt2-net1-port").inputs.fixedIps,
    ).to.deep.equal([{ subnetId: subnet1.id, ipAddress: "192.168.1.254" }]);

    // Egress for Net2 through RT2 → RT1.
    const routes = run
      .byType("openstack:networking/routerRoute:RouterRoute")
      .map((r) => [r.inputs.routerId, r.inputs.destinationCidr, r.inputs.nextHop]);
    expect(routes).to.have.deep.members([
      [rt2.id, "0.0.0.0/0", "192.168.1.1"],
      [rt1.id, "192.168.2.0/24", "192.168.1.254"],
    ]);

    // Ports at the fixed IPs, with their security groups.
    const frontendGroup = run.byName("calc-frontend-sg-group");
    const servicesGroup = run.byName("calc-services-sg-group");
    const expectedPorts: [string, string, string, string][] = [
      ["frontend", subnet1.id, "192.168.1.10", frontendGroup.id],
      ["sum", subnet2.id, "192.168.2.1", servicesGroup.id],
      ["sub", subnet2.id, "192.168.2.2", servicesGroup.id],
      ["mul", subnet2.id, "192.168.2.3", servicesGroup.id],
      ["div", subnet2.id, "192.168.2.4", servicesGroup.id],
    ];
    for (const [role, subnetId, ip, group] of expectedPorts) {
      const port = run.byName(`calc-${role}-port`);
      expect(port.inputs.fixedIps).to.deep.equal([{ subnetId, ipAddress: ip }]);
      expect(port.inputs.securityGroupIds).to.deep.equal([group]);
      const instance = run.byName(`calc-${role}`);
      expect(instance.inputs.networks).to.deep.equal([{ port: port.id }]);
      expect(instance.inputs).to.deep.include({ imageName: "ubuntu-24.04", flavorName: "m1.small" });
      // Servers wait for the whole network, including RT2's interface on Net1.
      const deps = run.dependsOnTransitively(instance.urn);
      for (const needed of ["calc-rt2-net1-interface", "calc-net1-router-interface", "calc-net2-router-interface"]) {
        expect(deps.has(run.byName(needed).urn), `${role} depends on ${needed}`).to.equal(true);
      }
    }

    // Security group rules: the front end from the client block only; services from the front end only.
    const rules = run
      .byType(T.secGroupRule)
      .map((r) => [
        r.inputs.securityGroupId,
        r.inputs.protocol,
        r.inputs.portRangeMin,
        r.inputs.portRangeMax,
        r.inputs.remoteIpPrefix,
      ]);
    expect(rules).to.have.deep.members([
      [frontendGroup.id, "tcp", 50000, 50000, "203.0.113.0/24"],
      [servicesGroup.id, "tcp", 50001, 50001, "192.168.1.10/32"],
      [servicesGroup.id, "tcp", 50002, 50002, "192.168.1.10/32"],
      [servicesGroup.id, "tcp", 50003, 50003, "192.168.1.10/32"],
      [servicesGroup.id, "tcp", 50004, 50004, "192.168.1.10/32"],
    ]);
    expect(rules.some((r) => r[4] === "0.0.0.0/0")).to.equal(false);

    // Floating IP on the front end's port, after RT1's interface on Net1.
    const fip = run.byName("calc-frontend-fip");
    const assoc = run.byName("calc-frontend-fip-assoc");
    expect(assoc.inputs).to.deep.include({
      floatingIp: fip.state.address,
      portId: run.byName("calc-frontend-port").id,
    });
    expect(run.dependsOnTransitively(assoc.urn).has(run.byName("calc-net1-router-interface").urn)).to.equal(true);

    // Every child hangs under the component.
    const all = run.resources.filter((r) => r.urn !== component.urn);
    expect(all.length).to.be.greaterThan(30);
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    for (const r of all) {
      let ancestor = r.parent;
      while (ancestor && ancestor !== component.urn) ancestor = byUrn.get(ancestor)?.parent ?? "";
      expect(ancestor, `${r.name} descends from the component`).to.equal(component.urn);
    }

    // Outputs.
    const topo = run.value!;
    expect(await outputValue(topo.publicUrl)).to.equal(`http://${fip.state.address}:50000`);
    expect(await outputValue(topo.serviceIps)).to.deep.equal({
      sum: "192.168.2.1",
      sub: "192.168.2.2",
      mul: "192.168.2.3",
      div: "192.168.2.4",
    });
    expect(await outputValue(topo.outerRouterId)).to.equal(rt1.id);
    expect(await outputValue(topo.innerRouterId)).to.equal(rt2.id);
    expect(await outputValue(topo.frontendNetworkId)).to.equal(run.byName("calc-net1-network").id);
    expect(await outputValue(topo.serviceNetworkId)).to.equal(run.byName("calc-net2-network").id);
  });

  it("gives every server user data that real cloud-init accepts, running its service under systemd at its address", async () => {
    harness.reset();
    const run = await harness.runProgram(() => new TwoTierCalculatorTopology("calc", BASE));
    expect(run.errors).to.deep.equal([]);
    const expected: Record<string, string[]> = {
      frontend: ["--host", "192.168.1.10", "--port", "50000", "--sum-url", "http://192.168.2.1:50001"],
      sum: ["--host", "192.168.2.1", "--port", "50001"],
      sub: ["--host", "192.168.2.2", "--port", "50002"],
      mul: ["--host", "192.168.2.3", "--port", "50003"],
      div: ["--host", "192.168.2.4", "--port", "50004"],
    };
    for (const [role, flags] of Object.entries(expected)) {
      const userData: string = run.byName(`calc-${role}`).inputs.userData;
      assertValidCloudConfig(userData, `${role} user data`);
      const doc = parseCloudConfig(userData);
      expect(doc.packages).to.deep.equal(["nodejs"]);
      const unit = doc.write_files!.find((f) => f.path === `/etc/systemd/system/calculator-${role}.service`)!;
      const argv = execStartOfUnit(unit.content);
      expect(argv.slice(0, 2)).to.deep.equal([
        "/usr/bin/node",
        `/opt/openstack-blueprints/calculator/calculator-${role}.js`,
      ]);
      expect(argv.join(" ")).to.contain(flags.join(" "));
      expect(doc.write_files!.map((f) => f.path)).to.include(argv[1]);
    }
  });

  it("honours custom CIDRs, addresses, ports, keypair and no egress", async () => {
    const run = await harness.runProgram(
      () =>
        new TwoTierCalculatorTopology("shop", {
          ...BASE,
          frontendCidr: "10.10.0.0/24",
          serviceCidr: "10.20.0.0/24",
          frontendIp: "10.10.0.50",
          serviceIps: { sum: "10.20.0.11", sub: "10.20.0.12", mul: "10.20.0.13", div: "10.20.0.14" },
          frontendPort: 8080,
          servicePorts: { sum: 9001, sub: 9002, mul: 9003, div: 9004 },
          serviceInternetEgress: false,
          nodejsSource: "image",
          sshClientCidr: "198.51.100.0/24",
          keyPairName: "ops",
        }),
      { ...defaultExistingCloud(), keypairs: ["ops"] },
    );
    expect(run.errors).to.deep.equal([]);
    expect(run.byType("openstack:networking/routerRoute:RouterRoute")).to.have.length(0);
    expect(run.byName("shop-net1-route-10.20.0.0_24").inputs).to.deep.include({
      destinationCidr: "10.20.0.0/24",
      nextHop: "10.10.0.254",
    });
    expect(run.byName("shop-net2-subnet").inputs.gatewayIp).to.equal("10.20.0.254");
    expect(run.byName("shop-mul-port").inputs.fixedIps[0].ipAddress).to.equal("10.20.0.13");
    expect(parseCloudConfig(run.byName("shop-sum").inputs.userData).packages).to.equal(undefined);
    for (const role of ["frontend", "sum", "sub", "mul", "div"])
      expect(run.byName(`shop-${role}`).inputs.keyPair).to.equal("ops");
    const frontendRules = run
      .byType(T.secGroupRule)
      .filter((r) => r.inputs.securityGroupId === run.byName("shop-frontend-sg-group").id);
    expect(frontendRules.map((r) => [r.inputs.portRangeMin, r.inputs.remoteIpPrefix])).to.have.deep.members([
      [8080, "203.0.113.0/24"],
      [22, "198.51.100.0/24"],
    ]);
    expect(await outputValue(run.value!.publicUrl)).to.match(/^http:\/\/172\.24\.4\.\d+:8080$/);
  });

  it("boots the services only after the RT2/RT1 routes exist (apt needs Net2's way out); servers on pre-made ports are deleted before replaced", async () => {
    harness.reset();
    const run = await harness.runProgram(() => new TwoTierCalculatorTopology("calc", BASE));
    expect(run.errors).to.deep.equal([]);
    const routes = run.byType("openstack:networking/routerRoute:RouterRoute");
    expect(routes.map((r) => r.name).sort()).to.deep.equal(["calc-rt1-route-net2", "calc-rt2-route-default"]);
    for (const role of ["frontend", "sum", "sub", "mul", "div"]) {
      const server = run.byName(`calc-${role}`);
      const deps = run.dependsOnTransitively(server.urn);
      for (const route of routes) expect(deps.has(route.urn), `calc-${role} waits for ${route.name}`).to.equal(true);
      expect(server.deleteBeforeReplace, `calc-${role} deleteBeforeReplace`).to.equal(true);
    }
  });

  it("serviceEgressRouter inner: RT2 gets its own external gateway and no router routes (ML2/OVN without indirect SNAT)", async () => {
    harness.reset();
    const run = await harness.runProgram(
      () => new TwoTierCalculatorTopology("calc", { ...BASE, serviceEgressRouter: "inner" }),
    );
    expect(run.errors).to.deep.equal([]);
    expect(run.byName("calc-rt2").inputs.externalNetworkId).to.equal("net-public");
    expect(run.byType("openstack:networking/routerRoute:RouterRoute")).to.have.length(0);
  });

  it("networkBackend ovn: the same children as the seed's layout, RT2 with its own gateway instead of the two routes", async () => {
    harness.reset();
    const seed = await harness.runProgram(() => new TwoTierCalculatorTopology("calc", BASE));
    harness.reset();
    const run = await harness.runProgram(
      () => new TwoTierCalculatorTopology("calc", { ...BASE, networkBackend: "ovn" }),
    );
    expect(run.errors.map((e) => e.message)).to.deep.equal([]);
    expect(run.byName("calc-rt2").inputs.externalNetworkId).to.equal("net-public");
    expect(run.byType(T.calculatorReadiness)[0].inputs.hint).to.equal(undefined);
    const routeNames = ["calc-rt1-route-net2", "calc-rt2-route-default"];
    // Child names are a compatibility contract: only the two router routes differ.
    expect(run.resources.map((r) => r.name).sort()).to.deep.equal(
      seed.resources
        .map((r) => r.name)
        .filter((n) => !routeNames.includes(n))
        .sort(),
    );
  });

  it("places the servers in the Nova zone and both networks and both routers in the Neutron zones asked for", async () => {
    harness.reset();
    const run = await harness.runProgram(
      () =>
        new TwoTierCalculatorTopology("calc", {
          ...BASE,
          availabilityZone: "guests",
          networkAvailabilityZoneHints: ["guests"],
        }),
    );
    expect(run.errors.map((e) => e.message)).to.deep.equal([]);
    for (const role of ["frontend", "sum", "sub", "mul", "div"])
      expect(run.byName(`calc-${role}`).inputs.availabilityZone, role).to.equal("guests");
    for (const name of ["calc-net1-network", "calc-net2-network", "calc-net1-router", "calc-rt2"])
      expect(run.byName(name).inputs.availabilityZoneHints, name).to.deep.equal(["guests"]);

    harness.reset();
    const plain = await harness.runProgram(() => new TwoTierCalculatorTopology("calc", BASE));
    expect(plain.byName("calc-frontend").inputs.availabilityZone).to.equal(undefined);
    for (const name of ["calc-net1-network", "calc-net2-network", "calc-net1-router", "calc-rt2"])
      expect(plain.byName(name).inputs.availabilityZoneHints, name).to.equal(undefined);
  });

  it("declares the front end's readiness check last: after every server and the floating IP, checking an expression through all four services", async () => {
    harness.reset();
    const run = await harness.runProgram(() => new TwoTierCalculatorTopology("calc", BASE));
    expect(run.errors.map((e) => e.message)).to.deep.equal([]);
    const [check] = run.byType(T.calculatorReadiness);
    expect(check!.name).to.equal("calc-frontend-ready");
    expect(check!.parent).to.equal(run.byName("calc").urn);
    const url = await outputValue(run.value!.publicUrl);
    expect(check!.inputs).to.deep.include({ url, expression: "(4+5)*3-10/2", expected: 22, timeoutSeconds: 1200 });
    expect(check!.inputs.servers).to.deep.equal(await outputValue(run.value!.instanceIds));
    // The seed's layout with the backend not given: a failure names ML2/OVN's SNAT as a suspect.
    expect(check!.inputs.hint).to.equal(OVN_READINESS_HINT);
    const deps = run.dependsOnTransitively(check!.urn);
    for (const needed of [
      "calc-frontend",
      "calc-sum",
      "calc-sub",
      "calc-mul",
      "calc-div",
      "calc-frontend-fip-assoc",
      "calc-net1-route-192.168.2.0_24",
      "calc-rt2-net1-interface",
    ])
      expect(deps.has(run.byName(needed).urn), `the check waits for ${needed}`).to.equal(true);
    expect(check!.customTimeouts.create).to.equal("1320s");
    // The harness boots nothing, so the outputs cannot claim an answer.
    expect(await outputValue(run.value!.frontendReady)).to.equal(false);
    expect(await outputValue(run.value!.frontendReadiness)).to.match(/^modelled: /);

    harness.reset();
    const off = await harness.runProgram(
      () => new TwoTierCalculatorTopology("calc", { ...BASE, frontendReadinessTimeoutSeconds: 0 }),
    );
    expect(off.byType(T.calculatorReadiness)).to.deep.equal([]);
    expect(await outputValue(off.value!.frontendReady)).to.equal(false);
    expect(await outputValue(off.value!.frontendReadiness)).to.equal(
      "not checked (frontendReadinessTimeoutSeconds is 0)",
    );
  });

  for (const [what, args, message] of [
    [
      "overlapping CIDRs",
      { serviceCidr: "192.168.0.0/16" },
      'serviceCidr: "192.168.0.0/16" overlaps frontendCidr 192.168.1.0/24',
    ],
    [
      "a fixed IP outside its subnet",
      { serviceIps: { div: "192.168.1.4" } },
      'serviceIps.div: "192.168.1.4" is outside 192.168.2.0/24',
    ],
    ["a port clash", { frontendPort: 50003 }, "servicePorts.mul: 50003 clashes with frontendPort"],
    ["no client CIDR", { clientCidr: undefined }, "clientCidr: (not set) is required"],
    [
      "a /29",
      { frontendCidr: "10.0.0.0/29" },
      'frontendCidr: "10.0.0.0/29" is too small (/29): the calculator needs /28 or larger',
    ],
    ["an empty Nova zone", { availabilityZone: "" }, 'availabilityZone: "" is empty; give a Nova availability zone'],
    [
      "a repeated Neutron zone",
      { networkAvailabilityZoneHints: ["az1", "az1"] },
      'networkAvailabilityZoneHints[1]: "az1" repeats "az1"; list each zone once',
    ],
    [
      "a negative readiness timeout",
      { frontendReadinessTimeoutSeconds: -1 },
      "frontendReadinessTimeoutSeconds: -1 is not a whole number of seconds 0-7200 (0 skips the check)",
    ],
    [
      "SSH without a keypair",
      { sshClientCidr: "198.51.100.0/28" },
      'sshClientCidr: "198.51.100.0/28" opens SSH, but keyPairName is not set',
    ],
    [
      "the seed's layout on ML2/OVN without indirect SNAT",
      { networkBackend: "ovn", serviceEgressRouter: "outer" },
      'serviceEgressRouter: "outer" routes Net2 out through RT1, but on ML2/OVN (networkBackend "ovn") RT1 SNATs only its own subnets',
    ],
  ] as [string, Partial<TwoTierCalculatorTopologyArgs>, string][]) {
    it(`refuses ${what} before creating any resource, naming the field`, async () => {
      harness.reset();
      const run = await harness.runProgram(
        () => new TwoTierCalculatorTopology("bad", { ...BASE, ...args } as TwoTierCalculatorTopologyArgs),
      );
      expect(run.thrown?.message).to.contain(`TwoTierCalculatorTopology bad: invalid arguments:\n  - ${message}`);
      expect(run.resources).to.have.length(0); // not even the component
    });
  }
});
