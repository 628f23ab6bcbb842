// A college lab's notebooks on minicloud's real guests: a ThinClientDesktopPool with workspace
// "jupyter" (Debian's Jupyter Notebook, HTTPS, password login) of one student, booted by
// libvirt/QEMU in zone `guests` from the desktop variant of minicloud's guest image, which has
// Jupyter baked (the guests have no internet: imageHasDesktopPackages, nothing installed at boot).
// The pool makes its own network and router (`networkCidr`) with the Neutron zone hint `guests`,
// so minicloud's DHCP, L3 and metadata agents serve them; the server gets a floating IP on
// `public`. Jupyter's port is open to the thin clients' block only, SSH (key only) to the admin's
// address. With `portalUrl` the guest reports its Jupyter sessions to the self-service portal.
import * as pulumi from "@pulumi/pulumi";
import { ThinClientDesktopPool } from "@openstack-blueprints/components";

const config = new pulumi.Config();
const zone = config.get("zone") ?? "guests";
const portalUrl = config.get("portalUrl");

const pool = new ThinClientDesktopPool("lab", {
  employees: [{ name: "carol", fullName: "Carol Example" }],
  workspace: "jupyter",
  flavor: config.get("flavor") ?? "m1.small",
  availabilityZone: zone,
  imageId: config.require("imageId"),
  imageHasDesktopPackages: true,
  networkCidr: config.get("cidr") ?? "10.232.11.0/24",
  networkAvailabilityZoneHints: [zone],
  externalNetworkName: "public",
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
export const jupyterUrls = pool.jupyterUrls;
export const securityGroupId = pool.securityGroupId;
export const networkId = pool.networkId;
