// Boots a systemd-nspawn guest (real systemd as PID 1, real cloud-init) inside one of the
// lab's network namespaces, with a NoCloud seed holding the user data the component rendered.
// The root file system is shared read-only; each guest writes to its own tmpfs overlay.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface BootedGuest {
  name: string;
  pid: number;
  /** Console output so far (systemd's boot messages, cloud-init's). */
  console(): string;
  /** What cloud-init and systemd inside the guest say (for failure messages). */
  report(): string;
  stop(): Promise<void>;
}

export function bootGuest(rootfs: string, namespace: string, name: string, userData: string): BootedGuest {
  const seed = fs.mkdtempSync(path.join(os.tmpdir(), `calc-seed-${name}-`));
  fs.writeFileSync(path.join(seed, "user-data"), userData);
  fs.writeFileSync(path.join(seed, "meta-data"), `instance-id: ${name}\nlocal-hostname: ${name}\n`);
  const child: ChildProcess = spawn(
    "systemd-nspawn",
    [
      "--register=no",
      "--keep-unit",
      "--quiet",
      "-D",
      rootfs,
      "--volatile=overlay",
      `--network-namespace-path=/run/netns/${namespace}`,
      `--bind-ro=${seed}:/var/lib/cloud/seed/nocloud`,
      // read-only: nspawn drains the console pty into our pipe. With "passive" nobody reads it, and
      // once its buffer is full PID 1 blocks writing to /dev/console: the guest hangs mid-boot.
      "-M",
      name,
      "--console=read-only",
      "-b",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name,
    pid: child.pid!,
    console: () => output,
    report: () => {
      // The guest's PID 1 is nspawn's child; nsenter joins all its namespaces.
      const init = spawnSync("sh", ["-c", `cat /proc/${child.pid}/task/${child.pid}/children`], { encoding: "utf8" })
        .stdout.trim()
        .split(/\s+/)[0];
      if (!init) return "(no guest init process)";
      const run = (cmd: string) => {
        const r = spawnSync("nsenter", ["-t", init, "-a", "sh", "-c", cmd], { encoding: "utf8", timeout: 20000 });
        return `$ ${cmd}\n${(r.stdout + r.stderr).trim().slice(-2500)}`;
      };
      return [
        run(
          'systemctl is-system-running; systemctl list-jobs --no-pager | head -20; cloud-init status --long; ps -eo pid,ppid,stat,etime,args | grep -v "ps -eo" | tail -25',
        ),
        run("systemctl --no-pager status 'calculator-*' 2>&1 | head -30"),
        run("tail -n 25 /var/log/cloud-init-output.log; ip -br addr; ip route"),
      ].join("\n");
    },
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
