// Part of ganeti-real-cluster.test.ts (one sandbox boot for all parts): GanetiDrbdCluster's own commands, as recorded under the Pulumi mocks,
// executed over real SSH (pinned host keys) in their declared dependency order against two
// systemd-nspawn Debian guests, each with its own network namespace, hostname, /etc/ganeti,
// /var/lib/ganeti and sshd, running Debian's Ganeti 3.0.
//
// What is real: Ganeti 3.0.2 (gnt-cluster init, gnt-node add, gnt-instance add/migrate/failover,
// gnt-cluster verify, remove/destroy), sshd, the scripts. What is not: the Pulumi engine (the
// test-host runner stands in for it: it runs every step, so the second run re-runs everything to
// prove idempotence), KVM (the `fake` hypervisor runs Ganeti's whole logic without VMs) and DRBD
// (no kernel module here: `sharedfile` on a directory bind-mounted into both guests lets migrate
// and failover really move the instance; the DRBD/LVM/VLAN steps are checked only statically, in
// ganeti-scripts.test.ts).
//
// Tolerated verify finding (exactly one code, no blanket ignore): ENODESETUP — the guests' /proc
// has no /proc/sysrq-trigger (systemd-nspawn hides it), which Ganeti's node-setup check wants.
import { expect } from "chai";
import * as fs from "node:fs";
import { GanetiDrbdCluster } from "../../src/ganeti/ganeti-drbd-cluster";
import type { GanetiDrbdClusterArgs } from "../../src/ganeti/ganeti-args";
import { parseClusterReport } from "../../src/ganeti/cluster-report";
import { installMocks } from "@openstack-blueprints/test-harness";
import { Guest, RemoteStep, RunReport, stepsFromRecordedResources } from "../../../../test/hosts";
import { GanetiSandbox, SHARED_DIR, StepPhase } from "./ganeti-sandbox";

const INSTANCE = "gnvm1.ganeti.test";

/** The basic life of a cluster: build, migrate, fail over, delete. `current` is the booted sandbox. */
export function describeBasics(current: () => GanetiSandbox): void {
  describe("build, migrate, fail over and delete (sharedfile)", function () {
    const harness = installMocks();
    let sandbox: GanetiSandbox | undefined;
    const guests: Guest[] = [];
    let clusterKey = { privateKey: "", publicKey: "" };
    let clusterAddress = "";

    before(async () => {
      sandbox = current();
      await sandbox.reset();
      guests.splice(0, guests.length, ...sandbox.guests);
      clusterAddress = sandbox.clusterAddress;
      clusterKey = sandbox.clusterKey;
    });

    function clusterArgs(
      instance: Partial<NonNullable<GanetiDrbdClusterArgs["instances"]>[number]> = {},
    ): GanetiDrbdClusterArgs {
      return {
        nodes: guests.map((g) => ({
          fqdn: g.hostname,
          address: g.ip,
          connection: { host: g.ip, privateKey: g.connection.privateKey, hostKey: g.hostKey },
        })),
        clusterName: "gncluster.ganeti.test",
        clusterAddress,
        hypervisor: "fake",
        diskTemplates: ["sharedfile", "file"],
        sharedFileStorageDir: SHARED_DIR,
        network: { manage: false, publicBridge: "gnpub" },
        masterNetdev: "eth0",
        timeSync: "none",
        clusterSshPublicKey: clusterKey.publicKey,
        clusterSshPrivateKey: clusterKey.privateKey,
        verifyIgnoreErrors: ["ENODESETUP"],
        instances: [{ name: INSTANCE, diskSizeGiB: 1, os: "noop", primaryNode: "gn1.ganeti.test", ...instance }],
      };
    }

    async function stepsFor(args: GanetiDrbdClusterArgs): Promise<RemoteStep[]> {
      const run = await harness.runProgram(() => new GanetiDrbdCluster("gn", args));
      expect(run.thrown?.message).to.equal(undefined);
      expect(run.errors.map((e) => e.message)).to.deep.equal([]);
      return stepsFromRecordedResources(run.resources as any);
    }

    const execute = (steps: RemoteStep[], phase: StepPhase) => sandbox!.execute(steps, phase);

    const changed = (report: RunReport) =>
      Object.fromEntries(report.results.filter((r) => r.changed.length).map((r) => [r.name, r.changed]));
    const reportOf = (report: RunReport) =>
      parseClusterReport(report.results.find((r) => r.name === "gn-report")!.stdout);
    /** Whether the fake hypervisor runs the instance on this guest (its state file under /var/run, a tmpfs inside the guest). */
    const runsInstance = async (guest: Guest) =>
      (await guest.exec(`test -f /var/run/ganeti/fake-hypervisor/${INSTANCE}`, { allowFailure: true })).exitCode === 0;

    it("brings the cluster up in the declared order, then a second run changes nothing", async () => {
      const steps = await stepsFor(clusterArgs());
      const first = await execute(steps, "create");
      // Per-node preparation ran in parallel; the cluster init only after both.
      const start = (n: string) => first.results.find((r) => r.name === n)!;
      expect(start("gn-cluster").startedAt!).to.be.at.least(
        Math.max(start("gn-prepare-gn1").finishedAt!, start("gn-prepare-gn2").finishedAt!),
      );
      expect(start("gn-prepare-gn2").startedAt!).to.be.below(start("gn-prepare-gn1").finishedAt!);
      expect(changed(first)).to.include.keys(
        "gn-cluster",
        "gn-node-gn2",
        "gn-instance-gnvm1-ganeti-test",
        "gn-instance-gnvm1-ganeti-test-run",
      );
      const report = reportOf(first);
      expect(report.verifyPassed, report.verifyOutput).to.equal(true);
      expect(report.nodes.map((n) => `${n.name}:${n.role}`).sort()).to.deep.equal([
        "gn1.ganeti.test:M",
        "gn2.ganeti.test:C",
      ]);
      expect(report.instances).to.deep.equal([
        { name: INSTANCE, primaryNode: "gn1.ganeti.test", secondaryNodes: [], status: "running" },
      ]);
      expect(await runsInstance(guests[0])).to.equal(true);

      const second = await execute(steps, "update");
      expect(changed(second)).to.deep.equal({});
      expect(reportOf(second).verifyPassed).to.equal(true);
    });

    it("migrates the instance when its primary changes, and fails it over with the failover flag", async () => {
      const migrated = await execute(await stepsFor(clusterArgs({ primaryNode: "gn2.ganeti.test" })), "update");
      expect(Object.keys(changed(migrated))).to.deep.equal(["gn-instance-gnvm1-ganeti-test-placement"]);
      expect(changed(migrated)["gn-instance-gnvm1-ganeti-test-placement"][0]).to.contain(
        "migrated gnvm1.ganeti.test from gn1.ganeti.test to gn2.ganeti.test",
      );
      expect(reportOf(migrated).instances[0]).to.include({ primaryNode: "gn2.ganeti.test", status: "running" });
      expect(reportOf(migrated).verifyPassed).to.equal(true);
      expect([await runsInstance(guests[0]), await runsInstance(guests[1])]).to.deep.equal([false, true]);

      const failoverSteps = await stepsFor(clusterArgs({ primaryNode: "gn1.ganeti.test", failover: true }));
      const failedOver = await execute(failoverSteps, "update");
      expect(changed(failedOver)["gn-instance-gnvm1-ganeti-test-placement"][0]).to.contain(
        "failed gnvm1.ganeti.test over from gn2.ganeti.test to gn1.ganeti.test",
      );
      expect(reportOf(failedOver).instances[0]).to.include({ primaryNode: "gn1.ganeti.test", status: "running" });
      expect([await runsInstance(guests[0]), await runsInstance(guests[1])]).to.deep.equal([true, false]);

      // Converged: running the same declaration again changes nothing.
      expect(changed(await execute(failoverSteps, "update"))).to.deep.equal({});
    });

    it("deletes instance, node and cluster in dependency order", async () => {
      const steps = await stepsFor(clusterArgs({ primaryNode: "gn1.ganeti.test", failover: true }));
      const deleted = await execute(steps, "delete");
      const order = deleted.startOrder.filter((n) =>
        ["gn-instance-gnvm1-ganeti-test", "gn-node-gn2", "gn-cluster"].includes(n),
      );
      expect(order).to.deep.equal(["gn-instance-gnvm1-ganeti-test", "gn-node-gn2", "gn-cluster"]);
      expect(changed(deleted)).to.deep.equal({
        "gn-instance-gnvm1-ganeti-test": ["changed: removed instance gnvm1.ganeti.test"],
        "gn-node-gn2": ["changed: removed node gn2.ganeti.test"],
        "gn-cluster": ["changed: destroyed cluster gncluster.ganeti.test"],
      });
      expect(fs.existsSync(guests[0].hostPath("/var/lib/ganeti/config.data"))).to.equal(false);
    });
  });
}
