/**
 * Choosing B's flavor for a source server: by name when asked, else an exact match on vCPUs,
 * RAM, disk (and ephemeral/swap), else the smallest flavor that is at least as large —
 * with extra-spec differences reported, never silently ignored.
 */
import type { EmbeddedFlavor, Flavor } from "@openstack-blueprints/openstack-rest";

export interface FlavorChoice {
  flavor: Flavor;
  how: "name" | "exact" | "larger";
  warnings: string[];
}

export function chooseFlavor(
  source: EmbeddedFlavor,
  candidates: Flavor[],
  wantedName?: string,
  matchSpecs = true,
): FlavorChoice {
  const warnings: string[] = [];
  const describe = (f: Pick<Flavor, "vcpus" | "ram" | "disk">) => `${f.vcpus} vCPU, ${f.ram} MB RAM, ${f.disk} GB disk`;
  let chosen: Flavor | undefined;
  let how: FlavorChoice["how"] = "exact";
  const name = wantedName ?? (matchSpecs ? undefined : source.original_name);
  if (name) {
    chosen = candidates.find((f) => f.name === name || f.id === name);
    if (!chosen)
      throw new Error(
        `flavor "${name}" does not exist in the target cloud (have: ${candidates.map((f) => f.name).join(", ") || "none"}); set flavor.name to one of them`,
      );
    how = "name";
    if (chosen.vcpus < source.vcpus || chosen.ram < source.ram || (chosen.disk < source.disk && chosen.disk !== 0)) {
      warnings.push(
        `flavor ${chosen.name} (${describe(chosen)}) is smaller than the source's ${source.original_name} (${describe(source)})`,
      );
    }
  } else {
    const eph = (f: Flavor) => f["OS-FLV-EXT-DATA:ephemeral"] ?? 0;
    const swap = (f: Flavor) => (f.swap === "" ? 0 : f.swap);
    chosen = candidates.find(
      (f) =>
        f.vcpus === source.vcpus &&
        f.ram === source.ram &&
        f.disk === source.disk &&
        eph(f) === source.ephemeral &&
        swap(f) === source.swap,
    );
    if (!chosen) {
      const fits = candidates
        .filter(
          (f) => f.vcpus >= source.vcpus && f.ram >= source.ram && f.disk >= source.disk && eph(f) >= source.ephemeral,
        )
        .sort((a, b) => a.vcpus - b.vcpus || a.ram - b.ram || a.disk - b.disk);
      chosen = fits[0];
      how = "larger";
      if (!chosen) {
        throw new Error(
          `no flavor in the target cloud fits the source's ${source.original_name} (${describe(source)}); create one there (admin) or set flavor.name`,
        );
      }
      warnings.push(
        `no exact match for ${source.original_name} (${describe(source)}); using ${chosen.name} (${describe(chosen)})`,
      );
    }
  }
  const srcSpecs = source.extra_specs ?? {};
  const dstSpecs = chosen.extra_specs ?? {};
  for (const [k, v] of Object.entries(srcSpecs)) {
    if (dstSpecs[k] !== v)
      warnings.push(
        `extra spec ${k}=${v} of the source flavor is ${dstSpecs[k] === undefined ? "missing" : `"${dstSpecs[k]}"`} on ${chosen.name}`,
      );
  }
  return { flavor: chosen, how, warnings };
}
