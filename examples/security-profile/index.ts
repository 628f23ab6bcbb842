// SecurityProfile alone: the group desktops get — RDP and ping only from the thin clients'
// LAN, SSH only from the admin block, and members may reach each other.
//   cd examples/security-profile && pulumi stack init dev && pulumi up
import { SecurityProfile } from "@openstack-blueprints/components";

const desktops = new SecurityProfile("desktops", {
  description: "Thin clients to desktops",
  rules: [
    { protocol: "tcp", port: 3389, remoteCidr: "192.168.10.0/24", description: "RDP from thin clients" },
    { protocol: "icmp", icmpType: 8, remoteCidr: "192.168.10.0/24", description: "ping from the LAN" },
    { protocol: "tcp", port: 22, remoteCidr: "192.168.99.0/28", description: "SSH from the admin block" },
    { protocol: "any", remoteSelf: true, description: "desktops reach each other" },
  ],
});

export const securityGroupId = desktops.securityGroupId;
export const rules = desktops.ruleKeys;
