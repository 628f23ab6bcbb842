/** RDP client helpers shared by the real desktop tests (xfreerdp under Xvfb, sesman's log). */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import type { Guest } from "../../../../test/hosts";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

export const HOST_TOOLS: [string, string][] = [
  ["xfreerdp", "freerdp2-x11"],
  ["Xvfb", "xvfb"],
  ["import", "imagemagick"],
];

export function requireHostTools(ctx: Mocha.Context): void {
  const missing = HOST_TOOLS.filter(([tool]) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0).map(
    ([t, p]) => `${t} (apt-get install ${p})`,
  );
  if (missing.length === 0) return;
  const message = `the RDP client side cannot run here; missing: ${missing.join(", ")}`;
  unavailableHere(ctx, message);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  diagnose?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}${diagnose ? `\n${await diagnose()}` : ""}`,
      );
    await sleep(1000);
  }
}

/**
 * Starts xfreerdp with the employee's .rdp file; the password goes on stdin, never argv. `cert` is
 * xfreerdp's /cert: policy: "ignore" by default, or e.g. "deny,fingerprint:sha256:…" to pin.
 */
export function startRdpClient(
  display: string,
  rdpFile: string,
  address: string,
  password: string,
  cert = "ignore",
): ChildProcess {
  const client = spawn(
    "xfreerdp",
    [
      rdpFile,
      `/v:${address}`,
      `/cert:${cert}`,
      "/sec:tls",
      "/size:1024x768",
      "/from-stdin:force",
      "+auto-reconnect",
      "/auto-reconnect-max-retries:0",
    ],
    {
      env: { ...process.env, DISPLAY: display },
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let log = "";
  client.stdout!.on("data", (d) => (log += d));
  client.stderr!.on("data", (d) => (log += d));
  (client as ChildProcess & { log: () => string }).log = () => log;
  // With the user name from the .rdp file, FreeRDP asks only for the password, on stdin.
  client.stdin!.write(`${password}\n`);
  client.stdin!.end();
  return client;
}

export function stopProcess(child: ChildProcess | undefined): void {
  if (child && child.exitCode === null && child.pid) {
    try {
      process.kill(child.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
  }
}

export async function diagnostics(guest: Guest, client: ChildProcess): Promise<string> {
  const logs = await guest.exec(
    "tail -n 30 /var/log/xrdp-sesman.log /var/log/xrdp.log; journalctl -n 30 --no-pager -u xrdp -u xrdp-sesman",
    { allowFailure: true },
  );
  return `--- xfreerdp (exit ${client.exitCode}) ---\n${(client as ChildProcess & { log: () => string }).log()}\n--- guest ---\n${logs.stdout}${logs.stderr}`;
}

export async function sesmanLog(guest: Guest): Promise<string> {
  const r = await guest.exec("cat /var/log/xrdp-sesman.log 2>/dev/null || true", { allowFailure: true });
  return r.stdout;
}
