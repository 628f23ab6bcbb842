// Cross-block check: where the stack makes its own cloud (the devstack block) and its desktops
// make Cinder volumes (home volumes, on by default in the office and notebooks environments, or
// boot volumes), DevStack's project must be given volume quotas. Cinder's defaults (10 volumes)
// would stop `up` at the eleventh desktop with half the office made. The numbers themselves are
// compared where they are used: the pool checks its demand against these quotas (projectLimits),
// and DevstackHost checks its backing file holds quotas.volumeGiB.
import { employeesOf, homeVolumesOf, type desktopsSpec } from "./blocks/desktops";
import type { z } from "zod";

interface StackValues {
  environment?: string;
  desktops?: z.infer<typeof desktopsSpec>;
  devstack?: { quotas?: { volumes?: number; volumeGiB?: number } };
}

/** Problems, each naming its config key; [] when nothing is missing. */
export function stackVolumeProblems(values: Record<string, unknown>, namespace = "openstack-blueprints"): string[] {
  const v = values as StackValues;
  const d = v.desktops;
  if (!d || !v.devstack) return [];
  const home = homeVolumesOf(d, String(v.environment ?? ""));
  const sizes = [home?.sizeGiB, d.bootVolumeSizeGiB].filter((s): s is number => s !== undefined);
  if (sizes.length === 0) return [];
  const desktops = employeesOf(d).length;
  const volumes = desktops * sizes.length;
  const giB = desktops * sizes.reduce((a, b) => a + b, 0);
  const what = [home ? "home volumes" : "", d.bootVolumeSizeGiB !== undefined ? "boot volumes" : ""]
    .filter(Boolean)
    .join(" and ");
  const optOut =
    home && d.homeVolumes === undefined ? `, or opt out with ${namespace}:desktops.homeVolumes: false` : "";
  const problems: string[] = [];
  const quotas = v.devstack.quotas ?? {};
  if (quotas.volumes === undefined)
    problems.push(
      `${namespace}:devstack.quotas.volumes: is not set, while the desktops make ${volumes} Cinder volumes (${what}); ` +
        `a fresh DevStack project allows 10. Fix: set it to at least ${volumes}${optOut}`,
    );
  if (quotas.volumeGiB === undefined)
    problems.push(
      `${namespace}:devstack.quotas.volumeGiB: is not set, while the desktops' ${what} take ${giB} GiB; ` +
        `a fresh DevStack project allows 1000 and its backing file holds 30. Fix: set it to at least ${giB} ` +
        `with ${namespace}:devstack.volumeBackingFileSize to hold it${optOut}`,
    );
  return problems;
}
