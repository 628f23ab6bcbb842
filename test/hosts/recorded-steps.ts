/**
 * Turns the resources a program registered under the Pulumi mock harness into RemoteSteps:
 * the `command:remote:Command` records become steps, and their dependencies are mapped onto
 * other commands the way the engine orders them:
 *  - a dependency on another command is kept;
 *  - a dependency on a component resource means "after all of its children" (Pulumi waits for a
 *    component's descendants), so it becomes every command below that component;
 *  - a dependency on any other resource (a Port, a random password…) is followed through that
 *    resource's own dependencies, transitively.
 * The record type is the minimal subset of the harness's records we need, so this works with
 * packages/test-harness/src/pulumi-mocks.ts and with any recorder that provides these fields.
 */
import { RemoteConnection, RemoteStep } from "./remote-runner";

export const REMOTE_COMMAND_TYPE = "command:remote:Command";

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  inputs: Record<string, unknown>;
  /** URN of the parent resource, if any. */
  parent?: string;
  /** URNs this resource depends on (explicit dependsOn + implicit from inputs). */
  dependencies: string[];
  /** Whether it is a custom resource (false for components); optional. */
  custom?: boolean;
  /** The resource option customTimeouts, as Go durations ("30m", "1h30m"). */
  customTimeouts?: { create?: string; update?: string; delete?: string };
  /** The resource option deletedWith: a URN, or "" / undefined for none. */
  deletedWith?: string;
}

/** Milliseconds of a Go duration string as Pulumi's customTimeouts take ("1h30m", "45s", "500ms"). */
export function durationMs(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text)
    throw new Error(`"${text}" is not a duration like 30m or 1h30m`);
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]], 0);
}

/** Pulumi's wire form of a secret, as mocks may see it. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

function unwrap(value: unknown): unknown {
  if (value && typeof value === "object" && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG_VALUE) {
    return (value as Record<string, unknown>).value;
  }
  return value;
}

function optionalString(record: RecordedResource, field: string): string | undefined {
  const value = unwrap(record.inputs[field]);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string")
    throw new Error(`${record.name}: input ${field} is not a string (${typeof value}); was an output left unresolved?`);
  return value;
}

function connectionOf(record: RecordedResource): RemoteConnection {
  const raw = unwrap(record.inputs.connection) as Record<string, unknown> | undefined;
  if (!raw || typeof raw !== "object") throw new Error(`${record.name}: remote.Command without a connection`);
  const field = (name: string): unknown => unwrap(raw[name]);
  const host = field("host");
  if (typeof host !== "string" || host === "") throw new Error(`${record.name}: connection.host is missing`);
  const port = field("port");
  return {
    host,
    port: port === undefined ? undefined : Number(port),
    user: typeof field("user") === "string" ? (field("user") as string) : undefined,
    privateKey: typeof field("privateKey") === "string" ? (field("privateKey") as string) : undefined,
    hostKey: typeof field("hostKey") === "string" ? (field("hostKey") as string) : undefined,
  };
}

function environmentOf(record: RecordedResource): Record<string, string> | undefined {
  const raw = unwrap(record.inputs.environment);
  if (raw === undefined || raw === null) return undefined;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) env[k] = String(unwrap(v));
  return env;
}

/** Selects the remote commands of a recorded program and maps their dependencies (see module comment). */
export function stepsFromRecordedResources(records: RecordedResource[]): RemoteStep[] {
  const byUrn = new Map(records.map((r) => [r.urn, r]));
  const isCommand = (r: RecordedResource | undefined) => r?.type === REMOTE_COMMAND_TYPE;
  const childrenOf = new Map<string, RecordedResource[]>();
  for (const r of records) {
    if (r.parent) childrenOf.set(r.parent, [...(childrenOf.get(r.parent) ?? []), r]);
  }
  // Without a `custom` flag, a resource with children is taken for a component.
  const isComponent = (r: RecordedResource) =>
    r.custom === false ||
    (r.custom === undefined && (childrenOf.has(r.urn) || r.type.startsWith("openstack-blueprints:")));

  const commandsBelow = (urn: string, seen: Set<string>): string[] => {
    const out: string[] = [];
    for (const child of childrenOf.get(urn) ?? []) {
      if (seen.has(child.urn)) continue;
      seen.add(child.urn);
      if (isCommand(child)) out.push(child.urn);
      out.push(...commandsBelow(child.urn, seen));
    }
    return out;
  };

  const expand = (urn: string, seen: Set<string>): string[] => {
    if (seen.has(urn)) return [];
    seen.add(urn);
    const target = byUrn.get(urn);
    if (!target) return [];
    if (isCommand(target)) return [urn];
    const out: string[] = [];
    if (isComponent(target)) out.push(...commandsBelow(urn, new Set()));
    for (const dep of target.dependencies) out.push(...expand(dep, seen));
    return out;
  };

  return records.filter(isCommand).map((record) => {
    const deps = new Set<string>();
    for (const dep of record.dependencies) for (const urn of expand(dep, new Set([record.urn]))) deps.add(urn);
    deps.delete(record.urn);
    return {
      urn: record.urn,
      name: record.name,
      create: optionalString(record, "create"),
      update: optionalString(record, "update"),
      delete: optionalString(record, "delete"),
      stdin: optionalString(record, "stdin"),
      environment: environmentOf(record),
      connection: connectionOf(record),
      dependsOn: [...deps],
      timeoutMs: record.customTimeouts?.create ? durationMs(record.customTimeouts.create) : undefined,
      deletedWith: record.deletedWith || undefined,
    };
  });
}
