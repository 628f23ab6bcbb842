/**
 * The few REST calls minicloud's bootstrap needs, with Node's fetch. (A typed client lives in
 * packages/openstack-rest; minicloud keeps its own so it has no dependency on it.)
 */

export interface CatalogEndpoint {
  interface: string;
  region_id?: string;
  url: string;
}
export interface CatalogEntry {
  type: string;
  name: string;
  endpoints: CatalogEndpoint[];
}

export interface Session {
  token: string;
  projectId: string;
  userId: string;
  catalog: CatalogEntry[];
  expiresAt: string;
}

export interface PasswordAuth {
  authUrl: string;
  username: string;
  password: string;
  projectName: string;
  userDomain?: string;
  projectDomain?: string;
}

export class HttpError extends Error {
  constructor(
    public readonly method: string,
    public readonly url: string,
    public readonly status: number,
    public readonly body: string,
  ) {
    super(`${method} ${url} -> HTTP ${status}: ${body.slice(0, 500)}`);
  }
}

export async function authenticate(auth: PasswordAuth): Promise<Session> {
  const url = `${auth.authUrl.replace(/\/$/, "")}/auth/tokens`;
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ["password"],
          password: {
            user: { name: auth.username, domain: { name: auth.userDomain ?? "Default" }, password: auth.password },
          },
        },
        scope: { project: { name: auth.projectName, domain: { name: auth.projectDomain ?? "Default" } } },
      },
    }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new HttpError("POST", url, res.status, text);
  const token = res.headers.get("x-subject-token");
  if (!token) throw new Error(`POST ${url}: no X-Subject-Token header`);
  const body = JSON.parse(text) as {
    token: { project: { id: string }; user: { id: string }; catalog?: CatalogEntry[]; expires_at: string };
  };
  return {
    token,
    projectId: body.token.project.id,
    userId: body.token.user.id,
    catalog: body.token.catalog ?? [],
    expiresAt: body.token.expires_at,
  };
}

/** Public endpoint URL of a service type, as the catalog gives it. */
export function catalogUrl(session: Session, type: string, iface = "public"): string {
  const entry = session.catalog.find((e) => e.type === type);
  const ep = entry?.endpoints.find((e) => e.interface === iface);
  if (!ep) throw new Error(`catalog has no ${iface} endpoint for service type '${type}'`);
  return ep.url.replace(/\/$/, "");
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Accepted statuses; anything else throws HttpError. */
  expect?: number[];
}

export interface Response<T> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * One API call; the parsed JSON body typed as T (see openstack-bodies.ts). minicloud's own code
 * always names T. Left out, T is untyped JSON: the tests read a field or two of many responses
 * that way (test/engine, packages/minicloud/test).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests' untyped default; src names T
export async function request<T = any>(
  session: Session,
  method: string,
  url: string,
  opts: RequestOptions = {},
): Promise<Response<T>> {
  const headers: Record<string, string> = {
    "X-Auth-Token": session.token,
    Accept: "application/json",
    ...opts.headers,
  };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] ??= "application/json";
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  const expect = opts.expect ?? [200, 201, 202, 204];
  if (!expect.includes(res.status)) throw new HttpError(method, url, res.status, text);
  let parsed: unknown = undefined;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export const NOVA_MICROVERSION = { "OpenStack-API-Version": "compute 2.79", "X-OpenStack-Nova-API-Version": "2.79" };
