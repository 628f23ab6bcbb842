import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import type { SecurityProfileArgs } from "./security-profile-args";
import { normalizeRules } from "./security-rules";

export type { SecurityProfileArgs, SecurityRuleArgs } from "./security-profile-args";

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
    // Every rule is checked before anything is registered.
    const rules = normalizeRules(
      `SecurityProfile ${name}`,
      args.rules.map(({ remoteGroupId, ...rule }) => ({
        ...rule,
        hasRemoteGroup: remoteGroupId !== undefined,
      })),
    );
    super("openstack-blueprints:index:SecurityProfile", name, {}, opts);

    const groupName = args.groupName ?? name;
    const group = new openstack.networking.SecGroup(
      `${name}-group`,
      {
        name: groupName,
        description: args.description ?? `Managed by openstack-blueprints (${name})`,
        deleteDefaultRules: args.deleteDefaultRules ?? false,
        tags: args.tags,
      },
      { parent: this },
    );

    const created = rules.map(
      (rule) =>
        new openstack.networking.SecGroupRule(
          `${name}-${rule.key}`,
          {
            securityGroupId: group.id,
            direction: rule.direction,
            ethertype: rule.ethertype,
            protocol: rule.protocol,
            portRangeMin: rule.portRangeMin,
            portRangeMax: rule.portRangeMax,
            remoteIpPrefix: rule.remoteIpPrefix,
            remoteGroupId:
              rule.remote === "group"
                ? args.rules[rule.index].remoteGroupId
                : rule.remote === "self"
                  ? group.id
                  : undefined,
            description: rule.description,
          },
          { parent: this },
        ),
    );

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
