// The command graph of GanetiDrbdCluster under Pulumi's mocks. What runs for real: the Pulumi
// SDK's registration and dependency tracking. What cannot run here: the Pulumi engine, so the
// engine's decisions (update vs replace, delete order) are derived from the recorded inputs and
// dependencies with the engine's documented rules, not observed.
import { expect } from "chai";
import { installMocks, outputValue, RecordedResource, ProgramRun } from "@openstack-blueprints/test-harness";
import { GanetiDrbdCluster } from "../../src/ganeti/ganeti-drbd-cluster";
import type { GanetiDrbdClusterArgs } from "../../src/ganeti/ganeti-args";
import { CLUSTER_KEY, CONNECTION_KEY, HOST_KEYS, sandboxArgs, seedArgs } from "./fixtures";

const REMOTE = "command:remote:Command";
const harness = installMocks();

async function build(args: GanetiDrbdClusterArgs): Promise<ProgramRun<GanetiDrbdCluster>> {
  const run = await harness.runProgram(() => new GanetiDrbdCluster("lab", args));
  expect(run.errors.map((e) => e.message)).to.deep.equal([]);
  expect(run.thrown).to.equal(undefined);
  return run;
}

/** Names of the commands whose inputs differ between two runs, and which inputs. */
function changedInputs(a: ProgramRun<unknown>, b: ProgramRun<unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of b.byType(REMOTE)) {
    const before = a.resources.find((x) => x.name === r.name);
    if (!before) {
      out[r.name] = ["(new)"];
      continue;
    }
    const keys = ["create", "update", "delete", "stdin", "triggers"].filter(
      (k) => JSON.stringify(before.inputs[k]) !== JSON.stringify(r.inputs[k]),
    );
    if (keys.length) out[r.name] = keys;
  }
  return out;
}

describe("GanetiDrbdCluster command graph (Pulumi mocks)", function () {
  this.timeout(60_000);

  it("creates one command per step, all children of the component, with timeouts", async () => {
    const run = await build(seedArgs());
    const component = run.byType("openstack-blueprints:index:GanetiDrbdCluster")[0];
    expect(component.name).to.equal("lab");
    const names = run
      .byType(REMOTE)
      .map((r) => r.name)
      .sort();
    expect(names).to.deep.equal([
      "lab-cluster",
      "lab-instance-testvm-project-edu",
      "lab-instance-testvm-project-edu-nic",
      "lab-instance-testvm-project-edu-placement",
      "lab-instance-testvm-project-edu-run",
      "lab-iso",
      "lab-kvm-parameters",
      "lab-node-node2",
      "lab-node-node3",
      "lab-os-node1",
      "lab-os-node2",
      "lab-os-node3",
      "lab-prepare-node1",
      "lab-prepare-node2",
      "lab-prepare-node3",
      "lab-ready",
      "lab-report",
    ]);
    for (const r of run.byType(REMOTE)) {
      expect(r.parent, r.name).to.equal(component.urn);
      expect(r.customTimeouts.create, r.name).to.match(/^\d+m$/);
      expect(r.inputs.connection.user, r.name).to.equal("root");
    }
    // Master-side steps connect to the master; per-node steps to their node.
    expect(run.byName("lab-node-node3").inputs.connection.host).to.equal("192.168.20.222");
    expect(run.byName("lab-prepare-node3").inputs.connection.host).to.equal("192.168.20.224");
  });

  it("prepares nodes in parallel: no node's steps depend, even transitively, on another node's", async () => {
    const run = await build(seedArgs());
    const perNode = (short: string) =>
      run.resources.filter((r) => r.name === `lab-prepare-${short}` || r.name === `lab-os-${short}`);
    for (const a of ["node1", "node2", "node3"]) {
      for (const b of ["node1", "node2", "node3"]) {
        if (a === b) continue;
        for (const step of perNode(a)) {
          const deps = run.dependsOnTransitively(step.urn);
          for (const other of perNode(b))
            expect(deps.has(other.urn), `${step.name} waits for ${other.name}`).to.equal(false);
        }
      }
    }
    expect(run.byName("lab-prepare-node1").dependencies).to.deep.equal([]);
  });

  it("runs cluster steps after every node is prepared, node adds after init, instances after the whole cluster", async () => {
    const run = await build(seedArgs());
    const urn = (n: string) => run.byName(n).urn;
    const deps = (n: string) => run.dependsOnTransitively(urn(n));
    for (const node of ["node1", "node2", "node3"])
      expect(deps("lab-cluster").has(urn(`lab-prepare-${node}`))).to.equal(true);
    for (const node of ["node2", "node3"]) expect(deps(`lab-node-${node}`).has(urn("lab-cluster"))).to.equal(true);
    expect(deps("lab-kvm-parameters").has(urn("lab-cluster"))).to.equal(true);
    const inst = deps("lab-instance-testvm-project-edu");
    for (const n of [
      "lab-cluster",
      "lab-kvm-parameters",
      "lab-node-node2",
      "lab-node-node3",
      "lab-iso",
      "lab-os-node1",
      "lab-os-node2",
      "lab-os-node3",
    ]) {
      expect(inst.has(urn(n)), `instance waits for ${n}`).to.equal(true);
    }
    expect(deps("lab-iso").has(urn("lab-node-node3"))).to.equal(true);
    // The readiness check waits for every cluster step; every instance step waits for it.
    for (const n of [
      "lab-cluster",
      "lab-kvm-parameters",
      "lab-node-node2",
      "lab-node-node3",
      "lab-iso",
      "lab-os-node3",
    ])
      expect(deps("lab-ready").has(urn(n)), `readiness waits for ${n}`).to.equal(true);
    expect(run.byName("lab-instance-testvm-project-edu").dependencies).to.include(urn("lab-ready"));
    expect(run.byName("lab-ready").inputs.create).to.contain("gnt-cluster verify --error-codes");
    expect(run.byName("lab-ready").inputs.triggers).to.deep.equal(run.byName("lab-report").inputs.triggers);
    // The instance chain: add → NIC → run state → placement → report.
    expect(run.byName("lab-instance-testvm-project-edu-nic").dependencies).to.deep.equal([
      urn("lab-instance-testvm-project-edu"),
    ]);
    expect(run.byName("lab-instance-testvm-project-edu-run").dependencies).to.deep.equal([
      urn("lab-instance-testvm-project-edu-nic"),
    ]);
    expect(run.byName("lab-instance-testvm-project-edu-placement").dependencies).to.deep.equal([
      urn("lab-instance-testvm-project-edu-run"),
    ]);
    const report = deps("lab-report");
    for (const r of run.byType(REMOTE))
      if (r.name !== "lab-report") expect(report.has(r.urn), `report waits for ${r.name}`).to.equal(true);
  });

  it("deletes in the right order: instances, then nodes, then the cluster (engine deletes dependents first)", async () => {
    const run = await build(seedArgs());
    const withDelete = run.byType(REMOTE).filter((r) => r.inputs.delete);
    expect(withDelete.map((r) => r.name).sort()).to.deep.equal([
      "lab-cluster",
      "lab-instance-testvm-project-edu",
      "lab-node-node2",
      "lab-node-node3",
    ]);
    // Reverse topological order = the order Pulumi deletes in.
    const order = deletionOrder(run.byType(REMOTE), run)
      .filter((r) => r.inputs.delete)
      .map((r) => r.name);
    expect(order[0]).to.equal("lab-instance-testvm-project-edu");
    expect(order.slice(1, 3).sort()).to.deep.equal(["lab-node-node2", "lab-node-node3"]);
    expect(order[3]).to.equal("lab-cluster");
    expect(run.byName("lab-instance-testvm-project-edu").inputs.delete).to.contain("gnt-instance remove -f");
    expect(run.byName("lab-node-node2").inputs.delete).to.contain("gnt-node remove 'node2.project.edu'");
    expect(run.byName("lab-cluster").inputs.delete).to.contain("gnt-cluster destroy --yes-do-it");
  });

  it("maps instance changes to the step that owns them: primary → migrate, failover flag → failover, link → modify", async () => {
    const base = await build(seedArgs());
    const variant = async (change: Partial<NonNullable<GanetiDrbdClusterArgs["instances"]>[number]>) => {
      const args = seedArgs();
      args.instances![0] = { ...args.instances![0], ...change };
      return build(args);
    };
    const inst = "lab-instance-testvm-project-edu";

    // Primary ↔ secondary swap: placement re-runs and migrates live. The instance's create script
    // carries the initial nodes, so its diff runs its (unchanged) update script, which only checks.
    const swapped = await variant({ primaryNode: "node1.project.edu", secondaryNode: "node2.project.edu" });
    expect(changedInputs(base, swapped)).to.deep.equal({
      [inst]: ["create"],
      [`${inst}-placement`]: ["create"],
      "lab-ready": ["triggers"],
      "lab-report": ["triggers"],
    });
    expect(swapped.byName(inst).inputs.update).to.equal(base.byName(inst).inputs.update);
    expect(swapped.byName(`${inst}-placement`).inputs.create).to.contain(
      "gnt-instance migrate -f 'testvm.project.edu'",
    );

    const failedOver = await variant({
      primaryNode: "node1.project.edu",
      secondaryNode: "node2.project.edu",
      failover: true,
      ignoreConsistency: true,
    });
    expect(Object.keys(changedInputs(base, failedOver)).sort()).to.deep.equal(
      [inst, `${inst}-placement`, "lab-ready", "lab-report"].sort(),
    );
    expect(failedOver.byName(`${inst}-placement`).inputs.create).to.contain(
      "gnt-instance failover -f 'testvm.project.edu'",
    );

    const relinked = await variant({ nicLink: "br-man" });
    expect(changedInputs(base, relinked)).to.deep.equal({
      [inst]: ["create"],
      [`${inst}-nic`]: ["create"],
      "lab-ready": ["triggers"],
      "lab-report": ["triggers"],
    });
    expect(relinked.byName(`${inst}-nic`).inputs.create).to.contain(
      `gnt-instance modify -f --net '0:modify,link=br-man' \${hotplug[@]+"\${hotplug[@]}"}`,
    );

    const stopped = await variant({ running: false });
    expect(changedInputs(base, stopped)).to.deep.equal({
      [`${inst}-run`]: ["create"],
      "lab-ready": ["triggers"],
      "lab-report": ["triggers"],
    });

    // Memory is applied by the instance's update script; template/OS changes are refused there.
    const bigger = await variant({ maxMemoryMiB: 1024 });
    expect(changedInputs(base, bigger)).to.deep.equal({
      [inst]: ["create", "update"],
      "lab-ready": ["triggers"],
      "lab-report": ["triggers"],
    });
    expect(bigger.byName(inst).inputs.update).to.contain("gnt-instance modify -B 'minmem=256M,maxmem=1024M'");

    // Nothing changed → no command changes (the report is not replaced either).
    expect(changedInputs(base, await build(seedArgs()))).to.deep.equal({});
    // Node steps do not change when only instances change.
    for (const v of [swapped, relinked, stopped])
      for (const n of ["lab-prepare-node1", "lab-cluster", "lab-node-node2"])
        expect(changedInputs(base, v)[n]).to.equal(undefined);
  });

  it("keeps secrets secret: connection keys and the cluster key are Pulumi secrets and never in a script", async () => {
    const run = await build(seedArgs());
    for (const r of run.byType(REMOTE)) {
      // The SDK marks the whole connection secret when one of its fields is (covers privateKey).
      expect(
        r.secretPaths.some((p) => p === "connection" || p === "connection.privateKey"),
        `${r.name}: ${r.secretPaths}`,
      ).to.equal(true);
      for (const k of ["create", "update", "delete"]) {
        const text = String(r.inputs[k] ?? "");
        expect(text, `${r.name}.${k}`).not.to.contain("KEYMATERIALDONOTLEAK");
        expect(text, `${r.name}.${k}`).not.to.contain(Buffer.from(CLUSTER_KEY).toString("base64").slice(0, 40));
      }
      expect(JSON.stringify(r.inputs.triggers ?? []), r.name).not.to.contain("DONOTLEAK");
    }
    const prepare = run.byName("lab-prepare-node2");
    expect(prepare.secretPaths).to.include("stdin");
    expect(Buffer.from(prepare.inputs.stdin.trim(), "base64").toString()).to.equal(CLUSTER_KEY);
    expect(prepare.inputs.connection.privateKey).to.equal(CONNECTION_KEY);
    for (const r of run.byType(REMOTE))
      if (!r.name.startsWith("lab-prepare-")) expect(r.inputs.stdin, r.name).to.equal(undefined);
  });

  it("pins every connection's host key in the provider, so no script or secret reaches an unpinned host", async () => {
    const run = await build(seedArgs());
    const keyOf = new Map(seedArgs().nodes.map((n, i) => [n.connection.host, HOST_KEYS[i]]));
    for (const r of run.byType(REMOTE)) {
      const { host, hostKey } = r.inputs.connection;
      expect(hostKey, `${r.name} connection.hostKey`).to.equal(keyOf.get(host));
    }
    // The steps that carry the cluster's root private key on stdin connect to the node whose key is pinned.
    for (const [i, short] of ["node1", "node2", "node3"].entries()) {
      const prepare = run.byName(`lab-prepare-${short}`);
      expect(prepare.inputs.stdin).to.be.a("string");
      expect(prepare.inputs.connection).to.include({ host: `192.168.20.${222 + i}`, hostKey: HOST_KEYS[i] });
    }
  });

  it("a non-root connection user runs every step through sudo -n; root runs the script as is", async () => {
    const root = await build(seedArgs());
    const args = seedArgs();
    for (const n of args.nodes) n.connection.user = "ganeti-admin";
    const sudo = await build(args);
    for (const r of sudo.byType(REMOTE)) {
      expect(r.inputs.connection.user, r.name).to.equal("ganeti-admin");
      for (const k of ["create", "update", "delete"]) {
        const text = r.inputs[k];
        if (text === undefined) continue;
        expect(text, `${r.name}.${k}`).to.match(/^s='#!\/usr\/bin\/env bash\n/);
        expect(text, `${r.name}.${k}`).to.contain(`exec sudo -n bash -c "$s"`);
        // The wrapped script is the root one, byte for byte.
        const script = /^s='([\s\S]*)'; if \[/.exec(text)![1].replace(/'\\''/g, "'");
        expect(script, `${r.name}.${k}`).to.equal(root.byName(r.name).inputs[k]);
      }
    }
    for (const r of root.byType(REMOTE)) expect(String(r.inputs.create), r.name).to.match(/^#!\/usr\/bin\/env bash\n/);
  });

  it("a dead node: marked offline on the master before its instance fails over, and nothing connects to it", async () => {
    const args = seedArgs();
    args.nodes[1].offline = true; // node2, testvm's primary, died
    args.instances![0] = {
      ...args.instances![0],
      primaryNode: "node1.project.edu",
      secondaryNode: "node2.project.edu",
      failover: true,
      ignoreConsistency: true,
    };
    const run = await build(args);
    expect(run.resources.find((r) => r.name === "lab-prepare-node2")).to.equal(undefined);
    expect(run.resources.find((r) => r.name === "lab-os-node2")).to.equal(undefined);
    for (const r of run.byType(REMOTE)) expect(r.inputs.connection.host, r.name).not.to.equal("192.168.20.223");
    const mark = run.byName("lab-node-node2");
    expect(mark.inputs.create).to.contain("gnt-node modify -f --offline=yes 'node2.project.edu'");
    const placement = run.byName("lab-instance-testvm-project-edu-placement");
    expect(run.dependsOnTransitively(placement.urn).has(mark.urn)).to.equal(true);
    // No --ignore-consistency: it asks on a terminal; Ganeti ignores an offline primary's disks itself.
    expect(placement.inputs.create).to.contain("gnt-instance failover -f 'testvm.project.edu'");
    expect(placement.inputs.create).not.to.contain("--ignore-consistency");
  });

  it("refuses bad input before registering anything", async () => {
    const args = seedArgs();
    args.instances![0].diskSizeGiB = 0.25;
    const run = await harness.runProgram(() => new GanetiDrbdCluster("lab", args));
    expect(run.thrown?.message).to.contain(
      "instances[0].diskSizeGiB: 0.25 is below the instance policy minimum of 1024 MiB",
    );
    expect(run.resources).to.deep.equal([]);
  });

  it("exposes outputs; the report's parsed lists are empty until a real run", async () => {
    const run = await build(sandboxArgs());
    const c = run.value!;
    expect(await outputValue(c.masterNode)).to.equal("gn1.ganeti.test");
    expect(await outputValue(c.nodeNames)).to.deep.equal(["gn1.ganeti.test", "gn2.ganeti.test"]);
    expect(await outputValue(c.clusterName)).to.equal("gncluster.ganeti.test");
    expect(await outputValue(c.verifyPassed)).to.equal(false); // the mock runs no command
    expect(await outputValue(c.instances)).to.deep.equal([]);
    expect(await outputValue(c.consolePorts)).to.deep.equal({});
    expect(run.resources.find((r) => r.name === "lab-kvm-parameters")).to.equal(undefined);
    expect(run.resources.find((r) => r.name === "lab-iso")).to.equal(undefined);
  });
});

/** The seed cluster in two racks: node1 and node2 in rack1 (they carry the drbd instance), node3 in rack2. */
function rackArgs(): GanetiDrbdClusterArgs {
  const args = seedArgs();
  args.nodeGroups = [{ name: "rack1" }, { name: "rack2", allocPolicy: "last_resort" }];
  args.nodes[0].group = "rack1";
  args.nodes[1].group = "rack1";
  args.nodes[2].group = "rack2";
  args.instances![0].group = "rack1";
  return args;
}

describe("GanetiDrbdCluster node groups (Pulumi mocks)", function () {
  this.timeout(60_000);

  it("a group step per declared group before the node steps; the membership step after them, before readiness", async () => {
    const run = await build(rackArgs());
    const urn = (n: string) => run.byName(n).urn;
    const deps = (n: string) => run.dependsOnTransitively(urn(n));
    for (const group of ["lab-group-rack1", "lab-group-rack2"]) {
      expect(deps(group).has(urn("lab-cluster")), group).to.equal(true);
      for (const node of ["lab-node-node2", "lab-node-node3"]) expect(deps(node).has(urn(group)), node).to.equal(true);
      // Not deleted on a whole-cluster delete: gnt-cluster destroy takes the groups along.
      expect(run.byName(group).deletedWith, group).to.equal(urn("lab-cluster"));
      expect(run.byName(group).inputs.connection.host, group).to.equal("192.168.20.222");
    }
    for (const node of ["lab-node-node2", "lab-node-node3", "lab-group-rack1", "lab-group-rack2"])
      expect(deps("lab-node-groups").has(urn(node)), node).to.equal(true);
    expect(deps("lab-ready").has(urn("lab-node-groups"))).to.equal(true);
    expect(run.byName("lab-instance-testvm-project-edu-placement").inputs.create).to.contain(
      "= 'rack1' ] || die \"instance testvm.project.edu runs on $(field pnode) in node group",
    );
  });

  it("a group dropped from the declaration is deleted after the nodes removed with it", async () => {
    const run = await build(rackArgs());
    const order = deletionOrder(
      run.byType(REMOTE).filter((r) => ["lab-group-rack2", "lab-node-node3"].includes(r.name)),
      run,
    ).map((r) => r.name);
    expect(order).to.deep.equal(["lab-node-node3", "lab-group-rack2"]);
  });

  it("moving a node re-runs only the membership step (and the report and readiness checks)", async () => {
    const before = await build(rackArgs());
    const args = rackArgs();
    args.nodes[2].group = "rack1";
    const after = await build(args);
    // The node step re-runs too (its add carries --node-group for a new node); it finds the node a member and changes nothing.
    expect(changedInputs(before, after)).to.deep.equal({
      "lab-node-node3": ["create"],
      "lab-node-groups": ["create"],
      "lab-ready": ["triggers"],
      "lab-report": ["triggers"],
    });
    expect(after.byName("lab-node-node3").inputs.create).to.contain(
      "gnt-node add --no-ssh-key-check --node-group='rack1' 'node3.project.edu'",
    );
    const policy = rackArgs();
    policy.nodeGroups![0].allocPolicy = "unallocable";
    expect(changedInputs(before, await build(policy))).to.deep.equal({
      "lab-group-rack1": ["create"],
      "lab-ready": ["triggers"],
      "lab-report": ["triggers"],
    });
  });

  it("without groups declared, Ganeti's groups are left alone and no existing step changes", async () => {
    const plain = await build(seedArgs());
    expect(plain.byType(REMOTE).filter((r) => /group/.test(r.name))).to.deep.equal([]);
    for (const r of plain.byType(REMOTE)) expect(r.inputs.create, r.name).not.to.contain("gnt-group");
    // Declaring groups (here only the initial one) adds the membership step; the node steps'
    // adds now name the group (re-run once, they find the nodes members); nothing else changes.
    const args = seedArgs();
    args.nodes[0].group = "default";
    const declared = await build(args);
    expect(changedInputs(plain, declared)).to.deep.equal({
      "lab-node-node2": ["create"],
      "lab-node-node3": ["create"],
      "lab-node-groups": ["(new)"],
      "lab-ready": ["triggers"],
      "lab-report": ["triggers"],
    });
  });
});

/** Pulumi deletes a resource only after everything depending on it: reverse topological order. */
function deletionOrder(resources: RecordedResource[], run: ProgramRun<unknown>): RecordedResource[] {
  const remaining = new Set(resources.map((r) => r.urn));
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const order: RecordedResource[] = [];
  while (remaining.size) {
    const ready = [...remaining].filter(
      (u) => ![...remaining].some((other) => other !== u && run.dependsOnTransitively(other).has(u)),
    );
    if (!ready.length) throw new Error("dependency cycle");
    ready.sort((a, b) => byUrn.get(a)!.name.localeCompare(byUrn.get(b)!.name));
    for (const u of ready) {
      remaining.delete(u);
      order.push(byUrn.get(u)!);
    }
  }
  return order;
}
