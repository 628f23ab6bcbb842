/**
 * The report step: `gnt-cluster verify` plus node and instance lists, printed in marked sections
 * on the master and parsed into the component's outputs. A verify error fails the step (and so
 * `pulumi up`) unless it is about a node declared offline — a dead node is expected to fail
 * every check, and failing the run on it would block the very failover that recovers from it.
 * Other tolerated error codes must be listed one by one (verifyIgnoreErrors).
 */
import { renderRemoteScript, shellQuote } from "../scripts/remote-script";
import { GanetiClusterPlan } from "./ganeti-plan";

export interface GanetiNodeStatus {
  name: string;
  /** Ganeti's role letter: M master, C candidate, R regular, D drained, O offline. */
  role: string;
  primaryInstances: number;
  secondaryInstances: number;
}

export interface GanetiInstanceStatus {
  name: string;
  primaryNode: string;
  secondaryNodes: string[];
  status: string;
  /** The hypervisor's console (VNC for kvm) port on the primary node, if any. */
  consolePort?: number;
}

export interface GanetiClusterReport {
  verifyPassed: boolean;
  verifyOutput: string;
  nodes: GanetiNodeStatus[];
  instances: GanetiInstanceStatus[];
}

export function renderReportScript(plan: GanetiClusterPlan): string {
  const ignore = plan.verifyIgnoreErrors.map((code) => ` --ignore-errors=${code}`).join("");
  const offline = plan.nodes.filter((n) => n.offline).map((n) => n.fqdn);
  const body = [
    `assert_host_key ${shellQuote(plan.master.hostKey)}`,
    `echo "=== verify"`,
    `verify_rc=0`,
    `verify_out=$(timeout 900 gnt-cluster verify --error-codes${ignore} 2>&1) || verify_rc=$?`,
    `printf '%s\n' "$verify_out"`,
    `echo "=== verify-exit $verify_rc"`,
    // --error-codes lines read "ERROR:ECODE:type:item:message"; an error naming an offline node is expected.
    `verify_errors=$(grep -E 'ERROR:E[A-Z]+:' <<<"$verify_out" || true)`,
    offline.length > 0
      ? `unexpected_errors=$(grep -vF ${offline.map((f) => `-e ${shellQuote(f)}`).join(" ")} <<<"$verify_errors" || true)`
      : `unexpected_errors=$verify_errors`,
    `echo "=== nodes"`,
    `gnt-node list --no-headers --separator='|' -o name,role,pinst_cnt,sinst_cnt`,
    `echo "=== instances"`,
    `gnt-instance list --no-headers --separator='|' -o name,pnode,snodes,status,network_port`,
    `echo "=== end"`,
    `if [ "$verify_rc" -ne 0 ]; then`,
    `  [ -n "$verify_errors" ] || die "gnt-cluster verify failed (exit $verify_rc) without an error line; see the verify section above"`,
    `  [ -z "$unexpected_errors" ] || die "gnt-cluster verify reported errors (exit $verify_rc): $unexpected_errors"`,
    `  log "gnt-cluster verify reported errors only about nodes declared offline (${offline.join(", ")}); tolerated"`,
    `fi`,
  ];
  return renderRemoteScript({ description: `ganeti: verify and report ${plan.clusterName}`, body: body.join("\n") });
}

function section(stdout: string, name: string): string[] | undefined {
  const lines = stdout.split("\n");
  const start = lines.findIndex((l) => l === `=== ${name}`);
  if (start < 0) return undefined;
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("=== ")) break;
    out.push(line);
  }
  return out;
}

/** Parses the report step's stdout; an empty or foreign stdout gives an empty, failed report. */
export function parseClusterReport(stdout: string): GanetiClusterReport {
  const exit = /^=== verify-exit (\d+)$/m.exec(stdout);
  const verifyLines = section(stdout, "verify") ?? [];
  const nodes = (section(stdout, "nodes") ?? [])
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const [name, role, pinst, sinst] = line.trim().split("|");
      return { name, role: role ?? "", primaryInstances: Number(pinst) || 0, secondaryInstances: Number(sinst) || 0 };
    });
  const instances = (section(stdout, "instances") ?? [])
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const [name, pnode, snodes, status, port] = line.trim().split("|");
      const consolePort = /^\d+$/.test(port ?? "") ? Number(port) : undefined;
      return {
        name,
        primaryNode: pnode ?? "",
        secondaryNodes: (snodes ?? "").split(",").filter((s) => s !== "" && s !== "-"),
        status: status ?? "",
        ...(consolePort !== undefined ? { consolePort } : {}),
      };
    });
  return {
    verifyPassed: exit !== null && exit[1] === "0",
    verifyOutput: verifyLines.join("\n").trim(),
    nodes,
    instances,
  };
}
