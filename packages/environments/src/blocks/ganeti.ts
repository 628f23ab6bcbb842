// `openstack-blueprints:ganeti`: a GanetiDrbdCluster; the config mirrors GanetiDrbdClusterArgs,
// private keys arrive as `secure:` values and are passed on as Pulumi secrets.
import * as pulumi from "@pulumi/pulumi";
import { GanetiDrbdCluster } from "@openstack-blueprints/components";
import { z } from "zod";
import { ipv4Address } from "@openstack-blueprints/components";
import { defineBlock } from "../block";

const connection = z
  .object({
    host: z.string().min(1),
    port: z.number().int().optional(),
    user: z.string().optional(),
    privateKey: z.string().min(1),
    hostKey: z.string().min(1),
  })
  .strict();

export const ganetiSpec = z
  .object({
    clusterName: z.string().min(1),
    clusterAddress: ipv4Address,
    clusterSshPublicKey: z.string().min(1),
    clusterSshPrivateKey: z.string().min(1),
    nodes: z
      .array(
        z
          .object({
            fqdn: z.string().min(1),
            address: ipv4Address,
            replicationAddress: ipv4Address.optional(),
            connection,
            volumeGroupDevices: z.array(z.string()).optional(),
            parentInterface: z.string().optional(),
            // A node's life as state: drained (no new instances), offline (dead: mark it before failing over).
            drained: z.boolean().optional(),
            offline: z.boolean().optional(),
          })
          .strict(),
      )
      .min(1),
    ganetiVersion: z.enum(["3.0", "3.1"]).optional(),
    volumeGroup: z.string().optional(),
    instances: z.array(z.record(z.string(), z.unknown())).optional(),
  })
  .passthrough();

export const ganetiBlock = defineBlock({
  key: "ganeti",
  component: "GanetiDrbdCluster",
  description: "A Ganeti cluster with DRBD-mirrored instances on three nodes.",
  holdsSecrets: true,
  schema: ganetiSpec,
  deploy: (spec, ctx) => {
    const cluster = new GanetiDrbdCluster(`${ctx.environment}-cluster`, {
      ...(spec as any),
      clusterSshPrivateKey: pulumi.secret(spec.clusterSshPrivateKey),
      nodes: spec.nodes.map((n) => ({
        ...n,
        connection: { ...n.connection, privateKey: pulumi.secret(n.connection.privateKey) },
      })),
    });
    ctx.outputs["ganeti.clusterName"] = pulumi.output(spec.clusterName);
    ctx.outputs["ganeti.urn"] = cluster.urn;
  },
});
