import * as YAML from "yaml";
import { KNOWN_CLOUD_CONFIG_KEYS } from "./known-keys";

/**
 * A typed #cloud-config document. The fields we generate are typed; anything else cloud-init
 * knows can still be passed through the index signature and is checked against the known keys.
 */
export interface CloudConfigUser {
  name: string;
  gecos?: string;
  groups?: string | string[];
  shell?: string;
  sudo?: string | string[] | false;
  /** SHA-512 crypt hash ("$6$…"); never a plain password. */
  hashed_passwd?: string;
  lock_passwd?: boolean;
  ssh_authorized_keys?: string[];
  no_create_home?: boolean;
  system?: boolean;
  homedir?: string;
  primary_group?: string;
  [key: string]: unknown;
}

export interface CloudConfigWriteFile {
  path: string;
  content: string;
  owner?: string;
  permissions?: string;
  encoding?: string;
  append?: boolean;
  /** Write after users are created (for files owned by new users). */
  defer?: boolean;
}

export interface CloudConfig {
  hostname?: string;
  fqdn?: string;
  manage_etc_hosts?: boolean | "localhost";
  preserve_hostname?: boolean;
  prefer_fqdn_over_hostname?: boolean;
  users?: (string | CloudConfigUser)[];
  groups?: (string | Record<string, string[]>)[];
  chpasswd?: { expire?: boolean; users?: { name: string; password: string; type?: "hash" | "text" | "RANDOM" }[] };
  ssh_pwauth?: boolean;
  disable_root?: boolean;
  ssh_authorized_keys?: string[];
  package_update?: boolean;
  package_upgrade?: boolean;
  packages?: (string | string[])[];
  write_files?: CloudConfigWriteFile[];
  bootcmd?: (string | string[])[];
  runcmd?: (string | string[])[];
  timezone?: string;
  ntp?: Record<string, unknown>;
  apt?: Record<string, unknown>;
  power_state?: Record<string, unknown>;
  final_message?: string;
  [key: string]: unknown;
}

/**
 * Nova accepts at most 65535 characters of base64-encoded user data, so the raw document may be
 * at most 49149 bytes (3 bytes become 4 characters).
 */
export const NOVA_USER_DATA_MAX_BASE64 = 65535;

/** Size of `text` once base64-encoded, as Nova measures it. */
export function base64Size(text: string): number {
  return 4 * Math.ceil(Buffer.byteLength(text, "utf8") / 3);
}

/** Throws when the user data would be refused by Nova for its size. */
export function assertUserDataFits(text: string, what = "user data"): void {
  const encoded = base64Size(text);
  if (encoded > NOVA_USER_DATA_MAX_BASE64) {
    throw new Error(
      `${what} is ${Buffer.byteLength(text, "utf8")} bytes (${encoded} base64 characters); Nova accepts at most ` +
        `${NOVA_USER_DATA_MAX_BASE64} base64 characters (about 48 KiB of raw text). Move large content into an ` +
        `image or fetch it at boot.`,
    );
  }
}

/** Throws when a top-level key is not one cloud-init knows (it would be silently ignored). */
export function assertKnownKeys(doc: Record<string, unknown>): void {
  const unknown = Object.keys(doc).filter((key) => !KNOWN_CLOUD_CONFIG_KEYS.has(key));
  if (unknown.length > 0) {
    throw new Error(
      `cloud-config has key(s) cloud-init does not know: ${unknown.map((k) => `"${k}"`).join(", ")}; ` +
        `cloud-init would ignore them (check the spelling against the cloud-init module reference)`,
    );
  }
}

/** Drops keys whose value is undefined, recursively, so optional fields never render as null. */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, withoutUndefined(v)]),
    );
  }
  return value;
}

/**
 * Renders a cloud-config document as `#cloud-config` YAML. Refuses unknown top-level keys and
 * documents Nova would refuse for size. Output is deterministic for a given document, so a
 * re-run of a Pulumi program produces no diff.
 */
export function renderCloudConfig(doc: CloudConfig, opts: { gzippedByCaller?: boolean } = {}): string {
  const clean = withoutUndefined(doc) as Record<string, unknown>;
  assertKnownKeys(clean);
  const body = YAML.stringify(clean, { lineWidth: 0, aliasDuplicateObjects: false });
  const text = `#cloud-config\n${body}`;
  // A caller that gzips the document measures what Nova gets (the compressed size) itself.
  if (!opts.gzippedByCaller) assertUserDataFits(text, "cloud-config");
  return text;
}

/** Parses a rendered document back (for tests and for merging). */
export function parseCloudConfig(text: string): CloudConfig {
  if (!text.startsWith("#cloud-config\n")) {
    throw new Error('user data is not a cloud-config document (the first line must be "#cloud-config")');
  }
  return YAML.parse(text) as CloudConfig;
}
