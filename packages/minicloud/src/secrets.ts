/**
 * Generated passwords, kept in one 0600 JSON file under the state directory. They are never
 * printed, never put on a command line; services read them from their 0600 config files.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

export const SERVICE_USERS = ["glance", "placement", "nova", "neutron", "cinder"] as const;
export const DATABASES = [
  "keystone",
  "glance",
  "placement",
  "nova_api",
  "nova",
  "nova_cell0",
  "neutron",
  "cinder",
] as const;
export const PROJECT_USERS = ["minicloud-a", "minicloud-b"] as const;

export interface Secrets {
  admin: string;
  rabbit: string;
  /** One password per database user (same name as the database's service). */
  db: Record<string, string>;
  /** Keystone service users (project `service`, role admin). */
  service: Record<string, string>;
  /** Users of the test projects. */
  users: Record<string, string>;
  /**
   * Shared secret between Neutron's metadata agent and nova-api-metadata (guests profile): the
   * agent signs each guest's instance id with it. Optional: secrets files from before the guests
   * profile lack it and get one added on load.
   */
  metadata?: string;
}

/** Alphanumeric only: safe in URLs (transport_url, SQL connection strings) without escaping. */
export function generatePassword(length = 24): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const bytes = crypto.randomBytes(length * 2);
  let out = "";
  for (const b of bytes) {
    if (b < 256 - (256 % alphabet.length)) out += alphabet[b % alphabet.length];
    if (out.length === length) break;
  }
  if (out.length < length) return out + generatePassword(length - out.length);
  return out;
}

function dbUser(db: string): string {
  return db.startsWith("nova") ? "nova" : db;
}

export function generateSecrets(): Secrets {
  const db: Record<string, string> = {};
  for (const name of DATABASES) db[dbUser(name)] ??= generatePassword();
  const service: Record<string, string> = {};
  for (const name of SERVICE_USERS) service[name] = generatePassword();
  const users: Record<string, string> = {};
  for (const name of PROJECT_USERS) users[name] = generatePassword();
  return { admin: generatePassword(), rabbit: generatePassword(), db, service, users, metadata: generatePassword() };
}

export function databaseUser(db: string): string {
  return dbUser(db);
}

/** Loads the secrets file, creating it (0600) the first time. */
export function loadOrCreateSecrets(stateDir: string): Secrets {
  const file = path.join(stateDir, "secrets.json");
  if (fs.existsSync(file)) {
    const secrets = JSON.parse(fs.readFileSync(file, "utf8")) as Secrets;
    // Services added after the file was written (the metadata secret, Cinder's database and
    // service user) get their passwords now; existing ones are never changed.
    let added = false;
    if (!secrets.metadata) {
      secrets.metadata = generatePassword();
      added = true;
    }
    for (const name of DATABASES)
      if (!secrets.db[dbUser(name)]) {
        secrets.db[dbUser(name)] = generatePassword();
        added = true;
      }
    for (const name of SERVICE_USERS)
      if (!secrets.service[name]) {
        secrets.service[name] = generatePassword();
        added = true;
      }
    if (added) {
      const tmp = `${file}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
      fs.renameSync(tmp, file);
    }
    return secrets;
  }
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const secrets = generateSecrets();
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600, flag: "wx" });
  return secrets;
}

export function readSecrets(stateDir: string): Secrets | undefined {
  const file = path.join(stateDir, "secrets.json");
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Secrets) : undefined;
}
