// Args of ThinClientDesktopPool: the one declaration of its inputs (the interface other
// languages' SDKs are inferred from) and the zod schema the plan checks them with. The schema is
// held to the interface at compile time (SameShape), so the two cannot drift apart.
//
// Fields with a fixed set of values (workspace, jupyterServer, powerState, allocationRatios,
// imageDiskFormat) are typed `string`: Pulumi's schema inference refuses union types, string
// literal unions included (see test/provider). The schema checks them against the allowed values.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ipv4Address, ipv4Cidr, oneOf, pulumiInput, SameShape } from "../config/zod-types";
import { isIpv4Cidr } from "../network/cidr";
import { RATIO_PRESETS } from "./capacity";
import { PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN } from "./desktop-credential";
import { DEBIAN_PACKAGE, GROUP_NAME, OPENSSH_PUBLIC_KEY } from "./desktop-user-data";
import { desktopEmployeeSchema } from "./employees";
import { JUPYTER_SERVERS } from "./jupyter-user-data";
import type { ProjectLimits } from "./quota";
import { portalUrlProblem } from "./session-report";
import { TLS_VALIDITY_DAYS_MAX } from "./xrdp-certificate";

/** What each employee gets: an xrdp desktop over RDP, or a Jupyter server over HTTPS. */
export const DESKTOP_WORKSPACES = ["desktop", "jupyter"] as const;
export type DesktopWorkspace = (typeof DESKTOP_WORKSPACES)[number];
/** Disk formats Glance accepts for an uploaded image. */
export const GLANCE_DISK_FORMATS = ["qcow2", "raw", "vmdk", "vdi", "iso", "vhd", "vhdx", "ami"] as const;

/** One employee of the pool. */
export interface DesktopEmployeeArgs {
  /** Linux user name; also names the employee's resources (renaming replaces the desktop). */
  name: string;
  /** Full name, shown in the connection sheet and the user's GECOS field. */
  fullName?: string;
  /** Flavor name for this desktop; default: the pool's flavor. */
  flavor?: string;
  /**
   * "active" (default), "shutoff" or "shelved_offloaded". Only shelved_offloaded frees capacity;
   * "paused" is refused because a paused server keeps its RAM.
   */
  powerState?: string;
  /** Change this (any text, e.g. "2026-11") to give the employee a new password (the desktop is rebuilt with it). */
  passwordRotation?: string;
}

/** Where the desktops report whether a session is active (the self-service portal's AutoStop). */
export interface DesktopSessionReportArgs {
  /**
   * The portal's base URL as the guests reach it, e.g. "https://portal.office.example/" (a name or
   * an address fixed beforehand: the portal's own server is made from the pool's outputs).
   */
  portalUrl: string;
  /** PEM of the CA that signed the portal's certificate, when the guests' trust store lacks it. */
  caCertificate?: string;
}

/**
 * GPU workstations (e.g. for a notebooks lab's deep-learning class): PCI passthrough devices
 * through Nova's flavor extra spec `pci_passthrough:alias` = "<alias>:<count>". The cloud must
 * name the devices: `[pci] alias` on its API and compute hosts, `[pci] device_spec` on the GPU
 * hosts and the scheduler's PciPassthroughFilter (DevstackHost's `pciPassthrough` writes them).
 */
export interface DesktopGpuArgs {
  /** The cloud's PCI alias name (its `[pci] alias` "name"), e.g. "gpu" or "t4". */
  alias: string;
  /** Devices per workstation; default 1. */
  count?: number;
  /** Employees who get a GPU workstation (each at most once); default every employee. */
  employees?: string[];
  /**
   * Make the GPU flavor: the size of this flavor plus the extra spec, private to the pool's
   * project. Flavors are admin-only: the stack needs admin credentials. Give baseFlavor or flavor.
   */
  baseFlavor?: string;
  /**
   * An existing GPU flavor the cloud's admin made. Before creating anything the pool looks it up
   * and refuses it unless its `pci_passthrough:alias` asks for `<alias>:<count>`.
   */
  flavor?: string;
  /** Nova availability zone of the GPU hosts (e.g. "gpu"); default the pool's availabilityZone. */
  availabilityZone?: string;
}

/** A kind of compute host, for the capacity check (also the `blueprints capacity` command's host). */
export interface DesktopComputeHostArgs {
  /** Label in reports; default "host-<n>". */
  name?: string;
  /** Physical cores/threads Nova reports as VCPU inventory. */
  vcpus: number;
  /** RAM in MiB. */
  ramMiB: number;
  /** RAM kept for the host (Nova reserved_host_memory_mb); default 512. */
  reservedRamMiB?: number;
  /** vCPUs kept for the host (Nova reserved_host_cpus); default 0. */
  reservedVcpus?: number;
  /** Local disk for instances in GiB (Nova's instances_path); omitted: disk is not checked. */
  diskGiB?: number;
  /** Disk kept for the host (Nova reserved_host_disk_mb, here in GiB); default 0. */
  reservedDiskGiB?: number;
  /** Identical hosts of this kind; default 1. */
  count?: number;
  /**
   * PCI devices (GPUs) of this host Nova may pass through, per alias (Nova's `[pci] device_spec`
   * matched by its `[pci] alias`): each GPU workstation claims its flavor's devices on one host.
   * Omitted: none (a GPU flavor then fits nowhere). Devices are never overcommitted.
   */
  gpus?: DesktopPciDevicesArgs[];
}

/** A number of PCI devices of one Nova alias, e.g. { alias: "gpu", count: 2 }. */
export interface DesktopPciDevicesArgs {
  /** The cloud's PCI alias name (its `[pci] alias` "name"). */
  alias: string;
  count: number;
}

/** Size of a flavor the pool uses, for the capacity check. */
export interface DesktopFlavorSizeArgs {
  name: string;
  vcpus: number;
  ramMiB: number;
  /** Root disk in GiB (0 or omitted when the desktops boot from volumes: the disk is then a Cinder volume). */
  diskGiB?: number;
  /**
   * PCI devices each server of this flavor claims (its `pci_passthrough:alias` extra spec). The
   * pool adds the GPU flavor of `gpu` itself; give this for a flavor of your own.
   */
  gpus?: DesktopPciDevicesArgs[];
}

/**
 * Each employee's /home on a Cinder volume of their own, which outlives their desktop's server.
 * See docs/desktop.md ("What survives a rebuild").
 */
export interface DesktopHomeVolumesArgs {
  /**
   * Size of each home volume in GiB. Growing it extends the volumes in place (the guest grows the
   * file system at its next boot). Never lower it: Cinder cannot shrink a volume, so the provider
   * would replace each home with a blank one (the old volumes are retained in Cinder, not deleted).
   */
  sizeGiB: number;
  /** Cinder volume type; default: Cinder's default type. Applies to volumes made afterwards. */
  volumeType?: string;
  /**
   * Cinder availability zone of the volumes; default: Cinder's default zone. Applies to volumes
   * made afterwards. Nova attaches across zones unless the cloud sets [cinder] cross_az_attach = false.
   */
  availabilityZone?: string;
}

export interface ThinClientDesktopPoolArgs {
  /** The employees; each gets a desktop. Adding or removing one touches only their resources. */
  employees: DesktopEmployeeArgs[];
  /** Default flavor name of the desktops. */
  flavor: string;
  /**
   * Nova availability zone of the desktops (e.g. the zone of the compute hosts meant for them);
   * default: Nova's default zone. Changing it moves (rebuilds) every desktop.
   */
  availabilityZone?: string;

  /** Existing image by name (give exactly one of imageName, imageId, imageUrl). */
  imageName?: string;
  /** Existing image by ID. */
  imageId?: pulumi.Input<string>;
  /** Upload an image from this URL (Glance web download), e.g. a Debian/Ubuntu cloud image. */
  imageUrl?: string;
  /** Disk format of imageUrl; default "qcow2". One of GLANCE_DISK_FORMATS. */
  imageDiskFormat?: string;
  /** Boot from a Cinder volume of this size (GiB) made from the image, as the 2017 office study did. */
  bootVolumeSizeGiB?: number;
  /**
   * Each employee's /home on a persistent Cinder volume (`<pool>-<employee>-home`), attached at
   * boot and kept when the desktop is rebuilt (password rotation, new image, changed packages).
   * The volumes are retained when an employee is removed or the pool destroyed (delete them in
   * Cinder when no longer needed). Omitted: /home is on the root disk and a rebuild loses it.
   */
  homeVolumes?: DesktopHomeVolumesArgs;

  /** Existing network to attach the desktops to (or give networkCidr to create one). */
  networkId?: pulumi.Input<string>;
  /** Subnet of networkId to take addresses from (optional). */
  subnetId?: pulumi.Input<string>;
  /** Create a PrivateNetwork with this CIDR (router, external gateway, DNS). */
  networkCidr?: string;
  /** External network for the created network's router; default "public". */
  externalNetworkName?: string;
  /** DNS servers of the created subnet. */
  dnsNameservers?: string[];
  /**
   * Neutron availability zones of the created network and its router (`availability_zone_hints`:
   * where their DHCP and L3 agents run), e.g. ["az1"]; with networkCidr only. Neutron's zones are
   * not Nova's, so they are set apart from availabilityZone. Default none: any agent.
   */
  networkAvailabilityZoneHints?: string[];
  /**
   * Give each desktop a floating IP from this external network (omit on a routed LAN). On an
   * existing network (networkId), put what routes it (its router interface, or the component
   * that made it) in the pool's dependsOn: the floating IPs wait for it.
   */
  floatingIpPool?: string;

  /** The thin clients' address block: the only source allowed to reach RDP (3389) and ICMP. */
  thinClientCidr: string;
  /** Allow thinClientCidr 0.0.0.0/0 (RDP from the whole internet): an explicit opt-in. */
  allowRdpFromAnywhere?: boolean;
  /** Admin block for SSH; SSH is opened only when adminCidr and adminPublicKey are both given. */
  adminCidr?: string;
  /** OpenSSH public key of the admin user (key-only SSH; passwords are off). */
  adminPublicKey?: string;
  /** Admin user name in the guests; default "deskadmin". */
  adminUser?: string;

  /**
   * What each employee gets: "desktop" (default: xrdp + xfce over RDP) or "jupyter" (a Jupyter
   * server over HTTPS, password login, port jupyterPort open to thinClientCidr only: a data
   * science class's notebooks). One of DESKTOP_WORKSPACES.
   */
  workspace?: string;
  /** With workspace "jupyter": "notebook" (distribution package, default) or "lab" (JupyterLab from PyPI; the guests need PyPI access). */
  jupyterServer?: string;
  /** With workspace "jupyter": TCP port of the server; default 8888. */
  jupyterPort?: number;

  /** Extra packages on every desktop (e.g. libreoffice, gimp; python3-pandas for Jupyter). */
  extraPackages?: string[];
  /** The image already contains the desktop packages (baked): the user data installs nothing. */
  imageHasDesktopPackages?: boolean;
  /**
   * The image was baked by XrdpDesktopImage (same rdpGroup): the user data carries only the
   * per-employee part (user, password hash, host name, admin key) and no package installation.
   */
  bakedDesktopImage?: boolean;
  /** Install recommended packages (default true). */
  installRecommends?: boolean;
  /**
   * End sessions left disconnected this many seconds (sesman KillDisconnected +
   * DisconnectedTimeLimit); 0 never. Default: xrdp's (never). Desktop workspace, not baked.
   */
  disconnectedTimeLimitSeconds?: number;
  /** Disconnect sessions idle this many seconds (sesman IdleTimeLimit); default: xrdp's (never). */
  idleTimeLimitSeconds?: number;
  /** Clipboard between thin client and desktop (xrdp.ini cliprdr); default: xrdp's (on). */
  clipboard?: boolean;
  /** Thin clients' drives in the session (xrdp.ini rdpdr); default: xrdp's (on). */
  driveRedirection?: boolean;
  /** Group of RDP users (sesman TerminalServerUsers); default "tsusers". */
  rdpGroup?: string;
  /** Prefix of the guests' host names; default the pool's name. */
  hostnamePrefix?: string;
  /** Length of the generated passwords (letters and digits); default 20. */
  passwordLength?: number;
  /**
   * Desktops: days each desktop's own xrdp TLS certificate is valid (1–9000); default 3650 (ten
   * years). Thin clients pin its fingerprint (on the connection sheet), so expiry matters only to
   * clients that check dates; nothing renews it: see tlsCertificateRotation.
   */
  tlsCertificateValidityDays?: number;
  /**
   * Desktops: free text; a change makes every desktop a new TLS key and certificate (e.g.
   * "2036-01"): new fingerprints on the sheet, and every desktop rebuilt with its new user data.
   * Changing tlsCertificateValidityDays does the same.
   */
  tlsCertificateRotation?: string;

  /**
   * GPU workstations: the employees listed (default all) get a flavor with PCI passthrough
   * devices (see DesktopGpuArgs). Nova places each on a host with free devices, or refuses it
   * (NoValidHost) when none has enough.
   */
  gpu?: DesktopGpuArgs;

  /** Compute hosts the desktops must fit on; when given, the pool fails before creating anything if they do not. */
  computeHosts?: DesktopComputeHostArgs[];
  /** Sizes of the flavors used (needed with computeHosts; with projectLimits, for cores and RAM). */
  flavorSizes?: DesktopFlavorSizeArgs[];
  /** "nova" (4.0 CPU / 1.0 RAM, Nova's defaults since 2023.1; the default) or "seed-2017" (16 / 1.5, before 2023.1). */
  allocationRatios?: string;
  cpuAllocationRatio?: number;
  ramAllocationRatio?: number;
  /** Nova disk_allocation_ratio; default 1.0. */
  diskAllocationRatio?: number;

  /**
   * The project's quota (-1 unlimited, omitted: not checked), e.g. what the stack's DevstackHost
   * set, or `openstack quota show`. The pool refuses, before creating anything, what does not fit,
   * naming each shortfall. Nova's quota counts every server (shutoff and shelved too); cores and
   * RAM are checked when flavorSizes gives every flavor.
   */
  projectLimits?: ProjectLimits;
  /** What the project already uses (from a limits lookup), added to the pool's demand. */
  projectUsage?: ProjectLimits;
  /**
   * "live": before declaring any child, ask the cloud for the project's real compute limits and
   * use (Nova's GET /limits through the provider: maxTotalInstances, maxTotalCores,
   * maxTotalRAMSize and what is used) and the flavors' sizes, and refuse a pool that does not fit,
   * naming instances, cores or RAM. Runs in preview too (a read-only lookup). "given" (the
   * default): only projectLimits/projectUsage, as given, are checked.
   */
  checkQuota?: string;
  /**
   * AutoStop: each guest reports every minute to the self-service portal whether an RDP (or
   * Jupyter) session is active, with a token of its own (a Pulumi secret: the `reportTokens`
   * output; the portal keeps only its hash). Omitted: no reporter.
   */
  sessionReports?: DesktopSessionReportArgs;
}

/** A PCI alias name as it can stand in Nova's `pci_passthrough:alias` extra spec ("<alias>:<count>"). */
export const PCI_ALIAS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** How the pool checks the project's quota: against given limits, or the cloud's own. */
export const QUOTA_CHECKS = ["given", "live"] as const;

const bool = z.boolean({ message: "is not true or false" });
const wholeAtLeast = (min: number, what: string) =>
  z
    .number({ message: "is not a number" })
    .int({ message: `must be a whole number of ${what}, ${min} or more` })
    .min(min, { message: `must be a whole number of ${what}, ${min} or more` });
const positive = z.number({ message: "is not a number" }).positive({ message: "must be above 0" });
const name = (what: string) =>
  z.string({ message: `is required: ${what}` }).min(1, { message: `is empty; give ${what}` });

const pciDevicesSchema = z.array(
  z.object(
    {
      alias: z
        .string({ message: 'is required: the cloud\'s PCI alias name, e.g. "gpu"' })
        .regex(PCI_ALIAS_NAME, { message: 'is not a PCI alias name: 1-64 letters, digits, "_", "." or "-"' }),
      count: wholeAtLeast(1, "devices"),
    },
    { message: 'is not a PCI device count; give e.g. { alias: "gpu", count: 2 }' },
  ),
);

const computeHostSchema = z.object({
  name: z.string().optional(),
  vcpus: wholeAtLeast(1, "vCPUs"),
  ramMiB: wholeAtLeast(1, "MiB"),
  reservedRamMiB: wholeAtLeast(0, "MiB").optional(),
  reservedVcpus: wholeAtLeast(0, "vCPUs").optional(),
  diskGiB: z.number({ message: "is not a number" }).min(0, { message: "must be 0 GiB or more" }).optional(),
  reservedDiskGiB: z.number({ message: "is not a number" }).min(0, { message: "must be 0 GiB or more" }).optional(),
  count: wholeAtLeast(1, "hosts").optional(),
  gpus: pciDevicesSchema.optional(),
});

const flavorSizeSchema = z.object({
  name: name("the flavor's name"),
  vcpus: wholeAtLeast(1, "vCPUs"),
  ramMiB: wholeAtLeast(1, "MiB"),
  diskGiB: z
    .number({ message: "is not a number" })
    .min(0, { message: "must be 0 or more (0: boots from a volume)" })
    .optional(),
  gpus: pciDevicesSchema.optional(),
});

const gpuSchema = z.object(
  {
    alias: z
      .string({ message: 'is required: the cloud\'s PCI alias name (its [pci] alias "name"), e.g. "gpu"' })
      .regex(PCI_ALIAS_NAME, {
        message:
          'is not a PCI alias name: 1-64 letters, digits, "_", "." or "-", starting with a letter or digit (the extra spec is "<alias>:<count>"); give the name from the cloud\'s [pci] alias',
      }),
    count: wholeAtLeast(1, "devices per workstation").optional(),
    employees: z.array(z.string({ message: "is not an employee name" })).optional(),
    baseFlavor: name("the flavor whose size the GPU flavor takes (e.g. m1.large)").optional(),
    flavor: name("an existing GPU flavor's name").optional(),
    availabilityZone: name("the GPU hosts' Nova availability zone (e.g. gpu)").optional(),
  },
  { message: 'is not a GPU setting; give e.g. { alias: "gpu", count: 1, baseFlavor: "m1.large" }' },
);

const limit = z
  .number({ message: "is not a number" })
  .int({ message: "is not a whole number" })
  .min(-1, { message: "must be -1 (unlimited) or more" });
const projectLimitsSchema = z.object({
  instances: limit.optional(),
  cores: limit.optional(),
  ramMiB: limit.optional(),
  floatingIps: limit.optional(),
  ports: limit.optional(),
  securityGroups: limit.optional(),
  securityGroupRules: limit.optional(),
  volumes: limit.optional(),
  volumeGiB: limit.optional(),
});

const homeVolumesSchema = z.object(
  {
    sizeGiB: wholeAtLeast(1, "GiB"),
    volumeType: name('a Cinder volume type (openstack volume type list), e.g. "lvmdriver-1"').optional(),
    availabilityZone: name("a Cinder availability zone (openstack availability zone list --volume)").optional(),
  },
  { message: "is not a home volume setting; give { sizeGiB, volumeType?, availabilityZone? }" },
);

/** The pool's args, field by field (relations between fields are the plan's). */
export const thinClientDesktopPoolArgsSchema = z.object({
  employees: z.array(desktopEmployeeSchema, {
    message: "is required: a list of employees ({ name, flavor?, powerState? })",
  }),
  flavor: name("the desktops' default flavor name (e.g. m1.desktop)"),
  availabilityZone: name("a Nova availability zone (openstack availability zone list --compute)").optional(),
  imageName: name("an image name").optional(),
  imageId: pulumiInput(name("an image ID")).optional(),
  imageUrl: z
    .string()
    .regex(/^https?:\/\/\S+$/, { message: "must be an http(s) URL Glance can download" })
    .optional(),
  imageDiskFormat: oneOf(GLANCE_DISK_FORMATS).optional(),
  bootVolumeSizeGiB: wholeAtLeast(1, "GiB").optional(),
  homeVolumes: homeVolumesSchema.strict().optional(),
  networkId: pulumiInput(name("a network ID")).optional(),
  subnetId: pulumiInput(name("a subnet ID")).optional(),
  networkCidr: ipv4Cidr.optional(),
  externalNetworkName: name("an external network name (e.g. public)").optional(),
  dnsNameservers: z.array(ipv4Address).optional(),
  networkAvailabilityZoneHints: z
    .array(name('a Neutron availability zone (e.g. "nova")'), {
      message: 'is not a list of Neutron availability zones; give e.g. ["nova"]',
    })
    .optional(),
  floatingIpPool: name("an external network name (e.g. public)").optional(),
  thinClientCidr: z
    .string({
      message: "is required: the thin clients' IPv4 block, e.g. 192.168.10.0/24 (RDP is allowed only from there)",
    })
    .refine(isIpv4Cidr, {
      message: "must be the thin clients' IPv4 block, e.g. 192.168.10.0/24 (RDP is allowed only from there)",
    }),
  allowRdpFromAnywhere: bool.optional(),
  adminCidr: z.string().refine(isIpv4Cidr, { message: "is not an IPv4 CIDR (e.g. 192.168.99.0/28)" }).optional(),
  adminPublicKey: z
    .string()
    .refine((k) => OPENSSH_PUBLIC_KEY.test(k.trim()), {
      message: 'is not an OpenSSH public key line (e.g. "ssh-ed25519 AAAA… admin@host")',
    })
    .optional(),
  adminUser: name("the admin's user name").optional(),
  workspace: oneOf(DESKTOP_WORKSPACES).optional(),
  jupyterServer: oneOf(JUPYTER_SERVERS).optional(),
  jupyterPort: z
    .number({ message: "is not a number" })
    .int({ message: "must be a whole number from 1024 to 65535 (the server runs as the employee, not root)" })
    .min(1024, { message: "must be a whole number from 1024 to 65535 (the server runs as the employee, not root)" })
    .max(65535, { message: "must be a whole number from 1024 to 65535 (the server runs as the employee, not root)" })
    .optional(),
  extraPackages: z.array(z.string().regex(DEBIAN_PACKAGE, { message: "is not a Debian package name" })).optional(),
  imageHasDesktopPackages: bool.optional(),
  bakedDesktopImage: bool.optional(),
  installRecommends: bool.optional(),
  disconnectedTimeLimitSeconds: wholeAtLeast(0, "seconds").optional(),
  idleTimeLimitSeconds: wholeAtLeast(0, "seconds").optional(),
  clipboard: bool.optional(),
  driveRedirection: bool.optional(),
  rdpGroup: z
    .string()
    .max(32, { message: "is longer than 32 characters" })
    .regex(GROUP_NAME, {
      message: "is not a valid group name: use lower-case letters, digits, '-' and '_', starting with a letter",
    })
    .optional(),
  hostnamePrefix: name("a host name prefix").optional(),
  passwordLength: z
    .number({ message: "is not a number" })
    .int({ message: `must be a whole number from ${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX}` })
    .min(PASSWORD_LENGTH_MIN, {
      message: `must be a whole number from ${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX}`,
    })
    .max(PASSWORD_LENGTH_MAX, {
      message: `must be a whole number from ${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX}`,
    })
    .optional(),
  tlsCertificateValidityDays: z
    .number({ message: "is not a number" })
    .int({ message: `must be a whole number from 1 to ${TLS_VALIDITY_DAYS_MAX}` })
    .min(1, { message: `must be a whole number from 1 to ${TLS_VALIDITY_DAYS_MAX}` })
    .max(TLS_VALIDITY_DAYS_MAX, { message: `must be a whole number from 1 to ${TLS_VALIDITY_DAYS_MAX}` })
    .optional(),
  tlsCertificateRotation: z.string({ message: "is not a string" }).optional(),
  gpu: gpuSchema.optional(),
  computeHosts: z
    .array(computeHostSchema)
    .min(1, { message: "is empty; give at least one compute host (vcpus, ramMiB), or leave computeHosts out" })
    .optional(),
  flavorSizes: z.array(flavorSizeSchema).optional(),
  allocationRatios: z
    .string()
    .refine((v) => Object.prototype.hasOwnProperty.call(RATIO_PRESETS, v), {
      message: `is not one of ${Object.keys(RATIO_PRESETS)
        .map((k) => JSON.stringify(k))
        .join(", ")}`,
    })
    .optional(),
  cpuAllocationRatio: positive.optional(),
  ramAllocationRatio: positive.optional(),
  diskAllocationRatio: positive.optional(),
  projectLimits: projectLimitsSchema.optional(),
  projectUsage: projectLimitsSchema.optional(),
  checkQuota: oneOf(QUOTA_CHECKS).optional(),
  sessionReports: z
    .object({
      portalUrl: z
        .string({ message: "is required: the portal's URL as the guests reach it" })
        .superRefine((url, ctx) => {
          const problem = portalUrlProblem(url);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        }),
      caCertificate: z
        .string()
        .regex(/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/, {
          message: "is not a PEM certificate (-----BEGIN CERTIFICATE----- …)",
        })
        .optional(),
    })
    .optional(),
});

// The schema and the interface describe the same fields: adding one to either alone fails tsc.
const _poolSchemaMatchesArgs: SameShape<
  z.input<typeof thinClientDesktopPoolArgsSchema>,
  ThinClientDesktopPoolArgs
> = true;
const _gpuSchemaMatchesArgs: SameShape<z.input<typeof gpuSchema>, DesktopGpuArgs> = true;
const _hostSchemaMatchesArgs: SameShape<z.input<typeof computeHostSchema>, DesktopComputeHostArgs> = true;
const _flavorSchemaMatchesArgs: SameShape<z.input<typeof flavorSizeSchema>, DesktopFlavorSizeArgs> = true;
const _limitsSchemaMatches: SameShape<z.input<typeof projectLimitsSchema>, ProjectLimits> = true;
const _homeSchemaMatches: SameShape<z.input<typeof homeVolumesSchema>, DesktopHomeVolumesArgs> = true;
const _reportsSchemaMatches: SameShape<
  NonNullable<z.input<typeof thinClientDesktopPoolArgsSchema>["sessionReports"]>,
  DesktopSessionReportArgs
> = true;
void [
  _homeSchemaMatches,
  _gpuSchemaMatchesArgs,
  _reportsSchemaMatches,
  _poolSchemaMatchesArgs,
  _hostSchemaMatchesArgs,
  _flavorSchemaMatchesArgs,
  _limitsSchemaMatches,
];
