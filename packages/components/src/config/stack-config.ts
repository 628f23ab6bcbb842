// Reading a stack's configuration (Pulumi.<stack>.yaml) and validating it with zod, so a
// typo fails the preview with the key path, the bad value and what is allowed, e.g.
//   openstack-blueprints:network.cidr: "192.168.1.0/33" is not an IPv4 CIDR (e.g. 192.168.1.0/24)
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { formatPath, valueAt } from "../errors";

export const CONFIG_NAMESPACE = "openstack-blueprints";

export class StackConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`invalid stack configuration:\n  ${problems.join("\n  ")}`);
    this.name = "StackConfigError";
  }
}

export interface LoadStackConfigOptions {
  /** Config namespace; default "openstack-blueprints". */
  namespace?: string;
  /** Top-level keys that hold secrets: never printed in errors, returned wrapped as secrets. */
  secretKeys?: string[];
  /** Raw values instead of the running stack's config (for tools and tests). */
  raw?: Record<string, string>;
}

export interface LoadedStackConfig<T> {
  /** The validated values (secret keys included, as plain values: pass them on via `secret`). */
  values: T;
  /** A validated secret value as a Pulumi secret Output. */
  secret<K extends keyof T>(key: K): pulumi.Output<T[K]>;
}

/** Turns zod issues into one line each: `<ns>:<path>: <value> <problem>`. */
export function formatConfigIssues(
  namespace: string,
  issues: z.core.$ZodIssue[],
  raw: unknown,
  secretKeys: string[] = [],
): string[] {
  return issues.map((issue) => {
    const where = `${namespace}:${formatPath(issue.path)}`;
    const value = valueAt(raw, issue.path);
    const secret = secretKeys.includes(String(issue.path[0]));
    if (value === undefined && issue.code === "invalid_type") {
      return `${where}: is required; set it with \`pulumi config set ${issue.path.length === 1 ? "" : "--path "}${where}${secret ? " --secret" : ""} <value>\``;
    }
    if (issue.code === "unrecognized_keys") {
      return `${where}: has unknown setting(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; check the spelling`;
    }
    const shown = secret ? "[secret]" : JSON.stringify(value);
    const message = /^(is|has|must|opens|needs|contains|overlaps) /.test(issue.message)
      ? issue.message
      : `is invalid: ${issue.message}`;
    // A missing key (e.g. one a cross-field rule requires) has no value to show.
    return value === undefined ? `${where}: ${message}` : `${where}: ${shown} ${message}`;
  });
}

function parseRawValue(text: string): unknown {
  // Structured values are stored as JSON by `pulumi config set --path`; plain ones as text.
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Reads every key of `schema` from the stack config, validates, and throws StackConfigError. */
export function loadStackConfig<S extends z.ZodObject>(
  schema: S,
  options: LoadStackConfigOptions = {},
): LoadedStackConfig<z.infer<S>> {
  const namespace = options.namespace ?? CONFIG_NAMESPACE;
  const secretKeys = options.secretKeys ?? [];
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  const known = new Set(Object.keys(schema.shape));

  const source: Record<string, string> =
    options.raw ??
    Object.fromEntries(
      Object.entries(pulumi.runtime.allConfig())
        .filter(([k]) => k.startsWith(`${namespace}:`))
        .map(([k, v]) => [k.slice(namespace.length + 1), v]),
    );
  for (const [key, text] of Object.entries(source)) {
    if (!known.has(key)) {
      problems.push(`${namespace}:${key}: is not a known setting; known settings are ${[...known].join(", ")}`);
      continue;
    }
    raw[key] = parseRawValue(text);
  }

  const result = schema.safeParse(raw);
  if (!result.success) problems.push(...formatConfigIssues(namespace, result.error.issues, raw, secretKeys));
  if (problems.length > 0) throw new StackConfigError(problems);

  const values = result.data as z.infer<S>;
  return {
    values,
    secret: (key) => {
      if (!secretKeys.includes(String(key))) {
        throw new Error(
          `${namespace}:${String(key)} is not declared in secretKeys; declare it so errors never print it`,
        );
      }
      return pulumi.secret(values[key]) as pulumi.Output<z.infer<S>[typeof key]>;
    },
  };
}
