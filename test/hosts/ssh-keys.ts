/**
 * SSH key material for test guests: generated per test run with the real ssh-keygen, never
 * reused across runs, kept in 0700 directories that the lab removes at cleanup.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "./process";

export interface SshKeyPair {
  /** Path of the private key file (mode 0600). */
  privateKeyFile: string;
  /** OpenSSH private key text (what `connection.privateKey` takes). */
  privateKey: string;
  /** One line: "ssh-ed25519 AAAA… comment". */
  publicKey: string;
}

/** Generates an ed25519 key pair in `dir` (created 0700) under the file name `name`. */
export async function generateKeyPair(dir: string, name: string, comment: string): Promise<SshKeyPair> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  await run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
  return {
    privateKeyFile: file,
    privateKey: fs.readFileSync(file, "utf8"),
    publicKey: fs.readFileSync(`${file}.pub`, "utf8").trim(),
  };
}

/** "ssh-ed25519 AAAA… comment" → "ssh-ed25519 AAAA…" (the form a pinned hostKey takes). */
export function keyWithoutComment(publicKey: string): string {
  const [type, blob] = publicKey.trim().split(/\s+/);
  if (!type || !blob) throw new Error(`not an OpenSSH public key: ${publicKey.slice(0, 40)}…`);
  return `${type} ${blob}`;
}

/** A known_hosts line for host (and port, when not 22) pinning the given host key. */
export function knownHostsLine(host: string, port: number, hostKey: string): string {
  const name = port === 22 ? host : `[${host}]:${port}`;
  return `${name} ${keyWithoutComment(hostKey)}`;
}
