// Boots a systemd-nspawn guest (real systemd as PID 1, real cloud-init) inside one of the
// lab's network namespaces, with a NoCloud seed holding the user data the component rendered.
// The root file system is shared read-only; each guest writes to its own tmpfs overlay.
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface BootedGuest {
  name: string;
  pid: number;
  /** Console output so far (systemd's boot messages, cloud-init's). */
  console(): string;
  stop(): Promise<void>;
}

export function bootGuest(rootfs: string, namespace: string, name: string, userData: string): BootedGuest {
  const seed = fs.mkdtempSync(path.join(os.tmpdir(), `calc-seed-${name}-`));
  fs.writeFileSync(path.join(seed, "user-data"), userData);
  fs.writeFileSync(path.join(seed, "meta-data"), `instance-id: ${name}\nlocal-hostname: ${name}\n`);
  const child: ChildProcess = spawn("systemd-nspawn", [
    "--register=no", "--keep-unit", "--quiet",
    "-D", rootfs, "--volatile=overlay",
    `--network-namespace-path=/run/netns/${namespace}`,
    `--bind-ro=${seed}:/var/lib/cloud/seed/nocloud`,
    "-M", name, "--console=passive", "-b",
  ], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name,
    pid: child.pid!,
    console: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        // nspawn turns SIGTERM into an orderly poweroff of the guest's systemd.
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 20000);
        await exited;
        clearTimeout(killer);
      }
      fs.rmSync(seed, { recursive: true, force: true });
    },
  };
}
