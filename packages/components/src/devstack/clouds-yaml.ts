// The clouds.yaml document for a DevStack cloud's admin, as openstacksdk and the CLI read it.
import { stringify } from "yaml";

export interface DevstackEndpoints {
  /** Keystone under Apache, as devstack serves it: http://HOST_IP/identity */
  identityUrl: string;
  /** Keystone v3 API (what providers and SDKs authenticate against). */
  authUrl: string;
  dashboardUrl: string;
}

/**
 * devstack serves Keystone at /identity and Horizon at /dashboard on SERVICE_HOST (= HOST_IP);
 * with tls-proxy, SERVICE_PROTOCOL is https and Apache terminates TLS on port 443.
 */
export function devstackEndpoints(hostIp: string, tls = false): DevstackEndpoints {
  const base = `${tls ? "https" : "http"}://${hostIp}`;
  return {
    identityUrl: `${base}/identity`,
    authUrl: `${base}/identity/v3`,
    dashboardUrl: `${base}/dashboard`,
  };
}

export interface CloudsYamlOptions {
  cloudName: string;
  authUrl: string;
  region: string;
  password: string;
}

/** A clouds.yaml with one entry for devstack's admin user in the admin project. */
export function renderCloudsYaml(o: CloudsYamlOptions): string {
  return stringify({
    clouds: {
      [o.cloudName]: {
        auth: {
          auth_url: o.authUrl,
          username: "admin",
          password: o.password,
          project_name: "admin",
          user_domain_name: "Default",
          project_domain_name: "Default",
        },
        region_name: o.region,
        interface: "public",
        identity_api_version: 3,
      },
    },
  });
}
