/**
 * Runs host commands for the test-host library. Everything is asynchronous so that guests,
 * SSH steps and the apt proxy make progress side by side in one test process.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";

export interface RunOptions {
  /** Bytes written to the command's standard input (then closed). Secrets go here, never in argv. */
  input?: string;
  /** Extra environment variables (merged into this process's environment). */
  env?: Record<string, string>;
  cwd?: string;
  /** Kill the command (SIGKILL) after this many milliseconds. */
  timeoutMs?: number;
  /** Do not throw on a non-zero exit status; the caller inspects `exitCode`. */
  allowFailure?: boolean;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export class CommandFailedError extends Error {
  constructor(
    public readonly argv: string[],
    public readonly result: RunResult,
  ) {
    super(
      `command failed (exit ${result.exitCode}): ${argv.map((arg) => (arg.length > 120 ? `${arg.slice(0, 100)}…[${arg.length} chars]` : arg)).join(" ")}\n` +
        `--- stdout ---\n${tail(result.stdout)}\n--- stderr ---\n${tail(result.stderr)}`,
    );
  }
}

/** The last lines of a (possibly long) output, for error messages. */
export function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split("\n");
  return (all.length > lines ? [`… (${all.length - lines} lines omitted)`, ...all.slice(-lines)] : all).join("\n");
}

/** Runs argv[0] with the rest as arguments (no shell). Rejects on a non-zero exit unless allowFailure. */
export function run(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, options.timeoutMs);
    child.on("error", (error) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`cannot run ${argv[0]}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      const result: RunResult = {
        exitCode: code ?? 128 + (signal === "SIGKILL" ? 9 : 15),
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8") + (timedOut ? `\n[killed after ${options.timeoutMs} ms]` : ""),
        durationMs: Date.now() - started,
      };
      if (result.exitCode !== 0 && !options.allowFailure) reject(new CommandFailedError(argv, result));
      else resolve(result);
    });
    // A command that does not read its stdin closes the pipe early; that is not an error.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/** Runs a bash script (passed on stdin of `bash -s`, so nothing of it lands in argv). */
export function bash(
  script: string,
  options: Omit<RunOptions, "input"> & { args?: string[] } = {},
): Promise<RunResult> {
  return run(["bash", "-s", "--", ...(options.args ?? [])], { ...options, input: script });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Thrown by a waitFor probe to stop waiting at once (e.g. the guest died). */
export class StopWaiting extends Error {}

/** Polls `probe` until it returns a value other than undefined, or throws after timeoutMs. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof StopWaiting) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

/** True when a process with this pid exists (and is not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
