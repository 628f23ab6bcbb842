// Cross-block check: can the sources the desktops block admits (thin clients, admin) reach the
// desktops on the network and cloud this stack declares? Run before any block is deployed (so
// `pulumi up` refuses an unreachable office) and by the tests over every stack in stacks/.
import {
  DEFAULT_FLOATING_RANGE,
  JUPYTER_PORT,
  desktopReachabilityProblems,
  type ReachabilitySource,
} from "@openstack-blueprints/components";

interface StackValues {
  desktops?: {
    network: string;
    thinClientCidr: string;
    adminCidr?: string;
    floatingIpPool?: string;
    workspace?: string;
    jupyterPort?: number;
    thinClientsRouted?: boolean;
  };
  networks?: Record<string, { cidr: string }>;
  devstack?: { floatingRange?: string; publicInterface?: string };
}

/** Problems, each prefixed with the config namespace's key; [] when the stack has no desktops. */
export function stackReachabilityProblems(
  values: Record<string, unknown>,
  namespace = "openstack-blueprints",
): string[] {
  const v = values as StackValues;
  const d = v.desktops;
  if (!d) return [];
  const net = v.networks?.[d.network];
  if (!net) return []; // the desktops block itself reports an unknown network
  const service = d.workspace === "jupyter" ? `Jupyter (${d.jupyterPort ?? JUPYTER_PORT})` : "RDP (3389)";
  const sources: ReachabilitySource[] = [
    { field: `${namespace}:desktops.thinClientCidr`, cidr: d.thinClientCidr, service },
  ];
  if (d.adminCidr) sources.push({ field: `${namespace}:desktops.adminCidr`, cidr: d.adminCidr, service: "SSH (22)" });
  return desktopReachabilityProblems({
    tenantCidr: net.cidr,
    tenantField: `${namespace}:networks.${d.network}.cidr`,
    sources,
    floatingIps: d.floatingIpPool !== undefined,
    // DevStack's floating range is the external network's subnet; on an existing cloud the
    // external network is the operator's and is not known here.
    floatingNetwork: v.devstack
      ? {
          field: `${namespace}:devstack.floatingRange`,
          range: v.devstack.floatingRange ?? DEFAULT_FLOATING_RANGE,
          onLan: v.devstack.publicInterface !== undefined && v.devstack.publicInterface !== "",
        }
      : undefined,
    declaredRouted: d.thinClientsRouted === true,
  });
}
