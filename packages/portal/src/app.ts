/**
 * The portal's web application (Fastify): sign-in with the desktop's own password, an employee's
 * page for their desktop (state, address, connection files, start/stop/shelve/unshelve with a
 * progress display), and the admin's overview. Sessions, CSRF, security headers, rate limits and
 * templates are well-kept plugins; this file only wires them and decides nothing about who may do
 * what (policy.ts does).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes, timingSafeEqual } from "node:crypto";
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from "fastify";
import fastifyCookie from "@fastify/cookie";
import fastifySession from "@fastify/session";
import fastifyCsrf from "@fastify/csrf-protection";
import fastifyHelmet from "@fastify/helmet";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifyFormbody from "@fastify/formbody";
import { Eta } from "eta";
import { RateLimiterMemory } from "rate-limiter-flexible";
import {
  renderRdpFile,
  renderRemminaProfile,
  sessionReportTokenHash,
} from "@openstack-blueprints/components/thin-client";
import { DesktopEntry, PortalConfig } from "./config";
import { applyDiscovery } from "./discovery";
import { DesktopCloud } from "./cloud";
import { DECOY_HASH, verifyPassword } from "./password";
import { ActivityLedger, AutoStopDecision, planAutoStop, recordReport } from "./autostop";
import {
  Actor,
  DesktopAction,
  DesktopState,
  decideAction,
  describeStatus,
  possibleActions,
  progressOf,
  Role,
} from "./policy";

declare module "fastify" {
  interface FastifyInstance {
    /** One AutoStop round now: plans from the guests' reports and Nova's states, shelves/stops (tests, the timer). */
    autoStopOnce(): Promise<AutoStopDecision[]>;
    /** Lists the pool's desktops in Nova again when the last listing is older than discover.refreshSeconds. */
    refreshDesktops(): Promise<void>;
  }
  interface Session {
    user?: string;
    role?: Role;
    /** The action this session started and is waiting for (the progress display). */
    pending?: { action: DesktopAction; startedAt: number };
    /** One message for the next page (after a redirect). */
    notice?: string;
  }
}

export interface PortalOptions {
  /** Fastify's logger (pino) settings; false by default. Requests are logged without bodies or cookies. */
  logger?: FastifyServerOptions["logger"];
  /** Clock for lockouts and progress (tests). */
  now?: () => number;
}

function httpsOptions(config: PortalConfig): { https: { cert: Buffer; key: Buffer } } | Record<string, never> {
  return config.tls
    ? { https: { cert: fs.readFileSync(config.tls.certFile), key: fs.readFileSync(config.tls.keyFile) } }
    : {};
}

const ROOT = path.join(__dirname, "..");

/** The hash the portal keeps of a desktop's report token: the pool's own (`sessionReportTokenHash`). */
export const reportTokenHash = sessionReportTokenHash;

function tokenMatches(token: string, stored: string | undefined): boolean {
  const given = Buffer.from(reportTokenHash(token));
  const want = Buffer.from(stored ?? "sha256:" + "0".repeat(64));
  return given.length === want.length && timingSafeEqual(given, want) && stored !== undefined;
}
const ASSETS: Record<string, { file: string; type: string }> = {
  "portal.js": { file: path.join(ROOT, "public", "portal.js"), type: "text/javascript; charset=utf-8" },
  "portal.css": { file: path.join(ROOT, "public", "portal.css"), type: "text/css; charset=utf-8" },
};

/** Signed-in users seen in the last `sessionMinutes` (the admin's "who is active"). */
class Activity {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}
  touch(user: string): void {
    this.seen.set(user, this.now());
  }
  forget(user: string): void {
    this.seen.delete(user);
  }
  lastSeen(user: string): number | undefined {
    const t = this.seen.get(user);
    return t !== undefined && this.now() - t <= this.windowMs ? t : undefined;
  }
}

export async function buildPortal(
  config: PortalConfig,
  cloud: DesktopCloud,
  options: PortalOptions = {},
): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const byEmployee = new Map<string, DesktopEntry>(config.desktops.map((d) => [d.employee, d]));
  const admins = new Map(config.admins.map((a) => [a.user, a]));
  const activity = new Activity(config.sessionMinutes * 60_000, now);
  /** What the guests reported (AutoStop), and when the portal last started or unshelved each desktop. */
  let ledger: ActivityLedger = {};
  const resumedAt = new Map<string, number>();
  const eta = new Eta({ views: path.join(ROOT, "views"), cache: true, autoEscape: true });
  const assets = Object.fromEntries(
    Object.entries(ASSETS).map(([name, a]) => [name, { body: fs.readFileSync(a.file), type: a.type }]),
  );

  // Lockout per user name: failures are counted, and at the limit the name is blocked for the
  // lockout time whatever the password (also for unknown names, so a lockout reveals nothing).
  const failures = new RateLimiterMemory({
    keyPrefix: "sign-in-failures",
    points: config.signIn.maxFailures,
    duration: config.signIn.lockoutMinutes * 60,
    blockDuration: config.signIn.lockoutMinutes * 60,
  });

  const app = Fastify({
    ...httpsOptions(config),
    logger: options.logger ?? false,
    // Forms are tiny; anything bigger is not a sign-in or an action.
    bodyLimit: 16 * 1024,
    // Behind the HTTPS proxy, the client's address (rate limits) and https (Secure cookies) come from it.
    trustProxy: config.trustProxy === false ? false : config.trustProxy,
  });
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        // Over plain http (tests, an admin's laptop) there is no https to upgrade to.
        upgradeInsecureRequests: config.insecureHttpCookies ? null : [],
      },
    },
    // HSTS only makes sense when the portal is served over https.
    strictTransportSecurity: config.insecureHttpCookies ? false : undefined,
  });
  await app.register(fastifyRateLimit, {
    global: true,
    max: 600,
    timeWindow: "1 minute",
  });
  await app.register(fastifyFormbody);
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: config.sessionSecret ?? randomBytes(48).toString("base64url"),
    // __Host-: the browser keeps it only if Secure, for this host alone, on path / (no Domain).
    cookieName: config.insecureHttpCookies ? "portal_session" : "__Host-portal_session",
    saveUninitialized: false,
    rolling: true,
    cookie: {
      httpOnly: true,
      secure: !config.insecureHttpCookies,
      sameSite: "strict",
      path: "/",
      maxAge: config.sessionMinutes * 60_000,
    },
  });
  await app.register(fastifyCsrf, { sessionPlugin: "@fastify/session" });

  // Nothing the portal answers may be cached: pages name desktops and carry CSRF tokens.
  app.addHook("onSend", async (_request, reply) => {
    reply.header("Cache-Control", "no-store");
  });

  const page = (reply: FastifyReply, status: number, template: string, data: Record<string, unknown>) =>
    reply
      .code(status)
      .type("text/html; charset=utf-8")
      .send(eta.render(template, { title: "Desktop portal", user: undefined, csrf: "", ...data }));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, "request failed");
    const message =
      error.code === "FST_CSRF_INVALID_TOKEN" || error.code === "FST_CSRF_MISSING_SECRET"
        ? "This form has expired or did not come from the portal. Go back, reload the page and try again."
        : status === 429
          ? "Too many requests from your address; wait a minute and try again."
          : status >= 500
            ? "Something went wrong on the portal's side; try again, or ask your admin."
            : error.message;
    return page(reply, status, "error", { message, user: request.session?.user });
  });

  app.setNotFoundHandler((request, reply) =>
    page(reply, 404, "error", { message: "There is no such page.", user: request.session?.user }),
  );

  const actorOf = (request: FastifyRequest): Actor | undefined => {
    const { user, role } = request.session;
    if (!user || !role) return undefined;
    // A session outlives a config change only as far as the user is still in it.
    if (role === "employee" && !byEmployee.has(user)) return undefined;
    if (role === "admin" && !admins.has(user)) return undefined;
    activity.touch(user);
    return { user, role };
  };

  const refuse = (request: FastifyRequest, reply: FastifyReply, status: number, reason: string, actor?: Actor) => {
    request.log.warn({ user: actor?.user, status, reason }, "refused");
    return page(reply, status, "error", { message: reason, user: actor?.user });
  };

  app.get("/assets/:name", async (request, reply) => {
    const asset = assets[(request.params as { name: string }).name];
    if (!asset) return reply.code(404).send();
    return reply.type(asset.type).send(asset.body);
  });

  app.get("/healthz", async () => ({ ok: true }));
  app.get("/favicon.ico", async (_request, reply) => reply.code(204).send());

  app.get("/", async (request, reply) => {
    const actor = actorOf(request);
    return reply.redirect(!actor ? "/signin" : actor.role === "admin" ? "/admin" : "/desktop", 303);
  });

  app.get("/signin", async (request, reply) => {
    if (actorOf(request)) return reply.redirect("/", 303);
    const notice = request.session.notice;
    request.session.notice = undefined;
    return page(reply, 200, "signin", { csrf: reply.generateCsrf(), notice, title: "Sign in" });
  });

  app.post(
    "/signin",
    {
      preHandler: app.csrfProtection,
      config: { rateLimit: { max: config.signIn.attemptsPerMinutePerAddress, timeWindow: "1 minute" } },
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const user = typeof body.username === "string" ? body.username.trim().toLowerCase() : "";
      const password = typeof body.password === "string" ? body.password : "";
      const again = (status: number, message: string) =>
        page(reply, status, "signin", { csrf: reply.generateCsrf(), error: message, username: user, title: "Sign in" });

      const lockKey = user || "(empty)";
      const lock = await failures.get(lockKey);
      if (lock && lock.consumedPoints >= config.signIn.maxFailures) {
        const minutes = Math.max(1, Math.ceil(lock.msBeforeNext / 60_000));
        request.log.warn({ user }, "sign-in refused: locked out");
        return again(
          429,
          `Too many failed sign-ins for this user name. Try again in ${minutes} min, or ask your admin.`,
        );
      }
      const desktop = byEmployee.get(user);
      const admin = admins.get(user);
      const hash = desktop?.passwordHash ?? admin?.passwordHash;
      // An unknown name costs one hash too: the answer's timing does not tell which names exist.
      const ok = verifyPassword(password, hash ?? DECOY_HASH) && hash !== undefined && password !== "";
      if (!ok) {
        await failures.consume(lockKey).catch(() => undefined);
        request.log.info({ user }, "sign-in failed");
        return again(401, "Wrong user name or password.");
      }
      await failures.delete(lockKey);
      // A new session id at sign-in: a session id planted before cannot ride on this sign-in.
      await request.session.regenerate();
      request.session.user = user;
      request.session.role = desktop ? "employee" : "admin";
      activity.touch(user);
      request.log.info({ user, role: request.session.role }, "signed in");
      return reply.redirect(desktop ? "/desktop" : "/admin", 303);
    },
  );

  app.post("/signout", { preHandler: app.csrfProtection }, async (request, reply) => {
    const user = request.session.user;
    if (user) activity.forget(user);
    await request.session.destroy();
    return reply.redirect("/signin", 303);
  });

  // With `discover`, which server is whose comes from Nova (the pool's metadata): asked at start
  // and again when a page needs it and the last answer is older than refreshSeconds. A failed
  // listing keeps the last answer (and is retried after refreshSeconds).
  let discoveredAt = Number.NEGATIVE_INFINITY;
  let discovering: Promise<void> | undefined;
  const refreshDesktops = async (): Promise<void> => {
    const settings = config.discover;
    if (!settings || !cloud.discover) return;
    if (now() - discoveredAt < settings.refreshSeconds * 1000) return;
    discovering ??= (async () => {
      try {
        const found = await cloud.discover!(settings.pool);
        const { unknownEmployees, duplicated } = applyDiscovery(config.desktops, found);
        if (unknownEmployees.length)
          app.log.warn({ pool: settings.pool, employees: unknownEmployees }, "servers of employees without a hash");
        if (duplicated.length)
          app.log.warn({ pool: settings.pool, employees: duplicated }, "employees with more than one server");
      } catch (e) {
        app.log.error({ pool: settings.pool, err: (e as Error).message }, "desktops not listed");
      } finally {
        discoveredAt = now();
        discovering = undefined;
      }
    })();
    return discovering;
  };
  app.decorate("refreshDesktops", refreshDesktops);

  /** The desktop an employee's requests are about: always their own, never one a request names. */
  const ownEntry = (actor: Actor) => (actor.role === "employee" ? byEmployee.get(actor.user) : undefined);

  const stateOf = async (entry: DesktopEntry): Promise<DesktopState & { addresses: string[] }> => {
    // Discovery found no server of theirs (yet): nothing to ask Nova about.
    if (entry.serverId === "") return { status: "MISSING", taskState: null, addresses: [] };
    try {
      return await cloud.state(entry.serverId);
    } catch (e) {
      // The page still shows, with the state unknown; the cause goes to the log, not to the page.
      app.log.error({ employee: entry.employee, err: (e as Error).message }, "desktop state unknown");
      return { status: "UNKNOWN", taskState: null, addresses: [] };
    }
  };

  /** The pending action's progress; when done, forgotten (the poller keeps its message for the reloaded page). */
  const progressNow = (request: FastifyRequest, state: DesktopState, keepMessage = false) => {
    const pending = request.session.pending;
    if (!pending) return undefined;
    const progress = progressOf(pending.action, state, Math.round((now() - pending.startedAt) / 1000));
    if (progress.done) {
      request.session.pending = undefined;
      if (keepMessage) request.session.notice = progress.message;
    }
    return { action: pending.action, ...progress };
  };

  app.get("/desktop", async (request, reply) => {
    const actor = actorOf(request);
    if (!actor) return reply.redirect("/signin", 303);
    if (actor.role === "admin") return reply.redirect("/admin", 303);
    await refreshDesktops();
    const entry = ownEntry(actor)!;
    const state = await stateOf(entry);
    const notice = request.session.notice;
    request.session.notice = undefined;
    return page(reply, 200, "desktop", {
      title: "Your desktop",
      user: actor.user,
      csrf: reply.generateCsrf(),
      desktop: entry,
      address: entry.address || state.addresses[0] || "",
      state,
      statusText: describeStatus(state.status),
      actions: possibleActions(state),
      progress: progressNow(request, state),
      notice,
    });
  });

  app.get("/desktop/status", async (request, reply) => {
    const actor = actorOf(request);
    if (!actor || actor.role !== "employee") return reply.code(401).send({ error: "sign in first" });
    await refreshDesktops();
    const state = await stateOf(ownEntry(actor)!);
    return {
      status: state.status,
      statusText: describeStatus(state.status),
      taskState: state.taskState,
      actions: possibleActions(state),
      progress: progressNow(request, state, true),
    };
  });

  app.post("/desktop/action", { preHandler: app.csrfProtection }, async (request, reply) => {
    const actor = actorOf(request);
    if (!actor) return reply.redirect("/signin", 303);
    const body = (request.body ?? {}) as Record<string, unknown>;
    await refreshDesktops();
    const entry = ownEntry(actor);
    const requested = typeof body.server === "string" ? body.server : undefined;
    const action = typeof body.action === "string" ? body.action : "";
    const state = entry ? await stateOf(entry) : { status: "MISSING", taskState: null };
    const decision = decideAction({
      actor,
      action,
      ownServerId: entry?.serverId || undefined,
      requestedServerId: requested,
      state,
    });
    if (!decision.allowed) return refuse(request, reply, decision.status, decision.reason, actor);
    try {
      await cloud.act(entry!.serverId, action as DesktopAction);
    } catch (e) {
      request.log.warn({ user: actor.user, action, err: (e as Error).message }, "action failed");
      return refuse(request, reply, 502, (e as Error).message, actor);
    }
    request.log.info({ user: actor.user, action }, "action started");
    if (action === "start" || action === "unshelve") resumedAt.set(actor.user, now());
    request.session.pending = { action: action as DesktopAction, startedAt: now() };
    return reply.redirect("/desktop", 303);
  });

  const download = (kind: "rdp" | "remmina") => async (request: FastifyRequest, reply: FastifyReply) => {
    const actor = actorOf(request);
    if (!actor) return reply.redirect("/signin", 303);
    const entry = ownEntry(actor);
    if (!entry) return refuse(request, reply, 403, "only an employee with a desktop has connection files", actor);
    await refreshDesktops();
    if (entry.jupyterUrl)
      return refuse(request, reply, 404, "a notebook has no RDP connection file; open its link", actor);
    const address = entry.address || (await stateOf(entry)).addresses[0];
    const given = kind === "rdp" ? entry.rdpFile : entry.remminaProfile;
    if (!given && !address)
      return refuse(request, reply, 409, "your desktop has no address yet; try again when it is running", actor);
    const connection = { user: entry.employee, address, desktop: entry.hostname, port: entry.port };
    const text = given ?? (kind === "rdp" ? renderRdpFile(connection) : renderRemminaProfile(connection));
    return reply
      .type(kind === "rdp" ? "application/x-rdp" : "application/x-remmina")
      .header("Content-Disposition", `attachment; filename="${entry.employee}.${kind === "rdp" ? "rdp" : "remmina"}"`)
      .send(text);
  };
  app.get("/desktop/connection.rdp", download("rdp"));
  app.get("/desktop/connection.remmina", download("remmina"));

  // A desktop's guest reports whether a session is active (AutoStop). Authenticated by the
  // desktop's own token (Authorization: Bearer …), not by a browser session: no cookie, no CSRF.
  app.post("/api/desktops/:employee/session", async (request, reply) => {
    const employee = (request.params as { employee: string }).employee;
    const header = request.headers.authorization ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    const entry = byEmployee.get(employee);
    if (!tokenMatches(token, entry?.reportTokenHash)) {
      request.log.warn({ employee }, "session report refused: wrong or missing token");
      return reply.code(401).send({ error: "wrong or missing report token" });
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body.active !== "boolean")
      return reply.code(400).send({ error: 'the body must be JSON {"active": true|false}' });
    ledger = recordReport(ledger, { employee, at: now(), active: body.active });
    return reply.code(204).send();
  });

  const autoStopOnce = async (): Promise<AutoStopDecision[]> => {
    if (!config.autoStop) return [];
    const settings = config.autoStop;
    await refreshDesktops();
    const desktops = await Promise.all(
      config.desktops.map(async (entry) => {
        const state = await stateOf(entry);
        return {
          employee: entry.employee,
          status: state.status,
          taskState: state.taskState,
          kind: entry.jupyterUrl ? ("notebook" as const) : ("desktop" as const),
          resumedAt: resumedAt.get(entry.employee),
        };
      }),
    );
    const plan = planAutoStop(desktops, ledger, settings, now());
    for (const decision of plan) {
      if (decision.action === "keep") continue;
      try {
        await cloud.act(byEmployee.get(decision.employee)!.serverId, decision.action);
        app.log.info({ employee: decision.employee, action: decision.action, reason: decision.reason }, "autostop");
      } catch (e) {
        app.log.warn({ employee: decision.employee, err: (e as Error).message }, "autostop failed");
      }
    }
    return plan;
  };
  app.decorate("autoStopOnce", autoStopOnce);
  if (config.autoStop) {
    const timer = setInterval(
      () => void autoStopOnce().catch(() => undefined),
      config.autoStop.checkEveryMinutes * 60_000,
    );
    timer.unref();
    app.addHook("onClose", async () => clearInterval(timer));
  }

  const guestSession = (employee: string): string => {
    const a = ledger[employee];
    if (!a) return "no report";
    const ago = Math.max(0, Math.round((now() - a.lastReportAt) / 60_000));
    return a.idleSince === undefined
      ? `active (reported ${ago} min ago)`
      : `none since ${new Date(a.idleSince).toISOString().replace(/:\d\d\.\d+Z$/, "Z")}`;
  };

  app.get("/admin", async (request, reply) => {
    const actor = actorOf(request);
    if (!actor) return reply.redirect("/signin", 303);
    if (actor.role !== "admin") return refuse(request, reply, 403, "this page is for admins", actor);
    await refreshDesktops();
    const rows = await Promise.all(
      config.desktops.map(async (entry) => {
        const state = await stateOf(entry);
        const seen = activity.lastSeen(entry.employee);
        return {
          entry,
          address: entry.address || state.addresses[0] || "",
          state,
          statusText: describeStatus(state.status),
          active: seen !== undefined,
          lastSeen: seen === undefined ? "" : new Date(seen).toISOString().replace(/\.\d+Z$/, "Z"),
          guestSession: guestSession(entry.employee),
        };
      }),
    );
    return page(reply, 200, "admin", {
      title: "All desktops",
      user: actor.user,
      csrf: reply.generateCsrf(),
      rows,
      activeCount: rows.filter((r) => r.active).length,
      sessionMinutes: config.sessionMinutes,
      autoStop: config.autoStop,
    });
  });

  app.addHook("onClose", async () => cloud.close());
  await refreshDesktops();
  return app;
}
