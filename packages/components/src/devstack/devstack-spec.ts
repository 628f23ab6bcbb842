// What a DevStack all-in-one needs to know, validated before any host is touched.
// Every error names the field, the value and the fix (see /work/shared/reference/devstack.md).
import { cidrContains, cidrsOverlap, hostRange, isIpv4, nthHost, parseCidr, parseIpv4 } from "../network/cidr";

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
 * Variables devstack no longer reads, or that the component sets itself. Extra lines naming
 * them are refused with the reason, so a copied old guide does not silently do nothing.
 */
export const OBSOLETE_VARIABLES: Readonly<Record<string, string>> = {
  FLAT_INTERFACE: "it belonged to nova-network, which was removed from OpenStack; devstack ignores it. With Neutron/OVN the external side is PUBLIC_INTERFACE (arg publicInterface) and FLOATING_RANGE (arg floatingRange)",
  FLAT_NETWORK_BRIDGE: "it belonged to nova-network (removed); Neutron's external bridge is br-ex",
  VLAN_INTERFACE: "it belonged to nova-network (removed)",
  NETWORK_MANAGER: "it selected a nova-network manager (removed); networking is Neutron",
  FIXED_NETWORK_SIZE: "it sized nova-network's fixed network (removed); use IPV4_ADDRS_SAFE_TO_USE",
  MULTI_HOST: "it enabled nova-network multi-host mode (removed)",
  MYSQL_PASSWORD: "devstack reads DATABASE_PASSWORD; the component generates it as a secret",
};

/** Variables the component renders from typed args: set them there, not in extra lines. */
export const MANAGED_VARIABLES: Readonly<Record<string, string>> = {
  ADMIN_PASSWORD: "generated (secret)", DATABASE_PASSWORD: "generated (secret)", RABBIT_PASSWORD: "generated (secret)",
  SERVICE_PASSWORD: "generated (secret)", HOST_IP: "hostIp", FLOATING_RANGE: "floatingRange",
  PUBLIC_NETWORK_GATEWAY: "publicNetworkGateway", Q_FLOATING_ALLOCATION_POOL: "floatingAllocationStart/floatingAllocationEnd",
  PUBLIC_INTERFACE: "publicInterface", VOLUME_BACKING_FILE_SIZE: "volumeBackingFileSize", REGION_NAME: "region",
  IPV4_ADDRS_SAFE_TO_USE: "fixedRange", LOGFILE: "(fixed: /opt/stack/logs/stack.sh.log)", GIT_BASE: "gitBase",
};

/** The local.conf-related inputs, as given by the user (plain values: they are validated). */
export interface DevstackSettingsInput {
  hostIp?: string;
  branch?: string;
  devstackRepoUrl?: string;
  gitBase?: string;
  floatingRange?: string;
  publicNetworkGateway?: string;
  floatingAllocationStart?: string;
  floatingAllocationEnd?: string;
  fixedRange?: string;
  publicInterface?: string;
  enabledServices?: string[];
  disabledServices?: string[];
  volumeBackingFileSize?: string;
  cpuAllocationRatio?: number;
  ramAllocationRatio?: number;
  diskAllocationRatio?: number;
  region?: string;
  extraLocalrcLines?: string[];
}

/** Validated, defaulted settings. */
export interface DevstackSettings {
  hostIp: string;
  branch: string;
  devstackRepoUrl: string;
  gitBase?: string;
  floatingRange: string;
  publicNetworkGateway: string;
  floatingAllocationPool?: { start: string; end: string };
  fixedRange: string;
  publicInterface?: string;
  enabledServices: string[];
  disabledServices: string[];
  volumeBackingFileSize?: string;
  cpuAllocationRatio?: number;
  ramAllocationRatio?: number;
  diskAllocationRatio?: number;
  region: string;
  extraLocalrcLines: string[];
}

export class DevstackArgsError extends Error {}

function fail(component: string, field: string, value: unknown, problem: string, fix: string): never {
  throw new DevstackArgsError(`${component}: ${field} = ${JSON.stringify(value)} ${problem}. Fix: ${fix}`);
}

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,40}$/;
const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
const URL_LIKE = /^(https?|git|ssh|file):\/\/[^\s'"`$\\]+$/;
const LOCALRC_LINE = /^([A-Za-z_][A-Za-z0-9_]*)(\+?=)(.*)$/;

/** Validates and defaults the settings; throws DevstackArgsError naming field, value and fix. */
export function validateDevstackSettings(component: string, input: DevstackSettingsInput): DevstackSettings {
  const f = (field: string, value: unknown, problem: string, fix: string): never => fail(component, field, value, problem, fix);

  if (input.hostIp === undefined || input.hostIp === "") {
    f("hostIp", input.hostIp, "is required", "set hostIp to the host's address on its main interface (devstack's detection dies with \"Could not determine host ip address\")");
  }
  const hostIp = input.hostIp!;
  if (!isIpv4(hostIp)) f("hostIp", hostIp, "is not an IPv4 address", "use a dotted quad such as 192.168.1.20");

  const branch = input.branch ?? DEFAULT_BRANCH;
  if (!SUPPORTED_DISTROS_BY_BRANCH[branch]) {
    f("branch", branch, "is not a supported devstack branch", `use one of ${Object.keys(SUPPORTED_DISTROS_BY_BRANCH).join(", ")} (pin a stable branch; master follows every project's master)`);
  }
  const devstackRepoUrl = input.devstackRepoUrl ?? DEFAULT_DEVSTACK_REPO;
  if (!URL_LIKE.test(devstackRepoUrl)) f("devstackRepoUrl", devstackRepoUrl, "is not a git URL", "use e.g. https://opendev.org/openstack/devstack or a mirror's https/git/ssh/file URL");
  if (input.gitBase !== undefined && !URL_LIKE.test(input.gitBase)) f("gitBase", input.gitBase, "is not a URL", "use e.g. https://opendev.org or your mirror's base URL");

  const floatingRange = input.floatingRange ?? DEFAULT_FLOATING_RANGE;
  try {
    parseCidr(floatingRange);
  } catch (e) {
    f("floatingRange", floatingRange, `is not a canonical IPv4 CIDR (${(e as Error).message})`, "use a network address with prefix, e.g. 172.24.4.0/24");
  }
  if (parseCidr(floatingRange).prefix > 29) f("floatingRange", floatingRange, "is too small for a router gateway and floating IPs", "use a /29 or larger block");

  const fixedRange = input.fixedRange ?? DEFAULT_FIXED_RANGE;
  try {
    parseCidr(fixedRange);
  } catch (e) {
    f("fixedRange", fixedRange, `is not a canonical IPv4 CIDR (${(e as Error).message})`, "use e.g. 10.0.0.0/22");
  }
  if (cidrsOverlap(fixedRange, floatingRange)) f("fixedRange", fixedRange, `overlaps floatingRange ${floatingRange}`, "pick tenant and floating blocks that do not overlap");
  if (cidrContains(fixedRange, hostIp)) f("hostIp", hostIp, `is inside fixedRange ${fixedRange} (tenant subnets are carved from it)`, "move fixedRange (IPV4_ADDRS_SAFE_TO_USE) away from the host's network");

  const publicInterface = input.publicInterface === "" ? undefined : input.publicInterface;
  if (publicInterface !== undefined && !INTERFACE_NAME.test(publicInterface)) f("publicInterface", publicInterface, "is not a network interface name", "use the NIC's name as `ip link` shows it, e.g. eth0 or enp4s0");

  // HOST_IP inside the floating range only makes sense in the "flat LAN" layout (publicInterface
  // set: devstack moves the NIC onto br-ex and the floating range is the LAN). Otherwise
  // floating IPs would shadow the host's own network.
  if (cidrContains(floatingRange, hostIp) && publicInterface === undefined) {
    f("hostIp", hostIp, `is inside floatingRange ${floatingRange}`, "keep the floating range off the host's network (default 172.24.4.0/24, NATed), or set publicInterface when the floating range is deliberately the host's LAN");
  }

  const publicNetworkGateway = input.publicNetworkGateway ?? nthHost(floatingRange, 1);
  if (!isIpv4(publicNetworkGateway)) f("publicNetworkGateway", publicNetworkGateway, "is not an IPv4 address", `use an address inside ${floatingRange}`);
  if (!cidrContains(floatingRange, publicNetworkGateway)) f("publicNetworkGateway", publicNetworkGateway, `is outside floatingRange ${floatingRange}`, `use an address inside ${floatingRange} (default its first host, ${nthHost(floatingRange, 1)})`);
  const range = hostRange(floatingRange);
  if (parseIpv4(publicNetworkGateway) < parseIpv4(range.first) || parseIpv4(publicNetworkGateway) > parseIpv4(range.last)) {
    f("publicNetworkGateway", publicNetworkGateway, `is the network or broadcast address of ${floatingRange}`, `use a host address between ${range.first} and ${range.last}`);
  }
  if (publicInterface === undefined && publicNetworkGateway === hostIp) f("publicNetworkGateway", publicNetworkGateway, "equals hostIp", "leave publicNetworkGateway unset (br-ex gets the first host of the floating range)");

  let floatingAllocationPool: { start: string; end: string } | undefined;
  const { floatingAllocationStart: start, floatingAllocationEnd: end } = input;
  if ((start === undefined) !== (end === undefined)) {
    f(start === undefined ? "floatingAllocationStart" : "floatingAllocationEnd", start ?? end, "is set without its partner", "set both floatingAllocationStart and floatingAllocationEnd, or neither");
  }
  if (start !== undefined && end !== undefined) {
    for (const [field, value] of [["floatingAllocationStart", start], ["floatingAllocationEnd", end]] as const) {
      if (!isIpv4(value)) f(field, value, "is not an IPv4 address", `use an address inside ${floatingRange}`);
      if (!cidrContains(floatingRange, value) || parseIpv4(value) < parseIpv4(range.first) || parseIpv4(value) > parseIpv4(range.last)) {
        f(field, value, `is not a host address inside floatingRange ${floatingRange}`, `keep Q_FLOATING_ALLOCATION_POOL between ${range.first} and ${range.last}`);
      }
    }
    if (parseIpv4(start) > parseIpv4(end)) f("floatingAllocationStart", start, `is after floatingAllocationEnd ${end}`, "swap them");
    const inPool = (ip: string) => parseIpv4(ip) >= parseIpv4(start) && parseIpv4(ip) <= parseIpv4(end);
    if (inPool(publicNetworkGateway)) f("floatingAllocationStart", start, `pool ${start}-${end} contains publicNetworkGateway ${publicNetworkGateway}`, "start the pool after the gateway");
    if (inPool(hostIp)) f("floatingAllocationStart", start, `pool ${start}-${end} contains hostIp ${hostIp}`, "keep the host's own address out of the floating pool");
    floatingAllocationPool = { start, end };
  } else if (cidrContains(floatingRange, hostIp)) {
    f("floatingAllocationStart", undefined, `is required when hostIp ${hostIp} is inside floatingRange ${floatingRange}`, "give a pool of free LAN addresses (e.g. .250-.254) so Neutron never hands out the host's or other machines' addresses");
  }

  const services = (field: string, list: string[] | undefined) => (list ?? []).map((s) => {
    if (!SERVICE_NAME.test(s)) f(field, s, "is not a devstack service name", "use names like c-bak, horizon, s-proxy (lowercase letters, digits, -)");
    if (s === "n-net") f(field, s, "is nova-network, which was removed", "drop it; networking is Neutron (q-svc / ovn services)");
    return s;
  });
  const enabledServices = services("enabledServices", input.enabledServices);
  const disabledServices = services("disabledServices", input.disabledServices);
  const both = enabledServices.find((s) => disabledServices.includes(s));
  if (both) f("enabledServices", both, "is also in disabledServices", "list it in one of them");

  if (input.volumeBackingFileSize !== undefined && !/^[1-9][0-9]*[MG]$/.test(input.volumeBackingFileSize)) {
    f("volumeBackingFileSize", input.volumeBackingFileSize, "is not a size devstack understands", "use a number with M or G, e.g. 30G");
  }
  for (const field of ["cpuAllocationRatio", "ramAllocationRatio", "diskAllocationRatio"] as const) {
    const v = input[field];
    if (v !== undefined && !(Number.isFinite(v) && v > 0 && v <= 64)) f(field, v, "is not a ratio between 0 and 64", "use e.g. 16.0 for CPU, 1.5 for RAM, 1.0 for disk");
  }
  const region = input.region ?? "RegionOne";
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(region)) f("region", region, "is not a region name", "use letters, digits, - or _, e.g. RegionOne");

  const extraLocalrcLines = (input.extraLocalrcLines ?? []).map((line, i) => {
    const field = `extraLocalrcLines[${i}]`;
    if (/[\r\n]/.test(line)) f(field, line, "contains a newline", "give one line per array element");
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return line;
    if (/^(enable_service|disable_service|enable_plugin)\s+[A-Za-z0-9_. :/@-]+$/.test(trimmed)) return line;
    const m = LOCALRC_LINE.exec(trimmed);
    if (!m) f(field, line, "is not a VARIABLE=value, enable_service, disable_service, enable_plugin or comment line", "write it as NAME=value");
    const name = m![1];
    if (OBSOLETE_VARIABLES[name]) f(field, line, `sets ${name}, which is refused: ${OBSOLETE_VARIABLES[name]}`, "remove the line");
    if (MANAGED_VARIABLES[name]) f(field, line, `sets ${name}, which the component renders itself`, `use ${MANAGED_VARIABLES[name]} instead`);
    if (/PASSWORD|SECRET|TOKEN/i.test(name)) f(field, line, "puts a secret in plain text", "secrets are generated and written only on the host; remove the line");
    if (/`|\$\(/.test(m![3])) f(field, line, "runs a command substitution", "use a literal value");
    return line;
  });

  return {
    hostIp, branch, devstackRepoUrl, gitBase: input.gitBase, floatingRange, publicNetworkGateway, floatingAllocationPool,
    fixedRange, publicInterface, enabledServices, disabledServices, volumeBackingFileSize: input.volumeBackingFileSize,
    cpuAllocationRatio: input.cpuAllocationRatio, ramAllocationRatio: input.ramAllocationRatio,
    diskAllocationRatio: input.diskAllocationRatio, region, extraLocalrcLines,
  };
}

/** Whether a floating range of the settings is NATed by the host (no publicInterface). */
export function needsNat(settings: DevstackSettings): boolean {
  return settings.publicInterface === undefined;
}
