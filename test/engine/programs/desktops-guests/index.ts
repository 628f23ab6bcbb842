// A small firm's office on minicloud's real guests: an XrdpDesktopImage baked for the office
// (a builder server in zone `guests` runs the bake user data, prints its console marker and is
// snapshotted into Glance through the component's dynamic provider), and a ThinClientDesktopPool
// of two desktops booted by libvirt/QEMU in zone `guests` from that image (`bakedDesktopImage`:
// only the per-employee user data), on the network and router the pool makes
// itself (`networkCidr`) with the Neutron zone hint `guests` (`networkAvailabilityZoneHints`):
// only zone-hinted networks and routers get minicloud's DHCP, L3 and metadata agents, so without
// the hint the desktops would get no address, no route and no metadata.
// Each desktop gets a floating IP on `public`; RDP is open to the thin clients' block only, SSH
// (key only) to the admin's address, which the test uses to read sesman's log. With `portalUrl`
// the desktops report their sessions to the self-service portal (AutoStop's `sessionReports`),
// each with its own token from its credential. Each employee's /home is a Cinder volume of their
// own (homeVolumes), which the test's rebuild (turning sessionReports off replaces every desktop)
// must leave with the employee's files.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { ThinClientDesktopPool, XrdpDesktopImage } from "@openstack-blueprints/components";

const config = new pulumi.Config();
const zone = config.get("zone") ?? "guests";
const portalUrl = config.get("portalUrl");
const flavor = config.get("flavor") ?? "m1.small";

// The builder's network: zone-hinted (so minicloud's DHCP, L3 and metadata agents serve it; the
// builder reads its user data from Nova's metadata through the router), with a router to
// `public`. The pool's own network cannot carry the builder: the pool needs the image first.
const builderNetwork = new openstack.networking.Network("builder-lan", { availabilityZoneHints: [zone] });
const builderSubnet = new openstack.networking.Subnet("builder-lan", {
  networkId: builderNetwork.id,
  cidr: config.get("builderCidr") ?? "10.232.8.0/24",
  ipVersion: 4,
  enableDhcp: true,
  // No resolver answers here: the bake's apt update fails at once instead of waiting for one.
  dnsNameservers: [config.require("dnsNameserver")],
});
const builderRouter = new openstack.networking.Router("builder-router", {
  availabilityZoneHints: [zone],
  externalNetworkId: openstack.networking.getNetworkOutput({ name: "public" }).id,
});
const builderRouterInterface = new openstack.networking.RouterInterface("builder-router-lan", {
  routerId: builderRouter.id,
  subnetId: builderSubnet.id,
});

// The bake. Its base is the desktop variant of minicloud's guest image, which already has the
// desktop packages: the guests have no internet, so the bake's apt step finds everything
// installed and downloads nothing (the download itself is proven by two-stage-bake.test.ts, in
// nspawn guests through an apt proxy). What runs for real here is the rest: the bake user data in
// a Nova guest, its console marker in Nova's console log, the snapshot, and desktops booting it.
const image = new XrdpDesktopImage(
  "office-image",
  {
    // No `cloud`: the baker uses OS_CLOUD, the same cloud as the OpenStack provider.
    // The test gives the ID of the build it ensured in Glance (debian-12-desktop).
    baseImageId: config.require("baseImageId"),
    flavorId: openstack.compute.getFlavorOutput({ name: flavor }).id,
    networkId: builderNetwork.id,
    availabilityZone: zone,
    osDistro: "debian",
    osVersion: "12",
    // The desktop variant is built without recommends: the same package set, nothing to fetch.
    installRecommends: false,
    consoleTimeoutSeconds: config.getNumber("bakeConsoleTimeoutSeconds") ?? 900,
  },
  { dependsOn: [builderRouterInterface] },
);

const pool = new ThinClientDesktopPool("office", {
  employees: [
    { name: "alice", fullName: "Alice Example" },
    { name: "bob", fullName: "Bob Example" },
  ],
  flavor,
  availabilityZone: zone,
  imageId: image.imageId,
  bakedDesktopImage: true,
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
  // 1 GiB each on minicloud's Cinder (its NFS driver on a local share); attached at boot.
  homeVolumes: { sizeGiB: 1, availabilityZone: config.get("volumeZone") },
});

export const desktops = pool.desktops;
export const passwords = pool.passwords;
export const passwordHashes = pool.passwordHashes;
export const reportTokens = pool.reportTokens;
export const rdpFiles = pool.rdpFiles;
export const connectionSheet = pool.connectionSheet;
export const tlsFingerprints = pool.tlsFingerprints;
export const securityGroupId = pool.securityGroupId;
export const networkId = pool.networkId;
export const imageId = image.imageId;
export const imageName = image.imageName;
export const packageHash = image.packageHash;
