/**
 * Runs the remote commands a Pulumi program declares (`@pulumi/command` remote.Command) over REAL
 * SSH, in dependency order, the way the command provider and the Pulumi engine would:
 *  - a step starts when every step it depends on has succeeded; independent steps run in parallel;
 *  - a failed step's dependents never run; by default (like `pulumi up` without
 *    --continue-on-error) no new step starts after a failure, steps already running finish;
 *  - the command string goes to the remote user's shell (session.Run), stdin is piped, and
 *    `environment` is offered with SetEnv like the provider's session.Setenv — the server applies
 *    only names its AcceptEnv allows (Debian: LANG LC_*) and silently drops the others, exactly as
 *    with the real provider;
 *  - the host key must match the pinned one (OpenSSH, StrictHostKeyChecking=yes); the private key
 *    lives in a 0600 temp file, never in argv.
 * What it does not do: the provider's Pulumi-side diffing (which inputs trigger a re-run). A
 * "second run" here re-executes every step (update, else create) to prove the scripts idempotent.
 */
import { run } from "./process";
import { SshConnection, sshArgs } from "./ssh-client";

export interface RemoteConnection {
  host: string;
  port?: number;
  user?: string;
  privateKey?: string;
  /** Pinned host key ("ssh-ed25519 AAAA…"). @pulumi/command 4.5.0 has no such input: pass hostKeys. */
  hostKey?: string;
}

export interface RemoteStep {
  urn: string;
  name: string;
  create?: string;
  update?: string;
  delete?: string;
  stdin?: string;
  environment?: Record<string, string>;
  connection: RemoteConnection;
  /** URNs of steps (in the same list) this step waits for. */
  dependsOn: string[];
  /** Kill the step after this many ms (the resource's customTimeouts.create); default from the run options. */
  timeoutMs?: number;
  /**
   * URN of the resource option `deletedWith`: when that step is deleted in the same run, the
   * engine does not call this one's delete (it goes with the other), and neither does the runner.
   */
  deletedWith?: string;
}

export type Phase = "create" | "update" | "delete";

export interface StepResult {
  urn: string;
  name: string;
  /**
   * "ok", "failed", "skipped" (a dependency failed or the run stopped), "noop" (no command for the
   * phase, or deleted with another step of the same delete run: see RemoteStep.deletedWith).
   */
  status: "ok" | "failed" | "skipped" | "noop";
  exitCode?: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** The `changed: …` lines the step printed (the remote-script helpers print them). */
  changed: string[];
  /** Why a skipped step did not run. */
  reason?: string;
  startedAt?: number;
  finishedAt?: number;
}

export interface RunReport {
  phase: Phase;
  ok: boolean;
  results: StepResult[];
  /** Step names in the order they started. */
  startOrder: string[];
  durationMs: number;
}

export interface RunOptions {
  /** Which command to run: create (default), update (falls back to create, as the provider does), delete (reverse order). */
  phase?: Phase;
  /** Pinned host keys by connection host, for connections that carry none. */
  hostKeys?: Record<string, string>;
  /** Private key for connections that carry none (e.g. the test lab's client key). */
  privateKey?: string;
  /** Replace each step's connection (e.g. map a mock's fake IP to a test guest). */
  rewriteConnection?: (connection: RemoteConnection, step: RemoteStep) => RemoteConnection;
  /** Keep starting independent steps after a failure (pulumi up --continue-on-error). */
  continueOnError?: boolean;
  /** Maximum steps running at once (Pulumi's default parallelism is unbounded for small graphs); default 16. */
  parallel?: number;
  /** Default per-step timeout; default 20 minutes. */
  timeoutMs?: number;
  /** Called when a step finishes (for progress logs). */
  onResult?: (result: StepResult) => void;
}

/** Parses `changed: …` lines (stdout and stderr) as printed by the remote-script helpers. */
export function changedLines(output: string): string[] {
  return output
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^changed:/.test(line));
}

function validateGraph(steps: RemoteStep[]): Map<string, RemoteStep> {
  const byUrn = new Map<string, RemoteStep>();
  for (const step of steps) {
    if (byUrn.has(step.urn)) throw new Error(`remote steps: duplicate urn ${step.urn}`);
    byUrn.set(step.urn, step);
  }
  for (const step of steps) {
    for (const dep of step.dependsOn) {
      if (!byUrn.has(dep)) throw new Error(`remote step ${step.name} depends on ${dep}, which is not among the steps`);
    }
  }
  // Cycle check (depth-first).
  const state = new Map<string, "visiting" | "done">();
  const visit = (urn: string, trail: string[]) => {
    if (state.get(urn) === "done") return;
    if (state.get(urn) === "visiting")
      throw new Error(`remote steps form a cycle: ${[...trail, urn].map((u) => byUrn.get(u)?.name ?? u).join(" -> ")}`);
    state.set(urn, "visiting");
    for (const dep of byUrn.get(urn)!.dependsOn) visit(dep, [...trail, urn]);
    state.set(urn, "done");
  };
  for (const step of steps) visit(step.urn, []);
  return byUrn;
}

function resolveConnection(step: RemoteStep, options: RunOptions): SshConnection {
  const connection = options.rewriteConnection ? options.rewriteConnection(step.connection, step) : step.connection;
  const hostKey = connection.hostKey ?? options.hostKeys?.[connection.host];
  const privateKey = connection.privateKey ?? options.privateKey;
  if (!hostKey)
    throw new Error(
      `remote step ${step.name}: no pinned host key for ${connection.host}; pass hostKeys: { "${connection.host}": guest.hostKey }`,
    );
  if (!privateKey)
    throw new Error(
      `remote step ${step.name}: the connection to ${connection.host} has no privateKey; pass privateKey`,
    );
  return { host: connection.host, port: connection.port ?? 22, user: connection.user ?? "root", privateKey, hostKey };
}

async function executeStep(step: RemoteStep, command: string, options: RunOptions): Promise<StepResult> {
  const started = Date.now();
  const { args, dispose } = sshArgs(resolveConnection(step, options), step.environment ?? {});
  try {
    const result = await run([...args, "--", command], {
      input: step.stdin ?? "",
      allowFailure: true,
      timeoutMs: step.timeoutMs ?? options.timeoutMs ?? 20 * 60_000,
    });
    return {
      urn: step.urn,
      name: step.name,
      status: result.exitCode === 0 ? "ok" : "failed",
      exitCode: result.exitCode,
      stdout: result.stdout,
      stderr: result.stderr,
      durationMs: result.durationMs,
      changed: changedLines(`${result.stdout}\n${result.stderr}`),
      startedAt: started,
      finishedAt: Date.now(),
    };
  } finally {
    dispose();
  }
}

/** Runs the steps over SSH in dependency order; never throws for a failing step (see report.ok). */
export async function runRemoteSteps(steps: RemoteStep[], options: RunOptions = {}): Promise<RunReport> {
  const phase = options.phase ?? "create";
  const byUrn = validateGraph(steps);
  // Delete runs in reverse: a step is deleted after everything that depends on it.
  const waitsFor = new Map<string, string[]>();
  for (const step of steps) waitsFor.set(step.urn, []);
  for (const step of steps) {
    for (const dep of step.dependsOn) {
      if (phase === "delete") waitsFor.get(dep)!.push(step.urn);
      else waitsFor.get(step.urn)!.push(dep);
    }
  }
  // Resolve connections up front: a missing key is a setup error, not a step failure.
  for (const step of steps) resolveConnection(step, options);

  const started = Date.now();
  const results = new Map<string, StepResult>();
  const running = new Map<string, Promise<void>>();
  const startOrder: string[] = [];
  let stopped = false;
  const parallel = options.parallel ?? 16;

  const finish = (result: StepResult) => {
    results.set(result.urn, result);
    options.onResult?.(result);
  };

  for (;;) {
    let progressed = false;
    for (const step of steps) {
      if (results.has(step.urn) || running.has(step.urn)) continue;
      const deps = waitsFor.get(step.urn)!;
      const failedDep = deps.find((d) => {
        const r = results.get(d);
        return r && (r.status === "failed" || r.status === "skipped");
      });
      if (failedDep) {
        finish({
          urn: step.urn,
          name: step.name,
          status: "skipped",
          stdout: "",
          stderr: "",
          durationMs: 0,
          changed: [],
          reason: `${byUrn.get(failedDep)!.name} did not succeed`,
        });
        progressed = true;
        continue;
      }
      if (!deps.every((d) => results.has(d))) continue;
      if (stopped) continue;
      if (running.size >= parallel) continue;
      const command = phase === "update" ? (step.update ?? step.create) : step[phase];
      if (phase === "delete" && step.deletedWith && byUrn.has(step.deletedWith)) {
        finish({
          urn: step.urn,
          name: step.name,
          status: "noop",
          stdout: "",
          stderr: "",
          durationMs: 0,
          changed: [],
          reason: `deleted with ${byUrn.get(step.deletedWith)!.name}`,
        });
        progressed = true;
        continue;
      }
      if (!command) {
        finish({ urn: step.urn, name: step.name, status: "noop", stdout: "", stderr: "", durationMs: 0, changed: [] });
        progressed = true;
        continue;
      }
      startOrder.push(step.name);
      const promise = executeStep(step, command, options)
        .catch((error: Error): StepResult => ({
          urn: step.urn,
          name: step.name,
          status: "failed",
          exitCode: -1,
          stdout: "",
          stderr: error.message,
          durationMs: 0,
          changed: [],
        }))
        .then((result) => {
          finish(result);
          running.delete(step.urn);
          if (result.status === "failed" && !options.continueOnError) stopped = true;
        });
      running.set(step.urn, promise);
      progressed = true;
    }
    if (results.size === steps.length) break;
    if (running.size > 0) {
      await Promise.race(running.values());
      continue;
    }
    if (!progressed) {
      // Nothing runs and nothing can start: the run was stopped after a failure.
      for (const step of steps) {
        if (!results.has(step.urn)) {
          finish({
            urn: step.urn,
            name: step.name,
            status: "skipped",
            stdout: "",
            stderr: "",
            durationMs: 0,
            changed: [],
            reason: "not started: an earlier step failed (the run stops like pulumi up without --continue-on-error)",
          });
        }
      }
      break;
    }
  }
  const ordered = steps.map((s) => results.get(s.urn)!);
  return {
    phase,
    ok: ordered.every((r) => r.status === "ok" || r.status === "noop"),
    results: ordered,
    startOrder,
    durationMs: Date.now() - started,
  };
}

/** A short text of a report's failures, for assertion messages. */
export function describeFailures(report: RunReport): string {
  return report.results
    .filter((r) => r.status === "failed" || r.status === "skipped")
    .map((r) =>
      r.status === "skipped"
        ? `- ${r.name}: skipped (${r.reason})`
        : `- ${r.name}: exit ${r.exitCode}\n  stdout: ${r.stdout.trim().split("\n").slice(-15).join("\n          ")}\n  stderr: ${r.stderr.trim().split("\n").slice(-15).join("\n          ")}`,
    )
    .join("\n");
}

export interface TwiceReport {
  first: RunReport;
  second: RunReport;
  /** `changed:` lines of the second run, by step name (empty when the scripts are idempotent). */
  changedOnSecondRun: Record<string, string[]>;
}

/**
 * Runs the steps (create), then again (update, else create), and throws if either run fails.
 * With `allowChanges: false` (default) it also throws when the second run printed `changed:`
 * lines; set it to true to inspect `changedOnSecondRun` yourself.
 */
export async function runTwice(
  steps: RemoteStep[],
  options: Omit<RunOptions, "phase"> & { allowChanges?: boolean } = {},
): Promise<TwiceReport> {
  const first = await runRemoteSteps(steps, { ...options, phase: "create" });
  if (!first.ok) throw new Error(`first run failed:\n${describeFailures(first)}`);
  const second = await runRemoteSteps(steps, { ...options, phase: "update" });
  if (!second.ok) throw new Error(`second run failed (the steps are not idempotent):\n${describeFailures(second)}`);
  const changedOnSecondRun: Record<string, string[]> = {};
  for (const result of second.results) if (result.changed.length > 0) changedOnSecondRun[result.name] = result.changed;
  if (!options.allowChanges && Object.keys(changedOnSecondRun).length > 0) {
    throw new Error(`the second run changed things (not idempotent):\n${JSON.stringify(changedOnSecondRun, null, 2)}`);
  }
  return { first, second, changedOnSecondRun };
}
