// `openstack-blueprints:migration`: an S2DMigration between two clouds. Cloud credentials are
// handed to the component as one Pulumi secret per cloud.
import * as pulumi from "@pulumi/pulumi";
import { S2DMigration } from "@openstack-blueprints/components";
import { z } from "zod";
import { defineBlock, providerOptions } from "../block";

const cloud = z
  .object({
    cloud: z.string().min(1).optional(),
    authUrl: z.string().url().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    project: z.string().optional(),
    userDomain: z.string().optional(),
    projectDomain: z.string().optional(),
    region: z.string().optional(),
  })
  .strict()
  .refine((c) => c.cloud !== undefined || c.authUrl !== undefined, {
    message: "names no cloud: give cloud (a clouds.yaml entry) or authUrl with credentials",
  });

export const migrationSpec = z
  .object({
    source: cloud,
    target: cloud,
    sourceServer: z.string().min(1),
    targetName: z.string().optional(),
    securityGroup: z.string().optional(),
    network: z.string().optional(),
    floatingIp: z.string().optional(),
    floatingNetwork: z.string().optional(),
    keypairMode: z.string().optional(),
    keypairName: z.string().optional(),
    publicKey: z.string().optional(),
    flavorName: z.string().optional(),
    stopSource: z.boolean().optional(),
    imageVisibility: z.string().optional(),
    retainInTarget: z.boolean().optional(),
  })
  .strict();

export const migrationBlock = defineBlock({
  key: "migration",
  component: "S2DMigration",
  description: "Software-to-data migration between two clouds.",
  holdsSecrets: true,
  schema: migrationSpec,
  uses: ["provider", "cloud"],
  run: (spec, inputs, environment) => {
    const migration = new S2DMigration(
      `${environment}-migration`,
      {
        ...spec,
        source: pulumi.secret(spec.source),
        target: pulumi.secret(spec.target),
      },
      providerOptions(inputs),
    );
    // The new server, where to reach it, and the checksums its image was verified with.
    return {
      outputs: {
        "migration.urn": migration.urn,
        "migration.targetServerId": migration.targetServerId,
        "migration.addresses": migration.addresses,
        "migration.floatingIp": migration.floatingIp,
        "migration.checksums": migration.checksums,
      },
    };
  },
});
