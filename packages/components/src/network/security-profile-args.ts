// SecurityProfile's inputs, declared once: the interfaces, and the zod schemas that check each
// field on its own (held to the interfaces by SameShape). security-rules.ts derives the plain
// rule it validates (SecurityRuleSpec) from SecurityRuleArgs.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ipv4Cidr, oneOf, pulumiInput, SameShape } from "../config/zod-types";

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

const port = z
  .number({ message: "is not a number" })
  .int({ message: "is not a port number 1-65535" })
  .min(1, { message: "is not a port number 1-65535" })
  .max(65535, { message: "is not a port number 1-65535" });
const icmpNumber = z
  .number({ message: "is not a number" })
  .int({ message: "is not an ICMP type/code 0-255" })
  .min(0, { message: "is not an ICMP type/code 0-255" })
  .max(255, { message: "is not an ICMP type/code 0-255" });

/** SecurityRuleArgs field by field (what a rule means as a whole is normalizeRules's check). */
export const securityRuleArgsSchema = z.object({
  direction: oneOf(["ingress", "egress"]).optional(),
  protocol: oneOf(["tcp", "udp", "icmp", "any"]),
  port: port.optional(),
  fromPort: port.optional(),
  toPort: port.optional(),
  icmpType: icmpNumber.optional(),
  icmpCode: icmpNumber.optional(),
  remoteCidr: ipv4Cidr.optional(),
  remoteGroupId: pulumiInput(z.string().min(1, { message: "is empty; give the remote group's ID" })).optional(),
  remoteSelf: z.boolean().optional(),
  allowFromAnywhere: z.boolean().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
});

/** SecurityProfileArgs field by field. */
export const securityProfileArgsSchema = z.object({
  rules: z.array(securityRuleArgsSchema, { message: "is required: a list of rules ({ protocol, port, remoteCidr })" }),
  groupName: z.string().min(1, { message: "is empty; give the group's OpenStack name or leave it out" }).optional(),
  description: z.string().optional(),
  deleteDefaultRules: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
});

// The schema and the interfaces describe the same fields: adding one to either alone fails tsc.
const _ruleSchemaMatchesArgs: SameShape<z.input<typeof securityRuleArgsSchema>, SecurityRuleArgs> = true;
const _profileSchemaMatchesArgs: SameShape<z.input<typeof securityProfileArgsSchema>, SecurityProfileArgs> = true;
void [_ruleSchemaMatchesArgs, _profileSchemaMatchesArgs];
