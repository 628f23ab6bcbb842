// A building block of an environment: one top-level stack config key, validated by its zod
// schema, deployed by one function that creates components.
import * as pulumi from "@pulumi/pulumi";
import type { PrivateNetwork, ProjectLimits, S2DCloudArgs, SecurityProfile } from "@openstack-blueprints/components";
import { z } from "zod";

/** What earlier blocks made, for later ones (e.g. DevstackHost's provider, networks by name). */
export interface CompositionContext {
  /** The stack's environment kind, e.g. "office"; prefixes resource names. */
  environment: string;
  /** OpenStack provider for everything after it (set by a block that builds a cloud, e.g. devstack). */
  provider?: pulumi.ProviderResource;
  /**
   * Credentials of that cloud (secret), for components that talk to OpenStack's APIs themselves
   * (XrdpDesktopImage's baker). Undefined: the cloud of OS_CLOUD / OS_* where Pulumi runs.
   */
  credentials?: pulumi.Output<S2DCloudArgs>;
  /**
   * Set by a block that builds the cloud (devstack): the resource everything after it waits for
   * (the provider alone is not enough: images and flavors are made after it), and the IDs of the
   * images and flavors it made, by name.
   */
  cloud?: {
    ready: pulumi.Resource;
    imageIds: Map<string, pulumi.Output<string>>;
    flavorIds: Map<string, pulumi.Output<string>>;
    /** The quotas that block set on the project (later blocks check what they declare against them). */
    quotas?: ProjectLimits;
  };
  networks: Map<string, PrivateNetwork>;
  securityProfiles: Map<string, SecurityProfile>;
  /** Stack outputs, keyed "<block>.<name>.<output>". */
  outputs: Record<string, pulumi.Output<unknown>>;
}

export interface EnvironmentBlock {
  /** Top-level config key, `openstack-blueprints:<key>`. */
  key: string;
  /** The component(s) it builds, for errors and docs. */
  component: string;
  description: string;
  /** zod schema of the key's value. */
  schema: z.ZodType;
  /** The value carries secrets (`secure:` entries): never printed in config errors. */
  holdsSecrets?: boolean;
  deploy: (values: unknown, ctx: CompositionContext) => void;
}

/** Typed constructor for a wired block. */
export function defineBlock<S extends z.ZodType>(block: {
  key: string;
  component: string;
  description: string;
  schema: S;
  holdsSecrets?: boolean;
  deploy: (values: z.infer<S>, ctx: CompositionContext) => void;
}): EnvironmentBlock {
  return block as EnvironmentBlock;
}

/** Resource options that put a block's components on the context's provider, after the cloud is ready. */
export function providerOptions(
  ctx: CompositionContext,
  ...dependsOn: pulumi.Resource[]
): pulumi.ComponentResourceOptions {
  const deps = [...(ctx.cloud ? [ctx.cloud.ready] : []), ...dependsOn];
  return { ...(ctx.provider ? { providers: [ctx.provider] } : {}), ...(deps.length ? { dependsOn: deps } : {}) };
}
