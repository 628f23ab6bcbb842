// Validation and planning for PrivateNetwork: pure, so every refusal is tested without Pulumi,
// and the component refuses bad input before it creates anything.
import {
  cidrContains,
  cidrContainsRange,
  defaultGateway,
  formatIpv4,
  hostRange,
  isIpv4,
  parseCidr,
  parseIpv4,
  parseRange,
} from "./cidr";

export interface AllocationPoolSpec { start: string; end: string; }
export interface HostRouteSpec { destinationCidr: string; nextHop: string; }

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

/** Error for bad component input: names the field, the value and the fix. */
export class InvalidArgumentError extends Error {
  constructor(component: string, field: string, value: unknown, problem: string) {
    super(`${component}: ${field}: ${JSON.stringify(value)} ${problem}`);
    this.name = "InvalidArgumentError";
  }
}

/** Validates a PrivateNetwork spec and fills in defaults. Throws InvalidArgumentError. */
export function planPrivateNetwork(component: string, spec: PrivateNetworkSpec): PrivateNetworkPlan {
  const bad = (field: string, value: unknown, problem: string) => new InvalidArgumentError(component, field, value, problem);

  let cidr;
  try {
    cidr = parseCidr(spec.cidr);
  } catch (e) {
    throw bad("cidr", spec.cidr, (e as Error).message.replace(/^"[^"]*" /, ""));
  }
  if (cidr.prefix > 29) {
    throw bad("cidr", spec.cidr, "is too small for a Neutron subnet with DHCP and a gateway; use /29 or larger (e.g. /24)");
  }

  if (spec.noGateway && spec.gatewayIp) {
    throw bad("gatewayIp", spec.gatewayIp, "is set together with noGateway: true; drop one of them");
  }
  const gatewayIp = spec.noGateway ? undefined : (spec.gatewayIp ?? defaultGateway(cidr));
  if (spec.gatewayIp !== undefined) {
    if (!isIpv4(spec.gatewayIp)) throw bad("gatewayIp", spec.gatewayIp, "is not an IPv4 address");
    if (!cidrContains(cidr, spec.gatewayIp) || spec.gatewayIp === formatIpv4(cidr.network) || spec.gatewayIp === formatIpv4(cidr.last)) {
      throw bad("gatewayIp", spec.gatewayIp, `is not a usable host address of ${cidr.text} (hosts ${hostRange(cidr).first}-${hostRange(cidr).last})`);
    }
  }

  const pools = spec.allocationPools ?? [];
  pools.forEach((pool, i) => {
    const field = `allocationPools[${i}]`;
    let range;
    try {
      range = parseRange(pool.start, pool.end);
    } catch (e) {
      throw bad(field, pool, (e as Error).message);
    }
    if (!cidrContainsRange(cidr, pool.start, pool.end)) throw bad(field, pool, `is not inside ${cidr.text}`);
    if (gatewayIp && range.start <= parseIpv4(gatewayIp) && parseIpv4(gatewayIp) <= range.end) {
      throw bad(field, pool, `contains the gateway ${gatewayIp}; start the pool after it or move the gateway`);
    }
    pools.forEach((other, j) => {
      if (j <= i) return;
      const o = parseRange(other.start, other.end);
      if (o.start <= range.end && range.start <= o.end) throw bad(field, pool, `overlaps allocationPools[${j}] ${other.start}-${other.end}`);
    });
  });

  const dns = spec.dnsNameservers ?? [];
  dns.forEach((ns, i) => {
    if (!isIpv4(ns)) throw bad(`dnsNameservers[${i}]`, ns, "is not an IPv4 address");
  });

  const routes = spec.hostRoutes ?? [];
  routes.forEach((route, i) => {
    const field = `hostRoutes[${i}]`;
    try {
      parseCidr(route.destinationCidr);
    } catch (e) {
      throw bad(`${field}.destinationCidr`, route.destinationCidr, (e as Error).message.replace(/^"[^"]*" /, ""));
    }
    if (!isIpv4(route.nextHop)) throw bad(`${field}.nextHop`, route.nextHop, "is not an IPv4 address");
    if (!cidrContains(cidr, route.nextHop)) {
      throw bad(`${field}.nextHop`, route.nextHop, `is not on ${cidr.text}; DHCP can only hand out a next hop the instance can reach directly`);
    }
    if (route.nextHop === gatewayIp && route.destinationCidr === "0.0.0.0/0") {
      throw bad(field, route, "duplicates the default route the gateway already provides; remove it");
    }
  });

  if (spec.createRouter && spec.hasExistingRouter) {
    throw bad("createRouter", true, "is set together with existingRouterId; use one or the other");
  }
  const createRouter = spec.createRouter ?? (spec.hasExternalNetwork && !spec.hasExistingRouter);
  if (createRouter && !gatewayIp) {
    throw bad("noGateway", true, "leaves the subnet without a gateway IP, so no router can be attached; drop noGateway or createRouter");
  }

  if (spec.internetAccess) {
    // Seed 000 spent weeks on instances without internet and DNS: refuse the half-made network.
    if (!spec.hasExistingRouter && !(createRouter && spec.hasExternalNetwork)) {
      throw bad("internetAccess", true,
        "needs a router with an external gateway: set externalNetworkName (or externalNetworkId) so a router is created, or existingRouterId for a router that has one");
    }
    if (dns.length === 0) {
      throw bad("dnsNameservers", dns,
        "is empty but internetAccess is true: instances would reach the internet yet resolve no names; list resolvers (e.g. your site's, or 9.9.9.9)");
    }
    if (spec.enableDhcp === false) {
      throw bad("enableDhcp", false, "is false but internetAccess is true: without DHCP instances get no route or nameservers; enable DHCP");
    }
  }
  if (spec.mtu !== undefined && (!Number.isInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 9000)) {
    throw bad("mtu", spec.mtu, "is not an MTU between 68 and 9000");
  }

  return {
    cidr: cidr.text,
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
