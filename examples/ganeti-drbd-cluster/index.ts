// GanetiDrbdCluster alone (a Ganeti cluster with DRBD): two Debian nodes prepared over SSH, a cluster with DRBD
// replication on a separate network, and one instance mirrored between the nodes. Changing an
// instance's primaryNode live-migrates it.
//   cd examples/ganeti-drbd-cluster && pulumi stack init dev
//   pulumi config set --secret ganeti-drbd-cluster:nodeKey < ~/.ssh/ganeti_nodes_ed25519      # root on the nodes
//   pulumi config set --secret ganeti-drbd-cluster:clusterKey < ~/.ssh/ganeti_cluster_ed25519 # node to node
//   pulumi config set ganeti-drbd-cluster:clusterPublicKey "$(cat ~/.ssh/ganeti_cluster_ed25519.pub)"
//   pulumi config set ganeti-drbd-cluster:node1HostKey "$(ssh-keyscan -t ed25519 10.50.0.11 2>/dev/null | cut -d" " -f2-)"  (node2HostKey: 10.50.0.12)
//   pulumi up
import * as pulumi from "@pulumi/pulumi";
import { GanetiDrbdCluster } from "@openstack-blueprints/components";

const config = new pulumi.Config("ganeti-drbd-cluster");
const nodeKey = config.requireSecret("nodeKey");
const node = (n: number) => ({
  fqdn: `node${n}.example.lan`,
  address: `10.50.0.1${n}`,
  replicationAddress: `10.51.0.1${n}`,
  connection: { host: `10.50.0.1${n}`, user: "root", privateKey: nodeKey, hostKey: config.require(`node${n}HostKey`) },
});

const cluster = new GanetiDrbdCluster("cluster1", {
  clusterName: "cluster1.example.lan",
  clusterAddress: "10.50.0.100",
  clusterSshPrivateKey: config.requireSecret("clusterKey"),
  clusterSshPublicKey: config.require("clusterPublicKey"),
  volumeGroup: "xenvg",
  nodes: [node(1), node(2)],
  instances: [
    { name: "web1.example.lan", diskSizeGiB: 10, primaryNode: "node1.example.lan", secondaryNode: "node2.example.lan" },
  ],
});

export const clusterName = cluster.clusterName;
export const masterNode = cluster.masterNode;
export const instances = cluster.instances;
