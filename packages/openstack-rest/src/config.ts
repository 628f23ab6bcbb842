/**
 * Cloud configuration the way the OpenStack CLI reads it: clouds.yaml (plus secure.yaml)
 * from OS_CLIENT_CONFIG_FILE, ./, ~/.config/openstack/, /etc/openstack/; the cloud named by
 * an argument or OS_CLOUD; otherwise OS_* environment variables.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { OpenStackConfigError } from "./errors";

export interface AuthConfig {
  authUrl: string;
  /** "password" (default) or "v3applicationcredential". */
  authType: "password" | "v3applicationcredential";
  username?: string;
  userId?: string;
  password?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectName?: string;
  projectId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret?: string;
}

export interface CloudConfig {
  /** Name in clouds.yaml, or "env" when built from OS_* variables. */
  name: string;
  auth: AuthConfig;
  regionName?: string;
  /** Endpoint interface for catalog lookups: public (default), internal, admin. */
  interface: string;
  /** Skip TLS verification (clouds.yaml `verify: false`). */
  insecure?: boolean;
  cacert?: string;
}

export function cloudsYamlSearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME ?? os.homedir();
  const list: string[] = [];
  if (env.OS_CLIENT_CONFIG_FILE) list.push(env.OS_CLIENT_CONFIG_FILE);
  list.push(
    path.resolve("clouds.yaml"),
    path.join(home, ".config/openstack/clouds.yaml"),
    "/etc/openstack/clouds.yaml",
  );
  return list;
}

type RawCloud = Record<string, unknown> & { auth?: Record<string, unknown> };

function readYamlClouds(file: string): Record<string, RawCloud> {
  const doc = parseYaml(fs.readFileSync(file, "utf8")) as { clouds?: Record<string, RawCloud> } | null;
  return doc?.clouds ?? {};
}

function deepMerge(a: RawCloud, b: RawCloud): RawCloud {
  const out: RawCloud = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      prev && typeof prev === "object" && v && typeof v === "object" && !Array.isArray(v)
        ? deepMerge(prev as RawCloud, v as RawCloud)
        : v;
  }
  return out;
}

const str = (v: unknown): string | undefined => (v === undefined || v === null || v === "" ? undefined : String(v));

function normaliseAuthType(t: string | undefined, where: string): AuthConfig["authType"] {
  if (!t || t === "password" || t === "v3password") return "password";
  if (t === "v3applicationcredential" || t === "application_credential") return "v3applicationcredential";
  throw new OpenStackConfigError(
    `${where}: auth_type "${t}" is not supported; use "password" or "v3applicationcredential"`,
  );
}

function fromRaw(name: string, raw: RawCloud, where: string, validate = true): CloudConfig {
  const a = raw.auth ?? {};
  const auth: AuthConfig = {
    authUrl: str(a.auth_url) ?? "",
    authType: normaliseAuthType(str(raw.auth_type), where),
    username: str(a.username),
    userId: str(a.user_id),
    password: str(a.password),
    userDomainName: str(a.user_domain_name) ?? str(a.domain_name),
    userDomainId: str(a.user_domain_id) ?? str(a.domain_id),
    projectName: str(a.project_name) ?? str(a.tenant_name),
    projectId: str(a.project_id) ?? str(a.tenant_id),
    projectDomainName: str(a.project_domain_name) ?? str(a.domain_name),
    projectDomainId: str(a.project_domain_id) ?? str(a.domain_id),
    applicationCredentialId: str(a.application_credential_id),
    applicationCredentialName: str(a.application_credential_name),
    applicationCredentialSecret: str(a.application_credential_secret),
  };
  const cfg: CloudConfig = {
    name,
    auth,
    regionName: str(raw.region_name),
    interface: str(raw.interface) ?? str(raw.endpoint_type) ?? "public",
    insecure: raw.verify === false || raw.insecure === true,
    cacert: str(raw.cacert),
  };
  if (validate) validateCloudConfig(cfg, where);
  return cfg;
}

/** Field-level checks so a bad clouds.yaml fails before any request, naming the field. */
export function validateCloudConfig(cfg: CloudConfig, where: string): void {
  const a = cfg.auth;
  const missing = (field: string, fix: string) => new OpenStackConfigError(`${where}: ${field} is missing; ${fix}`);
  if (!a.authUrl) throw missing("auth.auth_url", "set it to the Keystone URL, e.g. http://127.0.0.1:5000/v3");
  if (!/^https?:\/\//.test(a.authUrl))
    throw new OpenStackConfigError(`${where}: auth.auth_url "${a.authUrl}" is not an http(s) URL`);
  if (a.authType === "v3applicationcredential") {
    if (!a.applicationCredentialSecret)
      throw missing("auth.application_credential_secret", "add the secret shown when the credential was created");
    if (!a.applicationCredentialId && !a.applicationCredentialName)
      throw missing("auth.application_credential_id", "or give application_credential_name with username");
  } else {
    if (!a.username && !a.userId) throw missing("auth.username", "add username (or user_id)");
    if (!a.password) throw missing("auth.password", "add password (clouds.yaml or secure.yaml) or OS_PASSWORD");
    if (!a.projectName && !a.projectId)
      throw missing(
        "auth.project_name",
        "add project_name or project_id: the client always asks for a project-scoped token",
      );
  }
}

/**
 * Loads one cloud from clouds.yaml (merged with secure.yaml next to it). `validate: false`
 * leaves the completeness check to a caller that adds credentials of its own.
 */
export function loadCloud(
  name?: string,
  env: NodeJS.ProcessEnv = process.env,
  opts: { validate?: boolean } = {},
): CloudConfig {
  const wanted = name ?? env.OS_CLOUD;
  if (!wanted) return cloudFromEnv(env);
  for (const file of cloudsYamlSearchPath(env)) {
    if (!fs.existsSync(file)) continue;
    const clouds = readYamlClouds(file);
    if (!clouds[wanted]) continue;
    let raw = clouds[wanted];
    const secure = path.join(path.dirname(file), "secure.yaml");
    if (fs.existsSync(secure)) {
      const s = readYamlClouds(secure)[wanted];
      if (s) raw = deepMerge(raw, s);
    }
    return fromRaw(wanted, raw, `cloud "${wanted}" in ${file}`, opts.validate ?? true);
  }
  throw new OpenStackConfigError(
    `cloud "${wanted}" not found in any clouds.yaml (searched ${cloudsYamlSearchPath(env).join(", ")}); ` +
      "set OS_CLIENT_CONFIG_FILE or fix the name",
  );
}

/** Builds a cloud from OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, … */
export function cloudFromEnv(env: NodeJS.ProcessEnv = process.env): CloudConfig {
  const raw: RawCloud = {
    auth_type: env.OS_AUTH_TYPE,
    region_name: env.OS_REGION_NAME,
    interface: env.OS_INTERFACE ?? env.OS_ENDPOINT_TYPE,
    cacert: env.OS_CACERT,
    insecure: env.OS_INSECURE === "true" || env.OS_INSECURE === "1",
    auth: {
      auth_url: env.OS_AUTH_URL,
      username: env.OS_USERNAME,
      user_id: env.OS_USER_ID,
      password: env.OS_PASSWORD,
      user_domain_name: env.OS_USER_DOMAIN_NAME,
      user_domain_id: env.OS_USER_DOMAIN_ID,
      project_name: env.OS_PROJECT_NAME ?? env.OS_TENANT_NAME,
      project_id: env.OS_PROJECT_ID ?? env.OS_TENANT_ID,
      project_domain_name: env.OS_PROJECT_DOMAIN_NAME,
      project_domain_id: env.OS_PROJECT_DOMAIN_ID,
      application_credential_id: env.OS_APPLICATION_CREDENTIAL_ID,
      application_credential_name: env.OS_APPLICATION_CREDENTIAL_NAME,
      application_credential_secret: env.OS_APPLICATION_CREDENTIAL_SECRET,
    },
  };
  if (!env.OS_AUTH_URL) {
    throw new OpenStackConfigError(
      "no cloud selected: set OS_CLOUD (clouds.yaml) or OS_AUTH_URL and the other OS_* variables",
    );
  }
  return fromRaw("env", raw, "OS_* environment");
}
