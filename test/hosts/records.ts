/**
 * On-disk records of what a test lab created (bridges, network namespaces, veths, mounts,
 * processes with their pids), so that cleanup — and the reaper, after a crashed test run — removes
 * exactly those things and kills only recorded pids.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const DEFAULT_STATE_ROOT = process.env.BLUEPRINTS_TESTHOSTS_STATE ?? "/run/openstack-blueprints/testhosts";
export const DEFAULT_WORK_ROOT = process.env.BLUEPRINTS_TESTHOSTS_WORK ?? "/var/tmp/openstack-blueprints/testhosts";

export interface LabRecord {
  kind: "lab";
  prefix: string;
  labId: string;
  /** pid of the test process that owns the lab; the reaper leaves labs of live owners alone. */
  ownerPid: number;
  /** Start time of the owner (field 22 of /proc/PID/stat), so a reused pid is not mistaken for it. */
  ownerStart: string;
  workDir: string;
  bridges: string[];
  /** Files claiming a /24 (or other) network of the prefix's subnet. */
  claims: string[];
}

export interface GuestRecord {
  kind: "guest";
  prefix: string;
  labId: string;
  name: string;
  ownerPid: number;
  ownerStart: string;
  netns: string;
  hostInterface: string;
  /** Where the guest's root is mounted (overlay) or copied. */
  rootDir: string;
  /** Overlay mount point, when the root is an overlay. */
  overlayMount?: string;
  /** The overlay's layers: lower dirs (top first) and the guest's own upper dir. */
  lowerDirs?: string[];
  upperDir?: string;
  guestDir: string;
  nspawnPid?: number;
  /** pid (host view) of the container's PID 1 (systemd, or nspawn's stub init). */
  leaderPid?: number;
}

export function prefixDir(stateRoot: string, prefix: string): string {
  return path.join(stateRoot, prefix);
}

export function writeRecord(stateRoot: string, record: LabRecord | GuestRecord): void {
  const dir = prefixDir(stateRoot, record.prefix);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, recordFileName(record));
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

export function removeRecord(stateRoot: string, record: LabRecord | GuestRecord): void {
  fs.rmSync(path.join(prefixDir(stateRoot, record.prefix), recordFileName(record)), { force: true });
}

function recordFileName(record: LabRecord | GuestRecord): string {
  return record.kind === "lab" ? `lab-${record.labId}.json` : `guest-${record.labId}-${record.name}.json`;
}

export function readRecords(stateRoot: string, prefix: string): { labs: LabRecord[]; guests: GuestRecord[] } {
  const dir = prefixDir(stateRoot, prefix);
  const labs: LabRecord[] = [];
  const guests: GuestRecord[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return { labs, guests };
  }
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    try {
      const record = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) as LabRecord | GuestRecord;
      if (record.kind === "lab") labs.push(record);
      else if (record.kind === "guest") guests.push(record);
    } catch {
      // A record being written right now (tmp + rename makes this rare): skip it.
    }
  }
  return { labs, guests };
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), "" if gone. */
export function processStartTime(pid: number): string {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "";
  } catch {
    return "";
  }
}

/** True while the test process that created the record is still running. */
export function ownerAlive(record: LabRecord | GuestRecord): boolean {
  return processStartTime(record.ownerPid) === record.ownerStart && record.ownerStart !== "";
}
