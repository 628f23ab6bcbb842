// Part of ganeti-real-cluster.test.ts (one sandbox boot for all parts). Node groups as state, on a REAL two-node Ganeti 3.0 cluster: GanetiDrbdCluster's own commands,
// recorded under the Pulumi mocks, run over real SSH (pinned host keys) in dependency order
// against two systemd-nspawn Debian bookworm guests running Debian's Ganeti 3.0.2 (see
// ganeti-sandbox.ts and ganeti-real-cluster.test.ts for the sandbox: fake hypervisor, sharedfile on a directory shared
// by both guests, ENODESETUP tolerated because nspawn hides /proc/sysrq-trigger).
//
// What is real: gnt-group add/modify/assign-nodes/remove, gnt-node list, the instance's group
// check, Ganeti's own refusal to remove a group that still has nodes. What stands in for the
// Pulumi engine: the test-host runner. It runs every step of a declaration (so a second run
// proves idempotence), and for a group dropped from the declaration the test runs that group's
// delete after the updates, as the engine does with a resource no longer declared.
import { expect } from "chai";
import * as fs from "node:fs";
import { GanetiDrbdCluster } from "../../src/ganeti/ganeti-drbd-cluster";
import type { GanetiDrbdClusterArgs, GanetiNodeGroupArgs } from "../../src/ganeti/ganeti-args";
import { parseClusterReport } from "../../src/ganeti/cluster-report";
import { installMocks } from "@openstack-blueprints/test-harness";
import { Guest, RemoteStep, RunReport, stepsFromRecordedResources } from "../../../../test/hosts";
import { GanetiSandbox, SHARED_DIR, StepPhase } from "./ganeti-sandbox";

const INSTANCE = "ggvm1.ganeti.test";
const NODE1 = "gn1.ganeti.test";
const NODE2 = "gn2.ganeti.test";

/** Node groups as state. `current` is the booted sandbox. */
export function describeNodeGroups(current: () => GanetiSandbox): void {
  describe("node groups", function () {
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

    /** The cluster with the given groups and each node's group (undefined: Ganeti's "default"). */
    function clusterArgs(
      nodeGroups: GanetiNodeGroupArgs[],
      groupOf: [string | undefined, string | undefined],
      instanceGroup?: string,
    ): GanetiDrbdClusterArgs {
      return {
        nodes: guests.map((g, i) => ({
          fqdn: g.hostname,
          address: g.ip,
          connection: { host: g.ip, privateKey: g.connection.privateKey, hostKey: g.hostKey },
          group: groupOf[i],
        })),
        clusterName: "ggcluster.ganeti.test",
        clusterAddress,
        hypervisor: "fake",
        diskTemplates: ["sharedfile", "file"],
        sharedFileStorageDir: SHARED_DIR,
        network: { manage: false, publicBridge: sandbox!.bridge },
        masterNetdev: "eth0",
        timeSync: "none",
        clusterSshPublicKey: clusterKey.publicKey,
        clusterSshPrivateKey: clusterKey.privateKey,
        verifyIgnoreErrors: ["ENODESETUP"],
        nodeGroups,
        instances: [
          {
            name: INSTANCE,
            diskSizeGiB: 1,
            os: "noop",
            diskTemplate: "sharedfile",
            primaryNode: NODE1,
            group: instanceGroup,
          },
        ],
      };
    }

    async function stepsFor(args: GanetiDrbdClusterArgs): Promise<RemoteStep[]> {
      const run = await harness.runProgram(() => new GanetiDrbdCluster("gg", args));
      expect(run.thrown?.message).to.equal(undefined);
      expect(run.errors.map((e) => e.message)).to.deep.equal([]);
      return stepsFromRecordedResources(run.resources as any);
    }

    const run = (steps: RemoteStep[], phase: StepPhase) => sandbox!.run(steps, phase);
    const execute = (steps: RemoteStep[], phase: StepPhase) => sandbox!.execute(steps, phase);

    /**
     * The steps `pulumi up` deletes when `after` no longer declares them: their deletes run among
     * themselves in reverse dependency order; what they depended on and is kept stays.
     */
    function removedSteps(before: RemoteStep[], after: RemoteStep[]): RemoteStep[] {
      const kept = new Set(after.map((s) => s.urn));
      const removed = before.filter((s) => !kept.has(s.urn));
      const removedUrns = new Set(removed.map((s) => s.urn));
      return removed.map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => removedUrns.has(d)) }));
    }

    /** What `pulumi up` does on a changed declaration: run the new one, then delete what it no longer declares. */
    async function up(before: RemoteStep[], after: RemoteStep[]): Promise<RunReport[]> {
      const updated = await execute(after, "update");
      const removed = removedSteps(before, after);
      return [updated, ...(removed.length > 0 ? [await execute(removed, "delete")] : [])];
    }

    const changed = (...reports: RunReport[]) =>
      Object.fromEntries(
        reports.flatMap((report) => report.results.filter((r) => r.changed.length).map((r) => [r.name, r.changed])),
      );
    /** Ganeti's own view, read on the master: node -> group, and group -> alloc policy|custom ipolicy. */
    async function ganetiGroups(): Promise<{ nodes: Record<string, string>; groups: Record<string, string> }> {
      const master = guests[0];
      const nodes = await master.exec("gnt-node list --no-headers --separator='|' -o name,group");
      const groups = await master.exec(
        "gnt-group list --no-headers --separator='|' -o name,alloc_policy,custom_ipolicy",
      );
      const table = (text: string) =>
        Object.fromEntries(
          text
            .trim()
            .split("\n")
            .map((line) => {
              const [name, ...rest] = line.split("|");
              return [name, rest.join("|")];
            }),
        );
      return { nodes: table(nodes.stdout), groups: table(groups.stdout) };
    }

    const rack1 = { name: "rack1" };
    const rack2 = { name: "rack2", allocPolicy: "last_resort", diskTemplates: ["sharedfile"] };
    let declared: RemoteStep[] = [];

    it("creates the declared groups and puts each node in its group; a second run changes nothing", async () => {
      declared = await stepsFor(clusterArgs([rack1, rack2], ["rack1", "rack2"], "rack1"));
      const first = await execute(declared, "create");
      expect(changed(first)).to.include.keys(
        "gg-cluster",
        "gg-node-gn2",
        "gg-group-rack1",
        "gg-group-rack2",
        "gg-node-groups",
      );
      expect(changed(first)["gg-group-rack2"]).to.deep.equal([
        "changed: added node group rack2 (--alloc-policy=last_resort --ipolicy-disk-templates=sharedfile)",
      ]);
      // The groups exist before the node steps run; the membership step after both nodes are in.
      const at = (name: string) => first.results.find((r) => r.name === name)!;
      expect(at("gg-node-gn2").startedAt!).to.be.at.least(at("gg-group-rack2").finishedAt!);
      expect(at("gg-node-groups").startedAt!).to.be.at.least(at("gg-node-gn2").finishedAt!);
      const state = await ganetiGroups();
      expect(state.nodes).to.deep.equal({ [NODE1]: "rack1", [NODE2]: "rack2" });
      expect(state.groups).to.deep.equal({
        default: "preferred|{}",
        rack1: "preferred|{}",
        rack2: "last_resort|{'disk-templates': ['sharedfile']}",
      });
      const report = parseClusterReport(first.results.find((r) => r.name === "gg-report")!.stdout);
      expect(report.verifyPassed, report.verifyOutput).to.equal(true);
      expect(report.instances[0]).to.include({ primaryNode: NODE1, status: "running" });

      const second = await execute(declared, "update");
      expect(changed(second)).to.deep.equal({});
    });

    it("moves a node to another group, applies changed settings, and removes the group left empty", async () => {
      // rack2 is dropped: gn2 moves to rack1 (assign-nodes), rack1 gets a policy, rack2 is removed.
      const next = await stepsFor(
        clusterArgs(
          [{ name: "rack1", allocPolicy: "last_resort", diskTemplates: ["sharedfile", "file"] }],
          ["rack1", "rack1"],
          "rack1",
        ),
      );
      const reports = await up(declared, next);
      expect(changed(...reports)).to.deep.equal({
        "gg-group-rack1": [
          "changed: node group rack1 allocation policy preferred -> last_resort",
          "changed: node group rack1 disk templates cluster-default -> sharedfile,file",
        ],
        "gg-node-groups": [`changed: moved ${NODE2} to node group rack1`],
        "gg-group-rack2": ["changed: removed node group rack2"],
      });
      const state = await ganetiGroups();
      expect(state.nodes).to.deep.equal({ [NODE1]: "rack1", [NODE2]: "rack1" });
      expect(state.groups).to.deep.equal({
        default: "preferred|{}",
        rack1: "last_resort|{'disk-templates': ['sharedfile', 'file']}",
      });
      declared = next;
      expect(changed(await execute(declared, "update"))).to.deep.equal({});
    });

    it("refuses to remove a group that still holds a node, naming it and the fix; then removes it once empty", async () => {
      // A spare group, declared with no node; an operator then puts gn2 in it by hand.
      const withSpare = await stepsFor(clusterArgs([rack1, { name: "spare" }], ["rack1", "rack1"], "rack1"));
      await up(declared, withSpare);
      const assign = await guests[0].exec(`gnt-group assign-nodes spare ${NODE2}`, { allowFailure: true });
      expect(assign.exitCode, assign.stderr).to.equal(0);
      // Dropping "spare" changes no other step's inputs, so the engine runs only its delete.
      const withoutSpare = await stepsFor(clusterArgs([rack1], ["rack1", "rack1"], "rack1"));
      const removeSpare = removedSteps(withSpare, withoutSpare);
      expect(removeSpare.map((s) => s.name)).to.deep.equal(["gg-group-spare"]);
      const refused = await run(removeSpare, "delete");
      expect(refused.ok).to.equal(false);
      expect(refused.results[0].stderr).to.contain(
        `node group spare is no longer declared but still holds: ${NODE2}. Ganeti removes only empty groups: move each of them to its group (gnt-group assign-nodes <group> <node> on ${NODE1})`,
      );
      expect((await ganetiGroups()).nodes[NODE2]).to.equal("spare");

      // The fix the message names, then the next up retries the delete (a failed delete stays in the state).
      const moveBack = await guests[0].exec(`gnt-group assign-nodes rack1 ${NODE2}`, { allowFailure: true });
      expect(moveBack.exitCode, moveBack.stderr).to.equal(0);
      const fixed = await up(withSpare, withoutSpare);
      expect(changed(...fixed)).to.deep.equal({ "gg-group-spare": ["changed: removed node group spare"] });
      expect(Object.keys((await ganetiGroups()).groups).sort()).to.deep.equal(["default", "rack1"]);
      declared = withoutSpare;
    });

    it("deletes instance, node and cluster; the groups go with the cluster (no group delete runs)", async () => {
      const deleted = await execute(declared, "delete");
      const group = deleted.results.find((r) => r.name === "gg-group-rack1")!;
      expect(group).to.include({ status: "noop", reason: "deleted with gg-cluster" });
      expect(changed(deleted)).to.deep.equal({
        "gg-instance-ggvm1-ganeti-test": ["changed: removed instance ggvm1.ganeti.test"],
        "gg-node-gn2": ["changed: removed node gn2.ganeti.test"],
        "gg-cluster": ["changed: destroyed cluster ggcluster.ganeti.test"],
      });
      expect(fs.existsSync(guests[0].hostPath("/var/lib/ganeti/config.data"))).to.equal(false);
    });
  });
}
