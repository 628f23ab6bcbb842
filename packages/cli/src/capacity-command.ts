/**
 * `blueprints capacity`: how many desktops fit on the declared compute hosts, whether a given mix
 * fits, and what the pool costs against PCs. Thin layer over the planner in
 * @openstack-blueprints/components (desktop/capacity.ts).
 */
import { parseArgs } from "node:util";
import {
  AllocationRatios,
  compareCosts,
  CostComparison,
  desktopsThatFit,
  describeShortfall,
  planCapacity,
  CapacityPlan,
  RATIO_PRESETS,
  RESOURCE_LABEL,
} from "@openstack-blueprints/components/capacity";
import type {
  DesktopComputeHostArgs,
  DesktopFlavorSizeArgs,
  DesktopPciDevicesArgs,
} from "@openstack-blueprints/components";
import { parseKeyValues, parseNumber, parseSizeGiB, parseSizeMiB } from "./sizes";

export const CAPACITY_USAGE = `Usage: blueprints capacity --host SPEC... --flavor SPEC... [options]

  --host vcpus=16,ram=128G[,reserved=512M][,reserved-vcpus=0][,disk=2T][,reserved-disk=0G][,count=1][,name=NAME][,gpus=ALIAS:N]
                          a kind of compute host (repeatable); reserved RAM defaults to Nova's 512M;
                          disk = local disk for instances (omit it and disk is not checked);
                          gpus = PCI devices (GPUs) per Nova alias, e.g. gpus=gpu:2 or gpus=t4:2+a100:1
  --flavor name=NAME,vcpus=4,ram=4G[,disk=20G][,gpus=ALIAS:N]
                          a desktop flavor (repeatable); disk = root disk (0G when booting from volumes);
                          gpus = devices each server claims (its pci_passthrough:alias), e.g. gpus=gpu:1
                          Sizes need a unit: M or MiB, G or GiB, T or TiB (binary), e.g. ram=64G or
                          ram=65536M; a bare number (ram=64) is refused, as it could mean MiB or GiB.
  --desktops FLAVOR=N     desktops that occupy capacity (active + shutoff; not shelved), repeatable
  --concurrency C         share of employees logged in at once (0 < C <= 1, default 1); it serves more
                          employees only if idle desktops are shelved (Placement counts the others)
  --ratios nova|seed-2017 allocation ratios: nova = 4.0 CPU / 1.0 RAM (Nova's default since 2023.1, the
                          default here), seed-2017 = 16 / 1.5 (Nova's default before 2023.1, a 2017 office's)
  --cpu-ratio X --ram-ratio Y --disk-ratio Z   explicit ratios (override --ratios; disk default 1.0)
  --employees N --pc-price P --server-price P --thin-client-price P [--currency C]
                          cost of PCs vs servers (of the first host kind) + thin clients,
                          desktops per server from the first flavor
  --json                  print JSON instead of text

Exit status: 0, or 2 when the --desktops mix does not fit. Every answer names the resource that
runs out first (vCPUs, RAM, disk or GPUs). GPUs are whole devices on one host, never overcommitted.

Example (a 2017 study's numbers for a small firm's office; reproduces its 48 desktops):
  blueprints capacity --host vcpus=16,ram=128G,reserved=0 --flavor name=desktop,vcpus=4,ram=4G \\
    --ratios seed-2017 --employees 48 --pc-price 29790 --server-price 304300 --thin-client-price 9812 --currency INR
`;

export interface CapacityReport {
  plan: CapacityPlan;
  cost?: CostComparison & { desktopsPerServer: number; flavor: string };
}

export interface CommandResult {
  code: number;
  stdout: string;
}

/** A whole number from an option's key=value, with the option's own words in the error. */
function whole(option: string, text: string, key: string, value: string, min: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min) {
    throw new Error(`${option} "${text}": ${key}=${value} must be a whole number, ${min} or more`);
  }
  return n;
}

function size(
  option: string,
  text: string,
  key: string,
  value: string,
  parse: (field: string, v: string) => number,
  allowZero: boolean,
): number {
  const n = parse(`${option} "${text}": ${key}`, value);
  if (!allowZero && n <= 0) throw new Error(`${option} "${text}": ${key}=${value} must be more than 0`);
  return n;
}

/** gpus=ALIAS:N[+ALIAS:N…] of a --host or --flavor. */
function parseGpus(option: string, text: string, value: string): DesktopPciDevicesArgs[] {
  return value.split("+").map((part) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63}):(\d+)$/.exec(part.trim());
    if (!m || Number(m[2]) < 1)
      throw new Error(
        `${option} "${text}": gpus=${value} is not ALIAS:COUNT (e.g. gpus=gpu:2, or gpus=t4:2+a100:1; COUNT 1 or more)`,
      );
    return { alias: m[1], count: Number(m[2]) };
  });
}

function parseHost(text: string): DesktopComputeHostArgs {
  const kv = parseKeyValues("--host", text, [
    "vcpus",
    "ram",
    "reserved",
    "reserved-vcpus",
    "disk",
    "reserved-disk",
    "count",
    "name",
    "gpus",
  ]);
  if (!kv.vcpus || !kv.ram) throw new Error(`--host "${text}" needs vcpus=… and ram=…`);
  const host: DesktopComputeHostArgs = {
    name: kv.name,
    vcpus: whole("--host", text, "vcpus", kv.vcpus, 1),
    ramMiB: size("--host", text, "ram", kv.ram, parseSizeMiB, false),
    reservedRamMiB:
      kv.reserved === undefined ? undefined : size("--host", text, "reserved", kv.reserved, parseSizeMiB, true),
    reservedVcpus:
      kv["reserved-vcpus"] === undefined ? undefined : whole("--host", text, "reserved-vcpus", kv["reserved-vcpus"], 0),
    diskGiB: kv.disk === undefined ? undefined : size("--host", text, "disk", kv.disk, parseSizeGiB, false),
    reservedDiskGiB:
      kv["reserved-disk"] === undefined
        ? undefined
        : size("--host", text, "reserved-disk", kv["reserved-disk"], parseSizeGiB, true),
    count: kv.count === undefined ? undefined : whole("--host", text, "count", kv.count, 1),
    ...(kv.gpus !== undefined ? { gpus: parseGpus("--host", text, kv.gpus) } : {}),
  };
  if ((host.reservedRamMiB ?? 512) >= host.ramMiB) {
    throw new Error(
      `--host "${text}": reserved=${kv.reserved ?? "512M (Nova's default)"} must be less than ram=${kv.ram}`,
    );
  }
  if ((host.reservedVcpus ?? 0) >= host.vcpus)
    throw new Error(`--host "${text}": reserved-vcpus=${kv["reserved-vcpus"]} must be less than vcpus=${kv.vcpus}`);
  if (host.reservedDiskGiB !== undefined && host.diskGiB === undefined)
    throw new Error(`--host "${text}": reserved-disk needs disk=… too`);
  if (host.diskGiB !== undefined && (host.reservedDiskGiB ?? 0) >= host.diskGiB) {
    throw new Error(`--host "${text}": reserved-disk=${kv["reserved-disk"]} must be less than disk=${kv.disk}`);
  }
  return host;
}

function parseFlavor(text: string): DesktopFlavorSizeArgs {
  const kv = parseKeyValues("--flavor", text, ["name", "vcpus", "ram", "disk", "gpus"]);
  if (!kv.name || !kv.vcpus || !kv.ram) throw new Error(`--flavor "${text}" needs name=…, vcpus=… and ram=…`);
  return {
    name: kv.name,
    vcpus: whole("--flavor", text, "vcpus", kv.vcpus, 1),
    ramMiB: size("--flavor", text, "ram", kv.ram, parseSizeMiB, false),
    diskGiB: kv.disk === undefined ? undefined : size("--flavor", text, "disk", kv.disk, parseSizeGiB, true),
    ...(kv.gpus !== undefined ? { gpus: parseGpus("--flavor", text, kv.gpus) } : {}),
  };
}

/** The planner's field names and the --host/--flavor keys a user types for them. */
const PLANNER_KEYS: Record<string, string> = {
  vcpus: "vcpus",
  ramMiB: "ram",
  reservedRamMiB: "reserved",
  reservedVcpus: "reserved-vcpus",
  diskGiB: "disk",
  reservedDiskGiB: "reserved-disk",
  count: "count",
  name: "name",
  gpus: "gpus",
};

/**
 * Rewrites a planner error in the words the user typed: `hosts[0].reservedRamMiB 8192 must be …`
 * becomes `--host "vcpus=4,ram=8G,reserved=8G": reserved (8192 MiB) must be …`. The options are
 * checked before the planner runs, so this is the safety net for a check only the planner makes;
 * its numbers stay in the planner's units (MiB, GiB), which the rewrite names.
 */
export function inUserWords(message: string, given: { host: string[]; flavor: string[]; desktops: string[] }): string {
  const unit = (field: string) => (/MiB$/.test(field) ? " MiB" : /GiB$/.test(field) ? " GiB" : "");
  return message
    .replace(
      /\b(hosts|flavors)\[(\d+)\](?: \([^)]*\))?(?:\.(\w+))?( is)?( -?[\d.]+)?/g,
      (_all, list: string, index: string, field?: string, is?: string, value?: string) => {
        const option = list === "hosts" ? "host" : "flavor";
        const text = given[option][Number(index)];
        const where = text === undefined ? `--${option} ${Number(index) + 1}` : `--${option} "${text}"`;
        if (!field) return where;
        const key = PLANNER_KEYS[field] ?? field;
        return `${where}: ${key}${value ? `${is ? " is" : ""} ${value.trim()}${unit(field)}` : (is ?? "")}`;
      },
    )
    .replace(/\bdemand\[(\d+)\](?: \([^)]*\))?(\.count)?/g, (_all, index: string, count?: string) => {
      const text = given.desktops[Number(index)];
      const where = text === undefined ? `--desktops ${Number(index) + 1}` : `--desktops "${text}"`;
      return count ? `${where}: count` : where;
    })
    .replace(/\bratios\.(cpu|ram|disk)\b/g, "--$1-ratio")
    .replace(/\bramMiB (-?[\d.]+)/g, "ram $1 MiB")
    .replace(/\bdiskGiB (-?[\d.]+)/g, "disk $1 GiB")
    .replace(/(?<![-\w])vcpus (\d+)/g, "vcpus=$1")
    .replace(/^concurrency is/, "--concurrency is");
}

/** A ratio or share option: a number above 0 (and at most `max`). */
function positiveOption(option: string, text: string, max = Infinity): number {
  const n = parseNumber(option, text);
  if (!(n > 0 && n <= max))
    throw new Error(`${option} "${text}" must be above 0${max === Infinity ? "" : ` and at most ${max}`}`);
  return n;
}

export function buildCapacityReport(argv: string[]): { report: CapacityReport; json: boolean } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: "string", multiple: true },
      flavor: { type: "string", multiple: true },
      desktops: { type: "string", multiple: true },
      ratios: { type: "string" },
      "cpu-ratio": { type: "string" },
      "ram-ratio": { type: "string" },
      "disk-ratio": { type: "string" },
      concurrency: { type: "string" },
      employees: { type: "string" },
      "pc-price": { type: "string" },
      "server-price": { type: "string" },
      "thin-client-price": { type: "string" },
      currency: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const preset = values.ratios ?? "nova";
  if (!RATIO_PRESETS[preset])
    throw new Error(`--ratios "${preset}" is not one of ${Object.keys(RATIO_PRESETS).join(", ")}`);
  const ratios: AllocationRatios = {
    cpu:
      values["cpu-ratio"] === undefined
        ? RATIO_PRESETS[preset].cpu
        : positiveOption("--cpu-ratio", values["cpu-ratio"]),
    ram:
      values["ram-ratio"] === undefined
        ? RATIO_PRESETS[preset].ram
        : positiveOption("--ram-ratio", values["ram-ratio"]),
    disk:
      values["disk-ratio"] === undefined
        ? RATIO_PRESETS[preset].disk
        : positiveOption("--disk-ratio", values["disk-ratio"]),
  };
  const concurrency =
    values.concurrency === undefined ? undefined : positiveOption("--concurrency", values.concurrency, 1);
  const hosts = (values.host ?? []).map(parseHost);
  const flavors = (values.flavor ?? []).map(parseFlavor);
  if (hosts.length === 0) throw new Error("give at least one --host (e.g. --host vcpus=16,ram=128G)");
  if (flavors.length === 0) throw new Error("give at least one --flavor (e.g. --flavor name=desktop,vcpus=4,ram=4G)");
  const seen = new Set<string>();
  for (const f of flavors) {
    if (seen.has(f.name)) throw new Error(`--flavor name=${f.name} is given twice; give each flavor once`);
    seen.add(f.name);
  }
  const demand = values.desktops?.map((text) => {
    const eq = text.indexOf("=");
    if (eq <= 0) throw new Error(`--desktops "${text}" must be FLAVOR=COUNT`);
    const flavor = text.slice(0, eq);
    if (!seen.has(flavor))
      throw new Error(
        `--desktops "${text}": flavor "${flavor}" is not one of the --flavor names (${[...seen].join(", ")})`,
      );
    return { flavor, count: whole("--desktops", text, "count", text.slice(eq + 1), 0) };
  });
  const given = { host: values.host ?? [], flavor: values.flavor ?? [], desktops: values.desktops ?? [] };
  const planned = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw e instanceof Error ? new Error(inUserWords(e.message, given)) : e;
    }
  };
  const plan = planned(() => planCapacity({ hosts, flavors, ratios, demand, concurrency }));
  const report: CapacityReport = { plan };
  const priceKeys = ["employees", "pc-price", "server-price", "thin-client-price"] as const;
  const prices = priceKeys.filter((k) => values[k] !== undefined);
  if (prices.length > 0) {
    const missing = priceKeys.filter((k) => values[k] === undefined);
    if (missing.length > 0)
      throw new Error(`the cost comparison also needs ${missing.map((k) => `--${k}`).join(", ")}`);
    // One server of the first host kind, filled with the first flavor.
    const firstHost = planned(
      () => planCapacity({ hosts: [{ ...hosts[0], count: 1 }], flavors: [flavors[0]], ratios }).hosts,
    );
    const desktopsPerServer = desktopsThatFit(firstHost, flavors[0]).desktops;
    if (desktopsPerServer === 0)
      throw new Error(
        `--flavor name=${flavors[0].name} does not fit on one host of the first --host kind; no cost comparison`,
      );
    const price = (option: "pc-price" | "server-price" | "thin-client-price") => {
      const n = parseNumber(`--${option}`, values[option]!);
      if (n < 0) throw new Error(`--${option} "${values[option]}" must be 0 or more`);
      return n;
    };
    report.cost = {
      ...compareCosts({
        employees: (() => {
          const n = Number(values.employees);
          if (!Number.isInteger(n) || n < 1)
            throw new Error(`--employees "${values.employees}" must be a whole number, 1 or more`);
          return n;
        })(),
        desktopsPerServer,
        pcPrice: price("pc-price"),
        serverPrice: price("server-price"),
        thinClientPrice: price("thin-client-price"),
        currency: values.currency,
      }),
      desktopsPerServer,
      flavor: flavors[0].name,
    };
  }
  return { report, json: values.json === true };
}

/** ", 2 × gpu" for a host's devices; "" without. */
function gpuText(gpus: Record<string, number> | undefined): string {
  return Object.entries(gpus ?? {})
    .map(([alias, n]) => `, ${n} × ${alias}`)
    .join("");
}

function formatText(report: CapacityReport): string {
  const { plan, cost } = report;
  const lines = [
    `Allocation ratios: CPU ${plan.ratios.cpu}, RAM ${plan.ratios.ram}, disk ${plan.ratios.disk} (capacity = (total − reserved) × ratio, per host)`,
  ];
  for (const h of plan.hosts) {
    lines.push(
      `  ${h.name}: ${h.vcpuCapacity} vCPUs, ${h.ramCapacityMiB} MiB RAM${h.diskCapacityGiB !== undefined ? `, ${h.diskCapacityGiB} GiB disk` : " (disk not given: not checked)"}${gpuText(h.gpus)} schedulable`,
    );
  }
  lines.push("Desktops that fit, one flavor at a time:");
  for (const f of plan.fitByFlavor) {
    const served =
      plan.concurrency < 1
        ? `; ${f.employeesIfIdleShelved} employees at concurrency ${plan.concurrency} if idle desktops are shelved`
        : "";
    lines.push(`  ${f.flavor}: ${f.desktops} (limited by ${RESOURCE_LABEL[f.limitedBy]}${served})`);
  }
  if (plan.placement) {
    const p = plan.placement;
    lines.push(
      p.fits
        ? `The requested ${p.requested.desktops} desktops fit (tightest: ${RESOURCE_LABEL[p.limitedBy]}):`
        : `Does NOT fit: ${describeShortfall(plan)}`,
    );
    for (const h of p.perHost) {
      const mix =
        Object.entries(h.desktops)
          .map(([f, n]) => `${n} × ${f}`)
          .join(", ") || "nothing";
      const disk = h.diskCapacityGiB !== undefined ? `, ${h.diskGiBUsed}/${h.diskCapacityGiB} GiB` : "";
      const gpus = Object.entries(h.gpus ?? {})
        .map(([alias, n]) => `, ${h.gpusUsed?.[alias] ?? 0}/${n} × ${alias}`)
        .join("");
      lines.push(
        `  ${h.name}: ${mix} (${h.vcpusUsed}/${h.vcpuCapacity} vCPUs, ${h.ramMiBUsed}/${h.ramCapacityMiB} MiB${disk}${gpus})`,
      );
    }
  }
  if (cost) {
    const money = (n: number) => `${n.toLocaleString("en-US")}${cost.currency ? ` ${cost.currency}` : ""}`;
    lines.push(
      `Cost for ${cost.employees} employees (${cost.desktopsPerServer} × ${cost.flavor} per server → ${cost.servers} server(s)):`,
      `  PCs:                       ${money(cost.pcs)}`,
      `  servers + thin clients:    ${money(cost.serversAndThinClients)}`,
      `  ${(cost.savings >= 0 ? "savings:" : "extra cost:").padEnd(26)} ${money(Math.abs(cost.savings))}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export function runCapacity(argv: string[]): CommandResult {
  if (argv.includes("--help") || argv.includes("-h")) return { code: 0, stdout: CAPACITY_USAGE };
  const { report, json } = buildCapacityReport(argv);
  const code = report.plan.placement && !report.plan.placement.fits ? 2 : 0;
  return { code, stdout: json ? `${JSON.stringify(report, null, 2)}\n` : formatText(report) };
}
