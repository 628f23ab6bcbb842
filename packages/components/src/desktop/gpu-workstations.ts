/**
 * GPU workstations of a ThinClientDesktopPool: which employees get PCI passthrough devices, the
 * flavor that asks Nova for them (extra spec `pci_passthrough:alias` = "<alias>:<count>") and the
 * check of an existing GPU flavor. Pure: the pool declares what this decides.
 *
 * Nova does the rest: its API turns the extra spec into PCI requests (with the `[pci] alias` of
 * the cloud), the scheduler's PciPassthroughFilter keeps each server off hosts without enough
 * free devices (no host: NoValidHost, the server goes to ERROR), and the compute host claims the
 * devices. Nova's Zed has no quota for PCI devices: the project's quota does not limit GPUs.
 */
import { ArgsProblems } from "../errors";
import type { Employee } from "./employees";
import type { DesktopGpuArgs, ThinClientDesktopPoolArgs } from "./thin-client-desktop-pool-args";

/** Nova's flavor extra spec that asks for PCI devices by alias. */
export const PCI_ALIAS_EXTRA_SPEC = "pci_passthrough:alias";

/** What the pool declares for its GPU workstations. */
export interface PlannedGpu {
  alias: string;
  count: number;
  /** The extra spec's value, "<alias>:<count>". */
  extraSpec: string;
  /** Employees with a GPU workstation. */
  employees: string[];
  /** Nova availability zone of the GPU workstations; undefined: the pool's (or Nova's default). */
  availabilityZone?: string;
  /** The flavor the pool makes (baseFlavor), or undefined when it uses an existing one. */
  make?: {
    resourceName: string;
    accessResourceName: string;
    /** Nova's name of the made flavor. */
    flavorName: string;
    baseFlavor: string;
  };
  /** An existing GPU flavor, looked up and checked before anything is created. */
  existingFlavor?: string;
}

/** "<alias>:<count>" as Nova's extra spec takes it. */
export function pciAliasSpec(alias: string, count: number): string {
  return `${alias}:${count}`;
}

/**
 * Decides the GPU workstations, adding a problem for each bad setting; returns the plan (or
 * undefined without `gpu`, or when a problem was found) and the employees, the GPU ones with the
 * flavor whose size they occupy (the base flavor, or the existing GPU flavor).
 */
export function planGpuWorkstations(
  problems: ArgsProblems,
  pool: string,
  args: ThinClientDesktopPoolArgs,
  employees: Employee[],
  fieldOk: boolean,
): { gpu?: PlannedGpu; employees: Employee[] } {
  const g: DesktopGpuArgs | undefined = args.gpu;
  if (g === undefined || !fieldOk) return { employees };
  const before = problems.list.length;
  const count = g.count ?? 1;
  if ((g.baseFlavor === undefined) === (g.flavor === undefined)) {
    problems.add(
      "gpu.baseFlavor",
      g.baseFlavor,
      g.baseFlavor === undefined
        ? "give gpu.baseFlavor (the pool makes a GPU flavor of that size; needs admin credentials) or gpu.flavor (an existing GPU flavor the cloud's admin made)"
        : "and gpu.flavor both given; give one: baseFlavor makes a GPU flavor, flavor uses an existing one",
    );
  }
  const names = new Set(employees.map((e) => e.name));
  const listed = g.employees ?? employees.map((e) => e.name);
  listed.forEach((who, i) => {
    if (!names.has(who))
      problems.add(
        `gpu.employees[${i}]`,
        who,
        `is not an employee of the pool; give names from employees (${[...names].join(", ") || "none"})`,
      );
    else if (listed.indexOf(who) !== i) problems.add(`gpu.employees[${i}]`, who, "is listed twice; list each once");
  });
  if (g.employees !== undefined && g.employees.length === 0)
    problems.add("gpu.employees", g.employees, "is empty; list who gets a GPU workstation, or leave it out (everyone)");
  const gpuSet = new Set(listed);
  // An employee's own flavor would silently lose its GPU (or its size): refuse the mix.
  (args.employees ?? []).forEach((e, i) => {
    if (e && typeof e === "object" && gpuSet.has(e.name) && e.flavor !== undefined)
      problems.add(
        `employees[${i}].flavor`,
        e.flavor,
        `is set for ${e.name}, who has a GPU workstation (gpu.employees): GPU workstations take the GPU flavor; remove the employee's flavor or set gpu.baseFlavor`,
      );
  });
  if (problems.list.length > before) return { employees };

  const gpuFlavorSize = (g.baseFlavor ?? g.flavor) as string;
  const gpu: PlannedGpu = {
    alias: g.alias,
    count,
    extraSpec: pciAliasSpec(g.alias, count),
    employees: employees.filter((e) => gpuSet.has(e.name)).map((e) => e.name),
    availabilityZone: g.availabilityZone ?? args.availabilityZone,
    ...(g.baseFlavor !== undefined
      ? {
          make: {
            resourceName: `${pool}-gpu-flavor`,
            accessResourceName: `${pool}-gpu-flavor-access`,
            flavorName: `${pool}-${g.alias}x${count}`,
            baseFlavor: g.baseFlavor,
          },
        }
      : { existingFlavor: g.flavor }),
  };
  return {
    gpu,
    employees: employees.map((e) => (gpuSet.has(e.name) ? { ...e, flavor: gpuFlavorSize } : e)),
  };
}

/**
 * An existing GPU flavor's extra specs, as the cloud reports them: undefined when they ask for
 * the plan's devices, else what is wrong and the fix.
 */
export function gpuFlavorProblem(gpu: PlannedGpu, extraSpecs: Record<string, string> | undefined): string | undefined {
  const value = extraSpecs?.[PCI_ALIAS_EXTRA_SPEC];
  const fix =
    `Fix: have the cloud's admin run \`openstack flavor set --property ${PCI_ALIAS_EXTRA_SPEC}=${gpu.extraSpec} ${gpu.existingFlavor}\`, ` +
    "or give gpu.baseFlavor instead (the pool then makes the GPU flavor; needs admin credentials).";
  if (value === undefined) return `has no ${PCI_ALIAS_EXTRA_SPEC} extra spec: its servers would get no GPU. ${fix}`;
  const asked = value.split(",").map((part) => part.trim().split(":"));
  const mine = asked.find(([alias]) => alias?.trim() === gpu.alias);
  if (!mine) return `asks for ${PCI_ALIAS_EXTRA_SPEC}=${value}, not alias "${gpu.alias}". ${fix}`;
  if (Number(mine[1]) !== gpu.count)
    return `asks for ${mine[1]} "${gpu.alias}" device(s) (${PCI_ALIAS_EXTRA_SPEC}=${value}), not gpu.count ${gpu.count}. Fix: set gpu.count to ${mine[1]}, or ${fix.slice(5)}`;
  return undefined;
}
