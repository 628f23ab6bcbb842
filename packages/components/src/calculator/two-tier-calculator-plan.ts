// Planning for TwoTierCalculatorTopology: pure, so every refusal is tested without Pulumi and
// the component refuses bad input before it creates anything. The plan is also what the real
// network test builds with Linux namespaces (via the resources the component records).
import { bundleFileName, DEFAULT_SERVICE_TIMEOUT_MS, FRONTEND_DEFAULT_PORT, OPERATION_NAMES, OPERATIONS, OperationName } from "@openstack-blueprints/calculator";
import { cidrContains, cidrsOverlap, formatIpv4, hostRange, isIpv4, nthHost, parseCidr, parseIpv4 } from "../network/cidr";
import { ComponentArgsError } from "../errors";
import { AllocationPoolSpec, HostRouteSpec } from "../network/private-network-plan";

export type CalculatorServerRole = "frontend" | OperationName;
export const CALCULATOR_SERVER_ROLES: readonly CalculatorServerRole[] = ["frontend", ...OPERATION_NAMES];

/** How the guests get Node.js. */
export const NODEJS_SOURCES = ["package", "image"] as const;
/**
 * Which router takes Net2 to the internet. "outer": RT2 → RT1, RT1 SNATs Net2 (the seed's
 * layout; on ML2/OVN only with Neutron's `ovn_router_indirect_snat = true`). "inner": RT2 has
 * its own external gateway and SNATs Net2 itself (works on ML2/OVS and ML2/OVN; one more
 * external address).
 */
export const SERVICE_EGRESS_ROUTERS = ["outer", "inner"] as const;
/** Smallest subnets the defaults fit: Net1 holds RT1 (.1), the front end (.10) and RT2 (last). */
export const MAX_PREFIX = 28;

/** The already-resolved settings the planner validates (the component's args, minus Inputs). */
export interface TwoTierCalculatorSpec {
  frontendCidr?: string;
  serviceCidr?: string;
  frontendGatewayIp?: string;
  innerRouterFrontendIp?: string;
  serviceGatewayIp?: string;
  frontendIp?: string;
  serviceIps?: Partial<Record<OperationName, string>>;
  frontendPort?: number;
  servicePorts?: Partial<Record<OperationName, number>>;
  clientCidr?: string;
  sshClientCidr?: string;
  serviceInternetEgress?: boolean;
  serviceEgressRouter?: string;
  /** Whether a Nova keypair is given (SSH opens only with one). */
  hasKeyPair?: boolean;
  nodejsSource?: string;
  installDir?: string;
  serviceTimeoutMs?: number;
}

export interface PlannedSubnet {
  cidr: string;
  gatewayIp: string;
  allocationPools: AllocationPoolSpec[];
  hostRoutes: HostRouteSpec[];
}

export interface PlannedServer {
  role: CalculatorServerRole;
  /** "frontend" (Net1) or "service" (Net2). */
  network: "frontend" | "service";
  ip: string;
  port: number;
  /** systemd unit file name, e.g. calculator-sum.service. */
  unitName: string;
  /** The unit's ExecStart, as an argument vector (no element contains whitespace). */
  execStart: string[];
}

export interface PlannedRouterRoute {
  /** "outer" = RT1 (external gateway, on Net1), "inner" = RT2 (joins Net1 and Net2). */
  router: "outer" | "inner";
  destinationCidr: string;
  nextHop: string;
}

export interface PlannedRule {
  protocol: "tcp";
  port: number;
  remoteCidr: string;
  description: string;
}

export interface TwoTierCalculatorPlan {
  frontendSubnet: PlannedSubnet;
  serviceSubnet: PlannedSubnet;
  /** RT2's address on Net1: the next hop of Net1's host route to Net2. */
  innerRouterFrontendIp: string;
  servers: PlannedServer[];
  routerRoutes: PlannedRouterRoute[];
  frontendRules: PlannedRule[];
  serviceRules: PlannedRule[];
  serviceUrls: Record<OperationName, string>;
  nodejsSource: (typeof NODEJS_SOURCES)[number];
  installDir: string;
  serviceInternetEgress: boolean;
  /** RT2 gets its own external gateway (serviceEgressRouter "inner"). */
  innerRouterExternalGateway: boolean;
}

export const DEFAULT_FRONTEND_CIDR = "192.168.1.0/24";
export const DEFAULT_SERVICE_CIDR = "192.168.2.0/24";
export const DEFAULT_INSTALL_DIR = "/opt/openstack-blueprints/calculator";
/** Where Debian and Ubuntu's nodejs package puts the binary (systemd wants an absolute path). */
export const NODE_BINARY = "/usr/bin/node";

/** Bundle file of a role, as written by packages/calculator's bundler. */
export function calculatorBundleFile(role: CalculatorServerRole): string {
  return bundleFileName(role);
}

/** The addresses of `cidr`'s hosts not in `excluded`, as contiguous allocation pools. */
export function poolsExcluding(cidr: string, excluded: readonly string[]): AllocationPoolSpec[] {
  const { first, last } = hostRange(cidr);
  const skip = new Set(excluded.map(parseIpv4));
  const pools: AllocationPoolSpec[] = [];
  let start: number | undefined;
  for (let ip = parseIpv4(first); ip <= parseIpv4(last) + 1; ip++) {
    const usable = ip <= parseIpv4(last) && !skip.has(ip);
    if (usable && start === undefined) start = ip;
    if (!usable && start !== undefined) {
      pools.push({ start: formatIpv4(start), end: formatIpv4(ip - 1) });
      start = undefined;
    }
  }
  return pools;
}

/**
 * Validates the spec and fills in the seed's defaults. Gateway choice: the seed puts Sum at
 * 192.168.2.1, which is also Neutron's default gateway of 192.168.2.0/24 (Neutron would refuse
 * the port: the address is taken). So the service subnet's gateway, RT2's interface, defaults
 * to the LAST host (.254), keeping the seed's service addresses. Every fixed address is kept
 * out of the DHCP allocation pools, so Neutron's DHCP port can never take one first.
 */
export function planTwoTierCalculator(component: string, spec: TwoTierCalculatorSpec): TwoTierCalculatorPlan {
  const bad = (field: string, value: unknown, problem: string) => new ComponentArgsError(component, [{ field, value, problem }]);

  const cidrField = (field: string, value: string) => {
    try {
      const c = parseCidr(value);
      if (c.prefix > MAX_PREFIX) {
        throw new Error(`is too small (/${c.prefix}): the calculator needs /${MAX_PREFIX} or larger (Net1 holds RT1 at .1, the front end at .10 and RT2 at the last host; Net2 the four services, RT2 and Neutron's DHCP port); use e.g. ${field === "frontendCidr" ? DEFAULT_FRONTEND_CIDR : DEFAULT_SERVICE_CIDR}`);
      }
      return c;
    } catch (e) {
      throw bad(field, value, (e as Error).message.replace(/^"[^"]*" /, ""));
    }
  };
  const frontendCidr = cidrField("frontendCidr", spec.frontendCidr ?? DEFAULT_FRONTEND_CIDR);
  const serviceCidr = cidrField("serviceCidr", spec.serviceCidr ?? DEFAULT_SERVICE_CIDR);
  if (cidrsOverlap(frontendCidr, serviceCidr)) {
    throw bad("serviceCidr", serviceCidr.text, `overlaps frontendCidr ${frontendCidr.text}; RT2 joins both, so they must be disjoint (e.g. 192.168.2.0/24)`);
  }

  // Every address on one subnet must be a usable host and unique; `taken` names who holds it.
  const hostOf = (field: string, value: string, cidr: typeof frontendCidr, taken: Map<string, string>): string => {
    if (!isIpv4(value)) throw bad(field, value, "is not an IPv4 address");
    const { first, last } = hostRange(cidr);
    if (!cidrContains(cidr, value) || parseIpv4(value) < parseIpv4(first) || parseIpv4(value) > parseIpv4(last)) {
      throw bad(field, value, `is outside ${cidr.text}; use a host address ${first}-${last}`);
    }
    const holder = taken.get(value);
    if (holder) throw bad(field, value, `is already used by ${holder} on ${cidr.text}; give each a distinct address`);
    taken.set(value, field);
    return value;
  };

  const net1 = new Map<string, string>();
  const frontendGatewayIp = hostOf("frontendGatewayIp", spec.frontendGatewayIp ?? nthHost(frontendCidr, 1), frontendCidr, net1);
  const innerRouterFrontendIp = hostOf("innerRouterFrontendIp", spec.innerRouterFrontendIp ?? nthHost(frontendCidr, -1), frontendCidr, net1);
  const frontendIp = hostOf("frontendIp", spec.frontendIp ?? nthHost(frontendCidr, 10), frontendCidr, net1);

  const net2 = new Map<string, string>();
  const serviceIps = {} as Record<OperationName, string>;
  OPERATION_NAMES.forEach((name, i) => {
    serviceIps[name] = hostOf(`serviceIps.${name}`, spec.serviceIps?.[name] ?? nthHost(serviceCidr, i + 1), serviceCidr, net2);
  });
  const serviceGatewayIp = hostOf("serviceGatewayIp", spec.serviceGatewayIp ?? nthHost(serviceCidr, -1), serviceCidr, net2);

  const ports = new Map<number, string>();
  const portOf = (field: string, value: number): number => {
    if (!Number.isInteger(value) || value < 1 || value > 65535) throw bad(field, value, "is not a TCP port 1-65535");
    const holder = ports.get(value);
    if (holder) throw bad(field, value, `clashes with ${holder}; give the front end and each service its own port (defaults 50000-50004)`);
    if (value === 22 && spec.sshClientCidr !== undefined) throw bad(field, value, "clashes with SSH (sshClientCidr is set)");
    ports.set(value, field);
    return value;
  };
  const frontendPort = portOf("frontendPort", spec.frontendPort ?? FRONTEND_DEFAULT_PORT);
  const servicePorts = {} as Record<OperationName, number>;
  for (const name of OPERATION_NAMES) servicePorts[name] = portOf(`servicePorts.${name}`, spec.servicePorts?.[name] ?? OPERATIONS[name].defaultPort);

  if (spec.clientCidr === undefined) {
    throw bad("clientCidr", undefined, "is required: the block allowed to reach the front end (e.g. your office's 203.0.113.0/24); 0.0.0.0/0 only if you mean the whole internet");
  }
  const clientCidr = canonicalCidrField(bad, "clientCidr", spec.clientCidr);
  const sshClientCidr = spec.sshClientCidr === undefined ? undefined : canonicalCidrField(bad, "sshClientCidr", spec.sshClientCidr);
  if (sshClientCidr === "0.0.0.0/0") throw bad("sshClientCidr", sshClientCidr, "opens SSH to the whole internet; give your admin network's block");
  if (sshClientCidr !== undefined && !spec.hasKeyPair) {
    throw bad("sshClientCidr", sshClientCidr, "opens SSH, but keyPairName is not set, so no key could log in; set keyPairName to a Nova keypair or leave sshClientCidr unset");
  }

  const nodejsSource = spec.nodejsSource ?? "package";
  if (!(NODEJS_SOURCES as readonly string[]).includes(nodejsSource)) {
    throw bad("nodejsSource", nodejsSource, `is not one of ${NODEJS_SOURCES.map((s) => `"${s}"`).join(", ")}`);
  }
  const serviceInternetEgress = spec.serviceInternetEgress ?? true;
  if (!serviceInternetEgress && nodejsSource === "package") {
    throw bad("serviceInternetEgress", false,
      'leaves the services without a route to a package mirror, yet nodejsSource is "package"; enable egress or use an image with /usr/bin/node and nodejsSource "image"');
  }
  const serviceEgressRouter = spec.serviceEgressRouter ?? "outer";
  if (!(SERVICE_EGRESS_ROUTERS as readonly string[]).includes(serviceEgressRouter)) {
    throw bad("serviceEgressRouter", serviceEgressRouter, `is not one of ${SERVICE_EGRESS_ROUTERS.map((s) => `"${s}"`).join(", ")}`);
  }
  if (serviceEgressRouter === "inner" && !serviceInternetEgress) {
    throw bad("serviceEgressRouter", serviceEgressRouter, "gives RT2 an external gateway, yet serviceInternetEgress is false; drop serviceEgressRouter or enable egress");
  }
  const innerRouterExternalGateway = serviceInternetEgress && serviceEgressRouter === "inner";
  const installDir = spec.installDir ?? DEFAULT_INSTALL_DIR;
  if (!/^\/[A-Za-z0-9._/-]+$/.test(installDir) || installDir.includes("..")) {
    throw bad("installDir", installDir, "is not an absolute path of letters, digits, '.', '_', '-' and '/'");
  }
  const serviceTimeoutMs = spec.serviceTimeoutMs ?? DEFAULT_SERVICE_TIMEOUT_MS;
  if (!Number.isInteger(serviceTimeoutMs) || serviceTimeoutMs < 1 || serviceTimeoutMs > 600000) {
    throw bad("serviceTimeoutMs", serviceTimeoutMs, "is not a whole number of milliseconds 1-600000");
  }

  const serviceUrls = {} as Record<OperationName, string>;
  for (const name of OPERATION_NAMES) serviceUrls[name] = `http://${serviceIps[name]}:${servicePorts[name]}`;

  const bundle = (role: CalculatorServerRole) => `${installDir}/${calculatorBundleFile(role)}`;
  const servers: PlannedServer[] = [
    {
      role: "frontend",
      network: "frontend",
      ip: frontendIp,
      port: frontendPort,
      unitName: "calculator-frontend.service",
      execStart: [
        NODE_BINARY, bundle("frontend"), "--host", frontendIp, "--port", String(frontendPort),
        ...OPERATION_NAMES.flatMap((name) => [`--${name}-url`, serviceUrls[name]]),
        "--service-timeout-ms", String(serviceTimeoutMs),
      ],
    },
    ...OPERATION_NAMES.map((name): PlannedServer => ({
      role: name,
      network: "service",
      ip: serviceIps[name],
      port: servicePorts[name],
      unitName: `calculator-${name}.service`,
      execStart: [NODE_BINARY, bundle(name), "--host", serviceIps[name], "--port", String(servicePorts[name])],
    })),
  ];

  return {
    frontendSubnet: {
      cidr: frontendCidr.text,
      gatewayIp: frontendGatewayIp,
      allocationPools: poolsExcluding(frontendCidr.text, [...net1.keys()]),
      // The seed's bug: the front end had no route to Net2. DHCP (option 121) now hands it out.
      hostRoutes: [{ destinationCidr: serviceCidr.text, nextHop: innerRouterFrontendIp }],
    },
    serviceSubnet: {
      cidr: serviceCidr.text,
      gatewayIp: serviceGatewayIp,
      allocationPools: poolsExcluding(serviceCidr.text, [...net2.keys()]),
      hostRoutes: [],
    },
    innerRouterFrontendIp,
    servers,
    // With its own gateway RT2 needs no route to RT1, nor RT1 a way back to Net2.
    routerRoutes: serviceInternetEgress && !innerRouterExternalGateway
      ? [
          // RT2 sends everything that is not Net1/Net2 to RT1; RT1 needs the way back to Net2.
          { router: "inner", destinationCidr: "0.0.0.0/0", nextHop: frontendGatewayIp },
          { router: "outer", destinationCidr: serviceCidr.text, nextHop: innerRouterFrontendIp },
        ]
      : [],
    frontendRules: [
      { protocol: "tcp", port: frontendPort, remoteCidr: clientCidr, description: "calculator front end from clients" },
      ...(sshClientCidr ? [{ protocol: "tcp" as const, port: 22, remoteCidr: sshClientCidr, description: "SSH from admins" }] : []),
    ],
    // Only the front end calls the services: its address, not all of Net1.
    serviceRules: OPERATION_NAMES.map((name) => ({
      protocol: "tcp" as const, port: servicePorts[name], remoteCidr: `${frontendIp}/32`, description: `${name} service from the front end`,
    })),
    serviceUrls,
    nodejsSource: nodejsSource as TwoTierCalculatorPlan["nodejsSource"],
    installDir,
    serviceInternetEgress,
    innerRouterExternalGateway,
  };
}

function canonicalCidrField(bad: (f: string, v: unknown, p: string) => Error, field: string, value: string): string {
  try {
    return parseCidr(value).text;
  } catch (e) {
    throw bad(field, value, (e as Error).message.replace(/^"[^"]*" /, ""));
  }
}
