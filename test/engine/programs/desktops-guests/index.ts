// A small firm's office on minicloud's real guests: a network and router in availability zone
// `guests` (only zone-hinted networks and routers get minicloud's DHCP, L3 and metadata agents),
// and a ThinClientDesktopPool of two desktops booted by libvirt/QEMU in zone `guests` from the
// baked desktop image (the guests have no internet: the pool installs nothing at first boot).
// Each desktop gets a floating IP on `public`; RDP is open to the thin clients' block only, SSH
// (key only) to the admin's address, which the test uses to read sesman's log.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { ThinClientDesktopPool } from "@openstack-blueprints/components";

const config = new pulumi.Config();
const zone = config.get("zone") ?? "guests";

const network = new openstack.networking.Network("office-lan", { availabilityZoneHints: [zone] });
const subnet = new openstack.networking.Subnet("office-lan", {
  networkId: network.id,
  cidr: config.get("cidr") ?? "10.232.7.0/24",
  ipVersion: 4,
  enableDhcp: true,
});
const publicNetwork = openstack.networking.getNetworkOutput({ name: "public" });
const router = new openstack.networking.Router("office-router", {
  availabilityZoneHints: [zone],
  externalNetworkId: publicNetwork.id,
});
const routerInterface = new openstack.networking.RouterInterface("office-router-lan", {
  routerId: router.id,
  subnetId: subnet.id,
});

const pool = new ThinClientDesktopPool(
  "office",
  {
    employees: [
      { name: "alice", fullName: "Alice Example" },
      { name: "bob", fullName: "Bob Example" },
    ],
    flavor: config.get("flavor") ?? "m1.small",
    availabilityZone: zone,
    imageName: config.get("imageName") ?? "debian-12-desktop",
    imageHasDesktopPackages: true,
    networkId: network.id,
    subnetId: subnet.id,
    floatingIpPool: "public",
    thinClientCidr: config.require("thinClientCidr"),
    adminCidr: config.require("adminCidr"),
    adminPublicKey: config.require("adminPublicKey"),
  },
  // The floating IPs wait for the router interface that routes the desktops' subnet.
  { dependsOn: [routerInterface] },
);

export const desktops = pool.desktops;
export const passwords = pool.passwords;
export const rdpFiles = pool.rdpFiles;
export const securityGroupId = pool.securityGroupId;
