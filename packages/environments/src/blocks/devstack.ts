// `openstack-blueprints:devstack`: DevStack on a host over SSH; every later block uses the
// OpenStack provider it creates (devstackProvider).
import * as pulumi from "@pulumi/pulumi";
import {
  DevstackHost,
  devstackProvider,
  ipv4Address,
  ipv4Cidr,
  type ProjectLimits,
} from "@openstack-blueprints/components";
import { z } from "zod";
import { defineBlock } from "../block";

export const devstackSpec = z
  .object({
    connection: z
      .object({
        host: z.string().min(1),
        port: z.number().int().optional(),
        user: z.string().optional(),
        privateKey: z.string().min(1),
        hostKey: z.string().min(1),
      })
      .strict(),
    hostIp: ipv4Address,
    floatingRange: ipv4Cidr.optional(),
    publicInterface: z.string().optional(),
    cpuAllocationRatio: z.number().optional(),
    ramAllocationRatio: z.number().optional(),
  })
  .passthrough();

export const devstackBlock = defineBlock({
  key: "devstack",
  component: "DevstackHost",
  description: "An all-in-one DevStack on a host over SSH; its OpenStack provider is used by every later block.",
  holdsSecrets: true,
  schema: devstackSpec,
  deploy: (spec, ctx) => {
    const host = new DevstackHost(`${ctx.environment}-devstack`, {
      ...(spec as any),
      connection: { ...spec.connection, privateKey: pulumi.secret(spec.connection.privateKey) },
    });
    ctx.provider = devstackProvider(host);
    const byName = (names: string[], ids: pulumi.Output<string[]>) =>
      new Map(names.map((n, i) => [n, ids.apply((all) => all[i])]));
    const spec_ = spec as { images?: { name: string }[]; flavors?: { name: string }[]; quotas?: ProjectLimits };
    ctx.cloud = {
      ready: host,
      quotas: spec_.quotas,
      imageIds: byName(
        (spec_.images ?? []).map((i) => i.name),
        host.imageIds,
      ),
      flavorIds: byName(
        (spec_.flavors ?? []).map((f) => f.name),
        host.flavorIds,
      ),
    };
    ctx.credentials = pulumi.secret(
      pulumi
        .all([
          host.authUrl,
          host.adminUserName,
          host.adminPassword,
          host.adminProjectName,
          host.userDomainName,
          host.projectDomainName,
          host.region,
        ])
        .apply(([authUrl, username, password, project, userDomain, projectDomain, region]) => ({
          authUrl,
          username,
          password,
          project,
          userDomain,
          projectDomain,
          region,
        })),
    );
    ctx.outputs["devstack.dashboardUrl"] = host.dashboardUrl;
    ctx.outputs["devstack.authUrl"] = host.authUrl;
    ctx.outputs["devstack.adminPassword"] = host.adminPassword;
  },
});
