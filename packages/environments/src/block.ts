// A building block of an environment: one top-level stack config key, validated by its zod
// schema, run by one function that creates components. Blocks hand each other values only
// through what they declare: `needs` (must be provided by another block of the stack), `uses`
// (taken when another block provides it) and `provides`. compose.ts orders the blocks by these
// declarations and passes each block exactly what it declared.
import * as pulumi from "@pulumi/pulumi";
import type { PrivateNetwork, ProjectLimits, S2DCloudArgs, SecurityProfile } from "@openstack-blueprints/components";
import { z } from "zod";

/** A cloud a block built (DevStack): what everything on it waits for, and what it made by name. */
export interface BuiltCloud {
  /**
   * The resource everything on the cloud waits for (the provider alone is not enough: images
   * and flavors are made after it).
   */
  ready: pulumi.Resource;
  imageIds: ReadonlyMap<string, pulumi.Output<string>>;
  flavorIds: ReadonlyMap<string, pulumi.Output<string>>;
  /** The quotas it set on the project (the desktop pool checks what it declares against them). */
  quotas?: ProjectLimits;
}

/** Everything one block can hand to another, by name. */
export interface Provided {
  /** OpenStack provider of the cloud a block built; absent: the cloud of OS_CLOUD / OS_* where Pulumi runs. */
  provider: pulumi.ProviderResource;
  /**
   * Credentials of that cloud (secret), for components that talk to OpenStack's APIs themselves
   * (XrdpDesktopImage's baker).
   */
  credentials: pulumi.Output<S2DCloudArgs>;
  cloud: BuiltCloud;
  /** The stack's networks, by their key under `networks`. */
  networks: ReadonlyMap<string, PrivateNetwork>;
  /** The stack's security profiles, by their key under `securityProfiles`. */
  securityProfiles: ReadonlyMap<string, SecurityProfile>;
}
export type ProvidedKey = keyof Provided;
export const PROVIDED_KEYS: readonly ProvidedKey[] = [
  "provider",
  "credentials",
  "cloud",
  "networks",
  "securityProfiles",
];

/** What a block receives: what it needs, and what it uses when the stack has it. */
export type BlockInputs<N extends ProvidedKey, U extends ProvidedKey> = Pick<Provided, N> & Partial<Pick<Provided, U>>;

/** What a block returns: exactly what it declared it provides, and its stack outputs. */
export type BlockResult<P extends ProvidedKey> = {
  /** Stack outputs, keyed "<block>.<name>.<output>". */
  outputs: Record<string, pulumi.Output<unknown>>;
} & ([P] extends [never] ? { provided?: undefined } : { provided: Pick<Provided, P> });

/** A block as compose.ts sees it (types erased; defineBlock checks them). */
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
  /** Values another block of the stack must provide. */
  needs: readonly ProvidedKey[];
  /** Values taken when another block of the stack provides them (it then runs after that block). */
  uses: readonly ProvidedKey[];
  provides: readonly ProvidedKey[];
  /** `environment`: the stack's environment kind, e.g. "office"; prefixes resource names. */
  run: (
    spec: unknown,
    inputs: Partial<Provided>,
    environment: string,
  ) => { outputs: Record<string, pulumi.Output<unknown>>; provided?: Partial<Provided> };
}

/** Typed constructor for a block: `run` gets its parsed spec and only what it declared. */
export function defineBlock<
  S extends z.ZodType,
  N extends ProvidedKey = never,
  U extends ProvidedKey = never,
  P extends ProvidedKey = never,
>(block: {
  key: string;
  component: string;
  description: string;
  schema: S;
  holdsSecrets?: boolean;
  needs?: readonly N[];
  uses?: readonly U[];
  provides?: readonly P[];
  run: (spec: z.infer<S>, inputs: BlockInputs<N, U>, environment: string) => BlockResult<P>;
}): EnvironmentBlock {
  return {
    ...block,
    needs: block.needs ?? [],
    uses: block.uses ?? [],
    provides: block.provides ?? [],
    run: block.run as EnvironmentBlock["run"],
  };
}

/** Resource options that put a block's components on the built cloud's provider, after the cloud is ready. */
export function providerOptions(
  inputs: Partial<Pick<Provided, "provider" | "cloud">>,
  ...dependsOn: pulumi.Resource[]
): pulumi.ComponentResourceOptions {
  const deps = [...(inputs.cloud ? [inputs.cloud.ready] : []), ...dependsOn];
  return {
    ...(inputs.provider ? { providers: [inputs.provider] } : {}),
    ...(deps.length ? { dependsOn: deps } : {}),
  };
}

/**
 * Makes every object in a component's args schema refuse keys it does not know, so a misspelt
 * stack setting is reported (components take their args as given; a stack file is typed by hand).
 * Refinements and messages are kept.
 */
export function strictConfig<T extends z.ZodType>(schema: T): T {
  if (schema instanceof z.ZodObject) {
    const shape = Object.fromEntries(
      Object.entries(schema.shape as Record<string, z.ZodType>).map(([k, v]) => [k, strictConfig(v)]),
    );
    return schema.safeExtend(shape).strict() as unknown as T;
  }
  const def = schema._zod.def as unknown as Record<string, unknown>;
  if (schema instanceof z.ZodArray)
    return schema.clone({ ...def, element: strictConfig(schema.element as z.ZodType) } as never);
  if (schema instanceof z.ZodRecord)
    return schema.clone({ ...def, valueType: strictConfig(schema.valueType as z.ZodType) } as never);
  if (def.innerType instanceof z.ZodType)
    return schema.clone({ ...def, innerType: strictConfig(def.innerType) } as never) as T;
  return schema;
}
