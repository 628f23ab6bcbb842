/**
 * Validates GanetiDrbdCluster args and resolves them into a plan: every default applied, the
 * master chosen, instances resolved against the nodes. Runs before any resource exists, so a
 * bad value fails with the field, the value and the fix — never halfway through a cluster.
 */
import { z } from "zod";
import { cidrContains, formatIpv4, isIpv4, parseIpv4 } from "../network/cidr";
import { oneOf, type SameShape } from "../config/zod-types";
import { type ArgsProblem, ArgsProblems, ComponentArgsError, formatPath } from "../errors";
import type { GanetiDrbdClusterArgs, GanetiSshConnectionArgs, GanetiVersion } from "./ganeti-args";

export const GANETI_HYPERVISORS = ["kvm", "fake"] as const;
export const GANETI_DISK_TEMPLATES = ["drbd", "plain", "file", "sharedfile"] as const;
export const GANETI_TIME_SYNC = ["chrony", "ntp", "none"] as const;
export const GANETI_VERSIONS = ["3.0", "3.1"] as const;
/** Ganeti's allocation policies of a node group (`gnt-group add --alloc-policy`). */
export const GANETI_ALLOC_POLICIES = ["preferred", "last_resort", "unallocable"] as const;
/** The node group `gnt-cluster init` creates; every node is in it unless assigned elsewhere. */
export const GANETI_INITIAL_GROUP = "default";
/** KVM parameters by default: no kernel (the instance's own boot loader), VNC on loopback only. */
export const DEFAULT_KVM_PARAMETERS: Readonly<Record<string, string>> = {
  kernel_path: "",
  initrd_path: "",
  vnc_bind_address: "127.0.0.1",
};
/** Ganeti 3.0's `gnt-cluster verify` error codes (constants CV_E*), for verifyIgnoreErrors. */
export const GANETI_VERIFY_ERROR_CODES = [
  "ECLUSTERCERT",
  "ECLUSTERCLIENTCERT",
  "ECLUSTERCFG",
  "ECLUSTERDANGLINGINST",
  "ECLUSTERDANGLINGNODES",
  "ECLUSTERFILECHECK",
  "EGROUPDIFFERENTPVSIZE",
  "EINSTANCEBADNODE",
  "EINSTANCEDOWN",
  "EINSTANCEFAULTYDISK",
  "EINSTANCELAYOUT",
  "EINSTANCEMISSINGCFGPARAMETER",
  "EINSTANCEMISSINGDISK",
  "EINSTANCEPOLICY",
  "EINSTANCESPLITGROUPS",
  "EINSTANCEUNSUITABLENODE",
  "EINSTANCEWRONGNODE",
  "ENODEDRBD",
  "ENODEDRBDHELPER",
  "ENODEDRBDVERSION",
  "ENODEFILECHECK",
  "ENODEFILESTORAGEPATHS",
  "ENODEFILESTORAGEPATHUNUSABLE",
  "ENODEHOOKS",
  "ENODEHV",
  "ENODELVM",
  "EEXTAGS",
  "ENODENET",
  "ENODEOOBPATH",
  "ENODEORPHANINSTANCE",
  "ENODEORPHANLV",
  "ENODEOS",
  "ENODERPC",
  "ENODESETUP",
  "ENODESHAREDFILESTORAGEPATHUNUSABLE",
  "ENODEGLUSTERSTORAGEPATHUNUSABLE",
  "ENODESSH",
  "ENODETIME",
  "ENODEUSERSCRIPTS",
  "ENODEVERSION",
] as const;

export interface PlannedNode {
  index: number;
  fqdn: string;
  /** First label of the FQDN; used in resource names and /etc/hosts. */
  shortName: string;
  address: string;
  replicationAddress: string;
  isMaster: boolean;
  hostKey: string;
  connection: GanetiSshConnectionArgs;
  /** The SSH user; steps run through `sudo -n` when it is not root. */
  user: string;
  /** Declared `gnt-node modify` flags (never both; never on the master). */
  drained: boolean;
  offline: boolean;
  volumeGroupDevices: string[];
  parentInterface: string;
  /** Its node group; undefined when the plan leaves Ganeti's groups alone (`nodeGroups` undefined). */
  group?: string;
}

/** A node group the component keeps (`<name>-group-<key>`). */
export interface PlannedNodeGroup {
  name: string;
  /** Resource-name-safe form of the name (the name itself: names are already lowercase, digits, dashes). */
  key: string;
  allocPolicy: string;
  /** `--ipolicy-disk-templates`; undefined: the cluster's policy. */
  diskTemplates?: string[];
  /** Ganeti's initial group "default": settings applied, never removed. */
  initial: boolean;
}

export interface PlannedInstance {
  name: string;
  /** Resource-name-safe form of the name. */
  key: string;
  diskTemplate: string;
  diskSizeMiB: number;
  minMemoryMiB: number;
  maxMemoryMiB: number;
  os: string;
  nicLink: string;
  primaryNode: string;
  secondaryNode?: string;
  startWithCdImage?: string;
  running: boolean;
  failover: boolean;
  ignoreConsistency: boolean;
  /** Declared node group of the instance's nodes (checked after placement). */
  group?: string;
}

export interface GanetiClusterPlan {
  componentName: string;
  ganetiVersion: GanetiVersion;
  clusterName: string;
  clusterAddress: string;
  nodes: PlannedNode[];
  master: PlannedNode;
  hypervisor: string;
  diskTemplates: string[];
  volumeGroup: string;
  fileStorageDir: string;
  sharedFileStorageDir: string;
  /** Whether nodes carry a separate replication address (`-s` on init and every node add). */
  usesReplicationAddresses: boolean;
  network: {
    manage: boolean;
    prefixLength: number;
    gateway?: string;
    managementVlan: number;
    managementBridge: string;
    publicVlan: number;
    publicBridge: string;
  };
  masterNetdev: string;
  drbdUsermodeHelper: string;
  drbdMinorCount: number;
  kvmParameters: Record<string, string>;
  timeSync: string;
  clusterSshPublicKey: string;
  isoImages: string[];
  /** OS names (without variant) the instances use, e.g. ["debootstrap"]. */
  osProviders: string[];
  instances: PlannedInstance[];
  minDiskSizeMiB: number;
  verifyIgnoreErrors: string[];
  /**
   * Node groups the component keeps, and through which every node's group is state
   * (`gnt-group assign-nodes`). Undefined when nothing about groups is declared: Ganeti's groups
   * are then left as they are (and the plan, with it the report's trigger, stays as before).
   */
  nodeGroups?: PlannedNodeGroup[];
  /** The readiness check of the cluster before any instance step (renderReadinessScript). */
  readiness: GanetiReadinessPlan;
}

/**
 * What "the cluster is ready for instances" means for this plan: every node declared online is a
 * member and not offline in Ganeti, and `gnt-cluster verify` reports no error about the cluster or
 * a node (DRBD, LVM, file storage, hypervisor, SSH, RPC, clocks, OS definitions). Errors about
 * instances are left to the report step: an instance that is down is for its own steps to fix,
 * and must not block them.
 */
export interface GanetiReadinessPlan {
  /** FQDNs that must be cluster members and online: the declared nodes not declared offline, master first. */
  onlineNodes: string[];
  /** Nodes declared offline (dead or down): verify errors naming them are expected, as in the report. */
  offlineNodes: string[];
  /** Codes given to `--ignore-errors` (verifyIgnoreErrors): Ganeti demotes them to warnings. */
  ignoreErrors: string[];
  /**
   * Runs of verify before the check fails, and the pause between them: right after a node is
   * added its daemons and files may still be settling, which a second look clears.
   */
  verifyAttempts: number;
  retryIntervalSeconds: number;
  /** The fix to print per verify error code that can block instances on this cluster. */
  fixes: Record<string, string>;
}

/** The fixes the readiness check names, by `gnt-cluster verify` error code (only the codes that apply). */
function readinessFixes(plan: Omit<GanetiClusterPlan, "readiness">): Record<string, string> {
  const fixes: Record<string, string> = {
    ECLUSTERCFG: "the cluster configuration is inconsistent: read the message, fix it with gnt-cluster modify",
    ECLUSTERCERT: "a cluster certificate is bad or expiring: run gnt-cluster renew-crypto on the master",
    ECLUSTERFILECHECK: "cluster files differ between nodes: run gnt-cluster redist-conf on the master",
    ENODEFILECHECK: "the node's copy of the cluster files differs: run gnt-cluster redist-conf on the master",
    ENODERPC:
      "the master cannot reach the node daemon: start Ganeti on the node (systemctl start ganeti) and open TCP 1811 between the nodes",
    ENODESSH:
      "the master cannot SSH to the node as root: check the cluster key in /root/.ssh/authorized_keys there (the node's prepare step writes it)",
    ENODENET:
      "the node cannot reach the others (or the cluster address is down): check the management network and bridges",
    ENODEHV: `the ${plan.hypervisor} hypervisor is not usable on the node: check its packages and kernel modules there`,
    ENODEVERSION: "the node runs another Ganeti version: install the same version on every node",
    ENODETIME:
      plan.timeSync === "none"
        ? "the node's clock is off: keep the nodes' clocks in sync (timeSync is none, so nothing here runs a time daemon)"
        : `the node's clock is off: check ${plan.timeSync} on every node`,
    ENODESETUP: "the node is not set up as Ganeti expects: read the message, then run pulumi up again",
    ENODEOS: `an OS definition (${plan.osProviders.join(", ") || "none used yet"}) is missing or differs on the node: its os step installs them; run pulumi up again`,
  };
  if (plan.diskTemplates.includes("drbd")) {
    fixes.ENODEDRBD = `DRBD is not usable on the node: check that the drbd module is loaded (modprobe drbd minor_count=${plan.drbdMinorCount}) and drbd-utils is installed there`;
    fixes.ENODEDRBDHELPER = `the node's DRBD usermode helper is not ${plan.drbdUsermodeHelper}: reload the drbd module with usermode_helper=${plan.drbdUsermodeHelper} (the prepare step configures it), or set drbdUsermodeHelper`;
    fixes.ENODEDRBDVERSION =
      "DRBD versions differ between nodes: install the same drbd module and drbd-utils on every node";
  }
  if (usesLvm(plan)) {
    fixes.ENODELVM = `the volume group ${plan.volumeGroup} is missing or too small on the node: create it (vgcreate ${plan.volumeGroup} <disk>) or set volumeGroup`;
  }
  if (plan.diskTemplates.includes("file")) {
    fixes.ENODEFILESTORAGEPATHUNUSABLE = `${plan.fileStorageDir} is not usable on the node: create it and allow it in /etc/ganeti/file-storage-paths`;
  }
  if (plan.diskTemplates.includes("sharedfile")) {
    fixes.ENODESHAREDFILESTORAGEPATHUNUSABLE = `${plan.sharedFileStorageDir} is not usable on the node: mount the shared storage there and allow it in /etc/ganeti/file-storage-paths`;
  }
  return fixes;
}

/**
 * Bad GanetiDrbdCluster input: a ComponentArgsError (one line per problem, Pulumi's
 * InputPropertiesError in the engine) under the name callers and tests already catch.
 */
export class GanetiArgsError extends ComponentArgsError {
  constructor(problems: ArgsProblem[]) {
    super("GanetiDrbdCluster", problems);
    this.name = "GanetiArgsError";
  }
}

const FQDN = /^(?=.{4,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z][-a-z0-9]{0,61}[a-z0-9]$/;
const BRIDGE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/; // Linux IFNAMSIZ: at most 15 characters
const ABS_PATH = /^\/[A-Za-z0-9._\/+-]*$/;
const HOST_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) [A-Za-z0-9+\/]+={0,3}( .*)?$/;
const PUBLIC_KEY = HOST_KEY;
const DEVICE = /^\/dev\/[A-Za-z0-9._\/-]+$/;
const OS_NAME = /^[a-z0-9][a-z0-9._-]*(\+[a-z0-9][a-z0-9._-]*)?$/;
const PARAM_NAME = /^[a-z_][a-z0-9_]*$/;
/** Node group names: also resource names and shell words, so kept to letters, digits and dashes. */
const GROUP_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

const fqdn = z
  .string()
  .regex(FQDN, { message: "is not a fully qualified lowercase host name (e.g. node1.example.org)" });
const ipv4 = z.string().refine(isIpv4, { message: "is not an IPv4 address (e.g. 192.168.20.11)" });
const bridgeName = z
  .string()
  .regex(BRIDGE, { message: "is not a valid interface name (letters, digits, _ . -; at most 15 characters)" });
const groupName = z.string().regex(GROUP_NAME, {
  message:
    "is not a node group name (lowercase letters, digits and dashes, starting with a letter, at most 63 characters; e.g. rack1)",
});
const vlanId = z
  .number({ message: "is not a number" })
  .int({ message: "is not a whole number" })
  .min(1, { message: "is not a VLAN ID 1-4094" })
  .max(4094, { message: "is not a VLAN ID 1-4094" });
const absPath = z.string().regex(ABS_PATH, { message: "is not an absolute path without spaces or shell characters" });

const connectionSchema = z.object({
  host: z.any().refine((v) => v !== undefined && v !== null && v !== "", {
    message: "is required (the address Pulumi connects to)",
  }),
  port: z.number().int().min(1).max(65535).optional(),
  user: z
    .string()
    .regex(/^[a-z_][-a-z0-9_]*$/, { message: "is not a user name" })
    .optional(),
  privateKey: z.any().refine((v) => v !== undefined && v !== null && v !== "", {
    message: "is required (a Pulumi secret holding the SSH private key)",
  }),
  hostKey: z
    .string({ message: "is required: pin the node's SSH host key (contents of /etc/ssh/ssh_host_ed25519_key.pub)" })
    .regex(HOST_KEY, {
      message:
        'is not an SSH public host key ("ssh-ed25519 AAAA…"); copy /etc/ssh/ssh_host_ed25519_key.pub from the node',
    }),
});

const nodeSchema = z.object({
  fqdn,
  address: ipv4,
  replicationAddress: ipv4.optional(),
  connection: connectionSchema,
  volumeGroupDevices: z
    .array(z.string().regex(DEVICE, { message: "is not a block device path (e.g. /dev/sdb)" }))
    .optional(),
  parentInterface: bridgeName.optional(),
  drained: z.boolean({ message: "is not true or false" }).optional(),
  offline: z.boolean({ message: "is not true or false" }).optional(),
  group: groupName.optional(),
});

const nodeGroupSchema = z.object({
  name: groupName,
  allocPolicy: oneOf(GANETI_ALLOC_POLICIES).optional(),
  diskTemplates: z
    .array(oneOf(GANETI_DISK_TEMPLATES))
    .min(1, { message: "must allow at least one disk template (leave it unset for the cluster's policy)" })
    .optional(),
});

const instanceSchema = z.object({
  name: fqdn.or(z.string().regex(/^[a-z][-a-z0-9]{0,62}$/, { message: "is not a host name" })),
  diskTemplate: oneOf(GANETI_DISK_TEMPLATES).optional(),
  diskSizeGiB: z.number({ message: "is not a number" }).positive({ message: "must be a positive size in GiB" }),
  minMemoryMiB: z
    .number()
    .int({ message: "is not a whole number of MiB" })
    .min(32, { message: "is below 32 MiB" })
    .optional(),
  maxMemoryMiB: z
    .number()
    .int({ message: "is not a whole number of MiB" })
    .min(32, { message: "is below 32 MiB" })
    .optional(),
  os: z
    .string()
    .regex(OS_NAME, { message: "is not an OS definition name (e.g. debootstrap+default, image+cd, noop)" })
    .optional(),
  nicLink: bridgeName.optional(),
  primaryNode: fqdn,
  secondaryNode: fqdn.optional(),
  startWithCdImage: absPath.optional(),
  running: z.boolean().optional(),
  failover: z.boolean().optional(),
  ignoreConsistency: z.boolean().optional(),
  group: groupName.optional(),
});

/** GanetiDrbdClusterArgs field by field (how nodes, instances and addresses fit together: the plan). */
export const ganetiDrbdClusterArgsSchema = z.object({
  ganetiVersion: oneOf(GANETI_VERSIONS).optional(),
  nodes: z
    .array(nodeSchema, { message: "is required: a list of nodes" })
    .min(1, { message: "must list at least one node" }),
  masterNode: fqdn.optional(),
  clusterName: fqdn,
  clusterAddress: ipv4,
  hypervisor: oneOf(GANETI_HYPERVISORS).optional(),
  diskTemplates: z
    .array(oneOf(GANETI_DISK_TEMPLATES))
    .min(1, { message: "must enable at least one disk template" })
    .optional(),
  volumeGroup: z
    .string()
    .regex(/^[A-Za-z0-9+_.-]{1,127}$/, { message: "is not an LVM volume group name" })
    .optional(),
  fileStorageDir: absPath.optional(),
  sharedFileStorageDir: absPath.optional(),
  network: z
    .object({
      manage: z.boolean().optional(),
      parentInterface: bridgeName.optional(),
      prefixLength: z
        .number()
        .int()
        .min(8, { message: "is not a prefix length 8-30" })
        .max(30, { message: "is not a prefix length 8-30" })
        .optional(),
      gateway: ipv4.optional(),
      managementVlan: vlanId.optional(),
      managementBridge: bridgeName.optional(),
      publicVlan: vlanId.optional(),
      publicBridge: bridgeName.optional(),
    })
    .optional(),
  masterNetdev: bridgeName.optional(),
  drbdUsermodeHelper: absPath.optional(),
  drbdMinorCount: z.number().int().min(1).max(255, { message: "is above DRBD 8.4's limit of 255" }).optional(),
  kvmParameters: z
    .record(
      z.string().regex(PARAM_NAME, { message: "is not a hypervisor parameter name" }),
      z.string().regex(/^[^,\s'"\\`$]*$/, { message: "contains a comma, space, quote or shell character" }),
    )
    .optional(),
  timeSync: oneOf(GANETI_TIME_SYNC).optional(),
  clusterSshPublicKey: z
    .string({ message: "is required: the public half of the cluster's root SSH key" })
    .regex(PUBLIC_KEY, { message: 'is not an SSH public key ("ssh-ed25519 AAAA… comment")' }),
  clusterSshPrivateKey: z
    .any()
    .refine((v) => v !== undefined && v !== null && v !== "", { message: "is required (a Pulumi secret)" }),
  nodeGroups: z.array(nodeGroupSchema).optional(),
  isoImages: z.array(z.object({ path: absPath })).optional(),
  instances: z.array(instanceSchema).optional(),
  minDiskSizeMiB: z.number().int().min(1).optional(),
  verifyIgnoreErrors: z.array(oneOf(GANETI_VERIFY_ERROR_CODES)).optional(),
});

/** The args as problems may show them: private keys replaced, so no message carries one. */
function redactSecrets(args: GanetiDrbdClusterArgs): unknown {
  const hide = (v: unknown) => (v === undefined ? v : "[secret]");
  return {
    ...args,
    clusterSshPrivateKey: hide(args.clusterSshPrivateKey),
    nodes: Array.isArray(args.nodes)
      ? args.nodes.map((n) =>
          n && typeof n === "object" && n.connection && typeof n.connection === "object"
            ? { ...n, connection: { ...n.connection, privateKey: hide(n.connection.privateKey) } }
            : n,
        )
      : args.nodes,
  };
}

/** Resource-name-safe form of a name: lowercase letters, digits and dashes. */
export function resourceKey(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** Whether the field at `path` (or one of its parents or children) is among `badPaths`. */
function touches(badPaths: readonly string[], path: string): boolean {
  return badPaths.some(
    (bad) =>
      bad === path ||
      bad.startsWith(`${path}.`) ||
      bad.startsWith(`${path}[`) ||
      path.startsWith(`${bad}.`) ||
      path.startsWith(`${bad}[`),
  );
}

/**
 * Whether the args have the structure the relations between fields are checked on (lists and
 * objects where the schema wants them), even if some values in them are wrong.
 */
function wellFormed(args: GanetiDrbdClusterArgs): boolean {
  const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  const listOf = (v: unknown, each: (x: unknown) => boolean) => Array.isArray(v) && v.every(each);
  return (
    isObject(args) &&
    listOf(args.nodes, (n) => isObject(n) && isObject((n as { connection?: unknown }).connection)) &&
    args.nodes.length > 0 &&
    (args.instances === undefined || listOf(args.instances, isObject)) &&
    (args.isoImages === undefined || listOf(args.isoImages, isObject)) &&
    (args.nodeGroups === undefined || listOf(args.nodeGroups, isObject)) &&
    (args.diskTemplates === undefined || Array.isArray(args.diskTemplates)) &&
    (args.network === undefined || isObject(args.network)) &&
    (args.kvmParameters === undefined || isObject(args.kvmParameters))
  );
}

/**
 * Validates args and resolves the plan; throws GanetiArgsError (a ComponentArgsError) listing
 * every problem: each field's own (the schema) and those between fields (two nodes with one
 * address, an instance on a node that is not listed) in the same error, so a user fixes all of
 * them in one round. The relations are checked only on fields whose own value passed.
 */
export function planGanetiCluster(componentName: string, args: GanetiDrbdClusterArgs): GanetiClusterPlan {
  const parsed = ganetiDrbdClusterArgsSchema.safeParse(args);
  const problems = new ArgsProblems("GanetiDrbdCluster");
  if (parsed.success) {
    const plan = planRelations(componentName, args, problems, () => true);
    if (!plan) throw new GanetiArgsError(problems.list);
    return plan;
  }
  problems.addZodIssues(parsed.error.issues, redactSecrets(args));
  const badPaths = parsed.error.issues.map((issue) => formatPath(issue.path));
  const fieldOk = (...paths: string[]) => paths.every((path) => !touches(badPaths, path));
  if (wellFormed(args)) {
    const shapes = problems.list.length;
    try {
      planRelations(componentName, args, problems, fieldOk);
    } catch {
      // A relation read a value of the wrong type that the schema reported already: the
      // problems found so far stand.
    }
    // A field whose own value is wrong is reported once, by the schema.
    const relations = problems.list.splice(shapes).filter((p) => fieldOk(p.field));
    problems.list.push(...relations);
  }
  throw new GanetiArgsError(problems.list);
}

/**
 * Adds the problems between fields; returns the plan when there is no problem at all.
 * `fieldOk(paths)` says whether those fields passed the schema: a relation on a field that did
 * not is skipped.
 */
function planRelations(
  componentName: string,
  args: GanetiDrbdClusterArgs,
  problems: ArgsProblems,
  fieldOk: (...paths: string[]) => boolean,
): GanetiClusterPlan | undefined {
  const net = args.network ?? {};
  const network = {
    manage: net.manage ?? true,
    prefixLength: net.prefixLength ?? 24,
    gateway: net.gateway,
    managementVlan: net.managementVlan ?? 100,
    managementBridge: net.managementBridge ?? "br-man",
    publicVlan: net.publicVlan ?? 200,
    publicBridge: net.publicBridge ?? "br-public",
  };
  if (fieldOk("network.managementVlan", "network.publicVlan") && network.managementVlan === network.publicVlan) {
    problems.add(
      "network.publicVlan",
      network.publicVlan,
      "equals network.managementVlan; give the public network its own VLAN ID",
    );
  }
  if (
    fieldOk("network.managementBridge", "network.publicBridge") &&
    network.managementBridge === network.publicBridge
  ) {
    problems.add(
      "network.publicBridge",
      network.publicBridge,
      "equals network.managementBridge; use two bridge names (e.g. br-man and br-public)",
    );
  }
  const parentDefault = net.parentInterface ?? "eth0";
  const hypervisor = args.hypervisor ?? "kvm";
  const diskTemplates = args.diskTemplates ?? ["drbd", "plain"];
  if (fieldOk("diskTemplates") && new Set(diskTemplates).size !== diskTemplates.length) {
    problems.add("diskTemplates", diskTemplates, "lists a template twice; list each once");
  }

  // Nodes: unique names and addresses, the master.
  const seenNames = new Map<string, number>();
  const seenAddresses = new Map<string, string>();
  const claim = (address: string, what: string) => {
    const other = seenAddresses.get(address);
    if (other)
      problems.add(what, address, `is already used by ${other}; every node and the cluster need their own address`);
    else seenAddresses.set(address, what);
  };
  if (fieldOk("clusterAddress")) claim(args.clusterAddress, "clusterAddress");
  // Whether every node's name passed: "is not one of the nodes" would mislead otherwise.
  const fqdnsOk = args.nodes.every((_n, index) => fieldOk(`nodes[${index}].fqdn`));
  const nodes: PlannedNode[] = args.nodes.map((node, index) => {
    const where = `nodes[${index}]`;
    const fqdnOk = fieldOk(`${where}.fqdn`);
    const shortName = fqdnOk ? node.fqdn.split(".")[0] : "";
    if (fqdnOk && seenNames.has(node.fqdn))
      problems.add(
        `${where}.fqdn`,
        node.fqdn,
        `is listed twice (also nodes[${seenNames.get(node.fqdn)}]); list each node once`,
      );
    if (fqdnOk) seenNames.set(node.fqdn, index);
    if (fqdnOk && node.fqdn === args.clusterName)
      problems.add(
        `${where}.fqdn`,
        node.fqdn,
        "equals clusterName; the cluster name must be its own name with its own address",
      );
    const hostKeyOk = fieldOk(`${where}.connection.hostKey`);
    if (hostKeyOk && node.connection.hostKey.startsWith("ssh-rsa ")) {
      problems.add(
        `${where}.connection.hostKey`,
        node.connection.hostKey,
        "is an ssh-rsa key, which cannot be pinned: the cluster shares the master's RSA host key with every node (Ganeti's SSH trust model); pin the node's ssh-ed25519 or ecdsa host key",
      );
    }
    if (node.drained && node.offline) {
      problems.add(
        `${where}.offline`,
        true,
        "together with drained: true; Ganeti keeps a node in one state: set only offline (a dead node) or only drained (no new instances)",
      );
    }
    if (fieldOk(`${where}.address`)) claim(node.address, `${where}.address`);
    if (
      fieldOk(`${where}.replicationAddress`) &&
      node.replicationAddress !== undefined &&
      node.replicationAddress !== node.address
    )
      claim(node.replicationAddress, `${where}.replicationAddress`);
    return {
      index,
      fqdn: node.fqdn,
      shortName,
      address: node.address,
      replicationAddress: node.replicationAddress ?? node.address,
      isMaster: false,
      hostKey: hostKeyOk ? node.connection.hostKey.trim() : "",
      connection: node.connection,
      user: node.connection.user ?? "root",
      drained: node.drained ?? false,
      offline: node.offline ?? false,
      volumeGroupDevices: node.volumeGroupDevices ?? [],
      parentInterface: node.parentInterface ?? parentDefault,
    };
  });
  const shortNames = new Map<string, string>();
  for (const node of nodes) {
    if (node.shortName === "") continue;
    const other = shortNames.get(node.shortName);
    if (other && other !== node.fqdn)
      problems.add(
        `nodes[${node.index}].fqdn`,
        node.fqdn,
        `has the same short name as "${other}"; node short names must differ (they name resources)`,
      );
    shortNames.set(node.shortName, node.fqdn);
  }
  // Node groups: each declared once; every group a node or instance names is declared (or is
  // Ganeti's initial "default"). Declaring any of it makes every node's group state.
  const groupArgs = args.nodeGroups ?? [];
  const manageGroups =
    groupArgs.length > 0 ||
    args.nodes.some((n) => n.group !== undefined) ||
    (args.instances ?? []).some((i) => i.group !== undefined);
  const groupIndex = new Map<string, number>();
  const nodeGroups: PlannedNodeGroup[] = [];
  groupArgs.forEach((group, index) => {
    const where = `nodeGroups[${index}]`;
    if (!fieldOk(`${where}.name`)) return;
    const other = groupIndex.get(group.name);
    if (other !== undefined) {
      problems.add(`${where}.name`, group.name, `is listed twice (also nodeGroups[${other}]); list each group once`);
      return;
    }
    groupIndex.set(group.name, index);
    if (group.diskTemplates !== undefined && fieldOk(`${where}.diskTemplates`, "diskTemplates")) {
      const notEnabled = group.diskTemplates.filter((t) => !diskTemplates.includes(t));
      if (notEnabled.length > 0)
        problems.add(
          `${where}.diskTemplates`,
          group.diskTemplates,
          `allows ${notEnabled.join(", ")}, not enabled on the cluster (diskTemplates: ${diskTemplates.join(", ")}); Ganeti refuses such a policy: enable it in diskTemplates or leave it out here`,
        );
      else if (new Set(group.diskTemplates).size !== group.diskTemplates.length)
        problems.add(`${where}.diskTemplates`, group.diskTemplates, "lists a template twice; list each once");
    }
    nodeGroups.push({
      name: group.name,
      key: group.name,
      allocPolicy: group.allocPolicy ?? "preferred",
      diskTemplates: group.diskTemplates,
      initial: group.name === GANETI_INITIAL_GROUP,
    });
  });
  const knownGroups = [
    GANETI_INITIAL_GROUP,
    ...nodeGroups.map((g) => g.name).filter((n) => n !== GANETI_INITIAL_GROUP),
  ];
  // A group whose own name is wrong is reported once, by the schema: naming it is not "undeclared" too.
  const malformedGroups = groupArgs
    .filter((_g, index) => !fieldOk(`nodeGroups[${index}].name`))
    .map((g) => g.name as unknown);
  /** Whether `group` (at `field`) is a usable group name; adds the problem when it names no declared group. */
  const knownGroup = (field: string, group: string | undefined): group is string => {
    if (group === undefined || !fieldOk(field)) return false;
    if (knownGroups.includes(group)) return true;
    if (!malformedGroups.includes(group))
      problems.add(
        field,
        group,
        `is not a declared node group (${knownGroups.join(", ")}); add { name: "${group}" } to nodeGroups or name one of those`,
      );
    return false;
  };
  if (manageGroups) {
    args.nodes.forEach((node, index) => {
      const declared = node.group ?? GANETI_INITIAL_GROUP;
      // A group that is wrong or unknown is reported once; the node's relations skip it.
      nodes[index].group =
        node.group === undefined || knownGroup(`nodes[${index}].group`, node.group) ? declared : undefined;
    });
  }
  const separate = nodes.filter((n) => n.replicationAddress !== n.address).length;
  const replicationOk = nodes.every((n) => fieldOk(`nodes[${n.index}].replicationAddress`));
  if (replicationOk && separate !== 0 && separate !== nodes.length) {
    problems.add(
      "nodes[*].replicationAddress",
      nodes.map((n) => (n.replicationAddress !== n.address ? n.replicationAddress : null)),
      `is set on ${separate} of ${nodes.length} nodes; Ganeti needs a separate replication address on every node or on none`,
    );
  }
  const masterFqdn = args.masterNode ?? args.nodes[0].fqdn;
  const master = nodes.find((n) => n.fqdn === masterFqdn);
  if (!master) {
    if (fqdnsOk && fieldOk("masterNode"))
      problems.add(
        "masterNode",
        masterFqdn,
        `is not one of the nodes (${nodes.map((n) => n.fqdn).join(", ")}); name a listed node or leave it unset for the first`,
      );
  } else {
    master.isMaster = true;
    for (const flag of ["offline", "drained"] as const) {
      if (master[flag])
        problems.add(
          `nodes[${master.index}].${flag}`,
          true,
          `on the master ${master.fqdn}; Ganeti refuses to ${flag === "offline" ? "offline" : "drain"} its master: set masterNode to another node first (gnt-cluster master-failover)`,
        );
    }
  }
  if (network.manage && fieldOk("network.gateway", "network.prefixLength")) {
    for (const node of nodes) {
      if (
        network.gateway &&
        fieldOk(`nodes[${node.index}].address`) &&
        !cidrContains(`${cidrBase(node.address, network.prefixLength)}/${network.prefixLength}`, network.gateway)
      ) {
        problems.add(
          "network.gateway",
          network.gateway,
          `is not in ${node.fqdn}'s management network ${cidrBase(node.address, network.prefixLength)}/${network.prefixLength}; fix the gateway or prefixLength`,
        );
        break;
      }
    }
  }

  // Instances.
  const minDiskSizeMiB = args.minDiskSizeMiB ?? 1024;
  const isoImages = (args.isoImages ?? []).map((iso) => iso.path);
  const instanceNames = new Set<string>();
  const instances: PlannedInstance[] = (args.instances ?? []).map((inst, index) => {
    const where = `instances[${index}]`;
    const nameOk = fieldOk(`${where}.name`);
    if (nameOk && instanceNames.has(inst.name))
      problems.add(`${where}.name`, inst.name, "is listed twice; instance names must be unique");
    instanceNames.add(inst.name);
    if (nameOk && (seenNames.has(inst.name) || inst.name === args.clusterName))
      problems.add(`${where}.name`, inst.name, "is a node or cluster name; give the instance its own name");
    const diskTemplate = inst.diskTemplate ?? diskTemplates[0];
    if (fieldOk(`${where}.diskTemplate`, "diskTemplates") && !diskTemplates.includes(diskTemplate)) {
      problems.add(
        `${where}.diskTemplate`,
        diskTemplate,
        `is not enabled on the cluster (${diskTemplates.join(", ")}); add it to diskTemplates or pick an enabled one`,
      );
    }
    const diskSizeMiB = Math.round(inst.diskSizeGiB * 1024);
    if (fieldOk(`${where}.diskSizeGiB`, "minDiskSizeMiB") && diskSizeMiB < minDiskSizeMiB) {
      problems.add(
        `${where}.diskSizeGiB`,
        inst.diskSizeGiB,
        `is below the instance policy minimum of ${minDiskSizeMiB} MiB; use at least ${minDiskSizeMiB / 1024} GiB (or set minDiskSizeMiB after lowering the cluster's policy)`,
      );
    }
    const minMemoryMiB = inst.minMemoryMiB ?? 256;
    const maxMemoryMiB = inst.maxMemoryMiB ?? Math.max(512, minMemoryMiB);
    if (fieldOk(`${where}.minMemoryMiB`, `${where}.maxMemoryMiB`) && minMemoryMiB > maxMemoryMiB)
      problems.add(
        `${where}.minMemoryMiB`,
        minMemoryMiB,
        `is above maxMemoryMiB ${maxMemoryMiB}; minimum memory must not exceed maximum memory`,
      );
    for (const field of ["primaryNode", "secondaryNode"] as const) {
      const fq = inst[field];
      if (fqdnsOk && fq !== undefined && !seenNames.has(fq))
        problems.add(
          `${where}.${field}`,
          fq,
          `is not one of the nodes (${nodes.map((n) => n.fqdn).join(", ")}); name a listed node`,
        );
    }
    const nodesOfInstanceOk = fieldOk(`${where}.primaryNode`, `${where}.secondaryNode`, `${where}.diskTemplate`);
    if (!nodesOfInstanceOk) {
      // Reported by the schema; which node holds the replica is checked once both are names.
    } else if (diskTemplate === "drbd") {
      if (!inst.secondaryNode)
        problems.add(
          `${where}.secondaryNode`,
          undefined,
          "is required for the drbd template; name the node holding the replica",
        );
      else if (inst.secondaryNode === inst.primaryNode)
        problems.add(
          `${where}.secondaryNode`,
          inst.secondaryNode,
          "equals primaryNode; drbd replicates to a different node",
        );
    } else if (inst.secondaryNode !== undefined) {
      problems.add(
        `${where}.secondaryNode`,
        inst.secondaryNode,
        `is only used by the drbd template (this instance uses ${diskTemplate}); remove it`,
      );
    }
    if (inst.ignoreConsistency && !inst.failover)
      problems.add(`${where}.ignoreConsistency`, true, "applies only to failover; also set failover: true");
    if (inst.startWithCdImage !== undefined) {
      if (fieldOk("isoImages") && !isoImages.includes(inst.startWithCdImage))
        problems.add(
          `${where}.startWithCdImage`,
          inst.startWithCdImage,
          "is not among isoImages; add it there so it is copied to every node",
        );
      if (fieldOk("hypervisor") && hypervisor !== "kvm")
        problems.add(
          `${where}.startWithCdImage`,
          inst.startWithCdImage,
          `boots from a CD, which needs the kvm hypervisor (this cluster uses ${hypervisor}); remove it`,
        );
    }
    if (manageGroups) {
      const instanceGroupOk = inst.group === undefined || knownGroup(`${where}.group`, inst.group);
      const groupOf = (fq: string | undefined) => nodes.find((n) => n.fqdn === fq)?.group;
      const primaryGroup = groupOf(inst.primaryNode);
      const secondaryGroup = diskTemplate === "drbd" ? groupOf(inst.secondaryNode) : undefined;
      if (!nodesOfInstanceOk) {
        // Which group holds the instance is checked once its nodes are names.
      } else if (inst.group !== undefined) {
        if (instanceGroupOk) {
          const members = nodes.filter((n) => n.group === inst.group).map((n) => n.fqdn);
          for (const [field, group] of [
            ["primaryNode", primaryGroup],
            ["secondaryNode", secondaryGroup],
          ] as const) {
            if (group !== undefined && group !== inst.group)
              problems.add(
                `${where}.${field}`,
                inst[field],
                `is in node group ${group}, not in the instance's group ${inst.group}; name a node of ${inst.group} (${members.join(", ") || "none yet"}) or move this node there (its group field)`,
              );
          }
        }
      } else if (primaryGroup !== undefined && secondaryGroup !== undefined && primaryGroup !== secondaryGroup) {
        problems.add(
          `${where}.secondaryNode`,
          inst.secondaryNode,
          `is in node group ${secondaryGroup} and the primary ${inst.primaryNode} in ${primaryGroup}; Ganeti keeps a drbd instance's nodes in one group (gnt-group assign-nodes refuses to split it): put both nodes in one group`,
        );
      }
      const policy = nodeGroups.find((g) => g.name === primaryGroup)?.diskTemplates;
      if (nodesOfInstanceOk && policy !== undefined && !policy.includes(diskTemplate))
        problems.add(
          `${where}.diskTemplate`,
          diskTemplate,
          `is not allowed in node group ${primaryGroup} of ${inst.primaryNode} (its diskTemplates: ${policy.join(", ")}); allow it there or place the instance on a node of another group`,
        );
    }
    const primary = nodes.find((n) => n.fqdn === inst.primaryNode);
    if (primary?.offline) {
      problems.add(
        `${where}.primaryNode`,
        inst.primaryNode,
        "is declared offline; an instance cannot run there: move it to its secondary with failover: true and ignoreConsistency: true (the dead-primary failover)",
      );
    }
    const nicLink = inst.nicLink ?? network.publicBridge;
    return {
      name: inst.name,
      key: nameOk ? resourceKey(inst.name) : "",
      diskTemplate,
      diskSizeMiB,
      minMemoryMiB,
      maxMemoryMiB,
      os: inst.os ?? "debootstrap+default",
      nicLink,
      primaryNode: inst.primaryNode,
      secondaryNode: inst.secondaryNode,
      startWithCdImage: inst.startWithCdImage,
      running: inst.running ?? true,
      failover: inst.failover ?? false,
      ignoreConsistency: inst.ignoreConsistency ?? false,
      group: inst.group,
    };
  });
  const keys = new Map<string, string>();
  for (const inst of instances) {
    if (inst.key === "") continue;
    const other = keys.get(inst.key);
    if (other)
      problems.add("instances", inst.name, `and "${other}" map to the same resource name "${inst.key}"; rename one`);
    keys.set(inst.key, inst.name);
  }
  const kvmParameters = args.kvmParameters ?? { ...DEFAULT_KVM_PARAMETERS };
  if (fieldOk("hypervisor", "kvmParameters") && hypervisor === "kvm") {
    // The by-hand cluster bound VNC to 0.0.0.0 without a password: anyone reaching a node reached every console.
    // (Unset or empty: Ganeti starts no VNC server.)
    const bind = kvmParameters.vnc_bind_address ?? "";
    const loopback = bind === "" || bind.startsWith("127.") || bind === "::1";
    if (!loopback && !kvmParameters.vnc_password_file) {
      problems.add(
        "kvmParameters.vnc_bind_address",
        bind,
        "opens the instances' VNC consoles without a password; bind them to 127.0.0.1 (reach them through ssh -L) or set kvmParameters.vnc_password_file to a password file present on every node",
      );
    }
  }
  if (!problems.empty) return undefined;

  const decided: Omit<GanetiClusterPlan, "readiness"> = {
    componentName,
    ganetiVersion: (args.ganetiVersion ?? "3.0") as GanetiVersion, // checked by the schema above
    clusterName: args.clusterName,
    clusterAddress: args.clusterAddress,
    nodes,
    master: master!,
    hypervisor,
    diskTemplates,
    volumeGroup: args.volumeGroup ?? "ganeti",
    fileStorageDir: args.fileStorageDir ?? "/srv/ganeti/file-storage",
    sharedFileStorageDir: args.sharedFileStorageDir ?? "/srv/ganeti/shared-file-storage",
    usesReplicationAddresses: separate === nodes.length && separate > 0,
    network,
    masterNetdev: args.masterNetdev ?? network.managementBridge,
    drbdUsermodeHelper: args.drbdUsermodeHelper ?? "/bin/true",
    drbdMinorCount: args.drbdMinorCount ?? 128,
    kvmParameters,
    timeSync: args.timeSync ?? "chrony",
    clusterSshPublicKey: args.clusterSshPublicKey.trim(),
    isoImages,
    osProviders: [...new Set(instances.map((i) => i.os.split("+")[0]))].sort(),
    instances,
    minDiskSizeMiB,
    verifyIgnoreErrors: args.verifyIgnoreErrors ?? [],
    nodeGroups: manageGroups ? nodeGroups : undefined,
  };
  const online = [master!, ...nodes.filter((n) => !n.isMaster)].filter((n) => !n.offline);
  return {
    ...decided,
    readiness: {
      onlineNodes: online.map((n) => n.fqdn),
      offlineNodes: nodes.filter((n) => n.offline).map((n) => n.fqdn),
      ignoreErrors: decided.verifyIgnoreErrors,
      verifyAttempts: 3,
      retryIntervalSeconds: 20,
      fixes: readinessFixes(decided),
    },
  };
}

function cidrBase(address: string, prefix: number): string {
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return formatIpv4((parseIpv4(address) & mask) >>> 0);
}

/** Whether the plan needs LVM (plain or drbd templates). */
export function usesLvm(plan: Pick<GanetiClusterPlan, "diskTemplates">): boolean {
  return plan.diskTemplates.includes("drbd") || plan.diskTemplates.includes("plain");
}

// The schema and GanetiDrbdClusterArgs describe the same fields: adding one to either alone fails tsc.
const _schemaMatchesArgs: SameShape<z.input<typeof ganetiDrbdClusterArgsSchema>, GanetiDrbdClusterArgs> = true;
void _schemaMatchesArgs;
