/**
 * `s2d serve`: the MigrationSpecs API of the TU Crete S2D service over HTTP, for operators and
 * the portal's monitoring page. A caller submits a spec (the MigrationSpecs XML or the JSON form
 * of the YAML spec), lists migrations and follows one migration's steps and bytes. Every route
 * but /healthz needs a Keystone token of cloud A (X-Auth-Token), checked with that Keystone on
 * each request (cached for a minute at most); a caller sees only the migrations submitted with
 * tokens of its own project. Specs are validated exactly as the CLI validates them, before any
 * request to a cloud; their passwords never appear in an answer.
 */
import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  CloudConfig,
  OpenStackClient,
  Transport,
  ValidatedToken,
  loadCloud,
  validateKeystoneToken,
} from "@openstack-blueprints/openstack-rest";
import { clientOf, cloudConfigOf } from "./clouds";
import {
  EngineEvent,
  EngineOptions,
  MigrationEngine,
  MigrationResult,
  PreflightError,
  PreflightProblem,
} from "./engine";
import { Journal } from "./journal";
import { CloudRef, MigrationSpec, SpecError, parseSpecText, validateSpec } from "./spec";

export interface ServeOptions {
  /** Cloud A: a clouds.yaml name, or its Keystone URL; callers' tokens are validated there. */
  authCloud: string;
  /** Folder of the journals, one per submitted migration. */
  stateDir: string;
  /** Engine options for every migration (keep, timeouts, …; journal and onEvent are the service's). */
  engine?: Omit<EngineOptions, "journal" | "onEvent">;
  /**
   * clouds.yaml entries callers may name without giving credentials: the service then logs in
   * with the entry's own. Other specs must carry their credentials. A named source must be of
   * the caller's project (its token proves membership of that project in cloud A).
   */
  allowedClouds?: string[];
  /** Called with every engine event (tests and logs). */
  onEvent?: (migrationId: string, e: EngineEvent) => void;
  /** How long a validated token is trusted before Keystone is asked again (default 60 s). */
  tokenCacheMs?: number;
}

export type MigrationState = "running" | "succeeded" | "failed";

/** One server of a served migration, as the API shows it. */
export interface ServedServer {
  source: string;
  /** The step running now (or the last one). */
  step?: string;
  steps: { step: string; status: "start" | "done" | "skipped"; detail?: string; at: string }[];
  bytes: number;
  totalBytes?: number;
  bytesPerSecond?: number;
  etaMs?: number;
  warnings: string[];
  /** Things worth telling that are not problems (zero-copy). */
  notes: string[];
  /** B already held the image's bytes: nothing was copied. */
  zeroCopy?: boolean;
  result?: MigrationResult;
  error?: string;
}

/** A served migration; `events` holds everything but progress ticks (those update `servers`). */
interface Served {
  id: string;
  state: MigrationState;
  owner: { userId: string; userName?: string; projectId: string; projectName?: string };
  format: "xml" | "json";
  source: Record<string, string>;
  target: Record<string, string>;
  submittedAt: string;
  finishedAt?: string;
  servers: Map<string, ServedServer>;
  problems?: PreflightProblem[];
  error?: string;
  events: (EngineEvent & { seq: number; at: string })[];
}

const API = "/v1/migrations";

/** The clouds of a spec as shown to callers: names and endpoints, never passwords. */
function cloudView(c: CloudRef): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ["cloud", "authUrl", "username", "project", "region"] as const) if (c[k]) out[k] = String(c[k]);
  return out;
}

function problemJson(e: SpecError) {
  return e.issues.map((i) => ({
    path: i.path || "(root)",
    message: i.message,
    ...(i.value !== undefined ? { value: /password|secret/i.test(i.path) ? "***" : i.value } : {}),
  }));
}

export class MigrationService {
  readonly app: FastifyInstance;
  private readonly migrations = new Map<string, Served>();
  private readonly running = new Set<Promise<void>>();
  private readonly transport = new Transport({ retry: { attempts: 2 }, timeoutMs: 15_000 });
  private readonly tokenCache = new Map<string, { token: ValidatedToken; until: number }>();
  private readonly authUrl: string;

  constructor(private readonly opts: ServeOptions) {
    this.authUrl = /^https?:\/\//.test(opts.authCloud)
      ? opts.authCloud
      : loadCloud(opts.authCloud, process.env, { validate: false }).auth.authUrl;
    fs.mkdirSync(opts.stateDir, { recursive: true, mode: 0o700 });
    // Fastify's own logger stays off: request lines would carry X-Auth-Token-bearing headers into logs.
    this.app = Fastify({ logger: false, bodyLimit: 1 << 20 });
    this.app.addContentTypeParser(["application/xml", "text/xml"], { parseAs: "string" }, (_req, body, done) =>
      done(null, body),
    );
    this.app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      void reply.code(status).send({ error: err.message });
    });
    // Authentication runs before the body is even read.
    this.app.addHook("onRequest", async (req, reply) => {
      if (req.url === "/healthz") return;
      const token = req.headers["x-auth-token"];
      if (typeof token !== "string" || !token.trim())
        return reply
          .code(401)
          .header("WWW-Authenticate", 'Keystone uri="' + this.authUrl + '"')
          .send({ error: "X-Auth-Token is required: a Keystone token of cloud A (openstack token issue)" });
      let who: ValidatedToken | undefined;
      try {
        who = await this.validate(token.trim());
      } catch (e) {
        return reply.code(503).send({ error: `cloud A's Keystone could not check the token: ${(e as Error).message}` });
      }
      if (!who)
        return reply
          .code(401)
          .header("WWW-Authenticate", 'Keystone uri="' + this.authUrl + '"')
          .send({ error: "X-Auth-Token was refused by cloud A's Keystone (expired, revoked or not a token)" });
      (req as FastifyRequest & { caller?: ValidatedToken }).caller = who;
    });
    this.routes();
  }

  private async validate(token: string): Promise<ValidatedToken | undefined> {
    const key = createHash("sha256").update(token).digest("hex");
    const hit = this.tokenCache.get(key);
    const now = Date.now();
    if (hit && hit.until > now) return hit.token;
    const t = await validateKeystoneToken(this.transport, this.authUrl, token);
    if (!t) {
      this.tokenCache.delete(key);
      return undefined;
    }
    this.tokenCache.set(key, {
      token: t,
      until: Math.min(now + (this.opts.tokenCacheMs ?? 60_000), t.expiresAt.getTime()),
    });
    if (this.tokenCache.size > 1000) this.tokenCache.delete(this.tokenCache.keys().next().value as string);
    return t;
  }

  private routes(): void {
    const caller = (req: FastifyRequest) => (req as FastifyRequest & { caller: ValidatedToken }).caller;
    const visible = (req: FastifyRequest, m: Served | undefined) =>
      m && m.owner.projectId === caller(req).projectId && m.owner.projectId !== "" ? m : undefined;
    const notFound = (reply: FastifyReply, id: string) =>
      reply.code(404).send({ error: `no migration ${id} (in your project)` });

    this.app.get("/healthz", async () => ({ status: "ok" }));

    this.app.post(API, async (req, reply) => {
      const who = caller(req);
      if (!who.projectId)
        return reply.code(403).send({ error: "use a project-scoped token: migrations belong to a project" });
      const type = String(req.headers["content-type"] ?? "")
        .split(";")[0]
        .trim();
      let spec: MigrationSpec;
      let format: Served["format"];
      try {
        if (type === "application/xml" || type === "text/xml") {
          if (typeof req.body !== "string" || !req.body.trim())
            throw new SpecError("request", [
              { path: "", message: "the body is empty; send a MigrationSpecs document" },
            ]);
          format = "xml";
          spec = parseSpecText(req.body, "MigrationSpecs.xml");
        } else if (type === "application/json") {
          format = "json";
          spec = validateSpec(req.body, "request");
        } else {
          return reply.code(415).send({
            error: `Content-Type ${type || "(none)"} is not a migration spec; send application/xml (MigrationSpecs) or application/json (the YAML spec's fields)`,
          });
        }
        // A clouds.yaml name the service does not know is a spec error too, found before any cloud is called.
        const source = cloudConfigOf(spec.source, "source");
        cloudConfigOf(spec.target, "target");
        const refused = this.namedCloudProblems(spec, source, who);
        if (refused.length) return reply.code(403).send({ error: "migration not allowed", problems: refused });
      } catch (e) {
        if (e instanceof SpecError)
          return reply.code(400).send({ error: "invalid migration spec", problems: problemJson(e) });
        if ((e as Error).name === "OpenStackConfigError")
          return reply.code(400).send({
            error: "invalid migration spec",
            problems: [{ path: "source/target", message: (e as Error).message }],
          });
        throw e;
      }
      const m = this.start(spec, format, who);
      return reply.code(202).header("Location", `${API}/${m.id}`).send(this.view(m));
    });

    this.app.get(API, async (req) => ({
      migrations: [...this.migrations.values()].filter((m) => visible(req, m)).map((m) => this.summary(m)),
    }));

    this.app.get<{ Params: { id: string } }>(`${API}/:id`, async (req, reply) => {
      const m = visible(req, this.migrations.get(req.params.id));
      return m ? this.view(m) : notFound(reply, req.params.id);
    });

    this.app.get<{ Params: { id: string }; Querystring: { after?: string } }>(
      `${API}/:id/events`,
      async (req, reply) => {
        const m = visible(req, this.migrations.get(req.params.id));
        if (!m) return notFound(reply, req.params.id);
        const after = req.query.after === undefined ? -1 : Number(req.query.after);
        if (!Number.isInteger(after))
          return reply.code(400).send({ error: `after must be an event number (seq), got "${req.query.after}"` });
        const events = m.events.filter((e) => e.seq > after);
        return { state: m.state, events, next: m.events.length ? m.events[m.events.length - 1].seq : after };
      },
    );
  }

  /**
   * A spec that names a clouds.yaml entry without credentials would act with the service's own
   * credentials: only entries the operator offered (--allow-cloud), and a source only for callers
   * of that entry's project.
   */
  private namedCloudProblems(spec: MigrationSpec, source: CloudConfig, who: ValidatedToken) {
    const problems: { path: string; message: string; value?: string }[] = [];
    const allowed = this.opts.allowedClouds ?? [];
    for (const side of ["source", "target"] as const) {
      const ref = spec[side];
      if (!ref.cloud || ref.authUrl || (ref.username && ref.password)) continue;
      if (!allowed.includes(ref.cloud))
        problems.push({
          path: `${side}.cloud`,
          value: ref.cloud,
          message: `this service does not lend the credentials of clouds.yaml entry "${ref.cloud}" (offered: ${allowed.join(", ") || "none"}); give username, password and project in the spec`,
        });
    }
    const s = spec.source;
    if (s.cloud && !s.authUrl && !(s.username && s.password) && allowed.includes(s.cloud)) {
      const a = source.auth;
      const same = a.projectId ? a.projectId === who.projectId : a.projectName === who.projectName;
      if (!same)
        problems.push({
          path: "source.cloud",
          value: s.cloud,
          message: `clouds.yaml entry "${s.cloud}" acts in project ${a.projectId ?? a.projectName}, and your token is of project ${who.projectName ?? who.projectId}; use a token of that project or give the source's credentials in the spec`,
        });
    }
    return problems;
  }

  /** Starts a validated spec in the background; its journal is the service's, one per migration. */
  private start(spec: MigrationSpec, format: Served["format"], who: ValidatedToken): Served {
    const id = randomUUID();
    const m: Served = {
      id,
      state: "running",
      owner: { userId: who.userId, userName: who.userName, projectId: who.projectId, projectName: who.projectName },
      format,
      source: cloudView(spec.source),
      target: cloudView(spec.target),
      submittedAt: new Date().toISOString(),
      servers: new Map(
        spec.servers.map((s) => [
          s.source,
          { source: s.source, steps: [], bytes: 0, warnings: [], notes: [] } as ServedServer,
        ]),
      ),
      events: [],
    };
    this.migrations.set(id, m);
    const run = this.run(m, spec).finally(() => this.running.delete(run));
    this.running.add(run);
    return m;
  }

  private async run(m: Served, spec: MigrationSpec): Promise<void> {
    const journal = new Journal(path.join(this.opts.stateDir, `${m.id}.journal`));
    let a: OpenStackClient | undefined;
    let b: OpenStackClient | undefined;
    try {
      a = clientOf(spec.source, "source");
      b = clientOf(spec.target, "target");
      const engine = new MigrationEngine(a, b, { ...this.opts.engine, journal, onEvent: (e) => this.record(m, e) });
      const { errors } = await engine.runAll(spec);
      m.state = errors.length ? "failed" : "succeeded";
      if (errors.length) m.error = errors.map((e) => e.message).join("; ");
    } catch (e) {
      m.state = "failed";
      m.error = (e as Error).message;
      if (e instanceof PreflightError) m.problems = e.problems;
    } finally {
      m.finishedAt = new Date().toISOString();
      journal.close();
      a?.close();
      b?.close();
    }
  }

  private record(m: Served, e: EngineEvent): void {
    this.opts.onEvent?.(m.id, e);
    const s = m.servers.get(e.server);
    const at = new Date().toISOString();
    if (e.type === "progress") {
      if (s) {
        s.bytes = e.progress.bytes;
        s.totalBytes = e.progress.total;
        s.bytesPerSecond = Math.round(e.progress.rate);
        s.etaMs = e.progress.etaMs;
      }
      return;
    }
    m.events.push({ ...e, seq: m.events.length, at });
    if (!s) return;
    if (e.type === "step") {
      s.step = e.step;
      s.steps.push({ step: e.step, status: e.status, ...(e.detail ? { detail: e.detail } : {}), at });
    } else if (e.type === "warning") s.warnings.push(e.message);
    else if (e.type === "info") s.notes.push(e.message);
    else if (e.type === "error") s.error = e.error;
    else if (e.type === "result") {
      s.result = e.result;
      s.zeroCopy = e.result.zeroCopy;
      s.bytes = Math.max(s.bytes, e.result.bytes);
      s.totalBytes ??= e.result.bytes;
      s.etaMs = 0;
    }
  }

  private summary(m: Served) {
    const servers = [...m.servers.values()];
    return {
      id: m.id,
      state: m.state,
      format: m.format,
      source: m.source,
      target: m.target,
      submittedAt: m.submittedAt,
      ...(m.finishedAt ? { finishedAt: m.finishedAt } : {}),
      servers: servers.length,
      serversDone: servers.filter((s) => s.result).length,
      bytes: servers.reduce((n, s) => n + s.bytes, 0),
      link: `${API}/${m.id}`,
    };
  }

  private view(m: Served) {
    return {
      ...this.summary(m),
      owner: m.owner,
      servers: [...m.servers.values()],
      ...(m.problems ? { problems: m.problems } : {}),
      ...(m.error ? { error: m.error } : {}),
      events: `${API}/${m.id}/events`,
    };
  }

  /** Listens on host:port (127.0.0.1 unless told otherwise); resolves with the address. */
  async listen(host = "127.0.0.1", port = 8787): Promise<string> {
    return this.app.listen({ host, port });
  }

  /** Stops accepting requests; with waitForMigrations, resolves once running migrations have ended. */
  async close(opts: { waitForMigrations?: boolean } = {}): Promise<void> {
    await this.app.close();
    if (opts.waitForMigrations) await Promise.allSettled([...this.running]);
    this.transport.close();
  }
}

/** `--listen` value: PORT, HOST:PORT or [IPv6]:PORT; the host defaults to loopback. */
export function parseListen(v: string | undefined): { host: string; port: number } {
  if (!v) return { host: "127.0.0.1", port: 8787 };
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):)?(\d{1,5})$/.exec(v.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535))
    throw new Error(`--listen must be PORT, HOST:PORT or [IPv6]:PORT such as 127.0.0.1:8787, got "${v}"`);
  return { host: m[1] ?? m[2] ?? "127.0.0.1", port };
}
