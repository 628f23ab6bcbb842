/** Turns a spec's cloud reference (clouds.yaml name or inline credentials) into a client. */
import { ClientOptions, CloudConfig, OpenStackClient, loadCloud, validateCloudConfig } from "@openstack-blueprints/openstack-rest";
import type { CloudRef } from "./spec";

export function cloudConfigOf(ref: CloudRef, label: string): CloudConfig {
  if (ref.cloud && !ref.authUrl) {
    const cfg = loadCloud(ref.cloud);
    return ref.region ? { ...cfg, regionName: ref.region } : cfg;
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
