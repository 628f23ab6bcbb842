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
 * GPUs (PCI devices passed through, by Nova alias) are counted per host as whole devices, never
 * overcommitted: a GPU workstation needs its flavor's devices free on the one host it lands on
 * (Nova's PciPassthroughFilter); other desktops go to hosts without GPUs first, as Nova's
 * PCIWeigher prefers.
 *
 * Placement counts every server that is not shelved_offloaded, logged in or not. A concurrency
 * factor (not every employee is logged in at once) therefore buys capacity only when idle
 * desktops are shelved: the planner reports both numbers, and never lets the component assume it.
 */

import type {
  DesktopComputeHostArgs,
  DesktopFlavorSizeArgs,
  DesktopPciDevicesArgs,
} from "./thin-client-desktop-pool-args";

export interface AllocationRatios {
  cpu: number;
  ram: number;
  /** Default 1.0 (Nova's initial_disk_allocation_ratio). */
  disk?: number;
}

/** A resource Placement counts. */
export type CapacityResource = "vcpu" | "ram" | "disk" | "gpu";

/** For messages: "vCPUs", "RAM", "disk", "GPUs". */
export const RESOURCE_LABEL: Readonly<Record<CapacityResource, string>> = {
  vcpu: "vCPUs",
  ram: "RAM",
  disk: "disk",
  gpu: "GPUs",
};

/** PCI devices by alias ({ gpu: 2 }). */
export type GpuCounts = Record<string, number>;

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
  /** PCI devices (GPUs) by alias; omitted when the host has none. */
  gpus?: GpuCounts;
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
    /** Only on hosts with GPUs. */
    gpusUsed?: GpuCounts;
    gpus?: GpuCounts;
  }[];
  /** gpus: only when a desktop asks for GPUs. */
  requested: { vcpus: number; ramMiB: number; diskGiB: number; desktops: number; gpus?: GpuCounts };
  /** gpus: only when a host has GPUs. */
  capacity: { vcpus: number; ramMiB: number; diskGiB?: number; gpus?: GpuCounts };
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
    const gpus = gpuCounts(`hosts[${i}]`, host.gpus);
    const count = host.count ?? 1;
    positive(`hosts[${i}].count`, count, true);
    for (let n = 0; n < count; n++) {
      out.push({
        name: count === 1 ? (host.name ?? `host-${i + 1}`) : `${host.name ?? `host-${i + 1}`}-${n + 1}`,
        vcpuCapacity: Math.floor((host.vcpus - reservedCpu) * r.cpu),
        ramCapacityMiB: Math.floor((host.ramMiB - reservedRam) * r.ram),
        ...(diskCapacityGiB !== undefined ? { diskCapacityGiB } : {}),
        ...(Object.keys(gpus).length > 0 ? { gpus } : {}),
      });
    }
  });
  return out;
}

/** PCI devices by alias, each alias once with a whole count. */
function gpuCounts(field: string, devices: DesktopPciDevicesArgs[] | undefined): GpuCounts {
  const out: GpuCounts = {};
  (devices ?? []).forEach((d, j) => {
    if (!d?.alias) throw new Error(`${field}.gpus[${j}].alias is empty; give the cloud's PCI alias name (e.g. gpu)`);
    positive(`${field}.gpus[${j}] (${d.alias}).count`, d.count, true);
    if (out[d.alias] !== undefined) throw new Error(`${field}.gpus[${j}]: alias "${d.alias}" is listed twice`);
    out[d.alias] = d.count;
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
    gpuCounts(`flavors[${i}] (${f.name})`, f.gpus);
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

/** How many servers of a flavor a host's GPUs hold (Infinity when the flavor asks for none). */
function byGpus(host: GpuCounts, flavor: DesktopFlavorSizeArgs): number {
  return Math.min(Infinity, ...(flavor.gpus ?? []).map((g) => Math.floor((host[g.alias] ?? 0) / g.count)));
}

/** How many desktops of one flavor fit on the hosts (each host counted on its own). */
export function desktopsThatFit(hosts: HostCapacity[], flavor: DesktopFlavorSizeArgs, concurrency = 1): FlavorFit {
  let total = 0;
  const bound: Record<CapacityResource, number> = { vcpu: 0, ram: 0, disk: 0, gpu: 0 };
  for (const h of hosts) {
    const fit: Record<CapacityResource, number> = {
      vcpu: byResource(h.vcpuCapacity, flavor.vcpus),
      ram: byResource(h.ramCapacityMiB, flavor.ramMiB),
      disk: byResource(h.diskCapacityGiB, flavor.diskGiB),
      gpu: byGpus(h.gpus ?? {}, flavor),
    };
    total += Math.min(fit.vcpu, fit.ram, fit.disk, fit.gpu);
    for (const r of Object.keys(bound) as CapacityResource[]) bound[r] += fit[r];
  }
  // Ties go to RAM, then vCPU, then disk (RAM is what overcommit hurts first), then GPUs.
  const limitedBy = (["ram", "vcpu", "disk", "gpu"] as CapacityResource[]).reduce((a, b) =>
    bound[b] < bound[a] ? b : a,
  );
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
    ...(h.gpus ? { gpusUsed: {} as GpuCounts, gpus: h.gpus } : {}),
  }));
  const free = (h: (typeof state)[number], g: DesktopPciDevicesArgs) =>
    (h.gpus?.[g.alias] ?? 0) - (h.gpusUsed?.[g.alias] ?? 0);
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
  // GPU workstations first (their hosts are few), then largest first.
  const gpuCount = (f: DesktopFlavorSizeArgs) => (f.gpus ?? []).reduce((n, g) => n + g.count, 0);
  items.sort(
    (a, b) =>
      gpuCount(b) - gpuCount(a) || b.ramMiB - a.ramMiB || b.vcpus - a.vcpus || (b.diskGiB ?? 0) - (a.diskGiB ?? 0),
  );
  const disk = (f: DesktopFlavorSizeArgs) => f.diskGiB ?? 0;
  // Desktops without GPUs try hosts without GPUs first (Nova's PCIWeigher), keeping GPUs free.
  const withoutGpusFirst = [...state].sort((a, b) => Number(a.gpus !== undefined) - Number(b.gpus !== undefined));
  for (const f of items) {
    const host = (gpuCount(f) > 0 ? state : withoutGpusFirst).find(
      (h) =>
        h.vcpusUsed + f.vcpus <= h.vcpuCapacity &&
        h.ramMiBUsed + f.ramMiB <= h.ramCapacityMiB &&
        (h.diskCapacityGiB === undefined || h.diskGiBUsed + disk(f) <= h.diskCapacityGiB) &&
        (f.gpus ?? []).every((g) => g.count <= free(h, g)),
    );
    if (!host) {
      unplaced[f.name] = (unplaced[f.name] ?? 0) + 1;
      continue;
    }
    host.vcpusUsed += f.vcpus;
    host.ramMiBUsed += f.ramMiB;
    host.diskGiBUsed += disk(f);
    for (const g of f.gpus ?? []) host.gpusUsed![g.alias] = (host.gpusUsed![g.alias] ?? 0) + g.count;
    host.desktops[f.name] = (host.desktops[f.name] ?? 0) + 1;
  }
  const sumGpus = (all: (GpuCounts | undefined)[]) => {
    const out: GpuCounts = {};
    for (const counts of all) for (const [alias, n] of Object.entries(counts ?? {})) out[alias] = (out[alias] ?? 0) + n;
    return Object.keys(out).length > 0 ? { gpus: out } : {};
  };
  const requested = {
    vcpus: items.reduce((s, f) => s + f.vcpus, 0),
    ramMiB: items.reduce((s, f) => s + f.ramMiB, 0),
    diskGiB: items.reduce((s, f) => s + disk(f), 0),
    desktops: items.length,
    ...sumGpus(items.map((f) => Object.fromEntries((f.gpus ?? []).map((g) => [g.alias, g.count])))),
  };
  const diskKnown = hosts.every((h) => h.diskCapacityGiB !== undefined);
  const capacity = {
    vcpus: hosts.reduce((s, h) => s + h.vcpuCapacity, 0),
    ramMiB: hosts.reduce((s, h) => s + h.ramCapacityMiB, 0),
    ...(diskKnown ? { diskGiB: hosts.reduce((s, h) => s + h.diskCapacityGiB!, 0) } : {}),
    ...sumGpus(hosts.map((h) => h.gpus)),
  };
  const share: Record<CapacityResource, number> = {
    vcpu: requested.vcpus / capacity.vcpus,
    ram: requested.ramMiB / capacity.ramMiB,
    disk: capacity.diskGiB ? requested.diskGiB / capacity.diskGiB : 0,
    // The scarcest alias asked for; none on the hosts: Infinity (nothing else can be the limit).
    gpu: Math.max(0, ...Object.entries(requested.gpus ?? {}).map(([alias, n]) => n / (capacity.gpus?.[alias] ?? 0))),
  };
  // A GPU workstation left over because no host has its devices free is limited by GPUs, even
  // when the pool's total GPUs would do (they sit on hosts without room) or RAM is fuller.
  const gpuStarved = items.some(
    (f) =>
      unplaced[f.name] !== undefined &&
      gpuCount(f) > 0 &&
      state.every((h) => (f.gpus ?? []).some((g) => g.count > free(h, g))),
  );
  const limitedBy = gpuStarved
    ? "gpu"
    : (["vcpu", "ram", "disk", "gpu"] as CapacityResource[]).reduce((a, b) => (share[b] > share[a] ? b : a));
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
    gpu: "add GPU hosts or devices (declare each host's gpus per alias), ask fewer GPUs per workstation, or give fewer employees a GPU workstation",
  };
  const asked = Object.keys(p.requested.gpus ?? {});
  const gpus = (counts: GpuCounts | undefined) =>
    asked.map((alias) => ` and ${counts?.[alias] ?? 0} × ${alias}`).join("");
  return (
    `${p.requested.desktops} desktops need ${p.requested.vcpus} vCPUs and ${p.requested.ramMiB} MiB RAM${disk ? ` and ${p.requested.diskGiB} GiB disk` : ""}${gpus(p.requested.gpus)}; ` +
    `${plan.hosts.length} host(s) offer ${p.capacity.vcpus} vCPUs and ${p.capacity.ramMiB} MiB${disk ? ` and ${p.capacity.diskGiB} GiB disk` : ""}${gpus(p.capacity.gpus)} ` +
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
