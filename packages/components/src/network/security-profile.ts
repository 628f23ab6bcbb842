import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { normalizeRules } from "./security-rules";

/** One rule of a SecurityProfile, in compact form. */
export interface SecurityRuleArgs {
  /** "ingress" (default) or "egress". */
  direction?: string;
  /** "tcp", "udp", "icmp" or "any". */
  protocol: string;
  /** One port (tcp/udp). */
  port?: number;
  /** First port of a range (tcp/udp). */
  fromPort?: number;
  /** Last port of a range (tcp/udp). */
  toPort?: number;
  /** ICMP type (8 = echo request); default any type. */
  icmpType?: number;
  /** ICMP code; needs icmpType. */
  icmpCode?: number;
  /** Source (ingress) or destination (egress) block, e.g. "10.20.0.0/24". */
  remoteCidr?: string;
  /** Another security group as the remote; then `name` is required. */
  remoteGroupId?: pulumi.Input<string>;
  /** This profile's own group as the remote (members reach each other). */
  remoteSelf?: boolean;
  /** Explicit opt-in for 0.0.0.0/0 on SSH, RDP, database ports or all ports. */
  allowFromAnywhere?: boolean;
  /** Stable name part of the rule's resource (required with remoteGroupId). */
  name?: string;
  description?: string;
}

export interface SecurityProfileArgs {
  /** The rules; exact duplicates are created once. */
  rules: SecurityRuleArgs[];
  /** OpenStack name of the group; default the component's name. */
  groupName?: string;
  description?: string;
  /**
   * Remove Neutron's default rules (allow all egress) so only `rules` apply. Default false:
   * instances keep outbound access (package mirrors, DNS).
   */
  deleteDefaultRules?: boolean;
  tags?: string[];
}

/**
 * A security group and its rules from a compact spec. Rules are validated first (no world
 * open SSH/RDP without an explicit opt-in, no ingress without a remote) and de-duplicated;
 * each rule's child name derives from what it allows, so adding or removing one rule
 * never renames the others.
 */
export class SecurityProfile extends pulumi.ComponentResource {
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly securityGroupName: pulumi.Output<string>;
  /** IDs of the rules, in the order of their normalised keys. */
  public readonly ruleIds: pulumi.Output<string[]>;
  /** One line per rule, e.g. "in-tcp-3389-10.0.0.0_24", for reviews and diagrams. */
  public readonly ruleKeys: pulumi.Output<string[]>;

  constructor(name: string, args: SecurityProfileArgs, opts?: pulumi.ComponentResourceOptions) {
    super("openstack-blueprints:index:SecurityProfile", name, {}, opts);

    const rules = normalizeRules(`SecurityProfile ${name}`, args.rules.map(({ remoteGroupId, ...rule }) => ({
      ...rule,
      hasRemoteGroup: remoteGroupId !== undefined,
    })));

    const groupName = args.groupName ?? name;
    const group = new openstack.networking.SecGroup(`${name}-group`, {
      name: groupName,
      description: args.description ?? `Managed by openstack-blueprints (${name})`,
      deleteDefaultRules: args.deleteDefaultRules ?? false,
      tags: args.tags,
    }, { parent: this });

    const created = rules.map((rule) => new openstack.networking.SecGroupRule(`${name}-${rule.key}`, {
      securityGroupId: group.id,
      direction: rule.direction,
      ethertype: rule.ethertype,
      protocol: rule.protocol,
      portRangeMin: rule.portRangeMin,
      portRangeMax: rule.portRangeMax,
      remoteIpPrefix: rule.remoteIpPrefix,
      remoteGroupId: rule.remote === "group" ? args.rules[rule.index].remoteGroupId : rule.remote === "self" ? group.id : undefined,
      description: rule.description,
    }, { parent: this }));

    this.securityGroupId = group.id;
    this.securityGroupName = group.name;
    this.ruleIds = pulumi.all(created.map((r) => r.id));
    this.ruleKeys = pulumi.output(rules.map((r) => r.key));
    this.registerOutputs({
      securityGroupId: this.securityGroupId,
      securityGroupName: this.securityGroupName,
      ruleIds: this.ruleIds,
      ruleKeys: this.ruleKeys,
    });
  }
}
