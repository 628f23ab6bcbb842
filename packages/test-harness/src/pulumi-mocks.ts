// Pulumi mocks for unit tests of programs and components.
//
// What runs for real: Pulumi's own Node SDK (resource registration, Output plumbing,
// secrets, dependency tracking) against its mock monitor, and the dynamic providers that need
// no cloud (REAL_DYNAMIC_PROVIDERS: their own create/diff code). What is modelled: the cloud, by
// OpenStackModel (IDs, fixed IPs, Neutron/Nova refusals), and two things the engine does: it
// marks additionalSecretOutputs secret, and it keeps what those real providers made across
// runs (until forgetState()), asking their diff whether to make it again. What cannot run here:
// the Pulumi engine and CLI (no plans, no provider plugins) — tests say so where it matters.
//
// Usage:
//   const harness = installMocks();                 // once per test file, before creating resources
//   const run = await harness.runProgram(() => new PrivateNetwork("lab", {...}));
//   run.errors / run.resources / run.byType(T.subnet) / await outputValue(run.value.subnetId)
import * as pulumi from "@pulumi/pulumi";
import { CreateContext, ExistingCloud, OpenStackModel, T, defaultExistingCloud } from "./openstack-model";
import { desktopCredentialProvider } from "@openstack-blueprints/components/src/desktop/desktop-credential";
import { xrdpCertificateProvider } from "@openstack-blueprints/components/src/desktop/xrdp-certificate";
import { generatedSecretProvider } from "@openstack-blueprints/components/src/secrets/generated-secret";
import { unwrapSecretInputs } from "@openstack-blueprints/components/src/testing/index";

/**
 * Dynamic providers whose real code runs under the harness: they touch no cloud, so nothing
 * needs modelling (the desktop credential generates a password and hashes it; a generated secret
 * draws its value; an xrdp certificate makes a key and signs a certificate).
 */
const REAL_DYNAMIC_PROVIDERS: Record<string, pulumi.dynamic.ResourceProvider> = {
  [T.desktopCredential]: desktopCredentialProvider,
  [T.generatedSecret]: generatedSecretProvider,
  [T.xrdpCertificate]: xrdpCertificateProvider,
};

export { T, OpenStackApiError, commandStdout, defaultExistingCloud, freshDevstackCloud } from "./openstack-model";
export type { ExistingCloud } from "./openstack-model";

/** Everything the SDK told the (mock) engine about one resource. */
export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  id: string;
  custom: boolean;
  /** Inputs as the provider would receive them (secrets unwrapped; see secretPaths). */
  inputs: Record<string, any>;
  /** State the mock cloud returned (IDs, allocated IPs, ...). */
  state: Record<string, any>;
  /** Parent URN; for a top-level resource, the root stack's URN or "". */
  parent: string;
  /** Direct dependencies (explicit dependsOn plus resources whose outputs feed the inputs). */
  dependencies: string[];
  /** Dotted paths of inputs that arrived as Pulumi secrets, e.g. "stdin", "connection.privateKey". */
  secretPaths: string[];
  additionalSecretOutputs: string[];
  replaceOnChanges: string[];
  ignoreChanges: string[];
  deleteBeforeReplace: boolean;
  retainOnDelete: boolean;
  protect: boolean;
  deletedWith: string;
  provider: string;
  customTimeouts: { create?: string; update?: string; delete?: string };
  /** Order in which registrations reached the engine (0-based). */
  order: number;
  /** Where the program declared it, as the SDK reports it to the engine (file URI and line). */
  sourcePosition?: { uri: string; line: number };
}

export interface ProgramRun<T> {
  /** What the program function returned (e.g. the component), if it did not throw. */
  value?: T;
  /** An exception thrown synchronously by the program (validation before any resource). */
  thrown?: Error;
  /** Failures of resource registrations (what `pulumi up` would report as errors). */
  errors: Error[];
  resources: RecordedResource[];
  byType(type: string): RecordedResource[];
  byName(name: string): RecordedResource;
  childrenOf(urn: string): RecordedResource[];
  /** URNs this resource depends on, transitively. */
  dependsOnTransitively(urn: string): Set<string>;
  /**
   * What the program logged with pulumi.log.warn (a real engine shows these to the user). Kept
   * here instead of printed, so tests assert them and CI's log is not filled with the same
   * warning from every run; HARNESS_PRINT_WARNINGS=1 prints them as well.
   */
  warnings: string[];
}

export interface MockCall {
  token: string;
  inputs: Record<string, any>;
}

// The SDK's wire marker for a secret value (an SDK internal, like the register request's getters
// used below: why package.json pins @pulumi/pulumi exactly).
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

function secretPathsOf(value: unknown, path: string, out: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => secretPathsOf(v, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) {
      out.push(path);
      return;
    }
    for (const [k, v] of Object.entries(obj)) secretPathsOf(v, path ? `${path}.${k}` : k, out);
  }
}

function defaultNovaLimits(): Record<string, number> {
  return {
    maxTotalInstances: 10,
    maxTotalCores: 20,
    maxTotalRamSize: 51200,
    totalInstancesUsed: 0,
    totalCoresUsed: 0,
    totalRamUsed: 0,
  };
}

export class MockHarness {
  model: OpenStackModel;
  records: RecordedResource[] = [];
  calls: MockCall[] = [];
  errors: Error[] = [];
  private urnsById = new Map<string, string>();
  private byUrn = new Map<string, RecordedResource>();
  private pendingMeta = new Map<string, { parent: string; dependencies: string[]; req: any }>();
  /** What real dynamic providers made, by type::name: kept across runs, as the engine's state. */
  private engineState = new Map<string, { id: string; outs: Record<string, any> }>();
  /**
   * Nanoseconds spent answering the SDK (the mock cloud, real dynamic providers, calls): the
   * engine's and providers' side of a run, which a real deployment does in other processes.
   */
  engineNs = 0n;
  /**
   * The project's compute limits and use as Nova's GET /limits reports them (compute.getLimitsV2):
   * a fresh DevStack project's (10 instances, 20 cores, 50 GiB), nothing used. Tests set it
   * before runProgram (which keeps it) and put it back after.
   */
  novaLimits: Record<string, number> = defaultNovaLimits();
  /** Nova refuses GET /limits?tenant_id= (a member's credentials: policy limits:other_project). */
  novaLimitsForbidden = false;

  constructor(existing: ExistingCloud) {
    this.model = new OpenStackModel(existing);
  }

  /** Forget every resource: the next program starts against a fresh cloud. */
  reset(existing: ExistingCloud = defaultExistingCloud()): void {
    this.model = new OpenStackModel(existing);
    this.records = [];
    this.calls = [];
    this.errors = [];
    this.urnsById.clear();
    this.byUrn.clear();
    this.pendingMeta.clear();
  }

  private transitive(urns: Iterable<string>): Set<string> {
    const seen = new Set<string>();
    const byUrn = this.byUrn;
    const stack = [...urns];
    while (stack.length) {
      const u = stack.pop()!;
      if (seen.has(u)) continue;
      seen.add(u);
      const r = byUrn.get(u);
      if (r) stack.push(...r.dependencies);
    }
    return seen;
  }

  /** Forget what real dynamic providers made: the next run starts from an empty state. */
  forgetState(): void {
    this.engineState.clear();
  }

  /** Called by Pulumi's MockMonitor for each resource (see installMocks). */
  newResource(
    args: pulumi.runtime.MockResourceArgs,
  ): { id: string; state: Record<string, any> } | Promise<{ id: string; state: Record<string, any> }> {
    const started = process.hrtime.bigint();
    try {
      const meta = this.pendingMeta.get(`${args.type}::${args.name}`);
      const secretOutputs: string[] = meta?.req.getAdditionalsecretoutputsList() ?? [];
      const real = REAL_DYNAMIC_PROVIDERS[args.type];
      if (real) return this.runRealProvider(real, args).then((r) => markSecret(r, secretOutputs));
      return markSecret(this.createInModel(args, meta), secretOutputs);
    } finally {
      this.engineNs += process.hrtime.bigint() - started;
    }
  }

  /**
   * The engine's steps for a dynamic resource, with the provider's own code: unchanged inputs
   * (per its diff) keep what was made before; otherwise create (or update when it allows).
   */
  private async runRealProvider(provider: pulumi.dynamic.ResourceProvider, args: pulumi.runtime.MockResourceArgs) {
    const key = `${args.type}::${args.name}`;
    // Secret inputs arrive plain, as the engine sends them (the dynamic provider refuses secrets).
    const { __provider: _serialized, ...inputs } = unwrapSecretInputs(args.inputs) as Record<string, any>;
    const old = this.engineState.get(key);
    if (old) {
      const diff = provider.diff ? await provider.diff(old.id, old.outs, inputs) : { changes: true, replaces: [] };
      if (diff.changes === false) return { id: old.id, state: old.outs };
      if ((diff.replaces ?? []).length === 0 && provider.update) {
        const updated = await provider.update(old.id, old.outs, inputs);
        const outs = { ...inputs, ...(updated.outs ?? {}) };
        this.engineState.set(key, { id: old.id, outs });
        return { id: old.id, state: outs };
      }
    }
    const created = await provider.create(inputs);
    const outs = { ...inputs, ...(created.outs ?? {}) };
    this.engineState.set(key, { id: created.id, outs });
    return { id: created.id, state: outs };
  }

  private createInModel(
    args: pulumi.runtime.MockResourceArgs,
    meta: { dependencies: string[] } | undefined,
  ): { id: string; state: Record<string, any> } {
    // The transitive closure is computed only when a check needs it (floating IPs): doing
    // it for every resource made large programs quadratic.
    let closure: Set<string> | undefined;
    const ctx: CreateContext = {
      type: args.type,
      name: args.name,
      inputs: args.inputs,
      dependsOn: (urn) => (closure ??= this.transitive(meta?.dependencies ?? [])).has(urn),
      urnOfId: (id) => this.urnsById.get(id),
    };
    if (!args.custom) return { id: "", state: {} };
    return this.model.create(ctx);
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    this.calls.push({ token: args.token, inputs: args.inputs });
    const started = process.hrtime.bigint();
    try {
      return this.answerCall(args);
    } catch (e) {
      // The SDK drops an invoke's message on the way back; keep it for the test.
      this.errors.push(e instanceof Error ? e : new Error(String(e)));
      throw e;
    } finally {
      this.engineNs += process.hrtime.bigint() - started;
    }
  }

  private answerCall(args: pulumi.runtime.MockCallArgs): Record<string, any> {
    const i = args.inputs;
    switch (args.token) {
      case "openstack:networking/getNetwork:getNetwork": {
        const n = this.model.findNetwork({ name: i.name, networkId: i.networkId, external: i.external });
        return { id: n.id, name: n.name, external: n.external, subnets: n.subnetIds, region: "RegionOne" };
      }
      case "openstack:networking/getSubnet:getSubnet": {
        const s = this.model.findSubnet({ subnetId: i.subnetId, name: i.name });
        return { id: s.id, name: s.name, cidr: s.cidr, gatewayIp: s.gatewayIp ?? "", networkId: s.networkId };
      }
      case "openstack:compute/getFlavor:getFlavor": {
        const f = this.model.findFlavor({ name: i.name, flavorId: i.flavorId });
        return { id: f.id, name: f.name, vcpus: f.vcpus, ram: f.ram, disk: f.disk, extraSpecs: f.extraSpecs ?? {} };
      }
      case "openstack:images/getImage:getImage": {
        const img = this.model.findImage({ name: i.name });
        return { id: img.id, name: img.name };
      }
      case "openstack:identity/getAuthScope:getAuthScope":
        return { id: i.name, name: i.name, projectId: "mock-project", projectName: "demo", userId: "mock-user" };
      case "openstack:compute/getLimitsV2:getLimitsV2":
        if (this.novaLimitsForbidden)
          throw new Error(
            'Expected HTTP response code [200] when accessing [GET /v2.1/limits?tenant_id=mock-project], but got 403 instead: {"forbidden": {"code": 403, "message": "Policy doesn\'t allow os_compute_api:limits:other_project to be performed."}}',
          );
        return { id: i.projectId, projectId: i.projectId, region: "RegionOne", ...this.novaLimits };
      case "openstack:compute/getQuotaSetV2:getQuotaSetV2":
        return {
          id: i.projectId,
          projectId: i.projectId,
          instances: this.novaLimits.maxTotalInstances,
          cores: this.novaLimits.maxTotalCores,
          ram: this.novaLimits.maxTotalRamSize,
        };
      default:
        throw new Error(
          `harness: no mock for data source ${args.token}; add it to packages/test-harness/src/pulumi-mocks.ts`,
        );
    }
  }

  /** Wraps the mock monitor's registerResource to see what the SDK sends the engine. */
  attach(monitor: any): void {
    if (monitor.__blueprintsHarness) {
      monitor.__blueprintsHarness = this;
      return;
    }
    monitor.__blueprintsHarness = this;
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) => {
      const harness: MockHarness = monitor.__blueprintsHarness;
      const key = `${req.getType()}::${req.getName()}`;
      harness.pendingMeta.set(key, { parent: req.getParent(), dependencies: req.getDependenciesList(), req });
      original(req, (err: any, resp: any) => {
        if (err) {
          harness.errors.push(err instanceof Error ? err : new Error(String(err)));
        } else {
          harness.record(req, resp);
        }
        callback(err, resp);
      });
    };
  }

  private record(req: any, resp: any): void {
    const raw = req.getObject()?.toJavaScript() ?? {};
    const secretPaths: string[] = [];
    secretPathsOf(raw, "", secretPaths);
    const urn: string = resp.getUrn();
    const id: string = resp.getId();
    const timeouts = req.getCustomtimeouts();
    const rec: RecordedResource = {
      type: req.getType(),
      name: req.getName(),
      urn,
      id,
      custom: req.getCustom(),
      inputs: unwrapSecrets(raw),
      state: unwrapSecrets(resp.getObject()?.toJavaScript() ?? {}),
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      secretPaths,
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      replaceOnChanges: req.getReplaceonchangesList(),
      ignoreChanges: req.getIgnorechangesList(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      retainOnDelete: req.getRetainondelete() ?? false,
      protect: req.getProtect() ?? false,
      deletedWith: req.getDeletedwith(),
      provider: req.getProvider(),
      customTimeouts: timeouts
        ? {
            create: timeouts.getCreate() || undefined,
            update: timeouts.getUpdate() || undefined,
            delete: timeouts.getDelete() || undefined,
          }
        : {},
      order: this.records.length,
      sourcePosition: sourcePositionOf(req),
    };
    if (this.byUrn.has(urn)) {
      this.errors.push(new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`));
    }
    this.records.push(rec);
    this.byUrn.set(urn, rec);
    if (id) this.urnsById.set(id, urn);
  }

  /**
   * Runs a program against a fresh cloud and waits until every registration has settled.
   * Registration failures are collected, not thrown, so a test can assert on them.
   */
  async runProgram<T>(program: () => T, existing: ExistingCloud = defaultExistingCloud()): Promise<ProgramRun<T>> {
    this.reset(existing);
    let value: T | undefined;
    let thrown: Error | undefined;
    const swallow = (reason: unknown) => {
      // Rejected outputs of failed registrations surface here; they are already in `errors`.
      if (!this.errors.some((e) => e.message === (reason as Error)?.message)) {
        this.errors.push(reason instanceof Error ? reason : new Error(String(reason)));
      }
    };
    process.on("unhandledRejection", swallow);
    // Without an engine, pulumi.log.warn writes "warning: [runtime] <message>" with console.warn.
    const warnings: string[] = [];
    const consoleWarn = console.warn;
    const PREFIX = "warning: [runtime] ";
    console.warn = (...parts: unknown[]) => {
      const line = parts.map(String).join(" ");
      if (!line.startsWith(PREFIX) || process.env.HARNESS_PRINT_WARNINGS === "1") consoleWarn(...parts);
      if (line.startsWith(PREFIX)) warnings.push(line.slice(PREFIX.length));
    };
    try {
      try {
        value = program();
      } catch (e) {
        thrown = e instanceof Error ? e : new Error(String(e));
      }
      await waitForRegistrations();
    } finally {
      // Let rejections that were queued during the last tick reach the handler first.
      await new Promise((r) => setImmediate(r));
      process.off("unhandledRejection", swallow);
      console.warn = consoleWarn;
    }
    const records = [...this.records];
    const errors = [...this.errors];
    const byUrn = new Map(records.map((r) => [r.urn, r]));
    return {
      value,
      thrown,
      errors,
      resources: records,
      warnings,
      byType: (type) => records.filter((r) => r.type === type),
      byName: (name) => {
        const r = records.find((x) => x.name === name);
        if (!r) throw new Error(`no resource named ${name}; have: ${records.map((x) => x.name).join(", ")}`);
        return r;
      },
      childrenOf: (urn) => records.filter((r) => r.parent === urn),
      dependsOnTransitively: (urn) => {
        const start = byUrn.get(urn);
        const out = this.transitive(start ? start.dependencies : []);
        return out;
      },
    };
  }
}

function sourcePositionOf(req: any): { uri: string; line: number } | undefined {
  const position = req.getSourceposition?.();
  return position ? { uri: position.getUri(), line: position.getLine() } : undefined;
}

/** What the engine does with additionalSecretOutputs: those output properties come back secret. */
function markSecret(
  result: { id: string; state: Record<string, any> },
  secretOutputs: string[],
): { id: string; state: Record<string, any> } {
  if (secretOutputs.length === 0) return result;
  const state = { ...result.state };
  for (const key of secretOutputs) {
    if (key in state && state[key] !== undefined && !(state[key]?.[SIG_KEY] === SECRET_SIG))
      state[key] = { [SIG_KEY]: SECRET_SIG, value: state[key] };
  }
  return { id: result.id, state };
}

function unwrapSecrets(value: any): any {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object") {
    if (value[SIG_KEY] === SECRET_SIG) return unwrapSecrets(value.value);
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(value)) out[k] = unwrapSecrets(v);
    return out;
  }
  return value;
}

async function waitForRegistrations(): Promise<void> {
  // The SDK chains every RPC (registrations and their outputs) onto one promise; wait until
  // it stops growing. `waitForRPCs` is the SDK's own (internal) way of doing that at exit.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- an SDK internal module, not in the package's typed exports
  const settings = require("@pulumi/pulumi/runtime/settings");
  for (let i = 0; i < 3; i++) {
    await settings.waitForRPCs();
    await new Promise((r) => setImmediate(r));
  }
}

let installed: MockHarness | undefined;

/**
 * Installs the mocks (once per process) and returns the harness. `preview: false` so that
 * values computed by the mock cloud (IDs, IPs) reach `apply` callbacks.
 */
export function installMocks(): MockHarness {
  if (!installed) installed = new MockHarness(defaultExistingCloud());
  const harness = installed;
  pulumi.runtime.setMocks(
    {
      newResource: (args) => harness.newResource(args),
      call: (args) => harness.call(args),
    },
    "openstack-blueprints",
    "test",
    false,
  );
  harness.attach(pulumi.runtime.getMonitor());
  return harness;
}

/** The value of an Output, once known. */
export function outputValue<T>(output: pulumi.Input<T> | undefined): Promise<T> {
  return new Promise((resolve) =>
    pulumi.output(output as pulumi.Input<T>).apply((v) => {
      resolve(v as T);
      return v;
    }),
  );
}

/** Whether an Output is marked secret. */
export function outputIsSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/** Every string anywhere inside a value (inputs of a record), for "no plain secret" checks. */
export function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => allStrings(v, out));
  else if (value !== null && typeof value === "object") Object.values(value).forEach((v) => allStrings(v, out));
  return out;
}
