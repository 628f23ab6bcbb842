// A small firm's office of one employee on minicloud's real guests, whose /home is a Cinder
// volume of their own (homeVolumes): a network and router in zone `guests` (only zone-hinted
// networks and routers get minicloud's DHCP, L3 and metadata agents), a floating IP on `public`
// and SSH (key only) from the admin's address, which the test uses to write and read a file in
// the employee's home. The config `rotation` is the employee's passwordRotation: changing it
// rebuilds the desktop (new user data), which the home volume must survive.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { ThinClientDesktopPool } from "@openstack-blueprints/components";

const config = new pulumi.Config();
const zone = config.get("zone") ?? "guests";

const network = new openstack.networking.Network("homes-lan", { availabilityZoneHints: [zone] });
const subnet = new openstack.networking.Subnet("homes-lan", {
  networkId: network.id,
  cidr: config.get("cidr") ?? "10.232.9.0/24",
  ipVersion: 4,
  enableDhcp: true,
});
const publicNetwork = openstack.networking.getNetworkOutput({ name: "public" });
const router = new openstack.networking.Router("homes-router", {
  availabilityZoneHints: [zone],
  externalNetworkId: publicNetwork.id,
});
const routerInterface = new openstack.networking.RouterInterface("homes-router-lan", {
  routerId: router.id,
  subnetId: subnet.id,
});

const pool = new ThinClientDesktopPool(
  "homes",
  {
    employees: [{ name: "alice", fullName: "Alice Example", passwordRotation: config.get("rotation") }],
    flavor: config.get("flavor") ?? "m1.tiny",
    availabilityZone: zone,
    // The base guest image: the home volume is the point here, not the xrdp login (the desktop
    // setup step fails on it for want of xrdp, after the home is mounted and the users made).
    imageName: config.get("imageName") ?? "debian-12-guest",
    imageHasDesktopPackages: true,
    homeVolumes: { sizeGiB: 1, availabilityZone: config.get("volumeZone") },
    networkId: network.id,
    subnetId: subnet.id,
    floatingIpPool: "public",
    thinClientCidr: config.require("thinClientCidr"),
    adminCidr: config.require("adminCidr"),
    adminPublicKey: config.require("adminPublicKey"),
  },
  // The floating IP waits for the router interface that routes the desktop's subnet.
  { dependsOn: [routerInterface] },
);

export const desktops = pool.desktops;
