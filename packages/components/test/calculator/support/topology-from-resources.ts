// Reads the network a Pulumi program would build out of the resources the mock harness
// recorded (subnets, routers, router interfaces, router routes, ports, instances, floating IP
// associations) — the netns test builds exactly this, never a hand-written copy.
import { type ExistingCloud, type RecordedResource, T } from "@openstack-blueprints/test-harness";
import { parseCloudConfig } from "../../../src/cloudinit/cloud-config";
import { execStartOfUnit } from "../../../src/calculator/calculator-user-data";

export interface LabNetwork {
  id: string;
  name: string;
  cidr: string;
  gatewayIp?: string;
  hostRoutes: { destinationCidr: string; nextHop: string }[];
}
export interface LabInterface {
  networkId: string;
  ip: string;
}
export interface LabRouter {
  name: string;
  interfaces: LabInterface[];
  external?: LabInterface;
  routes: { destinationCidr: string; nextHop: string }[];
}
export interface LabFile {
  path: string;
  content: string;
}
export interface LabServer {
  name: string;
  networkId: string;
  ip: string;
  userData: string;
  files: LabFile[];
  unitName: string;
  execStart: string[];
}
export interface LabFloatingIp {
  address: string;
  fixedIp: string;
  routerName: string;
}
export interface LabTopology {
  networks: LabNetwork[];
  routers: LabRouter[];
  servers: LabServer[];
  floatingIps: LabFloatingIp[];
}

const ROUTER_ROUTE = "openstack:networking/routerRoute:RouterRoute";

export function topologyFromResources(resources: RecordedResource[], cloud: ExistingCloud): LabTopology {
  const of = (type: string) => resources.filter((r) => r.type === type);
  const byId = new Map(resources.filter((r) => r.custom).map((r) => [r.id, r]));
  const get = (id: string, what: string): RecordedResource => {
    const r = byId.get(id);
    if (!r) throw new Error(`no recorded resource with id ${id} (${what})`);
    return r;
  };

  const networks: LabNetwork[] = of(T.subnet).map((s) => ({
    id: s.inputs.networkId,
    name: get(s.inputs.networkId, "subnet's network").name,
    cidr: s.inputs.cidr,
    gatewayIp: s.inputs.gatewayIp,
    hostRoutes: of(T.subnetRoute)
      .filter((r) => r.inputs.subnetId === s.id)
      .map((r) => ({ destinationCidr: r.inputs.destinationCidr, nextHop: r.inputs.nextHop })),
  }));
  for (const net of cloud.networks.filter((n) => n.external)) {
    for (const subnet of net.subnets ?? [])
      networks.push({ id: net.id, name: net.name, cidr: subnet.cidr, gatewayIp: subnet.gatewayIp, hostRoutes: [] });
  }
  const subnetById = new Map(of(T.subnet).map((s) => [s.id, s]));
  const portFixedIp = (portId: string) => {
    const port = get(portId, "port");
    const fixed = port.inputs.fixedIps?.[0];
    if (!fixed?.ipAddress) throw new Error(`port ${port.name} has no fixed IP in its inputs`);
    return {
      networkId: port.inputs.networkId as string,
      ip: fixed.ipAddress as string,
      subnetId: fixed.subnetId as string,
    };
  };

  const routers: LabRouter[] = of(T.router).map((router) => {
    const interfaces = of(T.routerInterface)
      .filter((i) => i.inputs.routerId === router.id)
      .map((i): LabInterface => {
        if (i.inputs.portId) {
          const { networkId, ip } = portFixedIp(i.inputs.portId);
          return { networkId, ip };
        }
        const subnet = subnetById.get(i.inputs.subnetId);
        if (!subnet?.inputs.gatewayIp)
          throw new Error(`router interface ${i.name} names subnet ${i.inputs.subnetId} without a gateway`);
        return { networkId: subnet.inputs.networkId, ip: subnet.inputs.gatewayIp };
      });
    const externalIp = router.state.externalFixedIps?.[0]?.ipAddress;
    return {
      name: router.name,
      interfaces,
      external:
        router.inputs.externalNetworkId && externalIp
          ? { networkId: router.inputs.externalNetworkId, ip: externalIp }
          : undefined,
      routes: of(ROUTER_ROUTE)
        .filter((r) => r.inputs.routerId === router.id)
        .map((r) => ({ destinationCidr: r.inputs.destinationCidr, nextHop: r.inputs.nextHop })),
    };
  });

  const servers: LabServer[] = of(T.instance).map((instance) => {
    const { networkId, ip } = portFixedIp(instance.inputs.networks[0].port);
    const doc = parseCloudConfig(instance.inputs.userData);
    const files = (doc.write_files ?? []).map((f) => ({ path: f.path, content: f.content }));
    const unit = files.find((f) => f.path.startsWith("/etc/systemd/system/") && f.path.endsWith(".service"));
    if (!unit) throw new Error(`${instance.name}'s user data writes no systemd unit`);
    return {
      name: instance.name,
      networkId,
      ip,
      userData: instance.inputs.userData,
      files,
      unitName: unit.path.split("/").pop()!,
      execStart: execStartOfUnit(unit.content),
    };
  });

  const floatingIps: LabFloatingIp[] = of(T.floatingIpAssociate).map((assoc) => {
    const { ip, subnetId } = portFixedIp(assoc.inputs.portId);
    const router = of(T.router).find(
      (r) =>
        r.inputs.externalNetworkId &&
        of(T.routerInterface).some((i) => i.inputs.routerId === r.id && i.inputs.subnetId === subnetId),
    );
    if (!router)
      throw new Error(`floating IP ${assoc.inputs.floatingIp}: no router with a gateway serves subnet ${subnetId}`);
    return { address: assoc.inputs.floatingIp, fixedIp: ip, routerName: router.name };
  });

  return { networks, routers, servers, floatingIps };
}
