// The planned topology of a program, from the resources it registered (as the mock harness
// records them: type, name, id, inputs, state). Pure: what the diagrams draw, nothing more.

/** The fields of a registered resource the topology reads. */
export interface RegisteredResource {
  type: string;
  name: string;
  id: string;
  inputs: Properties;
  state: Properties;
}

/** A resource's inputs or state, or an object within them: plain values, read through str() and friends. */
export type Properties = Record<string, unknown>;

export const TYPES = {
  network: "openstack:networking/network:Network",
  subnet: "openstack:networking/subnet:Subnet",
  router: "openstack:networking/router:Router",
  routerInterface: "openstack:networking/routerInterface:RouterInterface",
  port: "openstack:networking/port:Port",
  floatingIp: "openstack:networking/floatingIp:FloatingIp",
  floatingIpAssociate: "openstack:networking/floatingIpAssociate:FloatingIpAssociate",
  secGroup: "openstack:networking/secGroup:SecGroup",
  secGroupRule: "openstack:networking/secGroupRule:SecGroupRule",
  subnetRoute: "openstack:networking/subnetRoute:SubnetRoute",
  instance: "openstack:compute/instance:Instance",
  remoteCommand: "command:remote:Command",
  /** The dynamic resource S2DMigration registers (module s2d, type S2DMigrationRun). */
  migrationRun: "pulumi-nodejs:dynamic/s2d:S2DMigrationRun",
  image: "openstack:images/image:Image",
  /** The dynamic resource XrdpDesktopImage registers: a baked Glance image. */
  bakedImage: "pulumi-nodejs:dynamic/desktop-image:BakedImage",
} as const;

export interface TopoSubnet {
  id: string;
  name: string;
  cidr: string;
  gatewayIp: string;
}
export interface TopoNetwork {
  id: string;
  name: string;
  external: boolean;
  subnets: TopoSubnet[];
}
export interface TopoAttachment {
  networkId: string;
  ip: string;
}
export interface TopoRouter {
  id: string;
  name: string;
  externalNetworkId?: string;
  externalIp?: string;
  interfaces: TopoAttachment[];
}
/** One ingress opening of a security group, e.g. "tcp 3389 from 192.168.50.0/24". */
export interface TopoGroup {
  id: string;
  name: string;
  openings: string[];
}
export interface TopoServer {
  id: string;
  name: string;
  flavor: string;
  image: string;
  attachments: TopoAttachment[];
  floatingIps: string[];
  groupIds: string[];
  /** How many identical servers this entry stands for (collapsed pools), names first…last. */
  count: number;
  lastName?: string;
}
/** A port with no server (e.g. a VIP or a port kept for later). */
export interface TopoPort {
  id: string;
  name: string;
  attachment: TopoAttachment;
  floatingIps: string[];
  groupIds: string[];
}

/** A machine the program configures over SSH (DevStack host, Ganeti node), with how many steps. */
export interface TopoHost {
  address: string;
  steps: number;
}

/**
 * A server moved from one cloud to another (S2DMigration). Clouds are named by their
 * clouds.yaml entry or by the Keystone host and project — never by anything secret.
 */
export interface TopoMigration {
  name: string;
  sourceCloud: string;
  sourceServer: string;
  targetCloud: string;
  targetServer: string;
  network?: string;
  floatingIp?: string;
}

export interface Topology {
  hosts: TopoHost[];
  migrations: TopoMigration[];
  networks: TopoNetwork[];
  routers: TopoRouter[];
  servers: TopoServer[];
  ports: TopoPort[];
  groups: TopoGroup[];
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");
/** An object within a resource's properties (a nested input), or undefined for anything else. */
const obj = (v: unknown): Properties | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Properties) : undefined;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** "cloud-a" (clouds.yaml entry) or "cloud-a.example / software" (Keystone host / project). */
export function describeCloud(ref: Properties | undefined): string {
  if (!ref) return "?";
  if (str(ref.cloud)) return str(ref.cloud);
  let host = str(ref.authUrl);
  try {
    host = new URL(host).hostname;
  } catch {
    /* not a URL: shown as given */
  }
  return [host, str(ref.project)].filter(Boolean).join(" / ") || "?";
}

/** Ingress rule → "tcp 3389 from 10.0.0.0/24" (egress rules are not openings). */
export function describeOpening(rule: Properties, groupNames: Map<string, string>): string | undefined {
  if ((rule.direction ?? "ingress") !== "ingress") return undefined;
  const protocol = str(rule.protocol) || "any";
  const min = rule.portRangeMin;
  const max = rule.portRangeMax;
  let what = protocol;
  if (protocol === "icmp") what = min === undefined ? "icmp" : `icmp type ${min}`;
  else if (min !== undefined) what = `${protocol} ${min === max || max === undefined ? min : `${min}-${max}`}`;
  const remoteGroupId = str(rule.remoteGroupId);
  const from =
    str(rule.remoteIpPrefix) ||
    (remoteGroupId ? `group ${groupNames.get(remoteGroupId) ?? remoteGroupId}` : "anywhere");
  return `${what} from ${from}`;
}

export interface TopologyOptions {
  /** Networks that exist before the program (external networks), by ID: name and CIDRs. */
  existingNetworks?: Record<string, { name: string; cidrs?: string[] }>;
  /** Collapse identical servers (same networks, groups, flavor, image) when there are more than this many. */
  collapseAbove?: number;
}

export function buildTopology(resources: RegisteredResource[], options: TopologyOptions = {}): Topology {
  const of = (type: string) => resources.filter((r) => r.type === type && r.id);
  const networks = new Map<string, TopoNetwork>();
  for (const n of of(TYPES.network)) {
    networks.set(n.id, {
      id: n.id,
      name: str(n.inputs.name) || n.name,
      external: n.inputs.external === true,
      subnets: [],
    });
  }
  const existing = (id: string) => {
    if (!networks.has(id)) {
      const known = options.existingNetworks?.[id];
      const subnets = (known?.cidrs ?? []).map((cidr, i) => ({
        id: `${id}-subnet-${i}`,
        name: cidr,
        cidr,
        gatewayIp: "",
      }));
      networks.set(id, { id, name: known?.name ?? id, external: true, subnets });
    }
    return networks.get(id)!;
  };
  const subnets = new Map<string, TopoSubnet & { networkId: string }>();
  for (const s of of(TYPES.subnet)) {
    const sub = {
      id: s.id,
      name: str(s.inputs.name) || s.name,
      cidr: str(s.inputs.cidr),
      gatewayIp: str(s.state.gatewayIp ?? s.inputs.gatewayIp),
      networkId: str(s.inputs.networkId),
    };
    subnets.set(s.id, sub);
    (networks.get(sub.networkId) ?? existing(sub.networkId)).subnets.push({
      id: sub.id,
      name: sub.name,
      cidr: sub.cidr,
      gatewayIp: sub.gatewayIp,
    });
  }
  const portsById = new Map(of(TYPES.port).map((p) => [p.id, p]));
  const attachmentOfPort = (p: RegisteredResource): TopoAttachment => {
    const fixed = Array.isArray(p.state.fixedIps) ? p.state.fixedIps : list(p.inputs.fixedIps);
    return { networkId: str(p.inputs.networkId), ip: str(obj(fixed[0])?.ipAddress) };
  };

  const routers = new Map<string, TopoRouter>();
  for (const r of of(TYPES.router)) {
    const externalNetworkId = str(r.inputs.externalNetworkId) || undefined;
    if (externalNetworkId) existing(externalNetworkId);
    routers.set(r.id, {
      id: r.id,
      name: str(r.inputs.name) || r.name,
      externalNetworkId,
      externalIp: str(obj(list(r.state.externalFixedIps)[0])?.ipAddress) || undefined,
      interfaces: [],
    });
  }
  for (const ri of of(TYPES.routerInterface)) {
    const router = routers.get(str(ri.inputs.routerId));
    if (!router) continue; // an existing router: not drawn
    const port = portsById.get(str(ri.inputs.portId));
    if (port) {
      router.interfaces.push(attachmentOfPort(port));
    } else {
      const subnet = subnets.get(str(ri.inputs.subnetId) || str(ri.state.subnetId));
      if (subnet) router.interfaces.push({ networkId: subnet.networkId, ip: subnet.gatewayIp });
    }
  }

  const groupNames = new Map(of(TYPES.secGroup).map((g) => [g.id, str(g.inputs.name) || g.name]));
  const groups = new Map<string, TopoGroup>(
    of(TYPES.secGroup).map((g) => [g.id, { id: g.id, name: groupNames.get(g.id)!, openings: [] }]),
  );
  for (const rule of of(TYPES.secGroupRule)) {
    const opening = describeOpening(rule.inputs, groupNames);
    const group = groups.get(str(rule.inputs.securityGroupId));
    if (opening && group && !group.openings.includes(opening)) group.openings.push(opening);
  }

  const floatingByPort = new Map<string, string[]>();
  const addFloating = (portId: string, address: string) => {
    if (!portId || !address) return;
    floatingByPort.set(portId, [...(floatingByPort.get(portId) ?? []), address]);
  };
  const fipAddress = new Map(of(TYPES.floatingIp).map((f) => [f.id, str(f.state.address)]));
  for (const f of of(TYPES.floatingIp)) addFloating(str(f.inputs.portId), str(f.state.address));
  for (const a of of(TYPES.floatingIpAssociate))
    addFloating(str(a.inputs.portId), str(a.inputs.floatingIp) || fipAddress.get(a.id) || "");

  // Images the program makes are drawn by name (a baked one says so), not by ID.
  const imageNames = new Map<string, string>([
    ...of(TYPES.image).map((i) => [i.id, str(i.inputs.name) || i.name] as [string, string]),
    ...of(TYPES.bakedImage).map((i) => [i.id, `baked ${str(i.state.imageName) || i.name}`] as [string, string]),
  ]);
  const usedPorts = new Set<string>();
  const servers: TopoServer[] = of(TYPES.instance).map((s) => {
    const nets = (Array.isArray(s.state.networks) ? s.state.networks : list(s.inputs.networks)).map(
      (n) => obj(n) ?? {},
    );
    const attachments: TopoAttachment[] = [];
    const floatingIps: string[] = [];
    const groupIds = new Set<string>();
    for (const n of nets) {
      const port = portsById.get(str(n.port));
      if (port) {
        usedPorts.add(port.id);
        attachments.push(attachmentOfPort(port));
        floatingIps.push(...(floatingByPort.get(port.id) ?? []));
        for (const g of (port.inputs.securityGroupIds ?? []) as string[]) groupIds.add(g);
      } else {
        attachments.push({ networkId: str(n.uuid), ip: str(n.fixedIpV4) });
      }
    }
    for (const g of (s.inputs.securityGroups ?? []) as string[]) {
      const byName = [...groups.values()].find((x) => x.name === g);
      groupIds.add(byName?.id ?? g);
    }
    return {
      id: s.id,
      name: str(s.inputs.name) || s.name,
      flavor: str(s.inputs.flavorName) || str(s.inputs.flavorId),
      image: str(s.inputs.imageName) || imageNames.get(str(s.inputs.imageId)) || str(s.inputs.imageId) || "volume",
      attachments,
      floatingIps,
      groupIds: [...groupIds].sort(),
      count: 1,
    };
  });
  const ports: TopoPort[] = of(TYPES.port)
    .filter((p) => !usedPorts.has(p.id) && ![...of(TYPES.routerInterface)].some((ri) => str(ri.inputs.portId) === p.id))
    .map((p) => ({
      id: p.id,
      name: str(p.inputs.name) || p.name,
      attachment: attachmentOfPort(p),
      floatingIps: floatingByPort.get(p.id) ?? [],
      groupIds: ((p.inputs.securityGroupIds ?? []) as string[]).slice().sort(),
    }));

  const steps = new Map<string, number>();
  for (const c of resources.filter((r) => r.type === TYPES.remoteCommand)) {
    const host = str(obj(c.inputs.connection)?.host);
    if (host) steps.set(host, (steps.get(host) ?? 0) + 1);
  }

  const migrations: TopoMigration[] = of(TYPES.migrationRun).map((m) => {
    const server = obj(m.inputs.server) ?? {};
    const sourceServer = str(server.source) || "?";
    return {
      name: m.name,
      sourceCloud: describeCloud(obj(m.inputs.source)),
      sourceServer,
      targetCloud: describeCloud(obj(m.inputs.target)),
      targetServer: str(server.name) || sourceServer,
      network: str(server.network) || undefined,
      floatingIp:
        str(m.state.floatingIp) ||
        (str(server.floatingIp) === "none" ? undefined : str(server.floatingIp) || undefined),
    };
  });

  return {
    hosts: [...steps.entries()].map(([address, n]) => ({ address, steps: n })),
    migrations,
    networks: [...networks.values()].sort((a, b) => Number(b.external) - Number(a.external)),
    routers: [...routers.values()],
    servers: collapse(servers, options.collapseAbove ?? 6),
    ports,
    groups: [...groups.values()],
  };
}

/** Identical servers beyond `above` become one entry "first … last (×N)", as a pool is drawn. */
function collapse(servers: TopoServer[], above: number): TopoServer[] {
  const key = (s: TopoServer) =>
    JSON.stringify([s.attachments.map((a) => a.networkId), s.groupIds, s.flavor, s.image, s.floatingIps.length > 0]);
  const buckets = new Map<string, TopoServer[]>();
  for (const s of servers) buckets.set(key(s), [...(buckets.get(key(s)) ?? []), s]);
  const out: TopoServer[] = [];
  for (const bucket of buckets.values()) {
    if (bucket.length <= above) {
      out.push(...bucket);
      continue;
    }
    const sorted = bucket.slice().sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
    const first = sorted[0];
    const last = sorted[sorted.length - 1];
    out.push({
      ...first,
      attachments: first.attachments.map((a) => ({
        networkId: a.networkId,
        ip: `${a.ip} … ${last.attachments.find((x) => x.networkId === a.networkId)?.ip ?? ""}`,
      })),
      floatingIps: first.floatingIps.length ? [`${first.floatingIps[0]} …`] : [],
      count: bucket.length,
      lastName: last.name,
    });
  }
  return out;
}
