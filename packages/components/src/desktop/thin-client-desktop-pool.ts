import * as pulumi from "@pulumi/pulumi";
import * as openstack from "@pulumi/openstack";
import { PrivateNetwork } from "../network/private-network";
import { planPrivateNetwork } from "../network/private-network-plan";
import { SecurityProfile, SecurityRuleArgs } from "../network/security-profile";
import { normalizeRules } from "../network/security-rules";
import { isIpv4Cidr } from "../network/cidr";
import { describeShortfall, planCapacity, RATIO_PRESETS, RESOURCE_LABEL } from "./capacity";
import { poolQuotaDemand, ProjectLimits, quotaShortfalls } from "./quota";
import { DEFAULT_RDP_GROUP, EmployeeDesktopOptions, renderBakedDesktopUserData, renderDesktopUserData } from "./desktop-user-data";
import { assertDistinctHostnames, desktopHostname, Employee, occupiesCapacity, validateEmployees } from "./employees";
import { checkPasswordLength, DesktopCredential } from "./desktop-credential";
import { declareWithoutPromiseStackTraces } from "../pulumi/lean-registration";
import { DesktopConnection, jupyterUrl, renderConnectionSheet, renderJupyterConnectionSheet, renderRdpFile, renderRemminaProfile } from "./thin-client-artifacts";
import { checkJupyterPort, checkJupyterServer, JUPYTER_PORT, renderJupyterUserData } from "./jupyter-user-data";

/** One employee of the pool. */
export interface DesktopEmployeeArgs {
  /** Linux user name; also names the employee's resources (renaming replaces the desktop). */
  name: string;
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

/** A kind of compute host, for the capacity check. */
export interface DesktopComputeHostArgs {
  name?: string;
  vcpus: number;
  ramMiB: number;
  /** Nova reserved_host_memory_mb; default 512. */
  reservedRamMiB?: number;
  reservedVcpus?: number;
  /** Local instance disk in GiB; when given with flavorSizes' diskGiB, disk is checked too. */
  diskGiB?: number;
  /** Nova reserved_host_disk_mb, in GiB; default 0. */
  reservedDiskGiB?: number;
  count?: number;
}

/** Size of a flavor the pool uses, for the capacity check. */
export interface DesktopFlavorSizeArgs {
  name: string;
  vcpus: number;
  ramMiB: number;
  /** Root disk in GiB (ignored with bootVolumeSizeGiB: the disk is then a Cinder volume). */
  diskGiB?: number;
}

export interface ThinClientDesktopPoolArgs {
  /** The employees; each gets a desktop. Adding or removing one touches only their resources. */
  employees: DesktopEmployeeArgs[];
  /** Default flavor name of the desktops. */
  flavor: string;

  /** Existing image by name (give exactly one of imageName, imageId, imageUrl). */
  imageName?: string;
  /** Existing image by ID. */
  imageId?: pulumi.Input<string>;
  /** Upload an image from this URL (Glance web download), e.g. a Debian/Ubuntu cloud image. */
  imageUrl?: string;
  /** Disk format of imageUrl; default "qcow2". */
  imageDiskFormat?: string;
  /** Boot from a Cinder volume of this size (GiB) made from the image, as the seed did. */
  bootVolumeSizeGiB?: number;

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
   * server over HTTPS, password login, port jupyterPort open to thinClientCidr only; seed 004).
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
}

/** What the admin and the thin clients need for one desktop. */
export interface DesktopInfo {
  employee: string;
  hostname: string;
  serverId: string;
  fixedIp: string;
  floatingIp: string;
  /** The address thin clients dial: the floating IP when there is one, else the fixed IP. */
  address: string;
  powerState: string;
  flavor: string;
}

const DEFAULT_ADMIN_USER = "deskadmin";

/**
 * A desktop per employee on OpenStack, reached over RDP (xrdp + xfce) from thin clients: per
 * employee a generated password (a Pulumi secret, delivered to the guest only as a SHA-512 crypt
 * hash made once by the DesktopCredential provider), a port in the pool's security group, a
 * server with its power state, optionally a floating IP on that port; per pool a security group (RDP and ICMP only from the thin clients, SSH only from
 * an admin block with a key), optionally a network and an uploaded image. See docs/desktop.md.
 */
export class ThinClientDesktopPool extends pulumi.ComponentResource {
  /** Per employee: server, addresses, state. */
  public readonly desktops: pulumi.Output<Record<string, DesktopInfo>>;
  /** Per employee: the generated password (secret). */
  public readonly passwords: pulumi.Output<Record<string, string>>;
  /** Per employee: a .rdp file (no password). */
  public readonly rdpFiles: pulumi.Output<Record<string, string>>;
  /** Per employee: a Remmina profile (no password). */
  public readonly remminaProfiles: pulumi.Output<Record<string, string>>;
  /** Per employee, for workspace "jupyter": the server's address (https://…:port/); empty for desktops. */
  public readonly jupyterUrls: pulumi.Output<Record<string, string>>;
  /** The admin's connection sheet (Markdown, no passwords). */
  public readonly connectionSheet: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly networkId: pulumi.Output<string>;
  /** The capacity check's summary, or "" when no compute hosts were declared. */
  public readonly capacitySummary: pulumi.Output<string>;

  constructor(name: string, args: ThinClientDesktopPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openstack-blueprints:index:ThinClientDesktopPool", name, {}, opts);
    const where = `ThinClientDesktopPool ${name}`;

    // ---- validation: everything is checked before the first resource is declared ----
    const adminUser = args.adminUser ?? DEFAULT_ADMIN_USER;
    const employees = validateEmployees(args.employees, { defaultFlavor: args.flavor, takenNames: [adminUser], field: `${where}: employees` });
    const prefix = args.hostnamePrefix ?? name;
    try {
      assertDistinctHostnames(prefix, employees);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}${args.hostnamePrefix ? "" : " (set hostnamePrefix if the pool's name is not a valid host name)"}`);
    }
    const imageChoices = [args.imageName, args.imageId, args.imageUrl].filter((x) => x !== undefined).length;
    if (imageChoices !== 1) {
      throw new Error(`${where}: give exactly one of imageName, imageId or imageUrl (got ${imageChoices})`);
    }
    if (args.imageDiskFormat !== undefined && !["qcow2", "raw", "vmdk", "vdi", "iso", "vhd", "vhdx", "ami"].includes(args.imageDiskFormat)) {
      throw new Error(`${where}: imageDiskFormat "${args.imageDiskFormat}" is not a Glance disk format (qcow2, raw, vmdk, …)`);
    }
    if (args.imageUrl !== undefined && !/^https?:\/\/\S+$/.test(args.imageUrl)) {
      throw new Error(`${where}: imageUrl "${args.imageUrl}" must be an http(s) URL Glance can download`);
    }
    if (args.bootVolumeSizeGiB !== undefined && (!Number.isInteger(args.bootVolumeSizeGiB) || args.bootVolumeSizeGiB < 1)) {
      throw new Error(`${where}: bootVolumeSizeGiB ${args.bootVolumeSizeGiB} must be a whole number of GiB, 1 or more`);
    }
    if ((args.networkId === undefined) === (args.networkCidr === undefined)) {
      throw new Error(`${where}: give either networkId (an existing network) or networkCidr (a new PrivateNetwork), not ${args.networkId === undefined ? "neither" : "both"}`);
    }
    if (args.subnetId !== undefined && args.networkId === undefined) throw new Error(`${where}: subnetId goes with networkId`);
    const networkArgs = args.networkCidr === undefined ? undefined : {
      cidr: args.networkCidr,
      externalNetworkName: args.externalNetworkName ?? "public",
      // The desktops install their packages at first boot: they need the internet and DNS.
      internetAccess: true,
      dnsNameservers: args.dnsNameservers,
    };
    if (networkArgs) {
      if (!args.dnsNameservers || args.dnsNameservers.length === 0) {
        throw new Error(`${where}: dnsNameservers is needed with networkCidr: the desktops install packages at first boot and must resolve names (e.g. your site's resolvers, or 9.9.9.9)`);
      }
      planPrivateNetwork(`${where}: network`, { ...networkArgs, hasExternalNetwork: true, hasExistingRouter: false });
    }
    if (!args.thinClientCidr || !isIpv4Cidr(args.thinClientCidr)) {
      throw new Error(`${where}: thinClientCidr "${args.thinClientCidr ?? ""}" must be the thin clients' IPv4 block, e.g. 192.168.10.0/24 (RDP is allowed only from there)`);
    }
    if ((args.adminCidr === undefined) !== (args.adminPublicKey === undefined)) {
      throw new Error(`${where}: SSH needs both adminCidr and adminPublicKey (key-only SSH from the admin block); give both or neither`);
    }
    if (args.adminCidr !== undefined && !isIpv4Cidr(args.adminCidr)) {
      throw new Error(`${where}: adminCidr "${args.adminCidr}" is not an IPv4 CIDR`);
    }
    // The helpers' errors name the field; prefix them with the pool.
    const check = <T>(validate: () => T): T => {
      try {
        return validate();
      } catch (e) {
        throw new Error(`${where}: ${(e as Error).message}`);
      }
    };
    const passwordLength = check(() => checkPasswordLength(args.passwordLength ?? 20));
    const workspace = args.workspace ?? "desktop";
    if (!["desktop", "jupyter"].includes(workspace)) throw new Error(`${where}: workspace "${workspace}" is not "desktop" or "jupyter"`);
    const jupyter = workspace === "jupyter";
    if (!jupyter && (args.jupyterServer !== undefined || args.jupyterPort !== undefined)) {
      throw new Error(`${where}: jupyterServer and jupyterPort go with workspace "jupyter" (workspace is "${workspace}")`);
    }
    const jupyterServer = check(() => checkJupyterServer(args.jupyterServer ?? "notebook"));
    const jupyterPort = check(() => checkJupyterPort(args.jupyterPort ?? JUPYTER_PORT));
    if (jupyter && (args.bakedDesktopImage || args.rdpGroup !== undefined)) {
      throw new Error(`${where}: ${args.bakedDesktopImage ? "bakedDesktopImage" : "rdpGroup"} belongs to workspace "desktop" (xrdp); a Jupyter workspace has no RDP`);
    }
    const rdpGroup = args.rdpGroup ?? DEFAULT_RDP_GROUP;
    const sessionFields = (["disconnectedTimeLimitSeconds", "idleTimeLimitSeconds", "clipboard", "driveRedirection"] as const).filter((f) => args[f] !== undefined);
    if (sessionFields.length > 0 && jupyter) throw new Error(`${where}: ${sessionFields.join(", ")} belong to workspace "desktop" (xrdp); a Jupyter workspace has no RDP sessions`);
    if (sessionFields.length > 0 && args.bakedDesktopImage) {
      throw new Error(`${where}: ${sessionFields.join(", ")} are xrdp settings written by the desktop setup script, which a baked image ran at bake time; set them on the image's user data or use an unbaked image`);
    }
    if (args.bakedDesktopImage) {
      if (args.imageUrl !== undefined) throw new Error(`${where}: bakedDesktopImage needs imageId or imageName of an XrdpDesktopImage, not imageUrl (an uploaded image is not baked)`);
      if ((args.extraPackages ?? []).length > 0 || args.installRecommends !== undefined) {
        throw new Error(`${where}: with bakedDesktopImage, extraPackages and installRecommends belong to the XrdpDesktopImage (they are baked in); remove them from the pool`);
      }
    }
    const stackOptions = {
      rdpGroup,
      disconnectedTimeLimitSeconds: args.disconnectedTimeLimitSeconds,
      idleTimeLimitSeconds: args.idleTimeLimitSeconds,
      clipboard: args.clipboard,
      driveRedirection: args.driveRedirection,
      extraPackages: args.extraPackages,
      installRecommends: args.installRecommends,
      installPackages: args.imageHasDesktopPackages !== true,
    };
    const jupyterOptions = {
      server: jupyterServer,
      extraPackages: args.extraPackages,
      installRecommends: args.installRecommends,
      installPackages: args.imageHasDesktopPackages !== true,
      port: jupyterPort,
    };
    // hashedPassword is a SHA-512 crypt hash for desktops, Jupyter's sha512:salt:hex for notebooks.
    const renderUserData = jupyter
      ? (employee: EmployeeDesktopOptions) => renderJupyterUserData(jupyterOptions, { ...employee, passwordHash: employee.hashedPassword })
      : args.bakedDesktopImage
        ? (employee: EmployeeDesktopOptions) => renderBakedDesktopUserData(employee)
        : (employee: EmployeeDesktopOptions) => renderDesktopUserData(stackOptions, employee);
    const employeeOptions = (employee: Employee, hostname: string, hashedPassword: string): EmployeeDesktopOptions => ({
      user: employee.name,
      fullName: employee.fullName,
      hashedPassword,
      hostname,
      rdpGroup,
      adminUser: args.adminPublicKey !== undefined ? adminUser : undefined,
      adminPublicKey: args.adminPublicKey,
    });
    // The user data is rendered per employee once the hashes exist; render the first one now with
    // a placeholder hash so bad packages, ports or keys fail here, before any resource.
    if (employees.length > 0) {
      const placeholder = jupyter ? `sha512:placeholder:${"0".repeat(128)}` : `$6$placeholder$${".".repeat(86)}`;
      check(() => renderUserData(employeeOptions(employees[0], desktopHostname(prefix, employees[0].name), placeholder)));
    }
    const capacitySummary = checkCapacity(where, args, employees);
    const rules: SecurityRuleArgs[] = [
      jupyter
        ? { name: "jupyter", protocol: "tcp", port: jupyterPort, remoteCidr: args.thinClientCidr, allowFromAnywhere: args.allowRdpFromAnywhere, description: "Jupyter (HTTPS) from the thin clients" }
        : { name: "rdp", protocol: "tcp", port: 3389, remoteCidr: args.thinClientCidr, allowFromAnywhere: args.allowRdpFromAnywhere, description: "RDP from the thin clients" },
      { name: "icmp", protocol: "icmp", remoteCidr: args.thinClientCidr, description: "ping from the thin clients" },
    ];
    if (args.adminCidr !== undefined) {
      rules.push({ name: "ssh", protocol: "tcp", port: 22, remoteCidr: args.adminCidr, description: "SSH (key only) from the admin block" });
    }
    // SecurityProfile checks these too, but only once earlier children exist; check before any.
    normalizeRules(`${where}: security`, rules);
    if (args.projectLimits !== undefined) {
      const demand = poolQuotaDemand({ flavors: employees.map((e) => e.flavor), flavorSizes: args.flavorSizes, floatingIps: args.floatingIpPool !== undefined, securityRules: rules.length });
      const short = quotaShortfalls(args.projectLimits, demand, args.projectUsage);
      if (short.length > 0) {
        throw new Error(`${where}: the project's quota does not hold the pool (nothing was created): ${short.join("; ")}. ` +
          "Fix: raise the quota (openstack quota set --instances/--cores/--ram/--floating-ips/--ports …, or the devstack block's quotas), or declare fewer desktops.");
      }
    }

    // ---- pool-level resources ----
    let network: PrivateNetwork | undefined;
    let networkId: pulumi.Input<string>;
    let subnetId: pulumi.Input<string> | undefined = args.subnetId;
    if (args.networkCidr !== undefined) {
      network = new PrivateNetwork(`${name}-network`, networkArgs!, { parent: this });
      networkId = network.networkId;
      subnetId = network.subnetId;
    } else {
      networkId = args.networkId!;
    }

    const security = new SecurityProfile(`${name}-security`, {
      rules,
      description: `Desktop pool ${name}: ${jupyter ? `Jupyter (${jupyterPort})` : "RDP"} and ICMP from ${args.thinClientCidr}${args.adminCidr ? `, SSH from ${args.adminCidr}` : ""}`,
    }, { parent: this });

    let imageId: pulumi.Input<string> | undefined = args.imageId;
    if (args.imageUrl !== undefined) {
      const image = new openstack.images.Image(`${name}-image`, {
        name: `${name}-desktop-base`,
        imageSourceUrl: args.imageUrl,
        webDownload: true,
        containerFormat: "bare",
        diskFormat: args.imageDiskFormat ?? "qcow2",
        visibility: "private",
      }, { parent: this });
      imageId = image.id;
    } else if (args.imageName !== undefined && args.bootVolumeSizeGiB !== undefined) {
      // A boot volume is made from an image ID; look the name up once for the pool.
      imageId = openstack.images.getImageOutput({ name: args.imageName, mostRecent: true }, { parent: this }).id;
    }

    // What makes the desktops' subnet routed to the external network: our own PrivateNetwork, or,
    // on an existing network, whatever the pool was told to depend on (e.g. the PrivateNetwork of
    // another block). Children do not inherit a component's dependsOn, and Neutron refuses a
    // floating IP on a port whose subnet has no router interface yet.
    const routedBy: pulumi.Input<pulumi.Input<pulumi.Resource>[]> | pulumi.Input<pulumi.Resource> = network ? [network] : opts?.dependsOn ?? [];

    // ---- per-employee resources: named <pool>-<employee>-…, so each employee's set is independent ----
    const infos: Record<string, pulumi.Output<DesktopInfo>> = {};
    const passwords: Record<string, pulumi.Output<string>> = {};
    // Many children with ~100 output properties between them per desktop: see lean-registration.ts.
    declareWithoutPromiseStackTraces(() => {
      for (const employee of employees) {
        const base = `${name}-${employee.name}`;
        const hostname = desktopHostname(prefix, employee.name);
        // Password and its SHA-512 crypt hash, made once by the provider and kept in state (secret).
        const credential = new DesktopCredential(`${base}-credential`, {
          user: employee.name,
          length: passwordLength,
          rotation: employee.passwordRotation,
          hashScheme: jupyter ? "jupyter-sha512" : "sha512-crypt",
        }, { parent: this });
        // Secret: it carries the hash, and Pulumi must never show it in plain state or previews.
        const userData = pulumi.secret(credential.passwordHash.apply((hash) => renderUserData(employeeOptions(employee, hostname, hash))));
        const port = new openstack.networking.Port(`${base}-port`, {
          name: `${hostname}-port`,
          networkId,
          fixedIps: subnetId !== undefined ? [{ subnetId }] : undefined,
          securityGroupIds: [security.securityGroupId],
          adminStateUp: true,
        }, { parent: this, dependsOn: network ? [network] : [] });
        const server = new openstack.compute.Instance(`${base}-desktop`, {
          name: hostname,
          flavorName: employee.flavor,
          imageName: args.bootVolumeSizeGiB === undefined && args.imageName !== undefined ? args.imageName : undefined,
          imageId: args.bootVolumeSizeGiB === undefined ? imageId : undefined,
          blockDevices: args.bootVolumeSizeGiB !== undefined
            ? [{ uuid: imageId!, sourceType: "image", destinationType: "volume", volumeSize: args.bootVolumeSizeGiB, bootIndex: 0, deleteOnTermination: true }]
            : undefined,
          networks: [{ port: port.id }],
          userData,
          powerState: employee.powerState,
          metadata: { "blueprints-pool": name, "blueprints-employee": employee.name },
          // The server sits on a port made beforehand: a replacement made before the old server is
          // deleted would ask Nova for a port that the old one still holds (409 port in use).
        }, { parent: this, deleteBeforeReplace: true });

        let floatingIp: pulumi.Output<string> = pulumi.output("");
        if (args.floatingIpPool !== undefined) {
          // Allocated and associated with the port in one resource (Neutron's POST /floatingips
          // takes port_id). Neutron refuses the association until the router interface of the
          // port's subnet exists: hence the dependency on the network.
          const fip = new openstack.networking.FloatingIp(`${base}-fip`, {
            pool: args.floatingIpPool,
            portId: port.id,
            description: `desktop of ${employee.name} (pool ${name})`,
          }, { parent: this, dependsOn: routedBy });
          floatingIp = fip.address;
        }
        const fixedIp = port.allFixedIps.apply((ips) => ips[0] ?? "");
        infos[employee.name] = pulumi.all([server.id, fixedIp, floatingIp, server.powerState]).apply(([serverId, fixed, floating, state]) => ({
          employee: employee.name,
          hostname,
          serverId,
          fixedIp: fixed,
          floatingIp: floating,
          address: floating || fixed,
          powerState: state ?? employee.powerState,
          flavor: employee.flavor,
        }));
        passwords[employee.name] = credential.password;
      }
    });

    this.desktops = pulumi.all(infos);
    this.passwords = pulumi.secret(pulumi.all(passwords));
    const connections = this.desktops.apply((all) => employees.map((e): DesktopConnection => ({
      user: e.name,
      fullName: e.fullName,
      address: all[e.name].address || "(no address yet)",
      desktop: all[e.name].hostname,
      powerState: all[e.name].powerState,
    })));
    this.rdpFiles = connections.apply((list) => jupyter ? {} : Object.fromEntries(list.map((c) => [c.user, renderRdpFile(c)])));
    this.remminaProfiles = connections.apply((list) => jupyter ? {} : Object.fromEntries(list.map((c) => [c.user, renderRemminaProfile(c)])));
    this.jupyterUrls = connections.apply((list) => !jupyter ? {} : Object.fromEntries(list.map((c) => [c.user, jupyterUrl(c.address, jupyterPort)])));
    this.connectionSheet = connections.apply((list) => jupyter
      ? renderJupyterConnectionSheet(name, list, jupyterPort)
      : renderConnectionSheet(name, list));
    this.securityGroupId = security.securityGroupId;
    this.networkId = pulumi.output(networkId);
    this.capacitySummary = pulumi.output(capacitySummary);
    this.registerOutputs({
      desktops: this.desktops,
      passwords: this.passwords,
      rdpFiles: this.rdpFiles,
      remminaProfiles: this.remminaProfiles,
      jupyterUrls: this.jupyterUrls,
      connectionSheet: this.connectionSheet,
      securityGroupId: this.securityGroupId,
      networkId: this.networkId,
      capacitySummary: this.capacitySummary,
    });
  }
}

/**
 * Fails (before any resource) when the desktops that occupy capacity (active and shutoff; not
 * shelved_offloaded) do not fit the declared hosts. Returns a one-line summary.
 */
function checkCapacity(where: string, args: ThinClientDesktopPoolArgs, employees: Employee[]): string {
  if (args.computeHosts === undefined) {
    if (args.flavorSizes !== undefined && args.projectLimits === undefined) throw new Error(`${where}: flavorSizes is only used with computeHosts or projectLimits; give one of them`);
    return "";
  }
  const preset = args.allocationRatios ?? "nova";
  if (!RATIO_PRESETS[preset]) throw new Error(`${where}: allocationRatios "${preset}" is not one of ${Object.keys(RATIO_PRESETS).join(", ")}`);
  const ratios = {
    cpu: args.cpuAllocationRatio ?? RATIO_PRESETS[preset].cpu,
    ram: args.ramAllocationRatio ?? RATIO_PRESETS[preset].ram,
    disk: args.diskAllocationRatio ?? RATIO_PRESETS[preset].disk ?? 1.0,
  };
  // Booting from Cinder volumes puts the root disk on Cinder, not on the compute host.
  const flavors = (args.flavorSizes ?? []).map((f) => args.bootVolumeSizeGiB !== undefined ? { ...f, diskGiB: 0 } : f);
  const counts = new Map<string, number>();
  for (const e of employees) if (occupiesCapacity(e.powerState)) counts.set(e.flavor, (counts.get(e.flavor) ?? 0) + 1);
  const missing = [...new Set(employees.map((e) => e.flavor))].filter((f) => !flavors.some((s) => s.name === f));
  if (missing.length > 0) {
    throw new Error(`${where}: flavorSizes must give vcpus and ramMiB of every flavor the pool uses for the capacity check; missing: ${missing.join(", ")}`);
  }
  let plan;
  try {
    plan = planCapacity({ hosts: args.computeHosts, flavors, ratios, demand: [...counts].map(([flavor, count]) => ({ flavor, count })) });
  } catch (e) {
    throw new Error(`${where}: capacity check: ${(e as Error).message}`);
  }
  if (!plan.placement!.fits) throw new Error(`${where}: the desktops do not fit the compute hosts: ${describeShortfall(plan)}`);
  const p = plan.placement!;
  const shelved = employees.filter((e) => !occupiesCapacity(e.powerState)).length;
  const disk = p.capacity.diskGiB !== undefined ? ` and ${p.requested.diskGiB}/${p.capacity.diskGiB} GiB disk` : "";
  return `${p.requested.desktops} desktops (${shelved} shelved, not counted) use ${p.requested.vcpus}/${p.capacity.vcpus} vCPUs and ` +
    `${p.requested.ramMiB}/${p.capacity.ramMiB} MiB${disk} (ratios cpu ${ratios.cpu}, ram ${ratios.ram}${disk ? `, disk ${ratios.disk}` : ""}); limited by ${RESOURCE_LABEL[p.limitedBy]}`;
}
