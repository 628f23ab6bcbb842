import * as pulumi from "@pulumi/pulumi";

// SecurityProfile's inputs, declared once. security-rules.ts derives the plain rule it
// validates (SecurityRuleSpec) from SecurityRuleArgs.

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
