// Small programs built from the real components, run under the mock harness, whose recorded
// resources the policy tests feed to the policies.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { PrivateNetwork, SecurityProfile } from "@openstack-blueprints/components";
import { renderCloudConfig } from "@openstack-blueprints/components/internal";

export interface BastionOptions {
  /** Extra cloud-config keys merged into the bastion's user data. */
  userData?: Record<string, unknown>;
  /** Put the security group on the instance too (what the policy must refuse). */
  groupsOnInstance?: boolean;
}

/** A routed network, SSH open to the world by explicit opt-in, a bastion with a floating IP. */
export function publicBastion(options: BastionOptions = {}) {
  const net = new PrivateNetwork("edge", {
    cidr: "10.60.0.0/24",
    externalNetworkName: "public",
    dnsNameservers: ["9.9.9.9"],
    internetAccess: true,
  });
  const ssh = new SecurityProfile("bastion-ssh", {
    rules: [
      { protocol: "tcp", port: 22, remoteCidr: "0.0.0.0/0", allowFromAnywhere: true, description: "public bastion" },
      { protocol: "tcp", port: 3389, remoteCidr: "10.60.0.0/24" },
      { protocol: "icmp", remoteCidr: "0.0.0.0/0" },
    ],
  });
  const port = new openstack.networking.Port("bastion-port", {
    networkId: net.networkId,
    fixedIps: [{ subnetId: net.subnetId }],
    securityGroupIds: [ssh.securityGroupId],
  });
  const userData = pulumi.output(
    renderCloudConfig({
      hostname: "bastion",
      ssh_pwauth: false,
      users: [
        {
          name: "ops",
          ssh_authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlueprintsTestKey ops@example"],
          hashed_passwd: "$6$salt$abcdefghijklmnop",
        },
      ],
      ...(options.userData ?? {}),
    }),
  );
  const server = new openstack.compute.Instance("bastion", {
    flavorName: "m1.small",
    imageName: "debian-12",
    userData,
    networks: [{ port: port.id }],
    securityGroups: options.groupsOnInstance ? [ssh.securityGroupName] : undefined,
  });
  const fip = new openstack.networking.FloatingIp("bastion-fip", { pool: "public" });
  const assoc = new openstack.networking.FloatingIpAssociate(
    "bastion-fip-assoc",
    {
      floatingIp: fip.address,
      portId: port.id,
    },
    { dependsOn: [net] },
  );
  return { net, ssh, port, server, fip, assoc };
}
