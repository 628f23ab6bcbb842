// ThinClientDesktopPool with `workspace: "jupyter"` (a college's ML lab): each student gets a Jupyter
// Notebook server running as them, over HTTPS on 8888, reachable only from the campus LAN, with
// password login. Passwords are generated secrets; guests only see Jupyter's salted hash.
//   cd examples/jupyter-notebooks && pulumi stack init dev && pulumi up
//   pulumi stack output jupyterUrls                     # each student's https://…:8888/
//   pulumi stack output --show-secrets passwords        # hand each student theirs
import { ThinClientDesktopPool } from "@openstack-blueprints/components";

const students = ["asha", "bilal", "chen", "dara"].map((name) => ({ name }));

const pool = new ThinClientDesktopPool("ml", {
  workspace: "jupyter",
  employees: students,
  flavor: "m1.medium",
  imageName: "ubuntu-24.04",
  networkCidr: "10.61.0.0/24",
  externalNetworkName: "public",
  dnsNameservers: ["9.9.9.9"],
  floatingIpPool: "public",
  thinClientCidr: "10.40.0.0/16",
  extraPackages: ["python3-numpy", "python3-pandas", "python3-sklearn", "python3-matplotlib"],
});

export const jupyterUrls = pool.jupyterUrls;
export const passwords = pool.passwords;
export const connectionSheet = pool.connectionSheet;
