// A small firm's office pool of `desktops` desktops on m1.desktop (2 vCPUs, 4 GiB) with
// checkQuota "live": the pool asks Nova for the project's real limits and use (through the
// OpenStack provider's invokes, in preview too) and declares nothing when they do not hold it.
import * as pulumi from "@pulumi/pulumi";
import { ThinClientDesktopPool } from "@openstack-blueprints/components";

const config = new pulumi.Config();
const count = config.requireNumber("desktops");
// Optional: each employee's /home on a Cinder volume of this size (Cinder's quota is checked too).
const homeVolumeGiB = config.getNumber("homeVolumeGiB");
const pool = new ThinClientDesktopPool("office", {
  employees: Array.from({ length: count }, (_, i) => ({ name: `staff${i}` })),
  flavor: "m1.desktop",
  imageName: "debian-12",
  networkCidr: "10.231.0.0/24",
  dnsNameservers: ["9.9.9.9"],
  thinClientCidr: "192.168.50.0/24",
  checkQuota: "live",
  ...(homeVolumeGiB !== undefined ? { homeVolumes: { sizeGiB: homeVolumeGiB } } : {}),
});
export const desktops = pool.desktops.apply((d) => Object.keys(d));
