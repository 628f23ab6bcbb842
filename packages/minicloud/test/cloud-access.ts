/**
 * Test helper: finds a running minicloud and its credentials, or explains why it cannot.
 * With BLUEPRINTS_CI=1 a missing minicloud is a failure (CI must have run `minicloud up`);
 * elsewhere the suite is skipped with the reason printed.
 */
import * as fs from "fs";
import { parse } from "yaml";
import { CloudEntry } from "../src/clouds-yaml";
import { defaultLayout } from "../src/layout";
import { authenticate, PasswordAuth, Session } from "../src/rest";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

export function cloudsYamlPath(): string | undefined {
  const layout = defaultLayout();
  for (const p of [process.env.OS_CLIENT_CONFIG_FILE, layout.cloudsYaml, `${layout.stateDir}/clouds.yaml`]) {
    if (p && fs.existsSync(p)) {
      try {
        fs.accessSync(p, fs.constants.R_OK);
        return p;
      } catch {
        /* not readable by us: try the next */
      }
    }
  }
  return undefined;
}

export function cloudAuth(cloud: string): PasswordAuth {
  const file = cloudsYamlPath();
  if (!file) throw new Error("no readable clouds.yaml");
  const doc = parse(fs.readFileSync(file, "utf8")) as { clouds: Record<string, CloudEntry> };
  const entry = doc.clouds[cloud];
  if (!entry) throw new Error(`${file} has no cloud '${cloud}'`);
  return {
    authUrl: entry.auth.auth_url,
    username: entry.auth.username,
    password: entry.auth.password,
    projectName: entry.auth.project_name,
  };
}

/** Why minicloud is not usable, or undefined when it is. */
export async function minicloudUnavailable(): Promise<string | undefined> {
  if (!cloudsYamlPath()) return "no clouds.yaml from minicloud (run `sudo npx minicloud up`)";
  try {
    await authenticate(cloudAuth("minicloud-a"));
    return undefined;
  } catch (e) {
    return `minicloud does not answer: ${(e as Error).message} (run \`sudo npx minicloud up\`)`;
  }
}

/** Call in before(): fails under CI, skips elsewhere. */
export async function requireMinicloud(ctx: Mocha.Context): Promise<void> {
  const why = await minicloudUnavailable();
  if (!why) return;
  unavailableHere(ctx, `minicloud is not available: ${why}`);
}

export async function session(cloud: string): Promise<Session> {
  return authenticate(cloudAuth(cloud));
}
