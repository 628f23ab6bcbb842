/**
 * The employee list of a desktop pool: validation and normalisation, before any resource exists.
 *
 * An employee's name becomes a Linux user name in the guest and part of every resource name of
 * that employee's desktop, so it is checked here with the rules of Debian's `adduser` and kept
 * stable: renaming an employee replaces their desktop.
 */
import { z } from "zod";
import { SameShape } from "../config/zod-types";
import { valueAt } from "../errors";
import type { DesktopEmployeeArgs } from "./thin-client-desktop-pool-args";

/** Power states a pool accepts for a desktop (Nova server states the provider can set). */
export const DESKTOP_POWER_STATES = ["active", "shutoff", "shelved_offloaded"] as const;
export type DesktopPowerState = (typeof DESKTOP_POWER_STATES)[number];

/**
 * Why "paused" (and "suspended") is refused: the 2017 office study's portal paused desktops "to free RAM", but
 * a paused server keeps its memory on the host, and a suspended one is still counted by
 * Nova/Placement against the host's capacity. Only shelving (SHELVED_OFFLOADED) or deleting a
 * server gives its vCPUs and RAM back to the scheduler.
 */
export const PAUSE_FREES_NOTHING =
  "pausing a server keeps its RAM allocated on the host and suspending still counts it against Nova's capacity; " +
  'only shelving frees capacity: use "shelved_offloaded" for desktops not in use (unshelve by setting "active" again)';

/** Debian adduser's default NAME_REGEX, with glibc's 32-character limit. */
export const LINUX_USER_NAME = /^[a-z][-a-z0-9_]*$/;
export const LINUX_USER_NAME_MAX = 32;

/** Names that exist on Debian/Ubuntu guests or belong to the desktop stack itself. */
export const RESERVED_USER_NAMES: ReadonlySet<string> = new Set([
  "root",
  "daemon",
  "bin",
  "sys",
  "sync",
  "games",
  "man",
  "lp",
  "mail",
  "news",
  "uucp",
  "proxy",
  "www-data",
  "backup",
  "list",
  "irc",
  "gnats",
  "nobody",
  "nogroup",
  "messagebus",
  "sshd",
  "xrdp",
  "polkitd",
  "colord",
  "avahi",
  "pulse",
  "rtkit",
  "lightdm",
  "debian",
  "ubuntu",
  "admin",
  "ssl-cert",
  "tss",
  "uuidd",
  "tcpdump",
]);

export interface Employee {
  name: string;
  fullName?: string;
  flavor: string;
  powerState: DesktopPowerState;
  /** "" unless the employee's password was rotated. */
  passwordRotation: string;
}

/** Returns why `name` is not a usable Linux user name for an employee, or undefined when it is. */
export function linuxUserNameProblem(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name.length > LINUX_USER_NAME_MAX) return `it has ${name.length} characters (at most ${LINUX_USER_NAME_MAX})`;
  if (!LINUX_USER_NAME.test(name)) {
    return "it must start with a lower-case letter and contain only lower-case letters, digits, '-' and '_'";
  }
  if (RESERVED_USER_NAMES.has(name) || name.startsWith("systemd-") || name.startsWith("_")) {
    return "it is a system account name on Debian/Ubuntu guests";
  }
  return undefined;
}

/** Throws, naming the user and the rule, when `name` is not a usable Linux user name. */
export function assertLinuxUserName(name: string): string {
  const problem = linuxUserNameProblem(name);
  if (problem) throw new Error(`user "${name}" is not a usable Linux user name: ${problem}`);
  return name;
}

/**
 * One employee as the pool's args give it (DesktopEmployeeArgs); names and power states are
 * checked by checkEmployees, which explains each refusal.
 */
export const desktopEmployeeSchema = z.strictObject({
  name: z.string({ message: "is required: the employee's Linux user name" }),
  fullName: z.string().optional(),
  flavor: z.string().min(1, { message: "is empty; give a flavor name or leave it out (the pool's flavor)" }).optional(),
  powerState: z.string().optional(),
  passwordRotation: z.string().max(64, { message: "is longer than 64 characters" }).optional(),
});
const _employeeSchemaMatchesArgs: SameShape<z.input<typeof desktopEmployeeSchema>, DesktopEmployeeArgs> = true;
void _employeeSchemaMatchesArgs;

/** One problem with an employee list entry: field (e.g. "employees[2].name"), value, what is wrong. */
export interface EmployeeProblem {
  field: string;
  value: unknown;
  problem: string;
}

export interface EmployeeListOptions {
  /** The pool's flavor, used for employees without one. */
  defaultFlavor: string;
  /** User names the pool itself uses in the guest (e.g. the admin user), which employees may not take. */
  takenNames?: string[];
  /** Where the list came from, for error messages (e.g. "ThinClientDesktopPool office: employees"). */
  field?: string;
}

/**
 * Checks and normalises an employee list, collecting every problem (each naming the entry, the
 * value and the fix) instead of stopping at the first; the employees returned are the valid ones.
 */
export function checkEmployees(
  input: unknown,
  options: EmployeeListOptions,
): { employees: Employee[]; problems: EmployeeProblem[] } {
  const field = options.field ?? "employees";
  const problems: EmployeeProblem[] = [];
  const employees: Employee[] = [];
  if (!Array.isArray(input)) {
    problems.push({ field, value: input, problem: "must be a list of employees ({ name, flavor?, powerState? })" });
    return { employees, problems };
  }
  if (!options.defaultFlavor)
    problems.push({
      field: "flavor",
      value: options.defaultFlavor,
      problem: "is required: the pool needs a flavor (the default for employees without one)",
    });
  const seen = new Map<string, number>();
  input.forEach((raw, index) => {
    const where = `${field}[${index}]`;
    const parsed = desktopEmployeeSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.map(String);
        const value = valueAt(raw, path);
        problems.push({ field: `${where}${path.length ? `.${path.join(".")}` : ""}`, value, problem: issue.message });
      }
      return;
    }
    const spec = parsed.data;
    const nameProblem = linuxUserNameProblem(spec.name);
    if (nameProblem) {
      problems.push({
        field: `${where}.name`,
        value: spec.name,
        problem: `is not a usable Linux user name: ${nameProblem}`,
      });
    } else if (options.takenNames?.includes(spec.name)) {
      problems.push({
        field: `${where}.name`,
        value: spec.name,
        problem: "is used by the pool itself (admin user); choose another name",
      });
    }
    const previous = seen.get(spec.name);
    if (previous !== undefined) {
      problems.push({
        field: `${where}.name`,
        value: spec.name,
        problem: `duplicates ${field}[${previous}]; each employee gets one desktop, so names must be unique`,
      });
    } else {
      seen.set(spec.name, index);
    }
    const state = spec.powerState ?? "active";
    if (state === "paused" || state === "suspended") {
      problems.push({ field: `${where}.powerState`, value: state, problem: `is refused: ${PAUSE_FREES_NOTHING}` });
    } else if (!(DESKTOP_POWER_STATES as readonly string[]).includes(state)) {
      problems.push({
        field: `${where}.powerState`,
        value: state,
        problem: `is not one of ${DESKTOP_POWER_STATES.join(", ")}`,
      });
    }
    employees.push({
      name: spec.name,
      fullName: spec.fullName,
      flavor: spec.flavor ?? options.defaultFlavor,
      powerState: state as DesktopPowerState,
      passwordRotation: spec.passwordRotation ?? "",
    });
  });
  return { employees, problems };
}

/**
 * Validates and normalises an employee list. Throws one error listing every problem, each naming
 * the entry, the value and the fix.
 */
export function validateEmployees(input: unknown, options: EmployeeListOptions): Employee[] {
  const field = options.field ?? "employees";
  const { employees, problems } = checkEmployees(input, options);
  if (problems.length > 0) {
    const lines = problems.map((p) => `${p.field} ${JSON.stringify(p.value)} ${p.problem}`);
    throw new Error(`${field} has ${problems.length} problem(s):\n  - ${lines.join("\n  - ")}`);
  }
  return employees;
}

/** Desktops that count against the hosts' capacity: every state except shelved_offloaded. */
export function occupiesCapacity(state: DesktopPowerState): boolean {
  return state !== "shelved_offloaded";
}

/**
 * The guest host name of an employee's desktop: `<prefix>-<name>` with "_" turned into "-"
 * (user names may contain "_", host names may not), at most 63 characters.
 */
export function desktopHostname(prefix: string, employee: string): string {
  const host = `${prefix}-${employee.replace(/_/g, "-")}`;
  if (
    !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(prefix) ||
    !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(host) ||
    host.length > 63
  ) {
    throw new Error(
      `desktop host name "${host}" (from prefix "${prefix}" and employee "${employee}") is not a valid host name: ` +
        "use a prefix of lower-case letters, digits and '-', and keep prefix + name within 63 characters",
    );
  }
  return host;
}

/** Throws when two employees would get the same host name (e.g. "a_b" and "a-b"). */
export function assertDistinctHostnames(prefix: string, employees: readonly Employee[]): void {
  const owners = new Map<string, string>();
  for (const e of employees) {
    const host = desktopHostname(prefix, e.name);
    const other = owners.get(host);
    if (other)
      throw new Error(
        `employees "${other}" and "${e.name}" would both get the host name "${host}"; rename one of them`,
      );
    owners.set(host, e.name);
  }
}
