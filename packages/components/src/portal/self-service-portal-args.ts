// SelfServicePortal's inputs, declared once: the interfaces, and the zod schemas that check each
// field on its own (held to the interfaces by SameShape). What the fields mean together (a block
// open to the world, SSH without a key) is the plan's check.
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ipv4Address, ipv4Cidr, pulumiInput, SameShape } from "../config/zod-types";

/** One employee's desktop as the portal serves it: the pool's outputs for that employee. */
export interface SelfServicePortalDesktopArgs {
  /** Nova server id (the pool's desktops.<employee>.serverId). */
  serverId: string;
  /** The SHA-512 crypt hash the pool made ($6$…; a notebook's sha512:salt:hex). Pass it as a secret. */
  passwordHash: string;
  /** What the thin client dials (floating or fixed IP). */
  address?: string;
  hostname?: string;
  /** The pool's .rdp file and Remmina profile (no password in them). */
  rdpFile?: string;
  remminaProfile?: string;
  /** A notebook's URL (Jupyter pools). */
  jupyterUrl?: string;
  /** "sha256:<hex>" of the desktop's session report token (AutoStop; the pool's reportTokens, hashed). */
  reportTokenHash?: string;
}

/** The portal's own HTTPS certificate: PEM text, both kept as Pulumi secrets. */
export interface SelfServicePortalTlsArgs {
  certificate: pulumi.Input<string>;
  privateKey: pulumi.Input<string>;
}

export interface SelfServicePortalArgs {
  /** Network the portal's server sits on: the pool's (`pool.networkId`) so it reaches the desktops' guests. */
  networkId: pulumi.Input<string>;
  /** Subnet for its fixed address; default Neutron's choice on the network. */
  subnetId?: pulumi.Input<string>;
  /**
   * The portal's fixed address on subnetId (required with it), e.g. "192.168.50.5": an address
   * known before anything is made, so the pool's `sessionReports.portalUrl` can name it. Keep it
   * out of the subnet's allocation pools, or a desktop may take it first. Default Neutron's choice.
   */
  fixedIp?: string;
  /** Flavor name, e.g. "m1.small" (the portal needs ~512 MiB). */
  flavor: string;
  /** Image name: a Debian whose packages carry Node.js 20 or later (Debian 13 "trixie"). */
  imageName: string;
  /** External network to take a floating IP from; default none (the fixed address is the URL). */
  floatingIpPool?: string;
  /**
   * Employee → desktop, e.g. `portalDesktopsFromPool(pool)`, or written out. The hashes should be
   * secrets; the whole user data is one anyway.
   */
  desktops: pulumi.Input<Record<string, SelfServicePortalDesktopArgs>>;
  /**
   * The desktop pool's name (`new ThinClientDesktopPool(<name>, …)`), e.g. "office": the portal then
   * finds each employee's server in Nova (the pool's `blueprints-pool`/`blueprints-employee`
   * server metadata) at start and every minute, and its user data carries only each employee's
   * hashes (a few hundred desktops fit Nova's 64 KiB; see docs/desktop.md). Without it every
   * desktop's server id, address and connection files are in the user data (a few dozen fit).
   */
  poolName?: string;
  /** Portal admins → their SHA-512 crypt hash (mkpasswd -m sha-512); a name of their own, not an employee's. */
  admins?: Record<string, pulumi.Input<string>>;
  /** The thin clients' block: HTTPS (443) is open to it. */
  thinClientCidr: string;
  /**
   * The desktops' security group (`pool.securityGroupId`): HTTPS (443) is open to its members too,
   * for their session reports (AutoStop with the pool's `sessionReports`). Default none.
   */
  reportSecurityGroupId?: pulumi.Input<string>;
  /** The admins' blocks: HTTPS (443) is open to them too. At least one. */
  adminCidrs: string[];
  /** Explicit opt-in for 0.0.0.0/0 in thinClientCidr or adminCidrs (a portal on the internet). */
  allowFromAnywhere?: boolean;
  /** Blocks SSH (22) is open to, with `adminPublicKey`; default none (no SSH at all). Never 0.0.0.0/0. */
  sshCidrs?: string[];
  /** The key of the server's admin user (`portaladmin`), with `sshCidrs`. */
  adminPublicKey?: string;
  /** The HTTPS certificate and key (required: there is no self-signed fallback, @pulumi/tls is not a dependency). */
  tls: SelfServicePortalTlsArgs;
  /** Keystone's URL as the portal's server reaches it, e.g. "https://keystone.office.example:5000/v3". */
  authUrl: pulumi.Input<string>;
  regionName?: string;
  /** Path prefix of Nova's API in the access rules; default "/v2.1" (Nova's own endpoint path). */
  computeApiPrefix?: string;
  /**
   * The npm package the server installs (an npm spec: name@version or a tarball URL); default
   * "@openstack-blueprints/portal@0.1.0".
   */
  portalPackage?: string;
  /** Shelve a desktop whose guest reported no session for this long (the portal's autoStop); default off. */
  autoStopIdleMinutes?: number;
  /** Sign-ins end after this long idle; default the portal's (60). */
  sessionMinutes?: number;
}

const nonEmpty = (what: string) => z.string().min(1, { message: `is empty; give ${what}` });

export const selfServicePortalDesktopArgsSchema = z.strictObject({
  serverId: nonEmpty("the Nova server id from the pool's desktops output"),
  passwordHash: nonEmpty("the hash the pool made (its passwordHashes output)"),
  address: z.string().optional(),
  hostname: z.string().optional(),
  rdpFile: z.string().optional(),
  remminaProfile: z.string().optional(),
  jupyterUrl: z.string().optional(),
  reportTokenHash: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, {
      message: 'is not "sha256:" and 64 hex digits; give sessionReportTokenHash(token), never the token',
    })
    .optional(),
});

export const selfServicePortalArgsSchema = z.strictObject({
  networkId: pulumiInput(nonEmpty("the network's ID (e.g. pool.networkId)")),
  subnetId: pulumiInput(nonEmpty("the subnet's ID or leave it out")).optional(),
  fixedIp: ipv4Address.optional(),
  flavor: nonEmpty("a flavor name such as m1.small"),
  imageName: nonEmpty("a Debian 13 image name"),
  floatingIpPool: nonEmpty("the external network's name or leave it out").optional(),
  // Employee names are checked by the plan (a record key's own message would not name the fix).
  desktops: pulumiInput(z.record(z.string(), selfServicePortalDesktopArgsSchema)),
  poolName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
      message: 'is not a pool name; give the name the ThinClientDesktopPool was made with, e.g. "office"',
    })
    .optional(),
  admins: z.record(z.string(), pulumiInput(nonEmpty("the admin's SHA-512 crypt hash"))).optional(),
  thinClientCidr: ipv4Cidr,
  reportSecurityGroupId: pulumiInput(nonEmpty("the pool's securityGroupId or leave it out")).optional(),
  adminCidrs: z.array(ipv4Cidr).min(1, { message: 'is empty; give the admins\' block(s), e.g. ["192.168.99.0/28"]' }),
  allowFromAnywhere: z.boolean().optional(),
  sshCidrs: z.array(ipv4Cidr).optional(),
  adminPublicKey: z
    .string()
    .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( [^\n]*)?$/, {
      message: "is not one OpenSSH public key line (ssh-ed25519 AAAA… comment)",
    })
    .optional(),
  tls: z.strictObject(
    {
      certificate: pulumiInput(nonEmpty("the certificate's PEM text")),
      privateKey: pulumiInput(nonEmpty("the private key's PEM text")),
    },
    {
      message:
        "is required: give { certificate, privateKey } (PEM, as Pulumi secrets), e.g. from the office's CA or certbot",
    },
  ),
  authUrl: pulumiInput(z.string().regex(/^https?:\/\/\S+$/, { message: "is not an http(s) URL of Keystone" })),
  regionName: z.string().optional(),
  computeApiPrefix: z
    .string()
    .regex(/^(\/[A-Za-z0-9._-]+)*$/, { message: 'is not a path prefix such as "/v2.1" or "/compute/v2.1"' })
    .optional(),
  portalPackage: z
    .string()
    .regex(/^[A-Za-z0-9@/._:~+-]+$/, {
      message: "is not an npm package spec (name@version or a tarball URL, no spaces or quotes)",
    })
    .optional(),
  autoStopIdleMinutes: z
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .optional(),
  sessionMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
});

const _desktopSame: SameShape<z.input<typeof selfServicePortalDesktopArgsSchema>, SelfServicePortalDesktopArgs> = true;
const _portalSame: SameShape<z.input<typeof selfServicePortalArgsSchema>, SelfServicePortalArgs> = true;
void [_desktopSame, _portalSame];
