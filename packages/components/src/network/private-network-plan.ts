// Validation and planning for PrivateNetwork: pure, so every refusal is tested without Pulumi,
// and the component refuses bad input before it creates anything.
import { ArgsProblems } from "../errors";
import {
  cidrContains,
  cidrContainsRange,
  defaultGateway,
  formatIpv4,
  hostRange,
  type Ipv4Cidr,
  isIpv4,
  parseCidr,
  parseIpv4,
  parseRange,
} from "./cidr";

export interface AllocationPoolSpec {
  start: string;
  end: string;
}
export interface HostRouteSpec {
  destinationCidr: string;
  nextHop: string;
}

/** The plain (already resolved) settings PrivateNetwork validates. */
export interface PrivateNetworkSpec {
  cidr: string;
  gatewayIp?: string;
  noGateway?: boolean;
  enableDhcp?: boolean;
  allocationPools?: AllocationPoolSpec[];
  dnsNameservers?: string[];
  hostRoutes?: HostRouteSpec[];
  /** True when an external network (name or ID) was given for a router gateway. */
  hasExternalNetwork: boolean;
  createRouter?: boolean;
  hasExistingRouter: boolean;
  internetAccess?: boolean;
  mtu?: number;
}

export interface PrivateNetworkPlan {
  cidr: string;
  gatewayIp?: string;
  enableDhcp: boolean;
  allocationPools: AllocationPoolSpec[];
  dnsNameservers: string[];
  hostRoutes: HostRouteSpec[];
  createRouter: boolean;
  attachToExistingRouter: boolean;
  mtu?: number;
}

/**
 * Validates a PrivateNetwork spec and fills in defaults. Every problem is collected: with
 * `problems` given (a component checking a network as part of its own input) they are added
 * there and the caller throws; otherwise one ComponentArgsError lists them all.
 */
export function planPrivateNetwork(
  component: string,
  spec: PrivateNetworkSpec,
  problems?: ArgsProblems,
): PrivateNetworkPlan {
  const collected = problems ?? new ArgsProblems(component);
  const bad = (field: string, value: unknown, problem: string) => collected.add(field, value, problem);
  const reason = (e: unknown) => (e as Error).message.replace(/^"[^"]*" /, "");

  let cidr: Ipv4Cidr | undefined;
  try {
    cidr = parseCidr(spec.cidr);
  } catch (e) {
    bad("cidr", spec.cidr, reason(e));
  }
  if (cidr && cidr.prefix > 29) {
    bad("cidr", spec.cidr, "is too small for a Neutron subnet with DHCP and a gateway; use /29 or larger (e.g. /24)");
    cidr = undefined;
  }

  if (spec.noGateway && spec.gatewayIp) {
    bad("gatewayIp", spec.gatewayIp, "is set together with noGateway: true; drop one of them");
  }
  let gatewayIp = spec.noGateway ? undefined : (spec.gatewayIp ?? (cidr ? defaultGateway(cidr) : undefined));
  if (spec.gatewayIp !== undefined) {
    if (!isIpv4(spec.gatewayIp)) {
      bad("gatewayIp", spec.gatewayIp, "is not an IPv4 address");
      gatewayIp = undefined;
    } else if (
      cidr &&
      (!cidrContains(cidr, spec.gatewayIp) ||
        spec.gatewayIp === formatIpv4(cidr.network) ||
        spec.gatewayIp === formatIpv4(cidr.last))
    ) {
      bad(
        "gatewayIp",
        spec.gatewayIp,
        `is not a usable host address of ${cidr.text} (hosts ${hostRange(cidr).first}-${hostRange(cidr).last})`,
      );
    }
  }

  const pools = spec.allocationPools ?? [];
  const ranges = pools.map((pool, i) => {
    try {
      return parseRange(pool.start, pool.end);
    } catch (e) {
      bad(`allocationPools[${i}]`, pool, (e as Error).message);
      return undefined;
    }
  });
  pools.forEach((pool, i) => {
    const field = `allocationPools[${i}]`;
    const range = ranges[i];
    if (!range) return;
    if (cidr && !cidrContainsRange(cidr, pool.start, pool.end)) bad(field, pool, `is not inside ${cidr.text}`);
    if (gatewayIp && isIpv4(gatewayIp) && range.start <= parseIpv4(gatewayIp) && parseIpv4(gatewayIp) <= range.end) {
      bad(field, pool, `contains the gateway ${gatewayIp}; start the pool after it or move the gateway`);
    }
    pools.forEach((other, j) => {
      const o = ranges[j];
      if (j <= i || !o) return;
      if (o.start <= range.end && range.start <= o.end)
        bad(field, pool, `overlaps allocationPools[${j}] ${other.start}-${other.end}`);
    });
  });

  const dns = spec.dnsNameservers ?? [];
  dns.forEach((ns, i) => {
    if (!isIpv4(ns)) bad(`dnsNameservers[${i}]`, ns, "is not an IPv4 address");
  });

  const routes = spec.hostRoutes ?? [];
  routes.forEach((route, i) => {
    const field = `hostRoutes[${i}]`;
    try {
      parseCidr(route.destinationCidr);
    } catch (e) {
      bad(`${field}.destinationCidr`, route.destinationCidr, reason(e));
    }
    if (!isIpv4(route.nextHop)) bad(`${field}.nextHop`, route.nextHop, "is not an IPv4 address");
    else if (cidr && !cidrContains(cidr, route.nextHop)) {
      bad(
        `${field}.nextHop`,
        route.nextHop,
        `is not on ${cidr.text}; DHCP can only hand out a next hop the instance can reach directly`,
      );
    }
    if (route.nextHop === gatewayIp && route.destinationCidr === "0.0.0.0/0") {
      bad(field, route, "duplicates the default route the gateway already provides; remove it");
    }
  });

  if (spec.createRouter && spec.hasExistingRouter) {
    bad("createRouter", true, "is set together with existingRouterId; use one or the other");
  }
  const createRouter = spec.createRouter ?? (spec.hasExternalNetwork && !spec.hasExistingRouter);
  if (createRouter && spec.noGateway) {
    bad(
      "noGateway",
      true,
      "leaves the subnet without a gateway IP, so no router can be attached; drop noGateway or createRouter",
    );
  }

  if (spec.internetAccess) {
    // A small firm's first network had instances without internet or DNS for weeks: refuse the
    // half-made network.
    if (!spec.hasExistingRouter && !(createRouter && spec.hasExternalNetwork)) {
      bad(
        "internetAccess",
        true,
        "needs a router with an external gateway: set externalNetworkName (or externalNetworkId) so a router is created, or existingRouterId for a router that has one",
      );
    }
    if (dns.length === 0) {
      bad(
        "dnsNameservers",
        dns,
        "is empty but internetAccess is true: instances would reach the internet yet resolve no names; list resolvers (e.g. your site's, or 9.9.9.9)",
      );
    }
    if (spec.enableDhcp === false) {
      bad(
        "enableDhcp",
        false,
        "is false but internetAccess is true: without DHCP instances get no route or nameservers; enable DHCP",
      );
    }
  }
  if (spec.mtu !== undefined && (!Number.isInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 9000)) {
    bad("mtu", spec.mtu, "is not an MTU between 68 and 9000");
  }
  if (!problems) collected.throwIfAny();

  return {
    cidr: cidr?.text ?? spec.cidr,
    gatewayIp,
    enableDhcp: spec.enableDhcp ?? true,
    allocationPools: pools,
    dnsNameservers: dns,
    hostRoutes: routes,
    createRouter,
    attachToExistingRouter: spec.hasExistingRouter,
    mtu: spec.mtu,
  };
}
