// DevstackHost's inputs, declared once: the interface (Pulumi's analyzer infers the provider
// schema for other languages from it) and the zod schema that checks each field on its own
// (devstack-plan.ts adds the checks that relate fields to each other). A type-level check at the
// end keeps the two from drifting apart.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { ProjectLimits } from "../desktop/quota";
import { isIpv4, isIpv4Cidr, parseCidr } from "../network/cidr";

/**
 * Distributions each DevStack branch accepts: SUPPORTED_DISTROS in that branch's own stack.sh
 * (read from openstack/devstack, July 2026), apt-based ones only (rhel9/rhel10 are listed there
 * too, but our steps use apt). A release the branch does not list makes stack.sh stop and ask
 * for FORCE=yes, so the precheck refuses it first.
 */
export const SUPPORTED_DISTROS_BY_BRANCH: Readonly<Record<string, readonly string[]>> = {
  // trixie|bookworm|noble|resolute|rhel9|rhel10 (jammy removed Feb 2026).
  master: ["debian:trixie", "debian:bookworm", "ubuntu:noble", "ubuntu:resolute"],
  // trixie|bookworm|noble|rhel9|rhel10: cut before Ubuntu 26.04 (resolute) was added.
  "stable/2026.1": ["debian:trixie", "debian:bookworm", "ubuntu:noble"],
  // bookworm|jammy|noble|rhel9|rhel10: no trixie yet, jammy still in.
  "stable/2025.2": ["debian:bookworm", "ubuntu:jammy", "ubuntu:noble"],
  // bookworm|jammy|noble|rhel9.
  "stable/2025.1": ["debian:bookworm", "ubuntu:jammy", "ubuntu:noble"],
};

export const DEFAULT_BRANCH = "stable/2026.1";
export const DEFAULT_DEVSTACK_REPO = "https://opendev.org/openstack/devstack";
export const DEFAULT_FLOATING_RANGE = "172.24.4.0/24";
/** devstack's IPV4_ADDRS_SAFE_TO_USE default: tenant (fixed) subnets are carved from it. */
export const DEFAULT_FIXED_RANGE = "10.0.0.0/22";
/**
 * DevStack's VOLUME_BACKING_FILE_SIZE default (stackrc: `${VOLUME_BACKING_FILE_SIZE:-30G}` on master,
 * stable/2026.1, 2025.2 and 2025.1; it was 24G from 2018 until April 2021).
 */
export const DEFAULT_VOLUME_BACKING_FILE_SIZE = "30G";

/** GiB a VOLUME_BACKING_FILE_SIZE value holds (truncate's suffixes are powers of 1024). */
export function backingFileGiB(size: string): number {
  const m = /^([1-9][0-9]*)([MGT])$/.exec(size);
  if (!m) throw new Error(`${JSON.stringify(size)} is not a VOLUME_BACKING_FILE_SIZE (a whole number with M, G or T)`);
  return Number(m[1]) * { M: 1 / 1024, G: 1, T: 1024 }[m[2] as "M" | "G" | "T"];
}

/** How to reach the host over SSH. The host key is required: an unpinned key accepts any server. */
export interface DevstackConnectionArgs {
  /** Address or name the SSH client connects to. */
  host: pulumi.Input<string>;
  /** Default 22. */
  port?: pulumi.Input<number>;
  /** Default root; another user needs passwordless sudo. */
  user?: pulumi.Input<string>;
  /** Private key (OpenSSH or PEM); always handled as a secret. */
  privateKey: pulumi.Input<string>;
  /** The server's public host key, e.g. "ssh-ed25519 AAAA…" (from /etc/ssh/ssh_host_ed25519_key.pub). */
  hostKey: pulumi.Input<string>;
}

/** An image uploaded after stack.sh (Glance downloads it from the URL). */
export interface DevstackImageArgs {
  name: string;
  sourceUrl: string;
  /** Default "qcow2". */
  diskFormat?: string;
  /** Default "public". */
  visibility?: string;
}

/** A flavor created after stack.sh. */
export interface DevstackFlavorArgs {
  name: string;
  vcpus: number;
  ramMiB: number;
  diskGiB: number;
  /** Default true. */
  isPublic?: boolean;
}

/** One kind of PCI device guests may get (Nova's `[pci] alias`, matched by vendor and product). */
export interface DevstackPciAliasArgs {
  /** The alias flavors ask for (`pci_passthrough:alias` = "<name>:<count>"), e.g. "gpu". */
  name: string;
  /** PCI vendor ID, 4 hex digits as `lspci -nn` shows it, e.g. "10de" (NVIDIA). */
  vendorId: string;
  /** PCI product ID, 4 hex digits, e.g. "1eb8" (Tesla T4). */
  productId: string;
  /** Nova's device type: "type-PCI" (default: a whole device, e.g. a GPU), "type-PF" or "type-VF". */
  deviceType?: string;
}

/**
 * Nova PCI passthrough (e.g. GPU workstations): post-config of local.conf. `$NOVA_CONF` gets the
 * aliases and the scheduler's PciPassthroughFilter; `$NOVA_CPU_CONF` (nova-compute) gets the
 * aliases and a device spec per alias, making those devices assignable. The host itself must
 * have the IOMMU on and the devices bound to vfio-pci: DevStack does neither.
 */
export interface DevstackPciPassthroughArgs {
  aliases: DevstackPciAliasArgs[];
}

/**
 * Quotas DevstackHost sets on its admin project: the same shape as the limits the desktop pool
 * checks its demand against (-1: unlimited), so an environment passes one object to both.
 */
export type DevstackQuotas = ProjectLimits;

/**
 * DevStack's passwords to keep instead of generating (secrets). For stacks made before the
 * passwords came from GeneratedSecret (they came from @pulumi/random's RandomPassword): the
 * running DevStack was installed with those, and stack.sh does not run again for a new password,
 * so they must be carried over once. Read them from the old state (docs/devstack.md), set them,
 * `pulumi up`; afterwards they are kept in state and this setting changes nothing.
 */
export interface DevstackAdoptPasswordsArgs {
  admin?: pulumi.Input<string>;
  database?: pulumi.Input<string>;
  rabbit?: pulumi.Input<string>;
  service?: pulumi.Input<string>;
}

/**
 * Arguments of DevstackHost. The local.conf fields are plain values (not Inputs): they are
 * written into the scripts' text and validated before any command touches the host. Choices
 * such as `branch` are typed `string`, not a union of the allowed values, because Pulumi's
 * schema inference (other languages' SDKs) refuses union types; the schema checks the value.
 */
export interface DevstackHostArgs {
  connection: DevstackConnectionArgs;
  /** HOST_IP: the host's address that services bind to (required; must be on an interface). */
  hostIp: string;
  /** devstack branch; default "stable/2026.1". One of master, stable/2026.1, stable/2025.2, stable/2025.1. */
  branch?: string;
  /** Where to clone devstack from; default https://opendev.org/openstack/devstack (mirrors welcome). */
  devstackRepoUrl?: string;
  /** GIT_BASE for every project devstack clones (mirrors); default devstack's (opendev). */
  gitBase?: string;
  /** FLOATING_RANGE; default 172.24.4.0/24 (NATed by the host). */
  floatingRange?: string;
  /** PUBLIC_NETWORK_GATEWAY (br-ex's address); default the first host of floatingRange. */
  publicNetworkGateway?: string;
  /** Q_FLOATING_ALLOCATION_POOL start (with floatingAllocationEnd); default the whole range. */
  floatingAllocationStart?: string;
  floatingAllocationEnd?: string;
  /** IPV4_ADDRS_SAFE_TO_USE (tenant subnets); default 10.0.0.0/22. */
  fixedRange?: string;
  /** PUBLIC_INTERFACE: a NIC devstack moves onto br-ex (flat LAN layout). Default none (NAT). */
  publicInterface?: string;
  /** Services to enable (enable_service) and disable (disable_service). */
  enabledServices?: string[];
  /**
   * DevStack's TLS proxy (`enable_service tls-proxy`): Apache terminates HTTPS in front of the APIs
   * with a certificate from a CA DevStack makes on the host (/opt/stack/data/CA/int-ca/ca-chain.pem),
   * so the admin password no longer crosses the LAN in plain HTTP. The endpoints become https, the
   * component reads the CA chain back (output caCertificate) and gives it to its openstack.Provider
   * (cacertFile; never insecure). Default false: turning it on changes local.conf and re-runs stack.sh.
   */
  tlsProxy?: boolean;
  disabledServices?: string[];
  /**
   * VOLUME_BACKING_FILE_SIZE: the sparse file under /opt/stack/data that DevStack's LVM backend
   * makes Cinder's volume group from (`truncate -s`, so M/G/T are powers of 1024), e.g. "2200G".
   * DevStack's default is 30G (stackrc of every supported branch). It bounds what Cinder's volumes
   * can hold, so a known `quotas.volumeGiB` above it is refused (unless extraVolumeDevice adds a
   * disk). Read by stack.sh only while the volume group does not exist: raising it on a stacked
   * host takes a rebuild with cleanOnDelete (clean.sh removes the file) or an extraVolumeDevice.
   */
  volumeBackingFileSize?: string;
  /** Nova allocation ratios, written as post-config of $NOVA_CONF (reaches nova-compute too). */
  cpuAllocationRatio?: number;
  ramAllocationRatio?: number;
  diskAllocationRatio?: number;
  /** Nova PCI passthrough: aliases, device specs and the scheduler filter (see DevstackPciPassthroughArgs). */
  pciPassthrough?: DevstackPciPassthroughArgs;
  /** REGION_NAME; default RegionOne. */
  region?: string;
  /** Escape hatch: extra localrc lines (NAME=value, enable_plugin …). Obsolete and managed variables are refused. */
  extraLocalrcLines?: string[];
  /** Precheck minimums; default 7680 MiB RAM (an "8 GB" machine) and 40 GiB free under /opt/stack. */
  minRamMiB?: number;
  minFreeDiskGiB?: number;
  /** Map the hostname to hostIp in /etc/hosts when it does not resolve (RabbitMQ needs it); default true. */
  manageEtcHosts?: boolean;
  /** More Debian packages for the prepare step (e.g. "lvm2"). */
  extraPackages?: string[];
  /**
   * stack.sh runs once per value of this key. Change it (e.g. "1" → "2") to rebuild: the old
   * stack step is deleted first (unstack/clean as configured), then stack.sh runs again.
   * Default "1".
   */
  rebuild?: string;
  /** Time limit for stack.sh; default 90 minutes. */
  stackTimeoutMinutes?: number;
  /** A free block device to add to cinder's volume group after stack.sh (pvcreate + vgextend). */
  extraVolumeDevice?: string;
  /** Default stack-volumes-lvmdriver-1. */
  cinderVolumeGroup?: string;
  /** Persist NAT + ip_forward in a boot-time unit; default true when publicInterface is unset. */
  persistentNat?: boolean;
  /** Uplink for NAT; default the default-route interface. */
  natInterface?: string;
  /**
   * Also set proxy_arp on br-ex and the uplink (a home lab whose router must reach floating IPs
   * without a route); default false.
   */
  proxyArp?: boolean;
  /** Run unstack.sh when the component (or its stack step) is deleted; default true. */
  unstackOnDelete?: boolean;
  /** Also run clean.sh (removes the cloud's data) on delete; default false. */
  cleanOnDelete?: boolean;
  /** Entry name in the clouds.yaml output; default "devstack". */
  cloudName?: string;
  /**
   * Compute, network and volume quotas of the admin project (the one the stack's provider uses),
   * set after stack.sh with `openstack quota set` (-1: unlimited). A fresh project allows only 10
   * instances, 20 cores and 50 GiB of RAM (and Cinder's defaults: 10 volumes, 1000 GiB).
   */
  quotas?: DevstackQuotas;
  /** Images and flavors to create through the new cloud once it is up. */
  images?: DevstackImageArgs[];
  flavors?: DevstackFlavorArgs[];
  /** Passwords an existing DevStack already uses, adopted at create (see DevstackAdoptPasswordsArgs). */
  adoptPasswords?: DevstackAdoptPasswordsArgs;
}

// ---- The schema: one check per field, each message "<what is wrong>. Fix: <what to do>". ----

const fix = (problem: string, remedy: string) => ({ message: `${problem}. Fix: ${remedy}` });
const SERVICE_NAME = /^[a-z][a-z0-9-]{0,40}$/;
/** A Linux interface name (IFNAMSIZ: at most 15 characters). */
export const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
const URL_LIKE = /^(https?|git|ssh|file):\/\/[^\s'"`$\\]+$/;
/** Image, flavor and clouds.yaml entry names. */
export const RESOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A required Input: a plain value is checked, an Output is taken as given. */
const requiredInput = (what: string) =>
  z.custom<pulumi.Input<string>>(
    (v) =>
      pulumi.Output.isInstance(v) ||
      (typeof v === "string" && v !== "") ||
      (v !== undefined && v !== null && typeof (v as { then?: unknown }).then === "function"),
    fix("is required", what),
  );
const optionalInput = <T>(check: (v: unknown) => boolean, problem: string, remedy: string) =>
  z
    .custom<pulumi.Input<T>>(
      (v) =>
        pulumi.Output.isInstance(v) ||
        (v !== null && typeof (v as { then?: unknown } | undefined)?.then === "function") ||
        check(v),
      fix(problem, remedy),
    )
    .optional();

const canonicalCidr = (remedy: string) =>
  z.string().superRefine((value, ctx) => {
    try {
      parseCidr(value);
    } catch (e) {
      ctx.addIssue({
        code: "custom",
        message: `is not a canonical IPv4 CIDR (${(e as Error).message.replace(/^"[^"]*" /, "")}). Fix: ${remedy}`,
      });
    }
  });
const ipv4 = (remedy: string) => z.string().refine(isIpv4, fix("is not an IPv4 address", remedy));
const ratio = z
  .number()
  .refine(
    (v) => Number.isFinite(v) && v > 0 && v <= 64,
    fix("is not a ratio between 0 and 64", "use e.g. 16.0 for CPU, 1.5 for RAM, 1.0 for disk"),
  );
const flag = z.boolean(fix("is not true or false", "use true or false"));
const wholeAtLeast = (min: number, remedy: string) =>
  z
    .number()
    .int(fix("is not a whole number", remedy))
    .min(min, fix(`is below ${min}`, remedy));
const serviceList = z.array(
  z
    .string()
    .regex(
      SERVICE_NAME,
      fix("is not a devstack service name", "use names like c-bak, horizon, s-proxy (lowercase letters, digits, -)"),
    )
    .refine(
      (s) => s !== "n-net",
      fix("is nova-network, which was removed", "drop it; networking is Neutron (q-svc / ovn services)"),
    ),
);
const stackTimeout = fix(
  "is not a whole number of minutes between 15 and 600",
  "stack.sh takes 15-30 minutes, more on slow mirrors; use e.g. 90",
);
const quota = z
  .number()
  .int(fix("is not a quota", "use a whole number (-1 for unlimited)"))
  .min(-1, fix("is not a quota", "use a whole number (-1 for unlimited)"));

const quotasSchema = z
  .object({
    instances: quota.optional(),
    cores: quota.optional(),
    ramMiB: quota.optional(),
    floatingIps: quota.optional(),
    ports: quota.optional(),
    securityGroups: quota.optional(),
    securityGroupRules: quota.optional(),
    volumes: quota.optional(),
    volumeGiB: quota.optional(),
  })
  .refine(
    (q) => Object.values(q).some((v) => v !== undefined),
    fix(
      "is empty",
      "give at least one of instances, cores, ramMiB, floatingIps, ports, securityGroups, securityGroupRules, volumes, volumeGiB, or leave quotas out",
    ),
  );

const GLANCE_DISK_FORMATS = ["qcow2", "raw", "vmdk", "vdi", "iso", "vhd", "vhdx", "ami"];
const GLANCE_VISIBILITIES = ["public", "private", "shared", "community"];
const imageSchema = z.object({
  name: z.string().regex(RESOURCE_NAME, fix("is not an image name", "use letters, digits, '.', '_' or '-'")),
  sourceUrl: z.string().regex(/^https?:\/\/\S+$/, fix("is not an http(s) URL", "give a URL Glance can download from")),
  diskFormat: z
    .string()
    .refine((f) => GLANCE_DISK_FORMATS.includes(f), fix("is not a Glance disk format", "use qcow2 or raw"))
    .optional(),
  visibility: z
    .string()
    .refine(
      (v) => GLANCE_VISIBILITIES.includes(v),
      fix("is not a Glance visibility", "use public, private, shared or community"),
    )
    .optional(),
});

const flavorSize = (min: number) =>
  z
    .number()
    .int(fix("is not a positive whole number", "use e.g. vcpus 2, ramMiB 4096, diskGiB 20"))
    .min(min, fix("is not a positive whole number", "use e.g. vcpus 2, ramMiB 4096, diskGiB 20"));
const flavorSchema = z.object({
  name: z.string().regex(RESOURCE_NAME, fix("is not a flavor name", "use letters, digits, '.', '_' or '-'")),
  vcpus: flavorSize(1),
  ramMiB: flavorSize(1),
  diskGiB: flavorSize(0),
  isPublic: flag.optional(),
});

/** Nova's device types an alias may name (vDPA cannot be used through an alias). */
export const PCI_DEVICE_TYPES = ["type-PCI", "type-PF", "type-VF"] as const;
const pciId = (what: string) =>
  z
    .string(fix("is required", `give the ${what} ID, 4 hex digits as \`lspci -nn\` shows it in [vvvv:pppp]`))
    .regex(
      /^[0-9a-fA-F]{4}$/,
      fix(`is not a PCI ${what} ID`, `give 4 hex digits as \`lspci -nn\` shows it in [vvvv:pppp], e.g. 10de`),
    );
const pciAliasSchema = z.object({
  name: z
    .string(fix("is required", 'give the alias name flavors ask for, e.g. "gpu"'))
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
      fix("is not a PCI alias name", "use 1-64 letters, digits, '_', '.' or '-' (flavors ask for \"<alias>:<count>\")"),
    ),
  vendorId: pciId("vendor"),
  productId: pciId("product"),
  deviceType: z
    .string()
    .meta({ enum: [...PCI_DEVICE_TYPES] })
    .refine(
      (t) => (PCI_DEVICE_TYPES as readonly string[]).includes(t),
      fix("is not a Nova PCI device type", `use one of ${PCI_DEVICE_TYPES.join(", ")}`),
    )
    .optional(),
});
const pciPassthroughSchema = z.object(
  {
    aliases: z
      .array(pciAliasSchema, fix("is required", "give the aliases ({ name, vendorId, productId })"))
      .min(1, fix("is empty", "give at least one alias, or leave pciPassthrough out")),
  },
  fix("is not a PCI passthrough setting", 'give { aliases: [{ name: "gpu", vendorId: "10de", productId: "1eb8" }] }'),
);

/** Each field of DevstackHostArgs on its own; devstack-plan.ts checks how they fit together. */
export const devstackHostArgsSchema = z.object({
  connection: z.object(
    {
      host: requiredInput("set connection.host to the address or name the SSH client connects to"),
      port: optionalInput<number>(
        (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535,
        "is not a port number",
        "use 1-65535 (default 22)",
      ),
      user: optionalInput<string>(
        (v) => typeof v === "string" && /^[a-z_][-a-z0-9_]*$/.test(v),
        "is not a user name",
        "use e.g. root or debian",
      ),
      privateKey: requiredInput("give the SSH private key (a Pulumi secret)"),
      hostKey: requiredInput("pin the server's host key (contents of /etc/ssh/ssh_host_ed25519_key.pub)"),
    },
    fix("is required", "give host, privateKey and hostKey of the SSH connection"),
  ),
  hostIp: z
    .string(
      fix(
        "is required",
        "set hostIp to the host's address on its main interface (devstack's detection dies with \"Could not determine host ip address\")",
      ),
    )
    .min(
      1,
      fix(
        "is required",
        "set hostIp to the host's address on its main interface (devstack's detection dies with \"Could not determine host ip address\")",
      ),
    )
    .refine(isIpv4, fix("is not an IPv4 address", "use a dotted quad such as 192.168.1.20")),
  branch: z
    .string()
    .refine(
      (b) => SUPPORTED_DISTROS_BY_BRANCH[b] !== undefined,
      fix(
        "is not a supported devstack branch",
        `use one of ${Object.keys(SUPPORTED_DISTROS_BY_BRANCH).join(", ")} (pin a stable branch; master follows every project's master)`,
      ),
    )
    .optional(),
  devstackRepoUrl: z
    .string()
    .regex(
      URL_LIKE,
      fix("is not a git URL", "use e.g. https://opendev.org/openstack/devstack or a mirror's https/git/ssh/file URL"),
    )
    .optional(),
  gitBase: z
    .string()
    .regex(URL_LIKE, fix("is not a URL", "use e.g. https://opendev.org or your mirror's base URL"))
    .optional(),
  floatingRange: canonicalCidr("use a network address with prefix, e.g. 172.24.4.0/24")
    .refine(
      (c) => !isIpv4Cidr(c) || parseCidr(c).prefix <= 29,
      fix("is too small for a router gateway and floating IPs", "use a /29 or larger block"),
    )
    .optional(),
  publicNetworkGateway: ipv4("use a host address inside floatingRange").optional(),
  floatingAllocationStart: ipv4("use an address inside floatingRange").optional(),
  floatingAllocationEnd: ipv4("use an address inside floatingRange").optional(),
  fixedRange: canonicalCidr("use e.g. 10.0.0.0/22").optional(),
  publicInterface: z
    .string()
    .refine(
      (n) => n === "" || INTERFACE_NAME.test(n),
      fix("is not a network interface name", "use the NIC's name as `ip link` shows it, e.g. eth0 or enp4s0"),
    )
    .optional(),
  enabledServices: serviceList.optional(),
  tlsProxy: flag.optional(),
  disabledServices: serviceList.optional(),
  volumeBackingFileSize: z
    .string()
    .regex(
      /^[1-9][0-9]*[MGT]$/,
      fix("is not a size devstack understands", "use a whole number with M, G or T (powers of 1024), e.g. 30G"),
    )
    .optional(),
  cpuAllocationRatio: ratio.optional(),
  ramAllocationRatio: ratio.optional(),
  diskAllocationRatio: ratio.optional(),
  pciPassthrough: pciPassthroughSchema.optional(),
  region: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, fix("is not a region name", "use letters, digits, - or _, e.g. RegionOne"))
    .optional(),
  // Each line's content is checked by the plan (obsolete and managed variables, secrets).
  extraLocalrcLines: z.array(z.string()).optional(),
  minRamMiB: wholeAtLeast(0, "use e.g. 7680").optional(),
  minFreeDiskGiB: wholeAtLeast(0, "use e.g. 40").optional(),
  manageEtcHosts: flag.optional(),
  extraPackages: z
    .array(
      z
        .string()
        .regex(/^[a-z0-9][a-z0-9+.-]+$/, fix("is not a Debian package name", "use the name apt knows, e.g. lvm2")),
    )
    .optional(),
  rebuild: z
    .string()
    .regex(
      /^[A-Za-z0-9._-]{1,64}$/,
      fix(
        "is not a usable rebuild key",
        "use 1-64 letters, digits, '.', '_' or '-' (e.g. \"1\", then \"2\" to rebuild)",
      ),
    )
    .optional(),
  stackTimeoutMinutes: z
    .number(stackTimeout)
    .refine((v) => Number.isInteger(v) && v >= 15 && v <= 600, stackTimeout)
    .optional(),
  extraVolumeDevice: z
    .string()
    .regex(/^\/dev\/[A-Za-z0-9/_.-]+$/, fix("is not a /dev path", "use e.g. /dev/sdb or /dev/disk/by-id/..."))
    .optional(),
  cinderVolumeGroup: z
    .string()
    .regex(/^[A-Za-z0-9+_.-]+$/, fix("is not a volume group name", "use letters, digits, '+', '_', '.' or '-'"))
    .optional(),
  persistentNat: flag.optional(),
  natInterface: z
    .string()
    .regex(INTERFACE_NAME, fix("is not an interface name", "use the uplink's name as `ip link` shows it"))
    .optional(),
  proxyArp: flag.optional(),
  unstackOnDelete: flag.optional(),
  cleanOnDelete: flag.optional(),
  cloudName: z
    .string()
    .regex(RESOURCE_NAME, fix("is not a clouds.yaml entry name", "use letters, digits, '.', '_' or '-'"))
    .optional(),
  quotas: quotasSchema.optional(),
  images: z.array(imageSchema).optional(),
  flavors: z.array(flavorSchema).optional(),
  adoptPasswords: z
    .object(
      Object.fromEntries(
        (["admin", "database", "rabbit", "service"] as const).map((role) => [
          role,
          optionalInput<string>(
            (v) => typeof v === "string" && /^[A-Za-z0-9]{8,256}$/.test(v),
            "is not a DevStack password",
            `give the ${role} password the running DevStack uses (letters and digits, as a Pulumi secret)`,
          ),
        ]),
      ) as Record<"admin" | "database" | "rabbit" | "service", ReturnType<typeof optionalInput<string>>>,
    )
    .optional(),
});

// The schema and the interface describe the same fields: adding a field to one and not the
// other fails type-checking here.
type SchemaInput = z.input<typeof devstackHostArgsSchema>;
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
const schemaCoversArgs: SameKeys<SchemaInput, DevstackHostArgs> &
  SameKeys<SchemaInput["connection"], DevstackConnectionArgs> &
  SameKeys<NonNullable<SchemaInput["images"]>[number], DevstackImageArgs> &
  SameKeys<NonNullable<SchemaInput["flavors"]>[number], DevstackFlavorArgs> &
  SameKeys<NonNullable<SchemaInput["quotas"]>, DevstackQuotas> &
  SameKeys<NonNullable<SchemaInput["pciPassthrough"]>, DevstackPciPassthroughArgs> &
  SameKeys<NonNullable<SchemaInput["adoptPasswords"]>, DevstackAdoptPasswordsArgs> &
  SameKeys<NonNullable<SchemaInput["pciPassthrough"]>["aliases"][number], DevstackPciAliasArgs> = true;
const argsFitSchema = (args: DevstackHostArgs): SchemaInput => args;
void schemaCoversArgs;
void argsFitSchema;
