// Bake the desktop stack (xrdp + xfce + LibreOffice) into an image once, then boot every desktop
// from it: each desktop's user data carries only its employee (user, hashed password, hostname).
// The builder needs a network with a way to a package mirror. The baker talks to OpenStack with
// OS_CLOUD / OS_* of the machine running Pulumi (or `cloud:` / `credentials:`).
//   cd examples/xrdp-desktop-image && pulumi stack init dev && pulumi up
import * as openstack from "@pulumi/openstack";
import { PrivateNetwork, ThinClientDesktopPool, XrdpDesktopImage } from "@openstack-blueprints/components";

const net = new PrivateNetwork("desktops", {
  cidr: "10.61.0.0/24",
  externalNetworkName: "public",
  dnsNameservers: ["9.9.9.9"],
  internetAccess: true,
});

const image = new XrdpDesktopImage(
  "office-desktop",
  {
    baseImageId: openstack.images.getImageOutput({ name: "debian-12", mostRecent: true }).id,
    flavorId: openstack.compute.getFlavorOutput({ name: "m1.small" }).id,
    networkId: net.networkId,
    osDistro: "debian",
    osVersion: "12",
    extraPackages: ["libreoffice"],
  },
  { dependsOn: [net] },
);

const pool = new ThinClientDesktopPool(
  "office",
  {
    employees: [{ name: "alice" }, { name: "bob" }],
    flavor: "m1.desktop",
    imageId: image.imageId,
    bakedDesktopImage: true,
    networkId: net.networkId,
    subnetId: net.subnetId,
    thinClientCidr: "192.168.50.0/24",
  },
  { dependsOn: [net] },
);

export const imageName = image.imageName;
export const packageHash = image.packageHash;
export const desktops = pool.desktops;
export const passwords = pool.passwords;
