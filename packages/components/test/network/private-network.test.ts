import { expect } from "chai";
import * as openstack from "@pulumi/openstack";
import { installMocks, outputValue, T } from "@openstack-blueprints/test-harness";
import { PrivateNetwork } from "../../src/network/private-network";
import { ComponentArgsError } from "../../src/errors";

const harness = installMocks();

describe("PrivateNetwork (under the mock harness)", () => {
  it("builds network, subnet, router with external gateway and interface, all parented to the component", async () => {
    const run = await harness.runProgram(
      () =>
        new PrivateNetwork("office", {
          cidr: "10.20.0.0/24",
          dnsNameservers: ["9.9.9.9", "149.112.112.112"],
          externalNetworkName: "public",
          internetAccess: true,
          allocationPools: [{ start: "10.20.0.10", end: "10.20.0.200" }],
          hostRoutes: [{ destinationCidr: "10.30.0.0/24", nextHop: "10.20.0.254" }],
        }),
    );
    expect(run.errors).to.deep.equal([]);
    const component = run.byName("office");
    expect(component.type).to.equal("openstack-blueprints:index:PrivateNetwork");
    const children = run.childrenOf(component.urn);
    expect(children.map((c) => [c.type, c.name])).to.have.deep.members([
      [T.network, "office-network"],
      [T.subnet, "office-subnet"],
      [T.router, "office-router"],
      [T.routerInterface, "office-router-interface"],
      [T.subnetRoute, "office-route-10.30.0.0_24"],
    ]);
    const subnet = run.byName("office-subnet");
    expect(subnet.inputs).to.deep.include({
      cidr: "10.20.0.0/24",
      gatewayIp: "10.20.0.1",
      enableDhcp: true,
      dnsNameservers: ["9.9.9.9", "149.112.112.112"],
      allocationPools: [{ start: "10.20.0.10", end: "10.20.0.200" }],
    });
    expect(subnet.inputs.hostRoutes).to.equal(undefined);
    expect(run.byName("office-route-10.30.0.0_24").inputs).to.deep.include({
      subnetId: subnet.id,
      destinationCidr: "10.30.0.0/24",
      nextHop: "10.20.0.254",
    });
    expect(run.byName("office-router").inputs.externalNetworkId).to.equal("net-public");
    expect(harness.calls.map((c) => c.token)).to.include("openstack:networking/getNetwork:getNetwork");
    const net = run.value!;
    expect(await outputValue(net.routerId)).to.equal(run.byName("office-router").id);
    expect(await outputValue(net.gatewayIp)).to.equal("10.20.0.1");
    expect(await outputValue(net.externalGatewayIp)).to.match(/^172\.24\.4\./);
    expect(await outputValue(net.routerInterfaceId)).to.equal(run.byName("office-router-interface").id);
  });

  it("makes floating IPs work for whoever depends on the component", async () => {
    const run = await harness.runProgram(() => {
      const net = new PrivateNetwork("lab", {
        cidr: "192.168.1.0/24",
        externalNetworkName: "public",
        dnsNameservers: ["9.9.9.9"],
        internetAccess: true,
      });
      const port = new openstack.networking.Port("lab-vm-port", {
        networkId: net.networkId,
        fixedIps: [{ subnetId: net.subnetId, ipAddress: "192.168.1.20" }],
      });
      const fip = new openstack.networking.FloatingIp("lab-vm-fip", { pool: "public" });
      new openstack.networking.FloatingIpAssociate(
        "lab-vm-fip-assoc",
        { floatingIp: fip.address, portId: port.id },
        { dependsOn: [net] },
      );
    });
    expect(run.errors).to.deep.equal([]);
  });

  it("without a router a floating IP is refused, as Neutron would", async () => {
    const run = await harness.runProgram(() => {
      const net = new PrivateNetwork("backend", { cidr: "192.168.2.0/24" });
      const port = new openstack.networking.Port("backend-vm-port", {
        networkId: net.networkId,
        fixedIps: [{ subnetId: net.subnetId }],
      });
      const fip = new openstack.networking.FloatingIp("backend-vm-fip", { pool: "public" });
      new openstack.networking.FloatingIpAssociate(
        "backend-vm-fip-assoc",
        { floatingIp: fip.address, portId: port.id },
        { dependsOn: [net] },
      );
    });
    expect(run.resources.filter((r) => r.type === T.router)).to.have.length(0);
    expect(run.errors.map((e) => e.message).join("\n")).to.match(/not reachable from subnet/);
  });

  it("attaches to an existing router and creates none", async () => {
    const run = await harness.runProgram(() => {
      const edge = new PrivateNetwork("edge", { cidr: "192.168.1.0/24", externalNetworkName: "public" });
      return new PrivateNetwork("inner", { cidr: "192.168.2.0/24", existingRouterId: edge.routerId });
    });
    expect(run.errors).to.deep.equal([]);
    expect(run.byType(T.router)).to.have.length(1);
    expect(run.byName("inner-router-interface").inputs.routerId).to.equal(run.byName("edge-router").id);
  });

  it("refuses bad input before creating anything", async () => {
    const run = await harness.runProgram(
      () => new PrivateNetwork("bad", { cidr: "192.168.1.0/24", internetAccess: true, dnsNameservers: ["9.9.9.9"] }),
    );
    expect(run.thrown?.message).to.match(
      /PrivateNetwork bad: invalid arguments:\n  - internetAccess: true needs a router with an external gateway/,
    );
    expect(run.resources).to.have.length(0); // not even the component
    const both = await harness.runProgram(
      () =>
        new PrivateNetwork("both", { cidr: "10.1.0.0/33", externalNetworkName: "public", externalNetworkId: "ext-id" }),
    );
    expect(both.thrown).to.be.instanceOf(ComponentArgsError);
    expect((both.thrown as ComponentArgsError).problems.map((p) => p.field)).to.deep.equal([
      "externalNetworkId",
      "cidr",
    ]);
  });

  it("puts the network and the router it creates in the Neutron zones asked for (where their DHCP and L3 agents run)", async () => {
    const run = await harness.runProgram(
      () =>
        new PrivateNetwork("zoned", {
          cidr: "192.168.1.0/24",
          externalNetworkName: "public",
          availabilityZoneHints: ["guests"],
        }),
    );
    expect(run.errors).to.deep.equal([]);
    expect(run.byName("zoned-network").inputs.availabilityZoneHints).to.deep.equal(["guests"]);
    expect(run.byName("zoned-router").inputs.availabilityZoneHints).to.deep.equal(["guests"]);
    const plain = await harness.runProgram(
      () => new PrivateNetwork("plain", { cidr: "192.168.1.0/24", externalNetworkName: "public" }),
    );
    expect(plain.byName("plain-network").inputs.availabilityZoneHints).to.equal(undefined);
    expect(plain.byName("plain-router").inputs.availabilityZoneHints).to.equal(undefined);
  });

  it("refuses an empty zone name together with the other problems", async () => {
    const run = await harness.runProgram(
      () => new PrivateNetwork("badzone", { cidr: "10.1.0.0/33", availabilityZoneHints: ["guests", ""] }),
    );
    expect(run.thrown).to.be.instanceOf(ComponentArgsError);
    expect((run.thrown as ComponentArgsError).problems.map((p) => [p.field, p.problem])).to.deep.equal([
      ["availabilityZoneHints[1]", "is empty; give a Neutron availability zone (e.g. nova)"],
      ["cidr", (run.thrown as ComponentArgsError).problems[1]!.problem],
    ]);
    expect(run.resources).to.have.length(0);
  });

  it("a name typo in the external network fails with Neutron's message", async () => {
    const run = await harness.runProgram(
      () => new PrivateNetwork("typo", { cidr: "192.168.1.0/24", externalNetworkName: "pubic" }),
    );
    expect(run.errors.map((e) => e.message).join("\n")).to.match(/No networks found/);
  });
});
