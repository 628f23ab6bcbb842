/**
 * Validates SelfServicePortal args and decides what the component then only declares: the child
 * names, the security rules, the application credential's access rules, and the server's
 * cloud-init (the portal's config, its certificate, its service). Pure (no Pulumi resources), run
 * before the first resource, so a bad portal fails with every problem at once.
 */
import * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { ArgsProblems } from "../errors";
import type { CloudConfig } from "../cloudinit/cloud-config";
import { NOVA_USER_DATA_MAX_BASE64 as NOVA_USER_DATA_LIMIT, renderCloudConfig } from "../cloudinit/cloud-config";
import { linuxUserName } from "../config/zod-types";
import { renderRdpFile, renderRemminaProfile } from "../desktop/thin-client-artifacts";
import { parseCidr } from "../network/cidr";
import type { SecurityRuleArgs } from "../network/security-profile-args";
import { normalizeRules } from "../network/security-rules";
import {
  SelfServicePortalArgs,
  SelfServicePortalDesktopArgs,
  selfServicePortalArgsSchema,
} from "./self-service-portal-args";

export const DEFAULT_PORTAL_PACKAGE = "@openstack-blueprints/portal@0.1.0";
export const PORTAL_ADMIN_USER = "portaladmin";
export const PORTAL_SERVICE_USER = "blueprints-portal";
export const PORTAL_DIR = "/opt/blueprints-portal";
export const PORTAL_CONFIG_PATH = "/etc/blueprints-portal/portal.json";
export const PORTAL_CERT_PATH = "/etc/blueprints-portal/tls/portal.pem";
export const PORTAL_KEY_PATH = "/etc/blueprints-portal/tls/portal.key";
export const PORTAL_SETUP_SCRIPT_PATH = "/usr/local/sbin/blueprints-portal-setup";
export const PORTAL_SERVICE_PATH = "/etc/systemd/system/blueprints-portal.service";

export interface SelfServicePortalPlan {
  names: {
    security: string;
    credentialSecret: string;
    sessionSecret: string;
    credential: string;
    port: string;
    server: string;
    floatingIp: string;
  };
  /** The OpenStack names of the server and the application credential. */
  serverName: string;
  credentialName: string;
  securityRules: SecurityRuleArgs[];
  securityDescription: string;
  computeApiPrefix: string;
  portalPackage: string;
  ssh: boolean;
}

const WORLD = (cidr: string): boolean => {
  try {
    return parseCidr(cidr).prefix === 0;
  } catch {
    return false;
  }
};

const isPlain = (v: unknown): boolean => !pulumi.Output.isInstance(v) && !(v instanceof Promise);

/** Checks everything that can be checked before the cloud is asked, and names the children. */
export function planSelfServicePortal(name: string, args: SelfServicePortalArgs): SelfServicePortalPlan {
  const problems = new ArgsProblems(`SelfServicePortal ${name}`);
  const parsed = selfServicePortalArgsSchema.safeParse(args);
  if (!parsed.success) problems.addZodIssues(parsed.error.issues, args);

  const allow = args.allowFromAnywhere === true;
  const blocks: [string, string | undefined][] = [
    ["thinClientCidr", args.thinClientCidr],
    ...(args.adminCidrs ?? []).map((c, i): [string, string] => [`adminCidrs[${i}]`, c]),
  ];
  for (const [field, cidr] of blocks)
    if (cidr !== undefined && WORLD(cidr) && !allow)
      problems.add(
        field,
        cidr,
        "opens the portal to the whole internet; give the office's block (e.g. 192.168.50.0/24), or set allowFromAnywhere: true if that is meant",
      );
  (args.sshCidrs ?? []).forEach((cidr, i) => {
    if (WORLD(cidr))
      problems.add(
        `sshCidrs[${i}]`,
        cidr,
        "opens SSH to the whole internet; give the admins' block (e.g. 192.168.99.0/28)",
      );
  });
  const ssh = (args.sshCidrs ?? []).length > 0;
  if (ssh !== (args.adminPublicKey !== undefined))
    problems.add(
      ssh ? "adminPublicKey" : "sshCidrs",
      ssh ? args.adminPublicKey : args.sshCidrs,
      "SSH needs both sshCidrs and adminPublicKey (key-only SSH from the admins' block); give both or neither",
    );
  if (args.fixedIp !== undefined && args.subnetId === undefined)
    problems.add("fixedIp", args.fixedIp, "needs subnetId (the subnet the address is on); give both or neither");
  const desktops = args.desktops;
  if (desktops && isPlain(desktops) && typeof desktops === "object") {
    const entries = Object.entries(desktops as Record<string, SelfServicePortalDesktopArgs>);
    if (entries.length === 0)
      problems.add("desktops", desktops, "is empty; give each employee's desktop (e.g. portalDesktopsFromPool(pool))");
    const owners = new Map<string, string>();
    for (const [employee, d] of entries) {
      const nameProblem = linuxUserName.safeParse(employee);
      if (!nameProblem.success)
        problems.add(
          `desktops.${employee}`,
          employee,
          `${nameProblem.error.issues[0].message}; use the pool's employee name`,
        );
      if (!d || typeof d.serverId !== "string") continue;
      const other = owners.get(d.serverId);
      if (other)
        problems.add(
          `desktops.${employee}.serverId`,
          d.serverId,
          `is also ${other}'s server; each employee has a desktop of their own`,
        );
      owners.set(d.serverId, employee);
    }
  }
  for (const admin of Object.keys(args.admins ?? {})) {
    const nameProblem = linuxUserName.safeParse(admin);
    if (!nameProblem.success) problems.add(`admins.${admin}`, admin, nameProblem.error.issues[0].message);
    if (desktops && isPlain(desktops) && typeof desktops === "object")
      if (Object.prototype.hasOwnProperty.call(desktops, admin))
        problems.add(
          `admins.${admin}`,
          admin,
          `is also an employee with a desktop; give the admin a name of their own (e.g. admin-${admin})`,
        );
  }

  // Nova's user-data limit, measured now when the desktops are known (plain): with secrets of the
  // real shape in place of those not made yet. Outputs (a pool's) are measured again at render.
  if (problems.empty && desktops && isPlain(desktops) && typeof desktops === "object") {
    const entries = desktops as Record<string, SelfServicePortalDesktopArgs>;
    const plainText = (v: unknown, fallback: number) => (typeof v === "string" ? v : "x".repeat(fallback));
    const bytes = encodePortalUserData(
      renderPortalUserData({
        hostname: `${name}-portal`,
        portalPackage: args.portalPackage ?? DEFAULT_PORTAL_PACKAGE,
        authUrl: plainText(args.authUrl, 60),
        regionName: args.regionName,
        applicationCredentialId: "0".repeat(32),
        applicationCredentialSecret: "0".repeat(48),
        sessionSecret: "0".repeat(48),
        certificate: plainText(args.tls?.certificate, 2000),
        privateKey: plainText(args.tls?.privateKey, 3300),
        desktops: entries,
        poolName: args.poolName,
        admins: Object.fromEntries(Object.entries(args.admins ?? {}).map(([a, h]) => [a, plainText(h, 106)])),
        autoStopIdleMinutes: args.autoStopIdleMinutes,
        sessionMinutes: args.sessionMinutes,
        adminPublicKey: args.adminPublicKey,
      }),
    ).length;
    if (bytes > NOVA_USER_DATA_LIMIT)
      problems.add(
        "desktops",
        `${Object.keys(entries).length} desktops`,
        `make the portal's user data ${bytes} bytes (gzipped, base64), over Nova's ${NOVA_USER_DATA_LIMIT}-byte user-data limit; ` +
          (args.poolName
            ? "split the employees over two pools, each with its own portal"
            : "give poolName (the portal then finds the servers in Nova and its user data holds only the hashes)"),
      );
  }

  // The rules as SecurityProfile will validate them: checked here too, so its problems come now.
  const https = [args.thinClientCidr, ...(args.adminCidrs ?? [])].filter((c): c is string => typeof c === "string");
  const securityRules: SecurityRuleArgs[] = [
    ...[...new Set(https)].map((remoteCidr): SecurityRuleArgs => ({
      protocol: "tcp",
      port: 443,
      remoteCidr,
      allowFromAnywhere: allow || undefined,
      description: "the portal (HTTPS)",
    })),
    ...(args.reportSecurityGroupId !== undefined
      ? [
          {
            protocol: "tcp",
            port: 443,
            remoteGroupId: args.reportSecurityGroupId,
            name: "session-reports",
            description: "the desktops' session reports (HTTPS)",
          },
        ]
      : []),
    ...(ssh && args.adminPublicKey
      ? (args.sshCidrs ?? []).map((remoteCidr): SecurityRuleArgs => ({
          protocol: "tcp",
          port: 22,
          remoteCidr,
          description: "admin SSH",
        }))
      : []),
  ];
  if (problems.empty)
    normalizeRules(
      `SelfServicePortal ${name}`,
      securityRules.map(({ remoteGroupId, ...rule }) => ({ ...rule, hasRemoteGroup: remoteGroupId !== undefined })),
      problems,
      "securityRules",
    );
  problems.throwIfAny();

  return {
    names: {
      security: `${name}-security`,
      credentialSecret: `${name}-credential-secret`,
      sessionSecret: `${name}-session-secret`,
      credential: `${name}-credential`,
      port: `${name}-port`,
      server: `${name}-server`,
      floatingIp: `${name}-fip`,
    },
    serverName: `${name}-portal`,
    credentialName: `${name}-portal`,
    securityRules,
    securityDescription: `Self-service portal ${name}: HTTPS from ${[...new Set(https)].join(", ")}${
      args.reportSecurityGroupId !== undefined ? " and the desktops' group" : ""
    }${ssh ? `, SSH from ${(args.sshCidrs ?? []).join(", ")}` : ""}`,
    computeApiPrefix: args.computeApiPrefix ?? "/v2.1",
    portalPackage: args.portalPackage ?? DEFAULT_PORTAL_PACKAGE,
    ssh,
  };
}

/** One Keystone access rule (the provider's `accessRules` item). */
export interface PortalAccessRule {
  service: string;
  method: string;
  path: string;
}

/**
 * The only compute calls the portal makes, per desktop: its state (GET servers/<id>) and its
 * start/stop/shelve/unshelve (POST servers/<id>/action). Keystone refuses every other call made
 * with the credential, so a stolen portal server can act on these desktops and nothing else.
 */
export function portalAccessRules(
  serverIds: readonly string[],
  computeApiPrefix = "/v2.1",
  opts: { listServers?: boolean } = {},
): PortalAccessRule[] {
  return [
    // Discovery (poolName): one listing of the project's servers, read-only; acting stays per desktop.
    ...(opts.listServers ? [{ service: "compute", method: "GET", path: `${computeApiPrefix}/servers/detail` }] : []),
    ...[...new Set(serverIds)].sort().flatMap((id) => [
      { service: "compute", method: "GET", path: `${computeApiPrefix}/servers/${id}` },
      { service: "compute", method: "POST", path: `${computeApiPrefix}/servers/${id}/action` },
    ]),
  ];
}

/** Everything the server's user data holds, resolved (secrets included: the result is a secret). */
export interface PortalUserDataInput {
  hostname: string;
  portalPackage: string;
  authUrl: string;
  regionName?: string;
  applicationCredentialId: string;
  applicationCredentialSecret: string;
  sessionSecret: string;
  certificate: string;
  privateKey: string;
  desktops: Record<string, SelfServicePortalDesktopArgs>;
  /** The pool whose servers the portal finds in Nova: the desktops then carry only their hashes. */
  poolName?: string;
  admins: Record<string, string>;
  autoStopIdleMinutes?: number;
  sessionMinutes?: number;
  adminPublicKey?: string;
}

/** The portal's config file (packages/portal's format), as the server gets it. */
export function portalConfigDocument(input: PortalUserDataInput): Record<string, unknown> {
  return {
    cloud: {
      authUrl: input.authUrl,
      authType: "v3applicationcredential",
      applicationCredentialId: input.applicationCredentialId,
      applicationCredentialSecret: input.applicationCredentialSecret,
      ...(input.regionName ? { regionName: input.regionName } : {}),
    },
    listen: { host: "0.0.0.0", port: 443 },
    tls: { certFile: PORTAL_CERT_PATH, keyFile: PORTAL_KEY_PATH },
    sessionSecret: input.sessionSecret,
    ...(input.sessionMinutes ? { sessionMinutes: input.sessionMinutes } : {}),
    ...(input.autoStopIdleMinutes ? { autoStop: { idleMinutes: input.autoStopIdleMinutes } } : {}),
    ...(input.poolName ? { discover: { pool: input.poolName } } : {}),
    desktops: Object.fromEntries(
      Object.entries(input.desktops)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([employee, d]) => [
          employee,
          Object.fromEntries(
            Object.entries(input.poolName ? discoveredDesktopFields(d) : d).filter(
              ([, v]) => v !== undefined && v !== "",
            ),
          ),
        ]),
    ),
    admins: Object.fromEntries(
      Object.entries(input.admins)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([user, passwordHash]) => [user, { passwordHash }]),
    ),
  };
}

/**
 * What a discovering portal still needs from the stack per employee: the hashes (Nova cannot hold
 * them) and a notebook's URL (one short line). Server id, address, host name come from Nova; the
 * .rdp and Remmina files the portal renders from the address.
 */
function discoveredDesktopFields(d: SelfServicePortalDesktopArgs): Partial<SelfServicePortalDesktopArgs> {
  return { passwordHash: d.passwordHash, reportTokenHash: d.reportTokenHash, jupyterUrl: d.jupyterUrl };
}

const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/** Installs the portal's package (again only when the spec changed) and (re)starts its service. */
export function portalSetupScript(portalPackage: string): string {
  return `#!/bin/bash
# Installs the self-service portal's npm package into ${PORTAL_DIR} and starts its service.
# Idempotent: cloud-init may run it again (a re-run reinstalls only when the package changed).
set -euo pipefail
package=${shellQuote(portalPackage)}
dir=${PORTAL_DIR}
mkdir -p "$dir"
if [ "$(cat "$dir/.installed" 2>/dev/null || true)" != "$package" ]; then
  npm install --prefix "$dir" --omit=dev --no-audit --no-fund --no-update-notifier "$package"
  printf '%s\\n' "$package" > "$dir/.installed"
fi
systemctl daemon-reload
systemctl enable blueprints-portal.service
systemctl restart blueprints-portal.service
`;
}

/** Starts the installed portal with its config; errors name fields, never secrets (the portal's own rule). */
export const PORTAL_LAUNCHER = `"use strict";
// Started by blueprints-portal.service: the portal's package, with the config the stack wrote.
const { loadPortalConfigFile, startPortal } = require("@openstack-blueprints/portal");
startPortal(loadPortalConfigFile(process.argv[2]), { logger: true }).then(
  (portal) => console.log(\`portal listening on \${portal.url}\`),
  (error) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
`;

export const PORTAL_SERVICE_UNIT = `[Unit]
Description=Self-service portal of the desktop pool (openstack-blueprints)
After=network-online.target
Wants=network-online.target

[Service]
User=${PORTAL_SERVICE_USER}
Group=${PORTAL_SERVICE_USER}
Environment=NODE_ENV=production
ExecStart=/usr/bin/node ${PORTAL_DIR}/run.js ${PORTAL_CONFIG_PATH}
# Port 443 without root.
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
`;

/**
 * The server's #cloud-config: Node.js from Debian's packages, the portal's package, its config
 * (0600, the service user's) and certificate, and its systemd service. The config holds the
 * application credential's and the session's secrets and the password hashes: the component
 * passes this document only as a Pulumi secret.
 */
export function renderPortalUserData(input: PortalUserDataInput): string {
  const owner = `${PORTAL_SERVICE_USER}:${PORTAL_SERVICE_USER}`;
  const doc: CloudConfig = {
    hostname: input.hostname,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    disable_root: true,
    package_update: true,
    packages: ["nodejs", "npm", "ca-certificates"],
    users: [
      {
        name: PORTAL_SERVICE_USER,
        system: true,
        shell: "/usr/sbin/nologin",
        homedir: "/var/lib/blueprints-portal",
        lock_passwd: true,
      },
      ...(input.adminPublicKey
        ? [
            {
              name: PORTAL_ADMIN_USER,
              shell: "/bin/bash",
              sudo: "ALL=(ALL) NOPASSWD:ALL",
              lock_passwd: true,
              ssh_authorized_keys: [input.adminPublicKey],
            },
          ]
        : []),
    ],
    write_files: [
      {
        path: PORTAL_CONFIG_PATH,
        content: `${JSON.stringify(portalConfigDocument(input), null, 2)}\n`,
        owner,
        permissions: "0600",
        defer: true,
      },
      { path: PORTAL_CERT_PATH, content: input.certificate, owner, permissions: "0644", defer: true },
      { path: PORTAL_KEY_PATH, content: input.privateKey, owner, permissions: "0600", defer: true },
      { path: `${PORTAL_DIR}/run.js`, content: PORTAL_LAUNCHER, permissions: "0644" },
      { path: PORTAL_SERVICE_PATH, content: PORTAL_SERVICE_UNIT, permissions: "0644" },
      { path: PORTAL_SETUP_SCRIPT_PATH, content: portalSetupScript(input.portalPackage), permissions: "0755" },
    ],
    runcmd: [[PORTAL_SETUP_SCRIPT_PATH]],
  };
  // Gzipped by portalUserData, which measures the compressed size against Nova's limit.
  return renderCloudConfig(doc, { gzippedByCaller: true });
}

/**
 * The server's user data as Nova gets it: the #cloud-config gzipped (cloud-init unpacks it) and
 * base64 (the provider passes base64 on as it is). Throws naming Nova's limit when it is over.
 */
export function portalUserData(input: PortalUserDataInput): string {
  const encoded = encodePortalUserData(renderPortalUserData(input));
  if (encoded.length > NOVA_USER_DATA_LIMIT)
    throw new Error(
      `SelfServicePortal ${input.hostname}: the user data of ${Object.keys(input.desktops).length} desktops is ` +
        `${encoded.length} bytes (gzipped, base64), over Nova's ${NOVA_USER_DATA_LIMIT}-byte user-data limit; ` +
        (input.poolName
          ? "split the employees over two pools, each with its own portal"
          : "give poolName (the portal then finds the servers in Nova and its user data holds only the hashes)"),
    );
  return encoded;
}

export function encodePortalUserData(cloudConfig: string): string {
  return gzipSync(Buffer.from(cloudConfig, "utf8"), { level: 9 }).toString("base64");
}

const CRYPT_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const randomText = (length: number, alphabet: string): string =>
  [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join("");

/** What a portal's user data will measure, before anything is made. */
export interface PortalUserDataEstimate {
  /** Employee names (their lengths count). */
  employees: readonly string[];
  poolName?: string;
  /** The pool has sessionReports (a report token hash per desktop). */
  reportTokens?: boolean;
  /** Notebooks: each desktop has a jupyterUrl of about this length. */
  jupyterUrlLength?: number;
  /** Without poolName: the per-desktop data (address, host name, .rdp and Remmina files) is in too. */
  withConnectionFiles?: boolean;
  admins?: readonly string[];
  certificate?: string;
  privateKey?: string;
  authUrl?: string;
  adminPublicKey?: string;
  autoStopIdleMinutes?: number;
}

/**
 * The encoded user data's length for these employees, with hashes and secrets of the real shape
 * and randomness (SHA-512 crypt: 16-character salt and 86-character digest; random bytes gzip
 * cannot shrink): the plan's check of Nova's limit before any cloud is asked.
 */
export function estimatePortalUserDataBytes(e: PortalUserDataEstimate): number {
  const hash = () => `$6$${randomText(16, CRYPT_ALPHABET)}$${randomText(86, CRYPT_ALPHABET)}`;
  const desktops = Object.fromEntries(
    e.employees.map((employee, i): [string, SelfServicePortalDesktopArgs] => {
      const address = `192.168.${50 + Math.floor(i / 250)}.${10 + (i % 250)}`;
      return [
        employee,
        {
          serverId: `${randomText(8, "0123456789abcdef")}-${randomText(4, "0123456789abcdef")}-4${randomText(3, "0123456789abcdef")}-a${randomText(3, "0123456789abcdef")}-${randomText(12, "0123456789abcdef")}`,
          passwordHash: hash(),
          reportTokenHash: e.reportTokens ? `sha256:${randomText(64, "0123456789abcdef")}` : undefined,
          jupyterUrl: e.jupyterUrlLength ? `https://${randomText(e.jupyterUrlLength - 9, "0123456789.")}/` : undefined,
          ...(e.withConnectionFiles
            ? {
                address,
                hostname: `${e.poolName ?? "office"}-${employee}`,
                rdpFile: renderRdpFile({ user: employee, address, desktop: `office-${employee}` }),
                remminaProfile: renderRemminaProfile({ user: employee, address, desktop: `office-${employee}` }),
              }
            : {}),
        },
      ];
    }),
  );
  return encodePortalUserData(
    renderPortalUserData({
      hostname: `${e.poolName ?? "office"}-portal`,
      portalPackage: DEFAULT_PORTAL_PACKAGE,
      authUrl: e.authUrl ?? "https://keystone.example.org:5000/v3",
      applicationCredentialId: randomText(32, "0123456789abcdef"),
      applicationCredentialSecret: randomText(48, CRYPT_ALPHABET.slice(2)),
      sessionSecret: randomText(48, CRYPT_ALPHABET.slice(2)),
      // A P-256 certificate and key are about 700 and 240 characters; an RSA-4096 pair about 5 KB.
      certificate: e.certificate ?? randomText(2000, CRYPT_ALPHABET),
      privateKey: e.privateKey ?? randomText(3300, CRYPT_ALPHABET),
      desktops,
      poolName: e.poolName,
      admins: Object.fromEntries((e.admins ?? []).map((a) => [a, hash()])),
      autoStopIdleMinutes: e.autoStopIdleMinutes,
      adminPublicKey: e.adminPublicKey,
    }),
  ).length;
}
