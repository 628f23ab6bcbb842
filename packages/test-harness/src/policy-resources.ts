// Feeding resources recorded by the Pulumi mock harness to @pulumi/policy policies, so a
// policy is tested against what real component programs register, not only hand-made objects.
//
// The mapping follows what the policy engine hands a pack: `validateResource` sees a resource's
// inputs; `validateStack` sees every resource with its outputs (here: inputs + the state the mock
// cloud returned + id), its parent and its dependencies as resources. What cannot be shown here:
// unknown values during a real preview (the engine passes them as sentinels that throw
// UnknownValueError when read), and `propertyDependencies` (the harness records dependencies
// per resource, not per property; they are left empty).
import type {
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { RecordedResource } from "./pulumi-mocks";

export interface Violation {
  message: string;
  urn?: string;
}

function optionsOf(r: RecordedResource): PolicyResourceOptions {
  return {
    protect: r.protect,
    ignoreChanges: r.ignoreChanges,
    deleteBeforeReplace: r.deleteBeforeReplace,
    aliases: [],
    additionalSecretOutputs: r.additionalSecretOutputs,
    customTimeouts: {
      createSeconds: 0,
      updateSeconds: 0,
      deleteSeconds: 0,
    },
  } as PolicyResourceOptions;
}

const typeOf = (cls: unknown): string | undefined => (cls as { __pulumiType?: string }).__pulumiType;

function notApplicable(reason?: string): never {
  throw new Error(`policy marked itself not applicable${reason ? `: ${reason}` : ""}`);
}

/** The argument bag `validateResource` receives for one recorded resource (props = inputs). */
export function resourceArgsOf(r: RecordedResource, config: object = {}): ResourceValidationArgs {
  return {
    type: r.type,
    props: r.inputs,
    urn: r.urn,
    name: r.name,
    opts: optionsOf(r),
    stackTags: new Map(),
    isType: (cls) => typeOf(cls) === r.type,
    asType: ((cls: unknown) => (typeOf(cls) === r.type ? r.inputs : undefined)) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

/** Every recorded resource as the PolicyResource graph `validateStack` receives (props = outputs). */
export function stackResourcesOf(records: RecordedResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  for (const r of records) {
    byUrn.set(r.urn, {
      type: r.type,
      props: { ...r.inputs, ...r.state, ...(r.custom && r.id ? { id: r.id } : {}) },
      urn: r.urn,
      name: r.name,
      opts: optionsOf(r),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => typeOf(cls) === r.type,
      asType: ((cls: unknown) =>
        typeOf(cls) === r.type ? byUrn.get(r.urn)!.props : undefined) as PolicyResource["asType"],
    });
  }
  for (const r of records) {
    const p = byUrn.get(r.urn)!;
    p.parent = byUrn.get(r.parent);
    p.dependencies = r.dependencies.map((u) => byUrn.get(u)).filter((d): d is PolicyResource => d !== undefined);
  }
  return [...byUrn.values()];
}

function collector(): { report: ReportViolation; violations: Violation[] } {
  const violations: Violation[] = [];
  return { violations, report: (message: string, urn?: string) => violations.push({ message, urn }) };
}

/** Runs a resource policy over each resource; returns the violations with the resource's URN. */
export async function validateResources(
  policy: ResourceValidationPolicy,
  records: RecordedResource[],
): Promise<Violation[]> {
  const all: Violation[] = [];
  const validations =
    policy.validateResource === undefined
      ? []
      : Array.isArray(policy.validateResource)
        ? policy.validateResource
        : [policy.validateResource];
  for (const r of records) {
    for (const validate of validations) {
      const { report, violations } = collector();
      await validate(resourceArgsOf(r), report);
      all.push(...violations.map((v) => ({ message: v.message, urn: r.urn })));
    }
  }
  return all;
}

/** Runs a stack policy over the recorded program. */
export async function validateStackOf(
  policy: StackValidationPolicy,
  records: RecordedResource[] | PolicyResource[],
): Promise<Violation[]> {
  const resources =
    records.length > 0 && "inputs" in records[0]
      ? stackResourcesOf(records as RecordedResource[])
      : (records as PolicyResource[]);
  const { report, violations } = collector();
  const args: StackValidationArgs = {
    resources,
    stackTags: new Map(),
    getConfig: <T extends object>() => ({}) as T,
    notApplicable,
  };
  await policy.validateStack(args, report);
  return violations;
}
