/**
 * Security-group rule copying: the rules of every group the source server uses go into one
 * target group (the seed's behaviour). `remote_group_id` pointing at one of the source groups
 * becomes the target group; any other remote group cannot be represented and is reported.
 * Rules already in the target group (including Neutron's automatic egress rules) and
 * duplicates among the source groups are skipped.
 */
import type { SecurityGroupRule } from "@openstack-blueprints/openstack-rest";

export type RuleShape = Pick<SecurityGroupRule, "direction" | "ethertype" | "protocol" | "port_range_min" | "port_range_max" | "remote_ip_prefix" | "remote_group_id"> & { description?: string };

export interface RulePlan {
  create: RuleShape[];
  skippedDuplicates: number;
  unmapped: { rule: RuleShape; reason: string }[];
}

/** Canonical key: two rules with the same key are the same rule to Neutron. */
export function ruleKey(r: RuleShape): string {
  const proto = normaliseProtocol(r.protocol);
  const prefix = r.remote_ip_prefix ? canonicalPrefix(r.remote_ip_prefix) : null;
  // Neutron treats "no remote" and 0.0.0.0/0 (::/0) alike for duplicate detection.
  const anyPrefix = r.ethertype === "IPv6" ? "::/0" : "0.0.0.0/0";
  const remote = r.remote_group_id ? `g:${r.remote_group_id}` : `p:${prefix ?? anyPrefix}`;
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

export function planRuleCopy(sourceRules: RuleShape[], sourceGroupIds: string[], targetGroupId: string, existingTargetRules: RuleShape[]): RulePlan {
  const seen = new Set(existingTargetRules.map(ruleKey));
  const create: RuleShape[] = [];
  const unmapped: RulePlan["unmapped"] = [];
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
    if (rule.remote_group_id) {
      if (!sourceGroupIds.includes(rule.remote_group_id)) {
        unmapped.push({ rule, reason: `remote group ${rule.remote_group_id} is not one of the server's groups in A, so it has no counterpart in B` });
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
  return { create, skippedDuplicates, unmapped };
}
