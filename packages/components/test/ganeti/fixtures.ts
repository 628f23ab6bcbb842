// Cluster args used by the Ganeti tests: the seed's three-node DRBD/KVM cluster, and the
// sandbox variant the real test runs (fake hypervisor, sharedfile, no VLANs).
import type { GanetiDrbdClusterArgs } from "../../src/ganeti/ganeti-args";

export const HOST_KEYS = [
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1111111111111111111111111111111111111111111 root@node1",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2222222222222222222222222222222222222222222 root@node2",
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3333333333333333333333333333333333333333333 root@node3",
];
export const CONNECTION_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nCONNECTIONKEYMATERIALDONOTLEAK\n-----END OPENSSH PRIVATE KEY-----\n";
export const CLUSTER_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nCLUSTERKEYMATERIALDONOTLEAK\n-----END OPENSSH PRIVATE KEY-----\n";
export const CLUSTER_PUB =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC9999999999999999999999999999999999999999999 ganeti-cluster";

/** The by-hand cluster: three nodes, VLAN 100/200 bridges, DRBD + plain, KVM, image+cd from an ISO. */
export function seedArgs(): GanetiDrbdClusterArgs {
  return {
    nodes: [1, 2, 3].map((i) => ({
      fqdn: `node${i}.project.edu`,
      address: `192.168.20.${221 + i}`,
      connection: { host: `192.168.20.${221 + i}`, privateKey: CONNECTION_KEY, hostKey: HOST_KEYS[i - 1] },
      volumeGroupDevices: ["/dev/sda3"],
    })),
    clusterName: "cluster.project.edu",
    clusterAddress: "192.168.20.220",
    network: { gateway: "192.168.20.1" },
    clusterSshPublicKey: CLUSTER_PUB,
    clusterSshPrivateKey: CLUSTER_KEY,
    isoImages: [{ path: "/iso/debian-7.9.0-amd64-netinst.iso" }],
    instances: [
      {
        name: "testvm.project.edu",
        diskSizeGiB: 4,
        minMemoryMiB: 256,
        maxMemoryMiB: 512,
        os: "image+cd",
        primaryNode: "node2.project.edu",
        secondaryNode: "node1.project.edu",
        startWithCdImage: "/iso/debian-7.9.0-amd64-netinst.iso",
      },
    ],
  };
}

/** What the real test builds: two guests, fake hypervisor, sharedfile on a shared directory. */
export function sandboxArgs(): GanetiDrbdClusterArgs {
  return {
    nodes: [1, 2].map((i) => ({
      fqdn: `gn${i}.ganeti.test`,
      address: `10.203.0.${10 + i}`,
      connection: { host: `10.203.0.${10 + i}`, privateKey: CONNECTION_KEY, hostKey: HOST_KEYS[i - 1] },
    })),
    clusterName: "gncluster.ganeti.test",
    clusterAddress: "10.203.0.10",
    hypervisor: "fake",
    diskTemplates: ["sharedfile", "file"],
    network: { manage: false, publicBridge: "gnpub" },
    masterNetdev: "host0",
    timeSync: "none",
    clusterSshPublicKey: CLUSTER_PUB,
    clusterSshPrivateKey: CLUSTER_KEY,
    verifyIgnoreErrors: ["ENODESETUP"],
    instances: [{ name: "gnvm1.ganeti.test", diskSizeGiB: 1, os: "noop", primaryNode: "gn1.ganeti.test" }],
  };
}
