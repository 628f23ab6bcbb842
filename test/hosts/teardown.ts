/**
 * Removes what a lab created, from its records: kills recorded pids only (after checking that
 * each pid still is the process we started), unmounts, deletes network namespaces, links and
 * work directories. Used by a lab's own cleanup and by the reaper for crashed runs.
 */
import * as fs from "node:fs";
import { processAlive, run, sleep } from "./process";
import { DEFAULT_STATE_ROOT, GuestRecord, LabRecord, ownerAlive, readRecords, removeRecord } from "./records";

function readProc(pid: number, file: string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return "";
  }
}

/** The nspawn process of this guest: its argv names the guest's root directory. */
function isOurNspawn(pid: number, record: GuestRecord): boolean {
  return processAlive(pid) && readProc(pid, "cmdline").split("\0").includes(record.rootDir);
}

function parentOf(pid: number): number {
  const stat = readProc(pid, "stat");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** The container's PID 1: the child of our nspawn (or, once nspawn is gone, a process in the guest's netns). */
function isOurLeader(pid: number, record: GuestRecord): boolean {
  if (!processAlive(pid)) return false;
  if (record.nspawnPid && isOurNspawn(record.nspawnPid, record) && parentOf(pid) === record.nspawnPid) return true;
  try {
    return fs.statSync(`/proc/${pid}/ns/net`).ino === fs.statSync(`/run/netns/${record.netns}`).ino;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Stops the guest's processes. Killing a PID namespace's init kills every process in it, so the
 * leader goes first (SIGKILL), then nspawn (which would otherwise wait for it).
 */
export async function killGuestProcesses(record: GuestRecord): Promise<void> {
  if (record.leaderPid && isOurLeader(record.leaderPid, record)) {
    process.kill(record.leaderPid, "SIGKILL");
    await waitGone(record.leaderPid, 10_000);
  }
  if (record.nspawnPid && isOurNspawn(record.nspawnPid, record)) {
    process.kill(record.nspawnPid, "SIGTERM");
    if (!(await waitGone(record.nspawnPid, 10_000)) && isOurNspawn(record.nspawnPid, record)) {
      process.kill(record.nspawnPid, "SIGKILL");
      await waitGone(record.nspawnPid, 5_000);
    }
  }
}

export function isMounted(mountPoint: string): boolean {
  const mounts = fs.readFileSync("/proc/self/mounts", "utf8");
  return mounts.split("\n").some((line) => line.split(" ")[1] === mountPoint);
}

export async function linkExists(name: string): Promise<boolean> {
  const result = await run(["ip", "link", "show", "dev", name], { allowFailure: true });
  return result.exitCode === 0;
}

export async function netnsExists(name: string): Promise<boolean> {
  return fs.existsSync(`/run/netns/${name}`);
}

/** Removes a guest completely (processes, mount, netns + veth, files, record). */
export async function teardownGuest(
  record: GuestRecord,
  stateRoot = DEFAULT_STATE_ROOT,
  keepFiles = false,
): Promise<void> {
  await killGuestProcesses(record);
  if (record.overlayMount && isMounted(record.overlayMount)) {
    await run(["umount", record.overlayMount], { allowFailure: true });
    if (isMounted(record.overlayMount)) await run(["umount", "-l", record.overlayMount], { allowFailure: true });
  }
  // Deleting the namespace deletes the guest end of the veth and with it the host end.
  if (await netnsExists(record.netns)) await run(["ip", "netns", "del", record.netns], { allowFailure: true });
  if (await linkExists(record.hostInterface))
    await run(["ip", "link", "del", record.hostInterface], { allowFailure: true });
  if (!keepFiles) fs.rmSync(record.guestDir, { recursive: true, force: true });
  removeRecord(stateRoot, record);
}

export async function teardownLab(record: LabRecord, stateRoot = DEFAULT_STATE_ROOT): Promise<void> {
  for (const bridge of record.bridges) {
    if (await linkExists(bridge)) await run(["ip", "link", "del", bridge], { allowFailure: true });
  }
  for (const claim of record.claims) fs.rmSync(claim, { force: true });
  fs.rmSync(record.workDir, { recursive: true, force: true });
  removeRecord(stateRoot, record);
}

export interface ReapReport {
  guests: string[];
  labs: string[];
}

/**
 * Removes leftovers of earlier runs with this prefix: every lab and guest whose owning test
 * process is gone (or all of them with `includeLiveOwners`). Safe to call at the start of a suite.
 */
export async function reapLeftovers(
  prefix: string,
  options: { stateRoot?: string; includeLiveOwners?: boolean } = {},
): Promise<ReapReport> {
  const stateRoot = options.stateRoot ?? DEFAULT_STATE_ROOT;
  const { labs, guests } = readRecords(stateRoot, prefix);
  const report: ReapReport = { guests: [], labs: [] };
  const stale = (r: LabRecord | GuestRecord) => options.includeLiveOwners || !ownerAlive(r);
  for (const guest of guests.filter(stale)) {
    await teardownGuest(guest, stateRoot);
    report.guests.push(`${guest.labId}/${guest.name}`);
  }
  const remainingGuests = readRecords(stateRoot, prefix).guests;
  for (const lab of labs.filter((l) => stale(l) && !remainingGuests.some((g) => g.labId === l.labId))) {
    await teardownLab(lab, stateRoot);
    report.labs.push(lab.labId);
  }
  return report;
}
