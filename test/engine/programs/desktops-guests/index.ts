// A small firm's office on minicloud's real guests: a ThinClientDesktopPool of two desktops
// booted by libvirt/QEMU in zone `guests` from the baked desktop image (the guests have no
// internet: the pool installs nothing at first boot), on the network and router the pool makes
// itself (`networkCidr`) with the Neutron zone hint `guests` (`networkAvailabilityZoneHints`):
// only zone-hinted networks and routers get minicloud's DHCP, L3 and metadata agents, so without
// the hint the desktops would get no address, no route and no metadata.
// Each desktop gets a floating IP on `public`; RDP is open to the thin clients' block only, SSH
// (key only) to the admin's address, which the test uses to read sesman's log. With `portalUrl`
// the desktops report their sessions to the self-service portal (AutoStop's `sessionReports`),
// each with its own token from its credential.
import * as pulumi from "@pulumi/pulumi";
import { ThinClientDesktopPool } from "@openstack-blueprints/components";

const config = new pulumi.Config();
const zone = config.get("zone") ?? "guests";
const portalUrl = config.get("portalUrl");

const pool = new ThinClientDesktopPool("office", {
  employees: [
    { name: "alice", fullName: "Alice Example" },
    { name: "bob", fullName: "Bob Example" },
  ],
  flavor: config.get("flavor") ?? "m1.small",
  availabilityZone: zone,
  imageName: config.get("imageName") ?? "debian-12-desktop",
  imageHasDesktopPackages: true,
  networkCidr: config.get("cidr") ?? "10.232.7.0/24",
  networkAvailabilityZoneHints: [zone],
  externalNetworkName: "public",
  // The office's resolver; the test gives this host's address on `public` (nothing the baked
  // desktops do at first boot needs a name resolved).
  dnsNameservers: [config.require("dnsNameserver")],
  floatingIpPool: "public",
  thinClientCidr: config.require("thinClientCidr"),
  adminCidr: config.require("adminCidr"),
  adminPublicKey: config.require("adminPublicKey"),
  sessionReports: portalUrl ? { portalUrl } : undefined,
});

export const desktops = pool.desktops;
export const passwords = pool.passwords;
export const passwordHashes = pool.passwordHashes;
export const reportTokens = pool.reportTokens;
export const rdpFiles = pool.rdpFiles;
export const securityGroupId = pool.securityGroupId;
export const networkId = pool.networkId;
