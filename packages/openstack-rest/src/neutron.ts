/** Neutron (network) API: networks, subnets, ports, routers, security groups and rules, floating IPs. */
import { OpenStackError } from "./errors";
import { Session } from "./session";
import { enc } from "./nova";

export interface Network {
  id: string;
  name: string;
  status: string;
  "router:external"?: boolean;
  shared?: boolean;
  subnets: string[];
  project_id: string;
  mtu?: number;
}
export interface Subnet {
  id: string;
  name: string;
  network_id: string;
  cidr: string;
  ip_version: number;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  allocation_pools?: { start: string; end: string }[];
  dns_nameservers?: string[];
}
export interface Port {
  id: string;
  name: string;
  network_id: string;
  device_id: string;
  device_owner: string;
  mac_address: string;
  status: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  security_groups: string[];
  port_security_enabled?: boolean;
  project_id: string;
}
export interface Router {
  id: string;
  name: string;
  status: string;
  external_gateway_info: {
    network_id: string;
    enable_snat?: boolean;
    external_fixed_ips?: { subnet_id: string; ip_address: string }[];
  } | null;
  project_id: string;
}
export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  project_id: string;
  security_group_rules: SecurityGroupRule[];
  stateful?: boolean;
}
export interface SecurityGroupRule {
  id: string;
  security_group_id: string;
  direction: "ingress" | "egress";
  ethertype: "IPv4" | "IPv6";
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  remote_address_group_id?: string | null;
  description?: string;
}
export type NewSecurityGroupRule = Omit<SecurityGroupRule, "id">;
/** A Neutron address group (extension `address-group`): a named set of CIDRs a rule can use as its remote. */
export interface AddressGroup {
  id: string;
  name: string;
  description?: string;
  addresses: string[];
  project_id: string;
}
export interface FloatingIp {
  id: string;
  floating_ip_address: string;
  floating_network_id: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  status: string;
  project_id: string;
  router_id?: string | null;
  description?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

export class Neutron {
  constructor(private readonly session: Session) {}

  private async call<T>(
    method: string,
    path: string,
    extra: { body?: unknown; query?: Query; okStatuses?: number[] } = {},
  ): Promise<T> {
    return (await this.session.json<T>("network", { method, path, ...extra })).body;
  }

  /** Lists a collection following `<key>_links` next (Neutron pagination, when enabled). */
  private async list<T>(collection: string, query: Query = {}): Promise<T[]> {
    const out: T[] = [];
    let path = `/${collection.replace(/_/g, "-")}`;
    let q: Query | undefined = query;
    const seen = new Set<string>();
    for (;;) {
      const r = await this.call<Record<string, unknown>>("GET", path, { query: q });
      const items = (r[collection] as T[]) ?? [];
      out.push(...items);
      const next = (r[`${collection}_links`] as { rel: string; href: string }[] | undefined)?.find(
        (l) => l.rel === "next",
      )?.href;
      if (!next || seen.has(next) || items.length === 0) return out;
      seen.add(next);
      path = next;
      q = undefined;
    }
  }

  private async getOne<T>(collection: string, singular: string, id: string): Promise<T | undefined> {
    try {
      return (await this.call<Record<string, T>>("GET", `/${collection}/${enc(id)}`))[singular];
    } catch (e) {
      if (e instanceof OpenStackError && e.status === 404) return undefined;
      throw e;
    }
  }

  private async create<T>(collection: string, singular: string, body: Record<string, unknown>): Promise<T> {
    return (await this.call<Record<string, T>>("POST", `/${collection}`, { body: { [singular]: body } }))[singular];
  }

  private async update<T>(collection: string, singular: string, id: string, body: Record<string, unknown>): Promise<T> {
    return (await this.call<Record<string, T>>("PUT", `/${collection}/${enc(id)}`, { body: { [singular]: body } }))[
      singular
    ];
  }

  private async remove(collection: string, id: string): Promise<void> {
    await this.call("DELETE", `/${collection}/${enc(id)}`, { okStatuses: [404] });
  }

  // networks / subnets
  listNetworks(q: Query = {}): Promise<Network[]> {
    return this.list("networks", q);
  }
  getNetwork(id: string): Promise<Network | undefined> {
    return this.getOne("networks", "network", id);
  }
  createNetwork(b: Partial<Network> & Record<string, unknown>): Promise<Network> {
    return this.create("networks", "network", b);
  }
  deleteNetwork(id: string): Promise<void> {
    return this.remove("networks", id);
  }
  listSubnets(q: Query = {}): Promise<Subnet[]> {
    return this.list("subnets", q);
  }
  createSubnet(b: Record<string, unknown>): Promise<Subnet> {
    return this.create("subnets", "subnet", b);
  }
  deleteSubnet(id: string): Promise<void> {
    return this.remove("subnets", id);
  }

  // ports
  listPorts(q: Query = {}): Promise<Port[]> {
    return this.list("ports", q);
  }
  getPort(id: string): Promise<Port | undefined> {
    return this.getOne("ports", "port", id);
  }
  createPort(b: Record<string, unknown>): Promise<Port> {
    return this.create("ports", "port", b);
  }
  updatePort(id: string, b: Record<string, unknown>): Promise<Port> {
    return this.update("ports", "port", id, b);
  }
  deletePort(id: string): Promise<void> {
    return this.remove("ports", id);
  }

  // routers
  listRouters(q: Query = {}): Promise<Router[]> {
    return this.list("routers", q);
  }
  createRouter(b: Record<string, unknown>): Promise<Router> {
    return this.create("routers", "router", b);
  }
  updateRouter(id: string, b: Record<string, unknown>): Promise<Router> {
    return this.update("routers", "router", id, b);
  }
  deleteRouter(id: string): Promise<void> {
    return this.remove("routers", id);
  }
  async addRouterInterface(routerId: string, b: { subnet_id?: string; port_id?: string }): Promise<void> {
    await this.call("PUT", `/routers/${enc(routerId)}/add_router_interface`, { body: b });
  }
  async removeRouterInterface(routerId: string, b: { subnet_id?: string; port_id?: string }): Promise<void> {
    await this.call("PUT", `/routers/${enc(routerId)}/remove_router_interface`, { body: b, okStatuses: [404] });
  }

  // security groups
  listSecurityGroups(q: Query = {}): Promise<SecurityGroup[]> {
    return this.list("security_groups", q);
  }
  getSecurityGroup(id: string): Promise<SecurityGroup | undefined> {
    return this.getOne("security-groups", "security_group", id);
  }
  /** Creates a group; Neutron adds IPv4 and IPv6 egress-any rules to it automatically. */
  createSecurityGroup(b: { name: string; description?: string }): Promise<SecurityGroup> {
    return this.create("security-groups", "security_group", b);
  }
  deleteSecurityGroup(id: string): Promise<void> {
    return this.remove("security-groups", id);
  }
  listSecurityGroupRules(q: Query = {}): Promise<SecurityGroupRule[]> {
    return this.list("security_group_rules", q);
  }
  /** Creates a rule; a duplicate answers 409 SecurityGroupRuleExists (error.errorType). */
  createSecurityGroupRule(
    b: Partial<NewSecurityGroupRule> & { security_group_id: string; direction: string },
  ): Promise<SecurityGroupRule> {
    return this.create("security-group-rules", "security_group_rule", b);
  }
  deleteSecurityGroupRule(id: string): Promise<void> {
    return this.remove("security-group-rules", id);
  }

  // address groups
  listAddressGroups(q: Query = {}): Promise<AddressGroup[]> {
    return this.list("address_groups", q);
  }
  getAddressGroup(id: string): Promise<AddressGroup | undefined> {
    return this.getOne("address-groups", "address_group", id);
  }
  createAddressGroup(b: { name: string; addresses: string[]; description?: string }): Promise<AddressGroup> {
    return this.create("address-groups", "address_group", b);
  }
  deleteAddressGroup(id: string): Promise<void> {
    return this.remove("address-groups", id);
  }

  // floating IPs
  listFloatingIps(q: Query = {}): Promise<FloatingIp[]> {
    return this.list("floatingips", q);
  }
  getFloatingIp(id: string): Promise<FloatingIp | undefined> {
    return this.getOne("floatingips", "floatingip", id);
  }
  createFloatingIp(b: {
    floating_network_id: string;
    port_id?: string;
    floating_ip_address?: string;
    description?: string;
  }): Promise<FloatingIp> {
    return this.create("floatingips", "floatingip", b);
  }
  /** Associates (port id) or disassociates (null) a floating IP. */
  associateFloatingIp(id: string, portId: string | null): Promise<FloatingIp> {
    return this.update("floatingips", "floatingip", id, { port_id: portId });
  }
  deleteFloatingIp(id: string): Promise<void> {
    return this.remove("floatingips", id);
  }

  /** Neutron quotas of the project (GET /quotas/{project}/details.json where available). */
  async quotaDetails(projectId: string): Promise<Record<string, { limit: number; used: number; reserved: number }>> {
    return (
      await this.call<{ quota: Record<string, { limit: number; used: number; reserved: number }> }>(
        "GET",
        `/quotas/${enc(projectId)}/details.json`,
      )
    ).quota;
  }
}
