/**
 * A running systemd-nspawn guest: its own network namespace and address, its own sshd host key,
 * a root made from a cached rootfs. Created by TestLab.startGuest (see lab.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { processAlive, run, RunOptions, RunResult, sleep, StopWaiting, waitFor } from "./process";
import { GuestRecord, writeRecord } from "./records";
import { SshKeyPair, keyWithoutComment } from "./ssh-keys";
import { sshArgs } from "./ssh-client";
import { isMounted, killGuestProcesses, teardownGuest } from "./teardown";

/** What `connection` of a remote.Command (plus the pinned host key) needs to reach the guest. */
export interface GuestConnection {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  /** "ssh-ed25519 AAAA…": the guest's host key, to pin (StrictHostKeyChecking=yes). */
  hostKey: string;
}

export interface CloudInitResult {
  /** "done" or "error" (cloud-init status after --wait), or "disabled"/"running" if it never finished. */
  status: string;
  /** errors from /var/lib/cloud/data/result.json (empty when cloud-init succeeded). */
  errors: string[];
  /** `cloud-init status --long` output. */
  detail: string;
  /** Seconds from the call until cloud-init had finished. */
  waitedSeconds: number;
}

const GUEST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export class Guest {
  /** Set when the guest is booted; cleared by stop(). */
  private running = true;

  constructor(
    public readonly name: string,
    public readonly hostname: string,
    /** Address without prefix length, e.g. "10.200.1.2". */
    public readonly ip: string,
    /** Address with prefix length, e.g. "10.200.1.2/24". */
    public readonly address: string,
    public readonly netns: string,
    public readonly boot: "systemd" | "sshd-only",
    /** The root directory as mounted on the host (overlay merged dir or copy). */
    public readonly rootDir: string,
    /** The guest's ed25519 host public key ("ssh-ed25519 AAAA…"). */
    public readonly hostKey: string,
    /** The test run's client key pair, authorized for root in the guest. */
    public readonly clientKey: SshKeyPair,
    private readonly record: GuestRecord,
    private readonly stateRoot: string,
    /** Files of the console log (nspawn's output, including systemd's boot messages). */
    public readonly consoleLog: string,
  ) {}

  get leaderPid(): number {
    if (!this.record.leaderPid) throw new Error(`guest ${this.name} has no running PID 1`);
    return this.record.leaderPid;
  }

  get nspawnPid(): number | undefined {
    return this.record.nspawnPid;
  }

  get isRunning(): boolean {
    return this.running && this.record.nspawnPid !== undefined && processAlive(this.record.nspawnPid);
  }

  /** SSH connection details for the runner / a remote.Command, with this guest's pinned host key. */
  get connection(): GuestConnection {
    return {
      host: this.ip,
      port: 22,
      user: "root",
      privateKey: this.clientKey.privateKey,
      hostKey: keyWithoutComment(this.hostKey),
    };
  }

  /**
   * Runs a bash command inside the guest as root (nsenter into all of PID 1's namespaces, with a
   * clean environment). Rejects on a non-zero exit unless options.allowFailure.
   */
  exec(command: string, options: RunOptions = {}): Promise<RunResult> {
    const env = Object.entries({
      PATH: GUEST_PATH,
      HOME: "/root",
      LANG: "C.UTF-8",
      TERM: "dumb",
      ...(options.env ?? {}),
    }).map(([k, v]) => `${k}=${v}`);
    return run(
      ["nsenter", "-t", String(this.leaderPid), "-a", "--", "/usr/bin/env", "-i", ...env, "/bin/bash", "-c", command],
      {
        ...options,
        env: undefined,
      },
    );
  }

  /** Runs a command over real SSH (as root, host key pinned). */
  async ssh(command: string, options: RunOptions = {}): Promise<RunResult> {
    const { args, dispose } = sshArgs(this.connection);
    try {
      return await run([...args, "--", command], options);
    } finally {
      dispose();
    }
  }

  /** Reads a file from the guest's root (host-side path access; works while stopped too). */
  readFile(guestPath: string): string {
    return fs.readFileSync(this.hostPath(guestPath), "utf8");
  }

  /** The host path of a path inside the guest's root. */
  hostPath(guestPath: string): string {
    if (!guestPath.startsWith("/")) throw new Error(`guest path must be absolute: ${guestPath}`);
    return path.join(this.rootDir, guestPath);
  }

  /** Waits until `systemctl is-system-running` says running or degraded; returns that state. */
  async waitForSystem(timeoutMs = 120_000): Promise<string> {
    if (this.boot !== "systemd") return "sshd-only";
    return waitFor(`guest ${this.name} to finish booting`, timeoutMs, async () => {
      this.assertAlive();
      const state = (
        await this.exec("systemctl is-system-running", { allowFailure: true, timeoutMs: 10_000 })
      ).stdout.trim();
      return state === "running" || state === "degraded" ? state : undefined;
    });
  }

  /** Units that failed during boot (for test diagnostics; a container often has a few). */
  async failedUnits(): Promise<string[]> {
    const out = await this.exec("systemctl list-units --failed --plain --no-legend --no-pager", { allowFailure: true });
    return out.stdout
      .split("\n")
      .map((line) => line.trim().split(/\s+/)[0])
      .filter((unit) => unit);
  }

  /** Waits until sshd accepts our key with the pinned host key; returns the seconds it took. */
  async waitForSsh(timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    await waitFor(
      `ssh to guest ${this.name} (${this.ip})`,
      timeoutMs,
      async () => {
        this.assertAlive();
        const result = await this.ssh("true", { allowFailure: true, timeoutMs: 15_000 });
        if (result.exitCode !== 0) throw new Error(result.stderr.trim());
        return true;
      },
      200,
    );
    return (Date.now() - started) / 1000;
  }

  /**
   * Waits for cloud-init to finish (`cloud-init status --wait`) and returns its status and the
   * errors it recorded in result.json. Does not throw on cloud-init errors: the test asserts.
   */
  async waitForCloudInit(timeoutMs = 600_000): Promise<CloudInitResult> {
    const started = Date.now();
    const wait = await this.exec("cloud-init status --wait >/dev/null; cloud-init status --long", {
      allowFailure: true,
      timeoutMs,
    });
    const detail = wait.stdout.trim();
    const status = /^status:\s*(\S+)/m.exec(detail)?.[1] ?? "unknown";
    let errors: string[] = [];
    const result = await this.exec("cat /var/lib/cloud/data/result.json", { allowFailure: true });
    if (result.exitCode === 0) {
      const parsed = JSON.parse(result.stdout) as { v1?: { errors?: string[] } };
      errors = parsed.v1?.errors ?? [];
    } else if (status !== "done") {
      errors = [`no /var/lib/cloud/data/result.json (cloud-init status: ${status})`];
    }
    return { status, errors, detail, waitedSeconds: (Date.now() - started) / 1000 };
  }

  /** The guest's console log so far (systemd boot messages). */
  console(): string {
    try {
      return fs.readFileSync(this.consoleLog, "utf8");
    } catch {
      return "";
    }
  }

  /**
   * Shuts the guest down: `systemctl poweroff` (systemd guests), then SIGTERM/SIGKILL of the
   * recorded pids if it does not stop in time. The root stays mounted (for readFile/capture).
   */
  async stop(timeoutMs = 30_000): Promise<void> {
    const nspawnPid = this.record.nspawnPid;
    if (nspawnPid && processAlive(nspawnPid)) {
      if (this.boot === "systemd" && this.record.leaderPid && processAlive(this.record.leaderPid)) {
        await this.exec("systemctl poweroff --no-block", { allowFailure: true, timeoutMs: 10_000 }).catch(
          () => undefined,
        );
        const deadline = Date.now() + timeoutMs;
        while (processAlive(nspawnPid) && Date.now() < deadline) await sleep(100);
      }
      await killGuestProcesses(this.record);
    }
    this.running = false;
    this.record.nspawnPid = undefined;
    this.record.leaderPid = undefined;
    writeRecord(this.stateRoot, this.record);
  }

  /** Stops the guest if needed and removes everything it used (netns, veth, mount, files). */
  async cleanup(): Promise<void> {
    await this.stop().catch(() => undefined);
    await teardownGuest(this.record, this.stateRoot);
  }

  /** @internal used by captureRootfs: the record (mount point, dirs). */
  get internalRecord(): Readonly<GuestRecord> {
    return this.record;
  }

  /** @internal */
  rootMounted(): boolean {
    return this.record.overlayMount ? isMounted(this.record.overlayMount) : fs.existsSync(this.rootDir);
  }

  private assertAlive(): void {
    if (!this.record.nspawnPid || !processAlive(this.record.nspawnPid)) {
      throw new StopWaiting(`guest ${this.name} exited; console:\n${this.console().split("\n").slice(-30).join("\n")}`);
    }
  }
}

/**
 * Host keys to pin for the runner, by every name a program may use for the guests (address,
 * hostname, short hostname): `runRemoteSteps(steps, { hostKeys: pinnedHostKeys([a, b]) })`.
 */
export function pinnedHostKeys(guests: Guest[]): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const guest of guests) {
    const key = keyWithoutComment(guest.hostKey);
    for (const name of [guest.ip, guest.hostname, guest.hostname.split(".")[0]]) keys[name] = key;
  }
  return keys;
}
