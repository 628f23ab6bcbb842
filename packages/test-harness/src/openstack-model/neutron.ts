// Neutron: networks, subnets (fixed IPs from allocation pools), routers and their interfaces,
// ports, floating IPs and security groups, with the refusals Neutron (or the OpenStack
// provider's own checks, where it checks first) makes, in their words.
import { createHash } from "node:crypto";
import {
  cidrContains,
  cidrsOverlap,
  defaultGateway,
  formatIpv4,
  hostRange,
  isIpv4,
  parseCidr,
  parseIpv4,
} from "@openstack-blueprints/components/src/network/cidr";
import type { ExistingCloud } from "./cloud";
import { arr, CreateContext, IdSource, Inputs, neutron, str } from "./common";

export interface NetworkObj {
  id: string;
  name: string;
  external: boolean;
  portSecurity: boolean;
}
export interface SubnetObj {
  id: string;
  name: string;
  networkId: string;
  cidr: string;
  gatewayIp?: string;
  pools: { start: number; end: number }[];
  allocated: Set<string>;
}
/**
 * subnetIds maps each attached subnet to the router interface that attached it; gatewaySubnetIds
 * are the external subnets the router's gateway port has an address on.
 */
export interface RouterObj {
  id: string;
  name: string;
  externalNetworkId?: string;
  gatewaySubnetIds: string[];
  subnetIds: Map<string, string>;
}
export interface PortObj {
  id: string;
  name: string;
  networkId: string;
  fixedIps: { subnetId: string; ipAddress: string }[];
}
export interface SecGroupObj {
  id: string;
  name: string;
  ruleKeys: Map<string, string>;
}
export interface FloatingIpObj {
  id: string;
  address: string;
  networkId: string;
  portId?: string;
}

export class Neutron {
  readonly networks = new Map<string, NetworkObj>();
  readonly subnets = new Map<string, SubnetObj>();
  readonly routers = new Map<string, RouterObj>();
  readonly ports = new Map<string, PortObj>();
  readonly secGroups = new Map<string, SecGroupObj>();
  readonly floatingIps = new Map<string, FloatingIpObj>();

  constructor(
    existing: ExistingCloud,
    private readonly ids: IdSource,
  ) {
    for (const n of existing.networks) {
      this.networks.set(n.id, { id: n.id, name: n.name, external: n.external ?? false, portSecurity: true });
      for (const s of n.subnets ?? [])
        this.addSubnet(s.id, s.name ?? s.id, n.id, s.cidr, s.gatewayIp, s.pool ? [s.pool] : undefined);
    }
    for (const g of existing.secGroups) this.secGroups.set(g.id, { id: g.id, name: g.name, ruleKeys: new Map() });
  }

  private addSubnet(
    id: string,
    name: string,
    networkId: string,
    cidr: string,
    gatewayIp: string | undefined,
    pools?: { start: string; end: string }[],
  ): SubnetObj {
    const range = hostRange(cidr);
    const parsedPools =
      pools && pools.length > 0
        ? pools.map((p) => ({ start: parseIpv4(p.start), end: parseIpv4(p.end) }))
        : defaultPools(cidr, gatewayIp);
    // The gateway address is not taken until a router interface takes it: Neutron lets a port
    // ask for it (the interface then fails), and never hands it out from the pools.
    const subnet: SubnetObj = {
      id,
      name,
      networkId,
      cidr: parseCidr(cidr).text,
      gatewayIp,
      pools: parsedPools,
      allocated: new Set(),
    };
    void range;
    this.subnets.set(id, subnet);
    return subnet;
  }

  findNetwork(args: { name?: string; networkId?: string; external?: boolean }): NetworkObj & { subnetIds: string[] } {
    const match = [...this.networks.values()].filter(
      (n) =>
        (args.name === undefined || n.name === args.name) &&
        (args.networkId === undefined || n.id === args.networkId) &&
        (args.external === undefined || n.external === args.external),
    );
    if (match.length === 0)
      throw neutron(404, `No networks found matching ${JSON.stringify(args)}: your query returned no results.`);
    if (match.length > 1)
      throw neutron(
        409,
        `More than one network found matching ${JSON.stringify(args)}: your query returned more than one result.`,
      );
    const n = match[0];
    return { ...n, subnetIds: [...this.subnets.values()].filter((s) => s.networkId === n.id).map((s) => s.id) };
  }

  findSubnet(args: { subnetId?: string; name?: string }): SubnetObj {
    const s = [...this.subnets.values()].find((x) => x.id === args.subnetId || x.name === args.name);
    if (!s)
      throw neutron(
        404,
        `Subnet ${args.subnetId ?? args.name} could not be found: your query returned no openstack_networking_subnet_v2.`,
      );
    return s;
  }

  createNetwork(name: string, inputs: Inputs) {
    const id = this.ids.next("net", name);
    this.networks.set(id, {
      id,
      name: str(inputs.name) ?? name,
      external: inputs.external === true,
      portSecurity: inputs.portSecurityEnabled !== false,
    });
    return { id, state: { ...inputs, adminStateUp: inputs.adminStateUp ?? true, mtu: inputs.mtu ?? 1450 } };
  }

  createSubnet(name: string, inputs: Inputs) {
    const networkId = str(inputs.networkId);
    if (!networkId || !this.networks.has(networkId)) throw neutron(404, `Network ${networkId} could not be found.`);
    const cidrText = str(inputs.cidr);
    if (!cidrText) throw neutron(400, "Bad subnets request: a subnetpool must be specified in the absence of a cidr.");
    // The provider checks the CIDR itself before it asks Neutron (these two are its messages).
    let cidr;
    try {
      cidr = parseCidr(cidrText, { strict: false });
    } catch {
      throw new Error(`Invalid CIDR ${cidrText}: invalid CIDR address: ${cidrText}`);
    }
    if (cidr.text !== cidrText)
      throw new Error(`cidr ${cidrText} doesn't match subnet address ${cidr.text} for openstack_networking_subnet_v2`);
    for (const other of this.subnets.values()) {
      if (other.networkId === networkId && cidrsOverlap(other.cidr, cidr.text)) {
        throw neutron(
          400,
          `Invalid input for operation: Requested subnet with cidr: ${cidr.text} for network: ${networkId} overlaps with another subnet.`,
        );
      }
    }
    const gatewayIp = inputs.noGateway === true ? undefined : (str(inputs.gatewayIp) ?? defaultGateway(cidr));
    // A gateway outside the subnet is allowed (an on-link route); its network or broadcast address is not.
    if (
      gatewayIp &&
      isIpv4(gatewayIp) &&
      cidrContains(cidr, gatewayIp) &&
      cidr.prefix <= 30 &&
      (parseIpv4(gatewayIp) === cidr.network || parseIpv4(gatewayIp) === cidr.last)
    ) {
      throw neutron(400, "Invalid input for operation: Gateway is not valid on subnet.");
    }
    const pools = arr(inputs.allocationPools).map((p) => ({ start: String(p.start), end: String(p.end) }));
    for (const p of pools) {
      if (
        !isIpv4(p.start) ||
        !isIpv4(p.end) ||
        !cidrContains(cidr, p.start) ||
        !cidrContains(cidr, p.end) ||
        parseIpv4(p.start) > parseIpv4(p.end)
      ) {
        throw neutron(400, `The allocation pool ${p.start}-${p.end} spans beyond the subnet cidr ${cidr.text}.`);
      }
      if (gatewayIp && parseIpv4(p.start) <= parseIpv4(gatewayIp) && parseIpv4(gatewayIp) <= parseIpv4(p.end)) {
        throw neutron(409, `Gateway ip ${gatewayIp} conflicts with allocation pool ${p.start}-${p.end}.`);
      }
    }
    if (inputs.hostRoutes !== undefined) {
      // The Terraform OpenStack provider (2.0 and later) has no host_routes on a subnet: routes are SubnetRoute resources.
      throw new Error(
        `openstack:networking/subnet:Subnet resource '${name}' has a problem: Invalid or unknown key. Examine values at '${name}.hostRoutes'. (hostRoutes is not an input of the provider's Subnet; declare openstack.networking.SubnetRoute resources)`,
      );
    }
    const id = this.ids.next("subnet", name);
    const subnet = this.addSubnet(
      id,
      str(inputs.name) ?? name,
      networkId,
      cidr.text,
      gatewayIp,
      pools.length ? pools : undefined,
    );
    return {
      id,
      state: {
        ...inputs,
        gatewayIp: gatewayIp ?? "",
        enableDhcp: inputs.enableDhcp ?? true,
        allocationPools: subnet.pools.map((p) => ({ start: formatIpv4(p.start), end: formatIpv4(p.end) })),
        ipVersion: inputs.ipVersion ?? 4,
      },
    };
  }

  /** A host route on a subnet (PUT of the subnet's host_routes): Neutron checks the destination and the next hop. */
  createSubnetRoute(name: string, inputs: Inputs) {
    const subnet = this.findSubnet({ subnetId: str(inputs.subnetId) });
    const cidr = parseCidr(subnet.cidr);
    const dest = String(inputs.destinationCidr);
    const nextHop = String(inputs.nextHop);
    try {
      parseCidr(dest);
    } catch {
      throw neutron(400, `Invalid input for host_routes. Reason: '${dest}' is not a valid CIDR.`);
    }
    // Neutron does not check that the next hop is on the subnet (it accepts 10.99.0.254 on 10.61.0.0/24).
    void cidr;
    void nextHop;
    return { id: `${subnet.id}-route-${dest}-${nextHop}`, state: { ...inputs } };
  }

  createRouter(name: string, inputs: Inputs) {
    const externalNetworkId = str(inputs.externalNetworkId);
    const state: Inputs = { ...inputs, adminStateUp: inputs.adminStateUp ?? true };
    if (externalNetworkId) {
      const net = this.networks.get(externalNetworkId);
      if (!net) throw neutron(404, `Network ${externalNetworkId} could not be found.`);
      if (!net.external)
        throw neutron(400, `Bad router request: Network ${externalNetworkId} is not an external network.`);
      const extSubnet = [...this.subnets.values()].find((s) => s.networkId === externalNetworkId);
      if (extSubnet) state.externalFixedIps = [{ subnetId: extSubnet.id, ipAddress: this.allocate(extSubnet) }];
    }
    const gatewaySubnetIds = ((state.externalFixedIps ?? []) as { subnetId: string }[]).map((f) => f.subnetId);
    const id = this.ids.next("router", name);
    this.routers.set(id, {
      id,
      name: str(inputs.name) ?? name,
      externalNetworkId,
      gatewaySubnetIds,
      subnetIds: new Map(),
    });
    return { id, state };
  }

  createRouterInterface(name: string, inputs: Inputs) {
    const routerId = str(inputs.routerId);
    const router = routerId ? this.routers.get(routerId) : undefined;
    if (!router) throw neutron(404, `Router ${routerId} could not be found.`);
    let subnet: SubnetObj | undefined;
    const portId = str(inputs.portId);
    const subnetId = str(inputs.subnetId);
    if (portId) {
      const port = this.ports.get(portId);
      if (!port) throw neutron(404, `Port ${portId} could not be found.`);
      subnet = this.subnets.get(port.fixedIps[0]?.subnetId ?? "");
      if (!subnet) throw neutron(400, "Bad router request: Router port must have at least one fixed IP.");
    } else {
      subnet = subnetId ? this.subnets.get(subnetId) : undefined;
      if (!subnet) throw neutron(404, `Subnet ${subnetId} could not be found.`);
      if (!subnet.gatewayIp)
        throw neutron(400, "Bad router request: Subnet for router interface must have a gateway IP.");
    }
    if (router.subnetIds.has(subnet.id)) {
      throw neutron(400, `Bad router request: Router already has a port on subnet ${subnet.id}.`);
    }
    // The router's gateway subnet counts too: a tenant subnet inside 172.24.4.0/24 cannot join a router with a gateway there.
    for (const otherId of [...router.gatewaySubnetIds, ...router.subnetIds.keys()]) {
      const other = this.subnets.get(otherId)!;
      if (cidrsOverlap(other.cidr, subnet.cidr)) {
        throw neutron(
          400,
          `Bad router request: Cidr ${subnet.cidr} of subnet ${subnet.id} overlaps with cidr ${other.cidr} of subnet ${other.id}.`,
        );
      }
    }
    // By subnet, the interface takes the subnet's gateway address: a port may have taken it first.
    if (!portId && subnet.gatewayIp) this.allocate(subnet, subnet.gatewayIp, { gateway: true });
    const id = this.ids.next("ri", name);
    router.subnetIds.set(subnet.id, id);
    return { id, state: { ...inputs, subnetId: subnet.id, portId: portId ?? this.ids.next("port-ri", name) } };
  }

  /**
   * Takes an address of the subnet: the one asked for, or the first free one of its pools. A
   * port may ask for the gateway address (Neutron allows it; the router interface then fails).
   */
  allocate(subnet: SubnetObj, wanted?: string, opts: { gateway?: boolean } = {}): string {
    if (wanted) {
      const range = hostRange(subnet.cidr);
      const network = formatIpv4(parseCidr(subnet.cidr).network);
      if (!isIpv4(wanted) || !cidrContains(subnet.cidr, wanted) || (range.count > 2 && wanted === network)) {
        throw neutron(
          400,
          `IP address ${wanted} is not a valid IP for the specified subnet ${subnet.id} (${subnet.cidr}).`,
        );
      }
      if (subnet.allocated.has(wanted) && opts.gateway) {
        throw neutron(
          409,
          `IP address ${wanted} already allocated in subnet ${subnet.id}: a port holds the subnet's gateway address, which the router interface needs.`,
        );
      }
      if (subnet.allocated.has(wanted))
        throw neutron(409, `IP address ${wanted} already allocated in subnet ${subnet.id}.`);
      subnet.allocated.add(wanted);
      return wanted;
    }
    for (const pool of subnet.pools) {
      for (let a = pool.start; a <= pool.end; a++) {
        const ip = formatIpv4(a);
        if (!subnet.allocated.has(ip)) {
          subnet.allocated.add(ip);
          return ip;
        }
      }
    }
    throw neutron(409, `No more IP addresses available on network ${subnet.networkId} (subnet ${subnet.id}).`);
  }

  createPort(name: string, inputs: Inputs) {
    const networkId = str(inputs.networkId);
    if (!networkId || !this.networks.has(networkId)) throw neutron(404, `Network ${networkId} could not be found.`);
    const requested = arr(inputs.fixedIps);
    const fixedIps: { subnetId: string; ipAddress: string }[] = [];
    if (requested.length === 0 && inputs.noFixedIp !== true) {
      const subnet = [...this.subnets.values()].find((s) => s.networkId === networkId);
      if (subnet) fixedIps.push({ subnetId: subnet.id, ipAddress: this.allocate(subnet) });
    }
    for (const f of requested) {
      const subnetId = str(f.subnetId);
      const subnet = subnetId ? this.subnets.get(subnetId) : undefined;
      if (!subnet) throw neutron(404, `Subnet ${subnetId} could not be found.`);
      if (subnet.networkId !== networkId) {
        throw neutron(
          400,
          `Invalid input for operation: Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${subnet.id}.`,
        );
      }
      fixedIps.push({ subnetId: subnet.id, ipAddress: this.allocate(subnet, str(f.ipAddress)) });
    }
    const groups = (Array.isArray(inputs.securityGroupIds) ? inputs.securityGroupIds : []) as string[];
    for (const sg of groups) {
      if (!this.secGroups.has(sg)) throw neutron(404, `Security group ${sg} does not exist.`);
    }
    // A port inherits port security from its network unless it sets its own.
    const portSecurity =
      typeof inputs.portSecurityEnabled === "boolean"
        ? inputs.portSecurityEnabled
        : this.networks.get(networkId)!.portSecurity;
    if (groups.length > 0 && (!portSecurity || fixedIps.length === 0)) {
      throw neutron(
        400,
        "Port security must be enabled and port must have an IP address in order to use security groups.",
      );
    }
    const id = this.ids.next("port", name);
    this.ports.set(id, { id, name: str(inputs.name) ?? name, networkId, fixedIps });
    return {
      id,
      state: {
        ...inputs,
        allFixedIps: fixedIps.map((f) => f.ipAddress),
        fixedIps: fixedIps.map((f) => ({ subnetId: f.subnetId, ipAddress: f.ipAddress })),
        macAddress: macFor(id),
        adminStateUp: inputs.adminStateUp ?? true,
      },
    };
  }

  private externalNetworkFor(inputs: Inputs): NetworkObj {
    const pool = str(inputs.pool);
    const net = [...this.networks.values()].find((n) => n.id === pool || n.name === pool);
    if (!net) throw new Error(`No network found with name: ${pool}`); // the provider's lookup of the pool by name
    if (!net.external) throw neutron(400, `Bad floatingip request: Network ${net.id} is not a valid external network.`);
    return net;
  }

  createFloatingIp(ctx: CreateContext) {
    const net = this.externalNetworkFor(ctx.inputs);
    const subnet = [...this.subnets.values()].find((s) => s.networkId === net.id);
    if (!subnet) throw neutron(400, `External network ${net.id} has no subnet to allocate floating IPs from.`);
    const address = this.allocate(subnet, str(ctx.inputs.address));
    const id = this.ids.next("fip", ctx.name);
    const fip: FloatingIpObj = { id, address, networkId: net.id };
    this.floatingIps.set(id, fip);
    const portId = str(ctx.inputs.portId);
    if (portId) this.associate(fip, portId, str(ctx.inputs.fixedIp), ctx);
    return {
      id,
      state: { ...ctx.inputs, address, fixedIp: portId ? this.ports.get(portId)!.fixedIps[0].ipAddress : "" },
    };
  }

  createFloatingIpAssociate(ctx: CreateContext) {
    const address = str(ctx.inputs.floatingIp);
    const fip = [...this.floatingIps.values()].find((f) => f.address === address);
    if (!fip)
      throw new Error(
        `Unable to get ID of openstack_networking_floatingip_associate_v2 floating_ip ${address}: there are no openstack_networking_floatingip_v2 with ${address} IP`,
      );
    const portId = str(ctx.inputs.portId);
    if (!portId) throw neutron(400, "A floating IP association needs a port.");
    this.associate(fip, portId, str(ctx.inputs.fixedIp), ctx);
    return { id: fip.id, state: { ...ctx.inputs, fixedIp: this.ports.get(portId)!.fixedIps[0].ipAddress } };
  }

  /**
   * Neutron associates a floating IP only with a port whose subnet is attached to a router
   * that has a gateway on the floating IP's network. The program must also wait for that
   * router interface (depend on it), or the association races its creation.
   */
  private associate(fip: FloatingIpObj, portId: string, fixedIp: string | undefined, ctx: CreateContext): void {
    const port = this.ports.get(portId);
    if (!port) throw neutron(404, `Port ${portId} could not be found.`);
    // A floating IP associated with another port moves to this one (Neutron allows it).
    const fixed = fixedIp ? port.fixedIps.find((f) => f.ipAddress === fixedIp) : port.fixedIps[0];
    if (!fixed)
      throw neutron(400, `Bad floatingip request: Port ${portId} does not have fixed ip ${fixedIp ?? "(any)"}.`);
    const router = [...this.routers.values()].find(
      (r) => r.subnetIds.has(fixed.subnetId) && r.externalNetworkId === fip.networkId,
    );
    if (!router) {
      throw neutron(
        404,
        `External network ${fip.networkId} is not reachable from subnet ${fixed.subnetId}. ` +
          `Therefore, cannot associate Port ${portId} with a Floating IP.`,
      );
    }
    const interfaceUrn = ctx.urnOfId(router.subnetIds.get(fixed.subnetId)!);
    if (interfaceUrn !== undefined && !ctx.dependsOn(interfaceUrn)) {
      throw neutron(
        404,
        `External network ${fip.networkId} is not reachable from subnet ${fixed.subnetId} yet: ` +
          `${ctx.name} does not depend on the router interface joining that subnet to router ${router.name}, ` +
          `so it can run before the interface exists. Add it (or its component) to dependsOn.`,
      );
    }
    fip.portId = portId;
  }

  createSecGroup(name: string, inputs: Inputs) {
    const id = this.ids.next("secgroup", name);
    const group: SecGroupObj = { id, name: str(inputs.name) ?? name, ruleKeys: new Map() };
    // Neutron gives every new group an egress-any rule for IPv4 and one for IPv6, unless the provider deletes them.
    if (inputs.deleteDefaultRules !== true) {
      for (const ethertype of ["IPv4", "IPv6"])
        group.ruleKeys.set(ruleKey("egress", ethertype), `${id}-default-egress-${ethertype}`);
    }
    this.secGroups.set(id, group);
    return { id, state: { ...inputs, deleteDefaultRules: inputs.deleteDefaultRules ?? false } };
  }

  createSecGroupRule(name: string, inputs: Inputs) {
    const groupId = str(inputs.securityGroupId);
    const group = groupId ? this.secGroups.get(groupId) : undefined;
    if (!group) throw neutron(404, `Security group ${groupId} does not exist.`);
    const direction = str(inputs.direction);
    if (direction !== "ingress" && direction !== "egress")
      throw new Error(`unknown "${direction}" direction for openstack_networking_secgroup_rule_v2`); // the provider's check
    const ethertype = str(inputs.ethertype) ?? "IPv4";
    const protocol = str(inputs.protocol);
    const min = typeof inputs.portRangeMin === "number" ? inputs.portRangeMin : undefined;
    const max = typeof inputs.portRangeMax === "number" ? inputs.portRangeMax : undefined;
    // The OpenStack provider's own check (Terraform provider 3.x: RequiredWith), before any request.
    if ((min === undefined) !== (max === undefined)) {
      throw new Error(
        `openstack:networking/secGroupRule:SecGroupRule resource '${name}' has a problem: Missing required argument. "port_range_min": all of \`port_range_max,port_range_min,protocol\` must be specified.`,
      );
    }
    if ((protocol === "tcp" || protocol === "udp") && min !== undefined && (max === undefined || min > max)) {
      throw neutron(400, `For TCP/UDP protocols, port_range_min must be <= port_range_max`);
    }
    const remoteIp = str(inputs.remoteIpPrefix);
    const remoteGroup = str(inputs.remoteGroupId);
    if (remoteIp && remoteGroup)
      throw new Error('Conflicting configuration arguments. "remote_group_id": conflicts with remote_ip_prefix'); // the provider's check
    if (remoteGroup && !this.secGroups.has(remoteGroup))
      throw neutron(404, `Security group ${remoteGroup} does not exist.`);
    if (remoteIp) {
      try {
        parseCidr(remoteIp, { strict: false });
      } catch {
        throw neutron(400, `Invalid CIDR ${remoteIp} given as IP prefix.`);
      }
    }
    const key = ruleKey(direction, ethertype, protocol, min, max, remoteIp, remoteGroup);
    const existing = group.ruleKeys.get(key);
    if (existing) throw neutron(409, `Security group rule already exists. Rule id is ${existing}.`);
    const id = this.ids.next("rule", name);
    group.ruleKeys.set(key, id);
    return { id, state: { ...inputs, ethertype } };
  }
}

/** The key of a security group rule, for Neutron's duplicate check. */
function ruleKey(
  direction: string,
  ethertype: string,
  protocol?: string,
  min?: number,
  max?: number,
  remoteIp?: string,
  remoteGroup?: string,
): string {
  return JSON.stringify([
    direction,
    ethertype,
    protocol ?? null,
    min ?? null,
    max ?? null,
    remoteIp ?? null,
    remoteGroup ?? null,
  ]);
}

function defaultPools(cidr: string, gatewayIp: string | undefined): { start: number; end: number }[] {
  const range = hostRange(cidr);
  const first = parseIpv4(range.first);
  const last = parseIpv4(range.last);
  if (!gatewayIp || !cidrContains(cidr, gatewayIp)) return [{ start: first, end: last }];
  const gw = parseIpv4(gatewayIp);
  const pools: { start: number; end: number }[] = [];
  if (gw > first) pools.push({ start: first, end: gw - 1 });
  if (gw < last) pools.push({ start: gw + 1, end: last });
  return pools;
}

function macFor(id: string): string {
  const h = createHash("sha256").update(id).digest();
  return ["fa", "16", "3e", ...[0, 1, 2].map((i) => h[i].toString(16).padStart(2, "0"))].join(":");
}
