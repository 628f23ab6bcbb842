/**
 * Capacity planning for desktop pools, the way Nova's Placement service counts:
 *   capacity of a host = (total − reserved) × allocation ratio, per resource (vCPU, RAM, disk),
 * and a server must fit on ONE host. Pure functions, used by the component (to fail at preview
 * time) and by the `blueprints capacity` CLI.
 *
 * Ratios, as Nova shipped them: until Rocky the defaults hid behind cpu/ram_allocation_ratio = 0.0,
 * which meant 16.0 and 1.5; Stein (2019) made them explicit as initial_cpu_allocation_ratio = 16.0
 * and initial_ram_allocation_ratio = 1.5 and kept them through Zed (2022.2); 2023.1 (Antelope)
 * lowered them to 4.0 and 1.0. The 2017 office study's 16:1 CPU and 1.5:1 RAM are therefore the defaults of
 * any Nova before 2023.1 ("seed-2017"); "nova" is today's. Disk (initial_disk_allocation_ratio)
 * has stayed 1.0. Reserved host memory defaults to Nova's reserved_host_memory_mb = 512; reserved
 * disk to reserved_host_disk_mb = 0.
 *
 * Placement counts every server that is not shelved_offloaded, logged in or not. A concurrency
 * factor (not every employee is logged in at once) therefore buys capacity only when idle
 * desktops are shelved: the planner reports both numbers, and never lets the component assume it.
 */

import type { DesktopComputeHostArgs, DesktopFlavorSizeArgs } from "./thin-client-desktop-pool-args";

export interface AllocationRatios {
  cpu: number;
  ram: number;
  /** Default 1.0 (Nova's initial_disk_allocation_ratio). */
  disk?: number;
}

/** A resource Placement counts. */
export type CapacityResource = "vcpu" | "ram" | "disk";

/** For messages: "vCPUs", "RAM", "disk". */
export const RESOURCE_LABEL: Readonly<Record<CapacityResource, string>> = { vcpu: "vCPUs", ram: "RAM", disk: "disk" };

export const RATIO_PRESETS: Readonly<Record<string, AllocationRatios>> = {
  /** Nova's initial_*_allocation_ratio defaults since 2023.1 (Antelope). */
  nova: { cpu: 4.0, ram: 1.0, disk: 1.0 },
  /** The 2017 office study's numbers: Nova's defaults before 2023.1 (initial_* = 16.0 / 1.5 from Stein through Zed, implicit before). */
  "seed-2017": { cpu: 16.0, ram: 1.5, disk: 1.0 },
};

export const DEFAULT_RESERVED_RAM_MIB = 512;

export interface DesktopDemand {
  flavor: string;
  count: number;
}

export interface PlanInput {
  hosts: DesktopComputeHostArgs[];
  flavors: DesktopFlavorSizeArgs[];
  ratios?: AllocationRatios;
  /** Desktops that occupy capacity (active + shutoff; not shelved_offloaded), by flavor. */
  demand?: DesktopDemand[];
  /**
   * Share of the employees logged in at the same time (0 < c ≤ 1; default 1). It changes no
   * Placement number: it gives how many employees the hosts serve when the idle desktops are
   * shelved (shelved_offloaded), the only state Placement does not count.
   */
  concurrency?: number;
}

export interface HostCapacity {
  name: string;
  vcpuCapacity: number;
  ramCapacityMiB: number;
  /** Undefined when the host's disk was not given (disk not checked). */
  diskCapacityGiB?: number;
}

export interface FlavorFit {
  flavor: string;
  /** Desktops of only this flavor that fit on all hosts (all of them counted by Placement). */
  desktops: number;
  /** What runs out first on the hosts. */
  limitedBy: CapacityResource;
  /**
   * Employees served with the concurrency factor, if the idle desktops are shelved
   * (floor(desktops / concurrency)); equals desktops at concurrency 1.
   */
  employeesIfIdleShelved: number;
}

export interface PlacementResult {
  fits: boolean;
  /** Desktops per host by flavor (first-fit decreasing, one server on one host). */
  perHost: {
    name: string;
    desktops: Record<string, number>;
    vcpusUsed: number;
    ramMiBUsed: number;
    diskGiBUsed: number;
    vcpuCapacity: number;
    ramCapacityMiB: number;
    diskCapacityGiB?: number;
  }[];
  requested: { vcpus: number; ramMiB: number; diskGiB: number; desktops: number };
  capacity: { vcpus: number; ramMiB: number; diskGiB?: number };
  /** Desktops that found no host, by flavor. */
  unplaced: Record<string, number>;
  /** The resource with the largest share of its capacity requested (what to add first). */
  limitedBy: CapacityResource;
}

export interface CapacityPlan {
  ratios: Required<AllocationRatios>;
  concurrency: number;
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

function withDiskRatio(ratios: AllocationRatios): Required<AllocationRatios> {
  return { cpu: ratios.cpu, ram: ratios.ram, disk: ratios.disk ?? 1.0 };
}

/** Expands host kinds into individual hosts with their Placement capacity. */
export function hostCapacities(hosts: DesktopComputeHostArgs[], ratios: AllocationRatios): HostCapacity[] {
  if (hosts.length === 0) throw new Error("hosts: give at least one compute host (vcpus, ramMiB)");
  const r = withDiskRatio(ratios);
  positive("ratios.cpu", r.cpu);
  positive("ratios.ram", r.ram);
  positive("ratios.disk", r.disk);
  const out: HostCapacity[] = [];
  hosts.forEach((host, i) => {
    positive(`hosts[${i}].vcpus`, host.vcpus, true);
    positive(`hosts[${i}].ramMiB`, host.ramMiB);
    const reservedRam = host.reservedRamMiB ?? DEFAULT_RESERVED_RAM_MIB;
    const reservedCpu = host.reservedVcpus ?? 0;
    if (reservedRam < 0 || reservedRam >= host.ramMiB)
      throw new Error(
        `hosts[${i}].reservedRamMiB ${reservedRam} must be at least 0 and less than ramMiB ${host.ramMiB}`,
      );
    if (reservedCpu < 0 || reservedCpu >= host.vcpus)
      throw new Error(`hosts[${i}].reservedVcpus ${reservedCpu} must be at least 0 and less than vcpus ${host.vcpus}`);
    let diskCapacityGiB: number | undefined;
    if (host.diskGiB !== undefined) {
      positive(`hosts[${i}].diskGiB`, host.diskGiB);
      const reservedDisk = host.reservedDiskGiB ?? 0;
      if (reservedDisk < 0 || reservedDisk >= host.diskGiB)
        throw new Error(
          `hosts[${i}].reservedDiskGiB ${reservedDisk} must be at least 0 and less than diskGiB ${host.diskGiB}`,
        );
      diskCapacityGiB = Math.floor((host.diskGiB - reservedDisk) * r.disk);
    } else if (host.reservedDiskGiB !== undefined) {
      throw new Error(`hosts[${i}].reservedDiskGiB is given without diskGiB; give the host's disk too`);
    }
    const count = host.count ?? 1;
    positive(`hosts[${i}].count`, count, true);
    for (let n = 0; n < count; n++) {
      out.push({
        name: count === 1 ? (host.name ?? `host-${i + 1}`) : `${host.name ?? `host-${i + 1}`}-${n + 1}`,
        vcpuCapacity: Math.floor((host.vcpus - reservedCpu) * r.cpu),
        ramCapacityMiB: Math.floor((host.ramMiB - reservedRam) * r.ram),
        ...(diskCapacityGiB !== undefined ? { diskCapacityGiB } : {}),
      });
    }
  });
  return out;
}

function checkFlavors(flavors: DesktopFlavorSizeArgs[]): Map<string, DesktopFlavorSizeArgs> {
  const map = new Map<string, DesktopFlavorSizeArgs>();
  flavors.forEach((f, i) => {
    if (!f.name) throw new Error(`flavors[${i}].name is empty`);
    positive(`flavors[${i}] (${f.name}).vcpus`, f.vcpus, true);
    positive(`flavors[${i}] (${f.name}).ramMiB`, f.ramMiB);
    if (f.diskGiB !== undefined && !(Number.isFinite(f.diskGiB) && f.diskGiB >= 0)) {
      throw new Error(
        `flavors[${i}] (${f.name}).diskGiB is ${f.diskGiB}; it must be 0 or more (0: boots from a volume)`,
      );
    }
    if (map.has(f.name)) throw new Error(`flavors[${i}]: flavor "${f.name}" is listed twice`);
    map.set(f.name, f);
  });
  return map;
}

/** How many of a flavor fit in a capacity of one resource (Infinity when it needs none or it is unchecked). */
function byResource(capacity: number | undefined, need: number | undefined): number {
  if (capacity === undefined || !need) return Infinity;
  return Math.floor(capacity / need);
}

/** How many desktops of one flavor fit on the hosts (each host counted on its own). */
export function desktopsThatFit(hosts: HostCapacity[], flavor: DesktopFlavorSizeArgs, concurrency = 1): FlavorFit {
  let total = 0;
  const bound: Record<CapacityResource, number> = { vcpu: 0, ram: 0, disk: 0 };
  for (const h of hosts) {
    const fit: Record<CapacityResource, number> = {
      vcpu: byResource(h.vcpuCapacity, flavor.vcpus),
      ram: byResource(h.ramCapacityMiB, flavor.ramMiB),
      disk: byResource(h.diskCapacityGiB, flavor.diskGiB),
    };
    total += Math.min(fit.vcpu, fit.ram, fit.disk);
    for (const r of Object.keys(bound) as CapacityResource[]) bound[r] += fit[r];
  }
  // Ties go to RAM, then vCPU, then disk (RAM is what overcommit hurts first).
  const limitedBy = (["ram", "vcpu", "disk"] as CapacityResource[]).reduce((a, b) => (bound[b] < bound[a] ? b : a));
  return {
    flavor: flavor.name,
    desktops: total,
    limitedBy,
    employeesIfIdleShelved: Math.floor(total / concurrency + 1e-9),
  };
}

/**
 * Places the demanded desktops on the hosts, largest first, each on the first host with room.
 * First-fit decreasing can miss a packing that exists, so "fits: false" is slightly conservative
 * for mixed flavors; for one flavor it is exact.
 */
export function placeDesktops(
  hosts: HostCapacity[],
  flavors: Map<string, DesktopFlavorSizeArgs>,
  demand: DesktopDemand[],
): PlacementResult {
  const state = hosts.map((h) => ({
    name: h.name,
    desktops: {} as Record<string, number>,
    vcpusUsed: 0,
    ramMiBUsed: 0,
    diskGiBUsed: 0,
    vcpuCapacity: h.vcpuCapacity,
    ramCapacityMiB: h.ramCapacityMiB,
    ...(h.diskCapacityGiB !== undefined ? { diskCapacityGiB: h.diskCapacityGiB } : {}),
  }));
  const unplaced: Record<string, number> = {};
  const items: DesktopFlavorSizeArgs[] = [];
  demand.forEach((d, i) => {
    const flavor = flavors.get(d.flavor);
    if (!flavor)
      throw new Error(
        `demand[${i}]: flavor "${d.flavor}" is not among the flavors (${[...flavors.keys()].join(", ") || "none given"})`,
      );
    if (!Number.isInteger(d.count) || d.count < 0)
      throw new Error(`demand[${i}] (${d.flavor}).count ${d.count} must be a whole number, 0 or more`);
    for (let n = 0; n < d.count; n++) items.push(flavor);
  });
  items.sort((a, b) => b.ramMiB - a.ramMiB || b.vcpus - a.vcpus || (b.diskGiB ?? 0) - (a.diskGiB ?? 0));
  const disk = (f: DesktopFlavorSizeArgs) => f.diskGiB ?? 0;
  for (const f of items) {
    const host = state.find(
      (h) =>
        h.vcpusUsed + f.vcpus <= h.vcpuCapacity &&
        h.ramMiBUsed + f.ramMiB <= h.ramCapacityMiB &&
        (h.diskCapacityGiB === undefined || h.diskGiBUsed + disk(f) <= h.diskCapacityGiB),
    );
    if (!host) {
      unplaced[f.name] = (unplaced[f.name] ?? 0) + 1;
      continue;
    }
    host.vcpusUsed += f.vcpus;
    host.ramMiBUsed += f.ramMiB;
    host.diskGiBUsed += disk(f);
    host.desktops[f.name] = (host.desktops[f.name] ?? 0) + 1;
  }
  const requested = {
    vcpus: items.reduce((s, f) => s + f.vcpus, 0),
    ramMiB: items.reduce((s, f) => s + f.ramMiB, 0),
    diskGiB: items.reduce((s, f) => s + disk(f), 0),
    desktops: items.length,
  };
  const diskKnown = hosts.every((h) => h.diskCapacityGiB !== undefined);
  const capacity = {
    vcpus: hosts.reduce((s, h) => s + h.vcpuCapacity, 0),
    ramMiB: hosts.reduce((s, h) => s + h.ramCapacityMiB, 0),
    ...(diskKnown ? { diskGiB: hosts.reduce((s, h) => s + h.diskCapacityGiB!, 0) } : {}),
  };
  const share: Record<CapacityResource, number> = {
    vcpu: requested.vcpus / capacity.vcpus,
    ram: requested.ramMiB / capacity.ramMiB,
    disk: capacity.diskGiB ? requested.diskGiB / capacity.diskGiB : 0,
  };
  const limitedBy = (["vcpu", "ram", "disk"] as CapacityResource[]).reduce((a, b) => (share[b] > share[a] ? b : a));
  return { fits: Object.keys(unplaced).length === 0, perHost: state, requested, capacity, unplaced, limitedBy };
}

export function planCapacity(input: PlanInput): CapacityPlan {
  const ratios = withDiskRatio(input.ratios ?? RATIO_PRESETS.nova);
  const concurrency = input.concurrency ?? 1;
  if (!(Number.isFinite(concurrency) && concurrency > 0 && concurrency <= 1)) {
    throw new Error(
      `concurrency is ${concurrency}; it must be a share of the employees logged in at once, above 0 and at most 1 (e.g. 0.7)`,
    );
  }
  const hosts = hostCapacities(input.hosts, ratios);
  const flavors = checkFlavors(input.flavors);
  if (flavors.size === 0) throw new Error("flavors: give at least one flavor (name, vcpus, ramMiB)");
  return {
    ratios,
    concurrency,
    hosts,
    fitByFlavor: [...flavors.values()].map((f) => desktopsThatFit(hosts, f, concurrency)),
    placement: input.demand ? placeDesktops(hosts, flavors, input.demand) : undefined,
  };
}

/** One line naming the numbers and the limiting resource, for errors when the demand does not fit. */
export function describeShortfall(plan: CapacityPlan): string {
  const p = plan.placement;
  if (!p || p.fits) return "the desktops fit";
  const unplaced = Object.entries(p.unplaced)
    .map(([f, n]) => `${n} × ${f}`)
    .join(", ");
  const disk = p.capacity.diskGiB !== undefined;
  const fix: Record<CapacityResource, string> = {
    vcpu: "add hosts or cores, use flavors with fewer vCPUs, or a higher CPU ratio",
    ram: "add hosts or memory, or use flavors with less RAM",
    disk: "add host disk, use smaller root disks, or boot the desktops from Cinder volumes (bootVolumeSizeGiB)",
  };
  return (
    `${p.requested.desktops} desktops need ${p.requested.vcpus} vCPUs and ${p.requested.ramMiB} MiB RAM${disk ? ` and ${p.requested.diskGiB} GiB disk` : ""}; ` +
    `${plan.hosts.length} host(s) offer ${p.capacity.vcpus} vCPUs and ${p.capacity.ramMiB} MiB${disk ? ` and ${p.capacity.diskGiB} GiB disk` : ""} ` +
    `(ratios cpu ${plan.ratios.cpu}, ram ${plan.ratios.ram}${disk ? `, disk ${plan.ratios.disk}` : ""}, after reserved memory); ${unplaced} do not fit on any host. ` +
    `Limited by ${RESOURCE_LABEL[p.limitedBy]}: ${fix[p.limitedBy]}. ` +
    `Or shelve some desktops (powerState "shelved_offloaded"; pausing frees nothing).`
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
  return {
    employees: input.employees,
    servers,
    pcs,
    serversAndThinClients,
    savings: pcs - serversAndThinClients,
    currency: input.currency ?? "",
  };
}
