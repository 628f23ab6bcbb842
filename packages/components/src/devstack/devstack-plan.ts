// Validates DevstackHost's arguments and renders every script, before any resource exists. Pure:
// no Pulumi resources, so every refusal is tested without an engine. Every problem is collected
// and reported at once (one ComponentArgsError), so a lab admin fixes a stack file in one pass.
import type { z } from "zod";
import { ArgsProblems } from "../errors";
import { cidrContains, cidrsOverlap, hostRange, nthHost, parseIpv4 } from "../network/cidr";
import {
  DEFAULT_BRANCH,
  DEFAULT_DEVSTACK_REPO,
  DEFAULT_FIXED_RANGE,
  DEFAULT_FLOATING_RANGE,
  DEFAULT_VOLUME_BACKING_FILE_SIZE,
  backingFileGiB,
  devstackHostArgsSchema,
  type DevstackFlavorArgs,
  type DevstackHostArgs,
  type DevstackImageArgs,
} from "./devstack-args";
import {
  DEFAULT_CINDER_VOLUME_GROUP,
  renderCloneScript,
  renderDeleteScript,
  renderExtraVolumeScript,
  renderNatScript,
  renderPrecheckScript,
  renderPrepareScript,
  renderQuotaScript,
  renderCaCertificateScript,
  renderStackScript,
  renderWriteLocalConfScript,
} from "./devstack-scripts";
import type { DevstackSettings } from "./local-conf";

/**
 * Variables devstack no longer reads, or that the component sets itself. Extra lines naming
 * them are refused with the reason, so a copied old guide does not silently do nothing.
 */
export const OBSOLETE_VARIABLES: Readonly<Record<string, string>> = {
  FLAT_INTERFACE:
    "it belonged to nova-network, which was removed from OpenStack; devstack ignores it. With Neutron/OVN the external side is PUBLIC_INTERFACE (arg publicInterface) and FLOATING_RANGE (arg floatingRange)",
  FLAT_NETWORK_BRIDGE: "it belonged to nova-network (removed); Neutron's external bridge is br-ex",
  VLAN_INTERFACE: "it belonged to nova-network (removed)",
  NETWORK_MANAGER: "it selected a nova-network manager (removed); networking is Neutron",
  FIXED_NETWORK_SIZE: "it sized nova-network's fixed network (removed); use IPV4_ADDRS_SAFE_TO_USE",
  MULTI_HOST: "it enabled nova-network multi-host mode (removed)",
  MYSQL_PASSWORD: "devstack reads DATABASE_PASSWORD; the component generates it as a secret",
};

/** Variables the component renders from typed args: set them there, not in extra lines. */
export const MANAGED_VARIABLES: Readonly<Record<string, string>> = {
  ADMIN_PASSWORD: "generated (secret)",
  DATABASE_PASSWORD: "generated (secret)",
  RABBIT_PASSWORD: "generated (secret)",
  SERVICE_PASSWORD: "generated (secret)",
  HOST_IP: "hostIp",
  FLOATING_RANGE: "floatingRange",
  PUBLIC_NETWORK_GATEWAY: "publicNetworkGateway",
  Q_FLOATING_ALLOCATION_POOL: "floatingAllocationStart/floatingAllocationEnd",
  PUBLIC_INTERFACE: "publicInterface",
  VOLUME_BACKING_FILE_SIZE: "volumeBackingFileSize",
  REGION_NAME: "region",
  IPV4_ADDRS_SAFE_TO_USE: "fixedRange",
  LOGFILE: "(fixed: /opt/stack/logs/stack.sh.log)",
  GIT_BASE: "gitBase",
};

const SETTINGS_FIELDS = {
  hostIp: true,
  branch: true,
  devstackRepoUrl: true,
  gitBase: true,
  floatingRange: true,
  publicNetworkGateway: true,
  floatingAllocationStart: true,
  floatingAllocationEnd: true,
  fixedRange: true,
  publicInterface: true,
  enabledServices: true,
  disabledServices: true,
  tlsProxy: true,
  volumeBackingFileSize: true,
  cpuAllocationRatio: true,
  ramAllocationRatio: true,
  diskAllocationRatio: true,
  region: true,
  extraLocalrcLines: true,
  pciPassthrough: true,
} as const;

/** The local.conf inputs of DevstackHostArgs (what validateDevstackSettings reads). */
export type DevstackSettingsInput = Partial<Pick<DevstackHostArgs, keyof typeof SETTINGS_FIELDS>>;

export interface DevstackHostPlan {
  settings: DevstackSettings;
  rebuild: string;
  stackTimeoutMinutes: number;
  cloudName: string;
  images: DevstackImageArgs[];
  flavors: DevstackFlavorArgs[];
  scripts: {
    precheck: string;
    prepare: string;
    clone: string;
    localConf: string;
    stack: string;
    stackDelete: string;
    nat?: string;
    extraVolume?: string;
    quotas?: string;
    caCertificate?: string;
  };
}

const LOCALRC_LINE = /^([A-Za-z_][A-Za-z0-9_]*)(\+?=)(.*)$/;

/** Adds a problem in the component's "<what>. Fix: <how>" form. */
function adder(problems: ArgsProblems) {
  return (field: string, value: unknown, problem: string, remedy: string) =>
    problems.add(field, value, `${problem}. Fix: ${remedy}`);
}

/** Runs the schema, adding its issues; returns the top-level fields that failed it. */
function checkFields(problems: ArgsProblems, schema: z.ZodType, input: object): Set<string> {
  const parsed = schema.safeParse(input);
  const invalid = new Set<string>();
  if (parsed.success) return invalid;
  const connection = (input as Partial<DevstackHostArgs>).connection;
  // The private key never appears in a message, even when it is the value that is wrong.
  const shown =
    connection && typeof connection === "object" && connection.privateKey
      ? { ...input, connection: { ...connection, privateKey: "[secret]" } }
      : input;
  problems.addZodIssues(parsed.error.issues, shown);
  for (const issue of parsed.error.issues) invalid.add(String(issue.path[0] ?? ""));
  return invalid;
}

/**
 * Checks how the local.conf settings fit together (the schema has checked each one) and applies
 * the defaults. A check that needs a field the schema refused is skipped, so each mistake is
 * reported once, by the check that names it.
 */
function resolveSettings(problems: ArgsProblems, input: DevstackSettingsInput, invalid: Set<string>): DevstackSettings {
  const add = adder(problems);
  const ok = (...fields: (keyof DevstackSettingsInput)[]) => fields.every((f) => !invalid.has(f));
  const hostIp = input.hostIp ?? "";
  const branch = input.branch ?? DEFAULT_BRANCH;
  const devstackRepoUrl = input.devstackRepoUrl ?? DEFAULT_DEVSTACK_REPO;
  const floatingRange = input.floatingRange ?? DEFAULT_FLOATING_RANGE;
  const fixedRange = input.fixedRange ?? DEFAULT_FIXED_RANGE;
  const publicInterface = input.publicInterface === "" ? undefined : input.publicInterface;
  const hostOk = ok("hostIp") && hostIp !== "";

  if (ok("fixedRange", "floatingRange") && cidrsOverlap(fixedRange, floatingRange)) {
    add(
      "fixedRange",
      fixedRange,
      `overlaps floatingRange ${floatingRange}`,
      "pick tenant and floating blocks that do not overlap",
    );
  }
  if (hostOk && ok("fixedRange") && cidrContains(fixedRange, hostIp)) {
    add(
      "hostIp",
      hostIp,
      `is inside fixedRange ${fixedRange} (tenant subnets are carved from it)`,
      "move fixedRange (IPV4_ADDRS_SAFE_TO_USE) away from the host's network",
    );
  }
  // HOST_IP inside the floating range only makes sense in the "flat LAN" layout (publicInterface
  // set: devstack moves the NIC onto br-ex and the floating range is the LAN). Otherwise
  // floating IPs would shadow the host's own network.
  const hostInFloating = hostOk && ok("floatingRange") && cidrContains(floatingRange, hostIp);
  if (hostInFloating && publicInterface === undefined && ok("publicInterface")) {
    add(
      "hostIp",
      hostIp,
      `is inside floatingRange ${floatingRange}`,
      "keep the floating range off the host's network (default 172.24.4.0/24, NATed), or set publicInterface when the floating range is deliberately the host's LAN",
    );
  }

  const rangeOk = ok("floatingRange");
  const range = rangeOk ? hostRange(floatingRange) : undefined;
  const isHostOfRange = (ip: string) =>
    range !== undefined &&
    cidrContains(floatingRange, ip) &&
    parseIpv4(ip) >= parseIpv4(range.first) &&
    parseIpv4(ip) <= parseIpv4(range.last);
  const publicNetworkGateway = input.publicNetworkGateway ?? (rangeOk ? nthHost(floatingRange, 1) : "");
  const gatewayOk = rangeOk && ok("publicNetworkGateway");
  if (gatewayOk && range) {
    if (!cidrContains(floatingRange, publicNetworkGateway)) {
      add(
        "publicNetworkGateway",
        publicNetworkGateway,
        `is outside floatingRange ${floatingRange}`,
        `use an address inside ${floatingRange} (default its first host, ${nthHost(floatingRange, 1)})`,
      );
    } else if (!isHostOfRange(publicNetworkGateway)) {
      add(
        "publicNetworkGateway",
        publicNetworkGateway,
        `is the network or broadcast address of ${floatingRange}`,
        `use a host address between ${range.first} and ${range.last}`,
      );
    }
    if (publicInterface === undefined && hostOk && publicNetworkGateway === hostIp) {
      add(
        "publicNetworkGateway",
        publicNetworkGateway,
        "equals hostIp",
        "leave publicNetworkGateway unset (br-ex gets the first host of the floating range)",
      );
    }
  }

  let floatingAllocationPool: { start: string; end: string } | undefined;
  const { floatingAllocationStart: start, floatingAllocationEnd: end } = input;
  if ((start === undefined) !== (end === undefined)) {
    add(
      start === undefined ? "floatingAllocationStart" : "floatingAllocationEnd",
      start ?? end,
      "is set without its partner",
      "set both floatingAllocationStart and floatingAllocationEnd, or neither",
    );
  } else if (start !== undefined && end !== undefined) {
    floatingAllocationPool = { start, end };
    if (range && ok("floatingAllocationStart", "floatingAllocationEnd")) {
      for (const [field, value] of [
        ["floatingAllocationStart", start],
        ["floatingAllocationEnd", end],
      ] as const) {
        if (!isHostOfRange(value))
          add(
            field,
            value,
            `is not a host address inside floatingRange ${floatingRange}`,
            `keep Q_FLOATING_ALLOCATION_POOL between ${range.first} and ${range.last}`,
          );
      }
      if (parseIpv4(start) > parseIpv4(end))
        add("floatingAllocationStart", start, `is after floatingAllocationEnd ${end}`, "swap them");
      const inPool = (ip: string) => parseIpv4(ip) >= parseIpv4(start) && parseIpv4(ip) <= parseIpv4(end);
      if (gatewayOk && inPool(publicNetworkGateway))
        add(
          "floatingAllocationStart",
          start,
          `pool ${start}-${end} contains publicNetworkGateway ${publicNetworkGateway}`,
          "start the pool after the gateway",
        );
      if (hostOk && inPool(hostIp))
        add(
          "floatingAllocationStart",
          start,
          `pool ${start}-${end} contains hostIp ${hostIp}`,
          "keep the host's own address out of the floating pool",
        );
    }
  } else if (hostInFloating) {
    add(
      "floatingAllocationStart",
      undefined,
      `is required when hostIp ${hostIp} is inside floatingRange ${floatingRange}`,
      "give a pool of free LAN addresses (e.g. .250-.254) so Neutron never hands out the host's or other machines' addresses",
    );
  }

  const enabledServices = input.enabledServices ?? [];
  const disabledServices = input.disabledServices ?? [];
  if (ok("enabledServices", "disabledServices")) {
    enabledServices.forEach((s, i) => {
      if (disabledServices.includes(s))
        add(`enabledServices[${i}]`, s, "is also in disabledServices", "list it in one of them");
    });
  }

  // tls-proxy through tlsProxy only: the endpoints, the provider's CA and the outputs follow it.
  const tlsProxy = input.tlsProxy ?? false;
  if (ok("enabledServices"))
    enabledServices.forEach((s, i) => {
      if (s === "tls-proxy")
        add(`enabledServices[${i}]`, s, "is managed by the component", "set tlsProxy: true instead");
    });
  if (tlsProxy && ok("disabledServices", "tlsProxy"))
    disabledServices.forEach((s, i) => {
      if (s === "tls-proxy")
        add(`disabledServices[${i}]`, s, "contradicts tlsProxy: true", "remove it, or leave tlsProxy out");
    });

  // Nova refuses two aliases of one name with different device types; one name per alias here.
  const pciAliases = (ok("pciPassthrough") ? input.pciPassthrough?.aliases : undefined) ?? [];
  pciAliases.forEach((a, i) => {
    const first = pciAliases.findIndex((b) => b.name === a.name);
    if (first !== i)
      add(
        `pciPassthrough.aliases[${i}].name`,
        a.name,
        `repeats pciPassthrough.aliases[${first}]`,
        "give each alias its own name",
      );
  });

  const extraLocalrcLines = input.extraLocalrcLines ?? [];
  if (ok("extraLocalrcLines"))
    extraLocalrcLines.forEach((line, i) => checkLocalrcLine(add, `extraLocalrcLines[${i}]`, line));

  return {
    hostIp,
    branch,
    devstackRepoUrl,
    gitBase: input.gitBase,
    floatingRange,
    publicNetworkGateway,
    floatingAllocationPool,
    fixedRange,
    publicInterface,
    enabledServices,
    disabledServices,
    tlsProxy,
    volumeBackingFileSize: input.volumeBackingFileSize,
    cpuAllocationRatio: input.cpuAllocationRatio,
    ramAllocationRatio: input.ramAllocationRatio,
    diskAllocationRatio: input.diskAllocationRatio,
    region: input.region ?? "RegionOne",
    extraLocalrcLines,
    pciAliases: pciAliases.map((a) => ({
      name: a.name,
      vendorId: a.vendorId.toLowerCase(),
      productId: a.productId.toLowerCase(),
      deviceType: a.deviceType ?? "type-PCI",
    })),
  };
}

/** One problem per bad extra line: the first thing wrong with it. */
function checkLocalrcLine(add: ReturnType<typeof adder>, field: string, line: string): void {
  if (/[\r\n]/.test(line)) return add(field, line, "contains a newline", "give one line per array element");
  const trimmed = line.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return;
  if (/^(enable_service|disable_service|enable_plugin)\s+[A-Za-z0-9_. :/@-]+$/.test(trimmed)) return;
  const m = LOCALRC_LINE.exec(trimmed);
  if (!m)
    return add(
      field,
      line,
      "is not a VARIABLE=value, enable_service, disable_service, enable_plugin or comment line",
      "write it as NAME=value",
    );
  const name = m[1];
  if (OBSOLETE_VARIABLES[name])
    return add(field, line, `sets ${name}, which is refused: ${OBSOLETE_VARIABLES[name]}`, "remove the line");
  if (MANAGED_VARIABLES[name])
    return add(
      field,
      line,
      `sets ${name}, which the component renders itself`,
      `use ${MANAGED_VARIABLES[name]} instead`,
    );
  if (/PASSWORD|SECRET|TOKEN/i.test(name))
    return add(
      field,
      line,
      "puts a secret in plain text",
      "secrets are generated and written only on the host; remove the line",
    );
  if (/`|\$\(/.test(m[3])) return add(field, line, "runs a command substitution", "use a literal value");
}

/**
 * Validates and defaults the local.conf settings alone; throws one ComponentArgsError listing
 * every problem (field, value, fix).
 */
export function validateDevstackSettings(component: string, input: DevstackSettingsInput): DevstackSettings {
  const problems = new ArgsProblems(component);
  const invalid = checkFields(problems, devstackHostArgsSchema.pick(SETTINGS_FIELDS), input);
  const settings = resolveSettings(problems, input, invalid);
  problems.throwIfAny();
  return settings;
}

/** Whether a floating range of the settings is NATed by the host (no publicInterface). */
export function needsNat(settings: DevstackSettings): boolean {
  return settings.publicInterface === undefined;
}

/**
 * Cinder's LVM volume group is DevStack's backing file (plus extraVolumeDevice): volumes the quota
 * allows beyond it would be created (thin provisioning) and then fail writes once the file is
 * full, i.e. people's saved work. So a known volume quota larger than the file is refused. Not
 * checked: an unlimited or unset quota (nothing declared), an extra device (its size is the
 * host's), Cinder's volume service disabled.
 */
function checkBackingFile(
  add: ReturnType<typeof adder>,
  args: DevstackHostArgs,
  settings: DevstackSettings,
  invalid: Set<string>,
): void {
  const quotaGiB = args.quotas?.volumeGiB;
  if (invalid.has("quotas") || invalid.has("volumeBackingFileSize") || quotaGiB === undefined || quotaGiB < 0) return;
  if (args.extraVolumeDevice !== undefined) return;
  if (settings.disabledServices.some((s) => s === "c-vol" || s === "cinder")) return;
  const size = settings.volumeBackingFileSize ?? DEFAULT_VOLUME_BACKING_FILE_SIZE;
  const giB = backingFileGiB(size);
  if (giB >= quotaGiB) return;
  add(
    "volumeBackingFileSize",
    settings.volumeBackingFileSize,
    `${settings.volumeBackingFileSize === undefined ? `is unset: DevStack's default ${size} holds` : "holds"} ` +
      `${giB} GiB of Cinder volumes, less than quotas.volumeGiB ${quotaGiB}`,
    `set volumeBackingFileSize to at least "${quotaGiB}G" (a little more: LVM's thin pool keeps metadata in it), ` +
      `lower quotas.volumeGiB, or add a disk with extraVolumeDevice`,
  );
}

/** Throws one ComponentArgsError listing every problem (field, value, fix); otherwise returns what to build. */
export function planDevstackHost(name: string, args: DevstackHostArgs): DevstackHostPlan {
  const problems = new ArgsProblems(`DevstackHost ${name}`);
  const add = adder(problems);
  const invalid = checkFields(problems, devstackHostArgsSchema, args ?? {});
  const settings = resolveSettings(problems, args ?? {}, invalid);

  const rebuild = args.rebuild ?? "1";
  const stackTimeoutMinutes = args.stackTimeoutMinutes ?? 90;
  const minRamMiB = args.minRamMiB ?? 7680;
  const minFreeDiskGiB = args.minFreeDiskGiB ?? 40;
  const manageEtcHosts = args.manageEtcHosts ?? true;
  const persistentNat = args.persistentNat ?? settings.publicInterface === undefined;
  if (persistentNat && settings.publicInterface !== undefined) {
    add(
      "persistentNat",
      true,
      `is set with publicInterface ${settings.publicInterface}: the floating range is then the LAN and needs no NAT`,
      "drop persistentNat or publicInterface",
    );
  }
  if (args.cleanOnDelete && args.unstackOnDelete === false) {
    add(
      "cleanOnDelete",
      true,
      "is set while unstackOnDelete is false (clean.sh expects stopped services)",
      "enable unstackOnDelete too",
    );
  }
  const cloudName = args.cloudName ?? "devstack";
  const images = args.images ?? [];
  const flavors = args.flavors ?? [];
  const unique = (kind: string, list: { name: string }[]) => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      if (seen.has(item?.name))
        add(`${kind}s[${i}].name`, item.name, "appears twice", `give each ${kind} a unique name`);
      seen.add(item?.name);
    });
  };
  checkBackingFile(add, args, settings, invalid);
  if (!invalid.has("images")) unique("image", images);
  if (!invalid.has("flavors")) unique("flavor", flavors);
  problems.throwIfAny();

  // Scripts are rendered (and their own defensive checks run) only on valid input.
  const scripts = {
    precheck: renderPrecheckScript({
      branch: settings.branch,
      hostIp: settings.hostIp,
      minRamMiB,
      minFreeDiskGiB,
      manageEtcHosts,
      publicInterface: settings.publicInterface,
    }),
    prepare: renderPrepareScript({ hostIp: settings.hostIp, manageEtcHosts, extraPackages: args.extraPackages ?? [] }),
    clone: renderCloneScript({ repoUrl: settings.devstackRepoUrl, branch: settings.branch }),
    localConf: renderWriteLocalConfScript(settings),
    // The script gives up two minutes before Pulumi's own timeout, so its message is the one seen.
    stack: renderStackScript(rebuild, stackTimeoutMinutes - 2),
    stackDelete: renderDeleteScript({
      unstack: args.unstackOnDelete ?? true,
      clean: args.cleanOnDelete ?? false,
      rebuildKey: rebuild,
    }),
    nat: persistentNat
      ? renderNatScript({
          floatingRange: settings.floatingRange,
          natInterface: args.natInterface,
          proxyArp: args.proxyArp ?? false,
        })
      : undefined,
    extraVolume:
      args.extraVolumeDevice !== undefined
        ? renderExtraVolumeScript({
            device: args.extraVolumeDevice,
            volumeGroup: args.cinderVolumeGroup ?? DEFAULT_CINDER_VOLUME_GROUP,
          })
        : undefined,
    quotas: args.quotas !== undefined ? renderQuotaScript(args.quotas) : undefined,
    caCertificate: settings.tlsProxy ? renderCaCertificateScript() : undefined,
  };
  return { settings, rebuild, stackTimeoutMinutes, cloudName, images, flavors, scripts };
}
