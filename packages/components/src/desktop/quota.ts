// Does the project's quota hold what a desktop pool declares? A fresh DevStack project allows 10
// instances, 20 cores and 50 GiB of RAM; a small firm's office of 200 desktops would otherwise
// stop at the eleventh server with half its resources made. Pure: the pool calls it before it
// declares anything.

/** A project's limits (-1: unlimited; undefined: not known, not checked). */
export interface ProjectLimits {
  instances?: number;
  cores?: number;
  ramMiB?: number;
  floatingIps?: number;
  ports?: number;
  securityGroups?: number;
  securityGroupRules?: number;
  /** Cinder: volumes (home volumes and boot volumes). */
  volumes?: number;
  /** Cinder: GiB of volumes and snapshots (its quota's `gigabytes`). */
  volumeGiB?: number;
}

/** What the pool adds to the project. */
export interface QuotaDemand {
  instances: number;
  /** Undefined when the flavors' sizes are not known. */
  cores?: number;
  ramMiB?: number;
  floatingIps: number;
  ports: number;
  securityGroups: number;
  securityGroupRules: number;
  /** Undefined when the pool makes no Cinder volumes. */
  volumes?: number;
  volumeGiB?: number;
  /** The largest single volume the pool makes (Cinder's per_volume_gigabytes applies to each). */
  largestVolumeGiB?: number;
}

export interface PoolQuotaInput {
  /** Flavor of every desktop (Nova's quota counts shutoff and shelved servers too). */
  flavors: string[];
  flavorSizes?: { name: string; vcpus: number; ramMiB: number }[];
  floatingIps: boolean;
  /** Rules of the pool's security group, not counting Neutron's two default egress rules. */
  securityRules: number;
  /** homeVolumes.sizeGiB: one such Cinder volume per desktop. */
  homeVolumeGiB?: number;
  /** bootVolumeSizeGiB: each desktop's root disk is a Cinder volume of that size. */
  bootVolumeGiB?: number;
}

/** Neutron adds an IPv4 and an IPv6 egress rule to every new security group. */
const DEFAULT_EGRESS_RULES = 2;

export function poolQuotaDemand(input: PoolQuotaInput): QuotaDemand {
  const sizes = new Map((input.flavorSizes ?? []).map((f) => [f.name, f]));
  const known = input.flavors.every((f) => sizes.has(f));
  const n = input.flavors.length;
  return {
    instances: n,
    ...(known
      ? {
          cores: input.flavors.reduce((s, f) => s + sizes.get(f)!.vcpus, 0),
          ramMiB: input.flavors.reduce((s, f) => s + sizes.get(f)!.ramMiB, 0),
        }
      : {}),
    floatingIps: input.floatingIps ? n : 0,
    ports: n,
    securityGroups: 1,
    securityGroupRules: input.securityRules + DEFAULT_EGRESS_RULES,
    ...volumeDemand(n, [input.homeVolumeGiB, input.bootVolumeGiB]),
  };
}

/** Cinder's share of the demand: a volume of each given size per desktop. */
function volumeDemand(
  desktops: number,
  sizesGiB: (number | undefined)[],
): Pick<QuotaDemand, "volumes" | "volumeGiB" | "largestVolumeGiB"> {
  const sizes = sizesGiB.filter((s): s is number => s !== undefined);
  if (sizes.length === 0) return {};
  return {
    volumes: desktops * sizes.length,
    volumeGiB: desktops * sizes.reduce((a, b) => a + b, 0),
    largestVolumeGiB: Math.max(...sizes),
  };
}

const LABEL: Record<keyof ProjectLimits, string> = {
  instances: "instances",
  cores: "cores",
  ramMiB: "RAM (MiB)",
  floatingIps: "floating IPs",
  ports: "ports",
  securityGroups: "security groups",
  securityGroupRules: "security group rules",
  volumes: "volumes",
  volumeGiB: "volume storage (GiB)",
};

/**
 * One line per quota the demand exceeds: "instances: the pool declares 200, the project allows 10
 * (3 already in use)". `used` is what the project already holds (known from a limits lookup).
 */
export function quotaShortfalls(
  limits: ProjectLimits,
  demand: QuotaDemand,
  used: Partial<ProjectLimits> = {},
  /** Say what is free (the live lookup knows the use exactly). */
  showFree = false,
): string[] {
  const out: string[] = [];
  for (const key of Object.keys(LABEL) as (keyof ProjectLimits)[]) {
    const limit = limits[key];
    const need = demand[key];
    if (limit === undefined || limit < 0 || need === undefined) continue;
    const inUse = used[key] ?? 0;
    if (need + inUse > limit) {
      const free = Math.max(0, limit - inUse);
      const use = showFree ? ` (${inUse} in use, ${free} free)` : inUse ? ` (${inUse} already in use)` : "";
      out.push(
        `${LABEL[key]}: the pool declares ${need}, the project allows ${limit}${use}, short by ${need + inUse - limit}`,
      );
    }
  }
  return out;
}

/**
 * Nova's absolute limits (GET /limits, as the provider's compute.getLimitsV2 returns them):
 * the project's compute quota and what it already uses. RAM in MiB; -1 unlimited.
 */
export interface NovaAbsoluteLimits {
  maxTotalInstances: number;
  maxTotalCores: number;
  maxTotalRamSize: number;
  /** Undefined (all three) when only the quota set could be read, not the use (see the pool). */
  totalInstancesUsed?: number;
  totalCoresUsed?: number;
  totalRamUsed?: number;
}

/** Nova's limits as the pool's ProjectLimits (compute only) and the project's use. */
export function novaLimitsToProject(nova: NovaAbsoluteLimits): { limits: ProjectLimits; used: ProjectLimits } {
  return {
    limits: { instances: nova.maxTotalInstances, cores: nova.maxTotalCores, ramMiB: nova.maxTotalRamSize },
    used: { instances: nova.totalInstancesUsed, cores: nova.totalCoresUsed, ramMiB: nova.totalRamUsed },
  };
}

/** Cinder's quota set (GET os-quota-sets/<project>, the provider's blockstorage.getQuotasetV3); -1 unlimited. */
export interface CinderQuotaSet {
  volumes: number;
  gigabytes: number;
  perVolumeGigabytes: number;
}

/**
 * Where Cinder's quota set does not hold the pool's volumes: the count, the total size, and the
 * largest single volume against `per_volume_gigabytes`. Cinder's quota set carries no use, so
 * what the project already holds is not counted (the caller says so).
 */
export function cinderShortfalls(quota: CinderQuotaSet, demand: QuotaDemand): string[] {
  const out = quotaShortfalls({ volumes: quota.volumes, volumeGiB: quota.gigabytes }, demand);
  const perVolume = quota.perVolumeGigabytes;
  const largestVolumeGiB = demand.largestVolumeGiB;
  if (largestVolumeGiB !== undefined && perVolume >= 0 && largestVolumeGiB > perVolume)
    out.push(
      `volume size: the pool makes volumes of ${largestVolumeGiB} GiB, the project allows ${perVolume} GiB per volume`,
    );
  return out;
}
