/**
 * The portal's configuration: which cloud, which desktops (employee → server, password hash,
 * connection data, as the desktop pool's outputs give them), who the admins are, and the
 * sign-in and cookie settings. Every problem is reported at once, each naming its field, the
 * value (hashes and passwords never shown) and the fix, before any cloud is asked.
 */
import * as fs from "node:fs";
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { AuthConfig, CloudConfig, loadCloud, validateCloudConfig } from "@openstack-blueprints/openstack-rest";
import { hashKind } from "./password";

export interface DesktopEntry {
  employee: string;
  serverId: string;
  /** SHA-512 crypt ($6$…) of the desktop password, or Jupyter's sha512:salt:hex for a notebook. */
  passwordHash: string;
  /** What the thin client dials (floating or fixed IP, or DNS name); empty until known. */
  address: string;
  hostname: string;
  /** RDP port (3389 unless the pool says otherwise). */
  port: number;
  /** The pool's own .rdp and Remmina files when it exported them; otherwise rendered from address. */
  rdpFile?: string;
  remminaProfile?: string;
  /** A notebook's URL (Jupyter pools): shown as a link instead of RDP files. */
  jupyterUrl?: string;
  /**
   * "sha256:<hex>" of the desktop's own report token (AutoStop): the guest's timer sends the token,
   * the portal keeps only its hash. Without it the desktop's reports are refused.
   */
  reportTokenHash?: string;
}

export interface AdminEntry {
  user: string;
  passwordHash: string;
}

export interface PortalConfig {
  /** A clouds.yaml entry's name, or an explicit cloud. */
  cloud: string | CloudConfig;
  listen: { host: string; port: number };
  /**
   * Session cookies carry Secure unless this is true: only for a portal on http://127.0.0.1 in
   * tests or on an admin's own machine (browsers drop Secure cookies over plain http).
   */
  insecureHttpCookies: boolean;
  /**
   * Address(es) of the HTTPS reverse proxy in front of the portal, whose X-Forwarded-For/-Proto the
   * portal believes (Fastify's trustProxy); false (default) believes no header.
   */
  trustProxy: false | string[];
  /** PEM files of the portal's own certificate: it then serves https itself. */
  tls?: { certFile: string; keyFile: string };
  sessionMinutes: number;
  /** Shelve desktops (stop notebooks) whose guests report no session for idleMinutes; off when absent. */
  autoStop?: { idleMinutes: number; reportTimeoutMinutes: number; checkEveryMinutes: number };
  signIn: { maxFailures: number; lockoutMinutes: number; attemptsPerMinutePerAddress: number };
  /** 32+ characters signing the session cookie; a random one per start when absent (sign-ins end at restart). */
  sessionSecret?: string;
  /**
   * Find each employee's server in Nova (the pool's blueprints-pool/-employee metadata) at start
   * and at most every refreshSeconds after, instead of reading server ids and addresses here.
   */
  discover?: { pool: string; refreshSeconds: number };
  desktops: DesktopEntry[];
  admins: AdminEntry[];
}

export interface ConfigProblem {
  field: string;
  value: string;
  problem: string;
}

export class PortalConfigError extends Error {
  constructor(
    readonly where: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${where}: ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
        problems.map((p) => `  - ${p.field} ${p.value}: ${p.problem}`).join("\n"),
    );
    this.name = "PortalConfigError";
  }
}

const LINUX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const SECRET_FIELDS = /passwordHash|password|secret|sessionSecret|reportTokenHash/i;
const TOKEN_HASH = /^sha256:[0-9a-f]{64}$/;

const explicitCloud = z.strictObject({
  authUrl: z.string(),
  authType: z.enum(["password", "v3applicationcredential"]).optional(),
  username: z.string().optional(),
  userId: z.string().optional(),
  password: z.string().optional(),
  userDomainName: z.string().optional(),
  userDomainId: z.string().optional(),
  projectName: z.string().optional(),
  projectId: z.string().optional(),
  projectDomainName: z.string().optional(),
  projectDomainId: z.string().optional(),
  applicationCredentialId: z.string().optional(),
  applicationCredentialName: z.string().optional(),
  applicationCredentialSecret: z.string().optional(),
  regionName: z.string().optional(),
  interface: z.string().optional(),
  insecure: z.boolean().optional(),
  cacert: z.string().optional(),
});

const desktopSchema = z.strictObject({
  // Required unless the config has `discover` (then Nova says which server is whose).
  serverId: z.string().min(1).optional(),
  passwordHash: z.string().min(1),
  address: z.string().optional(),
  hostname: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
  rdpFile: z.string().optional(),
  remminaProfile: z.string().optional(),
  jupyterUrl: z.string().optional(),
  reportTokenHash: z.string().optional(),
});

const adminSchema = z.strictObject({ passwordHash: z.string().min(1) });

export const portalConfigSchema = z.strictObject({
  cloud: z.union([z.string().min(1), explicitCloud]),
  listen: z
    .strictObject({ host: z.string().min(1).optional(), port: z.number().int().min(0).max(65535).optional() })
    .optional(),
  insecureHttpCookies: z.boolean().optional(),
  trustProxy: z.array(z.string().min(1)).optional(),
  tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
  autoStop: z
    .strictObject({
      idleMinutes: z
        .number()
        .int()
        .min(5)
        .max(7 * 24 * 60),
      reportTimeoutMinutes: z
        .number()
        .int()
        .min(2)
        .max(24 * 60)
        .optional(),
      checkEveryMinutes: z.number().int().min(1).max(60).optional(),
    })
    .optional(),
  sessionMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
  signIn: z
    .strictObject({
      maxFailures: z.number().int().min(1).max(100).optional(),
      lockoutMinutes: z
        .number()
        .int()
        .min(1)
        .max(24 * 60)
        .optional(),
      attemptsPerMinutePerAddress: z.number().int().min(1).max(1000).optional(),
    })
    .optional(),
  sessionSecret: z.string().min(32).optional(),
  discover: z
    .strictObject({
      pool: z.string().min(1),
      refreshSeconds: z.number().int().min(5).max(3600).optional(),
    })
    .optional(),
  desktops: z.record(z.string(), desktopSchema),
  admins: z.record(z.string(), adminSchema).optional(),
});

export type RawPortalConfig = z.input<typeof portalConfigSchema>;

/** A value for an error message: hashes, passwords and secrets are never shown, only their shape. */
function shown(field: string, value: unknown): string {
  if (value === undefined) return "(missing)";
  if (SECRET_FIELDS.test(field)) return typeof value === "string" ? `(hidden, ${value.length} characters)` : "(hidden)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function at(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const k of path) v = v && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function fixFor(field: string): string {
  if (field.startsWith("desktops.") && field.endsWith(".serverId"))
    return "give the Nova server id from the pool's desktops output (desktops.<employee>.serverId)";
  if (field.endsWith("passwordHash"))
    return "give the SHA-512 crypt hash ($6$…) the pool made for this desktop, or a Jupyter sha512:salt:hex hash; never a clear password";
  if (field === "cloud")
    return "name a clouds.yaml entry (e.g. office) or give { authUrl, username, password, projectName, … }";
  if (field === "desktops") return "map each employee's user name to { serverId, passwordHash, address }";
  if (field === "sessionSecret") return "use 32 or more random characters, or leave it out for a random one per start";
  if (field.startsWith("listen.port")) return "use a TCP port from 1 to 65535 (0: any free port)";
  return "see the portal README for the field";
}

type RawDesktop = z.infer<typeof desktopSchema>;
type RawAdmin = { passwordHash: string };

/** Checks what a schema cannot: names, hash formats, shared servers, admins who are employees. */
function checkEntries(
  desktopsRaw: Record<string, RawDesktop>,
  adminsRaw: Record<string, RawAdmin>,
  allDesktops: Record<string, unknown>,
  add: (field: string, value: unknown, problem: string) => void,
  discovering = false,
): { desktops: DesktopEntry[]; admins: AdminEntry[] } {
  const desktops: DesktopEntry[] = [];
  const serverOwners = new Map<string, string>();
  for (const [employee, d] of Object.entries(desktopsRaw)) {
    const field = `desktops.${employee}`;
    if (!LINUX_USER.test(employee))
      add(
        field,
        employee,
        "is not a Linux user name (lower-case letters, digits, _ and -, at most 32); use the pool's employee name",
      );
    if (!hashKind(d.passwordHash))
      add(`${field}.passwordHash`, d.passwordHash, `is not a password hash; ${fixFor("passwordHash")}`);
    if (d.serverId === undefined && !discovering)
      add(
        `${field}.serverId`,
        undefined,
        "is required without discover; give the Nova server id from the pool's desktops output, or discover: { pool: <pool name> }",
      );
    const other = d.serverId !== undefined ? serverOwners.get(d.serverId) : undefined;
    if (other)
      add(`${field}.serverId`, d.serverId, `is also the server of ${other}; each employee has a desktop of their own`);
    if (d.serverId !== undefined) serverOwners.set(d.serverId, employee);
    for (const key of ["address", "hostname"] as const)
      if (d[key] !== undefined && /[\r\n\0]/.test(d[key]!)) add(`${field}.${key}`, d[key], "must be a single line");
    if (d.jupyterUrl !== undefined && !/^https?:\/\//.test(d.jupyterUrl))
      add(`${field}.jupyterUrl`, d.jupyterUrl, "is not an http(s) URL; give the pool's jupyterUrls entry");
    if (d.reportTokenHash !== undefined && !TOKEN_HASH.test(d.reportTokenHash))
      add(
        `${field}.reportTokenHash`,
        d.reportTokenHash,
        'is not "sha256:" and 64 hex digits; give the hash of the desktop\'s report token (never the token)',
      );
    desktops.push({
      employee,
      serverId: d.serverId ?? "",
      passwordHash: d.passwordHash,
      address: d.address ?? "",
      hostname: d.hostname ?? employee,
      port: d.port ?? 3389,
      rdpFile: d.rdpFile,
      remminaProfile: d.remminaProfile,
      jupyterUrl: d.jupyterUrl,
      reportTokenHash: d.reportTokenHash,
    });
  }

  const admins: AdminEntry[] = [];
  for (const [user, a] of Object.entries(adminsRaw)) {
    const field = `admins.${user}`;
    if (!LINUX_USER.test(user))
      add(field, user, "is not a user name (lower-case letters, digits, _ and -, at most 32)");
    if (Object.prototype.hasOwnProperty.call(allDesktops, user))
      add(
        field,
        user,
        "is also an employee with a desktop; give the admin a name of their own (e.g. admin-" + user + ")",
      );
    if (!hashKind(a.passwordHash))
      add(
        `${field}.passwordHash`,
        a.passwordHash,
        `is not a password hash; ${fixFor("passwordHash")} (mkpasswd -m sha-512 makes one)`,
      );
    admins.push({ user, passwordHash: a.passwordHash });
  }
  return { desktops, admins };
}

/** Checks a parsed config file (YAML or JSON object) and fills in the defaults. */
export function parsePortalConfig(raw: unknown, where = "portal config"): PortalConfig {
  const problems: ConfigProblem[] = [];
  const add = (field: string, value: unknown, problem: string) =>
    problems.push({ field, value: shown(field, value), problem });
  const parsed = portalConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.map(String).join(".") || "(top level)";
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys)
          add(
            field === "(top level)" ? key : `${field}.${key}`,
            at(raw, [...issue.path, key]),
            "is not a portal setting; remove it or fix its spelling",
          );
        continue;
      }
      add(field, at(raw, issue.path), `${issue.message}; ${fixFor(field)}`);
    }
    // Every problem at once: the desktops and admins that do parse get their own checks too.
    const pick = <T>(value: unknown, schema: z.ZodType<T>): Record<string, T> =>
      Object.fromEntries(
        Object.entries(value && typeof value === "object" ? value : {}).flatMap(([k, v]) => {
          const one = schema.safeParse(v);
          return one.success ? [[k, one.data]] : [];
        }),
      );
    const allDesktops = at(raw, ["desktops"]);
    checkEntries(
      pick(allDesktops, desktopSchema),
      pick(at(raw, ["admins"]), adminSchema),
      allDesktops && typeof allDesktops === "object" ? (allDesktops as Record<string, unknown>) : {},
      add,
      at(raw, ["discover"]) !== undefined,
    );
    throw new PortalConfigError(where, problems);
  }
  const c = parsed.data;

  let cloud: string | CloudConfig = typeof c.cloud === "string" ? c.cloud : "";
  if (typeof c.cloud !== "string") {
    const { regionName, interface: iface, insecure, cacert, ...auth } = c.cloud;
    const cfg: CloudConfig = {
      name: "portal",
      auth: { ...auth, authType: auth.authType ?? "password" } as AuthConfig,
      regionName,
      interface: iface ?? "public",
      insecure,
      cacert,
    };
    try {
      validateCloudConfig(cfg, "cloud");
    } catch (e) {
      add("cloud", { authUrl: c.cloud.authUrl }, `${(e as Error).message.replace(/^cloud: /, "")}`);
    }
    cloud = cfg;
  }

  const { desktops, admins } = checkEntries(c.desktops, c.admins ?? {}, c.desktops, add, c.discover !== undefined);
  if (desktops.length === 0) add("desktops", c.desktops, `is empty; ${fixFor("desktops")}`);

  const signIn = {
    maxFailures: c.signIn?.maxFailures ?? 5,
    lockoutMinutes: c.signIn?.lockoutMinutes ?? 15,
    attemptsPerMinutePerAddress: c.signIn?.attemptsPerMinutePerAddress ?? 10,
  };
  for (const key of ["certFile", "keyFile"] as const)
    if (c.tls && !fs.existsSync(c.tls[key]))
      add(
        `tls.${key}`,
        c.tls[key],
        "does not exist; give the path of a PEM file (e.g. from the office's CA or certbot)",
      );
  if (problems.length) throw new PortalConfigError(where, problems);
  return {
    cloud,
    listen: { host: c.listen?.host ?? "127.0.0.1", port: c.listen?.port ?? 8443 },
    insecureHttpCookies: c.insecureHttpCookies ?? false,
    trustProxy: c.trustProxy ?? false,
    ...(c.tls ? { tls: c.tls } : {}),
    sessionMinutes: c.sessionMinutes ?? 60,
    ...(c.autoStop
      ? {
          autoStop: {
            idleMinutes: c.autoStop.idleMinutes,
            reportTimeoutMinutes: c.autoStop.reportTimeoutMinutes ?? 15,
            checkEveryMinutes: c.autoStop.checkEveryMinutes ?? 1,
          },
        }
      : {}),
    signIn,
    sessionSecret: c.sessionSecret,
    ...(c.discover ? { discover: { pool: c.discover.pool, refreshSeconds: c.discover.refreshSeconds ?? 60 } } : {}),
    desktops,
    admins,
  };
}

/** Reads a YAML or JSON config file without checking it (a caller may add to it first). */
export function readPortalConfigFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new PortalConfigError(file, [
      {
        field: "(file)",
        value: JSON.stringify(file),
        problem: `cannot be read (${(e as NodeJS.ErrnoException).code}); give the path of the portal's YAML or JSON config`,
      },
    ]);
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new PortalConfigError(file, [
      {
        field: "(file)",
        value: JSON.stringify(file),
        problem: `is not YAML or JSON: ${(e as Error).message.split("\n")[0]}`,
      },
    ]);
  }
}

/** Reads a YAML or JSON config file and checks it. */
export function loadPortalConfigFile(file: string): PortalConfig {
  return parsePortalConfig(readPortalConfigFile(file), file);
}

/** The cloud settings for the REST client (a clouds.yaml name is looked up now). */
export function resolveCloud(cloud: string | CloudConfig, env: NodeJS.ProcessEnv = process.env): CloudConfig {
  return typeof cloud === "string" ? loadCloud(cloud, env) : cloud;
}
