// The sandbox the real Ganeti tests run in: two systemd-nspawn Debian bookworm guests (the test/hosts
// library) with Debian's Ganeti 3.0.2, each with its own netns, hostname, /etc/ganeti,
// /var/lib/ganeti and sshd, a directory bind-mounted into both for `sharedfile` storage, a bridge
// for the instances' NICs and a cluster SSH key. Shared by ganeti-real-cluster.test.ts and
// ganeti-node-groups-real-cluster.test.ts, whose guests differ only in their names (`gn*`, `gg*`).
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
    /** Whether the guests hold CAP_NET_ADMIN, so Ganeti's own master-ip-setup moves the cluster address. */
    readonly netAdmin: boolean,
  ) {}

  /**
   * Starts `<prefix>1` and `<prefix>2` (hostnames `<prefix>N.ganeti.test`). Call requireTestHosts first.
   * `netAdmin`: grant the guests CAP_NET_ADMIN (on their own network namespace only), so Ganeti's
   * master-ip-setup adds and removes the cluster address itself — needed to move the master role;
   * without it the test adds the address from the host (standInForMasterIp).
   */
  static async start(prefix: string, options: { netAdmin?: boolean } = {}): Promise<GanetiSandbox> {
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
        capabilities: options.netAdmin ? ["CAP_NET_ADMIN"] : [],
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
    return new GanetiSandbox(lab, guests, bridge, nthHost(net.cidr, 10), clusterKey, options.netAdmin ?? false);
  }

  /**
   * Runs recorded steps over real SSH with the guests' pinned host keys, with the master-IP
   * stand-in below while a create or update runs. Failures are in the report (see execute()).
   */
  async run(steps: RemoteStep[], phase: StepPhase): Promise<RunReport> {
    const hostKeys = Object.fromEntries(this.guests.map((g) => [g.ip, g.hostKey]));
    const stopStandIn = phase === "delete" || this.netAdmin ? async () => undefined : this.standInForMasterIp();
    return runRemoteSteps(steps, { phase, hostKeys, parallel: 8 }).finally(stopStandIn);
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

  /** Stops the guests and removes the lab (network namespaces, mounts, work directory). */
  async cleanup(): Promise<void> {
    await this.lab.cleanup();
  }

  /**
   * Sandbox-only stand-in for a capability the guests lack unless started with `netAdmin`: without
   * CAP_NET_ADMIN Ganeti's master-ip-setup cannot
   * `ip address add` the cluster address (RTNETLINK: Operation not permitted), and `gnt-cluster
   * init` refuses an address that is already up. So while steps run, once the master has a
   * cluster config, the test adds the address from the host (nsenter, full capabilities) — what
   * master-ip-setup would have done; the init step's own wait-then-activate finds it up.
   */
  private standInForMasterIp(): () => Promise<void> {
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        // The address follows the master role (gnt-cluster master-failover): up on the guest
        // whose own ssconf names itself master, taken down on a guest that names another.
        for (const guest of this.guests) {
          const master = this.masterSeenBy(guest);
          if (master === undefined) continue;
          const has = `ip -o -4 address show dev eth0 | grep -qF ' ${this.clusterAddress}/'`;
          await guest.exec(
            master === guest.hostname
              ? `${has} || ip address add ${this.clusterAddress}/32 dev eth0 label eth0:0`
              : `! ${has} || ip address del ${this.clusterAddress}/32 dev eth0`,
            { allowFailure: true },
          );
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    return async () => {
      stopped = true;
      await loop;
    };
  }
}
