/**
 * The real Pulumi engine for tests: the CLI, the Node.js language host and the providers that
 * scripts/engine/build-engine.sh built from Go modules, run against minicloud with a local
 * (file) backend and a passphrase secrets provider. Nothing is downloaded: plugins come from
 * the engine's bin folder, which is put first on PATH.
 *
 * A program runs from a copy of its folder under <repo>/.engine-runs/<name>/ so that the
 * workspace's node_modules resolve (as they do for the examples in place) while the stack files
 * the CLI writes (Pulumi.<stack>.yaml with the encryption salt) stay out of the sources.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

export const REPO_ROOT = path.resolve(__dirname, "../..");
export const RUNS_DIR = path.join(REPO_ROOT, ".engine-runs");
const BUILD_SCRIPT = path.join(REPO_ROOT, "scripts/engine/build-engine.sh");

/** The engine's bin folder if it has been built (build-engine.sh --print-bin), else undefined. */
export function engineBinDir(): string | undefined {
  if (process.env.BLUEPRINTS_ENGINE_BIN) return process.env.BLUEPRINTS_ENGINE_BIN;
  const r = spawnSync("bash", [BUILD_SCRIPT, "--print-bin"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Call in before(): fails under CI (BLUEPRINTS_CI=1), skips elsewhere, when the engine is missing. */
export function requireEngine(ctx: Mocha.Context): string {
  const bin = engineBinDir();
  if (bin && fs.existsSync(path.join(bin, "pulumi"))) return bin;
  unavailableHere(ctx, "the Pulumi engine is not built here (run scripts/engine/build-engine.sh; .ci/run does)");
}

const YAML_HOST_SCRIPT = path.join(REPO_ROOT, "scripts/engine/build-yaml-host.sh");

/** The YAML language host's bin folder if built (build-yaml-host.sh --print-bin), else undefined. */
export function yamlHostBinDir(): string | undefined {
  if (process.env.BLUEPRINTS_YAML_HOST_BIN) return process.env.BLUEPRINTS_YAML_HOST_BIN;
  const r = spawnSync("bash", [YAML_HOST_SCRIPT, "--print-bin"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Call in before() of Pulumi YAML programs: fails under CI (BLUEPRINTS_CI=1), skips elsewhere, when the host is missing. */
export function requireYamlHost(ctx: Mocha.Context): string {
  const bin = yamlHostBinDir();
  if (bin && fs.existsSync(path.join(bin, "pulumi-language-yaml"))) return bin;
  unavailableHere(
    ctx,
    "the YAML language host is not built here (run scripts/engine/build-yaml-host.sh; .ci/run does)",
  );
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time of the command in milliseconds. */
  ms: number;
}

/** One `pulumi preview --json` step. */
export interface PreviewStep {
  op: string;
  urn: string;
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff?: Record<string, { kind: string; inputDiff?: boolean }>;
  newState?: { type: string; inputs?: Record<string, unknown> };
  oldState?: { type: string; inputs?: Record<string, unknown> };
}

export interface PreviewResult {
  steps: PreviewStep[];
  changeSummary: Record<string, number>;
  diagnostics?: Array<{ message: string; severity: string; urn?: string }>;
}

export interface StackOptions {
  /**
   * The program's folder (a Pulumi project). Copied into .engine-runs/<runName> unless
   * `inPlace` is set (the root program, whose stackConfigDir is stacks/).
   */
  programDir: string;
  /** Run the program where it is; its stack file is written to its stack config folder and removed by remove(). */
  inPlace?: boolean;
  /** Folder name under .engine-runs; also the stack's name. */
  runName: string;
  /** Cloud from clouds.yaml the provider uses (OS_CLOUD). */
  cloud?: string;
  /** Plain config values (`pulumi config set`), e.g. { "openstack-blueprints:imageName": "debian-12" }. */
  config?: Record<string, string>;
  /** Structured config, written as a stack file's `config:` map (values as in stacks/Pulumi.*.yaml). */
  stackFileConfig?: Record<string, unknown>;
  /** Extra environment for every command. */
  env?: Record<string, string>;
  /** Per-command time limit; the command is killed after it. */
  timeoutMs?: number;
  /** More folders of plugins, on PATH after the engine's (the YAML language host's). */
  extraBinDirs?: string[];
}

/** Resource name part of a URN (the last `::` segment). */
export function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** An OpenStack resource of a stack's state, as the leftover check asks the cloud about it. */
export interface CloudResource {
  /** The Pulumi type, e.g. openstack:compute/instance:Instance. */
  type: string;
  /** The resource's ID in OpenStack. */
  id: string;
  /** The resource's Pulumi name (the last URN segment). */
  name: string;
}

/** A stack's state as `pulumi stack export` prints it (the parts the tests read). */
export interface StackState {
  deployment: { resources?: Array<{ urn: string; type: string; id?: string; outputs?: Record<string, unknown> }> };
}

/**
 * Dynamic resources of the components whose ID is an OpenStack object's (cloud-checks.ts asks the
 * cloud about them like the provider's own): XrdpDesktopImage's bake is a Glance image.
 */
export const CLOUD_DYNAMIC_TYPES: readonly string[] = ["pulumi-nodejs:dynamic/desktop-image:BakedImage"];

/** The OpenStack resources of a state: what must be gone from the cloud after destroy. */
export function cloudResources(state: StackState): CloudResource[] {
  return (state.deployment.resources ?? [])
    .filter((r) => r.id && (r.type.startsWith("openstack:") || CLOUD_DYNAMIC_TYPES.includes(r.type)))
    .map((r) => ({ type: r.type, id: r.id!, name: urnName(r.urn) }));
}

/** Type part of a URN. */
export function urnType(urn: string): string {
  const parts = urn.split("::");
  const types = parts[2].split("$");
  return types[types.length - 1];
}

/**
 * A stack of one program on the local backend. Its state lives in <run>/.state, its plugin
 * cache in <run>/.pulumi-home (kept empty: nothing is installed there).
 */
export class EngineStack {
  /** .engine-runs/<runName>: state, plugin home and (unless in place) the program's copy. */
  readonly runDir: string;
  /** Where the CLI runs: the copy, or the program's own folder when in place. */
  readonly workDir: string;
  readonly stack: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;

  constructor(
    readonly binDir: string,
    readonly opts: StackOptions,
  ) {
    this.runDir = path.join(RUNS_DIR, opts.runName);
    this.workDir = opts.inPlace ? opts.programDir : this.runDir;
    this.stack = opts.runName;
    this.timeoutMs = opts.timeoutMs ?? 15 * 60_000;
    this.env = {
      ...process.env,
      PATH: [binDir, ...(opts.extraBinDirs ?? []), process.env.PATH].join(":"),
      PULUMI_HOME: path.join(this.runDir, ".pulumi-home"),
      PULUMI_BACKEND_URL: `file://${path.join(this.runDir, ".state")}`,
      // The local backend's secrets provider; a test-only passphrase (state lives in this folder).
      PULUMI_CONFIG_PASSPHRASE: "engine-test-passphrase",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      NO_COLOR: "1",
      ...(opts.cloud ? { OS_CLOUD: opts.cloud } : {}),
      ...opts.env,
    };
    // The test process's mocha/ts-node settings must not leak into the program's node.
    delete this.env.TS_NODE_PROJECT;
    delete this.env.NODE_OPTIONS;
  }

  /** Copies the program (unless in place), creates the stack and sets its config. */
  async init(): Promise<void> {
    await this.destroyKeptState();
    fs.rmSync(this.runDir, { recursive: true, force: true });
    fs.mkdirSync(this.runDir, { recursive: true });
    if (!this.opts.inPlace) {
      fs.cpSync(this.opts.programDir, this.workDir, {
        recursive: true,
        filter: (src) => !src.split(path.sep).includes("node_modules"),
      });
    }
    fs.mkdirSync(path.join(this.runDir, ".state"), { recursive: true });
    fs.mkdirSync(path.join(this.runDir, ".pulumi-home"), { recursive: true });
    await this.ok(["stack", "init", "--secrets-provider", "passphrase"]);
    if (this.opts.stackFileConfig) {
      // The stack file holds the encryption salt `stack init` wrote; add the config beside it.
      const file = this.stackFile();
      const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
      doc.config = { ...(doc.config ?? {}), ...this.opts.stackFileConfig };
      fs.writeFileSync(file, stringify(doc));
    }
    for (const [key, value] of Object.entries(this.opts.config ?? {})) {
      await this.ok(["config", "set", key, value]);
    }
  }

  /**
   * A run folder left by an earlier run whose teardown failed keeps its state on purpose (see
   * tearDownStack): emptying it would forget what is still in the cloud. Destroy that stack first;
   * when that fails too, refuse, naming the folder.
   */
  private async destroyKeptState(): Promise<void> {
    if (!fs.existsSync(path.join(this.runDir, ".state")) || !fs.existsSync(path.join(this.workDir, "Pulumi.yaml")))
      return;
    const exported = await this.run(["stack", "export"]);
    if (exported.code !== 0) return; // no stack in that state folder: nothing to forget
    const kept = cloudResources(JSON.parse(exported.stdout) as StackState);
    if (kept.length === 0) return;
    const destroyed = await this.run(["destroy", "--yes", "--skip-preview"]);
    if (destroyed.code !== 0)
      throw new Error(
        `${this.runDir} holds the state of an earlier run with ${kept.length} cloud resources ` +
          `(${kept.map((r) => `${r.type} ${r.id}`).join(", ")}), and pulumi destroy of it exited ${destroyed.code}: ` +
          `${destroyed.stderr.slice(-1500)}\nDestroy that stack by hand (pulumi destroy in ${this.workDir} with its ` +
          "PULUMI_BACKEND_URL/passphrase), or delete those resources, then remove the folder.",
      );
  }

  /** The stack's settings file (Pulumi.<stack>.yaml in the project's stack config folder). */
  stackFile(): string {
    const project = parse(fs.readFileSync(path.join(this.workDir, "Pulumi.yaml"), "utf8")) as {
      stackConfigDir?: string;
    };
    return path.join(this.workDir, project.stackConfigDir ?? ".", `Pulumi.${this.stack}.yaml`);
  }

  /** Runs `pulumi <args>` in the program's folder. */
  run(args: string[], stdin?: string): Promise<CommandResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn(path.join(this.binDir, "pulumi"), [...args, "--stack", this.stack, "--non-interactive"], {
        cwd: this.workDir,
        env: this.env,
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      const timer = setTimeout(() => child.kill("SIGKILL"), this.timeoutMs);
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (signal) stderr += `\n[killed by ${signal} after ${Date.now() - started} ms]`;
        resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
      });
      child.stdin.end(stdin ?? "");
    });
  }

  /** Runs and fails with the command's output when it exits non-zero. */
  async ok(args: string[], stdin?: string): Promise<CommandResult> {
    const r = await this.run(args, stdin);
    if (r.code !== 0)
      throw new Error(
        `pulumi ${args.join(" ")} exited ${r.code}\n${engineErrors(r.stdout) || tail(r.stdout)}\n${tail(r.stderr)}`,
      );
    return r;
  }

  /** `pulumi preview --json` (with --refresh when asked); fails when the preview fails. */
  async preview(extra: string[] = []): Promise<PreviewResult & { ms: number }> {
    const r = await this.ok(["preview", "--json", "--diff", ...extra]);
    return { ...(JSON.parse(r.stdout) as PreviewResult), ms: r.ms };
  }

  async up(extra: string[] = []): Promise<CommandResult & { summary: Record<string, number> }> {
    const r = await this.ok(["up", "--yes", "--skip-preview", "--json", ...extra]);
    return { ...r, summary: parseSummary(r.stdout) };
  }

  /** `pulumi refresh --preview-only --json`: what a refresh would change (drift). */
  async refreshPreview(): Promise<PreviewResult> {
    const r = await this.ok(["refresh", "--preview-only", "--json"]);
    return JSON.parse(r.stdout) as PreviewResult;
  }

  async destroy(): Promise<CommandResult & { summary: Record<string, number> }> {
    const r = await this.ok(["destroy", "--yes", "--skip-preview", "--json"]);
    return { ...r, summary: parseSummary(r.stdout) };
  }

  async outputs(): Promise<Record<string, unknown>> {
    const r = await this.ok(["stack", "output", "--json", "--show-secrets"]);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  async plainOutputs(): Promise<string> {
    return (await this.ok(["stack", "output", "--json"])).stdout;
  }

  /** The stack's state as the CLI exports it. */
  async exportState(): Promise<StackState> {
    return JSON.parse((await this.ok(["stack", "export"])).stdout) as StackState;
  }

  /** The OpenStack resources the stack's state holds now (for the leftover check after destroy). */
  async cloudResources(): Promise<CloudResource[]> {
    return cloudResources(await this.exportState());
  }

  /** Removes the run folder (state included). Call after destroy. */
  async remove(): Promise<void> {
    await this.run(["stack", "rm", "--yes", "--force"]);
    if (this.opts.inPlace) fs.rmSync(this.stackFile(), { force: true });
    fs.rmSync(this.runDir, { recursive: true, force: true });
  }

  /** Edits the copied program (a meaningful change for an update test). */
  editProgram(file: string, edit: (text: string) => string): void {
    const p = path.join(this.workDir, file);
    const before = fs.readFileSync(p, "utf8");
    const after = edit(before);
    if (after === before) throw new Error(`editProgram(${file}): the edit changed nothing`);
    fs.writeFileSync(p, after);
  }
}

/**
 * The resource changes of `up --json`/`destroy --json`: an event stream, one JSON object a
 * line, whose `summaryEvent` counts the operations.
 */
function parseSummary(stdout: string): Record<string, number> {
  for (const line of stdout.split("\n").reverse()) {
    if (!line.includes('"summaryEvent"')) continue;
    const event = JSON.parse(line) as { summaryEvent: { resourceChanges?: Record<string, number> } };
    return event.summaryEvent.resourceChanges ?? {};
  }
  throw new Error(`no summaryEvent in the engine's output:\n${tail(stdout, 20)}`);
}

/**
 * The error and warning diagnostics of a `--json` run (a preview document or an event stream),
 * one a line: what a failed command said, without the thousands of lines of its steps.
 */
export function engineErrors(stdout: string): string {
  const messages: string[] = [];
  const collect = (d: { severity?: string; message?: string; urn?: string }) => {
    if (d.severity === "error" || d.severity === "warning")
      messages.push(`${d.severity}: ${d.urn ? `${urnName(d.urn)}: ` : ""}${(d.message ?? "").trim()}`);
  };
  try {
    const doc = JSON.parse(stdout) as { diagnostics?: Array<{ severity?: string; message?: string; urn?: string }> };
    (doc.diagnostics ?? []).forEach(collect);
  } catch {
    for (const line of stdout.split("\n")) {
      if (!line.includes('"diagnosticEvent"')) continue;
      try {
        collect(
          (JSON.parse(line) as { diagnosticEvent: { severity?: string; message?: string; urn?: string } })
            .diagnosticEvent,
        );
      } catch {
        /* a partial line */
      }
    }
  }
  return messages.filter((m) => !m.includes("from $PATH at")).join("\n");
}

function tail(text: string, lines = 60): string {
  return text.split("\n").slice(-lines).join("\n");
}

/** Counts of a preview's operations other than `same`. */
export function changes(summary: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(summary).filter(([op, n]) => op !== "same" && n > 0));
}
