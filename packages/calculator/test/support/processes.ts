import { ChildProcess, spawn } from "node:child_process";
import * as http from "node:http";

/** A server process started by a test; `stop()` kills it by its pid and waits for the exit. */
export interface RunningServer {
  label: string;
  child: ChildProcess;
  /** The base URL it printed ("… listening on http://host:port"). */
  url: string;
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `command` and resolves once it prints its "listening on http://…" line (what the
 * calculator's processes print after binding). Rejects with its output if it exits first or
 * stays silent for `timeoutMs`.
 */
export function startServer(label: string, command: string[], timeoutMs = 10000): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill("SIGKILL");
      reject(new Error(`${label} did not report listening within ${timeoutMs} ms; output:\n${output}`));
    }, timeoutMs);
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/[^\s:]+:(\d+))/.exec(output);
      if (match && !done) {
        done = true;
        clearTimeout(timer);
        resolve({
          label,
          child,
          url: match[1],
          port: Number(match[2]),
          output: () => output,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill("SIGTERM");
              const killer = setTimeout(() => child.kill("SIGKILL"), 3000);
              await exited;
              clearTimeout(killer);
            }
          },
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${label} exited (code ${code}, signal ${signal}) before listening; output:\n${output}`));
    });
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
  json: any;
  elapsedMs: number;
}

/** One HTTP request (fresh connection); `body` is sent verbatim so tests can send broken JSON. */
export function httpRequest(
  url: string,
  method: string,
  body?: string | Buffer,
  timeoutMs = 15000,
): Promise<HttpAnswer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        agent: false,
        timeout: timeoutMs,
        headers: body === undefined ? {} : { "content-type": "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: text, json, elapsedMs: Date.now() - started });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

export function postJson(url: string, value: unknown): Promise<HttpAnswer> {
  return httpRequest(url, "POST", JSON.stringify(value));
}
