/**
 * Capacity planning for desktop pools, the way Nova's Placement service counts:
 *   capacity of a host = (total − reserved) × allocation ratio, per resource (vCPU, RAM),
 * and a server must fit on ONE host. Pure functions, used by the component (to fail at preview
 * time) and by the `blueprints capacity` CLI.
 *
 * Ratios: today's Nova defaults are initial_cpu_allocation_ratio = 4.0 and
 * initial_ram_allocation_ratio = 1.0; the seed's 16:1 CPU and 1.5:1 RAM were the defaults until
 * Stein and are offered as the "seed-2017" preset. Reserved host memory defaults to Nova's
 * reserved_host_memory_mb = 512.
 */

export interface HostSpec {
  /** Label in reports; default "host-<n>". */
  name?: string;
  /** Physical cores/threads Nova reports as VCPU inventory. */
  vcpus: number;
  /** RAM in MiB. */
  ramMiB: number;
  /** RAM kept for the host (Nova reserved_host_memory_mb); default 512. */
  reservedRamMiB?: number;
  /** vCPUs kept for the host (Nova reserved_host_cpus); default 0. */
  reservedVcpus?: number;
  /** Identical hosts of this kind; default 1. */
  count?: number;
}

export interface FlavorSpec {
  name: string;
  vcpus: number;
  ramMiB: number;
}

export interface AllocationRatios {
  cpu: number;
  ram: number;
}

export const RATIO_PRESETS: Readonly<Record<string, AllocationRatios>> = {
  /** Nova's initial_*_allocation_ratio defaults since Stein (2019). */
  nova: { cpu: 4.0, ram: 1.0 },
  /** The seed's numbers: Nova's cpu/ram_allocation_ratio defaults before Stein. */
  "seed-2017": { cpu: 16.0, ram: 1.5 },
};

export const DEFAULT_RESERVED_RAM_MIB = 512;

export interface DesktopDemand {
  flavor: string;
  count: number;
}

export interface PlanInput {
  hosts: HostSpec[];
  flavors: FlavorSpec[];
  ratios?: AllocationRatios;
  /** Desktops that occupy capacity (active + shutoff; not shelved_offloaded), by flavor. */
  demand?: DesktopDemand[];
}

export interface HostCapacity {
  name: string;
  vcpuCapacity: number;
  ramCapacityMiB: number;
}

export interface FlavorFit {
  flavor: string;
  /** Desktops of only this flavor that fit on all hosts. */
  desktops: number;
  /** What runs out first on the hosts. */
  limitedBy: "vcpu" | "ram";
}

export interface PlacementResult {
  fits: boolean;
  /** Desktops per host by flavor (first-fit decreasing, one server on one host). */
  perHost: { name: string; desktops: Record<string, number>; vcpusUsed: number; ramMiBUsed: number; vcpuCapacity: number; ramCapacityMiB: number }[];
  requested: { vcpus: number; ramMiB: number; desktops: number };
  capacity: { vcpus: number; ramMiB: number };
  /** Desktops that found no host, by flavor. */
  unplaced: Record<string, number>;
}

export interface CapacityPlan {
  ratios: AllocationRatios;
  hosts: HostCapacity[];
  fitByFlavor: FlavorFit[];
  placement?: PlacementResult;
}

function positive(field: string, value: number, integer = false): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${field} is ${value}; it must be a positive ${integer ? "whole " : ""}number`);
  }
  return value;
}

/** Expands host kinds into individual hosts with their Placement capacity. */
export function hostCapacities(hosts: HostSpec[], ratios: AllocationRatios): HostCapacity[] {
  if (hosts.length === 0) throw new Error("hosts: give at least one compute host (vcpus, ramMiB)");
  positive("ratios.cpu", ratios.cpu);
  positive("ratios.ram", ratios.ram);
  const out: HostCapacity[] = [];
  hosts.forEach((host, i) => {
    positive(`hosts[${i}].vcpus`, host.vcpus, true);
    positive(`hosts[${i}].ramMiB`, host.ramMiB);
    const reservedRam = host.reservedRamMiB ?? DEFAULT_RESERVED_RAM_MIB;
    const reservedCpu = host.reservedVcpus ?? 0;
    if (reservedRam < 0 || reservedRam >= host.ramMiB) throw new Error(`hosts[${i}].reservedRamMiB ${reservedRam} must be at least 0 and less than ramMiB ${host.ramMiB}`);
    if (reservedCpu < 0 || reservedCpu >= host.vcpus) throw new Error(`hosts[${i}].reservedVcpus ${reservedCpu} must be at least 0 and less than vcpus ${host.vcpus}`);
    const count = host.count ?? 1;
    positive(`hosts[${i}].count`, count, true);
    for (let n = 0; n < count; n++) {
      out.push({
        name: count === 1 ? host.name ?? `host-${i + 1}` : `${host.name ?? `host-${i + 1}`}-${n + 1}`,
        vcpuCapacity: Math.floor((host.vcpus - reservedCpu) * ratios.cpu),
        ramCapacityMiB: Math.floor((host.ramMiB - reservedRam) * ratios.ram),
      });
    }
  });
  return out;
}

function checkFlavors(flavors: FlavorSpec[]): Map<string, FlavorSpec> {
  const map = new Map<string, FlavorSpec>();
  flavors.forEach((f, i) => {
    if (!f.name) throw new Error(`flavors[${i}].name is empty`);
    positive(`flavors[${i}] (${f.name}).vcpus`, f.vcpus, true);
    positive(`flavors[${i}] (${f.name}).ramMiB`, f.ramMiB);
    if (map.has(f.name)) throw new Error(`flavors[${i}]: flavor "${f.name}" is listed twice`);
    map.set(f.name, f);
  });
  return map;
}

/** How many desktops of one flavor fit on the hosts (each host counted on its own). */
export function desktopsThatFit(hosts: HostCapacity[], flavor: FlavorSpec): FlavorFit {
  let total = 0;
  let cpuBound = 0;
  let ramBound = 0;
  for (const h of hosts) {
    const byCpu = Math.floor(h.vcpuCapacity / flavor.vcpus);
    const byRam = Math.floor(h.ramCapacityMiB / flavor.ramMiB);
    total += Math.min(byCpu, byRam);
    cpuBound += byCpu;
    ramBound += byRam;
  }
  return { flavor: flavor.name, desktops: total, limitedBy: cpuBound < ramBound ? "vcpu" : "ram" };
}

/**
 * Places the demanded desktops on the hosts, largest first, each on the first host with room.
 * First-fit decreasing can miss a packing that exists, so "fits: false" is slightly conservative
 * for mixed flavors; for one flavor it is exact.
 */
export function placeDesktops(hosts: HostCapacity[], flavors: Map<string, FlavorSpec>, demand: DesktopDemand[]): PlacementResult {
  const state = hosts.map((h) => ({ name: h.name, desktops: {} as Record<string, number>, vcpusUsed: 0, ramMiBUsed: 0, vcpuCapacity: h.vcpuCapacity, ramCapacityMiB: h.ramCapacityMiB }));
  const unplaced: Record<string, number> = {};
  const items: FlavorSpec[] = [];
  demand.forEach((d, i) => {
    const flavor = flavors.get(d.flavor);
    if (!flavor) throw new Error(`demand[${i}]: flavor "${d.flavor}" is not among the flavors (${[...flavors.keys()].join(", ") || "none given"})`);
    if (!Number.isInteger(d.count) || d.count < 0) throw new Error(`demand[${i}] (${d.flavor}).count ${d.count} must be a whole number, 0 or more`);
    for (let n = 0; n < d.count; n++) items.push(flavor);
  });
  items.sort((a, b) => b.ramMiB - a.ramMiB || b.vcpus - a.vcpus);
  for (const f of items) {
    const host = state.find((h) => h.vcpusUsed + f.vcpus <= h.vcpuCapacity && h.ramMiBUsed + f.ramMiB <= h.ramCapacityMiB);
    if (!host) {
      unplaced[f.name] = (unplaced[f.name] ?? 0) + 1;
      continue;
    }
    host.vcpusUsed += f.vcpus;
    host.ramMiBUsed += f.ramMiB;
    host.desktops[f.name] = (host.desktops[f.name] ?? 0) + 1;
  }
  return {
    fits: Object.keys(unplaced).length === 0,
    perHost: state,
    requested: { vcpus: items.reduce((s, f) => s + f.vcpus, 0), ramMiB: items.reduce((s, f) => s + f.ramMiB, 0), desktops: items.length },
    capacity: { vcpus: hosts.reduce((s, h) => s + h.vcpuCapacity, 0), ramMiB: hosts.reduce((s, h) => s + h.ramCapacityMiB, 0) },
    unplaced,
  };
}

export function planCapacity(input: PlanInput): CapacityPlan {
  const ratios = input.ratios ?? RATIO_PRESETS.nova;
  const hosts = hostCapacities(input.hosts, ratios);
  const flavors = checkFlavors(input.flavors);
  if (flavors.size === 0) throw new Error("flavors: give at least one flavor (name, vcpus, ramMiB)");
  return {
    ratios,
    hosts,
    fitByFlavor: [...flavors.values()].map((f) => desktopsThatFit(hosts, f)),
    placement: input.demand ? placeDesktops(hosts, flavors, input.demand) : undefined,
  };
}

/** One line naming the numbers, for errors when the demand does not fit. */
export function describeShortfall(plan: CapacityPlan): string {
  const p = plan.placement;
  if (!p || p.fits) return "the desktops fit";
  const unplaced = Object.entries(p.unplaced).map(([f, n]) => `${n} × ${f}`).join(", ");
  return (
    `${p.requested.desktops} desktops need ${p.requested.vcpus} vCPUs and ${p.requested.ramMiB} MiB RAM; ` +
    `${plan.hosts.length} host(s) offer ${p.capacity.vcpus} vCPUs and ${p.capacity.ramMiB} MiB ` +
    `(ratios cpu ${plan.ratios.cpu}, ram ${plan.ratios.ram}, after reserved memory); ${unplaced} do not fit on any host. ` +
    `Shelve some desktops (powerState "shelved_offloaded"; pausing frees nothing), add hosts, or use smaller flavors.`
  );
}

export interface CostInput {
  employees: number;
  desktopsPerServer: number;
  pcPrice: number;
  serverPrice: number;
  thinClientPrice: number;
  currency?: string;
}

export interface CostComparison {
  employees: number;
  servers: number;
  pcs: number;
  serversAndThinClients: number;
  savings: number;
  currency: string;
}

/** PCs for everybody vs enough servers (by desktops per server) plus a thin client each. */
export function compareCosts(input: CostInput): CostComparison {
  positive("employees", input.employees, true);
  positive("desktopsPerServer", input.desktopsPerServer, true);
  for (const key of ["pcPrice", "serverPrice", "thinClientPrice"] as const) {
    if (!(input[key] >= 0)) throw new Error(`${key} is ${input[key]}; give a price of 0 or more`);
  }
  const servers = Math.ceil(input.employees / input.desktopsPerServer);
  const pcs = input.employees * input.pcPrice;
  const serversAndThinClients = servers * input.serverPrice + input.employees * input.thinClientPrice;
  return { employees: input.employees, servers, pcs, serversAndThinClients, savings: pcs - serversAndThinClients, currency: input.currency ?? "" };
}
