import { expect } from "chai";
import { ArgsProblems, ComponentArgsError } from "../../src/errors";
import { planPrivateNetwork, PrivateNetworkSpec } from "../../src/network/private-network-plan";

const base: PrivateNetworkSpec = { cidr: "192.168.1.0/24", hasExternalNetwork: false, hasExistingRouter: false };
const plan = (over: Partial<PrivateNetworkSpec>) => planPrivateNetwork("PrivateNetwork t", { ...base, ...over });

describe("PrivateNetwork planning", () => {
  it("fills in the gateway, DHCP and no router by default", () => {
    const p = plan({});
    expect(p).to.include({ cidr: "192.168.1.0/24", gatewayIp: "192.168.1.1", enableDhcp: true, createRouter: false });
  });

  it("creates a router when an external network is given", () => {
    expect(plan({ hasExternalNetwork: true }).createRouter).to.equal(true);
    expect(plan({ hasExternalNetwork: true, hasExistingRouter: true }).createRouter).to.equal(false);
  });

  it("names the field, the value and the fix for a bad CIDR", () => {
    expect(() => plan({ cidr: "192.168.1.0/33" })).to.throw(
      'PrivateNetwork t: invalid arguments:\n  - cidr: "192.168.1.0/33" is not an IPv4 CIDR',
    );
    expect(() => plan({ cidr: "192.168.1.7/24" })).to.throw(
      'cidr: "192.168.1.7/24" has host bits set; the network is 192.168.1.0/24',
    );
    expect(() => plan({ cidr: "10.0.0.0/30" })).to.throw(/too small .* \/29 or larger/);
  });

  it("refuses a gateway outside the block or on its network/broadcast address", () => {
    expect(() => plan({ gatewayIp: "192.168.2.1" })).to.throw(
      /gatewayIp: "192.168.2.1" is not a usable host address of 192.168.1.0\/24/,
    );
    expect(() => plan({ gatewayIp: "192.168.1.255" })).to.throw(/gatewayIp/);
    expect(() => plan({ gatewayIp: "192.168.1.254" }).gatewayIp).not.to.throw();
  });

  it("checks allocation pools: inside, not over the gateway, not overlapping", () => {
    expect(() => plan({ allocationPools: [{ start: "192.168.1.100", end: "192.168.2.5" }] })).to.throw(
      /allocationPools\[0\].* is not inside 192.168.1.0\/24/,
    );
    expect(() => plan({ allocationPools: [{ start: "192.168.1.1", end: "192.168.1.50" }] })).to.throw(
      /contains the gateway 192.168.1.1/,
    );
    expect(() =>
      plan({
        allocationPools: [
          { start: "192.168.1.10", end: "192.168.1.50" },
          { start: "192.168.1.40", end: "192.168.1.60" },
        ],
      }),
    ).to.throw(/allocationPools\[0\].*overlaps allocationPools\[1\]/);
  });

  it("checks host routes: destination CIDR and a next hop on the subnet", () => {
    const ok = plan({ hostRoutes: [{ destinationCidr: "192.168.2.0/24", nextHop: "192.168.1.254" }] });
    expect(ok.hostRoutes).to.have.length(1);
    expect(() => plan({ hostRoutes: [{ destinationCidr: "192.168.2.0/24", nextHop: "192.168.2.1" }] })).to.throw(
      /hostRoutes\[0\].nextHop: "192.168.2.1" is not on 192.168.1.0\/24/,
    );
    expect(() => plan({ hostRoutes: [{ destinationCidr: "192.168.2.5/24", nextHop: "192.168.1.254" }] })).to.throw(
      /destinationCidr.*host bits/,
    );
  });

  it("refuses internet access without a routed gateway or without DNS (a small firm's office once went weeks without internet)", () => {
    expect(() => plan({ internetAccess: true, dnsNameservers: ["9.9.9.9"] })).to.throw(
      /internetAccess: true needs a router with an external gateway/,
    );
    expect(() => plan({ internetAccess: true, hasExternalNetwork: true })).to.throw(
      /dnsNameservers: \[\] is empty but internetAccess is true/,
    );
    expect(() =>
      plan({ internetAccess: true, hasExternalNetwork: true, dnsNameservers: ["9.9.9.9"], enableDhcp: false }),
    ).to.throw(/enableDhcp/);
    expect(plan({ internetAccess: true, hasExternalNetwork: true, dnsNameservers: ["9.9.9.9"] }).createRouter).to.equal(
      true,
    );
    expect(
      plan({ internetAccess: true, hasExistingRouter: true, dnsNameservers: ["9.9.9.9"] }).attachToExistingRouter,
    ).to.equal(true);
  });

  it("refuses contradictions", () => {
    expect(() => plan({ noGateway: true, gatewayIp: "192.168.1.1" })).to.throw(/noGateway/);
    expect(() => plan({ noGateway: true, hasExternalNetwork: true })).to.throw(/no router can be attached/);
    expect(() => plan({ createRouter: true, hasExistingRouter: true })).to.throw(/existingRouterId/);
    expect(() => plan({ dnsNameservers: ["dns.example"] })).to.throw(
      /dnsNameservers\[0\]: "dns.example" is not an IPv4 address/,
    );
    expect(() => plan({ mtu: 20 })).to.throw(/mtu: 20/);
  });

  it("reports every problem of a network at once, each with field, value and fix", () => {
    // An office network typed in a hurry: a gateway off the block, a resolver given by name, a
    // next hop elsewhere, internet access without DHCP and a nonsense MTU.
    let error: unknown;
    try {
      plan({
        gatewayIp: "192.168.9.1",
        dnsNameservers: ["dns.example"],
        hostRoutes: [{ destinationCidr: "10.8.0.0/16", nextHop: "10.9.9.9" }],
        internetAccess: true,
        hasExternalNetwork: true,
        enableDhcp: false,
        mtu: 20,
      });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ComponentArgsError);
    const problems = (error as ComponentArgsError).problems;
    expect(problems.map((p) => p.field)).to.deep.equal([
      "gatewayIp",
      "dnsNameservers[0]",
      "hostRoutes[0].nextHop",
      "enableDhcp",
      "mtu",
    ]);
    expect(problems[0]).to.include({ value: "192.168.9.1" });
    expect(problems[0].problem).to.contain("is not a usable host address of 192.168.1.0/24");
    expect((error as Error).message).to.contain('dnsNameservers[0]: "dns.example" is not an IPv4 address');
  });

  it("adds its problems to a caller's list instead of throwing, for components that embed a network", () => {
    const problems = new ArgsProblems("ThinClientDesktopPool office");
    planPrivateNetwork("ThinClientDesktopPool office", { ...base, cidr: "10.0.0.0/30", mtu: 1 }, problems);
    expect(problems.list.map((p) => p.field)).to.deep.equal(["cidr", "mtu"]);
  });
});
