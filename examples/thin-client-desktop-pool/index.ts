// ThinClientDesktopPool alone: three employees, each with an xrdp + xfce desktop installed by
// cloud-init, RDP and ping only from the thin clients' LAN, SSH only from the admin block with a
// key. Passwords are generated secrets; guests only ever see their SHA-512 crypt hashes.
//   cd examples/thin-client-desktop-pool && pulumi stack init dev && pulumi up
//   pulumi stack output --show-secrets passwords      # hand each employee theirs
import { ThinClientDesktopPool } from "@openstack-blueprints/components";

const pool = new ThinClientDesktopPool("office", {
  employees: [
    { name: "alice", fullName: "Alice Example" },
    { name: "bob", fullName: "Bob Example" },
    { name: "carol", fullName: "Carol Example", powerState: "shutoff" },
  ],
  flavor: "m1.desktop",
  imageName: "debian-12",
  networkCidr: "10.60.0.0/24",
  externalNetworkName: "public",
  dnsNameservers: ["9.9.9.9"],
  thinClientCidr: "192.168.50.0/24",
  adminCidr: "192.168.60.0/28",
  adminPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleAdminKeyReplaceMe it@example",
});

export const desktops = pool.desktops;
export const passwords = pool.passwords;
export const rdpFiles = pool.rdpFiles;
export const connectionSheet = pool.connectionSheet;
export const tlsFingerprints = pool.tlsFingerprints;
