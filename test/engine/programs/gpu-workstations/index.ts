// A notebooks lab: two students with a Jupyter server each; ada's is a GPU workstation with
// `gpusPerWorkstation` devices of the cloud's PCI alias "gpu" (minicloud's fake GPU host in zone
// "gpu" has two). The pool makes the GPU flavor (m1.small's size plus pci_passthrough:alias),
// so the stack runs with admin credentials.
import * as pulumi from "@pulumi/pulumi";
import { ThinClientDesktopPool } from "@openstack-blueprints/components";

const config = new pulumi.Config();
const pool = new ThinClientDesktopPool("lab", {
  employees: [{ name: "ada" }, { name: "ben" }],
  flavor: "m1.small",
  imageName: "debian-12",
  networkCidr: "10.234.0.0/24",
  dnsNameservers: ["9.9.9.9"],
  thinClientCidr: "192.168.60.0/24",
  workspace: "jupyter",
  gpu: {
    alias: "gpu",
    count: config.requireNumber("gpusPerWorkstation"),
    baseFlavor: "m1.small",
    employees: ["ada"],
    availabilityZone: "gpu",
  },
});
export const desktops = pool.desktops;
