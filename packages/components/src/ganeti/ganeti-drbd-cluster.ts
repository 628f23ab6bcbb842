import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { asRootCommand } from "../scripts/remote-script";
import { secretStdin } from "../scripts/secret-stdin";
import type { GanetiDrbdClusterArgs } from "./ganeti-args";
import { PlannedNode, planGanetiCluster } from "./ganeti-plan";
import { renderNodePrepareScript } from "./node-prepare-script";
import {
  renderClusterDestroyScript,
  renderClusterInitScript,
  renderIsoDistributionScript,
  renderKvmParametersScript,
  renderNodeAddScript,
  renderNodeRemoveScript,
  renderOsDefinitionsScript,
  renderReadinessScript,
} from "./cluster-scripts";
import {
  renderInstanceAddScript,
  renderInstanceNicScript,
  renderInstancePlacementScript,
  renderInstanceRemoveScript,
  renderInstanceRunStateScript,
  renderInstanceUpdateScript,
} from "./instance-scripts";
import { GanetiInstanceStatus, GanetiNodeStatus, parseClusterReport, renderReportScript } from "./cluster-report";
import {
  renderNodeGroupMembershipScript,
  renderNodeGroupRemoveScript,
  renderNodeGroupScript,
} from "./node-group-scripts";

export type { GanetiNodeStatus, GanetiInstanceStatus } from "./cluster-report";

/**
 * A Ganeti cluster with DRBD (DRBD-replicated KVM instances on commodity nodes), built from
 * `@pulumi/command` remote commands over SSH:
 *  - `<name>-prepare-<node>` and `<name>-os-<node>`: per node, in parallel — no node's steps wait
 *    for another node's;
 *  - `<name>-cluster` (init, or master failover + `gnt-cluster modify` later; delete = destroy)
 *    after every node is prepared, then `<name>-kvm-parameters`, `<name>-node-<node>` (add or
 *    re-add, offline/drained flags; delete = evacuate, then remove) and `<name>-iso`;
 *  - with node groups declared: `<name>-group-<group>` (add, modify; delete = remove when empty)
 *    before the node steps, and `<name>-node-groups` (assign-nodes) after them;
 *  - `<name>-ready`: is the cluster ready for instances (members online, `gnt-cluster verify`
 *    clean for the cluster and its nodes), re-checked whenever anything declared changes;
 *  - per instance `<name>-instance-<i>` (add; delete = remove) → `-nic-<i>` → `-run-<i>` →
 *    `-placement-<i>`, each owning one aspect, so a change re-runs only the step that owns it;
 *  - `<name>-report`: `gnt-cluster verify` and the lists behind the outputs.
 * Deletion follows the dependencies in reverse: instances, then nodes, then the cluster.
 */
export class GanetiDrbdCluster extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>;
  public readonly clusterAddress: pulumi.Output<string>;
  public readonly masterNode: pulumi.Output<string>;
  /** FQDNs of the declared nodes, master first. */
  public readonly nodeNames: pulumi.Output<string[]>;
  /**
   * Whether the last report's `gnt-cluster verify` passed. A failing verify fails the report step,
   * unless every error names a node declared offline (then this is false and the step succeeds).
   */
  public readonly verifyPassed: pulumi.Output<boolean>;
  /** Output of the last `gnt-cluster verify --error-codes`. */
  public readonly verifyOutput: pulumi.Output<string>;
  /** `gnt-node list` as Ganeti reported it. */
  public readonly nodes: pulumi.Output<GanetiNodeStatus[]>;
  /** `gnt-instance list` with primary/secondary nodes and status. */
  public readonly instances: pulumi.Output<GanetiInstanceStatus[]>;
  /** Console (VNC on kvm) port per instance name, on the instance's primary node. */
  public readonly consolePorts: pulumi.Output<Record<string, number>>;

  constructor(name: string, args: GanetiDrbdClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate everything before anything is registered, the component included.
    const plan = planGanetiCluster(name, args);
    super("openstack-blueprints:index:GanetiDrbdCluster", name, {}, opts);

    // The provider checks the server's host key against the pinned one before it runs anything
    // or sends standard input — the cluster's root private key goes to the prepare steps that way.
    const connectionOf = (node: PlannedNode): command.types.input.remote.ConnectionArgs => ({
      host: node.connection.host,
      port: node.connection.port ?? 22,
      user: node.user,
      privateKey: pulumi.secret(node.connection.privateKey),
      hostKey: node.hostKey,
    });
    // Ganeti's tools need root: a non-root user runs every script through `sudo -n` (no prompt,
    // fails at once without a NOPASSWD rule). Root runs the script as is, so its text — and
    // with it the stack's state — is unchanged for root connections.
    const asUser = (node: PlannedNode) => (script: string) => (node.user === "root" ? script : asRootCommand(script));
    const onMaster = asUser(plan.master);
    const master = connectionOf(plan.master);
    const keyB64 = pulumi
      .output(args.clusterSshPrivateKey)
      .apply((key) => Buffer.from(`${key.trimEnd()}\n`).toString("base64"));

    // Per-node preparation: depends on nothing but its own node. A node declared offline is dead
    // or down: it has no such steps (their deletion runs nothing); declaring it online again
    // creates them, so a reinstalled node is prepared before its node step re-adds it.
    const online = plan.nodes.filter((node) => !node.offline);
    const prepared = online.map(
      (node) =>
        new command.remote.Command(
          `${name}-prepare-${node.shortName}`,
          {
            connection: connectionOf(node),
            create: asUser(node)(renderNodePrepareScript(plan, node)),
            stdin: secretStdin(keyB64),
          },
          { parent: this, customTimeouts: { create: "40m", update: "40m" } },
        ),
    );
    const osReady = online.map(
      (node, i) =>
        new command.remote.Command(
          `${name}-os-${node.shortName}`,
          {
            connection: connectionOf(node),
            create: asUser(node)(renderOsDefinitionsScript(plan, node)),
          },
          { parent: this, dependsOn: [prepared[i]], customTimeouts: { create: "10m", update: "10m" } },
        ),
    );

    // Cluster steps on the master, after every node is ready.
    const cluster = new command.remote.Command(
      `${name}-cluster`,
      {
        connection: master,
        create: onMaster(renderClusterInitScript(plan)),
        delete: onMaster(renderClusterDestroyScript(plan)),
      },
      { parent: this, dependsOn: prepared, customTimeouts: { create: "20m", update: "20m", delete: "15m" } },
    );
    const clusterSteps: pulumi.Resource[] = [cluster];
    if (plan.hypervisor === "kvm") {
      clusterSteps.push(
        new command.remote.Command(
          `${name}-kvm-parameters`,
          {
            connection: master,
            create: onMaster(renderKvmParametersScript(plan)),
          },
          { parent: this, dependsOn: [cluster], customTimeouts: { create: "10m", update: "10m" } },
        ),
      );
    }
    // Node groups, only when declared. A group's delete (a group no longer listed) runs after the
    // node steps' deletes — they depend on it — so a removed node has left it; on a whole-cluster
    // delete it does not run at all (deletedWith: gnt-cluster destroy takes the groups along).
    const groupSteps = (plan.nodeGroups ?? []).map(
      (group) =>
        new command.remote.Command(
          `${name}-group-${group.key}`,
          {
            connection: master,
            create: onMaster(renderNodeGroupScript(plan, group)),
            delete: onMaster(renderNodeGroupRemoveScript(plan, group)),
          },
          {
            parent: this,
            dependsOn: [cluster],
            deletedWith: cluster,
            customTimeouts: { create: "10m", update: "10m", delete: "10m" },
          },
        ),
    );
    clusterSteps.push(...groupSteps);
    const nodeAdds = plan.nodes
      .filter((n) => !n.isMaster)
      .map(
        (node) =>
          new command.remote.Command(
            `${name}-node-${node.shortName}`,
            {
              connection: master,
              create: onMaster(renderNodeAddScript(plan, node)),
              delete: onMaster(renderNodeRemoveScript(plan, node)),
            },
            {
              parent: this,
              dependsOn: [cluster, ...groupSteps],
              customTimeouts: { create: "20m", update: "20m", delete: "15m" },
            },
          ),
      );
    clusterSteps.push(...nodeAdds);
    if (plan.nodeGroups) {
      // Every node in its declared group, once the groups exist and every node is a member.
      clusterSteps.push(
        new command.remote.Command(
          `${name}-node-groups`,
          {
            connection: master,
            create: onMaster(renderNodeGroupMembershipScript(plan)),
          },
          {
            parent: this,
            dependsOn: [cluster, ...groupSteps, ...nodeAdds],
            customTimeouts: { create: "15m", update: "15m" },
          },
        ),
      );
    }
    if (plan.isoImages.length > 0) {
      clusterSteps.push(
        new command.remote.Command(
          `${name}-iso`,
          {
            connection: master,
            create: onMaster(renderIsoDistributionScript(plan)),
          },
          { parent: this, dependsOn: [cluster, ...nodeAdds], customTimeouts: { create: "60m", update: "60m" } },
        ),
      );
    }

    // The report re-runs (is replaced) whenever anything declared changes, so outputs stay current.
    // The readiness check is in the plan but not in this digest: adding it left the report's inputs as they were.
    const { readiness: _readiness, ...declared } = plan;
    const digest = createHash("sha256")
      .update(
        JSON.stringify({
          ...declared,
          nodes: plan.nodes.map(({ connection, ...n }) => n),
          master: plan.master.fqdn,
        }),
      )
      .digest("hex");

    // Is the cluster ready for instances? Checked on the master after every cluster step, before
    // any instance step, and again whenever anything declared changes (same digest as the
    // report), so a new instance never lands on a cluster with a broken node.
    const ready = new command.remote.Command(
      `${name}-ready`,
      {
        connection: master,
        create: onMaster(renderReadinessScript(plan)),
        triggers: [digest],
      },
      { parent: this, dependsOn: [...clusterSteps, ...osReady], customTimeouts: { create: "50m", update: "50m" } },
    );

    // Instances: one chain per instance, after the whole cluster (all nodes, OS definitions, ISOs)
    // and its readiness check.
    const finalSteps: pulumi.Resource[] = [...clusterSteps, ...osReady, ready];
    for (const inst of plan.instances) {
      const base = `${name}-instance-${inst.key}`;
      const added = new command.remote.Command(
        base,
        {
          connection: master,
          create: onMaster(renderInstanceAddScript(plan, inst)),
          update: onMaster(renderInstanceUpdateScript(plan, inst)),
          delete: onMaster(renderInstanceRemoveScript(plan, inst)),
        },
        {
          parent: this,
          dependsOn: [...clusterSteps, ...osReady, ready],
          customTimeouts: { create: "70m", update: "20m", delete: "35m" },
        },
      );
      const nic = new command.remote.Command(
        `${base}-nic`,
        {
          connection: master,
          create: onMaster(renderInstanceNicScript(plan, inst)),
        },
        { parent: this, dependsOn: [added], customTimeouts: { create: "15m", update: "15m" } },
      );
      const run = new command.remote.Command(
        `${base}-run`,
        {
          connection: master,
          create: onMaster(renderInstanceRunStateScript(plan, inst)),
        },
        { parent: this, dependsOn: [nic], customTimeouts: { create: "20m", update: "20m" } },
      );
      const placement = new command.remote.Command(
        `${base}-placement`,
        {
          connection: master,
          create: onMaster(renderInstancePlacementScript(plan, inst)),
        },
        { parent: this, dependsOn: [run], customTimeouts: { create: "40m", update: "40m" } },
      );
      finalSteps.push(placement);
    }

    const report = new command.remote.Command(
      `${name}-report`,
      {
        connection: master,
        create: onMaster(renderReportScript(plan)),
        triggers: [digest],
      },
      { parent: this, dependsOn: finalSteps, customTimeouts: { create: "20m", update: "20m" } },
    );
    const parsed = report.stdout.apply(parseClusterReport);

    this.clusterName = pulumi.output(plan.clusterName);
    this.clusterAddress = pulumi.output(plan.clusterAddress);
    this.masterNode = pulumi.output(plan.master.fqdn);
    this.nodeNames = pulumi.output([plan.master.fqdn, ...plan.nodes.filter((n) => !n.isMaster).map((n) => n.fqdn)]);
    this.verifyPassed = parsed.apply((r) => r.verifyPassed);
    this.verifyOutput = parsed.apply((r) => r.verifyOutput);
    this.nodes = parsed.apply((r) => r.nodes);
    this.instances = parsed.apply((r) => r.instances);
    this.consolePorts = parsed.apply((r) =>
      Object.fromEntries(r.instances.filter((i) => i.consolePort !== undefined).map((i) => [i.name, i.consolePort!])),
    );
    this.registerOutputs({
      clusterName: this.clusterName,
      clusterAddress: this.clusterAddress,
      masterNode: this.masterNode,
      nodeNames: this.nodeNames,
      verifyPassed: this.verifyPassed,
      verifyOutput: this.verifyOutput,
      nodes: this.nodes,
      instances: this.instances,
      consolePorts: this.consolePorts,
    });
  }
}
