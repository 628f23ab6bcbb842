/**
 * Keystone objects minicloud needs, created idempotently over REST (find by name, create if
 * missing): the `service` project and service users, the catalog, and the test projects.
 */
import { endpoint, HOST, PORTS, REGION } from "./layout";
import { Identified, KeystoneEndpoint, KeystoneService } from "./openstack-bodies";
import { request, Session } from "./rest";
import { PROJECT_USERS, Secrets, SERVICE_USERS } from "./secrets";

const KS = `http://${HOST}:${PORTS.keystone}/v3`;

async function findOne(s: Session, collection: string, query: string): Promise<Identified | undefined> {
  const res = await request<Record<string, Identified[]>>(s, "GET", `${KS}/${collection}?${query}`);
  return res.body[collection][0];
}

export async function ensureProject(s: Session, name: string, description: string): Promise<string> {
  const found = await findOne(s, "projects", `name=${encodeURIComponent(name)}&domain_id=default`);
  if (found) return found.id;
  const res = await request<{ project: Identified }>(s, "POST", `${KS}/projects`, {
    body: { project: { name, description, domain_id: "default", enabled: true } },
  });
  return res.body.project.id;
}

/** Creates the user or resets its password to the stored one (so a lost DB/secrets mismatch heals). */
export async function ensureUser(
  s: Session,
  name: string,
  password: string,
  defaultProjectId: string,
): Promise<string> {
  const found = await findOne(s, "users", `name=${encodeURIComponent(name)}&domain_id=default`);
  if (found) {
    await request(s, "PATCH", `${KS}/users/${found.id}`, { body: { user: { password, enabled: true } } });
    return found.id;
  }
  const res = await request<{ user: Identified }>(s, "POST", `${KS}/users`, {
    body: { user: { name, password, domain_id: "default", default_project_id: defaultProjectId, enabled: true } },
  });
  return res.body.user.id;
}

export async function roleId(s: Session, name: string): Promise<string> {
  const found = await findOne(s, "roles", `name=${encodeURIComponent(name)}`);
  if (!found) throw new Error(`keystone has no role '${name}' (did keystone-manage bootstrap run?)`);
  return found.id;
}

/** The role's ID, creating the role when Keystone has none of that name. */
export async function ensureRole(s: Session, name: string): Promise<string> {
  const found = await findOne(s, "roles", `name=${encodeURIComponent(name)}`);
  if (found) return found.id as string;
  return (await request(s, "POST", `${KS}/roles`, { body: { role: { name } } })).body.role.id as string;
}

export async function grant(s: Session, projectId: string, userId: string, role: string): Promise<void> {
  await request(s, "PUT", `${KS}/projects/${projectId}/users/${userId}/roles/${role}`, { expect: [204] });
}

/** Cinder's URL carries the project (Keystone fills it in), as every client version expects. */
const CINDER_URL = `${endpoint("cinder")}/$(project_id)s`;

const CATALOG: { name: string; type: string; url: string }[] = [
  { name: "glance", type: "image", url: endpoint("glance") },
  { name: "placement", type: "placement", url: endpoint("placement") },
  { name: "nova", type: "compute", url: endpoint("nova") },
  { name: "neutron", type: "network", url: endpoint("neutron") },
  // Block storage under both types clients look for: `block-storage` (the official one) and
  // `volumev3` (Nova's default catalog_info, gophercloud, hence the Pulumi provider).
  { name: "cinder", type: "block-storage", url: CINDER_URL },
  { name: "cinderv3", type: "volumev3", url: CINDER_URL },
];

export async function ensureServiceCatalog(s: Session, secrets: Secrets): Promise<void> {
  const serviceProject = await ensureProject(s, "service", "OpenStack service users");
  const admin = await roleId(s, "admin");
  // `service`: what a service token must carry for Cinder to accept a service's request (Nova
  // deleting a volume attachment); Zed's keystone-manage bootstrap does not make it.
  const service = await ensureRole(s, "service");
  // Independent objects are created side by side: Keystone runs two workers, and each call
  // costs a bcrypt or a token validation.
  const users = Promise.all(
    SERVICE_USERS.map(async (name) => {
      const password = secrets.service[name];
      if (!password) throw new Error(`no password for service user ${name}`);
      const uid = await ensureUser(s, name, password, serviceProject);
      await grant(s, serviceProject, uid, admin);
      await grant(s, serviceProject, uid, service);
    }),
  );
  const services = (await request<{ services: KeystoneService[] }>(s, "GET", `${KS}/services`)).body.services;
  const endpoints = (await request<{ endpoints: KeystoneEndpoint[] }>(s, "GET", `${KS}/endpoints`)).body.endpoints;
  await Promise.all(
    CATALOG.map(async (entry) => {
      let svc = services.find((x) => x.type === entry.type);
      if (!svc) {
        svc = (
          await request<{ service: KeystoneService }>(s, "POST", `${KS}/services`, {
            body: { service: { name: entry.name, type: entry.type, enabled: true } },
          })
        ).body.service;
      }
      for (const iface of ["public", "internal", "admin"]) {
        const url = entry.url;
        const existing = endpoints.find((e) => e.service_id === svc.id && e.interface === iface);
        if (existing && existing.url === url) continue;
        if (existing) {
          await request(s, "PATCH", `${KS}/endpoints/${existing.id}`, { body: { endpoint: { url } } });
        } else {
          await request(s, "POST", `${KS}/endpoints`, {
            body: { endpoint: { service_id: svc.id, interface: iface, url, region_id: REGION, enabled: true } },
          });
        }
      }
    }),
  );
  await users;
}

export interface ProjectIds {
  [project: string]: string;
}

/** minicloud-a and minicloud-b: one project each with a same-named user holding `member`. */
export async function ensureTestProjects(s: Session, secrets: Secrets): Promise<ProjectIds> {
  const member = await roleId(s, "member");
  const ids: ProjectIds = {};
  await Promise.all(
    PROJECT_USERS.map(async (name) => {
      const pid = await ensureProject(s, name, `minicloud test project ${name}`);
      const password = secrets.users[name];
      if (!password) throw new Error(`no password for user ${name}`);
      const uid = await ensureUser(s, name, password, pid);
      await grant(s, pid, uid, member);
      ids[name] = pid;
    }),
  );
  return ids;
}
