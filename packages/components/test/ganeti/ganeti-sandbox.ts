// The sandbox the real Ganeti tests run in: two systemd-nspawn Debian bookworm guests (the test/hosts
// library) with Debian's Ganeti 3.0.2, each with its own netns, hostname, /etc/ganeti,
// /var/lib/ganeti and sshd, a directory bind-mounted into both for `sharedfile` storage, a bridge
// for the instances' NICs and a cluster SSH key. Booted once by ganeti-real-cluster.test.ts, whose
// three parts (real-cluster-basics.ts, real-cluster-node-groups.ts, real-cluster-node-life.ts)
// share it, each starting from reset(): no cluster on either guest.
// The guests hold CAP_NET_ADMIN on their own network namespaces, so Ganeti's own master-ip-setup
// adds, moves and removes the cluster address, as on real hosts.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { nthHost } from "../../src/network/cidr";
import {
  Guest,
  RemoteStep,
  RunReport,
  TestLab,
  buildRootfs,
  describeFailures,
  runRemoteSteps,
} from "../../../../test/hosts";

const GANETI_PACKAGES = ["ganeti", "ganeti-os-noop", "openssh-client"];
/** Where both guests see the shared directory (the cluster's `sharedFileStorageDir`). */
export const SHARED_DIR = "/srv/ganeti/shared-file-storage";

export type StepPhase = "create" | "update" | "delete";

export class GanetiSandbox {
  private constructor(
    readonly lab: TestLab,
    readonly guests: Guest[],
    /** The instances' NIC link, `<prefix>pub` (a bridge: VLANs need the 8021q module, which cannot load here). */
    readonly bridge: string,
    /** The cluster address: the guests' subnet's 10th host. */
    readonly clusterAddress: string,
    readonly clusterKey: { privateKey: string; publicKey: string },
  ) {}

  /**
   * Starts `<prefix>1` and `<prefix>2` (hostnames `<prefix>N.ganeti.test`). Call requireTestHosts first.
   * The lab reaps what a killed earlier run of the same prefix left (guests, overlay mounts,
   * namespaces, bridges, work directory) before it starts anything.
   */
  static async start(prefix: string): Promise<GanetiSandbox> {
    const rootfs = await buildRootfs({ name: "gn-ganeti-node", packages: GANETI_PACKAGES });
    const lab = await TestLab.create({ prefix: "gn", subnet: "10.203.0.0/16" });
    const net = await lab.network();
    const shared = path.join(lab.workDir, "shared-file-storage");
    fs.mkdirSync(shared, { recursive: true });
    const bridge = `${prefix}pub`;
    const guests: Guest[] = [];
    for (const i of [1, 2]) {
      const guest = await lab.startGuest({
        name: `${prefix}${i}`,
        hostname: `${prefix}${i}.ganeti.test`,
        rootfs,
        network: net,
        address: `${nthHost(net.cidr, 10 + i)}/${net.prefixLength}`,
        binds: [{ host: shared, guest: SHARED_DIR }],
        // CAP_NET_ADMIN on the guest's own network namespace: Ganeti's master-ip-setup moves the cluster address.
        capabilities: ["CAP_NET_ADMIN"],
      });
      // The guest's /sys shows the host's network devices (the library's nspawn mounts sysfs
      // outside the guest's netns), and Ganeti looks for bridges in /sys/class/net: remount sysfs
      // from inside the guest's network namespace and bind its net directories over /sys (not all
      // of /sys: that would hide /sys/fs/cgroup from the guest's systemd).
      const made = await guest.exec(
        [
          `ip link add ${bridge} type bridge && ip link set ${bridge} up`,
          "mkdir -p /run/gn-sysfs && mount -t sysfs -o ro,nosuid,nodev,noexec sysfs /run/gn-sysfs",
          "mount --bind /run/gn-sysfs/class/net /sys/class/net && mount --bind /run/gn-sysfs/devices/virtual/net /sys/devices/virtual/net",
          `test -d /sys/class/net/${bridge}/bridge`,
        ].join(" && "),
        { allowFailure: true },
      );
      expect(made.exitCode, made.stderr).to.equal(0);
      guests.push(guest);
    }
    const keyFile = path.join(lab.workDir, "cluster_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${prefix}-cluster`, "-f", keyFile]);
    const clusterKey = {
      privateKey: fs.readFileSync(keyFile, "utf8"),
      publicKey: fs.readFileSync(`${keyFile}.pub`, "utf8").trim(),
    };
    return new GanetiSandbox(lab, guests, bridge, nthHost(net.cidr, 10), clusterKey);
  }

  /** Runs recorded steps over real SSH with the guests' pinned host keys. Failures are in the report (see execute()). */
  async run(steps: RemoteStep[], phase: StepPhase): Promise<RunReport> {
    const hostKeys = Object.fromEntries(this.guests.map((g) => [g.ip, g.hostKey]));
    return runRemoteSteps(steps, { phase, hostKeys, parallel: 8 });
  }

  /** run(), failing with the failed steps and what the nodes' addresses and master-IP logs say. */
  async execute(steps: RemoteStep[], phase: StepPhase): Promise<RunReport> {
    const report = await this.run(steps, phase);
    if (report.ok) return report;
    const state = await Promise.all(
      this.guests.map(async (g) => {
        const r = await g.exec(
          "ip -br addr; grep -ihE 'master.ip|master_ip' /var/log/ganeti/*.log 2>/dev/null | tail -n 12 || true",
          { allowFailure: true },
        );
        return `--- ${g.hostname}\n${r.stdout}${r.stderr}`;
      }),
    );
    throw new Error(`${phase} failed:\n${describeFailures(report)}\n${state.join("\n")}`);
  }

  /** The master this guest's own Ganeti state names (undefined: it has no cluster config). */
  masterSeenBy(guest: Guest): string | undefined {
    if (!fs.existsSync(guest.hostPath("/var/lib/ganeti/config.data"))) return undefined;
    try {
      return guest.readFile("/var/lib/ganeti/ssconf_master_node").trim();
    } catch {
      return undefined;
    }
  }

  /**
   * Back to the state start() left, without a reboot (seconds instead of a new sandbox): destroys
   * a cluster a part left behind (on the guest whose ssconf names itself master), then on both
   * guests stops Ganeti's daemons and removes its state, the instances' fake-hypervisor files, the
   * shared disks and the cluster address. What the component's prepare steps wrote (/etc/hosts,
   * root's SSH files) stays: each part's first run rewrites those blocks.
   */
  async reset(): Promise<void> {
    for (const guest of this.guests) {
      if (this.masterSeenBy(guest) === guest.hostname)
        await guest.exec("timeout 300 gnt-cluster destroy --yes-do-it", { allowFailure: true });
    }
    for (const guest of this.guests) {
      const wiped = await guest.exec(
        [
          "systemctl stop ganeti.service 2>/dev/null || true",
          "systemctl start ssh.service",
          "rm -rf /var/lib/ganeti/* /var/run/ganeti/fake-hypervisor/* /etc/ganeti/file-storage-paths",
          `rm -rf ${SHARED_DIR}/*`,
          `ip address del ${this.clusterAddress}/32 dev eth0 2>/dev/null || true`,
        ].join("; "),
        { allowFailure: true },
      );
      expect(wiped.exitCode, wiped.stderr).to.equal(0);
    }
  }

  /** Stops the guests and removes the lab (network namespaces, mounts, work directory). */
  async cleanup(): Promise<void> {
    await this.lab.cleanup();
  }
}
