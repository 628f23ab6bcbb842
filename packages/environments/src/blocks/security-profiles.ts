// `openstack-blueprints:securityProfiles`: named SecurityProfiles. A rule may name another
// profile of the stack as its remote (`remoteProfile: bastion`), which becomes its group ID.
import * as pulumi from "@pulumi/pulumi";
import { SecurityProfile, securityProfileArgsSchema, securityRuleArgsSchema } from "@openstack-blueprints/components";
import { z } from "zod";
import { defineBlock, providerOptions, strictConfig } from "../block";
import { resourceName } from "./networks";

/**
 * A rule as a stack writes it: SecurityRuleArgs, with another profile of the stack named as the
 * remote (`remoteProfile`) instead of a group ID.
 */
const securityRuleSpec = securityRuleArgsSchema.omit({ remoteGroupId: true }).extend({
  remoteProfile: resourceName.optional(),
});

/** One profile of the stack: SecurityProfileArgs with stack rules, at least one. */
export const securityProfileSpec = strictConfig(
  securityProfileArgsSchema.extend({
    rules: z.array(securityRuleSpec).min(1, { message: "is empty; give at least one rule" }),
  }),
);

export const securityProfilesBlock = defineBlock({
  key: "securityProfiles",
  component: "SecurityProfile",
  description: "Named security groups from compact rules (SSH/RDP never world-open without allowFromAnywhere).",
  schema: z.record(resourceName, securityProfileSpec).superRefine((profiles, zctx) => {
    for (const [name, profile] of Object.entries(profiles)) {
      profile.rules.forEach((rule, i) => {
        if (rule.remoteProfile !== undefined && !(rule.remoteProfile in profiles)) {
          zctx.addIssue({
            code: "custom",
            path: [name, "rules", i, "remoteProfile"],
            message: `names no profile of this stack; known profiles are ${Object.keys(profiles).join(", ")}`,
          });
        }
      });
    }
  }),
  uses: ["provider", "cloud"],
  provides: ["securityProfiles"],
  run: (profiles, inputs, environment) => {
    const built = new Map<string, SecurityProfile>();
    const outputs: Record<string, pulumi.Output<unknown>> = {};
    // Profiles referenced by others first, so their group IDs exist to point at.
    const order = Object.keys(profiles).sort((a, b) => {
      const refs = (n: string) => profiles[n].rules.some((r) => r.remoteProfile !== undefined && r.remoteProfile !== n);
      return Number(refs(a)) - Number(refs(b));
    });
    for (const name of order) {
      const spec = profiles[name];
      const profile = new SecurityProfile(
        `${environment}-${name}`,
        {
          groupName: spec.groupName ?? name,
          description: spec.description,
          deleteDefaultRules: spec.deleteDefaultRules,
          tags: spec.tags,
          rules: spec.rules.map(({ remoteProfile, ...rule }) => {
            if (remoteProfile === undefined) return rule;
            if (remoteProfile === name) return { ...rule, remoteSelf: true };
            const target = built.get(remoteProfile);
            if (!target)
              throw new Error(
                `securityProfiles.${name}: remoteProfile ${remoteProfile} refers back to ${name}; break the cycle with remoteCidr`,
              );
            return { ...rule, remoteGroupId: target.securityGroupId, name: rule.name ?? `from-${remoteProfile}` };
          }),
        },
        providerOptions(inputs),
      );
      built.set(name, profile);
      outputs[`securityProfiles.${name}.securityGroupId`] = profile.securityGroupId;
    }
    return { provided: { securityProfiles: built }, outputs };
  },
});
