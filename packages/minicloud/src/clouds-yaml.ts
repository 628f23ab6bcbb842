/** clouds.yaml for the admin and the two test projects, and the matching OS_* environment. */
import { stringify } from "yaml";
import { HOST, PORTS, REGION } from "./layout";
import { PROJECT_USERS, Secrets } from "./secrets";

export const CLOUD_NAMES = ["minicloud-admin", ...PROJECT_USERS] as const;

export interface CloudEntry {
  auth: {
    auth_url: string;
    username: string;
    password: string;
    project_name: string;
    user_domain_name: string;
    project_domain_name: string;
  };
  region_name: string;
  interface: string;
  identity_api_version: number;
}

export function cloudEntry(cloud: string, secrets: Secrets): CloudEntry {
  let username: string;
  let password: string | undefined;
  let project: string;
  if (cloud === "minicloud-admin") {
    username = "admin";
    password = secrets.admin;
    project = "admin";
  } else if ((PROJECT_USERS as readonly string[]).includes(cloud)) {
    username = cloud;
    password = secrets.users[cloud];
    project = cloud;
  } else {
    throw new Error(`unknown cloud '${cloud}': use one of ${CLOUD_NAMES.join(", ")}`);
  }
  if (!password) throw new Error(`no stored password for ${cloud}; run 'minicloud up' first`);
  return {
    auth: {
      auth_url: `http://${HOST}:${PORTS.keystone}/v3`,
      username,
      password,
      project_name: project,
      user_domain_name: "Default",
      project_domain_name: "Default",
    },
    region_name: REGION,
    interface: "public",
    identity_api_version: 3,
  };
}

export function renderCloudsYaml(secrets: Secrets): string {
  const clouds: Record<string, CloudEntry> = {};
  for (const name of CLOUD_NAMES) clouds[name] = cloudEntry(name, secrets);
  return "# Written by minicloud (packages/minicloud). Holds passwords: keep it 0600.\n" + stringify({ clouds });
}

/** `export` lines for a shell; OS_CLOUD plus OS_CLIENT_CONFIG_FILE when clouds.yaml is not in a default place. */
export function renderEnv(cloud: string, cloudsYamlPath: string): string {
  if (!(CLOUD_NAMES as readonly string[]).includes(cloud)) {
    throw new Error(`unknown cloud '${cloud}': use one of ${CLOUD_NAMES.join(", ")}`);
  }
  const lines = [`export OS_CLOUD=${cloud}`];
  if (cloudsYamlPath !== "/etc/openstack/clouds.yaml") lines.push(`export OS_CLIENT_CONFIG_FILE=${cloudsYamlPath}`);
  return lines.join("\n") + "\n";
}
