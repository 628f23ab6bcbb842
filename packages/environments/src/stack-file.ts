// Reading stacks/Pulumi.<stack>.yaml the way the Pulumi CLI hands config to a program: every
// value as a string (objects and lists as JSON), `secure:` values decrypted. Ciphertext cannot
// be decrypted here (no CLI, no passphrase), so tools and tests get a placeholder for each
// secret and the list of secret keys; a secret-looking key with a plain value is reported.
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";

export interface StackFileConfig {
  stack: string;
  /** "<namespace>:<key>" → value as the engine passes it. */
  config: Record<string, string>;
  /** Keys whose value is (or contains) a `secure:` value. */
  secretKeys: string[];
  /** Paths of plain values whose key names a secret (password, token, ...). */
  plainSecrets: string[];
}

const SECRET_NAME = /(password|passwd|secret|token|passphrase|private_?key|credential)/i;

export function stackFilePath(stacksDir: string, stack: string): string {
  return path.join(stacksDir, `Pulumi.${stack}.yaml`);
}

export function listStacks(stacksDir: string): string[] {
  return fs
    .readdirSync(stacksDir)
    .map((f) => /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** Stand-in for a secret the CLI would decrypt. */
export function secretPlaceholder(keyPath: string): string {
  return `placeholder-secret-${keyPath.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

function isSecure(v: unknown): v is { secure: string } {
  return (
    v !== null &&
    typeof v === "object" &&
    !Array.isArray(v) &&
    Object.keys(v).length === 1 &&
    typeof (v as { secure?: unknown }).secure === "string"
  );
}

function resolve(value: unknown, keyPath: string, found: { secret: boolean; plainSecrets: string[] }): unknown {
  if (isSecure(value)) {
    found.secret = true;
    return secretPlaceholder(keyPath);
  }
  if (Array.isArray(value)) return value.map((v, i) => resolve(v, `${keyPath}[${i}]`, found));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        if (
          SECRET_NAME.test(k) &&
          (typeof v === "string" || typeof v === "number") &&
          !/Hash$|Name$|Ref$|File$/.test(k)
        ) {
          found.plainSecrets.push(`${keyPath}.${k}`);
        }
        return [k, resolve(v, `${keyPath}.${k}`, found)];
      }),
    );
  }
  return value;
}

export function readStackFile(file: string): StackFileConfig {
  const stack = /Pulumi\.([^/]+)\.yaml$/.exec(file)?.[1] ?? file;
  const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const plainSecrets: string[] = [];
  for (const [key, raw] of Object.entries((doc.config ?? {}) as Record<string, unknown>)) {
    const found = { secret: false, plainSecrets: [] as string[] };
    if (SECRET_NAME.test(key) && !isSecure(raw) && (typeof raw === "string" || typeof raw === "number"))
      found.plainSecrets.push(key);
    const value = resolve(raw, key, found);
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
    if (found.secret) secretKeys.push(key);
    plainSecrets.push(...found.plainSecrets);
  }
  return { stack, config, secretKeys, plainSecrets };
}
