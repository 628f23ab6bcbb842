/**
 * OpenSSH client invocations with a pinned host key: a private temp directory (0700) holds the
 * private key (0600), a known_hosts with exactly the pinned key, and an ssh config with the
 * environment to send — so neither the key nor environment values appear in argv.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { knownHostsLine } from "./ssh-keys";

export interface SshConnection {
  host: string;
  port?: number;
  user?: string;
  privateKey: string;
  /** "ssh-ed25519 AAAA…" — required: the client refuses any other host key. */
  hostKey: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Returns `ssh` argv (without the remote command) and a dispose() that deletes the temp files.
 * `environment` is sent with SetEnv, like the command provider's session.Setenv: the server
 * only applies names its `AcceptEnv` allows (Debian's default: LANG LC_*), and ignores the rest.
 */
export function sshArgs(
  connection: SshConnection,
  environment: Record<string, string> = {},
): { args: string[]; dispose: () => void } {
  if (!connection.hostKey) throw new Error(`ssh to ${connection.host}: no hostKey to pin; pass the guest's host key`);
  const port = connection.port ?? 22;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "testhost-ssh-"));
  fs.chmodSync(dir, 0o700);
  const keyFile = path.join(dir, "id");
  fs.writeFileSync(
    keyFile,
    connection.privateKey.endsWith("\n") ? connection.privateKey : `${connection.privateKey}\n`,
    { mode: 0o600 },
  );
  const knownHosts = path.join(dir, "known_hosts");
  fs.writeFileSync(knownHosts, `${knownHostsLine(connection.host, port, connection.hostKey)}\n`, { mode: 0o600 });
  const config = path.join(dir, "config");
  const lines = [
    "Host *",
    `  IdentityFile ${keyFile}`,
    "  IdentitiesOnly yes",
    `  UserKnownHostsFile ${knownHosts}`,
    "  GlobalKnownHostsFile /dev/null",
    "  StrictHostKeyChecking yes",
    "  UpdateHostKeys no",
    "  BatchMode yes",
    "  PasswordAuthentication no",
    "  KbdInteractiveAuthentication no",
    "  ConnectTimeout 10",
    "  ServerAliveInterval 15",
    "  LogLevel ERROR",
  ];
  for (const [name, value] of Object.entries(environment)) {
    if (!ENV_NAME.test(name)) throw new Error(`environment: "${name}" is not a variable name`);
    if (/["\n\r\\]/.test(value))
      throw new Error(
        `environment ${name}: values with quotes, backslashes or newlines cannot be sent over SSH SetEnv`,
      );
    lines.push(`  SetEnv ${name}="${value}"`);
  }
  fs.writeFileSync(config, `${lines.join("\n")}\n`, { mode: 0o600 });
  const args = ["ssh", "-F", config, "-p", String(port), "-l", connection.user ?? "root", connection.host];
  return { args, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
