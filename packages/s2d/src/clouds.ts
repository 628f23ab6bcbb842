/** Turns a spec's cloud reference (clouds.yaml name or inline credentials) into a client. */
import {
  ClientOptions,
  CloudConfig,
  OpenStackClient,
  loadCloud,
  validateCloudConfig,
} from "@openstack-blueprints/openstack-rest";
import type { CloudRef } from "./spec";

export function cloudConfigOf(ref: CloudRef, label: string, env: NodeJS.ProcessEnv = process.env): CloudConfig {
  if (ref.cloud && !ref.authUrl) {
    // Unvalidated: the entry may hold only the endpoint when the spec gives who logs in.
    const loaded = loadCloud(ref.cloud, env, { validate: false });
    const cfg: CloudConfig = ref.region ? { ...loaded, regionName: ref.region } : loaded;
    const out = overlayCredentials(cfg, ref, label);
    validateCloudConfig(out, `${label} cloud "${ref.cloud}"`);
    return out;
  }
  const cfg: CloudConfig = {
    name: ref.cloud ?? label,
    interface: "public",
    regionName: ref.region,
    auth: {
      authUrl: ref.authUrl ?? "",
      authType: "password",
      username: ref.username,
      password: ref.password,
      projectName: ref.project,
      userDomainName: ref.userDomain ?? "Default",
      projectDomainName: ref.projectDomain ?? "Default",
    },
  };
  validateCloudConfig(cfg, `${label} cloud`);
  return cfg;
}

export function clientOf(ref: CloudRef, label: string, opts: ClientOptions = {}): OpenStackClient {
  return new OpenStackClient(cloudConfigOf(ref, label), opts);
}

/**
 * Credentials given next to a clouds.yaml name (the MigrationSpecs XML always carries a user,
 * password and tenant) replace the entry's: the entry supplies the endpoint, TLS and region,
 * the spec who logs in. Ignoring them would log in as someone else than the spec says.
 */
function overlayCredentials(cfg: CloudConfig, ref: CloudRef, label: string): CloudConfig {
  const given =
    ref.username !== undefined ||
    ref.password !== undefined ||
    ref.project !== undefined ||
    ref.userDomain !== undefined ||
    ref.projectDomain !== undefined;
  if (!given) return cfg;
  const auth = { ...cfg.auth };
  if (ref.username !== undefined || ref.password !== undefined) {
    if (auth.authType === "v3applicationcredential" && (ref.username === undefined || ref.password === undefined)) {
      throw new SpecCloudError(
        `${label}: clouds.yaml entry "${ref.cloud}" uses an application credential; give both username and password in the spec to log in with a password instead, or remove them to use the application credential`,
      );
    }
    auth.authType = "password";
    delete auth.applicationCredentialId;
    delete auth.applicationCredentialName;
    delete auth.applicationCredentialSecret;
    if (ref.username !== undefined) {
      auth.username = ref.username;
      delete auth.userId; // a user id from clouds.yaml would win over the spec's user name
    }
    if (ref.password !== undefined) auth.password = ref.password;
  }
  if (ref.project !== undefined) {
    auth.projectName = ref.project;
    delete auth.projectId;
  }
  if (ref.userDomain !== undefined) {
    auth.userDomainName = ref.userDomain;
    delete auth.userDomainId;
  }
  if (ref.projectDomain !== undefined) {
    auth.projectDomainName = ref.projectDomain;
    delete auth.projectDomainId;
  }
  return { ...cfg, auth };
}

/** A cloud reference whose parts cannot be combined (reported like a config error: exit 2). */
export class SpecCloudError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OpenStackConfigError";
  }
}
