/**
 * Validates ThinClientDesktopPool args and decides everything the component then only declares:
 * the workspace, the network, the image, the security rules, and per employee the names and
 * settings of their desktop's resources. Pure (no Pulumi resources), and run before the first
 * resource, so a bad pool fails with every problem at once — never with half an office built.
 */
import { ArgsProblems } from "../errors";
import type { PrivateNetworkArgs } from "../network/private-network";
import { planPrivateNetwork } from "../network/private-network-plan";
import type { SecurityRuleArgs } from "../network/security-profile";
import { normalizeRules } from "../network/security-rules";
import { describeShortfall, planCapacity, RATIO_PRESETS, RESOURCE_LABEL } from "./capacity";
import {
  DEFAULT_RDP_GROUP,
  DesktopStackOptions,
  EmployeeDesktopOptions,
  renderBakedDesktopUserData,
  renderDesktopUserData,
  XrdpTlsFiles,
} from "./desktop-user-data";
import { DEFAULT_TLS_VALIDITY_DAYS } from "./xrdp-certificate";
import {
  checkEmployees,
  desktopHostname,
  DesktopPowerState,
  Employee,
  linuxUserNameProblem,
  occupiesCapacity,
} from "./employees";
import { planGpuWorkstations, PlannedGpu } from "./gpu-workstations";
import { JUPYTER_PORT, JupyterServer, JupyterWorkspaceOptions, renderJupyterUserData } from "./jupyter-user-data";
import {
  CinderQuotaSet,
  cinderShortfalls,
  NovaAbsoluteLimits,
  novaLimitsToProject,
  poolQuotaDemand,
  quotaShortfalls,
} from "./quota";
import {
  DesktopWorkspace,
  ThinClientDesktopPoolArgs,
  thinClientDesktopPoolArgsSchema,
} from "./thin-client-desktop-pool-args";

export const DEFAULT_ADMIN_USER = "deskadmin";
export const DEFAULT_PASSWORD_LENGTH = 20;

/** One employee's desktop: the employee and the names of its resources. */
export interface PlannedDesktop {
  employee: Employee;
  /** Guest host name, `<prefix>-<employee>`. */
  hostname: string;
  /**
   * Resource names, `<pool>-<employee>-…`: a compatibility contract (a changed name replaces the
   * employee's desktop), and independent per employee, so adding one touches nobody else.
   */
  names: {
    credential: string;
    /** Desktops (not notebooks): the xrdp TLS key and certificate (XrdpCertificate). */
    tlsCertificate: string;
    port: string;
    server: string;
    floatingIp: string;
    /** With homeVolumes: the employee's home volume (a Pulumi name; Cinder's is homeVolumeName). */
    homeVolume: string;
  };
  /** With homeVolumes: the volume's name in Cinder, `<host name>-home`. */
  homeVolumeName: string;
  /** A GPU workstation (the pool's `gpu`): the GPU flavor and zone. */
  gpu: boolean;
}

/** Each employee's home volume, as the pool declares it. */
export interface PlannedHomeVolumes {
  sizeGiB: number;
  volumeType?: string;
  availabilityZone?: string;
}

/** Where the desktops' image comes from. */
export type PlannedImage =
  | { kind: "upload"; resourceName: string; glanceName: string; url: string; diskFormat: string }
  | {
      kind: "name";
      name: string;
      /** A boot volume is made from an image ID: look the name up once. */ lookUpId: boolean;
    }
  | { kind: "id" };

/** How each employee's user data is made once their password hash exists. */
export type PlannedUserData =
  | { kind: "desktop"; stack: DesktopStackOptions }
  | { kind: "baked" }
  | { kind: "jupyter"; workspace: JupyterWorkspaceOptions };

export interface DesktopPoolPlan {
  /** "ThinClientDesktopPool <name>", for messages. */
  component: string;
  workspace: DesktopWorkspace;
  jupyterPort: number;
  passwordLength: number;
  /**
   * Desktops (RDP) only: each desktop's own xrdp TLS certificate (validity, rotation keeper).
   * Undefined for notebooks (Jupyter makes its own TLS).
   */
  tlsCertificate?: { validityDays: number; rotation: string };
  /** How the credential hashes the password: SHA-512 crypt for xrdp logins, Jupyter's own for notebooks. */
  hashScheme: "sha512-crypt" | "jupyter-sha512";
  userData: PlannedUserData;
  rdpGroup: string;
  /** Set when SSH is opened (adminCidr and adminPublicKey): the guests' admin user. */
  admin?: { user: string; publicKey: string };
  /** A PrivateNetwork to create, or undefined on an existing network (networkId). */
  network?: { resourceName: string; args: PrivateNetworkArgs };
  image: PlannedImage;
  bootVolumeSizeGiB?: number;
  /** Set when each employee's /home is on a Cinder volume of their own. */
  homeVolumes?: PlannedHomeVolumes;
  /** Nova availability zone of every desktop; undefined: Nova's default. */
  availabilityZone?: string;
  floatingIpPool?: string;
  securityProfileName: string;
  securityRules: SecurityRuleArgs[];
  securityDescription: string;
  desktops: PlannedDesktop[];
  /** The capacity check's summary, or "" when no compute hosts were declared. */
  capacitySummary: string;
  /**
   * checkQuota "live": the flavors whose sizes the pool must look up (not in flavorSizes), and
   * those it was given. Undefined: no live check.
   */
  liveQuota?: { lookUpFlavors: string[]; flavorSizes: { name: string; vcpus: number; ramMiB: number }[] };
  /** Set when the guests report their sessions to the portal (AutoStop): each desktop gets a token. */
  sessionReports?: { portalUrl: string; caCertificate?: string };
  /** GPU workstations: the flavor made or checked, and who gets one. */
  gpu?: PlannedGpu;
}

/**
 * The user data of one desktop, from the plan, the employee's password hash and, with
 * sessionReports, the desktop's report token.
 */
export function renderPlannedUserData(
  plan: DesktopPoolPlan,
  desktop: PlannedDesktop,
  hashedPassword: string,
  reportToken?: string,
  homeVolumeId?: string,
  tls?: XrdpTlsFiles,
): string {
  const employee: EmployeeDesktopOptions = {
    user: desktop.employee.name,
    fullName: desktop.employee.fullName,
    hashedPassword,
    hostname: desktop.hostname,
    rdpGroup: plan.rdpGroup,
    adminUser: plan.admin?.user,
    adminPublicKey: plan.admin?.publicKey,
    homeVolumeId,
    tls,
  };
  if (plan.tlsCertificate && tls === undefined)
    throw new Error(`${plan.component}: ${desktop.employee.name}'s xrdp TLS certificate is missing`);
  if (plan.homeVolumes && homeVolumeId === undefined)
    throw new Error(`${plan.component}: ${desktop.employee.name}'s home volume ID is missing (homeVolumes is set)`);
  if (plan.sessionReports && reportToken === undefined)
    throw new Error(`${plan.component}: ${desktop.employee.name}'s report token is missing (sessionReports is set)`);
  const report = plan.sessionReports && reportToken ? { ...plan.sessionReports, token: reportToken } : undefined;
  switch (plan.userData.kind) {
    // hashedPassword is Jupyter's sha512:salt:hex here.
    case "jupyter":
      return renderJupyterUserData(plan.userData.workspace, { ...employee, passwordHash: hashedPassword }, report);
    case "baked":
      return renderBakedDesktopUserData(employee, report);
    case "desktop":
      return renderDesktopUserData(plan.userData.stack, employee, report);
  }
}

/** Validates the args and decides the pool; throws one ComponentArgsError listing every problem. */
export function planThinClientDesktopPool(name: string, args: ThinClientDesktopPoolArgs): DesktopPoolPlan {
  const component = `ThinClientDesktopPool ${name}`;
  const problems = new ArgsProblems(component);
  const parsed = thinClientDesktopPoolArgsSchema.safeParse(args);
  // Field-by-field problems first; the relations below are checked on the fields that passed.
  const fieldOk = (field: keyof ThinClientDesktopPoolArgs) =>
    parsed.success || !parsed.error.issues.some((i) => i.path[0] === field);
  if (!parsed.success) {
    // checkEmployees below reports the employee list (with the reasons behind its rules).
    problems.addZodIssues(
      parsed.error.issues.filter((i) => i.path[0] !== "employees"),
      args,
    );
  }

  // ---- employees and their host names ----
  const adminUser = args.adminUser ?? DEFAULT_ADMIN_USER;
  const checked = checkEmployees(args.employees, {
    defaultFlavor: args.flavor,
    takenNames: [adminUser],
    field: "employees",
  });
  for (const p of checked.problems)
    if (p.field !== "flavor" || fieldOk("flavor")) problems.add(p.field, p.value, p.problem);
  // GPU workstations occupy the size of their flavor (base or existing) in capacity and quota.
  const { gpu, employees } = planGpuWorkstations(problems, name, args, checked.employees, fieldOk("gpu"));
  const gpuEmployees = new Set(gpu?.employees ?? []);
  const prefix = args.hostnamePrefix ?? name;
  const hostnameOwners = new Map<string, string>();
  const desktops: PlannedDesktop[] = [];
  employees.forEach((employee) => {
    // A name that is not a Linux user name was reported above; its host name would only repeat it.
    if (linuxUserNameProblem(employee.name) !== undefined) return;
    let hostname: string;
    try {
      hostname = desktopHostname(prefix, employee.name);
    } catch (e) {
      const fix = args.hostnamePrefix ? "" : " (set hostnamePrefix if the pool's name is not a valid host name)";
      problems.add(
        args.hostnamePrefix ? "hostnamePrefix" : "employees",
        args.hostnamePrefix ?? employee.name,
        `${(e as Error).message}${fix}`,
      );
      return;
    }
    const other = hostnameOwners.get(hostname);
    // The same name twice is reported as a duplicate already; "a_b" and "a-b" are not.
    if (other !== undefined && other !== employee.name) {
      problems.add(
        "employees",
        employee.name,
        `and "${other}" would both get the host name "${hostname}"; rename one of them`,
      );
    }
    hostnameOwners.set(hostname, employee.name);
    const base = `${name}-${employee.name}`;
    desktops.push({
      employee,
      hostname,
      names: {
        credential: `${base}-credential`,
        tlsCertificate: `${base}-xrdp-tls`,
        port: `${base}-port`,
        server: `${base}-desktop`,
        floatingIp: `${base}-fip`,
        // Only declared with homeVolumes.
        homeVolume: `${base}-home`,
      },
      homeVolumeName: `${hostname}-home`,
      gpu: gpuEmployees.has(employee.name),
    });
  });

  // ---- image ----
  const imageChoices = [args.imageName, args.imageId, args.imageUrl].filter((x) => x !== undefined).length;
  if (imageChoices !== 1) {
    problems.add(
      "imageName",
      args.imageName,
      `give exactly one of imageName, imageId or imageUrl (got ${imageChoices})`,
    );
  }
  let image: PlannedImage;
  if (args.imageUrl !== undefined) {
    image = {
      kind: "upload",
      resourceName: `${name}-image`,
      glanceName: `${name}-desktop-base`,
      url: args.imageUrl,
      diskFormat: args.imageDiskFormat ?? "qcow2",
    };
  } else if (args.imageName !== undefined) {
    // A boot volume, and the block device mapping that attaches a home volume at boot, name the
    // image by ID.
    image = {
      kind: "name",
      name: args.imageName,
      lookUpId: args.bootVolumeSizeGiB !== undefined || args.homeVolumes !== undefined,
    };
  } else {
    image = { kind: "id" };
  }
  if (args.imageDiskFormat !== undefined && args.imageUrl === undefined) {
    problems.add(
      "imageDiskFormat",
      args.imageDiskFormat,
      "goes with imageUrl (the format of the uploaded file); remove it",
    );
  }

  // ---- network ----
  if ((args.networkId === undefined) === (args.networkCidr === undefined)) {
    problems.add(
      "networkCidr",
      args.networkCidr,
      `give either networkId (an existing network) or networkCidr (a new PrivateNetwork), not ${args.networkId === undefined ? "neither" : "both"}`,
    );
  }
  if (args.subnetId !== undefined && args.networkId === undefined)
    problems.add("subnetId", args.subnetId, "goes with networkId (a subnet of that existing network)");
  const hints = args.networkAvailabilityZoneHints;
  if (hints !== undefined && args.networkCidr === undefined)
    problems.add(
      "networkAvailabilityZoneHints",
      hints,
      "goes with networkCidr (the network the pool creates); an existing network keeps its own zones",
    );
  if (hints !== undefined && fieldOk("networkAvailabilityZoneHints"))
    hints.forEach((zone, i) => {
      if (hints.indexOf(zone) !== i)
        problems.add(`networkAvailabilityZoneHints[${i}]`, zone, `repeats "${zone}"; list each zone once`);
    });
  let network: DesktopPoolPlan["network"];
  if (args.networkCidr !== undefined) {
    network = {
      resourceName: `${name}-network`,
      args: {
        cidr: args.networkCidr,
        externalNetworkName: args.externalNetworkName ?? "public",
        // The desktops install their packages at first boot: they need the internet and DNS.
        internetAccess: true,
        dnsNameservers: args.dnsNameservers,
        availabilityZoneHints: args.networkAvailabilityZoneHints,
      },
    };
    if (!args.dnsNameservers || args.dnsNameservers.length === 0) {
      problems.add(
        "dnsNameservers",
        args.dnsNameservers,
        "is needed with networkCidr: the desktops install packages at first boot and must resolve names (e.g. your site's resolvers, or 9.9.9.9)",
      );
    } else if (fieldOk("networkCidr") && fieldOk("dnsNameservers")) {
      // The network's own checks, reported on the pool's fields (its `cidr` is our networkCidr).
      const networkProblems = new ArgsProblems(component);
      planPrivateNetwork(
        component,
        { ...network.args, cidr: args.networkCidr, hasExternalNetwork: true, hasExistingRouter: false },
        networkProblems,
      );
      for (const p of networkProblems.list)
        problems.add(p.field === "cidr" ? "networkCidr" : p.field, p.value, p.problem);
    }
  }

  // ---- who may connect ----
  if ((args.adminCidr === undefined) !== (args.adminPublicKey === undefined)) {
    problems.add(
      args.adminCidr === undefined ? "adminCidr" : "adminPublicKey",
      undefined,
      "SSH needs both adminCidr and adminPublicKey (key-only SSH from the admin block); give both or neither",
    );
  }
  const admin = args.adminPublicKey !== undefined ? { user: adminUser, publicKey: args.adminPublicKey } : undefined;
  if (admin && fieldOk("adminUser")) {
    const adminProblem = linuxUserNameProblem(admin.user);
    // "admin" is a system account name on some images, yet the usual name of the admin's own user.
    if (adminProblem && admin.user !== "admin")
      problems.add("adminUser", admin.user, `is not a usable Linux user name: ${adminProblem}`);
  }
  if (fieldOk("thinClientCidr") && args.thinClientCidr === "0.0.0.0/0" && !args.allowRdpFromAnywhere) {
    problems.add(
      "thinClientCidr",
      args.thinClientCidr,
      "opens RDP to the whole internet; give the thin clients' block, or set allowRdpFromAnywhere: true if that is really intended",
    );
  }

  // ---- workspace: an xrdp desktop or a Jupyter server ----
  const workspace = (fieldOk("workspace") ? (args.workspace ?? "desktop") : "desktop") as DesktopWorkspace;
  const jupyter = workspace === "jupyter";
  if (!jupyter && (args.jupyterServer !== undefined || args.jupyterPort !== undefined)) {
    problems.add(
      args.jupyterServer !== undefined ? "jupyterServer" : "jupyterPort",
      args.jupyterServer ?? args.jupyterPort,
      `jupyterServer and jupyterPort go with workspace "jupyter" (workspace is "${args.workspace ?? "desktop"}")`,
    );
  }
  const jupyterPort = args.jupyterPort ?? JUPYTER_PORT;
  for (const field of ["tlsCertificateValidityDays", "tlsCertificateRotation"] as const) {
    if (jupyter && args[field] !== undefined)
      problems.add(
        field,
        args[field],
        `belongs to workspace "desktop" (xrdp's certificate); a Jupyter workspace makes its own TLS certificate`,
      );
  }
  if (jupyter && (args.bakedDesktopImage || args.rdpGroup !== undefined)) {
    const field = args.bakedDesktopImage ? "bakedDesktopImage" : "rdpGroup";
    problems.add(field, args[field], `${field} belongs to workspace "desktop" (xrdp); a Jupyter workspace has no RDP`);
  }
  const sessionFields = (
    ["disconnectedTimeLimitSeconds", "idleTimeLimitSeconds", "clipboard", "driveRedirection"] as const
  ).filter((f) => args[f] !== undefined);
  for (const field of sessionFields) {
    if (jupyter) {
      problems.add(
        field,
        args[field],
        `${sessionFields.join(", ")} belong to workspace "desktop" (xrdp); a Jupyter workspace has no RDP sessions`,
      );
    } else if (args.bakedDesktopImage) {
      problems.add(
        field,
        args[field],
        "is an xrdp setting written by the desktop setup script, which a baked image ran at bake time; set it on the image's user data or use an unbaked image",
      );
    }
  }
  if (args.bakedDesktopImage) {
    if (args.imageUrl !== undefined)
      problems.add(
        "imageUrl",
        args.imageUrl,
        "bakedDesktopImage needs imageId or imageName of an XrdpDesktopImage, not imageUrl (an uploaded image is not baked)",
      );
    if ((args.extraPackages ?? []).length > 0)
      problems.add(
        "extraPackages",
        args.extraPackages,
        "with bakedDesktopImage, extraPackages belong to the XrdpDesktopImage (they are baked in); remove them from the pool",
      );
    if (args.installRecommends !== undefined)
      problems.add(
        "installRecommends",
        args.installRecommends,
        "with bakedDesktopImage, installRecommends belongs to the XrdpDesktopImage (it is baked in); remove it from the pool",
      );
  }
  const installPackages = args.imageHasDesktopPackages !== true;
  const rdpGroup = args.rdpGroup ?? DEFAULT_RDP_GROUP;
  const userData: PlannedUserData = jupyter
    ? {
        kind: "jupyter",
        workspace: {
          server: (args.jupyterServer ?? "notebook") as JupyterServer,
          extraPackages: args.extraPackages,
          installRecommends: args.installRecommends,
          installPackages,
          port: jupyterPort,
        },
      }
    : args.bakedDesktopImage
      ? { kind: "baked" }
      : {
          kind: "desktop",
          stack: {
            rdpGroup,
            disconnectedTimeLimitSeconds: args.disconnectedTimeLimitSeconds,
            idleTimeLimitSeconds: args.idleTimeLimitSeconds,
            clipboard: args.clipboard,
            driveRedirection: args.driveRedirection,
            extraPackages: args.extraPackages,
            installRecommends: args.installRecommends,
            installPackages,
          },
        };

  // ---- security group ----
  const securityRules: SecurityRuleArgs[] = [
    jupyter
      ? {
          name: "jupyter",
          protocol: "tcp",
          port: jupyterPort,
          remoteCidr: args.thinClientCidr,
          allowFromAnywhere: args.allowRdpFromAnywhere,
          description: "Jupyter (HTTPS) from the thin clients",
        }
      : {
          name: "rdp",
          protocol: "tcp",
          port: 3389,
          remoteCidr: args.thinClientCidr,
          allowFromAnywhere: args.allowRdpFromAnywhere,
          description: "RDP from the thin clients",
        },
    { name: "icmp", protocol: "icmp", remoteCidr: args.thinClientCidr, description: "ping from the thin clients" },
  ];
  if (args.adminCidr !== undefined) {
    securityRules.push({
      name: "ssh",
      protocol: "tcp",
      port: 22,
      remoteCidr: args.adminCidr,
      description: "SSH (key only) from the admin block",
    });
  }
  // SecurityProfile checks the rules too, but only once earlier children exist: check them now,
  // unless their fields were already refused above.
  if (
    problems.list.every(
      (p) => !["thinClientCidr", "adminCidr", "adminPublicKey", "jupyterPort", "workspace"].includes(p.field),
    )
  ) {
    // Rules are made from the pool's fields; a problem names the rule it is in.
    const ruleProblems = new ArgsProblems(component);
    normalizeRules(component, securityRules, ruleProblems);
    for (const p of ruleProblems.list)
      problems.add(
        "security",
        securityRules.map((r) => r.name),
        `${p.field}: ${JSON.stringify(p.value)} ${p.problem}`,
      );
  }

  // ---- capacity and quota ----
  const capacitySummary = checkCapacity(problems, args, employees, fieldOk, gpu);
  if (
    args.projectLimits !== undefined &&
    fieldOk("projectLimits") &&
    fieldOk("projectUsage") &&
    fieldOk("flavorSizes")
  ) {
    const demand = poolQuotaDemand({
      flavors: employees.map((e) => e.flavor),
      flavorSizes: args.flavorSizes,
      floatingIps: args.floatingIpPool !== undefined,
      securityRules: securityRules.length,
      homeVolumeGiB: args.homeVolumes?.sizeGiB,
      bootVolumeGiB: args.bootVolumeSizeGiB,
    });
    const short = quotaShortfalls(args.projectLimits, demand, args.projectUsage);
    if (short.length > 0) {
      problems.add(
        "projectLimits",
        args.projectLimits,
        `the project's quota does not hold the pool (nothing was created): ${short.join("; ")}. ` +
          "Fix: raise the quota (openstack quota set --instances/--cores/--ram/--floating-ips/--ports/--volumes/--gigabytes …, or the devstack block's quotas), or declare fewer desktops.",
      );
    }
  }

  problems.throwIfAny();
  const flavorSizes = (args.flavorSizes ?? []).map((f) => ({ name: f.name, vcpus: f.vcpus, ramMiB: f.ramMiB }));
  const given = new Set(flavorSizes.map((f) => f.name));
  return {
    liveQuota:
      args.checkQuota === "live"
        ? { lookUpFlavors: [...new Set(employees.map((e) => e.flavor))].filter((f) => !given.has(f)), flavorSizes }
        : undefined,
    component,
    workspace,
    jupyterPort,
    passwordLength: args.passwordLength ?? DEFAULT_PASSWORD_LENGTH,
    tlsCertificate: jupyter
      ? undefined
      : {
          validityDays: args.tlsCertificateValidityDays ?? DEFAULT_TLS_VALIDITY_DAYS,
          rotation: args.tlsCertificateRotation ?? "",
        },
    hashScheme: jupyter ? "jupyter-sha512" : "sha512-crypt",
    userData,
    rdpGroup,
    admin,
    network,
    image,
    bootVolumeSizeGiB: args.bootVolumeSizeGiB,
    ...(args.homeVolumes
      ? {
          homeVolumes: {
            sizeGiB: args.homeVolumes.sizeGiB,
            ...(args.homeVolumes.volumeType !== undefined ? { volumeType: args.homeVolumes.volumeType } : {}),
            ...(args.homeVolumes.availabilityZone !== undefined
              ? { availabilityZone: args.homeVolumes.availabilityZone }
              : {}),
          },
        }
      : {}),
    availabilityZone: args.availabilityZone,
    floatingIpPool: args.floatingIpPool,
    securityProfileName: `${name}-security`,
    securityRules,
    securityDescription: `Desktop pool ${name}: ${jupyter ? `Jupyter (${jupyterPort})` : "RDP"} and ICMP from ${args.thinClientCidr}${args.adminCidr ? `, SSH from ${args.adminCidr}` : ""}`,
    desktops,
    capacitySummary,
    ...(gpu ? { gpu } : {}),
    ...(args.sessionReports
      ? {
          sessionReports: {
            portalUrl: args.sessionReports.portalUrl,
            ...(args.sessionReports.caCertificate ? { caCertificate: args.sessionReports.caCertificate } : {}),
          },
        }
      : {}),
  };
}

/**
 * Adds a problem when the desktops that occupy capacity (active and shutoff; not
 * shelved_offloaded) do not fit the declared hosts. Returns a one-line summary.
 */
function checkCapacity(
  problems: ArgsProblems,
  args: ThinClientDesktopPoolArgs,
  employees: Employee[],
  fieldOk: (f: keyof ThinClientDesktopPoolArgs) => boolean,
  gpu: PlannedGpu | undefined,
): string {
  if (args.computeHosts === undefined) {
    if (args.flavorSizes !== undefined && args.projectLimits === undefined && args.checkQuota !== "live") {
      problems.add(
        "flavorSizes",
        args.flavorSizes,
        'is only used with computeHosts, projectLimits or checkQuota "live"; give one of them',
      );
    }
    return "";
  }
  const fields = [
    "computeHosts",
    "flavorSizes",
    "allocationRatios",
    "cpuAllocationRatio",
    "ramAllocationRatio",
    "diskAllocationRatio",
  ] as const;
  if (!fields.every(fieldOk)) return "";
  const preset = RATIO_PRESETS[args.allocationRatios ?? "nova"];
  const ratios = {
    cpu: args.cpuAllocationRatio ?? preset.cpu,
    ram: args.ramAllocationRatio ?? preset.ram,
    disk: args.diskAllocationRatio ?? preset.disk ?? 1.0,
  };
  // Booting from Cinder volumes puts the root disk on Cinder, not on the compute host.
  const flavors = (args.flavorSizes ?? []).map((f) =>
    args.bootVolumeSizeGiB !== undefined ? { ...f, diskGiB: 0 } : f,
  );
  // GPU workstations occupy their flavor's size (e.flavor: the base or existing GPU flavor) and
  // its devices: counted as one more flavor, the size plus the PCI devices the extra spec asks for.
  const gpuSet = new Set(gpu?.employees ?? []);
  const gpuFlavorName = gpu ? (gpu.make?.flavorName ?? `${gpu.existingFlavor} (${gpu.extraSpec})`) : "";
  const gpuSize = gpu ? flavors.find((f) => f.name === employees.find((e) => gpuSet.has(e.name))?.flavor) : undefined;
  if (gpu && gpuSize) flavors.push({ ...gpuSize, name: gpuFlavorName, gpus: [{ alias: gpu.alias, count: gpu.count }] });
  const counts = new Map<string, number>();
  for (const e of employees) {
    if (!occupiesCapacity(e.powerState as DesktopPowerState)) continue;
    const flavor = gpuSet.has(e.name) ? gpuFlavorName : e.flavor;
    counts.set(flavor, (counts.get(flavor) ?? 0) + 1);
  }
  const missing = [...new Set(employees.map((e) => e.flavor))].filter((f) => !flavors.some((s) => s.name === f));
  if (missing.length > 0) {
    problems.add(
      "flavorSizes",
      args.flavorSizes,
      `must give vcpus and ramMiB of every flavor the pool uses for the capacity check; missing: ${missing.join(", ")}`,
    );
    return "";
  }
  let plan;
  try {
    plan = planCapacity({
      hosts: args.computeHosts,
      flavors,
      ratios,
      demand: [...counts].map(([flavor, count]) => ({ flavor, count })),
    });
  } catch (e) {
    problems.add("computeHosts", args.computeHosts, `capacity check: ${(e as Error).message}`);
    return "";
  }
  if (!plan.placement!.fits) {
    problems.add(
      "computeHosts",
      args.computeHosts,
      `the desktops do not fit the compute hosts: ${describeShortfall(plan)}`,
    );
    return "";
  }
  const p = plan.placement!;
  const shelved = employees.filter((e) => !occupiesCapacity(e.powerState)).length;
  const disk = p.capacity.diskGiB !== undefined ? ` and ${p.requested.diskGiB}/${p.capacity.diskGiB} GiB disk` : "";
  const gpus = Object.entries(p.requested.gpus ?? {})
    .map(([alias, n]) => ` and ${n}/${p.capacity.gpus?.[alias] ?? 0} × ${alias}`)
    .join("");
  return (
    `${p.requested.desktops} desktops (${shelved} shelved, not counted) use ${p.requested.vcpus}/${p.capacity.vcpus} vCPUs and ` +
    `${p.requested.ramMiB}/${p.capacity.ramMiB} MiB${disk}${gpus} (ratios cpu ${ratios.cpu}, ram ${ratios.ram}${disk ? `, disk ${ratios.disk}` : ""}); limited by ${RESOURCE_LABEL[p.limitedBy]}`
  );
}

/**
 * checkQuota "live": does the pool fit what the project has free right now? `nova` is Nova's
 * GET /limits for the project, `flavorSizes` every flavor the pool uses (given, or looked up),
 * `cinder` Cinder's quota set when the pool makes volumes (homeVolumes, bootVolumeSizeGiB).
 * Throws, naming instances, cores, RAM, volumes or volume storage: what the pool needs, what is
 * free, and the fix. Pure: the pool calls it with what the provider's lookups returned, before
 * declaring any child.
 */
export function checkLiveQuota(
  plan: DesktopPoolPlan,
  nova: NovaAbsoluteLimits,
  flavorSizes: { name: string; vcpus: number; ramMiB: number }[],
  cinder?: CinderQuotaSet,
): void {
  const { limits, used } = novaLimitsToProject(nova);
  const demand = poolQuotaDemand({
    flavors: plan.desktops.map((d) => d.employee.flavor),
    flavorSizes,
    floatingIps: plan.floatingIpPool !== undefined,
    securityRules: plan.securityRules.length,
    homeVolumeGiB: plan.homeVolumes?.sizeGiB,
    bootVolumeGiB: plan.bootVolumeSizeGiB,
  });
  const useKnown = nova.totalInstancesUsed !== undefined;
  const short = quotaShortfalls(limits, demand, useKnown ? used : {}, useKnown);
  const volumesShort = cinder && demand.volumes !== undefined ? cinderShortfalls(cinder, demand) : [];
  if (short.length === 0 && volumesShort.length === 0) return;
  const problems = new ArgsProblems(plan.component);
  if (short.length > 0)
    problems.add(
      "checkQuota",
      "live",
      `the project's quota (read from Nova) does not hold the pool; nothing was created: ${short.join("; ")}` +
        (useKnown
          ? ". "
          : " (what the project already uses is not counted: these credentials may read its quota set but not its limits, Nova's policy os_compute_api:limits:other_project). ") +
        "Fix: raise the project's quota (openstack quota set --instances N --cores N --ram MiB <project>, or the devstack block's quotas), " +
        "delete servers the project no longer needs, or declare fewer or smaller desktops.",
    );
  if (volumesShort.length > 0)
    problems.add(
      "checkQuota",
      "live",
      `the project's volume quota (read from Cinder) does not hold the pool's volumes; nothing was created: ${volumesShort.join("; ")} ` +
        "(volumes the project already holds are not counted: Cinder's quota set carries no use). " +
        "Fix: raise the project's volume quota (openstack quota set --volumes N --gigabytes N --per-volume-gigabytes N <project>), " +
        "or declare smaller homeVolumes/bootVolumeSizeGiB or fewer desktops.",
    );
  problems.throwIfAny();
}
