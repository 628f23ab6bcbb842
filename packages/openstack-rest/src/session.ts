/**
 * A Keystone v3 session: project-scoped token (password or application credential), the
 * service catalog, endpoint lookup by type/interface/region, re-authentication shortly before
 * expiry and once more when a service answers 401. Credentials stay in this object; nothing
 * here logs or throws them.
 */
import * as fs from "node:fs";
import { CloudConfig } from "./config";
import { OpenStackConfigError, OpenStackError } from "./errors";
import { RawRequest, RawResponse, Transport, TransportOptions } from "./transport";
import type { IncomingMessage } from "node:http";

export interface CatalogEndpoint {
  id?: string;
  interface: string;
  region_id?: string | null;
  region?: string | null;
  url: string;
}

export interface CatalogEntry {
  type: string;
  name?: string;
  id?: string;
  endpoints: CatalogEndpoint[];
}

export interface TokenInfo {
  expiresAt: Date;
  issuedAt?: Date;
  projectId: string;
  projectName?: string;
  userId: string;
  userName?: string;
  roles: string[];
  catalog: CatalogEntry[];
}

export interface SessionOptions extends TransportOptions {
  /** Re-authenticate when the token has less than this left (default 120 s). */
  refreshMarginMs?: number;
  /** Per-service endpoint overrides, e.g. { image: "http://127.0.0.1:9292" }. */
  endpointOverrides?: Record<string, string>;
}

export interface ServiceRequest extends Omit<RawRequest, "url"> {
  /** Path (joined to the service endpoint) or absolute URL (from a `next` link). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
}

/** Version suffixes appended to unversioned catalog URLs. */
const VERSION_SUFFIX: Record<string, { suffix: string; match: RegExp }> = {
  image: { suffix: "/v2", match: /\/v2(\.\d+)?\/?$/ },
  network: { suffix: "/v2.0", match: /\/v2\.0\/?$/ },
};

export class Session {
  readonly transport: Transport;
  readonly cloud: CloudConfig;
  private token?: string;
  private info?: TokenInfo;
  private authenticating?: Promise<void>;
  private readonly refreshMarginMs: number;
  private readonly overrides: Record<string, string>;
  /** Counts authentications (visible for tests and progress output). */
  authCount = 0;

  constructor(cloud: CloudConfig, opts: SessionOptions = {}) {
    this.cloud = cloud;
    const tls =
      cloud.insecure || cloud.cacert
        ? { rejectUnauthorized: !cloud.insecure, ca: cloud.cacert ? fs.readFileSync(cloud.cacert) : undefined }
        : undefined;
    this.transport = new Transport({ ...opts, tls: opts.tls ?? tls });
    this.refreshMarginMs = opts.refreshMarginMs ?? 120_000;
    this.overrides = opts.endpointOverrides ?? {};
  }

  close(): void {
    this.transport.close();
  }

  /** Token facts (after the first call). */
  get tokenInfo(): TokenInfo | undefined {
    return this.info;
  }

  get projectId(): string {
    if (!this.info) throw new Error("session not authenticated yet; call authenticate() first");
    return this.info.projectId;
  }

  /** Milliseconds of token life left (0 when unauthenticated). */
  tokenRemainingMs(now = Date.now()): number {
    return this.info ? this.info.expiresAt.getTime() - now : 0;
  }

  /** Makes sure a token with at least `minRemainingMs` of life is held (re-authenticates otherwise). */
  async ensureToken(minRemainingMs?: number): Promise<string> {
    if (!this.token || this.tokenRemainingMs() < (minRemainingMs ?? this.effectiveMarginMs()))
      await this.authenticate();
    return this.token as string;
  }

  /**
   * The refresh margin, capped at a quarter of the token's lifetime: with a cloud that issues
   * short tokens (shorter than the margin) the client would otherwise re-authenticate on
   * every call.
   */
  private effectiveMarginMs(): number {
    const i = this.info;
    if (!i?.issuedAt) return this.refreshMarginMs;
    const life = i.expiresAt.getTime() - i.issuedAt.getTime();
    return Math.min(this.refreshMarginMs, Math.max(1000, life / 4));
  }

  /** Forces a new token (concurrent callers share one Keystone round trip). */
  async authenticate(): Promise<void> {
    if (!this.authenticating) {
      this.authenticating = this.doAuthenticate().finally(() => {
        this.authenticating = undefined;
      });
    }
    return this.authenticating;
  }

  private authBody(): unknown {
    const a = this.cloud.auth;
    if (a.authType === "v3applicationcredential") {
      const cred: Record<string, unknown> = { secret: a.applicationCredentialSecret };
      if (a.applicationCredentialId) cred.id = a.applicationCredentialId;
      else {
        cred.name = a.applicationCredentialName;
        cred.user = a.userId
          ? { id: a.userId }
          : { name: a.username, domain: domainRef(a.userDomainId, a.userDomainName) };
      }
      // Application credentials are bound to their project: no scope may be sent.
      return { auth: { identity: { methods: ["application_credential"], application_credential: cred } } };
    }
    const user: Record<string, unknown> = a.userId
      ? { id: a.userId, password: a.password }
      : { name: a.username, password: a.password, domain: domainRef(a.userDomainId, a.userDomainName) };
    const project = a.projectId
      ? { id: a.projectId }
      : { name: a.projectName, domain: domainRef(a.projectDomainId, a.projectDomainName) };
    return { auth: { identity: { methods: ["password"], password: { user } }, scope: { project } } };
  }

  private async doAuthenticate(): Promise<void> {
    const base = this.cloud.auth.authUrl.replace(/\/+$/, "");
    const url = /\/v3$/.test(base) ? `${base}/auth/tokens` : `${base}/v3/auth/tokens`;
    const { body, info } = await this.transport.json<{ token: RawToken }>({
      method: "POST",
      url,
      body: this.authBody(),
      // A refused password must not be retried; a dropped connection before an answer may.
      idempotent: true,
    });
    const token = info.headers["x-subject-token"];
    if (typeof token !== "string" || !body?.token) {
      throw new OpenStackError({
        method: "POST",
        url,
        status: info.status,
        requestId: info.requestId,
        serviceMessage: "Keystone answered without X-Subject-Token",
      });
    }
    const t = body.token;
    this.token = token;
    this.authCount++;
    this.info = {
      expiresAt: new Date(t.expires_at),
      issuedAt: t.issued_at ? new Date(t.issued_at) : undefined,
      projectId: t.project?.id ?? t.application_credential?.project_id ?? "",
      projectName: t.project?.name,
      userId: t.user?.id ?? "",
      userName: t.user?.name,
      roles: (t.roles ?? []).map((r) => r.name),
      catalog: t.catalog ?? [],
    };
  }

  /** Finds a service endpoint in the catalog by type, interface and region; adds the API version for image/network. */
  async endpoint(serviceType: string): Promise<string> {
    if (this.overrides[serviceType]) return withVersion(serviceType, this.overrides[serviceType]);
    await this.ensureToken();
    return withVersion(
      serviceType,
      findEndpoint(this.info!.catalog, serviceType, this.cloud.interface, this.cloud.regionName),
    );
  }

  private async buildUrl(serviceType: string, r: ServiceRequest): Promise<string> {
    const base = /^https?:\/\//.test(r.path)
      ? r.path
      : `${(await this.endpoint(serviceType)).replace(/\/+$/, "")}/${r.path.replace(/^\/+/, "")}`;
    if (!r.query) return base;
    const u = new URL(base);
    for (const [k, v] of Object.entries(r.query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /**
   * Sends a request to a service with the token. A 401 triggers one re-authentication and one
   * resend (only when the body can be sent again — a streamed upload is reported instead).
   */
  async send(serviceType: string, r: ServiceRequest): Promise<{ res: IncomingMessage; info: RawResponse }> {
    const url = await this.buildUrl(serviceType, r);
    const attempt = async () => {
      const token = await this.ensureToken();
      return this.transport.send({ ...r, url, headers: { ...(r.headers ?? {}), "X-Auth-Token": token } });
    };
    try {
      return await attempt();
    } catch (e) {
      const replayable = !(r.body && typeof (r.body as { pipe?: unknown }).pipe === "function");
      if (e instanceof OpenStackError && e.status === 401 && replayable) {
        await this.authenticate();
        return attempt();
      }
      throw e;
    }
  }

  async json<T>(serviceType: string, r: ServiceRequest): Promise<{ body: T; info: RawResponse }> {
    const url = await this.buildUrl(serviceType, r);
    const attempt = async () => {
      const token = await this.ensureToken();
      return this.transport.json<T>({ ...r, url, headers: { ...(r.headers ?? {}), "X-Auth-Token": token } });
    };
    try {
      return await attempt();
    } catch (e) {
      if (e instanceof OpenStackError && e.status === 401) {
        await this.authenticate();
        return attempt();
      }
      throw e;
    }
  }
}

interface RawToken {
  expires_at: string;
  issued_at?: string;
  project?: { id: string; name?: string };
  application_credential?: { id: string; project_id?: string };
  user?: { id: string; name?: string };
  roles?: { name: string }[];
  catalog?: CatalogEntry[];
}

function domainRef(id?: string, name?: string): Record<string, string> {
  if (id) return { id };
  return { name: name ?? "Default" };
}

export function findEndpoint(catalog: CatalogEntry[], serviceType: string, iface = "public", region?: string): string {
  const aliases: Record<string, string[]> = {
    compute: ["compute"],
    image: ["image"],
    network: ["network"],
    identity: ["identity"],
    "block-storage": ["block-storage", "volumev3", "volumev2", "volume"],
  };
  const types = aliases[serviceType] ?? [serviceType];
  const entry = catalog.find((c) => types.includes(c.type));
  if (!entry) {
    throw new OpenStackConfigError(
      `service "${serviceType}" is not in the catalog (have: ${catalog.map((c) => c.type).join(", ") || "none"})`,
    );
  }
  const wanted = iface.replace(/URL$/, "");
  const candidates = entry.endpoints.filter(
    (e) => e.interface === wanted && (!region || (e.region_id ?? e.region) === region),
  );
  if (candidates.length === 0) {
    const have = entry.endpoints.map((e) => `${e.interface}@${e.region_id ?? e.region ?? "?"}`).join(", ");
    throw new OpenStackConfigError(
      `no ${wanted} endpoint for "${serviceType}"${region ? ` in region ${region}` : ""} (have: ${have})`,
    );
  }
  return candidates[0].url;
}

function withVersion(serviceType: string, url: string): string {
  const v = VERSION_SUFFIX[serviceType];
  const trimmed = url.replace(/\/+$/, "");
  if (!v || v.match.test(trimmed)) return trimmed;
  return trimmed + v.suffix;
}

/** What Keystone says about a token a caller presented (see validateKeystoneToken). */
export interface ValidatedToken {
  userId: string;
  userName?: string;
  /** Empty for an unscoped or domain-scoped token. */
  projectId: string;
  projectName?: string;
  roles: string[];
  expiresAt: Date;
}

/**
 * Asks Keystone whether `token` is valid (GET /v3/auth/tokens with it as both X-Auth-Token and
 * X-Subject-Token: Keystone's policy lets any token validate itself, so a service needs no admin
 * role to check its callers). Undefined when Keystone refuses it (expired, revoked, made up);
 * connection or server failures are thrown, never taken as "valid".
 */
export async function validateKeystoneToken(
  transport: Transport,
  authUrl: string,
  token: string,
): Promise<ValidatedToken | undefined> {
  const base = authUrl.replace(/\/+$/, "");
  const url = `${/\/v3$/.test(base) ? base : `${base}/v3`}/auth/tokens?nocatalog=1`;
  let body: { token?: RawToken } | undefined;
  try {
    ({ body } = await transport.json<{ token?: RawToken }>({
      method: "GET",
      url,
      headers: { "X-Auth-Token": token, "X-Subject-Token": token },
    }));
  } catch (e) {
    if (e instanceof OpenStackError && (e.status === 401 || e.status === 403 || e.status === 404)) return undefined;
    throw e;
  }
  const t = body?.token;
  if (!t?.expires_at || !t.user?.id) return undefined;
  const expiresAt = new Date(t.expires_at);
  if (!(expiresAt.getTime() > Date.now())) return undefined;
  return {
    userId: t.user.id,
    userName: t.user.name,
    projectId: t.project?.id ?? t.application_credential?.project_id ?? "",
    projectName: t.project?.name,
    roles: (t.roles ?? []).map((r) => r.name),
    expiresAt,
  };
}
