// `openstack-blueprints:ganeti`: a GanetiDrbdCluster; the config is GanetiDrbdClusterArgs,
// private keys arrive as `secure:` values and are passed on as Pulumi secrets.
import * as pulumi from "@pulumi/pulumi";
import { GanetiDrbdCluster, ganetiDrbdClusterArgsSchema } from "@openstack-blueprints/components";
import { defineBlock, strictConfig } from "../block";

/** The stack's ganeti value is the component's args, checked with the component's own schema. */
export const ganetiSpec = strictConfig(ganetiDrbdClusterArgsSchema);

export const ganetiBlock = defineBlock({
  key: "ganeti",
  component: "GanetiDrbdCluster",
  description: "A Ganeti cluster with DRBD-mirrored instances on three nodes.",
  holdsSecrets: true,
  schema: ganetiSpec,
  run: (spec, _inputs, environment) => {
    const cluster = new GanetiDrbdCluster(`${environment}-cluster`, {
      ...spec,
      clusterSshPrivateKey: pulumi.secret(spec.clusterSshPrivateKey),
      nodes: spec.nodes.map((n) => ({
        ...n,
        connection: { ...n.connection, privateKey: pulumi.secret(n.connection.privateKey) },
      })),
    });
    return {
      outputs: { "ganeti.clusterName": pulumi.output(spec.clusterName), "ganeti.urn": cluster.urn },
    };
  },
});
