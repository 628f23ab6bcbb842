// Planning for TwoTierCalculatorTopology: pure, so every refusal is tested without Pulumi and
// the component refuses bad input before it creates anything. The plan is also what the real
// network test builds with Linux namespaces (via the resources the component records).
import {
  bundleFileName,
  DEFAULT_SERVICE_TIMEOUT_MS,
  FRONTEND_DEFAULT_PORT,
  OPERATION_NAMES,
  OPERATIONS,
  OperationName,
} from "@openstack-blueprints/calculator";
import { ArgsProblems } from "../errors";
import {
  cidrContains,
  cidrsOverlap,
  formatIpv4,
  hostRange,
  nthHost,
  Ipv4Cidr,
  parseCidr,
  parseIpv4,
} from "../network/cidr";
import type { AllocationPoolSpec, HostRouteSpec } from "../network/private-network-plan";
import {
  DEFAULT_READINESS_TIMEOUT_S,
  NODEJS_SOURCES,
  SERVICE_EGRESS_ROUTERS,
  TwoTierCalculatorTopologyArgs,
  twoTierCalculatorArgsSchema,
} from "./two-tier-calculator-args";

export type CalculatorServerRole = "frontend" | OperationName;
export const CALCULATOR_SERVER_ROLES: readonly CalculatorServerRole[] = ["frontend", ...OPERATION_NAMES];

/** Smallest subnets the defaults fit: Net1 holds RT1 (.1), the front end (.10) and RT2 (last). */
export const MAX_PREFIX = 28;

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
  /** Which router SNATs Net2's egress (given, or "inner" by default on ML2/OVN). */
  serviceEgressRouter: (typeof SERVICE_EGRESS_ROUTERS)[number];
  /** RT2 gets its own external gateway (serviceEgressRouter "inner", with egress). */
  innerRouterExternalGateway: boolean;
  /** Nova zone of the five servers; undefined = Nova's choice. */
  availabilityZone?: string;
  /** Neutron zone hints of Net1, Net2, RT1 and RT2 (empty = any agent). */
  networkAvailabilityZoneHints: string[];
  /** What `up` waits for before it succeeds; undefined when the check is off (timeout 0). */
  readiness?: PlannedReadiness;
}

/** The front end's readiness check: this expression through the floating IP, this result. */
export interface PlannedReadiness {
  timeoutSeconds: number;
  /** Uses all four operations, so each service and the route to Net2 are on the path. */
  expression: string;
  expected: number;
  /** Added to the check's failure when the cloud may be the cause (ML2/OVN, backend not given). */
  hint?: string;
}

/** The readiness check's expression: one call to each of sum, mul, sub and div. */
export const READINESS_EXPRESSION = "(4+5)*3-10/2";
export const READINESS_EXPECTED = 22;
/** The readiness check's hint when the services install Node.js through RT1 and the backend was not given. */
export const OVN_READINESS_HINT =
  'Net2 reaches the internet through RT1 (serviceEgressRouter "outer"): if this cloud runs ML2/OVN (DevStack\'s default), RT1 does not SNAT Net2 unless Neutron sets [ovn] ovn_router_indirect_snat = true, so the services never install Node.js; set networkBackend "ovn" (RT2 gets its own gateway) or serviceEgressRouter "inner".';

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
 * Validates the args and fills in the lab's defaults, collecting every problem into one
 * ComponentArgsError. Gateway choice: the lab puts Sum at 192.168.2.1, which is also Neutron's
 * default gateway of 192.168.2.0/24 (Neutron would refuse the port: the address is taken). So
 * the service subnet's gateway, RT2's interface, defaults to the LAST host (.254), keeping the
 * seed's service addresses. Every fixed address is kept out of the DHCP allocation pools, so
 * Neutron's DHCP port can never take one first.
 */
export function planTwoTierCalculator(component: string, args: TwoTierCalculatorTopologyArgs): TwoTierCalculatorPlan {
  const problems = new ArgsProblems(component);
  const parsed = twoTierCalculatorArgsSchema.safeParse(args);
  if (!parsed.success) problems.addZodIssues(parsed.error.issues, args);
  // The relations below are checked on the fields that passed (a bad CIDR says so once).
  const failed = new Set(parsed.success ? [] : parsed.error.issues.map((i) => i.path.map(String).join(".")));
  const ok = (field: string) =>
    ![...failed].some((f) => f === field || f.startsWith(`${field}.`) || field.startsWith(`${f}.`));

  const cidrField = (field: "frontendCidr" | "serviceCidr", fallback: string): Ipv4Cidr | undefined => {
    const value = args[field] ?? fallback;
    if (!ok(field)) return undefined;
    const c = parseCidr(value);
    if (c.prefix > MAX_PREFIX) {
      problems.add(
        field,
        value,
        `is too small (/${c.prefix}): the calculator needs /${MAX_PREFIX} or larger (Net1 holds RT1 at .1, the front end at .10 and RT2 at the last host; Net2 the four services, RT2 and Neutron's DHCP port); use e.g. ${fallback}`,
      );
      return undefined;
    }
    return c;
  };
  const frontendCidr = cidrField("frontendCidr", DEFAULT_FRONTEND_CIDR);
  const serviceCidr = cidrField("serviceCidr", DEFAULT_SERVICE_CIDR);
  if (frontendCidr && serviceCidr && cidrsOverlap(frontendCidr, serviceCidr)) {
    problems.add(
      "serviceCidr",
      serviceCidr.text,
      `overlaps frontendCidr ${frontendCidr.text}; RT2 joins both, so they must be disjoint (e.g. 192.168.2.0/24)`,
    );
  }

  // Every address on one subnet must be a usable host and unique; `taken` names who holds it.
  const hostOf = (
    field: string,
    given: string | undefined,
    defaultHost: number,
    cidr: Ipv4Cidr | undefined,
    taken: Map<string, string>,
  ): string => {
    if (!cidr) return given ?? "";
    const value = given ?? nthHost(cidr, defaultHost);
    if (!ok(field)) return value;
    const { first, last } = hostRange(cidr);
    if (!cidrContains(cidr, value) || parseIpv4(value) < parseIpv4(first) || parseIpv4(value) > parseIpv4(last)) {
      problems.add(field, value, `is outside ${cidr.text}; use a host address ${first}-${last}`);
      return value;
    }
    const holder = taken.get(value);
    if (holder)
      problems.add(field, value, `is already used by ${holder} on ${cidr.text}; give each a distinct address`);
    else taken.set(value, field);
    return value;
  };

  const net1 = new Map<string, string>();
  const frontendGatewayIp = hostOf("frontendGatewayIp", args.frontendGatewayIp, 1, frontendCidr, net1);
  const innerRouterFrontendIp = hostOf("innerRouterFrontendIp", args.innerRouterFrontendIp, -1, frontendCidr, net1);
  const frontendIp = hostOf("frontendIp", args.frontendIp, 10, frontendCidr, net1);

  const net2 = new Map<string, string>();
  const serviceIps = {} as Record<OperationName, string>;
  OPERATION_NAMES.forEach((name, i) => {
    serviceIps[name] = hostOf(`serviceIps.${name}`, args.serviceIps?.[name], i + 1, serviceCidr, net2);
  });
  const serviceGatewayIp = hostOf("serviceGatewayIp", args.serviceGatewayIp, -1, serviceCidr, net2);

  const ports = new Map<number, string>();
  const portOf = (field: string, value: number): number => {
    if (!ok(field)) return value;
    const holder = ports.get(value);
    if (holder)
      problems.add(
        field,
        value,
        `clashes with ${holder}; give the front end and each service its own port (defaults 50000-50004)`,
      );
    else if (value === 22 && args.sshClientCidr !== undefined)
      problems.add(field, value, "clashes with SSH (sshClientCidr is set)");
    else ports.set(value, field);
    return value;
  };
  const frontendPort = portOf("frontendPort", args.frontendPort ?? FRONTEND_DEFAULT_PORT);
  const servicePorts = {} as Record<OperationName, number>;
  for (const name of OPERATION_NAMES)
    servicePorts[name] = portOf(`servicePorts.${name}`, args.servicePorts?.[name] ?? OPERATIONS[name].defaultPort);

  const clientCidr = ok("clientCidr") ? parseCidr(args.clientCidr).text : args.clientCidr;
  const sshClientCidr =
    args.sshClientCidr === undefined || !ok("sshClientCidr") ? args.sshClientCidr : parseCidr(args.sshClientCidr).text;
  if (sshClientCidr === "0.0.0.0/0") {
    problems.add("sshClientCidr", sshClientCidr, "opens SSH to the whole internet; give your admin network's block");
  } else if (sshClientCidr !== undefined && args.keyPairName === undefined) {
    problems.add(
      "sshClientCidr",
      sshClientCidr,
      "opens SSH, but keyPairName is not set, so no key could log in; set keyPairName to a Nova keypair or leave sshClientCidr unset",
    );
  }

  const nodejsSource = args.nodejsSource ?? "package";
  const serviceInternetEgress = args.serviceInternetEgress ?? true;
  if (!serviceInternetEgress && nodejsSource === "package") {
    problems.add(
      "serviceInternetEgress",
      false,
      'leaves the services without a route to a package mirror, yet nodejsSource is "package"; enable egress or use an image with /usr/bin/node and nodejsSource "image"',
    );
  }
  // ML2/OVN SNATs only a router's own subnets (Neutron's ovn_router_indirect_snat, default
  // false): RT1 would route Net2's packets out un-NATed. So on OVN Net2 leaves through RT2.
  const ovnWithoutIndirectSnat = args.networkBackend === "ovn" && args.ovnRouterIndirectSnat !== true;
  if (args.ovnRouterIndirectSnat !== undefined && args.networkBackend !== "ovn" && ok("networkBackend")) {
    problems.add(
      "ovnRouterIndirectSnat",
      args.ovnRouterIndirectSnat,
      `is an ML2/OVN setting, yet networkBackend is ${args.networkBackend === undefined ? "not set" : `"${args.networkBackend}"`}; set networkBackend "ovn" or leave ovnRouterIndirectSnat out`,
    );
  }
  const serviceEgressRouter = args.serviceEgressRouter ?? (ovnWithoutIndirectSnat ? "inner" : "outer");
  if (serviceEgressRouter === "outer" && serviceInternetEgress && ovnWithoutIndirectSnat) {
    problems.add(
      "serviceEgressRouter",
      serviceEgressRouter,
      'routes Net2 out through RT1, but on ML2/OVN (networkBackend "ovn") RT1 SNATs only its own subnets unless Neutron sets [ovn] ovn_router_indirect_snat = true (default false), so the services would never reach a mirror; use serviceEgressRouter "inner" (RT2 gets its own external gateway; the default on "ovn"), or, if your cloud sets ovn_router_indirect_snat = true, set ovnRouterIndirectSnat: true',
    );
  }
  if (args.serviceEgressRouter === "inner" && !serviceInternetEgress) {
    problems.add(
      "serviceEgressRouter",
      serviceEgressRouter,
      "gives RT2 an external gateway, yet serviceInternetEgress is false; drop serviceEgressRouter or enable egress",
    );
  }
  const hints = args.networkAvailabilityZoneHints ?? [];
  if (ok("networkAvailabilityZoneHints")) {
    hints.forEach((zone, i) => {
      if (hints.indexOf(zone) !== i)
        problems.add(`networkAvailabilityZoneHints[${i}]`, zone, `repeats "${zone}"; list each zone once`);
    });
  }
  problems.throwIfAny();

  const readinessTimeout = args.frontendReadinessTimeoutSeconds ?? DEFAULT_READINESS_TIMEOUT_S;
  const innerRouterExternalGateway = serviceInternetEgress && serviceEgressRouter === "inner";
  const installDir = DEFAULT_INSTALL_DIR;
  const serviceTimeoutMs = args.serviceTimeoutMs ?? DEFAULT_SERVICE_TIMEOUT_MS;
  // Both are known to be valid here (problems.throwIfAny above).
  const frontendNet = frontendCidr!;
  const serviceNet = serviceCidr!;

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
        NODE_BINARY,
        bundle("frontend"),
        "--host",
        frontendIp,
        "--port",
        String(frontendPort),
        ...OPERATION_NAMES.flatMap((name) => [`--${name}-url`, serviceUrls[name]]),
        "--service-timeout-ms",
        String(serviceTimeoutMs),
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
      cidr: frontendNet.text,
      gatewayIp: frontendGatewayIp,
      allocationPools: poolsExcluding(frontendNet.text, [...net1.keys()]),
      // The lab's bug: the front end had no route to Net2. DHCP (option 121) now hands it out.
      hostRoutes: [{ destinationCidr: serviceNet.text, nextHop: innerRouterFrontendIp }],
    },
    serviceSubnet: {
      cidr: serviceNet.text,
      gatewayIp: serviceGatewayIp,
      allocationPools: poolsExcluding(serviceNet.text, [...net2.keys()]),
      hostRoutes: [],
    },
    innerRouterFrontendIp,
    servers,
    // With its own gateway RT2 needs no route to RT1, nor RT1 a way back to Net2.
    routerRoutes:
      serviceInternetEgress && !innerRouterExternalGateway
        ? [
            // RT2 sends everything that is not Net1/Net2 to RT1; RT1 needs the way back to Net2.
            { router: "inner", destinationCidr: "0.0.0.0/0", nextHop: frontendGatewayIp },
            { router: "outer", destinationCidr: serviceNet.text, nextHop: innerRouterFrontendIp },
          ]
        : [],
    frontendRules: [
      { protocol: "tcp", port: frontendPort, remoteCidr: clientCidr, description: "calculator front end from clients" },
      ...(sshClientCidr
        ? [{ protocol: "tcp" as const, port: 22, remoteCidr: sshClientCidr, description: "SSH from admins" }]
        : []),
    ],
    // Only the front end calls the services: its address, not all of Net1.
    serviceRules: OPERATION_NAMES.map((name) => ({
      protocol: "tcp" as const,
      port: servicePorts[name],
      remoteCidr: `${frontendIp}/32`,
      description: `${name} service from the front end`,
    })),
    serviceUrls,
    nodejsSource: nodejsSource as TwoTierCalculatorPlan["nodejsSource"],
    installDir,
    serviceInternetEgress,
    serviceEgressRouter: serviceEgressRouter as TwoTierCalculatorPlan["serviceEgressRouter"],
    innerRouterExternalGateway,
    availabilityZone: args.availabilityZone,
    networkAvailabilityZoneHints: [...hints],
    readiness:
      readinessTimeout > 0
        ? {
            timeoutSeconds: readinessTimeout,
            expression: READINESS_EXPRESSION,
            expected: READINESS_EXPECTED,
            // The seed's layout on a cloud whose backend was not given: on ML2/OVN the
            // services never reach the mirror, and only this check can tell.
            ...(serviceInternetEgress &&
            serviceEgressRouter === "outer" &&
            nodejsSource === "package" &&
            args.networkBackend === undefined
              ? { hint: OVN_READINESS_HINT }
              : {}),
          }
        : undefined,
  };
}
