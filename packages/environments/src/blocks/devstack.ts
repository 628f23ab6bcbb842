// `openstack-blueprints:devstack`: DevStack on a host over SSH. It provides the OpenStack
// provider it creates (devstackProvider), the cloud everything on it waits for, and its admin's
// credentials; the blocks that use them run after it.
import * as pulumi from "@pulumi/pulumi";
import { DevstackHost, devstackProvider, devstackHostArgsSchema } from "@openstack-blueprints/components";
import { defineBlock, strictConfig } from "../block";

/** The stack's devstack value is DevstackHost's args, checked with the component's own schema. */
export const devstackSpec = strictConfig(devstackHostArgsSchema);

export const devstackBlock = defineBlock({
  key: "devstack",
  component: "DevstackHost",
  description: "An all-in-one DevStack on a host over SSH; its OpenStack provider is used by every later block.",
  holdsSecrets: true,
  schema: devstackSpec,
  provides: ["provider", "cloud", "credentials"],
  run: (spec, _inputs, environment) => {
    const host = new DevstackHost(`${environment}-devstack`, {
      ...spec,
      connection: { ...spec.connection, privateKey: pulumi.secret(spec.connection.privateKey) },
    });
    const byName = (names: string[], ids: pulumi.Output<string[]>) =>
      new Map(names.map((n, i) => [n, ids.apply((all) => all[i])]));
    const credentials = pulumi.secret(
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
    return {
      provided: {
        provider: devstackProvider(host),
        cloud: {
          ready: host,
          quotas: spec.quotas,
          imageIds: byName(
            (spec.images ?? []).map((i) => i.name),
            host.imageIds,
          ),
          flavorIds: byName(
            (spec.flavors ?? []).map((f) => f.name),
            host.flavorIds,
          ),
        },
        credentials,
      },
      outputs: {
        "devstack.dashboardUrl": host.dashboardUrl,
        "devstack.authUrl": host.authUrl,
        "devstack.adminPassword": host.adminPassword,
      },
    };
  },
});
