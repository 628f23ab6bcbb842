/**
 * A second Keystone for the token-lifetime test: the same code, database and fernet keys as
 * minicloud's Keystone (so every service accepts its tokens) but `[token] expiration` set to
 * a few seconds, on its own port. minicloud's own files are only read, never changed.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const SHORT_TOKEN_PORT = 5099;

export function withTokenExpiration(conf: string, seconds: number): string {
  const out: string[] = [];
  let section = "";
  let done = false;
  for (const line of conf.split("\n")) {
    const m = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (m) {
      if (section === "token" && !done) {
        out.push(`expiration = ${seconds}`);
        done = true;
      }
      section = m[1];
    } else if (section === "token" && /^\s*expiration\s*=/.test(line)) {
      out.push(`expiration = ${seconds}`);
      done = true;
      continue;
    }
    out.push(line);
  }
  if (!done) out.push(section === "token" ? `expiration = ${seconds}` : `[token]\nexpiration = ${seconds}`);
  return out.join("\n");
}

export interface ShortTokenKeystone {
  authUrl: string;
  stop: () => Promise<void>;
}

export async function startShortTokenKeystone(dir: string, seconds: number): Promise<ShortTokenKeystone> {
  const configDir = process.env.MINICLOUD_CONFIG_DIR ?? "/etc/minicloud";
  const original = path.join(configDir, "keystone", "keystone.conf");
  if (!fs.existsSync(original)) throw new Error(`minicloud's ${original} not found`);
  const conf = path.join(dir, "keystone-short.conf");
  fs.writeFileSync(conf, withTokenExpiration(fs.readFileSync(original, "utf8"), seconds), { mode: 0o600 });
  const ini = path.join(dir, "keystone-short-uwsgi.ini");
  fs.writeFileSync(
    ini,
    [
      "[uwsgi]",
      "plugins = python3",
      "master = true",
      `http-socket = 127.0.0.1:${SHORT_TOKEN_PORT}`,
      "wsgi-file = /usr/bin/keystone-wsgi-public",
      "processes = 1",
      "threads = 1",
      "lazy-apps = true",
      "die-on-term = true",
      "buffer-size = 65535",
      `env = OS_KEYSTONE_CONFIG_FILES=${conf}`,
      "",
    ].join("\n"),
  );
  const log = fs.openSync(path.join(dir, "keystone-short.log"), "a");
  const child: ChildProcess = spawn("/usr/bin/uwsgi", ["--ini", ini], { stdio: ["ignore", log, log] });
  const authUrl = `http://127.0.0.1:${SHORT_TOKEN_PORT}/v3`;
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    fs.closeSync(log);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`short-token keystone exited (${child.exitCode}); see ${dir}/keystone-short.log`);
    try {
      const r = await fetch(authUrl);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error("short-token keystone did not answer within 60 s");
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { authUrl, stop };
}
