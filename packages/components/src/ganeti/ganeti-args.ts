import * as pulumi from "@pulumi/pulumi";

// Args of GanetiDrbdCluster. Values that shape the command graph (node names, addresses, the
// instance list) are plain values: they are validated before any resource exists and decide
// which commands are created. Connection details and secrets are Inputs.

/** How Pulumi reaches a node over SSH. */
export interface GanetiSshConnectionArgs {
  /** Address or name Pulumi connects to (may differ from the node's cluster address). */
  host: pulumi.Input<string>;
  /** SSH port; default 22. */
  port?: number;
  /**
   * Default "root". Ganeti's tools must run as root: for another user every step is run through
   * `sudo -n` (non-interactive, so a missing NOPASSWD rule fails at once instead of hanging).
   */
  user?: string;
  /** Private key for the connection (treated as a Pulumi secret). */
  privateKey: pulumi.Input<string>;
  /**
   * The node's pinned SSH host public key, "ssh-ed25519 AAAA…" (the contents of one of its
   * /etc/ssh/ssh_host_*_key.pub). Required. It is passed to the provider as `connection.hostKey`,
   * so @pulumi/command refuses the connection — before any script or secret is sent — when the
   * server presents another key; every script also checks it on the host (`assert_host_key`),
   * and the nodes' known_hosts are written from it.
   */
  hostKey: string;
}

/** One machine of the cluster. */
export interface GanetiNodeArgs {
  /** Fully qualified host name, e.g. "node1.example.org"; becomes the node's hostname. */
  fqdn: string;
  /** The node's address on the management network (management bridge). */
  address: string;
  /**
   * Address for DRBD replication (Ganeti's "secondary IP"). Default: `address`. Either every
   * node has its own replication address or none does (Ganeti requires `-s` everywhere or nowhere).
   */
  replicationAddress?: string;
  connection: GanetiSshConnectionArgs;
  /** Block devices for the LVM volume group on this node, e.g. ["/dev/sdb"]; default none (the VG must exist). */
  volumeGroupDevices?: string[];
  /** Physical interface carrying the VLANs on this node; default the cluster's `network.parentInterface`. */
  parentInterface?: string;
  /**
   * Drain the node (`gnt-node modify --drained=yes`): it keeps its instances but gets no new
   * ones; default false. Not for the master, and not together with `offline`.
   */
  drained?: boolean;
  /**
   * Mark the node offline (`gnt-node modify --offline=yes`): Ganeti stops talking to it. Set it
   * for a dead node before failing its instances over (`failover` + `ignoreConsistency`); its own
   * prepare/OS steps are left alone while it is offline. Setting it back to false re-adds the
   * node (`gnt-node add --readd` when it was reinstalled, else `--offline=no`). Not for the master.
   */
  offline?: boolean;
  /**
   * Name of the node group (`nodeGroups`) the node belongs to; default "default", the group
   * `gnt-cluster init` creates. Changing it moves the node with `gnt-group assign-nodes`. Unset
   * on every node, with no `nodeGroups` and no instance `group`, leaves Ganeti's groups alone.
   */
  group?: string;
}

/**
 * A Ganeti node group (`gnt-group`): nodes that share a rack, a switch or storage. DRBD keeps an
 * instance's two nodes in one group, and Ganeti's allocator places new instances by group.
 */
export interface GanetiNodeGroupArgs {
  /** Group name: lowercase letters, digits and dashes, starting with a letter, e.g. "rack1". */
  name: string;
  /**
   * `--alloc-policy` for Ganeti's allocator: "preferred" (default), "last_resort" (only when no
   * preferred group fits) or "unallocable" (never place new instances here).
   */
  allocPolicy?: string;
  /**
   * Instance policy: the disk templates instances on this group's nodes may use
   * (`--ipolicy-disk-templates`); each must be enabled on the cluster (`diskTemplates`).
   * Default: unset, the cluster's policy applies (unsetting it later hands the group back to
   * the cluster's policy).
   */
  diskTemplates?: string[];
}

/** VLAN and bridge layout, as in the by-hand cluster: management+replication on one VLAN, VMs on another. */
export interface GanetiNetworkArgs {
  /** Write /etc/network/interfaces.d/ganeti and bring new bridges up; default true. */
  manage?: boolean;
  /** Physical interface carrying both VLANs; default "eth0". */
  parentInterface?: string;
  /** Prefix length of the management network; default 24. */
  prefixLength?: number;
  /** Default gateway on the management bridge; default none. */
  gateway?: string;
  /** VLAN ID of management + replication; default 100. */
  managementVlan?: number;
  /** Bridge of the management network (Ganeti's master netdev); default "br-man". */
  managementBridge?: string;
  /** VLAN ID of the network instances attach to; default 200. */
  publicVlan?: number;
  /** Bridge instances attach to (default NIC link); default "br-public". */
  publicBridge?: string;
}

/** An ISO image the instances may boot from; it must exist on the master at `path`. */
export interface GanetiIsoImageArgs {
  /** Absolute path on the master; the same path is used on every node. */
  path: string;
}

/** One Ganeti instance (virtual machine). */
export interface GanetiInstanceArgs {
  /** Instance name, e.g. "testvm.example.org". */
  name: string;
  /** Disk template; default the cluster's first enabled template. */
  diskTemplate?: string;
  /** Size of disk 0 in GiB (Ganeti's default instance policy refuses less than 1 GiB). */
  diskSizeGiB: number;
  /** Minimum memory in MiB (Ganeti's minmem); default 256. */
  minMemoryMiB?: number;
  /** Maximum memory in MiB (Ganeti's maxmem); default 512. */
  maxMemoryMiB?: number;
  /** OS definition with variant, e.g. "debootstrap+default" (default), "image+cd", "noop". */
  os?: string;
  /** Bridge of NIC 0; default the cluster's public bridge. Changing it runs `gnt-instance modify --net 0:modify,link=…`. */
  nicLink?: string;
  /** FQDN of the primary node. Changing it to another node moves the instance (migrate, or failover with `failover`). */
  primaryNode: string;
  /** FQDN of the secondary node (required for drbd; must differ from the primary). */
  secondaryNode?: string;
  /** ISO path (one of `isoImages`) to boot from when the instance is started (the by-hand cluster's install from CD). */
  startWithCdImage?: string;
  /** Keep the instance running; default true. */
  running?: boolean;
  /** Move the instance with `gnt-instance failover` instead of a live migration (for a dead primary). */
  failover?: boolean;
  /**
   * With `failover`: the primary is dead (declared `offline`), so its disks' consistency is not
   * checked. Ganeti does that itself for an offline primary; the step checks that Ganeti has it
   * offline (it does not pass `--ignore-consistency`, which asks on a terminal).
   */
  ignoreConsistency?: boolean;
  /**
   * Node group the instance belongs in: its nodes must be in that group (checked in the plan, and
   * on the cluster after placement). The component names the nodes (`-n`), so Ganeti's
   * `gnt-instance add -g`, which only steers its allocator, is not used.
   */
  group?: string;
}

/** Ganeti releases whose command-line differences the scripts know. */
export type GanetiVersion = "3.0" | "3.1";

export interface GanetiDrbdClusterArgs {
  /**
   * Ganeti release on the nodes: "3.0" (default; Debian bookworm's 3.0.2) or "3.1" (trixie,
   * bookworm-backports). 3.1 hotplugs by default and dropped `--hotplug`/`--hotplug-if-possible`
   * and `--no-name-check`/`--no-ip-check`, so the scripts leave those flags out there.
   * A `GanetiVersion`, typed `string` because Pulumi's schema inference (other languages'
   * SDKs) refuses union types; the plan checks the value.
   */
  ganetiVersion?: string;
  /**
   * The nodes; the first is the master unless `masterNode` names another. Removing a node from
   * the list evacuates it (`gnt-node migrate`, `gnt-node evacuate`) before `gnt-node remove`.
   */
  nodes: GanetiNodeArgs[];
  /**
   * FQDN of the master node; default the first node. Changing it to another (online) node runs
   * `gnt-cluster master-failover` on that node; a master that is dead needs
   * `gnt-cluster master-failover --no-voting` by hand first (Ganeti's own warning applies).
   */
  masterNode?: string;
  /** Cluster name (FQDN), resolving to `clusterAddress` on every node. */
  clusterName: string;
  /** The cluster's dedicated address (moves with the master role); must not be a node's address. */
  clusterAddress: string;
  /** "kvm" (default) or "fake" (no VMs; for tests). */
  hypervisor?: string;
  /** Enabled disk templates; default ["drbd", "plain"]. Allowed: drbd, plain, file, sharedfile. */
  diskTemplates?: string[];
  /** LVM volume group for plain/drbd; default "ganeti". */
  volumeGroup?: string;
  /** Directory for the `file` template; default "/srv/ganeti/file-storage". */
  fileStorageDir?: string;
  /** Directory for `sharedfile` (the same shared filesystem on every node); default "/srv/ganeti/shared-file-storage". */
  sharedFileStorageDir?: string;
  network?: GanetiNetworkArgs;
  /** Interface the cluster address is added to on the master; default the management bridge. */
  masterNetdev?: string;
  /** DRBD usermode helper for the module and the cluster; default "/bin/true". */
  drbdUsermodeHelper?: string;
  /** DRBD minor_count module option; default 128. */
  drbdMinorCount?: number;
  /**
   * KVM hypervisor parameters; default kernel_path="", initrd_path="", vnc_bind_address=127.0.0.1
   * (consoles reachable through an SSH tunnel to the primary node only). Binding VNC to another
   * address needs `vnc_password_file` too (a file present on every node); the plan refuses an
   * open, password-less console.
   */
  kvmParameters?: Record<string, string>;
  /** Time sync daemon: "chrony" (default), "ntp" or "none" (when the host already syncs time). */
  timeSync?: string;
  /**
   * Root SSH key pair the nodes use to reach each other (Ganeti runs ssh from the master). It is
   * installed as root's identity on every node (any node may become master) and authorised on all.
   */
  clusterSshPublicKey: string;
  clusterSshPrivateKey: pulumi.Input<string>;
  /**
   * Node groups (`gnt-group`) to keep on the cluster: created with `gnt-group add`, their
   * settings applied with `gnt-group modify`, removed with `gnt-group remove` once no longer
   * listed — only when empty (the step stops naming the nodes still in it). Ganeti's initial
   * group "default" need not be listed; list it to set its policy (it is never removed).
   */
  nodeGroups?: GanetiNodeGroupArgs[];
  /** ISO images copied from the master to every node. */
  isoImages?: GanetiIsoImageArgs[];
  /** Instances. */
  instances?: GanetiInstanceArgs[];
  /**
   * Smallest disk the cluster's instance policy accepts, in MiB; default 1024 (Ganeti's default
   * policy). Lower it only if you lowered the policy's disk-size minimum.
   */
  minDiskSizeMiB?: number;
  /**
   * `gnt-cluster verify` error codes to tolerate (passed as --ignore-errors), e.g. ["ENODESETUP"].
   * Each must be a Ganeti error code; there is no blanket ignore.
   */
  verifyIgnoreErrors?: string[];
}
