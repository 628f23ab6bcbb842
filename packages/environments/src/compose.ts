// The root program: the stack's config → one environment built from blocks.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, StackConfigError, loadStackConfig } from "@openstack-blueprints/components";
import { z } from "zod";
import { CompositionContext } from "./block";
import { BLOCKS, ENVIRONMENTS, blockByKey } from "./registry";
import { stackReachabilityProblems } from "./reachability";

/** zod schema of the whole stack config (namespace openstack-blueprints). */
export function rootConfigSchema() {
  const kinds = Object.keys(ENVIRONMENTS);
  const shape: Record<string, z.ZodType> = {
    environment: z
      .string()
      .refine((v) => kinds.includes(v), { message: `is not one of ${kinds.map((k) => JSON.stringify(k)).join(", ")}` }),
  };
  for (const block of BLOCKS) shape[block.key] = block.schema.optional();
  return z.object(shape).strict();
}

/**
 * What the environment kind requires and allows, checked on the keys present (not inside zod,
 * whose object refinements only run once every block's value is valid: both kinds of problem
 * are reported together).
 */
export function environmentProblems(raw: Record<string, string>, namespace = CONFIG_NAMESPACE): string[] {
  const environment = raw.environment;
  const kind = environment === undefined ? undefined : ENVIRONMENTS[environment];
  if (!kind) return [];
  const problems: string[] = [];
  for (const key of kind.required) {
    if (raw[key] === undefined)
      problems.push(`${namespace}:${key}: is required by environment ${environment} (${blockByKey(key).component})`);
  }
  for (const block of BLOCKS) {
    if (raw[block.key] !== undefined && !kind.required.includes(block.key) && !kind.optional.includes(block.key)) {
      problems.push(
        `${namespace}:${block.key}: has no place in environment ${environment}; it takes ${[...kind.required, ...kind.optional].join(", ")}`,
      );
    }
  }
  return problems;
}

/** Top-level keys whose values may hold secrets. */
export function secretConfigKeys(): string[] {
  return BLOCKS.filter((b) => b.holdsSecrets).map((b) => b.key);
}

export interface ComposeOptions {
  /** Raw config instead of the running stack's (tools). */
  raw?: Record<string, string>;
}

export interface ComposedEnvironment {
  environment: string;
  outputs: Record<string, pulumi.Output<unknown>>;
  context: CompositionContext;
}

/** Builds the environment of the running stack (or of `options.raw`). */
export function composeEnvironment(options: ComposeOptions = {}): ComposedEnvironment {
  const raw =
    options.raw ??
    Object.fromEntries(
      Object.entries(pulumi.runtime.allConfig())
        .filter(([k]) => k.startsWith(`${CONFIG_NAMESPACE}:`))
        .map(([k, v]) => [k.slice(CONFIG_NAMESPACE.length + 1), v]),
    );
  const kindProblems = environmentProblems(raw);
  let values: Record<string, unknown>;
  try {
    values = loadStackConfig(rootConfigSchema(), { secretKeys: secretConfigKeys(), raw }).values;
  } catch (e) {
    if (e instanceof StackConfigError) throw new StackConfigError([...kindProblems, ...e.problems]);
    throw e;
  }
  if (kindProblems.length > 0) throw new StackConfigError(kindProblems);
  // Before any block deploys: a desktop pool its thin clients cannot reach is refused, not built.
  const reachability = stackReachabilityProblems(values);
  if (reachability.length > 0) throw new StackConfigError(reachability);
  const environment = String(values.environment);
  const context: CompositionContext = { environment, networks: new Map(), securityProfiles: new Map(), outputs: {} };
  const present = BLOCKS.filter((b) => values[b.key] !== undefined);
  for (const block of present) block.deploy(values[block.key], context);
  return { environment, outputs: context.outputs, context };
}
