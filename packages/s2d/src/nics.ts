/**
 * The new server's network interfaces in B: the source's ports, in order, each on the network the
 * spec maps its source network to (`networkMap`), with its fixed IP kept when B's subnet holds it
 * and no port uses it. The first interface falls back to `network` (or B's only private network)
 * without its fixed IP, as before maps existed; an extra interface without a mapping is refused
 * with the list rather than dropped. Pure: the destination check and the boot step share it.
 */
import { BlockList, isIPv4, isIPv6 } from "node:net";
import type { Network, Subnet } from "@openstack-blueprints/openstack-rest";
import type { ServerSpec } from "./spec";

/** A port of the source server, as captured. */
export interface SourcePort {
  networkId: string;
  networkName?: string;
  ips: string[];
}

/** One NIC of the new server, as Nova's `networks` takes it. */
export interface TargetNic {
  uuid: string;
  fixed_ip?: string;
}

export interface NicPlan {
  nics: TargetNic[];
  problems: { field: string; message: string; value?: string }[];
  warnings: string[];
}

export interface NicPlanInput {
  ports: SourcePort[];
  spec: Pick<ServerSpec, "network" | "networkMap" | "keepFixedIps">;
  /** B's networks and subnets as the user sees them. */
  networks: Network[];
  subnets: Subnet[];
  /** Addresses already held by a port in B (address → port id). */
  usedIps: Map<string, string>;
  /** B's network for the first NIC when no mapping names its network (resolveNetwork). */
  defaultNetwork: () => string;
}

function findNet(nets: Network[], ref: string): Network[] {
  const byId = nets.find((n) => n.id === ref);
  return byId ? [byId] : nets.filter((n) => n.name === ref);
}

function subnetHolds(s: Subnet, ip: string): boolean {
  const [base, len] = s.cidr.split("/");
  const family = s.ip_version === 6 ? "ipv6" : "ipv4";
  if ((family === "ipv4" && !isIPv4(ip)) || (family === "ipv6" && !isIPv6(ip))) return false;
  const list = new BlockList();
  list.addSubnet(base, Number(len), family);
  return list.check(ip, family);
}

export function planNics(input: NicPlanInput): NicPlan {
  const { ports, spec, networks, subnets, usedIps } = input;
  const out: NicPlan = { nics: [], problems: [], warnings: [] };
  const map = spec.networkMap ?? [];
  const keep = spec.keepFixedIps !== false;
  map.forEach((m, i) => {
    if (!ports.some((p) => p.networkId === m.source || p.networkName === m.source))
      out.warnings.push(
        `networkMap.${i}.source "${m.source}" names no network of the source server's interfaces (${ports.map((p) => p.networkName ?? p.networkId).join(", ") || "none"}); the entry is unused`,
      );
  });
  ports.forEach((p, i) => {
    const idx = map.findIndex((m) => m.source === p.networkId || m.source === p.networkName);
    const label = `network ${p.networkName ? `${p.networkName} (${p.networkId})` : p.networkId}`;
    if (idx < 0) {
      if (i === 0) {
        try {
          out.nics.push({ uuid: input.defaultNetwork() });
        } catch {
          // resolveNetwork's own problem is reported under "network" by the caller.
        }
        return;
      }
      out.problems.push({
        field: "networkMap",
        message: `interface ${i + 1} of the source server, on ${label} with ${p.ips.join(", ") || "no fixed IP"}, has no target network and would be left behind; add a networkMap entry { source: ${p.networkName ?? p.networkId}, target: <network in B> }, or detach the interface in A`,
      });
      return;
    }
    const target = map[idx].target;
    const found = findNet(networks, target);
    if (found.length !== 1) {
      out.problems.push({
        field: `networkMap.${idx}.target`,
        value: target,
        message: `network ${found.length ? "name is ambiguous" : "not found"} in cloud B (have: ${networks.map((n) => n.name).join(", ") || "none"}); use ${found.length ? "its id" : "one of these names or an id"}`,
      });
      return;
    }
    const net = found[0];
    if (i === 0 && spec.network) {
      const named = findNet(networks, spec.network);
      if (named.length === 1 && named[0].id !== net.id)
        out.problems.push({
          field: "network",
          value: spec.network,
          message: `network and networkMap.${idx} name different networks in B for the first interface (${named[0].name} vs ${net.name}); keep one of them`,
        });
    }
    const nic: TargetNic = { uuid: net.id };
    if (keep && p.ips.length) {
      const ip = p.ips[0];
      if (p.ips.length > 1)
        out.warnings.push(
          `interface ${i + 1} has ${p.ips.length} fixed IPs (${p.ips.join(", ")}); only ${ip} is kept (Nova takes one fixed IP per interface)`,
        );
      const own = subnets.filter((s) => s.network_id === net.id);
      const holder = usedIps.get(ip);
      if (!own.some((s) => subnetHolds(s, ip)))
        out.problems.push({
          field: `networkMap.${idx}`,
          value: ip,
          message: `fixed IP of interface ${i + 1} is in no subnet of network ${net.name} in cloud B (subnets: ${own.map((s) => s.cidr).join(", ") || "none"}); map it to a network whose subnet holds it, add such a subnet, or set keepFixedIps: false to take a new address`,
        });
      else if (holder)
        out.problems.push({
          field: `networkMap.${idx}`,
          value: ip,
          message: `fixed IP of interface ${i + 1} is already used by port ${holder} in network ${net.name} of cloud B; free it there, or set keepFixedIps: false to take a new address`,
        });
      else nic.fixed_ip = ip;
    }
    out.nics.push(nic);
  });
  if (!ports.length) {
    try {
      out.nics.push({ uuid: input.defaultNetwork() });
    } catch {
      // reported under "network" by the caller
    }
  }
  return out;
}
