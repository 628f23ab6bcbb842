/**
 * The migration spec: YAML (preferred) or the TU Crete S2D service's MigrationSpecs XML, validated with zod
 * into one normalised shape. Errors name the field path, the value and the fix, before any
 * cloud is contacted.
 */
import * as fs from "node:fs";
import { isIPv4 } from "node:net";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { parseMigrationSpecsXml } from "./xml-spec";
import { SpecError } from "./spec-error";
export { SpecError } from "./spec-error";

const nonEmpty = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, `${what} must not be empty`);

/**
 * A cloud: a clouds.yaml entry name, or inline credentials (the XML carries these). With both,
 * the inline username/password/project/domains replace the clouds.yaml entry's (see clouds.ts):
 * credentials in a spec are always used, never silently ignored.
 */
export const CloudRefSchema = z
  .object({
    cloud: nonEmpty("cloud").optional(),
    authUrl: z
      .url({ protocol: /^https?$/, error: "authUrl must be an http(s) URL such as http://keystone:5000/v3" })
      .optional(),
    username: nonEmpty("username").optional(),
    password: nonEmpty("password").optional(),
    project: nonEmpty("project").optional(),
    userDomain: nonEmpty("userDomain").optional(),
    projectDomain: nonEmpty("projectDomain").optional(),
    region: nonEmpty("region").optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.cloud && !c.authUrl)
      ctx.addIssue({
        code: "custom",
        message: "give either cloud (a clouds.yaml name) or authUrl + username + password + project",
      });
    if (c.authUrl) {
      for (const k of ["username", "password", "project"] as const) {
        if (!c[k]) ctx.addIssue({ code: "custom", path: [k], message: `${k} is required with authUrl` });
      }
    }
  });
export type CloudRef = z.infer<typeof CloudRefSchema>;

export const KEYPAIR_MODES = ["copy", "existing", "import", "none"] as const;
/** "new", "none" or a dotted IPv4 address whose four parts are 0–255 (999.999.999.999 is not one). */
export function isFloatingIpChoice(v: string): boolean {
  return v === "new" || v === "none" || isIPv4(v);
}
export const MAX_CONCURRENCY = 16;

export const ServerSpecSchema = z
  .object({
    /** Source server id (or unique name) in cloud A. */
    source: nonEmpty("source"),
    /** Name of the new server in B (default: the source's name). */
    name: nonEmpty("name").optional(),
    snapshotName: nonEmpty("snapshotName").optional(),
    image: z
      .object({
        name: nonEmpty("image.name").optional(),
        visibility: z
          .enum(["private", "shared", "community", "public"], {
            error: "visibility must be private, shared, community or public",
          })
          .default("private"),
        diskFormat: z
          .enum(["raw", "qcow2", "vmdk", "vdi", "vhd", "vhdx", "iso", "ami", "ari", "aki", "ploop"])
          .optional(),
      })
      .strict()
      .default({ visibility: "private" }),
    keypair: z
      .object({
        mode: z
          .enum(KEYPAIR_MODES, { error: `keypair.mode must be one of ${KEYPAIR_MODES.join(", ")}` })
          .default("copy"),
        name: nonEmpty("keypair.name").optional(),
        publicKey: z
          .string()
          .regex(
            /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$/,
            "keypair.publicKey must be an OpenSSH public key line",
          )
          .optional(),
      })
      .strict()
      .superRefine((k, ctx) => {
        if (k.mode === "import" && !k.publicKey)
          ctx.addIssue({
            code: "custom",
            path: ["publicKey"],
            message: "keypair.publicKey is required when mode is import",
          });
        if (k.mode === "existing" && !k.name)
          ctx.addIssue({ code: "custom", path: ["name"], message: "keypair.name is required when mode is existing" });
      })
      .default({ mode: "copy" }),
    flavor: z
      .object({ name: nonEmpty("flavor.name").optional(), matchSpecs: z.boolean().default(true) })
      .strict()
      .default({ matchSpecs: true }),
    /** Target security group: "default" (rules copied into B's default group) or a name (created if missing). */
    securityGroup: nonEmpty("securityGroup").default("default"),
    /** Target network name or id (default: the only non-external network in B). */
    network: nonEmpty("network").optional(),
    /**
     * The source's network interfaces by network (A's name or id) → B's network (name or id). Each
     * interface of the source whose network is listed is recreated in B on the mapped network, in
     * the source's order; an extra interface without an entry is refused. The first interface
     * without an entry goes to `network`.
     */
    networkMap: z
      .array(z.object({ source: nonEmpty("networkMap.source"), target: nonEmpty("networkMap.target") }).strict(), {
        error: "networkMap must be a list of { source, target } entries",
      })
      .optional(),
    /**
     * Keep each mapped interface's fixed IP (default true): refused before anything moves when B's
     * subnet does not hold it or a port in B uses it. false: B's DHCP gives new addresses.
     */
    keepFixedIps: z.boolean().optional(),
    /**
     * Availability zone of the new server in B (default: none asked, B's scheduler chooses). A
     * zone is often what decides the hosts, and with them which networks are served there.
     */
    availabilityZone: nonEmpty("availabilityZone").optional(),
    /** "new", "none" or an existing floating address in B. */
    floatingIp: z
      .string()
      .trim()
      .refine(
        isFloatingIpChoice,
        'floatingIp must be "new", "none" or an IPv4 address (four numbers 0–255) already allocated in B',
      )
      .default("none"),
    /** External network for a new floating IP (default: the only external network in B). */
    floatingNetwork: nonEmpty("floatingNetwork").optional(),
    /** Stop the source before the snapshot for a consistent disk (started again afterwards). */
    stopSource: z.boolean().default(false),
    /** Keep A's snapshot after a successful migration (by default it is deleted once B's copy is verified). */
    keepSourceSnapshot: z.boolean().default(false),
  })
  .strict();
export type ServerSpec = z.infer<typeof ServerSpecSchema>;

export const MigrationSpecSchema = z
  .object({
    source: CloudRefSchema,
    target: CloudRefSchema,
    concurrency: z
      .number()
      .int()
      .min(1, "concurrency must be at least 1")
      .max(MAX_CONCURRENCY, `concurrency above ${MAX_CONCURRENCY} only adds contention; use 1–${MAX_CONCURRENCY}`)
      .default(2),
    servers: z.array(ServerSpecSchema).min(1, "servers must list at least one server"),
  })
  .strict()
  .superRefine((s, ctx) => {
    const names = new Map<string, number>();
    s.servers.forEach((srv, i) => {
      const key = srv.source;
      if (names.has(key))
        ctx.addIssue({
          code: "custom",
          path: ["servers", i, "source"],
          message: `server "${key}" is listed twice (also servers.${names.get(key)})`,
        });
      names.set(key, i);
      const seen = new Map<string, number>();
      (srv.networkMap ?? []).forEach((m, k) => {
        if (seen.has(m.source))
          ctx.addIssue({
            code: "custom",
            path: ["servers", i, "networkMap", k, "source"],
            message: `source network "${m.source}" is mapped twice (also networkMap.${seen.get(m.source)}); keep one entry`,
          });
        seen.set(m.source, k);
      });
    });
  });
export type MigrationSpec = z.infer<typeof MigrationSpecSchema>;

function valueAt(doc: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = doc;
  for (const p of path) {
    if (cur && typeof cur === "object") cur = (cur as Record<PropertyKey, unknown>)[p];
    else return undefined;
  }
  return cur;
}

/** Validates an already-parsed document. */
export function validateSpec(doc: unknown, file = "spec"): MigrationSpec {
  const r = MigrationSpecSchema.safeParse(doc);
  if (r.success) return r.data;
  throw new SpecError(
    file,
    r.error.issues.map((i) => {
      const path = i.path.map(String).join(".");
      const value = valueAt(doc, i.path as PropertyKey[]);
      const message =
        i.code === "unrecognized_keys"
          ? `unknown field(s) ${(i as { keys: string[] }).keys.join(", ")}; remove or fix the spelling`
          : i.message;
      return { path, message, value: value !== undefined && typeof value !== "object" ? value : undefined };
    }),
  );
}

/** Reads and validates a spec file: `.xml` (MigrationSpecs) or YAML/JSON. */
export function loadSpec(file: string): MigrationSpec {
  const text = fs.readFileSync(file, "utf8");
  return parseSpecText(text, file);
}

export function parseSpecText(text: string, file = "spec"): MigrationSpec {
  const looksXml = /\.xml$/i.test(file) || /^\s*(<\?xml|<!DOCTYPE|<MigrationSpecs)/i.test(text);
  if (looksXml) return validateSpec(parseMigrationSpecsXml(text, file), file);
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 50 });
  } catch (e) {
    throw new SpecError(file, [{ path: "", message: `not valid YAML: ${(e as Error).message}` }]);
  }
  return validateSpec(doc, file);
}
