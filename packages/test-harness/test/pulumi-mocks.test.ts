// Tests of the mock harness itself: each Neutron refusal it models must fire, with a
// Neutron-like message, and a correct program must pass. If a check is removed from
// openstack-model.ts, the matching test here fails.
import { expect } from "chai";
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, outputValue, outputIsSecret, T } from "../src";

const harness = installMocks();

/** Net1 + subnet, a router with a gateway on "public", and its interface: the routed half. */
function routedNetwork(prefix: string, cidr = "192.168.1.0/24") {
  const net = new openstack.networking.Network(`${prefix}-net`, {});
  const subnet = new openstack.networking.Subnet(`${prefix}-subnet`, { networkId: net.id, cidr });
  const router = new openstack.networking.Router(`${prefix}-router`, { externalNetworkId: "net-public" });
  const iface = new openstack.networking.RouterInterface(`${prefix}-ri`, { routerId: router.id, subnetId: subnet.id });
  return { net, subnet, router, iface };
}

describe("harness: Pulumi mocks with Neutron semantics", () => {
  it("assigns IDs and fixed IPs from the subnet, and records parents and dependencies", async () => {
    const run = await harness.runProgram(() => {
      const { net, subnet } = routedNetwork("ok");
      const auto = new openstack.networking.Port("ok-port-auto", {
        networkId: net.id,
        fixedIps: [{ subnetId: subnet.id }],
      });
      const fixed = new openstack.networking.Port("ok-port-fixed", {
        networkId: net.id,
        fixedIps: [{ subnetId: subnet.id, ipAddress: "192.168.1.50" }],
      });
      return { subnet, auto, fixed };
    });
    expect(run.errors).to.deep.equal([]);
    const v = run.value!;
    expect(await outputValue(v.subnet.gatewayIp)).to.equal("192.168.1.1");
    expect(await outputValue(v.auto.allFixedIps)).to.deep.equal(["192.168.1.2"]);
    expect(await outputValue(v.fixed.allFixedIps)).to.deep.equal(["192.168.1.50"]);
    const port = run.byName("ok-port-fixed");
    expect(port.type).to.equal(T.port);
    expect(port.id).to.match(/^port-ok-port-fixed-/);
    expect(port.dependencies).to.include(run.byName("ok-net").urn);
    expect(port.dependencies).to.include(run.byName("ok-subnet").urn);
  });

  it("rejects a fixed IP outside its subnet", async () => {
    const run = await harness.runProgram(() => {
      const { net, subnet } = routedNetwork("out");
      new openstack.networking.Port("out-port", {
        networkId: net.id,
        fixedIps: [{ subnetId: subnet.id, ipAddress: "192.168.2.10" }],
      });
    });
    expect(run.errors.map((e) => e.message).join("\n")).to.match(
      /IP address 192\.168\.2\.10 is not a valid IP for the specified subnet/,
    );
  });

  it("lets a port take the subnet's gateway address (Neutron does), so the router interface then fails", async () => {
    const alone = await harness.runProgram(() => {
      const net = new openstack.networking.Network("gw-net", {});
      const subnet = new openstack.networking.Subnet("gw-subnet", { networkId: net.id, cidr: "192.168.2.0/24" });
      new openstack.networking.Port("gw-port", {
        networkId: net.id,
        fixedIps: [{ subnetId: subnet.id, ipAddress: "192.168.2.1" }],
      });
    });
    expect(alone.errors).to.deep.equal([]);
    const routed = await harness.runProgram(() => {
      const net = new openstack.networking.Network("gw-net", {});
      const subnet = new openstack.networking.Subnet("gw-subnet", { networkId: net.id, cidr: "192.168.2.0/24" });
      const port = new openstack.networking.Port("gw-port", {
        networkId: net.id,
        fixedIps: [{ subnetId: subnet.id, ipAddress: "192.168.2.1" }],
      });
      const router = new openstack.networking.Router("gw-router", {});
      new openstack.networking.RouterInterface(
        "gw-ri",
        { routerId: router.id, subnetId: subnet.id },
        { dependsOn: [port] },
      );
    });
    expect(routed.errors.map((e) => e.message).join("\n")).to.match(/192\.168\.2\.1 already allocated .*gateway/);
  });

  it("rejects the same fixed IP twice", async () => {
    const run = await harness.runProgram(() => {
      const net = new openstack.networking.Network("dup-net", {});
      const subnet = new openstack.networking.Subnet("dup-subnet", { networkId: net.id, cidr: "10.0.0.0/24" });
      new openstack.networking.Port("dup-a", {
        networkId: net.id,
        fixedIps: [{ subnetId: subnet.id, ipAddress: "10.0.0.9" }],
      });
      new openstack.networking.Port("dup-b", {
        networkId: net.id,
        fixedIps: [{ subnetId: subnet.id, ipAddress: "10.0.0.9" }],
      });
    });
    expect(run.errors.map((e) => e.message).join("\n")).to.match(/10\.0\.0\.9 already allocated/);
  });

  it("rejects a port on an undeclared network", async () => {
    const run = await harness.runProgram(() => {
      new openstack.networking.Port("ghost-port", { networkId: "no-such-network" });
    });
    expect(run.errors.map((e) => e.message).join("\n")).to.match(/Network no-such-network could not be found/);
  });

  it("rejects a port naming an undeclared subnet, and a subnet of another network", async () => {
    const run = await harness.runProgram(() => {
      const a = new openstack.networking.Network("a-net", {});
      const b = new openstack.networking.Network("b-net", {});
      const bSubnet = new openstack.networking.Subnet("b-subnet", { networkId: b.id, cidr: "10.9.0.0/24" });
      new openstack.networking.Port("ghost-subnet-port", {
        networkId: a.id,
        fixedIps: [{ subnetId: "no-such-subnet" }],
      });
      new openstack.networking.Port("cross-port", { networkId: a.id, fixedIps: [{ subnetId: bSubnet.id }] });
    });
    const text = run.errors.map((e) => e.message).join("\n");
    expect(text).to.match(/Subnet no-such-subnet could not be found/);
    expect(text).to.match(/fixed_ips included invalid subnet/);
  });

  it("rejects a router interface naming an undeclared subnet", async () => {
    const run = await harness.runProgram(() => {
      const router = new openstack.networking.Router("lonely-router", {});
      new openstack.networking.RouterInterface("lonely-ri", { routerId: router.id, subnetId: "no-such-subnet" });
    });
    expect(run.errors.map((e) => e.message).join("\n")).to.match(/Subnet no-such-subnet could not be found/);
  });

  it("rejects two overlapping subnets on one router", async () => {
    const run = await harness.runProgram(() => {
      const { router } = routedNetwork("ov1", "10.1.0.0/16");
      const net2 = new openstack.networking.Network("ov2-net", {});
      const subnet2 = new openstack.networking.Subnet("ov2-subnet", { networkId: net2.id, cidr: "10.1.5.0/24" });
      new openstack.networking.RouterInterface(
        "ov2-ri",
        { routerId: router.id, subnetId: subnet2.id },
        { dependsOn: [] },
      );
    });
    expect(run.errors.map((e) => e.message).join("\n")).to.match(
      /Cidr 10\.1\.5\.0\/24 of subnet .* overlaps with cidr 10\.1\.0\.0\/16/,
    );
  });

  it("rejects a router interface added twice", async () => {
    const run = await harness.runProgram(() => {
      const { router, subnet, iface } = routedNetwork("twice");
      new openstack.networking.RouterInterface(
        "twice-ri-again",
        { routerId: router.id, subnetId: subnet.id },
        { dependsOn: [iface] },
      );
    });
    expect(run.errors.map((e) => e.message).join("\n")).to.match(/Router already has a port on subnet/);
  });

  it("rejects a floating IP on a port whose subnet has no router with an external gateway", async () => {
    const run = await harness.runProgram(() => {
      const net = new openstack.networking.Network("island-net", {});
      const subnet = new openstack.networking.Subnet("island-subnet", { networkId: net.id, cidr: "192.168.9.0/24" });
      // A router without an external gateway does not make the subnet reachable either.
      const router = new openstack.networking.Router("island-router", {});
      const iface = new openstack.networking.RouterInterface("island-ri", { routerId: router.id, subnetId: subnet.id });
      const port = new openstack.networking.Port("island-port", {
        networkId: net.id,
        fixedIps: [{ subnetId: subnet.id }],
      });
      const fip = new openstack.networking.FloatingIp("island-fip", { pool: "public" });
      new openstack.networking.FloatingIpAssociate(
        "island-assoc",
        { floatingIp: fip.address, portId: port.id },
        { dependsOn: [iface] },
      );
    });
    expect(run.errors.map((e) => e.message).join("\n")).to.match(
      /External network net-public is not reachable from subnet subnet-island-subnet/,
    );
  });

  it("rejects a floating IP association that does not wait for the router interface", async () => {
    const run = await harness.runProgram(() => {
      const { net, subnet } = routedNetwork("race");
      const port = new openstack.networking.Port("race-port", {
        networkId: net.id,
        fixedIps: [{ subnetId: subnet.id }],
      });
      const fip = new openstack.networking.FloatingIp("race-fip", { pool: "public" });
      new openstack.networking.FloatingIpAssociate("race-assoc", { floatingIp: fip.address, portId: port.id });
    });
    expect(run.errors.map((e) => e.message).join("\n")).to.match(/does not depend on the router interface/);
  });

  it("accepts a floating IP on a routed port that depends on the interface", async () => {
    const run = await harness.runProgram(() => {
      const { net, subnet, iface } = routedNetwork("good");
      const port = new openstack.networking.Port("good-port", {
        networkId: net.id,
        fixedIps: [{ subnetId: subnet.id, ipAddress: "192.168.1.10" }],
      });
      const fip = new openstack.networking.FloatingIp("good-fip", { pool: "public" });
      const assoc = new openstack.networking.FloatingIpAssociate(
        "good-assoc",
        { floatingIp: fip.address, portId: port.id },
        { dependsOn: [iface] },
      );
      return { fip, assoc };
    });
    expect(run.errors).to.deep.equal([]);
    expect(await outputValue(run.value!.fip.address)).to.match(/^172\.24\.4\.\d+$/);
    expect(await outputValue(run.value!.assoc.fixedIp)).to.equal("192.168.1.10");
  });

  it("rejects duplicate security group rules, as Neutron answers 409", async () => {
    const run = await harness.runProgram(() => {
      const sg = new openstack.networking.SecGroup("sg", {});
      const rule = {
        securityGroupId: sg.id,
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "tcp",
        portRangeMin: 22,
        portRangeMax: 22,
        remoteIpPrefix: "10.0.0.0/8",
      };
      new openstack.networking.SecGroupRule("sg-a", rule);
      new openstack.networking.SecGroupRule("sg-b", rule);
    });
    expect(run.errors.map((e) => e.message).join("\n")).to.match(/Security group rule already exists/);
  });

  it("rejects user data over Nova's limit and unknown flavors", async () => {
    const run = await harness.runProgram(() => {
      new openstack.compute.Instance("big", {
        flavorName: "m1.small",
        imageName: "debian-12",
        userData: "x".repeat(50_000),
      });
      new openstack.compute.Instance("noflavor", { flavorName: "m9.huge", imageName: "debian-12" });
    });
    const text = run.errors.map((e) => e.message).join("\n");
    expect(text).to.match(/longer than 65535 bytes/);
    expect(text).to.match(/Unable to find flavor with name m9\.huge/);
  });

  it("records which inputs are secret and unwraps them for assertions", async () => {
    const run = await harness.runProgram(() => {
      new openstack.compute.Instance("secret-vm", {
        flavorName: "m1.small",
        imageName: "debian-12",
        adminPass: pulumi.secret("hunter2"),
      });
    });
    const vm = run.byName("secret-vm");
    expect(vm.secretPaths).to.deep.equal(["adminPass"]);
    expect(vm.inputs.adminPass).to.equal("hunter2");
  });

  it("reports programs that throw before creating anything", async () => {
    const run = await harness.runProgram(() => {
      throw new Error("args.cidr: bad");
    });
    expect(run.thrown?.message).to.equal("args.cidr: bad");
    expect(run.resources).to.have.length(0);
  });

  it("keeps secrets secret through outputs", async () => {
    const s = pulumi.secret("x");
    expect(await outputIsSecret(s)).to.equal(true);
  });

  it("returns additionalSecretOutputs as secrets, as the engine does, and records them unwrapped", async () => {
    const run = await harness.runProgram(() => ({
      open: new openstack.networking.Port("aso-open", { networkId: "net-public" }),
      hidden: new openstack.networking.Port(
        "aso-hidden",
        { networkId: "net-public" },
        { additionalSecretOutputs: ["macAddress"] },
      ),
    }));
    expect(run.errors).to.deep.equal([]);
    const { open, hidden } = run.value!;
    expect(await outputIsSecret(open.macAddress)).to.equal(false);
    expect(await outputIsSecret(hidden.macAddress)).to.equal(true);
    expect(await outputIsSecret(hidden.name)).to.equal(false);
    expect(run.byName("aso-hidden").state.macAddress).to.match(/^fa:16:3e:/);
  });

  it("runs real dynamic providers and keeps what they made across runs until forgetState, asking their diff", async () => {
    const { DesktopCredential } = await import("@openstack-blueprints/components/src/desktop/desktop-credential");
    harness.forgetState();
    const program = (rotation: string) => () =>
      new DesktopCredential("harness-cred", { user: "alice", length: 16, rotation });
    const first = await harness.runProgram(program(""));
    expect(first.errors).to.deep.equal([]);
    const made = first.byName("harness-cred");
    expect(made.type).to.equal(T.desktopCredential);
    expect(made.state.password).to.have.length(16);
    expect(await outputIsSecret(first.value!.password)).to.equal(true);
    expect(await outputIsSecret(first.value!.passwordHash)).to.equal(true);
    const kept = (await harness.runProgram(program(""))).byName("harness-cred");
    expect([kept.id, kept.state.password]).to.deep.equal([made.id, made.state.password]);
    const rotated = (await harness.runProgram(program("r1"))).byName("harness-cred");
    expect(rotated.state.password).not.to.equal(made.state.password);
    harness.forgetState();
    const fresh = (await harness.runProgram(program("r1"))).byName("harness-cred");
    expect(fresh.state.password).not.to.equal(rotated.state.password);
  });

  it("counts the time it spends answering the SDK (the engine's side), for benchmarks", async () => {
    const before = harness.engineNs;
    await harness.runProgram(() => new openstack.networking.Network("timed-net", {}));
    expect(harness.engineNs > before).to.equal(true);
  });
});
