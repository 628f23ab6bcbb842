/**
 * Master-side scripts of a Ganeti cluster with DRBD (what its by-hand setup ran on the master): cluster init/destroy, KVM
 * parameters, node add/remove, OS definitions and ISO distribution. Each one checks Ganeti's
 * state first and acts only when it differs, so a second run prints no `changed:` line.
 */
import { renderRemoteScript, shellQuote } from "../scripts/remote-script";
import { GanetiClusterPlan, PlannedNode, usesLvm } from "./ganeti-plan";
import { hostsLine } from "./node-prepare-script";

const q = shellQuote;
const SSH = "ssh -n -oBatchMode=yes -oConnectTimeout=15 -oStrictHostKeyChecking=yes";

/** Flags of `gnt-cluster init` for this plan (without the cluster name). */
export function clusterInitFlags(plan: GanetiClusterPlan): string[] {
  const flags = [
    `--enabled-hypervisors=${plan.hypervisor}`,
    `--enabled-disk-templates=${plan.diskTemplates.join(",")}`,
  ];
  if (usesLvm(plan)) flags.push(`--vg-name=${plan.volumeGroup}`);
  if (plan.diskTemplates.includes("drbd")) flags.push(`--drbd-usermode-helper=${plan.drbdUsermodeHelper}`);
  if (plan.diskTemplates.includes("file")) flags.push(`--file-storage-dir=${plan.fileStorageDir}`);
  if (plan.diskTemplates.includes("sharedfile")) flags.push(`--shared-file-storage-dir=${plan.sharedFileStorageDir}`);
  // The cluster's instance policy must allow exactly the enabled templates: init derives it from
  // them, but a later modify does not (Ganeti 3.0.2 refuses to disable a template the policy still
  // allows, and a newly enabled one would be refused to instances), so the flag is always passed.
  flags.push(`--ipolicy-disk-templates=${plan.diskTemplates.join(",")}`);
  flags.push(`--master-netdev=${plan.masterNetdev}`, `--nic-parameters=mode=bridged,link=${plan.network.publicBridge}`);
  if (plan.usesReplicationAddresses) flags.push(`--secondary-ip=${plan.master.replicationAddress}`);
  // We manage SSH keys and /etc/hosts ourselves (prepare step): Ganeti must not rewrite them.
  flags.push("--no-ssh-init", "--no-etc-hosts");
  return flags;
}

/**
 * The init flags `gnt-cluster modify` can change on a running cluster: everything but the
 * master's replication address and the SSH/hosts handling, which only init takes.
 */
export function clusterModifyFlags(plan: GanetiClusterPlan): string[] {
  return clusterInitFlags(plan).filter((f) => !/^--(secondary-ip=|no-ssh-init$|no-etc-hosts$)/.test(f));
}

/** Where the master records the cluster settings it last applied (the state `gnt-cluster modify` reconciles). */
export const CLUSTER_SETTINGS_STAMP = "/var/lib/ganeti/blueprints-cluster-settings";
/** Where the master records the KVM parameters it last applied. */
export const KVM_PARAMETERS_STAMP = "/var/lib/ganeti/blueprints-kvm-parameters";

const MASTER_GUARD = (plan: GanetiClusterPlan) => [
  `assert_host_key ${q(plan.master.hostKey)}`,
  `cluster_name() { cat /var/lib/ganeti/ssconf_cluster_name 2>/dev/null || true; }`,
  `if [ -s /var/lib/ganeti/config.data ] && [ "$(cluster_name)" = ${q(plan.clusterName)} ]; then`,
  `  [ "$(cat /var/lib/ganeti/ssconf_master_node 2>/dev/null)" = ${q(plan.master.fqdn)} ] || die "the master of ${plan.clusterName} is $(cat /var/lib/ganeti/ssconf_master_node), not ${plan.master.fqdn}; set masterNode to it (after gnt-cluster master-failover)"`,
  `fi`,
];

export function renderClusterInitScript(plan: GanetiClusterPlan): string {
  const flags = clusterInitFlags(plan)
    .map((f) => `  ${f} \\`)
    .join("\n");
  const settings = clusterModifyFlags(plan).join(" ");
  const m = q(plan.master.fqdn);
  const body = [
    `assert_host_key ${q(plan.master.hostKey)}`,
    `cluster_name() { cat /var/lib/ganeti/ssconf_cluster_name 2>/dev/null || true; }`,
    `settings=${q(settings)}`,
    `# A member that is not a master candidate has the cluster's ssconf but no configuration: it must`,
    `# not be taken for a fresh machine (init would make a second cluster), nor can it become master.`,
    `if [ ! -s /var/lib/ganeti/config.data ] && [ "$(cluster_name)" = ${q(plan.clusterName)} ]; then`,
    `  die "${plan.master.fqdn} is a node of ${plan.clusterName} but not a master candidate (drained, offline or demoted), so it cannot become master: undrain it or run gnt-node modify --master-candidate=yes ${plan.master.fqdn} on the master, then pulumi up again"`,
    `fi`,
    `if [ -s /var/lib/ganeti/config.data ]; then`,
    `  [ "$(cluster_name)" = ${q(plan.clusterName)} ] || die "this node already belongs to cluster '$(cluster_name)'; remove it from that cluster (gnt-cluster destroy there) first"`,
    `  # masterNode names this node: take the master role over (runs on the new master, as Ganeti requires).`,
    `  current_master=$(cat /var/lib/ganeti/ssconf_master_node 2>/dev/null || true)`,
    `  if [ "$current_master" != ${m} ]; then`,
    `    # The settings stamps live on the master that wrote them: take them over, or the first modify here would pass every flag again.`,
    `    for stamp in ${CLUSTER_SETTINGS_STAMP} ${KVM_PARAMETERS_STAMP}; do`,
    `      if ${SSH} "root@$current_master" "cat $stamp" >"$stamp.new" 2>/dev/null; then mv -f "$stamp.new" "$stamp"; else rm -f "$stamp.new"; fi`,
    `    done`,
    `    timeout 600 gnt-cluster master-failover >&2 || die "gnt-cluster master-failover on ${plan.master.fqdn} failed (master: $current_master); if $current_master is dead, run 'gnt-cluster master-failover --no-voting' on ${plan.master.fqdn} by hand (read Ganeti's warning first), then pulumi up again"`,
    `    echo "changed: master role moved from $current_master to ${plan.master.fqdn}"`,
    `  fi`,
    `  # Settings declared after init (templates, VG, netdev, …): reconcile with gnt-cluster modify,`,
    `  # passing only the flags that differ from the last applied set. Ganeti acts on some flags even`,
    `  # when the value is unchanged: --master-netdev takes the cluster address down and up again.`,
    `  applied=$(cat ${CLUSTER_SETTINGS_STAMP} 2>/dev/null || true)`,
    `  if [ "$applied" != "$settings" ]; then`,
    `    read -ra declared_flags <<<"$settings"`,
    `    modify_flags=()`,
    `    for flag in "\${declared_flags[@]}"; do`,
    `      case " $applied " in *" $flag "*) continue ;; esac`,
    `      [ "$flag" = "--master-netdev=$(cat /var/lib/ganeti/ssconf_master_netdev 2>/dev/null || true)" ] || modify_flags+=("$flag")`,
    `    done`,
    `    if [ "\${#modify_flags[@]}" -gt 0 ]; then`,
    `      timeout 600 gnt-cluster modify "\${modify_flags[@]}" >&2`,
    `      echo "changed: cluster settings of ${plan.clusterName}: \${modify_flags[*]}"`,
    `    fi`,
    `    printf '%s\\n' "$settings" >${CLUSTER_SETTINGS_STAMP}`,
    `  fi`,
    `else`,
    `  timeout 900 gnt-cluster init \\`,
    flags,
    `  ${q(plan.clusterName)} >&2`,
    `  printf '%s\\n' "$settings" >${CLUSTER_SETTINGS_STAMP}`,
    `  echo "changed: initialised cluster ${plan.clusterName}"`,
    `fi`,
    `# The master daemon activates the cluster address asynchronously and, seen on Ganeti 3.0.2, not`,
    `# always: make sure it is up (gnt-cluster verify fails with ENODENET otherwise).`,
    `for _ in $(seq 1 10); do`,
    `  grep -qF ${q(` ${plan.clusterAddress}/`)} <<<"$(ip -o -4 address show dev ${q(plan.masterNetdev)})" && break`,
    `  sleep 1`,
    `done`,
    `if ! grep -qF ${q(` ${plan.clusterAddress}/`)} <<<"$(ip -o -4 address show dev ${q(plan.masterNetdev)})"; then`,
    `  timeout 120 gnt-cluster activate-master-ip >&2`,
    `  echo "changed: activated the master IP ${plan.clusterAddress} on ${plan.masterNetdev}"`,
    `fi`,
  ];
  return renderRemoteScript({
    description: `ganeti: initialise cluster ${plan.clusterName} on ${plan.master.fqdn}`,
    body: body.join("\n"),
  });
}

/** Delete step of the init command: runs after every node and instance is gone (they depend on it). */
export function renderClusterDestroyScript(plan: GanetiClusterPlan): string {
  const body = [
    `assert_host_key ${q(plan.master.hostKey)}`,
    `if [ ! -s /var/lib/ganeti/config.data ]; then log "no cluster on this node"; exit 0; fi`,
    `current=$(cat /var/lib/ganeti/ssconf_cluster_name 2>/dev/null || true)`,
    `[ "$current" = ${q(plan.clusterName)} ] || die "this node belongs to cluster '$current', not ${plan.clusterName}; refusing to destroy it"`,
    `timeout 600 gnt-cluster destroy --yes-do-it >&2`,
    `echo "changed: destroyed cluster ${plan.clusterName}"`,
  ];
  return renderRemoteScript({ description: `ganeti: destroy cluster ${plan.clusterName}`, body: body.join("\n") });
}

export function kvmParameterString(plan: GanetiClusterPlan): string {
  return Object.keys(plan.kvmParameters)
    .sort()
    .map((k) => `${k}=${plan.kvmParameters[k]}`)
    .join(",");
}

/** `gnt-cluster modify -H kvm:…`, re-applied only when the parameters differ from the last applied. */
export function renderKvmParametersScript(plan: GanetiClusterPlan): string {
  const params = kvmParameterString(plan);
  const body = [
    ...MASTER_GUARD(plan),
    `stamp=${KVM_PARAMETERS_STAMP}`,
    `if [ "$(cat "$stamp" 2>/dev/null)" != ${q(params)} ]; then`,
    `  timeout 300 gnt-cluster modify -H ${q(`kvm:${params}`)} >&2`,
    `  printf '%s\\n' ${q(params)} >"$stamp"`,
    `  echo "changed: kvm parameters ${params}"`,
    `fi`,
  ];
  return renderRemoteScript({ description: `ganeti: kvm parameters of ${plan.clusterName}`, body: body.join("\n") });
}

/**
 * `gnt-node add` for a node, new (`readd` false) or reinstalled (`readd` true). With node groups
 * declared a new node joins its group directly: Ganeti refuses an add without `--node-group` once
 * the cluster has more than one group (seen on 3.0.2), and refuses the flag with `--readd` (the
 * node keeps its group; the membership step moves it if it differs).
 */
export function nodeAddCommand(plan: GanetiClusterPlan, node: PlannedNode, readd: boolean): string {
  const group = node.group !== undefined && !readd ? ` --node-group=${q(node.group)}` : "";
  return `gnt-node add${readd ? " --readd" : ""} --no-ssh-key-check${plan.usesReplicationAddresses ? ` --secondary-ip=${node.replicationAddress}` : ""}${group} ${q(node.fqdn)}`;
}

/**
 * Brings one node to its declared state from the master: a member of the cluster (added, or
 * re-added with `--readd` when it was reinstalled), online or offline, drained or not.
 *
 * Ganeti's own SSH (verify, copyfile) pins the cluster's RSA host key under the cluster name, so —
 * as Ganeti's own node setup does — the master's RSA host key pair is installed on the node first
 * (over SSH checked against the node's pinned host key). The node's other host keys, which Pulumi
 * pins, stay as they are. A node declared offline is dead or down: nothing connects to it, it is
 * only marked offline (the first step of a dead-primary failover).
 */
export function renderNodeAddScript(plan: GanetiClusterPlan, node: PlannedNode): string {
  const n = q(node.fqdn);
  const flag = (name: "offline" | "drained") => `$(gnt-node list --no-headers -o ${name} ${n})`;
  const body = [
    ...MASTER_GUARD(plan),
    // The node's pinned key is part of this script, so a reinstalled node (a new key) re-runs it.
    `# ${node.fqdn} is pinned to ${node.hostKey.split(/\s+/).slice(0, 2).join(" ")}`,
    `[ -s /var/lib/ganeti/config.data ] || die "cluster ${plan.clusterName} is not initialised on ${plan.master.fqdn}"`,
    `is_member() { grep -qxF ${n} <<<"$(gnt-node list --no-headers -o name)"; }`,
  ];
  if (node.offline) {
    body.push(
      `is_member || die "${node.fqdn} is declared offline but is not a node of ${plan.clusterName}; set offline: false to add it, or remove it from nodes"`,
      `if [ "${flag("offline")}" != Y ]; then`,
      `  timeout 600 gnt-node modify -f --offline=yes ${n} >&2`,
      `  echo "changed: marked ${node.fqdn} offline"`,
      `fi`,
    );
    return renderRemoteScript({
      description: `ganeti: node ${node.fqdn} of ${plan.clusterName} (offline)`,
      body: body.join("\n"),
    });
  }
  body.push(
    `# push_host_key_file PATH MODE: copies the master's file to the node unless it is identical there.`,
    `push_host_key_file() {`,
    `  local path=$1 mode=$2 local_sum remote_sum`,
    `  local_sum=$(sha256sum <"$path" | cut -d' ' -f1)`,
    `  remote_sum=$(${SSH} root@${node.fqdn} "sha256sum <$path 2>/dev/null" | cut -d' ' -f1 || true)`,
    `  [ "$local_sum" = "$remote_sum" ] && return 0`,
    `  ssh -oBatchMode=yes -oConnectTimeout=15 -oStrictHostKeyChecking=yes root@${node.fqdn} "umask 077; cat >$path.new && chmod $mode $path.new && mv -f $path.new $path" <"$path"`,
    `  rsa_changed=yes`,
    `}`,
    `rsa_changed=no`,
    `[ -f /etc/ssh/ssh_host_rsa_key ] || die "${plan.master.fqdn} has no RSA host key (/etc/ssh/ssh_host_rsa_key), which Ganeti uses as the cluster host key"`,
    `push_host_key_file /etc/ssh/ssh_host_rsa_key 600`,
    `push_host_key_file /etc/ssh/ssh_host_rsa_key.pub 644`,
    `if [ "$rsa_changed" = yes ]; then`,
    `  ${SSH} root@${node.fqdn} 'if [ -d /run/systemd/system ]; then systemctl reload ssh; else kill -HUP "$(cat /run/sshd.pid)"; fi'`,
    `  echo "changed: installed the cluster RSA host key on ${node.fqdn}"`,
    `fi`,
    `# Ganeti's view: cluster host key alias, strict checking; fail here with a clear message, not deep in gnt-node.`,
    `# (Retried for a few seconds: sshd re-executes after the reload above.)`,
    `ganeti_ssh_ok=no`,
    `for _ in $(seq 1 30); do`,
    `  if ssh -n -oBatchMode=yes -oConnectTimeout=15 -oHostKeyAlias=${plan.clusterName} -oGlobalKnownHostsFile=/var/lib/ganeti/known_hosts -oUserKnownHostsFile=/dev/null -oStrictHostKeyChecking=yes root@${node.fqdn} true 2>/dev/null; then ganeti_ssh_ok=yes; break; fi`,
    `  sleep 0.5`,
    `done`,
    `[ "$ganeti_ssh_ok" = yes ] || die "root on ${plan.master.fqdn} cannot ssh to ${node.fqdn} the way Ganeti does (cluster key alias ${plan.clusterName}, /var/lib/ganeti/known_hosts)"`,
    `if ! is_member; then`,
    `  timeout 900 ${nodeAddCommand(plan, node, false)} >&2`,
    `  echo "changed: added node ${node.fqdn}"`,
    `else`,
    `  # A member whose own Ganeti state is gone (the machine was reinstalled) is re-added, not skipped.`,
    `  node_cluster=$(${SSH} root@${node.fqdn} "cat /var/lib/ganeti/ssconf_cluster_name 2>/dev/null" || true)`,
    `  if [ "$node_cluster" != ${q(plan.clusterName)} ]; then`,
    `    timeout 900 ${nodeAddCommand(plan, node, true)} >&2`,
    `    echo "changed: re-added reinstalled node ${node.fqdn} (--readd)"`,
    `  elif [ "${flag("offline")}" = Y ]; then`,
    `    timeout 600 gnt-node modify -f --offline=no ${n} >&2`,
    `    echo "changed: marked ${node.fqdn} online"`,
    `  else`,
    `    log "${node.fqdn} is already a node of ${plan.clusterName}"`,
    `  fi`,
    `fi`,
    `if [ "${flag("drained")}" != ${node.drained ? "Y" : "N"} ]; then`,
    `  timeout 600 gnt-node modify -f --drained=${node.drained ? "yes" : "no"} ${n} >&2`,
    `  echo "changed: ${node.drained ? "drained" : "undrained"} ${node.fqdn}"`,
    `fi`,
  );
  return renderRemoteScript({
    description: `ganeti: add node ${node.fqdn} to ${plan.clusterName}`,
    body: body.join("\n"),
  });
}

/**
 * Delete step of a node add (runs after the instances are removed; they depend on it): moves
 * every instance off the node first — primaries migrate live (`gnt-node migrate`, or
 * `gnt-node failover --ignore-consistency` when the node is offline), secondaries move with
 * `gnt-node evacuate --secondary-only` (the cluster's iallocator picks the new node) — then
 * `gnt-node remove`. Instances whose disks cannot move (plain, file) stop it with a message.
 */
export function renderNodeRemoveScript(plan: GanetiClusterPlan, node: PlannedNode): string {
  const n = q(node.fqdn);
  const count = (field: string) => `$(gnt-node list --no-headers -o ${field} ${n})`;
  const body = [
    `assert_host_key ${q(plan.master.hostKey)}`,
    `if [ ! -s /var/lib/ganeti/config.data ] || ! grep -qxF ${n} <<<"$(gnt-node list --no-headers -o name 2>/dev/null)"; then`,
    `  log "${node.fqdn} is not a node of ${plan.clusterName}"`,
    `  exit 0`,
    `fi`,
    `master=$(cat /var/lib/ganeti/ssconf_master_node 2>/dev/null || true)`,
    `if [ "$master" = ${n} ]; then log "${node.fqdn} is the master now (masterNode changed); it stays in the cluster"; exit 0; fi`,
    `[ "$master" = "$(hostname)" ] || die "$(hostname) is no longer the master of ${plan.clusterName} ($master is): change masterNode and remove nodes in separate pulumi up runs, or run gnt-node evacuate/remove for ${node.fqdn} on $master by hand"`,
    `if [ "${count("pinst_cnt")}" -gt 0 ]; then`,
    `  if [ "${count("offline")}" = Y ]; then`,
    `    timeout 3600 gnt-node failover -f --ignore-consistency ${n} >&2 || die "could not fail the instances of offline ${node.fqdn} over (gnt-node failover); move them by hand, then pulumi up again"`,
    `  else`,
    `    timeout 3600 gnt-node migrate -f ${n} >&2 || die "could not migrate the primary instances off ${node.fqdn} (gnt-node migrate); plain/file instances cannot move: remove them or move them by hand (gnt-instance move), then pulumi up again"`,
    `  fi`,
    `  echo "changed: moved the primary instances off ${node.fqdn}"`,
    `fi`,
    `if [ "${count("sinst_cnt")}" -gt 0 ]; then`,
    `  timeout 3600 gnt-node evacuate -f --secondary-only ${n} >&2 || die "could not move the DRBD secondaries off ${node.fqdn} (gnt-node evacuate --secondary-only); give the cluster an iallocator or run gnt-instance replace-disks -n by hand"`,
    `  echo "changed: evacuated the secondary instances of ${node.fqdn}"`,
    `fi`,
    `if [ "${count("pinst_cnt")}" -ne 0 ] || [ "${count("sinst_cnt")}" -ne 0 ]; then die "${node.fqdn} still holds instances after the evacuation; refusing to remove it"; fi`,
    `timeout 600 gnt-node remove ${n} >&2`,
    `echo "changed: removed node ${node.fqdn}"`,
    `# The remaining nodes kept its /etc/hosts line and its name in root's SSH config while it was a member`,
    `# (see the prepare step): drop both there now, so their next prepare run finds the blocks as declared.`,
    `# Best effort: a node that cannot be reached gets them dropped by its own prepare step at the next pulumi up.`,
    `# shellcheck disable=SC2016 # expanded by the shell that runs it, here or on the member`,
    `drop_node_names=${q(
      [
        `f=/etc/hosts; if grep -qxF ${q(hostsLine(node))} $f; then grep -vxF ${q(hostsLine(node))} $f >$f.new; cat $f.new >$f; rm -f $f.new; fi`,
        `c=/root/.ssh/config; if [ -f $c ]; then sed -i ${q(`/^# BEGIN ganeti-cluster$/,/^# END ganeti-cluster$/s/^\\(Host .*\\) ${node.fqdn.replace(/\./g, "\\.")}\\( \\|$\\)/\\1\\2/`)} $c; fi`,
      ].join("; "),
    )}`,
    `while IFS='|' read -r member member_offline; do`,
    `  if [ -z "$member" ] || [ "$member_offline" != N ]; then continue; fi`,
    `  if [ "$member" = "$(hostname)" ]; then bash -c "$drop_node_names"`,
    `  else ${SSH} "root@$member" "$drop_node_names" || log "could not drop ${node.fqdn} from /etc/hosts and root's SSH config on $member; its next prepare run does"; fi`,
    `done <<<"$(gnt-node list --no-headers --separator='|' -o name,offline)"`,
  ];
  return renderRemoteScript({
    description: `ganeti: evacuate and remove node ${node.fqdn} from ${plan.clusterName}`,
    body: body.join("\n"),
  });
}

/** The image+cd variant of ganeti-instance-image: instances install from an ISO as from a CD. */
export const IMAGE_CD_VARIANT = `CDINSTALL="yes"\nNOMOUNT="yes"`;

/** Per-node OS definition check and variant files; runs on each node in parallel. */
export function renderOsDefinitionsScript(plan: GanetiClusterPlan, node: PlannedNode): string {
  const os = [...new Set(plan.instances.map((i) => i.os))].sort();
  const body: string[] = [`assert_host_key ${q(node.hostKey)}`];
  if (os.includes("image+cd")) {
    body.push(
      `# ganeti-instance-image is not packaged in Debian; it must be installed (osuosl/ganeti-instance-image).`,
      `ensure_file /etc/ganeti/instance-image/variants/cd.conf 0644 root:root <<'EOF'`,
      IMAGE_CD_VARIANT,
      `EOF`,
      `[ -f /etc/ganeti/instance-image/variants.list ] || printf 'default\\n' | ensure_file /etc/ganeti/instance-image/variants.list 0644 root:root`,
      `ensure_line /etc/ganeti/instance-image/variants.list cd`,
    );
  }
  for (const name of os) {
    const [provider, variant] = name.split("+");
    body.push(
      `os_dir=""`,
      `for dir in /srv/ganeti/os /usr/share/ganeti/os /usr/local/lib/ganeti/os; do if [ -d "$dir/${provider}" ]; then os_dir="$dir/${provider}"; break; fi; done`,
      `[ -n "$os_dir" ] || die "OS definition ${provider} is not installed on ${node.fqdn}${provider === "image" ? " (build ganeti-instance-image from osuosl/ganeti-instance-image)" : ` (install ganeti-instance-${provider} or ganeti-os-${provider})`}"`,
    );
    if (variant) {
      body.push(
        `if [ -f "$os_dir/variants.list" ] && ! grep -qxF ${q(variant)} "$os_dir/variants.list"; then die "OS ${provider} on ${node.fqdn} has no variant ${variant} (see $os_dir/variants.list)"; fi`,
      );
    }
  }
  body.push(`log "OS definitions on ${node.fqdn}: ${os.join(" ") || "none requested"}"`);
  return renderRemoteScript({ description: `ganeti: OS definitions on ${node.fqdn}`, body: body.join("\n") });
}

/** Copies ISO images from the master to every node whose copy differs (instances install from CD on any node). */
export function renderIsoDistributionScript(plan: GanetiClusterPlan): string {
  const body = [
    ...MASTER_GUARD(plan),
    `isos=(${plan.isoImages.map(q).join(" ")})`,
    `for iso in "\${isos[@]}"; do`,
    `  [ -f "$iso" ] || die "ISO $iso is not on the master ${plan.master.fqdn}; upload it there first"`,
    `  sum=$(sha256sum <"$iso" | cut -d' ' -f1)`,
    `  for node in $(gnt-node list --no-headers -o name); do`,
    `    [ "$node" = ${q(plan.master.fqdn)} ] && continue`,
    `    remote=$(${SSH} "root@$node" "sha256sum <'$iso' 2>/dev/null" | cut -d' ' -f1 || true)`,
    `    if [ "$remote" != "$sum" ]; then`,
    `      ${SSH} "root@$node" "mkdir -p '$(dirname "$iso")'"`,
    `      timeout 3600 gnt-cluster copyfile -n "$node" "$iso" >&2`,
    `      echo "changed: copied $iso to $node"`,
    `    fi`,
    `  done`,
    `done`,
  ];
  return renderRemoteScript({
    description: `ganeti: distribute ISO images in ${plan.clusterName}`,
    body: body.join("\n"),
  });
}

/**
 * The readiness check on the master, between the cluster steps and the first instance step
 * (a WaitCondition for the cluster): every node declared online is a member and online, and
 * `gnt-cluster verify --error-codes` reports no error about the cluster or a node. Verify runs
 * up to `verifyAttempts` times, as a node just added may still be settling. On failure it names
 * each node or cluster that is not ready, the error code and Ganeti's message, and the fix.
 * Read-only (no `changed:` line), so it can run any number of times.
 */
export function renderReadinessScript(plan: GanetiClusterPlan): string {
  const r = plan.readiness;
  const ignore = r.ignoreErrors.map((code) => ` --ignore-errors=${code}`).join("");
  const fixes = Object.entries(r.fixes)
    .map(([code, fix]) => `    ${code}) printf '%s' ${q(fix)} ;;`)
    .join("\n");
  const where = `cluster ${plan.clusterName}`;
  const body = [
    `assert_host_key ${q(plan.master.hostKey)}`,
    `# Membership: every node declared online is in the cluster and not offline in Ganeti.`,
    `node_list=$(timeout 300 gnt-node list --no-headers --separator='|' -o name,offline 2>&1) || die "gnt-node list failed on ${plan.master.fqdn}: $node_list; check that Ganeti runs there (systemctl status ganeti), then pulumi up again"`,
    `not_ready=()`,
    `for node in ${r.onlineNodes.map(q).join(" ")}; do`,
    `  state=$(awk -F'|' -v n="$node" '$1 == n { print $2 }' <<<"$node_list")`,
    `  case "$state" in`,
    `    "") not_ready+=("$node is not a member of ${plan.clusterName}: its node step did not add it; read that step's output and run pulumi up again") ;;`,
    `    Y | True | yes) not_ready+=("$node is offline in Ganeti but declared online: once it is back, run gnt-node modify --offline=no $node (or declare it offline: true)") ;;`,
    `  esac`,
    `done`,
    `[ "\${#not_ready[@]}" -eq 0 ] || die "${where} is not ready for instances: $(printf '%s; ' "\${not_ready[@]}")"`,
    `# The fix for each verify error code that can block instances here.`,
    `fix_for() {`,
    `  case "$1" in`,
    fixes,
    `    *) printf '%s' 'read the message (gnt-cluster verify --error-codes on the master lists every error), fix it, or list the code in verifyIgnoreErrors' ;;`,
    `  esac`,
    `}`,
    `attempt=1`,
    `while :; do`,
    `  verify_rc=0`,
    `  verify_out=$(timeout 900 gnt-cluster verify --error-codes${ignore} 2>&1) || verify_rc=$?`,
    `  # Lines read "  - ERROR:ECODE:type:item:message". Errors about instances are for the instances'`,
    `  # own steps and the report: an instance that is down must not block the step that starts it.`,
    `  blocking=$(grep -oE 'ERROR:E[A-Z0-9]+:(cluster|group|node):.*' <<<"$verify_out" || true)`,
    r.offlineNodes.length > 0
      ? `  blocking=$(grep -vF ${r.offlineNodes.map((f) => `-e ${q(f)}`).join(" ")} <<<"$blocking" || true)`
      : `  # No node is declared offline: every node error blocks.`,
    `  error_lines=$(grep -cE 'ERROR:E[A-Z0-9]+:' <<<"$verify_out" || true)`,
    `  if [ -z "$blocking" ] && { [ "$verify_rc" -eq 0 ] || [ "$error_lines" -gt 0 ]; }; then break; fi`,
    `  [ "$attempt" -lt ${r.verifyAttempts} ] || break`,
    `  log "${where} is not ready yet (gnt-cluster verify, attempt $attempt of ${r.verifyAttempts}); looking again in ${r.retryIntervalSeconds} s"`,
    `  sleep ${r.retryIntervalSeconds}`,
    `  attempt=$((attempt + 1))`,
    `done`,
    `if [ -n "$blocking" ]; then`,
    `  problems=""`,
    `  while IFS=: read -r _ code _ item message; do`,
    `    problems+="  $item: $code ($message); fix: $(fix_for "$code")"$'\\n'`,
    `  done <<<"$blocking"`,
    `  die "${where} is not ready for instances; gnt-cluster verify reports:"$'\\n'"$problems"`,
    `fi`,
    `if [ "$verify_rc" -ne 0 ] && [ "$error_lines" -eq 0 ]; then`,
    `  die "gnt-cluster verify failed on ${plan.master.fqdn} (exit $verify_rc) without an error line: $(tail -n 5 <<<"$verify_out"); check that the master daemon runs (systemctl status ganeti), then pulumi up again"`,
    `fi`,
    `log "${where} is ready for instances: ${r.onlineNodes.join(", ")} online; gnt-cluster verify reports no error about the cluster or a node"`,
  ];
  return renderRemoteScript({
    description: `ganeti: is ${plan.clusterName} ready for instances`,
    body: body.join("\n"),
  });
}
