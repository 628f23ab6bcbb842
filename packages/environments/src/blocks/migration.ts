// `openstack-blueprints:migration`: an S2DMigration between two clouds. The stack's migration
// value is the component's args, checked with the component's own schema (which takes the
// migration engine's rules for a cloud). Cloud credentials are handed to the component as one
// Pulumi secret per cloud.
import * as pulumi from "@pulumi/pulumi";
import { S2DMigration, s2dMigrationArgsSchema } from "@openstack-blueprints/components";
import { defineBlock, providerOptions, strictConfig } from "../block";

export const migrationSpec = strictConfig(s2dMigrationArgsSchema);

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
