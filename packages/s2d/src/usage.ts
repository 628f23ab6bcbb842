/**
 * The TU Crete S2D service's billing view: per-server uptime, vCPU-hours, RAM-GB-hours, disk-GB-hours from
 * os-simple-tenant-usage, priced with a table. Nova derives usage from the server's latest
 * flavor and counts stopped time too; the report says so.
 */
import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { TenantUsage } from "@openstack-blueprints/openstack-rest";

export const PriceTableSchema = z
  .object({
    currency: z.string().trim().min(1).default("EUR"),
    vcpuHour: z.number().nonnegative("vcpuHour must be ≥ 0").default(0),
    ramGbHour: z.number().nonnegative("ramGbHour must be ≥ 0").default(0),
    diskGbHour: z.number().nonnegative("diskGbHour must be ≥ 0").default(0),
    /** Flat hourly price per flavor name, added to the resource prices. */
    flavorHour: z.record(z.string(), z.number().nonnegative()).default({}),
  })
  .strict();
export type PriceTable = z.infer<typeof PriceTableSchema>;

export interface ServerUsageRow {
  serverId: string;
  name: string;
  flavor: string;
  state: string;
  startedAt: string;
  endedAt: string | null;
  uptimeHours: number;
  hours: number;
  vcpuHours: number;
  ramGbHours: number;
  diskGbHours: number;
  cost?: number;
}

export interface UsageReport {
  projectId: string;
  start: string;
  end: string;
  currency?: string;
  servers: ServerUsageRow[];
  totals: { hours: number; vcpuHours: number; ramGbHours: number; diskGbHours: number; cost?: number };
  note: string;
}

export function loadPriceTable(file: string): PriceTable {
  const doc = parseYaml(fs.readFileSync(file, "utf8"));
  const r = PriceTableSchema.safeParse(doc);
  if (!r.success)
    throw new Error(
      `${file}: invalid price table: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  return r.data;
}

const round = (n: number, d = 4) => Math.round(n * 10 ** d) / 10 ** d;

export function buildUsageReport(u: TenantUsage, prices?: PriceTable): UsageReport {
  const servers = u.server_usages.map((s) => {
    const row: ServerUsageRow = {
      serverId: s.instance_id,
      name: s.name,
      flavor: s.flavor,
      state: s.state,
      startedAt: s.started_at,
      endedAt: s.ended_at,
      uptimeHours: round(s.uptime / 3600),
      hours: round(s.hours),
      vcpuHours: round(s.hours * s.vcpus),
      ramGbHours: round((s.hours * s.memory_mb) / 1024),
      diskGbHours: round(s.hours * s.local_gb),
    };
    if (prices) {
      row.cost = round(
        row.vcpuHours * prices.vcpuHour +
          row.ramGbHours * prices.ramGbHour +
          row.diskGbHours * prices.diskGbHour +
          row.hours * (prices.flavorHour[s.flavor] ?? 0),
        6,
      );
    }
    return row;
  });
  const sum = (f: (r: ServerUsageRow) => number) =>
    round(
      servers.reduce((a, r) => a + f(r), 0),
      6,
    );
  return {
    projectId: u.tenant_id,
    start: u.start,
    end: u.stop,
    currency: prices?.currency,
    servers,
    totals: {
      hours: sum((r) => r.hours),
      vcpuHours: sum((r) => r.vcpuHours),
      ramGbHours: sum((r) => r.ramGbHours),
      diskGbHours: sum((r) => r.diskGbHours),
      ...(prices ? { cost: sum((r) => r.cost ?? 0) } : {}),
    },
    note: "Nova computes usage from each server's latest flavor and counts stopped and paused time.",
  };
}

export function usageCsv(r: UsageReport): string {
  const cols: (keyof ServerUsageRow)[] = [
    "serverId",
    "name",
    "flavor",
    "state",
    "startedAt",
    "endedAt",
    "uptimeHours",
    "hours",
    "vcpuHours",
    "ramGbHours",
    "diskGbHours",
    "cost",
  ];
  const esc = (v: unknown) => {
    const s = v === undefined || v === null ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(","), ...r.servers.map((row) => cols.map((c) => esc(row[c])).join(","))].join("\n") + "\n";
}

export function usageTable(r: UsageReport): string {
  const head = [
    "server",
    "name",
    "flavor",
    "uptime h",
    "vCPU-h",
    "RAM-GB-h",
    "disk-GB-h",
    ...(r.currency ? [`cost ${r.currency}`] : []),
  ];
  const rows = r.servers.map((s) => [
    s.serverId,
    s.name,
    s.flavor,
    s.uptimeHours.toFixed(2),
    s.vcpuHours.toFixed(2),
    s.ramGbHours.toFixed(2),
    s.diskGbHours.toFixed(2),
    ...(r.currency ? [(s.cost ?? 0).toFixed(4)] : []),
  ]);
  rows.push([
    "total",
    "",
    "",
    "",
    r.totals.vcpuHours.toFixed(2),
    r.totals.ramGbHours.toFixed(2),
    r.totals.diskGbHours.toFixed(2),
    ...(r.currency ? [(r.totals.cost ?? 0).toFixed(4)] : []),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padEnd(widths[i])).join("  ");
  return (
    [`usage of project ${r.projectId} from ${r.start} to ${r.end}`, fmt(head), ...rows.map(fmt), r.note].join("\n") +
    "\n"
  );
}
