/**
 * `blueprints capacity`: how many desktops fit on the declared compute hosts, whether a given mix
 * fits, and what the pool costs against PCs. Thin layer over the planner in
 * @openstack-blueprints/components (desktop/capacity.ts).
 */
import { parseArgs } from "node:util";
import {
  AllocationRatios, compareCosts, CostComparison, desktopsThatFit, describeShortfall, FlavorSpec, HostSpec,
  planCapacity, CapacityPlan, RATIO_PRESETS,
} from "@openstack-blueprints/components/src/desktop/capacity";
import { parseKeyValues, parseNumber, parseSizeMiB } from "./sizes";

export const CAPACITY_USAGE = `Usage: blueprints capacity --host SPEC... --flavor SPEC... [options]

  --host vcpus=16,ram=128G[,reserved=512M][,reserved-vcpus=0][,count=1][,name=NAME]
                          a kind of compute host (repeatable); reserved RAM defaults to Nova's 512M
  --flavor name=NAME,vcpus=4,ram=4G
                          a desktop flavor (repeatable)
  --desktops FLAVOR=N     desktops that occupy capacity (active + shutoff; not shelved), repeatable
  --ratios nova|seed-2017 allocation ratios: nova = 4.0 CPU / 1.0 RAM (today's default, the default here),
                          seed-2017 = 16 / 1.5 (the old defaults the seed used)
  --cpu-ratio X --ram-ratio Y   explicit ratios (override --ratios)
  --employees N --pc-price P --server-price P --thin-client-price P [--currency C]
                          cost of PCs vs servers (of the first host kind) + thin clients,
                          desktops per server from the first flavor
  --json                  print JSON instead of text

Exit status: 0, or 2 when the --desktops mix does not fit.

Example (the seed's numbers; reproduces 48 desktops):
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

function parseHost(text: string): HostSpec {
  const kv = parseKeyValues("--host", text, ["vcpus", "ram", "reserved", "reserved-vcpus", "count", "name"]);
  if (!kv.vcpus || !kv.ram) throw new Error(`--host "${text}" needs vcpus=… and ram=…`);
  return {
    name: kv.name,
    vcpus: parseNumber("--host vcpus", kv.vcpus),
    ramMiB: parseSizeMiB("--host ram", kv.ram),
    reservedRamMiB: kv.reserved === undefined ? undefined : parseSizeMiB("--host reserved", kv.reserved),
    reservedVcpus: kv["reserved-vcpus"] === undefined ? undefined : parseNumber("--host reserved-vcpus", kv["reserved-vcpus"]),
    count: kv.count === undefined ? undefined : parseNumber("--host count", kv.count),
  };
}

function parseFlavor(text: string): FlavorSpec {
  const kv = parseKeyValues("--flavor", text, ["name", "vcpus", "ram"]);
  if (!kv.name || !kv.vcpus || !kv.ram) throw new Error(`--flavor "${text}" needs name=…, vcpus=… and ram=…`);
  return { name: kv.name, vcpus: parseNumber("--flavor vcpus", kv.vcpus), ramMiB: parseSizeMiB("--flavor ram", kv.ram) };
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
      employees: { type: "string" },
      "pc-price": { type: "string" },
      "server-price": { type: "string" },
      "thin-client-price": { type: "string" },
      currency: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const preset = values.ratios ?? "nova";
  if (!RATIO_PRESETS[preset]) throw new Error(`--ratios "${preset}" is not one of ${Object.keys(RATIO_PRESETS).join(", ")}`);
  const ratios: AllocationRatios = {
    cpu: values["cpu-ratio"] === undefined ? RATIO_PRESETS[preset].cpu : parseNumber("--cpu-ratio", values["cpu-ratio"]),
    ram: values["ram-ratio"] === undefined ? RATIO_PRESETS[preset].ram : parseNumber("--ram-ratio", values["ram-ratio"]),
  };
  const hosts = (values.host ?? []).map(parseHost);
  const flavors = (values.flavor ?? []).map(parseFlavor);
  if (hosts.length === 0) throw new Error("give at least one --host (e.g. --host vcpus=16,ram=128G)");
  if (flavors.length === 0) throw new Error("give at least one --flavor (e.g. --flavor name=desktop,vcpus=4,ram=4G)");
  const demand = values.desktops?.map((text) => {
    const eq = text.indexOf("=");
    if (eq <= 0) throw new Error(`--desktops "${text}" must be FLAVOR=COUNT`);
    return { flavor: text.slice(0, eq), count: parseNumber("--desktops count", text.slice(eq + 1)) };
  });
  const plan = planCapacity({ hosts, flavors, ratios, demand });
  const report: CapacityReport = { plan };
  const priceKeys = ["employees", "pc-price", "server-price", "thin-client-price"] as const;
  const given = priceKeys.filter((k) => values[k] !== undefined);
  if (given.length > 0) {
    const missing = priceKeys.filter((k) => values[k] === undefined);
    if (missing.length > 0) throw new Error(`the cost comparison also needs ${missing.map((k) => `--${k}`).join(", ")}`);
    // One server of the first host kind, filled with the first flavor.
    const firstHost = planCapacity({ hosts: [{ ...hosts[0], count: 1 }], flavors: [flavors[0]], ratios }).hosts;
    const desktopsPerServer = desktopsThatFit(firstHost, flavors[0]).desktops;
    if (desktopsPerServer === 0) throw new Error(`flavor "${flavors[0].name}" does not fit on one host of the first kind; no cost comparison`);
    report.cost = {
      ...compareCosts({
        employees: parseNumber("--employees", values.employees!),
        desktopsPerServer,
        pcPrice: parseNumber("--pc-price", values["pc-price"]!),
        serverPrice: parseNumber("--server-price", values["server-price"]!),
        thinClientPrice: parseNumber("--thin-client-price", values["thin-client-price"]!),
        currency: values.currency,
      }),
      desktopsPerServer,
      flavor: flavors[0].name,
    };
  }
  return { report, json: values.json === true };
}

function formatText(report: CapacityReport): string {
  const { plan, cost } = report;
  const lines = [`Allocation ratios: CPU ${plan.ratios.cpu}, RAM ${plan.ratios.ram} (capacity = (total − reserved) × ratio, per host)`];
  for (const h of plan.hosts) lines.push(`  ${h.name}: ${h.vcpuCapacity} vCPUs, ${h.ramCapacityMiB} MiB RAM schedulable`);
  lines.push("Desktops that fit, one flavor at a time:");
  for (const f of plan.fitByFlavor) lines.push(`  ${f.flavor}: ${f.desktops} (limited by ${f.limitedBy === "vcpu" ? "vCPUs" : "RAM"})`);
  if (plan.placement) {
    const p = plan.placement;
    lines.push(p.fits ? `The requested ${p.requested.desktops} desktops fit:` : `Does NOT fit: ${describeShortfall(plan)}`);
    for (const h of p.perHost) {
      const mix = Object.entries(h.desktops).map(([f, n]) => `${n} × ${f}`).join(", ") || "nothing";
      lines.push(`  ${h.name}: ${mix} (${h.vcpusUsed}/${h.vcpuCapacity} vCPUs, ${h.ramMiBUsed}/${h.ramCapacityMiB} MiB)`);
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
