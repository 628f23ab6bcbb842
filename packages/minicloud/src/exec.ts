/** Runs short commands (apt, *-manage, SQL) synchronously; secrets go in via stdin only. */
import { spawn, spawnSync } from "child_process";

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Allowed exit codes besides 0. */
  okCodes?: number[];
  timeoutMs?: number;
}

export function run(argv: string[], opts: RunOptions = {}): string {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error("run: empty command");
  const res = spawnSync(cmd, args, {
    input: opts.input,
    env: { ...process.env, ...opts.env },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 30 * 60 * 1000,
  });
  if (res.error) throw new Error(`${argv.join(" ")}: ${res.error.message}`);
  const code = res.status ?? -1;
  if (code !== 0 && !(opts.okCodes ?? []).includes(code)) {
    const out = `${res.stdout ?? ""}${res.stderr ?? ""}`.trim().split("\n").slice(-25).join("\n");
    throw new Error(`${argv.join(" ")} exited ${code}${res.signal ? ` (${res.signal})` : ""}:\n${out}`);
  }
  return res.stdout ?? "";
}

export function commandSucceeds(argv: string[]): boolean {
  const [cmd, ...args] = argv;
  if (!cmd) return false;
  const res = spawnSync(cmd, args, { stdio: "ignore" });
  return res.status === 0;
}

/** Like `run`, but without blocking the event loop, so independent steps can overlap. */
export function runAsync(argv: string[], opts: RunOptions = {}): Promise<string> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error("runAsync: empty command"));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.stdin.end(opts.input ?? "");
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30 * 60 * 1000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(" ")}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0 || (code !== null && (opts.okCodes ?? []).includes(code))) resolve(out);
      else {
        const tail = out.trim().split("\n").slice(-25).join("\n");
        reject(new Error(`${argv.slice(0, 4).join(" ")} exited ${code}${signal ? ` (${signal})` : ""}:\n${tail}`));
      }
    });
  });
}
