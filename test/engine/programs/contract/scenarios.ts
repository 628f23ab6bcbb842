// The programs of the model contract (test/engine/model-contract.engine.test.ts): each builds
// one small thing that openstack-model.ts refuses (or used to), with @pulumi/openstack
// resources directly. The same function runs under the Pulumi mocks (against the model) and,
// through index.ts, under the real engine against minicloud, so both judge the same program.
//
// Only @pulumi/* imports here: the engine runs this file from a copy under .engine-runs/.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";

/** An ID that names no object in any cloud (a valid UUID, so the APIs answer 404, not 400). */
export const MISSING_ID = "0badc0de-0000-4000-8000-00000000c0de";
/** The external network on minicloud and in the model. */
export const EXTERNAL = "public";
/** minicloud's image and flavor (the model's cloud for these tests adds the image). */
export const IMAGE = "minicloud-tiny";
export const FLAVOR = "m1.tiny";

const {
  Network,
  Subnet,
  SubnetRoute,
  Router,
  RouterInterface,
  Port,
  FloatingIp,
  FloatingIpAssociate,
  SecGroup,
  SecGroupRule,
} = openstack.networking;

type SubnetExtra = Omit<openstack.networking.SubnetArgs, "networkId" | "cidr">;

/** A network with one subnet. */
function lan(
  name: string,
  cidr: string | undefined,
  subnet: SubnetExtra = {},
  network: openstack.networking.NetworkArgs = {},
) {
  const net = new Network(`${name}-net`, { name: `contract-${name}`, ...network });
  const sub = new Subnet(`${name}-subnet`, { networkId: net.id, cidr, ...subnet });
  return { net, sub };
}

function publicNetworkId(): pulumi.Output<string> {
  return openstack.networking.getNetworkOutput({ name: EXTERNAL }).id;
}

/** A router with a gateway on the external network. */
function router(name: string) {
  return new Router(`${name}-router`, { name: `contract-${name}`, externalNetworkId: publicNetworkId() });
}

/** A LAN joined to a router with an external gateway: what a floating IP needs. */
function routedLan(name: string, cidr: string) {
  const { net, sub } = lan(name, cidr);
  const rt = router(name);
  const ri = new RouterInterface(`${name}-ri`, { routerId: rt.id, subnetId: sub.id });
  return { net, sub, rt, ri };
}

function server(name: string, args: Partial<openstack.compute.InstanceArgs>, dependsOn: pulumi.Resource[] = []) {
  return new openstack.compute.Instance(
    name,
    { name: `contract-${name}`, flavorName: FLAVOR, imageName: IMAGE, ...args },
    { dependsOn },
  );
}

export const SCENARIOS: Record<string, () => void> = {
  // ---- data sources -----------------------------------------------------------------------
  "network-not-found": () => {
    new Network("after-lookup", {
      name: openstack.networking.getNetworkOutput({ name: "contract-no-such-network" }).id,
    });
  },
  "network-name-ambiguous": () => {
    const a = new Network("twin-a", { name: "contract-twin" });
    const b = new Network("twin-b", { name: "contract-twin" });
    const name = pulumi.all([a.name, b.name]).apply(([n]) => n);
    new Network("after-lookup", { name: openstack.networking.getNetworkOutput({ name }).id });
  },
  "flavor-not-found": () => {
    new Network("after-lookup", { name: openstack.compute.getFlavorOutput({ name: "contract-no-such-flavor" }).id });
  },
  "image-not-found": () => {
    new Network("after-lookup", { name: openstack.images.getImageOutput({ name: "contract-no-such-image" }).id });
  },
  "subnet-not-found": () => {
    new Network("after-lookup", { name: openstack.networking.getSubnetOutput({ name: "contract-no-such-subnet" }).id });
  },

  // ---- subnets ------------------------------------------------------------------------------
  "subnet-network-not-found": () => {
    new Subnet("orphan", { networkId: MISSING_ID, cidr: "10.61.0.0/24" });
  },
  "subnet-without-cidr": () => {
    lan("nocidr", undefined);
  },
  "subnet-cidr-invalid": () => {
    lan("badcidr", "10.61.0.0/33");
  },
  "subnet-cidr-host-bits": () => {
    lan("hostbits", "10.61.0.5/24");
  },
  "subnets-overlap-on-network": () => {
    const { net } = lan("overlap", "10.61.0.0/24");
    new Subnet("overlap-subnet-2", { networkId: net.id, cidr: "10.61.0.128/25" });
  },
  "gateway-outside-subnet": () => {
    lan("gwout", "10.61.0.0/24", { gatewayIp: "10.61.1.1" });
  },
  "gateway-on-network-address": () => {
    lan("gwnet", "10.61.0.0/24", { gatewayIp: "10.61.0.0" });
  },
  "allocation-pool-beyond-cidr": () => {
    lan("poolout", "10.61.0.0/24", { allocationPools: [{ start: "10.61.0.10", end: "10.61.1.10" }] });
  },
  "gateway-in-allocation-pool": () => {
    lan("gwpool", "10.61.0.0/24", {
      gatewayIp: "10.61.0.1",
      allocationPools: [{ start: "10.61.0.1", end: "10.61.0.100" }],
    });
  },
  "subnet-host-routes-input": () => {
    // Not an input of the provider's Subnet (3.x): routes are SubnetRoute resources.
    lan("hostroutes", "10.61.0.0/24", {
      hostRoutes: [{ destinationCidr: "10.62.0.0/24", nextHop: "10.61.0.254" }],
    } as SubnetExtra);
  },
  "subnet-route-invalid-destination": () => {
    const { sub } = lan("routedest", "10.61.0.0/24");
    new SubnetRoute("routedest-route", { subnetId: sub.id, destinationCidr: "10.62.0.0/33", nextHop: "10.61.0.254" });
  },
  "subnet-route-subnet-not-found": () => {
    new SubnetRoute("nosubnet-route", {
      subnetId: MISSING_ID,
      destinationCidr: "10.62.0.0/24",
      nextHop: "10.61.0.254",
    });
  },
  "subnet-route-nexthop-off-subnet": () => {
    const { sub } = lan("routehop", "10.61.0.0/24");
    new SubnetRoute("routehop-route", { subnetId: sub.id, destinationCidr: "10.62.0.0/24", nextHop: "10.99.0.254" });
  },

  // ---- routers and their interfaces ---------------------------------------------------------
  "router-external-network-not-found": () => {
    new Router("noext-router", { name: "contract-noext", externalNetworkId: MISSING_ID });
  },
  "router-gateway-not-external": () => {
    const { net, sub } = lan("notext", "10.61.0.0/24");
    new Router("notext-router", { name: "contract-notext", externalNetworkId: net.id }, { dependsOn: [sub] });
  },
  "router-interface-router-not-found": () => {
    const { sub } = lan("norouter", "10.61.0.0/24");
    new RouterInterface("norouter-ri", { routerId: MISSING_ID, subnetId: sub.id });
  },
  "router-interface-port-not-found": () => {
    const rt = router("noport");
    new RouterInterface("noport-ri", { routerId: rt.id, portId: MISSING_ID });
  },
  "router-interface-port-without-ip": () => {
    const { net, sub } = lan("portnoip", "10.61.0.0/24");
    const rt = router("portnoip");
    const port = new Port("portnoip-port", { networkId: net.id, noFixedIp: true }, { dependsOn: [sub] });
    new RouterInterface("portnoip-ri", { routerId: rt.id, portId: port.id });
  },
  "router-interface-subnet-not-found": () => {
    const rt = router("nosubnet");
    new RouterInterface("nosubnet-ri", { routerId: rt.id, subnetId: MISSING_ID });
  },
  "router-interface-subnet-without-gateway": () => {
    const { sub } = lan("nogw", "10.61.0.0/24", { noGateway: true });
    const rt = router("nogw");
    new RouterInterface("nogw-ri", { routerId: rt.id, subnetId: sub.id });
  },
  "router-interface-twice": () => {
    const { sub, rt, ri } = routedLan("twice", "10.61.0.0/24");
    new RouterInterface("twice-ri-2", { routerId: rt.id, subnetId: sub.id }, { dependsOn: [ri] });
  },
  "router-interface-gateway-ip-taken": () => {
    // Neutron lets a port take the gateway address (see fixed-ip-on-gateway); the interface then cannot.
    const { net, sub } = lan("gwtaken", "10.61.0.0/24");
    const rt = router("gwtaken");
    const port = new Port("gwtaken-port", {
      networkId: net.id,
      fixedIps: [{ subnetId: sub.id, ipAddress: "10.61.0.1" }],
    });
    new RouterInterface("gwtaken-ri", { routerId: rt.id, subnetId: sub.id }, { dependsOn: [port] });
  },
  "router-subnets-overlap": () => {
    const { rt, ri } = routedLan("rtoverlap", "10.61.0.0/24");
    const { sub } = lan("rtoverlap-b", "10.61.0.0/25");
    new RouterInterface("rtoverlap-ri-2", { routerId: rt.id, subnetId: sub.id }, { dependsOn: [ri] });
  },
  "router-subnet-overlaps-gateway-subnet": () => {
    // minicloud's `public` subnet (the router's gateway) is 172.24.4.0/24.
    const { sub } = lan("gwoverlap", "172.24.4.0/25");
    const rt = router("gwoverlap");
    new RouterInterface("gwoverlap-ri", { routerId: rt.id, subnetId: sub.id });
  },

  // ---- fixed IPs -------------------------------------------------------------------------------
  "fixed-ip-outside-subnet": () => {
    const { net, sub } = lan("ipout", "10.61.0.0/24");
    new Port("ipout-port", { networkId: net.id, fixedIps: [{ subnetId: sub.id, ipAddress: "10.61.1.20" }] });
  },
  "fixed-ip-on-gateway": () => {
    const { net, sub } = lan("ipgw", "10.61.0.0/24");
    new Port("ipgw-port", { networkId: net.id, fixedIps: [{ subnetId: sub.id, ipAddress: "10.61.0.1" }] });
  },
  "fixed-ip-network-address": () => {
    const { net, sub } = lan("ipnet", "10.61.0.0/24");
    new Port("ipnet-port", { networkId: net.id, fixedIps: [{ subnetId: sub.id, ipAddress: "10.61.0.0" }] });
  },
  "fixed-ip-taken": () => {
    const { net, sub } = lan("iptaken", "10.61.0.0/24");
    const a = new Port("iptaken-port-a", {
      networkId: net.id,
      fixedIps: [{ subnetId: sub.id, ipAddress: "10.61.0.20" }],
    });
    new Port(
      "iptaken-port-b",
      { networkId: net.id, fixedIps: [{ subnetId: sub.id, ipAddress: "10.61.0.20" }] },
      { dependsOn: [a] },
    );
  },
  "subnet-exhausted": () => {
    const { net, sub } = lan("full", "10.61.0.0/24", { allocationPools: [{ start: "10.61.0.10", end: "10.61.0.10" }] });
    const a = new Port("full-port-a", { networkId: net.id, fixedIps: [{ subnetId: sub.id }] });
    new Port("full-port-b", { networkId: net.id, fixedIps: [{ subnetId: sub.id }] }, { dependsOn: [a] });
  },

  // ---- ports ---------------------------------------------------------------------------------
  "port-network-not-found": () => {
    new Port("orphan-port", { networkId: MISSING_ID });
  },
  "port-subnet-not-found": () => {
    const { net, sub } = lan("portsub", "10.61.0.0/24");
    new Port("portsub-port", { networkId: net.id, fixedIps: [{ subnetId: MISSING_ID }] }, { dependsOn: [sub] });
  },
  "port-subnet-of-other-network": () => {
    const a = lan("portother-a", "10.61.0.0/24");
    const b = lan("portother-b", "10.62.0.0/24");
    new Port("portother-port", { networkId: a.net.id, fixedIps: [{ subnetId: b.sub.id }] }, { dependsOn: [a.sub] });
  },
  "port-security-group-not-found": () => {
    const { net, sub } = lan("portsg", "10.61.0.0/24");
    new Port("portsg-port", { networkId: net.id, securityGroupIds: [MISSING_ID] }, { dependsOn: [sub] });
  },
  "port-security-group-without-port-security": () => {
    const { net, sub } = lan("noportsec", "10.61.0.0/24", {}, { portSecurityEnabled: false });
    const group = new SecGroup("noportsec-group", { name: "contract-noportsec" });
    new Port("noportsec-port", { networkId: net.id, securityGroupIds: [group.id] }, { dependsOn: [sub] });
  },

  // ---- floating IPs ----------------------------------------------------------------------------
  "floating-ip-pool-not-found": () => {
    new FloatingIp("nopool-fip", { pool: "contract-no-such-network" });
  },
  "floating-ip-pool-not-external": () => {
    const { net, sub } = lan("fipint", "10.61.0.0/24");
    new FloatingIp("fipint-fip", { pool: net.name }, { dependsOn: [sub] });
  },
  "floating-ip-not-found": () => {
    const { net, sub } = routedLan("fipmissing", "10.61.0.0/24");
    const port = new Port("fipmissing-port", { networkId: net.id }, { dependsOn: [sub] });
    new FloatingIpAssociate("fipmissing-assoc", { floatingIp: "203.0.113.77", portId: port.id });
  },
  "floating-ip-port-not-found": () => {
    const fip = new FloatingIp("fipnoport-fip", { pool: EXTERNAL });
    new FloatingIpAssociate("fipnoport-assoc", { floatingIp: fip.address, portId: MISSING_ID });
  },
  "floating-ip-fixed-ip-not-on-port": () => {
    const { net, sub, ri } = routedLan("fipfixed", "10.61.0.0/24");
    const port = new Port("fipfixed-port", {
      networkId: net.id,
      fixedIps: [{ subnetId: sub.id, ipAddress: "10.61.0.20" }],
    });
    new FloatingIp("fipfixed-fip", { pool: EXTERNAL, portId: port.id, fixedIp: "10.61.0.21" }, { dependsOn: [ri] });
  },
  "floating-ip-without-router-interface": () => {
    const { net, sub } = lan("fipnorouter", "10.61.0.0/24");
    router("fipnorouter");
    const port = new Port("fipnorouter-port", { networkId: net.id, fixedIps: [{ subnetId: sub.id }] });
    const fip = new FloatingIp("fipnorouter-fip", { pool: EXTERNAL });
    new FloatingIpAssociate("fipnorouter-assoc", { floatingIp: fip.address, portId: port.id });
  },
  "floating-ip-moved-to-another-port": () => {
    const { net, sub, ri } = routedLan("fipmove", "10.61.0.0/24");
    const a = new Port("fipmove-port-a", { networkId: net.id, fixedIps: [{ subnetId: sub.id }] });
    const b = new Port("fipmove-port-b", { networkId: net.id, fixedIps: [{ subnetId: sub.id }] });
    const fip = new FloatingIp("fipmove-fip", { pool: EXTERNAL, portId: a.id }, { dependsOn: [ri] });
    new FloatingIpAssociate("fipmove-assoc", { floatingIp: fip.address, portId: b.id }, { dependsOn: [ri] });
  },

  // ---- security groups -------------------------------------------------------------------------
  "rule-group-not-found": () => {
    new SecGroupRule("nogroup-rule", {
      securityGroupId: MISSING_ID,
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 22,
      portRangeMax: 22,
    });
  },
  "rule-direction-invalid": () => {
    const group = new SecGroup("dir-group", { name: "contract-dir" });
    new SecGroupRule("dir-rule", {
      securityGroupId: group.id,
      direction: "inbound",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 22,
      portRangeMax: 22,
    });
  },
  "rule-port-range-half": () => {
    const group = new SecGroup("half-group", { name: "contract-half" });
    new SecGroupRule("half-rule", {
      securityGroupId: group.id,
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 22,
    });
  },
  "rule-port-range-reversed": () => {
    const group = new SecGroup("reversed-group", { name: "contract-reversed" });
    new SecGroupRule("reversed-rule", {
      securityGroupId: group.id,
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 30,
      portRangeMax: 20,
    });
  },
  "rule-remote-ip-and-group": () => {
    const group = new SecGroup("both-group", { name: "contract-both" });
    new SecGroupRule("both-rule", {
      securityGroupId: group.id,
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 22,
      portRangeMax: 22,
      remoteIpPrefix: "10.0.0.0/8",
      remoteGroupId: group.id,
    });
  },
  "rule-remote-group-not-found": () => {
    const group = new SecGroup("remote-group", { name: "contract-remote" });
    new SecGroupRule("remote-rule", {
      securityGroupId: group.id,
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 22,
      portRangeMax: 22,
      remoteGroupId: MISSING_ID,
    });
  },
  "rule-remote-prefix-invalid": () => {
    const group = new SecGroup("prefix-group", { name: "contract-prefix" });
    new SecGroupRule("prefix-rule", {
      securityGroupId: group.id,
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 22,
      portRangeMax: 22,
      remoteIpPrefix: "10.0.0.0/33",
    });
  },
  "rule-duplicate": () => {
    const group = new SecGroup("dup-group", { name: "contract-dup" });
    const args = {
      securityGroupId: group.id,
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 22,
      portRangeMax: 22,
      remoteIpPrefix: "10.0.0.0/8",
    };
    const first = new SecGroupRule("dup-rule-a", args);
    new SecGroupRule("dup-rule-b", args, { dependsOn: [first] });
  },
  "rule-egress-any-on-new-group": () => {
    const group = new SecGroup("egress-group", { name: "contract-egress" });
    new SecGroupRule("egress-any", { securityGroupId: group.id, direction: "egress", ethertype: "IPv4" });
  },
  "rule-egress-any-after-deleting-defaults": () => {
    const group = new SecGroup("egressdel-group", { name: "contract-egressdel", deleteDefaultRules: true });
    new SecGroupRule("egressdel-any", { securityGroupId: group.id, direction: "egress", ethertype: "IPv4" });
  },

  // ---- servers and key pairs -------------------------------------------------------------------
  "server-without-flavor": () => {
    const { net, sub } = lan("srvnoflavor", "10.61.0.0/24");
    server("srvnoflavor", { flavorName: undefined, networks: [{ uuid: net.id }] }, [sub]);
  },
  "server-flavor-not-found": () => {
    const { net, sub } = lan("srvflavor", "10.61.0.0/24");
    server("srvflavor", { flavorName: "contract-no-such-flavor", networks: [{ uuid: net.id }] }, [sub]);
  },
  "server-image-name-not-found": () => {
    const { net, sub } = lan("srvimage", "10.61.0.0/24");
    server("srvimage", { imageName: "contract-no-such-image", networks: [{ uuid: net.id }] }, [sub]);
  },
  "server-image-id-not-found": () => {
    const { net, sub } = lan("srvimageid", "10.61.0.0/24");
    server("srvimageid", { imageName: undefined, imageId: MISSING_ID, networks: [{ uuid: net.id }] }, [sub]);
  },
  "server-without-image": () => {
    const { net, sub } = lan("srvnoimage", "10.61.0.0/24");
    server("srvnoimage", { imageName: undefined, networks: [{ uuid: net.id }] }, [sub]);
  },
  "server-keypair-not-found": () => {
    const { net, sub } = lan("srvkey", "10.61.0.0/24");
    server("srvkey", { keyPair: "contract-no-such-key", networks: [{ uuid: net.id }] }, [sub]);
  },
  "server-user-data-too-long": () => {
    const { net, sub } = lan("srvud", "10.61.0.0/24");
    server("srvud", { userData: `#!/bin/sh\n# ${"x".repeat(50_000)}\n`, networks: [{ uuid: net.id }] }, [sub]);
  },
  "server-power-state-invalid": () => {
    const { net, sub } = lan("srvpower", "10.61.0.0/24");
    server("srvpower", { powerState: "sleeping", networks: [{ uuid: net.id }] }, [sub]);
  },
  "server-port-not-found": () => {
    server("srvport", { networks: [{ port: MISSING_ID }] });
  },
  "server-network-not-found": () => {
    server("srvnet", { networks: [{ uuid: MISSING_ID }] });
  },
  "server-security-group-name-not-found": () => {
    const { net, sub } = lan("srvsg", "10.61.0.0/24");
    server("srvsg", { securityGroups: ["contract-no-such-group"], networks: [{ uuid: net.id }] }, [sub]);
  },
  "keypair-name-taken": () => {
    const a = new openstack.compute.Keypair("key-a", { name: "contract-dup-key" });
    new openstack.compute.Keypair("key-b", { name: "contract-dup-key" }, { dependsOn: [a] });
  },
};
