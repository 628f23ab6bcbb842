// Can the thin clients (or the admin) reach the desktops at all? A security-group rule that allows
// RDP from a block nobody in that block can route to is a pool that works in preview and is dead
// on day one: a small firm's office whose rule allowed RDP only from the desktops' own subnet is
// the case this check exists for. Pure: the stack's composition (and tests) call it with what the
// stack declares.
import { cidrContainsCidr, cidrsOverlap, isIpv4Cidr } from "../network/cidr";

/** A source the pool's security group admits, e.g. thinClientCidr for RDP. */
export interface ReachabilitySource {
  /** The setting that holds it, for the error (e.g. "desktops.thinClientCidr"). */
  field: string;
  cidr: string;
  /** What it reaches, e.g. "RDP (3389)". */
  service: string;
}

/**
 * The external network the floating IPs come from, when the stack itself builds it (DevStack):
 * its range, and whether that range is a real LAN (publicInterface bridged onto br-ex) or lives
 * only on the DevStack host behind NAT.
 */
export interface FloatingNetworkFacts {
  /** The setting that holds the range, for the error (e.g. "devstack.floatingRange"). */
  field: string;
  range: string;
  /** True when a NIC on the LAN is bridged into the external network (DevStack publicInterface). */
  onLan: boolean;
}

export interface ReachabilityInput {
  /** The desktops' tenant subnet. */
  tenantCidr: string;
  /** The setting that holds tenantCidr, for the error (e.g. "networks.office.cidr"). */
  tenantField: string;
  sources: ReachabilitySource[];
  /** The desktops get floating IPs (floatingIpPool set). */
  floatingIps: boolean;
  /** Known only when the stack builds the cloud; undefined on an existing cloud (not checked). */
  floatingNetwork?: FloatingNetworkFacts;
  /**
   * The stack declares that the sources are routed to the desktops' addresses by a router it
   * does not manage (e.g. the office router has a static route to the tenant subnet via the
   * Neutron router's external address). Only the "inside the tenant subnet" problem remains.
   */
  declaredRouted?: boolean;
}

/**
 * Every reason a source cannot reach the desktops, each naming the setting, its value and the
 * fix; [] when every source can. Sources that are not CIDRs are left to the pool's own checks.
 */
export function desktopReachabilityProblems(input: ReachabilityInput): string[] {
  const problems: string[] = [];
  for (const s of input.sources) {
    if (!isIpv4Cidr(s.cidr) || !isIpv4Cidr(input.tenantCidr)) continue;
    const at = `${s.field} = ${s.cidr} (${s.service})`;
    if (cidrContainsCidr(input.tenantCidr, s.cidr)) {
      problems.push(
        `${at} is inside the desktops' own subnet ${input.tenantCidr} (${input.tenantField}): only the desktops live there, ` +
          `so nothing else can use the rule. Fix: set ${s.field} to the LAN the clients sit on and give the desktops floating IPs from it ` +
          `(desktops.floatingIpPool, with the cloud's floating range on that LAN), or route that LAN to ${input.tenantCidr}.`,
      );
      continue;
    }
    if (input.declaredRouted) continue;
    if (!input.floatingIps) {
      problems.push(
        `${at} cannot reach the desktops: they have no floating IPs, and nothing routes ${s.cidr} to their subnet ${input.tenantCidr} ` +
          `(a Neutron router's tenant subnet is not reachable from outside it). Fix: set desktops.floatingIpPool, or add a route on the ` +
          `clients' router to ${input.tenantCidr} via the Neutron router's external address and declare it with desktops.thinClientsRouted: true.`,
      );
      continue;
    }
    const fip = input.floatingNetwork;
    if (!fip || !isIpv4Cidr(fip.range)) continue;
    if (!fip.onLan) {
      problems.push(
        `${at} cannot reach the desktops' floating IPs: ${fip.field} = ${fip.range} exists only on the DevStack host (no publicInterface: ` +
          `it is NATed there), not on the clients' LAN. Fix: set devstack.publicInterface to the host's NIC on the clients' LAN and ` +
          `${fip.field} to that LAN (with floatingAllocationStart/End on free addresses).`,
      );
    } else if (!cidrsOverlap(fip.range, s.cidr)) {
      problems.push(
        `${at} is not on the LAN the floating IPs come from (${fip.field} = ${fip.range}): the clients would need a router between them. ` +
          `Fix: set ${s.field} to the clients' block on ${fip.range}, set ${fip.field} to the clients' LAN, or declare the route with ` +
          `desktops.thinClientsRouted: true once the clients' router forwards ${s.cidr} to ${fip.range}.`,
      );
    }
  }
  return problems;
}
