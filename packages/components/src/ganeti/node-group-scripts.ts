/**
 * Node groups as state, on the master: one step per declared group (`gnt-group add`, then
 * `gnt-group modify` when its settings differ; delete = `gnt-group remove`, only when empty) and
 * one membership step that puts every node in its declared group (`gnt-group assign-nodes`).
 * Each reads Ganeti's state first and prints `changed:` only when it changed something.
 * Ganeti 3.0 and 3.1 have the same `gnt-group` command line (man/gnt-group.rst is unchanged
 * between v3.0.2 and v3.1.1), so nothing here depends on `ganetiVersion`.
 */
import { renderRemoteScript, shellQuote } from "../scripts/remote-script";
import { GANETI_INITIAL_GROUP, GanetiClusterPlan, PlannedNodeGroup } from "./ganeti-plan";

const q = shellQuote;

function masterGuard(plan: GanetiClusterPlan): string[] {
  return [
    `assert_host_key ${q(plan.master.hostKey)}`,
    `[ -s /var/lib/ganeti/config.data ] || die "cluster ${plan.clusterName} is not initialised on ${plan.master.fqdn}"`,
    `[ "$(cat /var/lib/ganeti/ssconf_master_node 2>/dev/null)" = ${q(plan.master.fqdn)} ] || die "${plan.master.fqdn} is not the master of ${plan.clusterName} ($(cat /var/lib/ganeti/ssconf_master_node 2>/dev/null) is); set masterNode to it"`,
    `group_exists() { grep -qxF "$1" <<<"$(gnt-group list --no-headers -o name)"; }`,
  ];
}

/**
 * The disk templates a group's own instance policy allows, comma-separated, or "" when the group
 * has none of its own (the cluster's applies). `custom_ipolicy` prints as a Python dict
 * (`{'disk-templates': ['sharedfile']}`), which python3 — Ganeti's own runtime — reads safely.
 */
const CUSTOM_DISK_TEMPLATES = [
  `custom_disk_templates() {`,
  `  gnt-group list --no-headers -o custom_ipolicy "$1" | python3 -c 'import ast, sys`,
  `text = sys.stdin.read().strip()`,
  `policy = ast.literal_eval(text) if text else {}`,
  `print(",".join(policy.get("disk-templates", [])))'`,
  `}`,
];

/** `gnt-group add`/`modify` flags for the group's settings. */
export function nodeGroupFlags(group: PlannedNodeGroup): string[] {
  return [
    `--alloc-policy=${group.allocPolicy}`,
    ...(group.diskTemplates ? [`--ipolicy-disk-templates=${group.diskTemplates.join(",")}`] : []),
  ];
}

/** Creates the group when it is missing, else applies its settings where they differ. */
export function renderNodeGroupScript(plan: GanetiClusterPlan, group: PlannedNodeGroup): string {
  const g = q(group.name);
  const templates = group.diskTemplates?.join(",") ?? "";
  const body = [
    ...masterGuard(plan),
    ...CUSTOM_DISK_TEMPLATES,
    `if ! group_exists ${g}; then`,
    `  timeout 300 gnt-group add ${nodeGroupFlags(group).join(" ")} ${g} >&2`,
    `  echo "changed: added node group ${group.name} (${nodeGroupFlags(group).join(" ")})"`,
    `else`,
    `  policy=$(gnt-group list --no-headers -o alloc_policy ${g})`,
    `  if [ "$policy" != ${q(group.allocPolicy)} ]; then`,
    `    timeout 300 gnt-group modify --alloc-policy=${group.allocPolicy} ${g} >&2`,
    `    echo "changed: node group ${group.name} allocation policy $policy -> ${group.allocPolicy}"`,
    `  fi`,
    `  templates=$(custom_disk_templates ${g})`,
    `  if [ "$templates" != ${q(templates)} ]; then`,
    group.diskTemplates
      ? `    timeout 300 gnt-group modify --ipolicy-disk-templates=${templates} ${g} >&2`
      : `    timeout 300 gnt-group modify --ipolicy-disk-templates=default ${g} >&2 # back to the cluster's policy`,
    `    echo "changed: node group ${group.name} disk templates \${templates:-cluster-default} -> ${templates || "cluster-default"}"`,
    `  fi`,
    `fi`,
  ];
  return renderRemoteScript({
    description: `ganeti: node group ${group.name} of ${plan.clusterName}`,
    body: body.join("\n"),
  });
}

/**
 * Delete step of a group no longer declared (Pulumi runs it after the membership step moved the
 * declared nodes out, and after removed nodes are gone — their steps depend on it). Removes the
 * group only when it is empty: nodes still in it (put there by hand, or not declared) stop it
 * with their names and the fix. Ganeti's initial group "default" is left in place. Not run when
 * the whole cluster is destroyed (`deletedWith` the cluster step: the groups go with it).
 */
export function renderNodeGroupRemoveScript(plan: GanetiClusterPlan, group: PlannedNodeGroup): string {
  const g = q(group.name);
  const body = [`assert_host_key ${q(plan.master.hostKey)}`];
  if (group.initial) {
    body.push(
      `log "node group ${GANETI_INITIAL_GROUP} is Ganeti's initial group (gnt-cluster init made it); it stays, with the settings last applied"`,
    );
  } else {
    body.push(
      `if [ ! -s /var/lib/ganeti/config.data ] || ! grep -qxF ${g} <<<"$(gnt-group list --no-headers -o name 2>/dev/null)"; then`,
      `  log "node group ${group.name} does not exist"`,
      `  exit 0`,
      `fi`,
      `members=$(gnt-node list --no-headers --separator='|' -o name,group | awk -F'|' -v g=${g} '$2 == g { print $1 }' | paste -sd' ' -)`,
      `if [ -n "$members" ]; then`,
      `  die "node group ${group.name} is no longer declared but still holds: $members. Ganeti removes only empty groups: move each of them to its group (gnt-group assign-nodes <group> <node> on ${plan.master.fqdn}) or remove it from the cluster, or declare ${group.name} again; then pulumi up again"`,
      `fi`,
      `timeout 300 gnt-group remove ${g} >&2`,
      `echo "changed: removed node group ${group.name}"`,
    );
  }
  return renderRemoteScript({
    description: `ganeti: remove node group ${group.name} from ${plan.clusterName}`,
    body: body.join("\n"),
  });
}

/**
 * Puts every declared node in its declared group: one `gnt-group assign-nodes` per group with the
 * nodes that are elsewhere, so nodes that move together (a drbd instance's two) never split on the
 * way. Without `--force`: Ganeti refuses a move that would split a drbd instance between groups
 * (the plan refuses that for the declared instances; one made by hand stops the step here).
 */
export function renderNodeGroupMembershipScript(plan: GanetiClusterPlan): string {
  const groups = [...new Set(plan.nodes.map((n) => n.group!))];
  const body = [
    ...masterGuard(plan),
    `node_groups=$(timeout 300 gnt-node list --no-headers --separator='|' -o name,group)`,
    `group_of() { awk -F'|' -v n="$1" '$1 == n { print $2 }' <<<"$node_groups"; }`,
  ];
  for (const group of groups) {
    const members = plan.nodes.filter((n) => n.group === group).map((n) => n.fqdn);
    body.push(
      `group_exists ${q(group)} || die "node group ${group} does not exist on ${plan.clusterName}; its step (gnt-group add) did not run: read its output, then pulumi up again"`,
      `members=(${members.map(q).join(" ")})`,
      `move=()`,
      `for node in "\${members[@]}"; do`,
      `  current=$(group_of "$node")`,
      `  [ -n "$current" ] || die "$node is not a node of ${plan.clusterName}; its node step did not add it: read that step's output, then pulumi up again"`,
      `  [ "$current" = ${q(group)} ] || move+=("$node")`,
      `done`,
      `if [ "\${#move[@]}" -gt 0 ]; then`,
      `  assign_out=$(timeout 600 gnt-group assign-nodes ${q(group)} "\${move[@]}" 2>&1) || die "gnt-group assign-nodes ${group} \${move[*]} failed: $assign_out; an instance whose two nodes would end up in different groups blocks the move: move it first (gnt-instance change-group, or replace-disks -n), then pulumi up again"`,
      `  echo "changed: moved \${move[*]} to node group ${group}"`,
      `fi`,
    );
  }
  return renderRemoteScript({
    description: `ganeti: node groups of ${plan.clusterName}'s nodes`,
    body: body.join("\n"),
  });
}

/** The check the placement step adds for an instance with a declared group. */
export function instanceGroupCheck(instanceName: string, group: string): string {
  return `[ "$(field pnode.group)" = ${q(group)} ] || die "instance ${instanceName} runs on $(field pnode) in node group $(field pnode.group), declared ${group}; move it to a node of ${group} (primaryNode) or declare that node in ${group}"`;
}
