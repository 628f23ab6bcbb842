// DevstackHost alone: an existing Ubuntu/Debian machine becomes an all-in-one OpenStack over SSH
// (host key pinned, the key and generated passwords only ever on stdin), then a network is made
// on it through the provider DevStack's outputs feed.
//   cd examples/devstack-host && pulumi stack init dev
//   pulumi config set devstack-host:host 192.0.2.10
//   pulumi config set devstack-host:hostKey "$(ssh-keyscan -t ed25519 192.0.2.10 2>/dev/null | cut -d' ' -f2-)"
//   pulumi config set --secret devstack-host:privateKey < ~/.ssh/devstack_ed25519
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import { DevstackHost, PrivateNetwork, devstackProvider } from "@openstack-blueprints/components";

const config = new pulumi.Config("devstack-host");
const host = config.require("host");

const devstack = new DevstackHost("lab", {
  connection: {
    host,
    user: "stack",
    privateKey: config.requireSecret("privateKey"),
    hostKey: config.require("hostKey"),
  },
  hostIp: host,
  floatingRange: "172.24.4.0/24",
  images: [
    {
      name: "debian-12",
      sourceUrl: "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-generic-amd64.qcow2",
    },
  ],
  flavors: [{ name: "m1.desktop", vcpus: 2, ramMiB: 2048, diskGiB: 20 }],
});

// Everything on the new cloud goes through its provider, after DevStack (images, flavors) is ready.
const net = new PrivateNetwork(
  "lab",
  {
    cidr: "10.62.0.0/24",
    externalNetworkName: "public",
    dnsNameservers: ["9.9.9.9"],
    internetAccess: true,
  },
  { providers: [devstackProvider(devstack)], dependsOn: [devstack] },
);

export const dashboardUrl = devstack.dashboardUrl;
export const authUrl = devstack.authUrl;
export const adminPassword = devstack.adminPassword;
export const networkId = net.networkId;
