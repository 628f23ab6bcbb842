// A security group with one SSH rule whose source comes from config (`sshSource`): the real
// policy pack must refuse 0.0.0.0/0 in `pulumi preview --policy-pack packages/policy` and let
// a private block through. Written with @pulumi/openstack directly, because SecurityProfile
// itself refuses a world-open SSH rule before the policy pack would see it.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const group = new openstack.networking.SecGroup("admin", { description: "SSH for the admins" });
new openstack.networking.SecGroupRule("admin-ssh", {
  securityGroupId: group.id,
  direction: "ingress",
  ethertype: "IPv4",
  protocol: "tcp",
  portRangeMin: 22,
  portRangeMax: 22,
  remoteIpPrefix: config.require("sshSource"),
});
export const securityGroupId = group.id;
