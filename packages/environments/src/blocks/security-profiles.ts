// `openstack-blueprints:securityProfiles`: named SecurityProfiles. A rule may name another
// profile of the stack as its remote (`remoteProfile: bastion`), which becomes its group ID.
import { SecurityProfile } from "@openstack-blueprints/components";
import { z } from "zod";
import { ipv4Cidr } from "@openstack-blueprints/components";
import { defineBlock, providerOptions } from "../block";
import { resourceName } from "./networks";

const securityRuleSpec = z
  .object({
    direction: z.string().optional(),
    protocol: z.string(),
    port: z.number().optional(),
    fromPort: z.number().optional(),
    toPort: z.number().optional(),
    icmpType: z.number().optional(),
    icmpCode: z.number().optional(),
    remoteCidr: ipv4Cidr.optional(),
    remoteProfile: resourceName.optional(),
    remoteSelf: z.boolean().optional(),
    allowFromAnywhere: z.boolean().optional(),
    name: z.string().optional(),
    description: z.string().optional(),
  })
  .strict();

export const securityProfileSpec = z
  .object({
    rules: z.array(securityRuleSpec).min(1),
    groupName: z.string().min(1).optional(),
    description: z.string().optional(),
    deleteDefaultRules: z.boolean().optional(),
    tags: z.array(z.string()).optional(),
  })
  .strict();

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
  deploy: (profiles, ctx) => {
    // Profiles referenced by others first, so their group IDs exist to point at.
    const order = Object.keys(profiles).sort((a, b) => {
      const refs = (n: string) => profiles[n].rules.some((r) => r.remoteProfile !== undefined && r.remoteProfile !== n);
      return Number(refs(a)) - Number(refs(b));
    });
    for (const name of order) {
      const spec = profiles[name];
      const profile = new SecurityProfile(
        `${ctx.environment}-${name}`,
        {
          groupName: spec.groupName ?? name,
          description: spec.description,
          deleteDefaultRules: spec.deleteDefaultRules,
          tags: spec.tags,
          rules: spec.rules.map(({ remoteProfile, ...rule }) => {
            if (remoteProfile === undefined) return rule;
            if (remoteProfile === name) return { ...rule, remoteSelf: true };
            const target = ctx.securityProfiles.get(remoteProfile);
            if (!target)
              throw new Error(
                `securityProfiles.${name}: remoteProfile ${remoteProfile} refers back to ${name}; break the cycle with remoteCidr`,
              );
            return { ...rule, remoteGroupId: target.securityGroupId, name: rule.name ?? `from-${remoteProfile}` };
          }),
        },
        providerOptions(ctx),
      );
      ctx.securityProfiles.set(name, profile);
      ctx.outputs[`securityProfiles.${name}.securityGroupId`] = profile.securityGroupId;
    }
  },
});
