// A small firm's office, as its own Pulumi program: a private network, a security profile for
// its admin hosts, and a desktop per employee on that network, reached from the thin clients'
// LAN. Deploy it with `pulumi stack init dev && pulumi up` (OS_CLOUD names your cloud).
import * as pulumi from "@pulumi/pulumi";
import { PrivateNetwork, SecurityProfile, ThinClientDesktopPool } from "@openstack-blueprints/components";

const office = new PrivateNetwork("office", {
  cidr: "10.20.0.0/24",
  externalNetworkName: "public",
  dnsNameservers: ["9.9.9.9"],
});

const admin = new SecurityProfile("admin", {
  description: "SSH to the office's admin hosts from the admin block",
  rules: [{ protocol: "tcp", port: 22, remoteCidr: "192.168.60.0/28", description: "SSH from the admin block" }],
});

const pool = new ThinClientDesktopPool(
  "desktops",
  {
    employees: [
      { name: "alice", fullName: "Alice Example" },
      { name: "bob", fullName: "Bob Example" },
    ],
    flavor: "m1.desktop",
    imageName: "debian-12",
    networkId: office.networkId,
    subnetId: office.subnetId,
    thinClientCidr: "192.168.50.0/24",
  },
  { dependsOn: [office] },
);

export const networkId = office.networkId;
export const adminSecurityGroupId = admin.securityGroupId;
/** The address each employee's thin client dials. */
export const desktopAddresses: pulumi.Output<Record<string, string>> = pool.desktops.apply((desktops) =>
  Object.fromEntries(Object.entries(desktops).map(([employee, d]) => [employee, d.address])),
);
