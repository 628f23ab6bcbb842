/**
 * Security-group rule copying: the rules of every group the source server uses go into one
 * target group (the TU Crete S2D service's behaviour). `remote_group_id` pointing at one of the source groups
 * becomes the target group; any other remote group cannot be represented and is reported
 * (dropping such a rule narrows access, it never opens it). A rule whose remote is an address
 * group (`remote_address_group_id`) is mapped to the address group made for it in B; without
 * that mapping it is refused, because recreating it without its remote would open the port
 * to every source address.
 * Rules already in the target group (including Neutron's automatic egress rules) and
 * duplicates among the source groups are skipped.
 */
import type { SecurityGroupRule } from "@openstack-blueprints/openstack-rest";

export type RuleShape = Pick<
  SecurityGroupRule,
  "direction" | "ethertype" | "protocol" | "port_range_min" | "port_range_max" | "remote_ip_prefix" | "remote_group_id"
> & {
  remote_address_group_id?: string | null;
  description?: string;
};

export interface RulePlan {
  create: RuleShape[];
  skippedDuplicates: number;
  /** Dropped rules that only narrow access (a remote group with no counterpart in B). */
  unmapped: { rule: RuleShape; reason: string }[];
  /** Rules that cannot be recreated without widening access: the migration must stop. */
  refused: { rule: RuleShape; reason: string }[];
}

/** Describes a rule for messages: "ingress IPv4 tcp 22-22". */
export function describeRule(r: RuleShape): string {
  const ports =
    r.port_range_min === null || r.port_range_min === undefined
      ? ""
      : ` ${r.port_range_min}-${r.port_range_max ?? r.port_range_min}`;
  return `${r.direction} ${r.ethertype} ${normaliseProtocol(r.protocol) ?? "any"}${ports}`;
}

/** Canonical key: two rules with the same key are the same rule to Neutron. */
export function ruleKey(r: RuleShape): string {
  const proto = normaliseProtocol(r.protocol);
  const prefix = r.remote_ip_prefix ? canonicalPrefix(r.remote_ip_prefix) : null;
  // Neutron treats "no remote" and 0.0.0.0/0 (::/0) alike for duplicate detection.
  const anyPrefix = r.ethertype === "IPv6" ? "::/0" : "0.0.0.0/0";
  // An address-group remote is its own kind of remote: never the same rule as "any source".
  const remote = r.remote_group_id
    ? `g:${r.remote_group_id}`
    : r.remote_address_group_id
      ? `a:${r.remote_address_group_id}`
      : `p:${prefix ?? anyPrefix}`;
  return [r.direction, r.ethertype, proto ?? "any", r.port_range_min ?? "", r.port_range_max ?? "", remote].join("|");
}

function normaliseProtocol(p: string | null): string | null {
  if (p === null || p === undefined || p === "" || p === "any") return null;
  const numbers: Record<string, string> = { "1": "icmp", "6": "tcp", "17": "udp", "58": "ipv6-icmp" };
  const lower = String(p).toLowerCase();
  return numbers[lower] ?? (lower === "icmpv6" ? "ipv6-icmp" : lower);
}

function canonicalPrefix(p: string): string {
  return p.includes("/") ? p : p.includes(":") ? `${p}/128` : `${p}/32`;
}

/**
 * @param addressGroupMap source address-group id → the address group in B holding the same
 *   addresses; a rule whose address group is missing here is refused, never copied without it.
 */
export function planRuleCopy(
  sourceRules: RuleShape[],
  sourceGroupIds: string[],
  targetGroupId: string,
  existingTargetRules: RuleShape[],
  addressGroupMap: Record<string, string> = {},
): RulePlan {
  const seen = new Set(existingTargetRules.map(ruleKey));
  const create: RuleShape[] = [];
  const unmapped: RulePlan["unmapped"] = [];
  const refused: RulePlan["refused"] = [];
  let skippedDuplicates = 0;
  for (const rule of sourceRules) {
    let mapped: RuleShape = {
      direction: rule.direction,
      ethertype: rule.ethertype,
      protocol: rule.protocol,
      port_range_min: rule.port_range_min,
      port_range_max: rule.port_range_max,
      remote_ip_prefix: rule.remote_ip_prefix,
      remote_group_id: null,
      ...(rule.description ? { description: rule.description } : {}),
    };
    if (rule.remote_address_group_id) {
      const target = addressGroupMap[rule.remote_address_group_id];
      if (!target) {
        refused.push({
          rule,
          reason: `rule ${describeRule(rule)} allows only address group ${rule.remote_address_group_id}, which has no counterpart in B; recreated without it the rule would allow every source`,
        });
        continue;
      }
      mapped = { ...mapped, remote_address_group_id: target, remote_ip_prefix: null };
    } else if (rule.remote_group_id) {
      if (!sourceGroupIds.includes(rule.remote_group_id)) {
        unmapped.push({
          rule,
          reason: `remote group ${rule.remote_group_id} is not one of the server's groups in A, so it has no counterpart in B`,
        });
        continue;
      }
      mapped = { ...mapped, remote_group_id: targetGroupId, remote_ip_prefix: null };
    }
    const key = ruleKey(mapped);
    if (seen.has(key)) {
      skippedDuplicates++;
      continue;
    }
    seen.add(key);
    create.push(mapped);
  }
  return { create, skippedDuplicates, unmapped, refused };
}
