// A small office on minicloud's fake compute host (no zone: nothing boots): a pool of one desktop
// and the self-service portal next to it. The portal's application credential secret and session
// secret are GeneratedSecrets (our own dynamic provider, no pulumi-random plugin); Keystone makes
// the application credential with the generated secret; the pool's desktop reports its sessions
// to the portal (sessionReports), with a report token from its own credential. The portal finds
// the desktop in Nova by the pool's metadata (poolName).
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { portalDesktopsFromPool, SelfServicePortal, ThinClientDesktopPool } from "@openstack-blueprints/components";

const config = new pulumi.Config();

// The office network as the stacks' `networks` block makes it: the portal's fixed address (.5)
// is outside the allocation pool, so no desktop can take it before the portal's port exists.
const network = new openstack.networking.Network("office-lan", {});
const subnet = new openstack.networking.Subnet("office-lan-subnet", {
  networkId: network.id,
  cidr: "10.231.61.0/24",
  allocationPools: [{ start: "10.231.61.10", end: "10.231.61.200" }],
  dnsNameservers: ["9.9.9.9"],
});
const PORTAL_IP = "10.231.61.5";

const pool = new ThinClientDesktopPool(
  "office",
  {
    employees: [{ name: "alice" }],
    flavor: "m1.small",
    imageName: "debian-12",
    networkId: network.id,
    subnetId: subnet.id,
    thinClientCidr: "192.168.50.0/24",
    sessionReports: { portalUrl: `https://${PORTAL_IP}/` },
  },
  { dependsOn: [subnet] },
);

const portal = new SelfServicePortal(
  "office-portal",
  {
    networkId: network.id,
    subnetId: subnet.id,
    fixedIp: PORTAL_IP,
    flavor: "m1.small",
    imageName: "debian-12",
    desktops: portalDesktopsFromPool(pool),
    // The portal finds the pool's servers in Nova (their blueprints-pool metadata): the user
    // data holds only the hashes, and the credential may list servers.
    poolName: "office",
    reportSecurityGroupId: pool.securityGroupId,
    thinClientCidr: "192.168.50.0/24",
    adminCidrs: ["192.168.99.0/28"],
    tls: { certificate: config.require("certificate"), privateKey: config.requireSecret("privateKey") },
    authUrl: config.require("authUrl"),
    autoStopIdleMinutes: 30,
  },
  { dependsOn: [pool] },
);

export const url = portal.url; // https://10.231.61.5/
export const serverId = portal.serverId;
export const applicationCredentialId = portal.applicationCredentialId;
export const desktopServerIds = pool.desktops.apply((d) => Object.values(d).map((x) => x.serverId));
