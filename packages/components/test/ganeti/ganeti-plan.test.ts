import { expect } from "chai";
import { ComponentArgsError } from "../../src/errors";
import { GanetiArgsError, planGanetiCluster } from "../../src/ganeti/ganeti-plan";
import type { GanetiDrbdClusterArgs } from "../../src/ganeti/ganeti-args";
import { CLUSTER_KEY, CONNECTION_KEY, sandboxArgs, seedArgs } from "./fixtures";

function problemsOf(args: GanetiDrbdClusterArgs): string[] {
  try {
    planGanetiCluster("lab", args);
  } catch (e) {
    expect(e).to.be.instanceOf(GanetiArgsError);
    expect(e).to.be.instanceOf(ComponentArgsError);
    // One line per problem, "<field>: <value> <what is wrong; the fix>".
    const lines = (e as GanetiArgsError).message.split("\n  - ").slice(1);
    expect(lines).to.have.length((e as GanetiArgsError).problems.length);
    return lines;
  }
  throw new Error("expected the args to be refused");
}

function expectProblem(args: GanetiDrbdClusterArgs, ...fragments: string[]): string {
  const problems = problemsOf(args);
  const hit = problems.find((p) => fragments.every((f) => p.includes(f)));
  expect(hit, `no problem containing ${JSON.stringify(fragments)} in:\n${problems.join("\n")}`).to.be.a("string");
  return hit!;
}

describe("Ganeti cluster plan (validation before any resource)", () => {
  it("resolves the seed's cluster with defaults: first node is master, drbd+plain, kvm, br-man/br-public", () => {
    const plan = planGanetiCluster("lab", seedArgs());
    expect(plan.master.fqdn).to.equal("node1.project.edu");
    expect(plan.nodes.map((n) => n.isMaster)).to.deep.equal([true, false, false]);
    expect(plan.hypervisor).to.equal("kvm");
    expect(plan.diskTemplates).to.deep.equal(["drbd", "plain"]);
    expect(plan.network).to.include({
      managementBridge: "br-man",
      publicBridge: "br-public",
      managementVlan: 100,
      publicVlan: 200,
    });
    expect(plan.masterNetdev).to.equal("br-man");
    expect(plan.instances[0]).to.include({
      diskTemplate: "drbd",
      diskSizeMiB: 4096,
      nicLink: "br-public",
      key: "testvm-project-edu",
    });
    expect(plan.osProviders).to.deep.equal(["image"]);
    expect(plan.usesReplicationAddresses).to.equal(false);
  });

  it("uses the named master", () => {
    const plan = planGanetiCluster("lab", { ...seedArgs(), masterNode: "node3.project.edu" });
    expect(plan.master.fqdn).to.equal("node3.project.edu");
    expect(plan.nodes.filter((n) => n.isMaster)).to.have.length(1);
  });

  it("refuses a master that is not a node, naming the nodes", () => {
    expectProblem(
      { ...seedArgs(), masterNode: "node9.project.edu" },
      "masterNode",
      "node9.project.edu",
      "node1.project.edu, node2.project.edu, node3.project.edu",
    );
  });

  it("refuses a non-FQDN node name and a malformed address, with field, value and fix", () => {
    const args = seedArgs();
    args.nodes[1].fqdn = "node2";
    args.nodes[2].address = "192.168.20.300";
    expectProblem(args, "nodes[1].fqdn", '"node2"', "fully qualified");
    expectProblem(args, "nodes[2].address", '"192.168.20.300"', "IPv4");
  });

  it("refuses a cluster address used by a node, and duplicate node addresses", () => {
    const args = seedArgs();
    args.clusterAddress = args.nodes[1].address;
    expectProblem(args, "nodes[1].address", "already used by clusterAddress", "own address");
    const dup = seedArgs();
    dup.nodes[2].replicationAddress = dup.nodes[0].address;
    expectProblem(dup, "nodes[2].replicationAddress", "already used by nodes[0].address");
  });

  it("requires replication addresses on every node or none", () => {
    const args = seedArgs();
    args.nodes[0].replicationAddress = "10.10.0.1";
    expectProblem(args, "replicationAddress", "1 of 3 nodes", "every node or on none");
    const all = seedArgs();
    all.nodes.forEach((n, i) => (n.replicationAddress = `10.10.0.${i + 1}`));
    expect(planGanetiCluster("lab", all).usesReplicationAddresses).to.equal(true);
  });

  it("checks VLAN IDs (1-4094), bridge names and that the two networks differ", () => {
    expectProblem({ ...seedArgs(), network: { managementVlan: 0 } }, "network.managementVlan", "0", "VLAN ID 1-4094");
    expectProblem({ ...seedArgs(), network: { publicVlan: 4095 } }, "network.publicVlan", "4095", "VLAN ID 1-4094");
    expectProblem(
      { ...seedArgs(), network: { publicBridge: "br public" } },
      "network.publicBridge",
      '"br public"',
      "interface name",
    );
    expectProblem(
      { ...seedArgs(), network: { managementBridge: "br-very-long-name-0" } },
      "network.managementBridge",
      "15 characters",
    );
    expectProblem(
      { ...seedArgs(), network: { managementVlan: 200, publicVlan: 200 } },
      "network.publicVlan",
      "own VLAN ID",
    );
    expectProblem(
      { ...seedArgs(), network: { gateway: "10.0.0.1" } },
      "network.gateway",
      "10.0.0.1",
      "management network 192.168.20.0/24",
    );
  });

  it("requires a pinned, non-RSA host key (the cluster shares the master's RSA host key)", () => {
    const missing = seedArgs();
    (missing.nodes[0].connection as any).hostKey = undefined;
    expectProblem(missing, "nodes[0].connection.hostKey", "(not set)", "pin the node's SSH host key");
    const rsa = seedArgs();
    rsa.nodes[1].connection.hostKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 root@node2";
    expectProblem(rsa, "nodes[1].connection.hostKey", "ssh-rsa", "ed25519");
  });

  it("checks instances: template enabled, size ≥ policy minimum, memory, nodes, drbd secondary", () => {
    const base = seedArgs();
    const inst = base.instances![0];
    expectProblem(
      { ...base, instances: [{ ...inst, diskTemplate: "sharedfile" }] },
      "instances[0].diskTemplate",
      "sharedfile",
      "not enabled",
      "add it to diskTemplates",
    );
    expectProblem(
      { ...base, instances: [{ ...inst, diskTemplate: "rbd" }] },
      "instances[0].diskTemplate",
      '"rbd"',
      "is not one of",
    );
    expectProblem(
      { ...base, instances: [{ ...inst, diskSizeGiB: 0.5 }] },
      "instances[0].diskSizeGiB",
      "0.5",
      "1024 MiB",
    );
    expect(() =>
      planGanetiCluster("lab", { ...base, minDiskSizeMiB: 512, instances: [{ ...inst, diskSizeGiB: 0.5 }] }),
    ).not.to.throw();
    expectProblem(
      { ...base, instances: [{ ...inst, minMemoryMiB: 1024, maxMemoryMiB: 512 }] },
      "instances[0].minMemoryMiB",
      "1024",
      "maxMemoryMiB 512",
    );
    expectProblem(
      { ...base, instances: [{ ...inst, secondaryNode: inst.primaryNode }] },
      "instances[0].secondaryNode",
      "equals primaryNode",
    );
    expectProblem(
      { ...base, instances: [{ ...inst, secondaryNode: undefined }] },
      "instances[0].secondaryNode",
      "required for the drbd template",
    );
    expectProblem(
      { ...base, instances: [{ ...inst, primaryNode: "node7.project.edu" }] },
      "instances[0].primaryNode",
      "node7.project.edu",
      "not one of the nodes",
    );
    expectProblem(
      { ...base, instances: [{ ...inst, startWithCdImage: "/iso/other.iso" }] },
      "instances[0].startWithCdImage",
      "not among isoImages",
    );
    expectProblem({ ...base, instances: [inst, { ...inst }] }, "instances[1].name", "listed twice");
    expectProblem(
      { ...base, instances: [{ ...inst, ignoreConsistency: true }] },
      "instances[0].ignoreConsistency",
      "failover: true",
    );
  });

  it("accepts the sandbox cluster (fake hypervisor, sharedfile, no secondary) and refuses a secondary there", () => {
    const plan = planGanetiCluster("lab", sandboxArgs());
    expect(plan.instances[0]).to.include({ diskTemplate: "sharedfile", os: "noop" });
    const args = sandboxArgs();
    args.instances![0].secondaryNode = "gn2.ganeti.test";
    expectProblem(args, "instances[0].secondaryNode", "only used by the drbd template");
    expectProblem({ ...sandboxArgs(), hypervisor: "xen-pvm" }, "hypervisor", '"xen-pvm"', '"kvm", "fake"');
  });

  it("node life: refuses offline/drained on the master, both at once, and an instance whose primary is offline", () => {
    const master = seedArgs();
    master.nodes[0].offline = true;
    expectProblem(master, "nodes[0].offline", "node1.project.edu", "set masterNode to another node first");
    const both = seedArgs();
    both.nodes[2].offline = true;
    both.nodes[2].drained = true;
    expectProblem(both, "nodes[2].offline", "drained: true", "set only offline");
    const deadPrimary = seedArgs();
    deadPrimary.nodes[1].offline = true; // node2 is testvm's primary
    expectProblem(
      deadPrimary,
      "instances[0].primaryNode",
      '"node2.project.edu" is declared offline',
      "failover: true and ignoreConsistency: true",
    );
    // The dead-primary failover itself: primary moved to the secondary, the dead node offline.
    deadPrimary.instances![0] = {
      ...deadPrimary.instances![0],
      primaryNode: "node1.project.edu",
      secondaryNode: "node2.project.edu",
      failover: true,
      ignoreConsistency: true,
    };
    const plan = planGanetiCluster("lab", deadPrimary);
    expect(plan.nodes[1]).to.include({ offline: true, drained: false });
  });

  it("knows Ganeti 3.0 (default) and 3.1 only", () => {
    expect(planGanetiCluster("lab", seedArgs()).ganetiVersion).to.equal("3.0");
    expect(planGanetiCluster("lab", { ...seedArgs(), ganetiVersion: "3.1" }).ganetiVersion).to.equal("3.1");
    expectProblem({ ...seedArgs(), ganetiVersion: "2.16" as any }, "ganetiVersion", '"2.16"', '"3.0", "3.1"');
  });

  it("VNC consoles: loopback by default; an open bind address needs a password file", () => {
    expect(planGanetiCluster("lab", seedArgs()).kvmParameters.vnc_bind_address).to.equal("127.0.0.1");
    expectProblem(
      { ...seedArgs(), kvmParameters: { vnc_bind_address: "0.0.0.0" } },
      "kvmParameters.vnc_bind_address",
      '"0.0.0.0"',
      "without a password",
      "127.0.0.1",
      "vnc_password_file",
    );
    expect(() =>
      planGanetiCluster("lab", {
        ...seedArgs(),
        kvmParameters: { vnc_bind_address: "0.0.0.0", vnc_password_file: "/etc/ganeti/vnc-cluster-password" },
      }),
    ).not.to.throw();
    // The fake hypervisor has no consoles.
    expect(() =>
      planGanetiCluster("lab", { ...sandboxArgs(), kvmParameters: { vnc_bind_address: "0.0.0.0" } }),
    ).not.to.throw();
  });

  it("accepts only real verify error codes to ignore (no blanket ignore)", () => {
    expectProblem({ ...sandboxArgs(), verifyIgnoreErrors: ["ALL"] }, "verifyIgnoreErrors[0]", '"ALL"', "ENODESETUP");
  });

  it("reports a field's own problems and the problems between fields in one error, so one round fixes all", () => {
    const args = seedArgs();
    args.clusterName = "Cluster!"; // not an FQDN (the field's own problem)
    args.nodes[1].address = "192.168.20.224"; // node3's address (between nodes)
    args.nodes[2].connection.hostKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 root@node3"; // unpinnable
    args.network = { gateway: "192.168.20.1", publicVlan: 5000 }; // not a VLAN ID (its own)
    args.instances![0].primaryNode = "node9.project.edu"; // not a node (between fields)
    args.instances![0].diskSizeGiB = 0.5; // below the policy (between fields)
    const problems = problemsOf(args);
    for (const fragments of [
      ["clusterName:", '"Cluster!"'],
      ["network.publicVlan:", "5000"],
      ["nodes[2].address:", '"192.168.20.224"', "already used by nodes[1].address"],
      ["nodes[2].connection.hostKey:", "ssh-rsa"],
      ["instances[0].primaryNode:", '"node9.project.edu"', "not one of the nodes"],
      ["instances[0].diskSizeGiB:", "0.5", "at least 1 GiB"],
    ])
      expect(
        problems.some((p) => fragments.every((f) => p.includes(f))),
        `${fragments.join(" ")} in:\n${problems.join("\n")}`,
      ).to.equal(true);
    expect(problems).to.have.length(6);
  });

  it("checks relations only on fields whose own value passed: a bad value is reported once", () => {
    // A malformed node name: "node2.project.edu" no longer names a node, but the instance that
    // names it must not be told so (the schema's problem is the one to fix).
    const renamed = seedArgs();
    renamed.nodes[1].fqdn = "Node 2";
    const nameProblems = problemsOf(renamed);
    expect(nameProblems, nameProblems.join("\n")).to.have.length(1);
    expect(nameProblems[0]).to.match(/^nodes\[1\]\.fqdn: "Node 2" /);
    // A malformed address is not also a duplicate of another, nor outside the gateway's network;
    // the instances' relations after it are still checked.
    const readdressed = seedArgs();
    readdressed.nodes[0].address = "192.168.20";
    readdressed.nodes[2].address = "192.168.20";
    readdressed.instances![0].diskSizeGiB = 0.5;
    const addressProblems = problemsOf(readdressed);
    expect(addressProblems, addressProblems.join("\n")).to.have.length(3);
    expect(addressProblems[0]).to.match(/^nodes\[0\]\.address: "192\.168\.20" /);
    expect(addressProblems[1]).to.match(/^nodes\[2\]\.address: "192\.168\.20" /);
    expect(addressProblems[2]).to.match(/^instances\[0\]\.diskSizeGiB: 0\.5 /);
  });

  it("reports the schema's problems alone when the args lack the structure relations need", () => {
    const args = { ...seedArgs(), nodes: "node1" } as unknown as GanetiDrbdClusterArgs;
    const problems = problemsOf(args);
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^nodes: "node1" /);
  });

  it("node groups: each node in its declared group (default: Ganeti's initial group); nothing declared leaves groups alone", () => {
    const args = seedArgs();
    args.nodeGroups = [{ name: "rack1" }, { name: "rack2", allocPolicy: "last_resort", diskTemplates: ["drbd"] }];
    args.nodes[0].group = "rack1";
    args.nodes[1].group = "rack1";
    const plan = planGanetiCluster("lab", args);
    expect(plan.nodes.map((n) => n.group)).to.deep.equal(["rack1", "rack1", "default"]);
    expect(plan.nodeGroups).to.deep.equal([
      { name: "rack1", key: "rack1", allocPolicy: "preferred", diskTemplates: undefined, initial: false },
      { name: "rack2", key: "rack2", allocPolicy: "last_resort", diskTemplates: ["drbd"], initial: false },
    ]);
    const plain = planGanetiCluster("lab", seedArgs());
    expect(plain.nodeGroups).to.equal(undefined);
    expect(plain.nodes.map((n) => n.group)).to.deep.equal([undefined, undefined, undefined]);
  });

  it("node groups: every problem at once, each naming the field, the value and the fix", () => {
    const args = seedArgs();
    args.nodeGroups = [
      { name: "rack1", diskTemplates: ["drbd", "sharedfile"] },
      { name: "rack1" },
      { name: "Rack 3" },
      { name: "rack4", allocPolicy: "sometimes" },
      { name: "rack5", diskTemplates: ["plain"] },
    ];
    args.nodes[0].group = "rack1";
    args.nodes[1].group = "rack9";
    args.nodes[2].group = "rack5";
    args.instances![0].primaryNode = "node1.project.edu";
    args.instances![0].secondaryNode = "node3.project.edu";
    args.instances!.push({
      name: "web.project.edu",
      diskSizeGiB: 1,
      diskTemplate: "plain",
      primaryNode: "node1.project.edu",
      group: "rack5",
    });
    args.instances!.push({
      name: "db.project.edu",
      diskSizeGiB: 1,
      diskTemplate: "plain",
      primaryNode: "node3.project.edu",
      group: "rack7",
    });
    const problems = problemsOf(args);
    expectProblem(
      args,
      "nodeGroups[0].diskTemplates",
      "sharedfile",
      "not enabled on the cluster (diskTemplates: drbd, plain)",
    );
    expectProblem(args, "nodeGroups[1].name", '"rack1"', "listed twice (also nodeGroups[0])");
    expectProblem(args, "nodeGroups[2].name", '"Rack 3"', "lowercase letters, digits and dashes");
    expectProblem(args, "nodeGroups[3].allocPolicy", '"sometimes"', '"preferred", "last_resort", "unallocable"');
    expectProblem(
      args,
      "nodes[1].group",
      '"rack9"',
      "not a declared node group (default, rack1, rack4, rack5)",
      'add { name: "rack9" } to nodeGroups',
    );
    expectProblem(
      args,
      "instances[0].secondaryNode",
      '"node3.project.edu"',
      "node group rack5 and the primary node1.project.edu in rack1",
      "put both nodes in one group",
    );
    expectProblem(
      args,
      "instances[1].primaryNode",
      '"node1.project.edu"',
      "in node group rack1, not in the instance's group rack5",
      "node3.project.edu",
    );
    expectProblem(args, "instances[2].group", '"rack7"', "not a declared node group");
    expectProblem(args, "instances[1].diskTemplate", '"plain"', "not allowed in node group rack1", "drbd, sharedfile");
    expect(problems, problems.join("\n")).to.have.length(9);
  });

  it("never prints a private key in an error", () => {
    const args = seedArgs();
    args.nodes[0].connection.privateKey = "";
    args.clusterSshPrivateKey = "";
    const problems = problemsOf(args);
    expect(problems.join("\n")).to.contain('nodes[0].connection.privateKey: "[secret]"');
    expect(problems.join("\n")).not.to.contain(CONNECTION_KEY.split("\n")[1]);
    expect(problems.join("\n")).not.to.contain(CLUSTER_KEY.split("\n")[1]);
  });
});
