/**
 * Background processes without systemd: each one is started in its own session (so it is the
 * leader of its process group), its pid and kernel start time go into a pid file, and it is
 * stopped by signalling exactly that group. The start time guards against a recycled pid: a
 * pid file whose start time no longer matches names a process we did not start.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface PidRecord {
  pid: number;
  startTime: string;
  argv: string[];
  startedAt: string;
  /** Hash of the configuration the process was started with; a different one means restart. */
  configHash?: string;
}

export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 22 (starttime); the command name (field 2) may contain spaces, so split after ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19];
  } catch {
    return undefined;
  }
}

function pidFile(runDir: string, name: string): string {
  return path.join(runDir, `${name}.pid`);
}

export function readPidRecord(runDir: string, name: string): PidRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(pidFile(runDir, name), "utf8")) as PidRecord;
  } catch {
    return undefined;
  }
}

/** The recorded process if it is still the very process we started (and not a zombie). */
export function runningPid(runDir: string, name: string): number | undefined {
  const rec = readPidRecord(runDir, name);
  if (!rec) return undefined;
  if (processStartTime(rec.pid) !== rec.startTime) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${rec.pid}/status`, "utf8");
    if (/^State:\s+Z/m.test(status)) return undefined;
  } catch {
    return undefined;
  }
  return rec.pid;
}

export interface StartOptions {
  name: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  runDir: string;
  logDir: string;
  configHash?: string;
}

export function startProcess(opts: StartOptions): number {
  fs.mkdirSync(opts.runDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(opts.logDir, { recursive: true, mode: 0o750 });
  const log = fs.openSync(path.join(opts.logDir, `${opts.name}.log`), "a", 0o640);
  const [cmd, ...args] = opts.argv;
  if (!cmd) throw new Error(`${opts.name}: empty command`);
  const child = spawn(cmd, args, {
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd ?? "/",
  });
  fs.closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${opts.name}: could not start ${cmd}`);
  child.unref();
  const startTime = processStartTime(pid);
  if (!startTime)
    throw new Error(`${opts.name}: exited immediately; see ${path.join(opts.logDir, opts.name + ".log")}`);
  const rec: PidRecord = {
    pid,
    startTime,
    argv: opts.argv,
    startedAt: new Date().toISOString(),
    configHash: opts.configHash,
  };
  fs.writeFileSync(pidFile(opts.runDir, opts.name), JSON.stringify(rec) + "\n", { mode: 0o600 });
  return pid;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the process group we started, then SIGKILL after `graceMs`. Removes the pid file. */
export async function stopProcess(runDir: string, name: string, graceMs = 15000): Promise<"stopped" | "not-running"> {
  const pid = runningPid(runDir, name);
  const file = pidFile(runDir, name);
  if (pid === undefined) {
    fs.rmSync(file, { force: true });
    return "not-running";
  }
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    /* group already gone */
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && groupAlive(pid)) await sleep(100);
  if (groupAlive(pid)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      /* gone meanwhile */
    }
    // A zombie nobody reaps would keep the group "alive"; do not wait for it forever.
    const killDeadline = Date.now() + 5000;
    while (Date.now() < killDeadline && groupAlive(pid)) await sleep(50);
  }
  fs.rmSync(file, { force: true });
  return "stopped";
}
