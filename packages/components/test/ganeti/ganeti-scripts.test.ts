// Rendered Ganeti scripts: every one passes bash -n and shellcheck, and carries the commands
// and flags the seed and Ganeti 3.0 need. DRBD, LVM and VLAN steps cannot run in this sandbox
// (no kernel modules, no block devices); they are checked here statically and only here.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertValidShellScript } from "@openstack-blueprints/test-harness";
import { planGanetiCluster, GanetiClusterPlan } from "../../src/ganeti/ganeti-plan";
import {
  LVM_DRBD_FILTER,
  bridgeInterfaces,
  hostsBlock,
  knownHostsBlock,
  nodePackages,
  parentStanzaToManualAwk,
  renderNodePrepareScript,
} from "../../src/ganeti/node-prepare-script";
import * as cluster from "../../src/ganeti/cluster-scripts";
import * as instance from "../../src/ganeti/instance-scripts";
import { parseClusterReport, renderReportScript } from "../../src/ganeti/cluster-report";
import * as groups from "../../src/ganeti/node-group-scripts";
import { CLUSTER_KEY, sandboxArgs, seedArgs } from "./fixtures";

function allScripts(plan: GanetiClusterPlan): Record<string, string> {
  const out: Record<string, string> = {
    init: cluster.renderClusterInitScript(plan),
    destroy: cluster.renderClusterDestroyScript(plan),
    kvm: cluster.renderKvmParametersScript(plan),
    report: renderReportScript(plan),
    ready: cluster.renderReadinessScript(plan),
  };
  if (plan.isoImages.length) out.iso = cluster.renderIsoDistributionScript(plan);
  for (const node of plan.nodes) {
    out[`prepare-${node.shortName}`] = renderNodePrepareScript(plan, node);
    out[`os-${node.shortName}`] = cluster.renderOsDefinitionsScript(plan, node);
    if (!node.isMaster) {
      out[`node-add-${node.shortName}`] = cluster.renderNodeAddScript(plan, node);
      out[`node-remove-${node.shortName}`] = cluster.renderNodeRemoveScript(plan, node);
    }
  }
  for (const group of plan.nodeGroups ?? []) {
    out[`group-${group.key}`] = groups.renderNodeGroupScript(plan, group);
    out[`group-remove-${group.key}`] = groups.renderNodeGroupRemoveScript(plan, group);
  }
  if (plan.nodeGroups) out["node-groups"] = groups.renderNodeGroupMembershipScript(plan);
  for (const inst of plan.instances) {
    out[`add-${inst.key}`] = instance.renderInstanceAddScript(plan, inst);
    out[`update-${inst.key}`] = instance.renderInstanceUpdateScript(plan, inst);
    out[`remove-${inst.key}`] = instance.renderInstanceRemoveScript(plan, inst);
    out[`nic-${inst.key}`] = instance.renderInstanceNicScript(plan, inst);
    out[`run-${inst.key}`] = instance.renderInstanceRunStateScript(plan, inst);
    out[`placement-${inst.key}`] = instance.renderInstancePlacementScript(plan, inst);
  }
  return out;
}

/** The seed cluster in a node's later life: Ganeti 3.1, node3 dead (offline), node2 drained, a sudo user, node groups. */
function lifecycleArgs() {
  const args = seedArgs();
  args.ganetiVersion = "3.1";
  args.nodes[2].offline = true;
  args.nodes[1].drained = true;
  args.nodes[0].connection.user = "ganeti-admin";
  args.instances![0] = { ...args.instances![0], primaryNode: "node1.project.edu", secondaryNode: "node2.project.edu" };
  // In racks: node1 and node2 (the drbd pair) in rack1, node3 in rack2; "default" listed for its policy.
  args.nodeGroups = [
    { name: "rack1", diskTemplates: ["drbd", "plain"] },
    { name: "rack2", allocPolicy: "last_resort" },
    { name: "default", allocPolicy: "unallocable" },
  ];
  args.nodes[0].group = "rack1";
  args.nodes[1].group = "rack1";
  args.nodes[2].group = "rack2";
  args.instances![0].group = "rack1";
  return args;
}

/**
 * Runs a rendered master-side script with stub `gnt-*` commands (each logs its argv to calls.log
 * and answers from the table), the host-key check skipped (no sshd here). Returns the exit code,
 * stderr and the logged calls, in order.
 */
function runWithStubs(
  script: string,
  answers: Record<string, { stdout?: string; exit?: number }>,
): { status: number; stderr: string; calls: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gn-stub-"));
  try {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const log = path.join(dir, "calls.log");
    for (const tool of ["gnt-cluster", "gnt-node", "gnt-instance", "gnt-group", "timeout"]) {
      const cases = Object.entries(answers)
        .filter(([k]) => k.startsWith(`${tool} `))
        .map(([k, v]) => `  ${JSON.stringify(k)}) printf '%b' ${JSON.stringify(v.stdout ?? "")}; exit ${v.exit ?? 0};;`)
        .join("\n");
      fs.writeFileSync(
        path.join(bin, tool),
        tool === "timeout"
          ? `#!/bin/bash\nshift; exec "$@"\n`
          : `#!/bin/bash\necho "${tool} $*" >>${JSON.stringify(log)}\ncase "${tool} $*" in\n${cases}\n  *) exit 0;;\nesac\n`,
        { mode: 0o755 },
      );
    }
    const stubbed = script.replace(/^assert_host_key '.*'$/m, ":").replace(/\/var\/lib\/ganeti\//g, `${dir}/`);
    fs.writeFileSync(path.join(dir, "config.data"), "{}");
    const r = spawnSync("bash", ["-c", stubbed], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : [];
    return { status: r.status ?? -1, stderr: r.stderr, calls };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("Ganeti scripts (rendered; DRBD/LVM/VLAN parts checked statically only — no kernel modules here)", function () {
  this.timeout(120_000);
  const seed = planGanetiCluster("lab", seedArgs());
  const sandbox = planGanetiCluster("lab", sandboxArgs());
  const lifecycle = planGanetiCluster("lab", lifecycleArgs());

  it("every script of the seed, sandbox and later-life (3.1, offline, drained) clusters passes bash -n and shellcheck", () => {
    for (const [label, plan] of [
      ["seed", seed],
      ["sandbox", sandbox],
      ["lifecycle", lifecycle],
    ] as const) {
      for (const [name, script] of Object.entries(allScripts(plan))) assertValidShellScript(script, `${label} ${name}`);
    }
  });

  it("every script is strict, checks the pinned host key first and never contains a private key", () => {
    for (const plan of [seed, sandbox, lifecycle]) {
      for (const [name, script] of Object.entries(allScripts(plan))) {
        expect(script, name).to.contain("set -euo pipefail");
        expect(script, name).to.match(/\nassert_host_key 'ssh-ed25519 [^']+'/);
        expect(script, name).not.to.contain("PRIVATE KEY");
        expect(script, name).not.to.contain(CLUSTER_KEY.split("\n")[1]);
      }
    }
  });

  it("prepare: hostname, /etc/hosts without 127.0.1.1, packages, DRBD options, LVM filter, VLAN bridges, root SSH", () => {
    const node = seed.nodes[1];
    const script = renderNodePrepareScript(seed, node);
    expect(script).to.contain("hostname 'node2.project.edu'");
    expect(hostsBlock(seed)).to.equal(
      [
        "192.168.20.222 node1.project.edu node1",
        "192.168.20.223 node2.project.edu node2",
        "192.168.20.224 node3.project.edu node3",
        "192.168.20.220 cluster.project.edu cluster",
      ].join("\n"),
    );
    expect(script).to.contain("sed -i '/^127\\.0\\.1\\.1[[:space:]]/d' /etc/hosts");
    expect(nodePackages(seed)).to.include.members([
      "ganeti",
      "drbd-utils",
      "lvm2",
      "qemu-system-x86",
      "bridge-utils",
      "vlan",
      "chrony",
    ]);
    expect(script).to.contain("options drbd minor_count=128 usermode_helper=/bin/true");
    expect(script).to.contain("ensure_line /etc/modules drbd");
    expect(LVM_DRBD_FILTER).to.equal(`filter = [ "r|/dev/cdrom|", "r|/dev/drbd[0-9]+|" ]`);
    expect(script).to.contain(`vgcreate 'ganeti' '/dev/sda3'`);
    const ifaces = bridgeInterfaces(seed, node);
    expect(ifaces).to.contain(
      "iface br-man inet static\n    address 192.168.20.223/24\n    gateway 192.168.20.1\n    bridge_ports eth0.100\n    bridge_stp off\n    bridge_fd 0",
    );
    expect(ifaces).to.contain("iface br-public inet manual\n    bridge_ports eth0.200");
    expect(ifaces).to.contain("vlan-raw-device eth0");
    expect(knownHostsBlock(seed).split("\n")[1]).to.equal(
      `node2.project.edu,node2,192.168.20.223 ${seed.nodes[1].hostKey.split(" ").slice(0, 2).join(" ")}`,
    );
    expect(script).to.contain("ensure_line /root/.ssh/authorized_keys 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC9999");
    // The cluster key is read from standard input (base64, one line), never from argv.
    expect(script).to.contain(`IFS= read -r CLUSTER_SSH_PRIVATE_KEY_B64`);
    // sshd must serve the RSA host key Ganeti pins cluster-wide (the master's, copied on node add).
    expect(script).to.contain('grep -qxF /etc/ssh/ssh_host_rsa_key <<<"$(served_host_keys)"');
  });

  it("prepare keeps the /etc/hosts line of a node dropped from nodes while Ganeti still lists it", () => {
    // Only the /etc/hosts part (the rest needs apt, sshd and root), on a temporary hosts file.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gn-hosts-"));
    const hosts = path.join(dir, "hosts");
    const twoNodes = planGanetiCluster("lab", { ...seedArgs(), nodes: seedArgs().nodes.slice(0, 2), instances: [] });
    const lines = renderNodePrepareScript(twoNodes, twoNodes.master).split("\n");
    const preamble = lines.slice(
      0,
      lines.findIndex((l) => l.startsWith("# Secrets arrive on standard input")),
    );
    const from = lines.findIndex((l) => l.startsWith("hosts_members="));
    const to = lines.findIndex((l) => l === "} | ensure_block /etc/hosts ganeti-cluster");
    const part = [...preamble, ...lines.slice(from, to + 1)]
      .join("\n")
      .replace(/\/etc\/hosts/g, hosts)
      .replace(/\/var\/lib\/ganeti\//g, `${dir}/`);
    const run = (members: string[]) => {
      fs.writeFileSync(path.join(dir, "ssconf_node_list"), members.map((m) => `${m}\n`).join(""));
      return spawnSync("bash", ["-c", part], { encoding: "utf8" });
    };
    fs.writeFileSync(hosts, `127.0.0.1 localhost\n# BEGIN ganeti-cluster\n${hostsBlock(seed)}\n# END ganeti-cluster\n`);
    const node3 = "192.168.20.224 node3.project.edu node3";
    // node3 is no longer declared but still a member: its line stays (after the declared block).
    const members = ["node1.project.edu", "node2.project.edu", "node3.project.edu"];
    const kept = run(members);
    expect(kept.status, kept.stderr).to.equal(0);
    expect(fs.readFileSync(hosts, "utf8")).to.equal(
      `127.0.0.1 localhost\n# BEGIN ganeti-cluster\n${hostsBlock(twoNodes)}\n${node3}\n# END ganeti-cluster\n`,
    );
    expect(run(members).stdout).to.equal("");
    // Once Ganeti no longer lists it, the block is the declared one.
    const dropped = run(members.slice(0, 2));
    expect(dropped.stdout).to.equal(`changed: block ganeti-cluster in ${hosts}\n`);
    expect(fs.readFileSync(hosts, "utf8")).not.to.contain("node3");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the LVM filter edit puts the filter first in the devices section of an lvm.conf", () => {
    // Only the sed part (lvmconfig/pvcreate need LVM and block devices, which this sandbox lacks).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gn-lvm-"));
    const conf = path.join(dir, "lvm.conf");
    fs.writeFileSync(conf, 'config {\n}\ndevices {\n\tdir = "/dev"\n\t# filter = [ "a|.*|" ]\n}\n');
    const line = renderNodePrepareScript(seed, seed.master)
      .split("\n")
      .find((l) => l.includes("sed -i '0,/^devices {/"))!;
    const r = spawnSync("bash", ["-c", line.trim().replace("/etc/lvm/lvm.conf", conf)], { encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    expect(fs.readFileSync(conf, "utf8")).to.equal(
      `config {\n}\ndevices {\n\t${LVM_DRBD_FILTER}\n\tdir = "/dev"\n\t# filter = [ "a|.*|" ]\n}\n`,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("sandbox prepare skips LVM, DRBD and VLANs, and lists the file storage paths", () => {
    const script = renderNodePrepareScript(sandbox, sandbox.nodes[0]);
    expect(script).not.to.match(/vgcreate|modprobe|interfaces\.d|lvm\.conf/);
    expect(script).to.contain(
      "ensure_file /etc/ganeti/file-storage-paths 0644 root:root <<'EOF'\n/srv/ganeti/file-storage\n/srv/ganeti/shared-file-storage\nEOF",
    );
    expect(nodePackages(sandbox)).to.deep.equal(["ganeti", "openssh-client", "openssh-server", "ganeti-os-noop"]);
  });

  it("cluster init: the seed's flags, --no-ssh-init, guarded by an already-initialised check", () => {
    expect(cluster.clusterInitFlags(seed)).to.deep.equal([
      "--enabled-hypervisors=kvm",
      "--enabled-disk-templates=drbd,plain",
      "--vg-name=ganeti",
      "--drbd-usermode-helper=/bin/true",
      "--ipolicy-disk-templates=drbd,plain",
      "--master-netdev=br-man",
      "--nic-parameters=mode=bridged,link=br-public",
      "--no-ssh-init",
      "--no-etc-hosts",
    ]);
    const withSip = planGanetiCluster("lab", {
      ...seedArgs(),
      nodes: seedArgs().nodes.map((n, i) => ({ ...n, replicationAddress: `10.10.0.${i + 1}` })),
    });
    expect(cluster.clusterInitFlags(withSip)).to.include("--secondary-ip=10.10.0.1");
    expect(cluster.renderNodeAddScript(withSip, withSip.nodes[2])).to.contain(
      "gnt-node add --no-ssh-key-check --secondary-ip=10.10.0.3 'node3.project.edu'",
    );
    const init = cluster.renderClusterInitScript(seed);
    expect(init).to.match(/if \[ -s \/var\/lib\/ganeti\/config.data \]; then\n.*already belongs to cluster/);
    expect(init).to.contain("timeout 900 gnt-cluster init");
    expect(cluster.renderClusterDestroyScript(seed)).to.contain("gnt-cluster destroy --yes-do-it");
    // VNC consoles on loopback by default (reach them with ssh -L), not the seed's open 0.0.0.0.
    expect(cluster.renderKvmParametersScript(seed)).to.contain(
      "gnt-cluster modify -H 'kvm:initrd_path=,kernel_path=,vnc_bind_address=127.0.0.1'",
    );
  });

  it("node add: shares the cluster RSA host key, checks Ganeti's SSH view, skips nodes already in the cluster", () => {
    const script = cluster.renderNodeAddScript(seed, seed.nodes[2]);
    expect(script).to.contain("push_host_key_file /etc/ssh/ssh_host_rsa_key 600");
    expect(script).to.contain("-oHostKeyAlias=cluster.project.edu -oGlobalKnownHostsFile=/var/lib/ganeti/known_hosts");
    expect(script).to.contain(
      "is_member() { grep -qxF 'node3.project.edu' <<<\"$(gnt-node list --no-headers -o name)\"; }",
    );
    expect(script).to.contain(
      "if ! is_member; then\n  timeout 900 gnt-node add --no-ssh-key-check 'node3.project.edu'",
    );
    expect(cluster.renderNodeRemoveScript(seed, seed.nodes[2])).to.contain("gnt-node remove 'node3.project.edu'");
  });

  it("OS definitions: the seed's image+cd variant files; ISO copies only where the checksum differs", () => {
    const osScript = cluster.renderOsDefinitionsScript(seed, seed.nodes[0]);
    expect(osScript).to.contain(
      `ensure_file /etc/ganeti/instance-image/variants/cd.conf 0644 root:root <<'EOF'\nCDINSTALL="yes"\nNOMOUNT="yes"\nEOF`,
    );
    expect(osScript).to.contain("ensure_line /etc/ganeti/instance-image/variants.list cd");
    expect(osScript).to.contain("build ganeti-instance-image from osuosl/ganeti-instance-image");
    const iso = cluster.renderIsoDistributionScript(seed);
    expect(iso).to.contain(`gnt-cluster copyfile -n "$node" "$iso"`);
    expect(iso).to.contain(`if [ "$remote" != "$sum" ]; then`);
  });

  it("instance add/start: the seed's gnt-instance add and start from CD", () => {
    const inst = seed.instances[0];
    expect(instance.instanceAddFlags(inst).join(" ")).to.equal(
      "-t drbd -o image+cd --disk 0:size=4096M -B minmem=256M,maxmem=512M --net 0:link=br-public -n node2.project.edu:node1.project.edu --no-start --no-name-check --no-ip-check",
    );
    expect(instance.renderInstanceRunStateScript(seed, inst)).to.contain(
      "gnt-instance start -H 'boot_order=cdrom,cdrom_image_path=/iso/debian-7.9.0-amd64-netinst.iso' 'testvm.project.edu'",
    );
    expect(instance.renderInstanceRemoveScript(seed, inst)).to.contain(
      "gnt-instance remove -f --shutdown-timeout=120 'testvm.project.edu'",
    );
  });

  it("placement: drbd migrates live to the secondary; failover when asked (ignoring consistency only off an offline primary)", () => {
    const swapped = seedArgs();
    swapped.instances![0] = {
      ...swapped.instances![0],
      primaryNode: "node1.project.edu",
      secondaryNode: "node2.project.edu",
    };
    const plan = planGanetiCluster("lab", swapped);
    const migrate = instance.renderInstancePlacementScript(plan, plan.instances[0]);
    expect(migrate).to.contain("gnt-instance migrate -f 'testvm.project.edu'");
    expect(migrate).to.contain(
      `[ "$(field snodes)" = 'node1.project.edu' ] || die "node1.project.edu is not the secondary`,
    );
    swapped.instances![0] = { ...swapped.instances![0], failover: true, ignoreConsistency: true };
    const plan2 = planGanetiCluster("lab", swapped);
    const failover = instance.renderInstancePlacementScript(plan2, plan2.instances[0]);
    // Ganeti's --ignore-consistency asks on a terminal (and exits 1 silently without one): never passed;
    // the step checks that Ganeti has the primary offline, which makes Ganeti ignore its disks itself.
    expect(failover).to.contain("gnt-instance failover -f 'testvm.project.edu'");
    expect(failover).not.to.contain("--ignore-consistency");
    expect(failover).to.contain(
      `[ "$(gnt-node list --no-headers -o offline "$current")" = Y ] || die "testvm.project.edu is to fail over ignoring consistency, but its primary $current is not offline in Ganeti`,
    );
    expect(failover).not.to.contain("gnt-instance migrate");
    // sharedfile moves to any node and names it.
    const shared = instance.renderInstancePlacementScript(sandbox, sandbox.instances[0]);
    expect(shared).to.contain("gnt-instance migrate -f -n 'gn1.ganeti.test' 'gnvm1.ganeti.test'");
  });

  it("NIC link change: the seed's modify --net 0:modify,link=… --hotplug (forced, no prompt)", () => {
    const moved = seedArgs();
    moved.instances![0].nicLink = "br-man";
    const plan = planGanetiCluster("lab", moved);
    const nic = instance.renderInstanceNicScript(plan, plan.instances[0]);
    expect(nic).to.contain(`if [ "$(field nic.link/0)" != 'br-man' ]; then`);
    expect(nic).to.contain(`hotplug=(--hotplug)`);
    expect(nic).to.contain(
      `gnt-instance modify -f --net '0:modify,link=br-man' \${hotplug[@]+"\${hotplug[@]}"} 'testvm.project.edu'`,
    );
    expect(instance.renderInstanceNicScript(sandbox, sandbox.instances[0])).not.to.contain(`hotplug=(--hotplug)`);
    expect(instance.renderInstanceNicScript(sandbox, sandbox.instances[0])).to.contain(
      `hotplug=(--hotplug-if-possible)`,
    );
  });

  it("readiness before instances: members online and verify clean for the cluster and its nodes, else it names what and the fix", () => {
    // The seed cluster (DRBD on LVM), looking again at once instead of after 20 s.
    const plan: GanetiClusterPlan = { ...seed, readiness: { ...seed.readiness, retryIntervalSeconds: 0 } };
    expect(plan.readiness.onlineNodes).to.deep.equal(["node1.project.edu", "node2.project.edu", "node3.project.edu"]);
    const script = cluster.renderReadinessScript(plan);
    expect(script).not.to.contain("changed:"); // read-only: it checks, never changes
    const nodeList = "gnt-node list --no-headers --separator=| -o name,offline";
    const verify = "gnt-cluster verify --error-codes";
    const allOnline = "node1.project.edu|N\nnode2.project.edu|N\nnode3.project.edu|N\n";
    const stamp = "Mon Dec  7 05:30:01 2026";

    const ok = runWithStubs(script, {
      [nodeList]: { stdout: allOnline },
      [verify]: { stdout: `${stamp} * Verifying\n` },
    });
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.calls).to.deep.equal([nodeList, verify]);
    expect(ok.stderr).to.contain("cluster cluster.project.edu is ready for instances");

    // DRBD not usable on node2: verify is asked again (a node just added may be settling), then
    // the step fails naming the node, the code, Ganeti's message and the fix.
    const drbd = runWithStubs(script, {
      [nodeList]: { stdout: allOnline },
      [verify]: {
        stdout: `${stamp}   - ERROR:ENODEDRBD:node:node2.project.edu:drbd module not loaded\n${stamp}   - WARNING:ENODEN1:node:node3.project.edu:not enough memory\n`,
        exit: 1,
      },
    });
    expect(drbd.status).to.equal(1);
    expect(plan.readiness.verifyAttempts).to.be.greaterThan(1);
    expect(drbd.calls.filter((c) => c === verify)).to.have.length(plan.readiness.verifyAttempts);
    expect(drbd.stderr).to.contain("cluster cluster.project.edu is not ready for instances");
    expect(drbd.stderr).to.contain("node2.project.edu: ENODEDRBD (drbd module not loaded); fix: DRBD is not usable");
    expect(drbd.stderr).to.contain("modprobe drbd minor_count=");
    expect(drbd.stderr).not.to.contain("ENODEN1"); // a warning does not block

    // A declared node missing from the cluster: named, and verify is not even run.
    const missing = runWithStubs(script, {
      [nodeList]: { stdout: "node1.project.edu|N\nnode2.project.edu|N\n" },
      [verify]: {},
    });
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.match(/node3\.project\.edu is not a member of cluster\.project\.edu/);
    expect(missing.calls).not.to.include(verify);
    const offlineInGaneti = runWithStubs(script, {
      [nodeList]: { stdout: "node1.project.edu|N\nnode2.project.edu|Y\nnode3.project.edu|N\n" },
    });
    expect(offlineInGaneti.status).to.equal(1);
    expect(offlineInGaneti.stderr).to.contain("gnt-node modify --offline=no node2.project.edu");

    // Verify failing without an error line (the master daemon down): say so, with the fix.
    const down = runWithStubs(script, {
      [nodeList]: { stdout: allOnline },
      [verify]: { stdout: "Cannot communicate with the master daemon\n", exit: 1 },
    });
    expect(down.status).to.equal(1);
    expect(down.stderr).to.contain("without an error line");
    expect(down.stderr).to.contain("systemctl status ganeti");

    // Errors about instances are not the cluster's readiness (an instance that is down must not
    // block the step that starts it); with a node declared offline, errors naming it are expected.
    const life: GanetiClusterPlan = { ...lifecycle, readiness: { ...lifecycle.readiness, retryIntervalSeconds: 0 } };
    expect(life.readiness.onlineNodes).to.deep.equal(["node1.project.edu", "node2.project.edu"]);
    const tolerated = runWithStubs(cluster.renderReadinessScript(life), {
      [nodeList]: { stdout: "node1.project.edu|N\nnode2.project.edu|N\nnode3.project.edu|Y\n" },
      [verify]: {
        stdout: `${stamp}   - ERROR:ENODERPC:node:node3.project.edu:unreachable\n${stamp}   - ERROR:EINSTANCEDOWN:instance:testvm.project.edu:instance not running on its primary node\n`,
        exit: 1,
      },
    });
    expect(tolerated.status, tolerated.stderr).to.equal(0);
    expect(tolerated.calls.filter((c) => c === verify)).to.have.length(1);
  });

  it("Ganeti 3.0 vs 3.1: --hotplug flags and --no-name-check/--no-ip-check only on 3.0", () => {
    const moved = seedArgs();
    moved.instances![0].nicLink = "br-man";
    const v30 = planGanetiCluster("lab", moved);
    const v31 = planGanetiCluster("lab", { ...moved, ganetiVersion: "3.1" });
    expect(v30.ganetiVersion).to.equal("3.0");
    const nic30 = instance.renderInstanceNicScript(v30, v30.instances[0]);
    const nic31 = instance.renderInstanceNicScript(v31, v31.instances[0]);
    expect(nic30).to.match(/--hotplug\b/);
    expect(nic31).not.to.match(/--hotplug/);
    expect(nic31).to.contain("hotplug=() # Ganeti 3.1 hotplugs by default");
    expect(instance.instanceAddFlags(v30.instances[0], "3.0")).to.include.members(["--no-name-check", "--no-ip-check"]);
    expect(instance.instanceAddFlags(v31.instances[0], "3.1").join(" ")).not.to.match(/--no-(name|ip)-check/);
    expect(instance.renderInstanceAddScript(v31, v31.instances[0])).not.to.match(/--no-(name|ip)-check/);
    // Run the NIC step against stub gnt-* tools: 3.1 passes no hotplug flag at all (3.1 refuses them).
    const answers = {
      "gnt-instance list --no-headers -o name": { stdout: "testvm.project.edu\n" },
      "gnt-instance list --no-headers --separator=| -o nic.link/0 testvm.project.edu": { stdout: "br-public\n" },
      "gnt-instance list --no-headers --separator=| -o status testvm.project.edu": { stdout: "running\n" },
    };
    const stubMaster = (script: string) =>
      script.replace(/^\[ "\$\(cat \/var\/lib\/ganeti\/ssconf_master_node.*$/m, ":");
    const run31 = runWithStubs(stubMaster(nic31), answers);
    expect(run31.status, run31.stderr).to.equal(0);
    expect(run31.calls).to.include("gnt-instance modify -f --net 0:modify,link=br-man testvm.project.edu");
    const run30 = runWithStubs(stubMaster(nic30), answers);
    expect(run30.status, run30.stderr).to.equal(0);
    expect(run30.calls).to.include("gnt-instance modify -f --net 0:modify,link=br-man --hotplug testvm.project.edu");
  });

  it("cluster settings changed after init are applied with gnt-cluster modify; masterNode moves the master role", () => {
    expect(cluster.clusterModifyFlags(seed)).to.deep.equal([
      "--enabled-hypervisors=kvm",
      "--enabled-disk-templates=drbd,plain",
      "--vg-name=ganeti",
      "--drbd-usermode-helper=/bin/true",
      "--ipolicy-disk-templates=drbd,plain",
      "--master-netdev=br-man",
      "--nic-parameters=mode=bridged,link=br-public",
    ]);
    const init = cluster.renderClusterInitScript(seed);
    // An initialised cluster whose last applied settings differ from the declared ones is modified,
    // with only the flags that differ: not the unchanged hypervisor, and not the master netdev
    // Ganeti already has (passing it takes the cluster address down and up).
    const master = {
      "gnt-cluster modify --enabled-disk-templates=drbd,plain --vg-name=ganeti --drbd-usermode-helper=/bin/true --ipolicy-disk-templates=drbd,plain --nic-parameters=mode=bridged,link=br-public":
        {},
    };
    const prepared = (extra: string) =>
      init
        .replace(
          /^settings=/m,
          `printf 'cluster.project.edu' >/var/lib/ganeti/ssconf_cluster_name; printf 'br-man' >/var/lib/ganeti/ssconf_master_netdev; printf '%s' "\${CURRENT_MASTER}" >/var/lib/ganeti/ssconf_master_node; ${extra}\nsettings=`,
        )
        .replace(/^# The master daemon activates[\s\S]*$/m, "");
    const run = runWithStubs(
      prepared(
        "printf '%s\\n' '--enabled-hypervisors=kvm --enabled-disk-templates=plain' >/var/lib/ganeti/blueprints-cluster-settings",
      ).replace("${CURRENT_MASTER}", "node1.project.edu"),
      master,
    );
    expect(run.status, run.stderr).to.equal(0);
    expect(run.calls).to.deep.equal([Object.keys(master)[0]]);
    expect(init).not.to.contain(`log "cluster cluster.project.edu is already initialised"`);
    // masterNode names node1 while node2 is master: node1 takes the role over first.
    const failover = runWithStubs(prepared("").replace("${CURRENT_MASTER}", "node2.project.edu"), master);
    expect(failover.status, failover.stderr).to.equal(0);
    expect(failover.calls[0]).to.equal("gnt-cluster master-failover");
  });

  it("node life: a reinstalled member is re-added with --readd; drained and offline are applied as state", () => {
    const add = cluster.renderNodeAddScript(seed, seed.nodes[2]);
    expect(add).to.contain(
      `node_cluster=$(ssh -n -oBatchMode=yes -oConnectTimeout=15 -oStrictHostKeyChecking=yes root@node3.project.edu "cat /var/lib/ganeti/ssconf_cluster_name 2>/dev/null" || true)`,
    );
    expect(add).to.contain(
      `if [ "$node_cluster" != 'cluster.project.edu' ]; then\n    timeout 900 gnt-node add --readd --no-ssh-key-check 'node3.project.edu'`,
    );
    expect(add).to.contain(
      `if [ "$(gnt-node list --no-headers -o drained 'node3.project.edu')" != N ]; then\n  timeout 600 gnt-node modify -f --drained=no 'node3.project.edu'`,
    );
    expect(cluster.renderNodeAddScript(lifecycle, lifecycle.nodes[1])).to.contain(
      "gnt-node modify -f --drained=yes 'node2.project.edu'",
    );
    // A dead node is only marked offline: nothing connects to it.
    const offline = cluster.renderNodeAddScript(lifecycle, lifecycle.nodes[2]);
    expect(offline).to.contain("gnt-node modify -f --offline=yes 'node3.project.edu'");
    expect(offline).not.to.match(/ssh .*root@node3/);
    const marked = runWithStubs(offline.replace(/^\[ "\$\(cat \/var\/lib\/ganeti\/ssconf_master_node.*$/m, ":"), {
      "gnt-node list --no-headers -o name": { stdout: "node1.project.edu\nnode2.project.edu\nnode3.project.edu\n" },
      "gnt-node list --no-headers -o offline node3.project.edu": { stdout: "N\n" },
    });
    expect(marked.status, marked.stderr).to.equal(0);
    expect(marked.calls).to.include("gnt-node modify -f --offline=yes node3.project.edu");
    // The pinned key is in the script: a reinstalled node's new key re-runs the step.
    expect(add).to.contain(
      `# node3.project.edu is pinned to ${seed.nodes[2].hostKey.split(" ").slice(0, 2).join(" ")}`,
    );
  });

  it("node removal evacuates first: migrate primaries, evacuate secondaries, then gnt-node remove", () => {
    const remove = cluster.renderNodeRemoveScript(seed, seed.nodes[2]).replace(`[ "$master" = "$(hostname)" ]`, "true");
    const members = {
      "gnt-node list --no-headers -o name": { stdout: "node1.project.edu\nnode2.project.edu\nnode3.project.edu\n" },
    };
    const holding = runWithStubs(remove.replace(/^master=.*$/m, "master=node1.project.edu"), {
      ...members,
      "gnt-node list --no-headers -o pinst_cnt node3.project.edu": { stdout: "1\n" },
      "gnt-node list --no-headers -o sinst_cnt node3.project.edu": { stdout: "1\n" },
      "gnt-node list --no-headers -o offline node3.project.edu": { stdout: "N\n" },
    });
    // The stub keeps answering "1": the script migrates, evacuates, then refuses to remove a node that still holds instances.
    expect(holding.calls.filter((c) => !c.includes(" list "))).to.deep.equal([
      "gnt-node migrate -f node3.project.edu",
      "gnt-node evacuate -f --secondary-only node3.project.edu",
    ]);
    expect(holding.status).to.equal(1);
    expect(holding.stderr).to.contain("still holds instances after the evacuation; refusing to remove it");
    const empty = runWithStubs(remove.replace(/^master=.*$/m, "master=node1.project.edu"), {
      ...members,
      "gnt-node list --no-headers -o pinst_cnt node3.project.edu": { stdout: "0\n" },
      "gnt-node list --no-headers -o sinst_cnt node3.project.edu": { stdout: "0\n" },
    });
    expect(empty.status, empty.stderr).to.equal(0);
    expect(empty.calls.filter((c) => !c.includes(" list "))).to.deep.equal(["gnt-node remove node3.project.edu"]);
    // An offline node's primaries fail over (they cannot migrate from a dead node).
    const dead = runWithStubs(remove.replace(/^master=.*$/m, "master=node1.project.edu"), {
      ...members,
      "gnt-node list --no-headers -o pinst_cnt node3.project.edu": { stdout: "1\n" },
      "gnt-node list --no-headers -o offline node3.project.edu": { stdout: "Y\n" },
    });
    expect(dead.calls).to.include("gnt-node failover -f --ignore-consistency node3.project.edu");
    // The node that became master is never removed.
    const nowMaster = runWithStubs(remove.replace(/^master=.*$/m, "master=node3.project.edu"), members);
    expect(nowMaster.status, nowMaster.stderr).to.equal(0);
    expect(nowMaster.calls.filter((c) => !c.includes(" list "))).to.deep.equal([]);
  });

  it("report: verify errors about a node declared offline are tolerated, any other error fails the step", () => {
    const stubs = (verify: string) => ({ "gnt-cluster verify --error-codes": { stdout: verify, exit: 1 } });
    const offlineError =
      "Tue Nov 17 17:20:52 2015   - ERROR:ENODERPC:node:node3.project.edu:while contacting node: Node is marked offline\n";
    const otherError =
      "Tue Nov 17 17:20:52 2015   - ERROR:ENODELVM:node:node2.project.edu:volume group ganeti missing\n";
    const tolerated = runWithStubs(renderReportScript(lifecycle), stubs(offlineError));
    expect(tolerated.status, tolerated.stderr).to.equal(0);
    expect(tolerated.stderr).to.contain("errors only about nodes declared offline (node3.project.edu); tolerated");
    const failed = runWithStubs(renderReportScript(lifecycle), stubs(offlineError + otherError));
    expect(failed.status).to.equal(1);
    expect(failed.stderr).to.contain("ENODELVM:node:node2.project.edu");
    // Without offline nodes every verify error still fails the step.
    expect(runWithStubs(renderReportScript(seed), stubs(offlineError)).status).to.equal(1);
    expect(
      runWithStubs(renderReportScript(seed), { "gnt-cluster verify --error-codes": { stdout: "", exit: 0 } }).status,
    ).to.equal(0);
  });

  it("prepare: refreshes the package lists before installing a missing package, never on a second run", () => {
    const script = renderNodePrepareScript(seed, seed.nodes[0]);
    const update = script.indexOf("apt-get -o DPkg::Lock::Timeout=600 update");
    expect(update).to.be.greaterThan(0);
    expect(update).to.be.below(script.indexOf(`ensure_packages "\${node_packages[@]}"`));
    expect(script).to.match(
      /if \[ "\$\(dpkg-query[^\n]*!= 'install ok installed' \]; then\n\s+DEBIAN_FRONTEND=noninteractive timeout 600 apt-get[^\n]*update/,
    );
  });

  it("network.manage moves the node address off the NIC: the NIC's static stanza becomes manual, the address goes to the bridge", () => {
    const script = renderNodePrepareScript(seed, seed.nodes[1]);
    expect(script).to.contain("ip address del '192.168.20.223/24' dev 'eth0'");
    expect(script.indexOf("ip address del '192.168.20.223/24'")).to.be.below(
      script.indexOf(`for iface in br-man br-public; do`),
    );
    // The awk program on a typical Debian interfaces file.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gn-ifaces-"));
    const file = path.join(dir, "interfaces");
    fs.writeFileSync(
      file,
      "source /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n    address 192.168.20.223/24\n    gateway 192.168.20.1\n    dns-nameservers 9.9.9.9\n\nauto eth1\niface eth1 inet static\n    address 10.0.0.5/24\n",
    );
    const r = spawnSync("awk", [parentStanzaToManualAwk("eth0"), file], { encoding: "utf8" });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(
      "source /etc/network/interfaces.d/*\nauto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet manual\n    dns-nameservers 9.9.9.9\n\nauto eth1\niface eth1 inet static\n    address 10.0.0.5/24\n",
    );
    expect(renderNodePrepareScript(sandbox, sandbox.nodes[0])).not.to.contain("ip address del");
  });

  it("node groups: add when missing, modify only what differs, move only misplaced nodes, remove only an empty group", () => {
    const [rack1, rack2, initial] = lifecycle.nodeGroups!;
    // The master check reads ssconf_master_node from the stub directory.
    const withMaster = (script: string, answers: Record<string, { stdout?: string; exit?: number }>) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gn-master-"));
      fs.writeFileSync(path.join(dir, "m"), "node1.project.edu\n");
      try {
        return runWithStubs(script.replace("/var/lib/ganeti/ssconf_master_node", path.join(dir, "m")), answers);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    const missing = withMaster(groups.renderNodeGroupScript(lifecycle, rack1), {
      "gnt-group list --no-headers -o name": { stdout: "default\n" },
    });
    expect(missing.status, missing.stderr).to.equal(0);
    expect(missing.calls.filter((c) => !c.includes(" list "))).to.deep.equal([
      "gnt-group add --alloc-policy=preferred --ipolicy-disk-templates=drbd,plain rack1",
    ]);
    // Present with the declared settings: nothing to do. Other settings: one modify per setting that differs.
    const same = withMaster(groups.renderNodeGroupScript(lifecycle, rack1), {
      "gnt-group list --no-headers -o name": { stdout: "default\nrack1\n" },
      "gnt-group list --no-headers -o alloc_policy rack1": { stdout: "preferred\n" },
      "gnt-group list --no-headers -o custom_ipolicy rack1": { stdout: "{'disk-templates': ['drbd', 'plain']}\n" },
    });
    expect(same.status, same.stderr).to.equal(0);
    expect(same.calls.filter((c) => !c.includes(" list "))).to.deep.equal([]);
    const differs = withMaster(groups.renderNodeGroupScript(lifecycle, initial), {
      "gnt-group list --no-headers -o name": { stdout: "default\n" },
      "gnt-group list --no-headers -o alloc_policy default": { stdout: "preferred\n" },
      "gnt-group list --no-headers -o custom_ipolicy default": { stdout: "{'disk-templates': ['plain']}\n" },
    });
    expect(differs.status, differs.stderr).to.equal(0);
    expect(differs.calls.filter((c) => !c.includes(" list "))).to.deep.equal([
      "gnt-group modify --alloc-policy=unallocable default",
      "gnt-group modify --ipolicy-disk-templates=default default",
    ]);

    // Membership: node2 sits in default and node3 in rack1; one assign-nodes per target group.
    const membership = groups.renderNodeGroupMembershipScript(lifecycle);
    const names = { "gnt-group list --no-headers -o name": { stdout: "default\nrack1\nrack2\n" } };
    const moved = withMaster(membership, {
      ...names,
      "gnt-node list --no-headers --separator=| -o name,group": {
        stdout: "node1.project.edu|rack1\nnode2.project.edu|default\nnode3.project.edu|rack1\n",
      },
    });
    expect(moved.status, moved.stderr).to.equal(0);
    expect(moved.calls.filter((c) => c.startsWith("gnt-group assign-nodes"))).to.deep.equal([
      "gnt-group assign-nodes rack1 node2.project.edu",
      "gnt-group assign-nodes rack2 node3.project.edu",
    ]);
    const split = withMaster(membership, {
      ...names,
      "gnt-node list --no-headers --separator=| -o name,group": {
        stdout: "node1.project.edu|rack1\nnode2.project.edu|default\nnode3.project.edu|rack2\n",
      },
      "gnt-group assign-nodes rack1 node2.project.edu": {
        stdout: "Failure: The following instances get split by this change and --force was not given: vm9\n",
        exit: 1,
      },
    });
    expect(split.status).to.equal(1);
    expect(split.stderr).to.contain(
      "gnt-group assign-nodes rack1 node2.project.edu failed: Failure: The following instances get split",
    );
    expect(split.stderr).to.contain("gnt-instance change-group");

    // Removal: refused while a node is in the group, naming it; the initial group is never removed.
    const remove = groups.renderNodeGroupRemoveScript(lifecycle, rack2);
    const listing = { "gnt-group list --no-headers -o name": { stdout: "default\nrack2\n" } };
    const held = runWithStubs(remove, {
      ...listing,
      "gnt-node list --no-headers --separator=| -o name,group": {
        stdout: "node1.project.edu|default\nnode3.project.edu|rack2\n",
      },
    });
    expect(held.status).to.equal(1);
    expect(held.stderr).to.contain("node group rack2 is no longer declared but still holds: node3.project.edu.");
    expect(held.calls.filter((c) => c.includes("remove"))).to.deep.equal([]);
    const empty = runWithStubs(remove, {
      ...listing,
      "gnt-node list --no-headers --separator=| -o name,group": { stdout: "node1.project.edu|default\n" },
    });
    expect(empty.status, empty.stderr).to.equal(0);
    expect(empty.calls.filter((c) => c.includes("remove"))).to.deep.equal(["gnt-group remove rack2"]);
    const kept = runWithStubs(groups.renderNodeGroupRemoveScript(lifecycle, initial), listing);
    expect(kept.status, kept.stderr).to.equal(0);
    expect(kept.calls).to.deep.equal([]);
  });

  it("report: verify with the listed error codes only, and its output parses into the outputs", () => {
    const script = renderReportScript(sandbox);
    expect(script).to.contain("gnt-cluster verify --error-codes --ignore-errors=ENODESETUP");
    const stdout = [
      "=== verify",
      "Submitted jobs 7, 8",
      "Tue Nov 17 17:20:52 2015 * Hooks Results",
      "=== verify-exit 0",
      "=== nodes",
      "gn1.ganeti.test|M|1|0",
      "gn2.ganeti.test|C|0|0",
      "=== instances",
      "gnvm1.ganeti.test|gn2.ganeti.test||running|-",
      "testvm.project.edu|node2.project.edu|node1.project.edu|running|11003",
      "=== end",
    ].join("\n");
    const report = parseClusterReport(stdout);
    expect(report.verifyPassed).to.equal(true);
    expect(report.verifyOutput).to.contain("Hooks Results");
    expect(report.nodes).to.deep.equal([
      { name: "gn1.ganeti.test", role: "M", primaryInstances: 1, secondaryInstances: 0 },
      { name: "gn2.ganeti.test", role: "C", primaryInstances: 0, secondaryInstances: 0 },
    ]);
    expect(report.instances).to.deep.equal([
      { name: "gnvm1.ganeti.test", primaryNode: "gn2.ganeti.test", secondaryNodes: [], status: "running" },
      {
        name: "testvm.project.edu",
        primaryNode: "node2.project.edu",
        secondaryNodes: ["node1.project.edu"],
        status: "running",
        consolePort: 11003,
      },
    ]);
    expect(parseClusterReport("").verifyPassed).to.equal(false);
  });
});
