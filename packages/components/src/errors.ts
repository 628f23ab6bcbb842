import * as pulumi from "@pulumi/pulumi";
import { inspect } from "node:util";

/**
 * One problem with a component's input: which field (a path such as `employees[2].name`),
 * the value given, and how to fix it.
 */
export interface ArgsProblem {
  field: string;
  value?: unknown;
  /** What is wrong and, where there is one, the fix ("is not a CIDR; use e.g. 10.0.0.0/24"). */
  problem: string;
}

function showValue(value: unknown): string {
  if (value === undefined) return "(not set)";
  if (pulumi.Output.isInstance(value)) return "(an Output)";
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
}

/**
 * The one error type for bad component input. It is Pulumi's `InputPropertiesError`, so the
 * engine shows one line per property; its message also lists every problem, so it reads well
 * outside the engine (unit tests, the `blueprints check` CLI, a TypeScript program, where the
 * language host prints only the message). Plans collect every problem and throw once, before
 * any resource is registered.
 */
export class ComponentArgsError extends pulumi.InputPropertiesError {
  /**
   * Set by the components' provider process (src/provider.ts): there the engine prints each
   * property error itself ("property <path> with value <value> has a problem: <reason>") after
   * the message, so the message is only the component and the count, not the list a second time.
   */
  static engineListsProperties = false;

  readonly component: string;
  readonly problems: ArgsProblem[];

  constructor(component: string, problems: ArgsProblem[]) {
    const lines = problems.map((p) => `${p.field}: ${showValue(p.value)} ${p.problem}`);
    super({
      message: ComponentArgsError.engineListsProperties
        ? `${component}: ${problems.length} invalid argument${problems.length === 1 ? "" : "s"}`
        : `${component}: invalid arguments:\n  - ${lines.join("\n  - ")}`,
      // The engine shows the property's value before the reason; the reason is the problem alone.
      errors: problems.map((p) => ({ propertyPath: p.field, reason: p.problem })),
    });
    this.name = "ComponentArgsError";
    this.component = component;
    this.problems = problems;
  }

  /**
   * How Node prints the error, and so how `pulumi preview`/`up` show it: the Node.js language
   * host reports an uncaught error with `util.inspect`, which would add our stack frames and
   * dump `errors` and `problems` after the message (every problem three times, in colour
   * codes). The message already names the component and each field, value and fix.
   */
  [inspect.custom](): string {
    return `${this.name}: ${this.message}`;
  }
}

/**
 * Collects problems while a plan checks its input; `throwIfAny` throws one ComponentArgsError
 * with all of them.
 */
export class ArgsProblems {
  readonly list: ArgsProblem[] = [];
  constructor(readonly component: string) {}

  add(field: string, value: unknown, problem: string): void {
    this.list.push({ field, value, problem });
  }

  /** Adds every issue of a failed zod parse, with `prefix` before each path. */
  addZodIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>, input: unknown, prefix = ""): void {
    for (const issue of issues) {
      const field = prefix + formatPath(issue.path);
      this.add(field || "(args)", valueAt(input, issue.path), issue.message);
    }
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ComponentArgsError(this.component, this.list);
  }
}

/** `["employees", 2, "name"]` → `employees[2].name`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** The value at `path` in `input` (as zod reports paths), or undefined where there is none. */
export function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = input;
  for (const part of path) {
    if (v === null || v === undefined || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[part];
  }
  return v;
}
