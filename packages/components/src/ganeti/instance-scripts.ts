/**
 * Scripts for one Ganeti instance, each owning one aspect so that a change of that aspect re-runs
 * only its script (see README, "How changes map to Ganeti commands"):
 *  - add/remove: create-time attributes (template, disk, memory, OS, initial nodes);
 *  - NIC link: `gnt-instance modify --net 0:modify,link=…` (hotplug when the instance runs on kvm;
 *    Ganeti 3.1 hotplugs by default and no longer knows the --hotplug flags);
 *  - run state: start (optionally from a CD image) or shut down;
 *  - placement: the primary node — live `migrate`, or `failover` when asked or when it is down.
 * All run on the master and read Ganeti's state before acting.
 */
import { renderRemoteScript, shellQuote } from "../scripts/remote-script";
import type { GanetiVersion } from "./ganeti-args";
import { GanetiClusterPlan, PlannedInstance } from "./ganeti-plan";
import { instanceGroupCheck } from "./node-group-scripts";

const q = shellQuote;
/** Templates whose disks every node sees (Ganeti: externally mirrored): moves need `-n target`. */
const SHARED_TEMPLATES = ["sharedfile"];
/** Templates whose disks cannot move at all. */
const LOCAL_TEMPLATES = ["plain", "file"];

function guard(plan: GanetiClusterPlan, inst: PlannedInstance): string[] {
  return [
    `assert_host_key ${q(plan.master.hostKey)}`,
    `[ "$(cat /var/lib/ganeti/ssconf_master_node 2>/dev/null)" = ${q(plan.master.fqdn)} ] || die "${plan.master.fqdn} is not the master of ${plan.clusterName}"`,
    `field() { gnt-instance list --no-headers --separator='|' -o "$1" ${q(inst.name)}; }`,
    `grep -qxF ${q(inst.name)} <<<"$(gnt-instance list --no-headers -o name)" || die "instance ${inst.name} does not exist"`,
  ];
}

/** `gnt-instance add` flags for the instance (without its name). */
export function instanceAddFlags(inst: PlannedInstance, version: GanetiVersion = "3.0"): string[] {
  const nodes = inst.diskTemplate === "drbd" ? `${inst.primaryNode}:${inst.secondaryNode}` : inst.primaryNode;
  return [
    `-t ${inst.diskTemplate}`,
    `-o ${inst.os}`,
    `--disk 0:size=${inst.diskSizeMiB}M`,
    `-B minmem=${inst.minMemoryMiB}M,maxmem=${inst.maxMemoryMiB}M`,
    `--net 0:link=${inst.nicLink}`,
    `-n ${nodes}`,
    // Started by the run-state step (possibly from a CD), not here.
    "--no-start",
    // Ganeti 3.0 would otherwise resolve the name in DNS and ping its address (3.1 dropped the flags).
    ...(version === "3.0" ? ["--no-name-check", "--no-ip-check"] : []),
  ];
}

/**
 * The hotplug part of `gnt-instance modify --net` for a Ganeti release: 3.0 needs `--hotplug` to
 * change a running kvm instance's NIC now (and `--hotplug-if-possible` otherwise, or it prompts);
 * 3.1 hotplugs whenever it can and refuses both flags, so none is passed.
 */
export function nicHotplugLine(plan: GanetiClusterPlan): string {
  if (plan.ganetiVersion !== "3.0")
    return `  hotplug=() # Ganeti ${plan.ganetiVersion} hotplugs by default and refuses the old hotplug flags`;
  return plan.hypervisor === "kvm"
    ? `  if [ "$(field status)" = running ]; then hotplug=(--hotplug); else hotplug=(--hotplug-if-possible); fi`
    : `  hotplug=(--hotplug-if-possible) # ${plan.hypervisor} cannot hotplug; the link applies at the next start`;
}

export function renderInstanceAddScript(plan: GanetiClusterPlan, inst: PlannedInstance): string {
  const name = q(inst.name);
  const expected = `${inst.diskTemplate}|${inst.os}`;
  const body = [
    `assert_host_key ${q(plan.master.hostKey)}`,
    `if grep -qxF ${name} <<<"$(gnt-instance list --no-headers -o name)"; then`,
    `  actual=$(gnt-instance list --no-headers --separator='|' -o disk_template,os ${name})`,
    `  [ "$actual" = ${q(expected)} ] || die "instance ${inst.name} exists with template|os $actual, declared ${expected}; Ganeti cannot change these in place: rename the instance to create a new one"`,
    `  log "instance ${inst.name} exists"`,
    `else`,
    `  timeout 3600 gnt-instance add ${instanceAddFlags(inst, plan.ganetiVersion).join(" ")} ${name} >&2`,
    `  echo "changed: created instance ${inst.name}"`,
    `fi`,
  ];
  return renderRemoteScript({ description: `ganeti: instance ${inst.name}`, body: body.join("\n") });
}

/** Delete step: the instance (and its disks) removed; runs before its nodes are removed. */
export function renderInstanceRemoveScript(plan: GanetiClusterPlan, inst: PlannedInstance): string {
  const name = q(inst.name);
  const body = [
    `assert_host_key ${q(plan.master.hostKey)}`,
    `if [ -s /var/lib/ganeti/config.data ] && grep -qxF ${name} <<<"$(gnt-instance list --no-headers -o name 2>/dev/null)"; then`,
    `  timeout 1800 gnt-instance remove -f --shutdown-timeout=120 ${name} >&2`,
    `  echo "changed: removed instance ${inst.name}"`,
    `else`,
    `  log "instance ${inst.name} does not exist"`,
    `fi`,
  ];
  return renderRemoteScript({ description: `ganeti: remove instance ${inst.name}`, body: body.join("\n") });
}

export function renderInstanceNicScript(plan: GanetiClusterPlan, inst: PlannedInstance): string {
  const name = q(inst.name);
  const body = [
    ...guard(plan, inst),
    `if [ "$(field nic.link/0)" != ${q(inst.nicLink)} ]; then`,
    nicHotplugLine(plan),
    `  timeout 600 gnt-instance modify -f --net ${q(`0:modify,link=${inst.nicLink}`)} \${hotplug[@]+"\${hotplug[@]}"} ${name} >&2`,
    `  echo "changed: NIC 0 of ${inst.name} now on ${inst.nicLink}"`,
    `fi`,
  ];
  return renderRemoteScript({ description: `ganeti: NIC link of ${inst.name}`, body: body.join("\n") });
}

export function renderInstanceRunStateScript(plan: GanetiClusterPlan, inst: PlannedInstance): string {
  const name = q(inst.name);
  const body = [...guard(plan, inst)];
  if (inst.running) {
    const cd = inst.startWithCdImage ? ` -H ${q(`boot_order=cdrom,cdrom_image_path=${inst.startWithCdImage}`)}` : "";
    body.push(
      `if [ "$(field status)" != running ]; then`,
      `  # A primary marked offline (dead) cannot start anything: the placement step fails the`,
      `  # instance over to its declared primary, which starts it there.`,
      `  current=$(field pnode)`,
      `  if [ "$(gnt-node list --no-headers -o offline "$current")" = Y ]; then`,
      `    log "${inst.name} is on $current, which is offline: left to the placement step (its failover starts it on the declared primary)"`,
      `  else`,
      `    timeout 900 gnt-instance start${cd} ${name} >&2`,
      `    echo "changed: started ${inst.name}${inst.startWithCdImage ? ` from ${inst.startWithCdImage}` : ""}"`,
      `  fi`,
      `fi`,
    );
  } else {
    body.push(
      `if [ "$(field status)" = running ]; then`,
      `  timeout 900 gnt-instance shutdown --timeout=120 ${name} >&2`,
      `  echo "changed: shut down ${inst.name}"`,
      `fi`,
    );
  }
  return renderRemoteScript({ description: `ganeti: run state of ${inst.name}`, body: body.join("\n") });
}

/**
 * Moves the instance to its declared primary node. drbd: only to the current secondary (Ganeti
 * swaps the roles); sharedfile: to any node (`-n`). Running instances migrate live unless
 * `failover` is set; a stopped instance fails over (nothing to migrate).
 */
export function renderInstancePlacementScript(plan: GanetiClusterPlan, inst: PlannedInstance): string {
  const name = q(inst.name);
  const target = q(inst.primaryNode);
  const shared = SHARED_TEMPLATES.includes(inst.diskTemplate);
  const targetFlag = shared ? ` -n ${target}` : "";
  // Never --ignore-consistency: with it gnt-instance failover asks on a terminal whether the source
  // node is offline, and without one takes "no" and exits 1 with no message (Ganeti 3.0, cli.AskUser).
  // Ganeti needs no flag for an offline primary: it ignores that node's disks and failed shutdown.
  const failoverFlags = `-f${targetFlag}`;
  const body = [...guard(plan, inst), `current=$(field pnode)`, `if [ "$current" != ${target} ]; then`];
  if (LOCAL_TEMPLATES.includes(inst.diskTemplate)) {
    body.push(
      `  die "instance ${inst.name} uses the ${inst.diskTemplate} template, whose disks cannot move: it stays on $current (declared ${inst.primaryNode}); use gnt-instance move by hand or declare primaryNode $current"`,
    );
  } else {
    if (inst.diskTemplate === "drbd") {
      body.push(
        `  [ "$(field snodes)" = ${target} ] || die "${inst.primaryNode} is not the secondary of ${inst.name} (secondary: $(field snodes)); drbd instances move only to their secondary: change the secondary first (gnt-instance replace-disks -n)"`,
      );
    }
    if (inst.failover) {
      if (inst.ignoreConsistency)
        body.push(
          `  [ "$(gnt-node list --no-headers -o offline "$current")" = Y ] || die "${inst.name} is to fail over ignoring consistency, but its primary $current is not offline in Ganeti: declare $current offline: true (a dead node), or drop ignoreConsistency for a planned failover"`,
        );
      body.push(
        `  timeout 1800 gnt-instance failover ${failoverFlags} ${name} >&2`,
        `  echo "changed: failed ${inst.name} over from $current to ${inst.primaryNode}"`,
      );
    } else {
      body.push(
        `  if [ "$(field status)" = running ]; then`,
        `    timeout 1800 gnt-instance migrate -f${targetFlag} ${name} >&2`,
        `    echo "changed: migrated ${inst.name} from $current to ${inst.primaryNode}"`,
        `  else`,
        `    timeout 1800 gnt-instance failover -f${targetFlag} ${name} >&2`,
        `    echo "changed: moved stopped ${inst.name} from $current to ${inst.primaryNode} (failover)"`,
        `  fi`,
      );
    }
    body.push(`  [ "$(field pnode)" = ${target} ] || die "${inst.name} is still on $(field pnode) after the move"`);
  }
  body.push(`fi`);
  if (inst.diskTemplate === "drbd") {
    body.push(
      `[ "$(field snodes)" = ${q(inst.secondaryNode ?? "")} ] || die "the secondary of ${inst.name} is $(field snodes), declared ${inst.secondaryNode}; change it with gnt-instance replace-disks -n or declare it"`,
    );
  }
  // Only with a declared group, so the script of an instance without one is as it was.
  if (inst.group !== undefined) body.push(instanceGroupCheck(inst.name, inst.group));
  return renderRemoteScript({
    description: `ganeti: placement of ${inst.name} (primary ${inst.primaryNode})`,
    body: body.join("\n"),
  });
}

/**
 * Update step of the instance command (Pulumi runs it when the instance's create-time inputs
 * change after creation): applies memory changes with `gnt-instance modify -B` (effective at the
 * next start), refuses template/OS changes, and ignores the initial nodes and NIC link, which the
 * placement and NIC steps own.
 */
export function renderInstanceUpdateScript(plan: GanetiClusterPlan, inst: PlannedInstance): string {
  const name = q(inst.name);
  const expected = `${inst.diskTemplate}|${inst.os}`;
  const memory = `${inst.minMemoryMiB}|${inst.maxMemoryMiB}`;
  const body = [
    ...guard(plan, inst),
    `actual=$(field disk_template,os)`,
    `[ "$actual" = ${q(expected)} ] || die "instance ${inst.name} has template|os $actual, declared ${expected}; Ganeti cannot change these in place: rename the instance to create a new one"`,
    `if [ "$(field be/minmem,be/maxmem)" != ${q(memory)} ]; then`,
    `  timeout 600 gnt-instance modify -B ${q(`minmem=${inst.minMemoryMiB}M,maxmem=${inst.maxMemoryMiB}M`)} ${name} >&2`,
    `  echo "changed: memory of ${inst.name} is now ${inst.minMemoryMiB}-${inst.maxMemoryMiB} MiB (from the next start)"`,
    `fi`,
    `disk_mib=$(field disk.size/0)`,
    `[ "$disk_mib" -ge ${inst.diskSizeMiB} ] || log "disk 0 of ${inst.name} is $disk_mib MiB, declared ${inst.diskSizeMiB} MiB; grow it with gnt-instance grow-disk (not automated: it cannot be undone)"`,
  ];
  return renderRemoteScript({ description: `ganeti: update instance ${inst.name}`, body: body.join("\n") });
}
