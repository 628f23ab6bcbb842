/**
 * Which Nova server is whose: the desktop pool marks each of its servers with the metadata
 * `blueprints-pool: <pool>` and `blueprints-employee: <employee>`, and the portal (with
 * `discover.pool`) finds them with its application credential at start and again as pages are
 * asked for. So the portal's config carries only what Nova cannot: each employee's password hash
 * (and report token hash), a bounded size whatever the number of desktops' other data.
 */
import type { Server } from "@openstack-blueprints/openstack-rest";
import type { DesktopEntry } from "./config";

export const POOL_METADATA_KEY = "blueprints-pool";
export const EMPLOYEE_METADATA_KEY = "blueprints-employee";

/** One of the pool's servers as Nova lists it. */
export interface DiscoveredDesktop {
  employee: string;
  serverId: string;
  hostname: string;
  /** Floating addresses first (what a thin client dials). */
  addresses: string[];
}

export function addressesOf(server: Server): string[] {
  const all = Object.values(server.addresses ?? {}).flat();
  return [
    ...all.filter((a) => a["OS-EXT-IPS:type"] === "floating"),
    ...all.filter((a) => a["OS-EXT-IPS:type"] !== "floating"),
  ].map((a) => a.addr);
}

/** The pool's desktops among a project's servers (others, and servers without an employee, ignored). */
export function poolDesktops(servers: readonly Server[], pool: string): DiscoveredDesktop[] {
  return servers
    .filter((s) => s.metadata?.[POOL_METADATA_KEY] === pool && (s.metadata?.[EMPLOYEE_METADATA_KEY] ?? "") !== "")
    .map((s) => ({
      employee: s.metadata![EMPLOYEE_METADATA_KEY],
      serverId: s.id,
      hostname: s.name,
      addresses: addressesOf(s),
    }));
}

/**
 * Puts what Nova said into the configured entries (in place: the portal's maps keep them). An
 * employee without a server in Nova keeps no server (their page says MISSING); a server whose
 * employee has no hash in the config is not served (nobody could sign in for it); two servers
 * claiming one employee: neither is trusted, the employee gets none. Returns what it did not use.
 */
export function applyDiscovery(
  entries: readonly DesktopEntry[],
  found: readonly DiscoveredDesktop[],
): { unknownEmployees: string[]; duplicated: string[] } {
  const byEmployee = new Map<string, DiscoveredDesktop[]>();
  for (const d of found) byEmployee.set(d.employee, [...(byEmployee.get(d.employee) ?? []), d]);
  const configured = new Set(entries.map((e) => e.employee));
  const duplicated: string[] = [];
  for (const entry of entries) {
    const mine = byEmployee.get(entry.employee) ?? [];
    if (mine.length > 1) duplicated.push(entry.employee);
    const d = mine.length === 1 ? mine[0] : undefined;
    entry.serverId = d?.serverId ?? "";
    entry.hostname = d?.hostname ?? entry.employee;
    // A notebook's jupyterUrl stays the config's (the pool's output: one short line per notebook).
    entry.address = d?.addresses[0] ?? "";
  }
  return {
    unknownEmployees: [...byEmployee.keys()].filter((e) => !configured.has(e)).sort(),
    duplicated,
  };
}
