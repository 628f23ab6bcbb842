// The root program: the stack's config → one environment built from blocks.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, StackConfigError, loadStackConfig } from "@openstack-blueprints/components";
import { z } from "zod";
import { type EnvironmentBlock, type Provided, type ProvidedKey } from "./block";
import { BLOCKS, ENVIRONMENTS, blockByKey } from "./registry";
import { stackReachabilityProblems } from "./reachability";
import { stackVolumeProblems } from "./volumes";

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

/**
 * The stack's blocks in the order their declarations impose: a block runs after every block that
 * provides what it needs or uses; blocks that do not depend on each other keep the order given.
 * Throws a StackConfigError naming the block and setting when a need has no provider in the
 * stack, and the blocks involved when two provide the same value or they need each other.
 */
export function orderBlocks(
  present: readonly EnvironmentBlock[],
  known: readonly EnvironmentBlock[] = BLOCKS,
  namespace = CONFIG_NAMESPACE,
): EnvironmentBlock[] {
  const providerOf = new Map<ProvidedKey, EnvironmentBlock>();
  const problems: string[] = [];
  for (const block of present) {
    for (const value of block.provides) {
      const other = providerOf.get(value);
      if (other)
        problems.push(
          `${namespace}:${block.key}: provides ${value}, as ${namespace}:${other.key} does; a stack takes one of them`,
        );
      else providerOf.set(value, block);
    }
  }
  for (const block of present) {
    for (const value of block.needs) {
      if (providerOf.has(value)) continue;
      const from = known.filter((b) => b.provides.includes(value)).map((b) => `${namespace}:${b.key}`);
      problems.push(
        `${namespace}:${block.key}: needs ${value}, which no block of this stack provides; ${
          from.length > 0 ? `add ${from.join(" or ")}` : "no known block provides it"
        }`,
      );
    }
  }
  if (problems.length > 0) throw new StackConfigError(problems);

  const after = new Map(
    present.map((block) => [
      block,
      new Set(
        [...block.needs, ...block.uses]
          .map((value) => providerOf.get(value))
          .filter((p): p is EnvironmentBlock => p !== undefined && p !== block),
      ),
    ]),
  );
  const ordered: EnvironmentBlock[] = [];
  const remaining = [...present];
  while (remaining.length > 0) {
    const next = remaining.findIndex((block) => [...after.get(block)!].every((dep) => ordered.includes(dep)));
    if (next < 0) {
      // Name the blocks on a cycle (each reaches itself through what it waits for), not those merely behind one.
      const waitsFor = (block: EnvironmentBlock) => [...after.get(block)!].filter((d) => !ordered.includes(d));
      const reachesItself = (start: EnvironmentBlock) => {
        const seen = new Set<EnvironmentBlock>();
        const stack = waitsFor(start);
        while (stack.length > 0) {
          const b = stack.pop()!;
          if (b === start) return true;
          if (!seen.has(b)) {
            seen.add(b);
            stack.push(...waitsFor(b));
          }
        }
        return false;
      };
      const onCycle = remaining.filter(reachesItself);
      const waits = onCycle.map(
        (block) =>
          `${block.key} waits for ${waitsFor(block)
            .map((d) => d.key)
            .join(", ")}`,
      );
      throw new StackConfigError([
        `${namespace}: blocks ${onCycle.map((b) => b.key).join(", ")} need each other (${waits.join("; ")}); no order can build them`,
      ]);
    }
    ordered.push(...remaining.splice(next, 1));
  }
  return ordered;
}

/** Runs the blocks in order, each given only what it declared; checks each returns what it declared. */
export function runBlocks(
  ordered: readonly EnvironmentBlock[],
  values: Record<string, unknown>,
  environment: string,
): { outputs: Record<string, pulumi.Output<unknown>>; provided: Partial<Provided> } {
  const provided: Partial<Record<ProvidedKey, unknown>> = {};
  const outputs: Record<string, pulumi.Output<unknown>> = {};
  for (const block of ordered) {
    const inputs = Object.fromEntries(
      [...block.needs, ...block.uses].filter((k) => provided[k] !== undefined).map((k) => [k, provided[k]]),
    );
    const result = block.run(values[block.key], inputs, environment);
    const given = Object.keys(result.provided ?? {}).filter(
      (k) => (result.provided as Record<string, unknown>)[k] !== undefined,
    );
    const undeclared = given.filter((k) => !block.provides.includes(k as ProvidedKey));
    const missing = block.provides.filter((k) => !given.includes(k));
    if (undeclared.length > 0 || missing.length > 0) {
      throw new Error(
        `block ${block.key} declares it provides [${block.provides.join(", ")}] but returned [${given.join(", ")}]`,
      );
    }
    Object.assign(provided, result.provided);
    Object.assign(outputs, result.outputs);
  }
  return { outputs, provided: provided as Partial<Provided> };
}

export interface ComposeOptions {
  /** Raw config instead of the running stack's (tools). */
  raw?: Record<string, string>;
  /** The blocks to compose from (tests); default BLOCKS. */
  blocks?: readonly EnvironmentBlock[];
}

export interface ComposedEnvironment {
  environment: string;
  outputs: Record<string, pulumi.Output<unknown>>;
  /** The keys of the blocks that ran, in the order they ran. */
  order: string[];
  /** What the blocks provided each other. */
  provided: Partial<Provided>;
}

export interface CheckedStackConfig {
  /** Every problem, each naming its config key; empty when the stack can be built. */
  problems: string[];
  /** The blocks in the order they run (when there are no problems). */
  ordered?: EnvironmentBlock[];
  /** The validated values (when there are no problems). */
  values?: Record<string, unknown>;
}

/**
 * Validates a stack's config (keys without the namespace, values as the engine passes them) and
 * reports every problem at once: what the environment kind requires, what the blocks need from
 * each other, each value against its schema, whether the thin clients can reach the desktops,
 * and whether DevStack's project is given quotas for the desktops' volumes. Pure and offline, so `blueprints check` runs it on a stack file without Pulumi;
 * secret values are never printed.
 */
export function checkStackConfig(
  raw: Record<string, string>,
  blocks: readonly EnvironmentBlock[] = BLOCKS,
): CheckedStackConfig {
  // What the kind requires and what the present blocks need, with the values' own problems: all at once.
  const problems = environmentProblems(raw);
  let ordered: EnvironmentBlock[] = [];
  try {
    ordered = orderBlocks(
      blocks.filter((b) => raw[b.key] !== undefined),
      blocks,
    );
  } catch (e) {
    if (!(e instanceof StackConfigError)) throw e;
    problems.push(...e.problems);
  }
  let values: Record<string, unknown>;
  try {
    values = loadStackConfig(rootConfigSchema(), { secretKeys: secretConfigKeys(), raw }).values;
  } catch (e) {
    if (e instanceof StackConfigError) return { problems: [...problems, ...e.problems] };
    throw e;
  }
  if (problems.length > 0) return { problems };
  // Before any block runs: a desktop pool its thin clients cannot reach is refused, not built.
  // …and so is one whose home volumes DevStack's project would not allow (stopping mid-way).
  const crossBlock = [...stackReachabilityProblems(values), ...stackVolumeProblems(values)];
  if (crossBlock.length > 0) return { problems: crossBlock };
  return { problems: [], ordered, values };
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
  const blocks = options.blocks ?? BLOCKS;
  const checked = checkStackConfig(raw, blocks);
  if (checked.problems.length > 0) throw new StackConfigError(checked.problems);
  const { ordered, values } = checked as Required<CheckedStackConfig>;
  const environment = String(values.environment);
  const { outputs, provided } = runBlocks(ordered, values, environment);
  return { environment, outputs, order: ordered.map((b) => b.key), provided };
}
