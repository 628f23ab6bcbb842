/**
 * Cloud-init user data for an xrdp + xfce desktop, in two parts:
 *  - the **desktop stack** (same for every employee): packages, the xrdp/sesman hardening script,
 *    the polkit colord rule, the RDP users' group;
 *  - the **per-employee** part: host name, the employee's user with a SHA-512 crypt hash, the
 *    optional admin user, password/SSH policy.
 * Baked images (XrdpDesktopImage) apply the stack part at bake time and only the per-employee part at
 * boot, from these same functions, so a baked desktop and a cloud-init-built one cannot drift.
 *
 * Facts this encodes (see docs/desktop.md): `chpasswd.expire` and `lock_passwd` default to true
 * and both break RDP logins; xrdp cannot read the snakeoil key unless user xrdp is in ssl-cert;
 * colord asks remote users for a password without a polkit rule; sesman allows root and every
 * user unless told otherwise.
 */
import { CloudConfig, CloudConfigUser, renderCloudConfig } from "../cloudinit/cloud-config";
import { renderRemoteScript, shellQuote } from "../scripts/remote-script";
import { assertLinuxUserName, linuxUserNameProblem } from "./employees";
import { homeVolumeCloudConfig } from "./home-volume";
import { SessionReportOptions, sessionReportCloudConfig } from "./session-report";

/** Where the stack part installs its setup script (a baked image carries it too). */
export const DESKTOP_SETUP_SCRIPT_PATH = "/usr/local/sbin/blueprints-desktop-setup";
/** Default group of RDP users (sesman's TerminalServerUsers); Debian's xrdp names it tsusers too. */
export const DEFAULT_RDP_GROUP = "tsusers";
/** The packages every desktop gets; `extraPackages` come on top (see desktopPackages). */
export const DESKTOP_BASE_PACKAGES: readonly string[] = ["xrdp", "xorgxrdp", "xfce4", "dbus-x11", "ssl-cert"];

/** A Debian package name (Debian policy 5.6.1). */
export const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+$/;
/** A group name as `addgroup` accepts by default. */
export const GROUP_NAME = /^[a-z][-a-z0-9_]*$/;
/** One OpenSSH public key line (key type, base64 key, optional comment). */
export const OPENSSH_PUBLIC_KEY =
  /^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/;

export interface DesktopStackOptions {
  /** Group whose members may open RDP sessions (sesman TerminalServerUsers). Default "tsusers". */
  rdpGroup?: string;
  /** Extra Debian/Ubuntu packages (e.g. libreoffice, gimp: the 2017 office study's benchmark applications). */
  extraPackages?: string[];
  /** Install recommended packages too (default true: a fuller desktop; false: smaller, faster). */
  installRecommends?: boolean;
  /**
   * false when the image already has the desktop packages (an XrdpDesktopImage, or a guest
   * without internet access): the document then installs nothing and needs no package mirror.
   * Default true.
   */
  installPackages?: boolean;
  /** Seconds after which sesman ends a disconnected session (sesman DisconnectedTimeLimit); default: never. */
  disconnectedTimeLimitSeconds?: number;
  /** Seconds of idle time after which sesman disconnects a session (IdleTimeLimit); default: never. */
  idleTimeLimitSeconds?: number;
  /**
   * Clipboard between the thin client and the desktop (xrdp.ini [Channels] cliprdr); default:
   * xrdp's own (on). false keeps an office's documents from being copied out through RDP.
   */
  clipboard?: boolean;
  /** The thin client's drives inside the session (xrdp.ini [Channels] rdpdr); default: xrdp's own (on). */
  driveRedirection?: boolean;
}

export interface EmployeeDesktopOptions {
  /** Linux user name of the employee. */
  user: string;
  /** Full name for GECOS. */
  fullName?: string;
  /** SHA-512 crypt hash ("$6$…") of the employee's password; never the password itself. */
  hashedPassword: string;
  /** Guest host name; it is also written to /etc/hosts. */
  hostname: string;
  /** Optional fully qualified name; defaults to the host name. */
  fqdn?: string;
  /** Must equal the stack's rdpGroup. Default "tsusers". */
  rdpGroup?: string;
  /** Optional admin user reachable over SSH with a key only (never a password). */
  adminUser?: string;
  adminPublicKey?: string;
  /**
   * ID of the Cinder volume (attached at boot) that holds /home: mounted before the users are
   * made, formatted only when blank (see home-volume.ts). Omitted: /home is on the root disk.
   */
  homeVolumeId?: string;
  /**
   * The desktop's own xrdp TLS key and certificate (XrdpCertificate), so thin clients can pin the
   * fingerprint the pool knows. Omitted: xrdp keeps the snakeoil certificate made on the guest.
   */
  tls?: XrdpTlsFiles;
}

/** A desktop's xrdp TLS certificate and key, PEM (the key is a secret: only in secret user data). */
export interface XrdpTlsFiles {
  certificatePem: string;
  privateKeyPem: string;
}

/**
 * Where the pool's certificate and key go. Not /etc/xrdp/cert.pem and key.pem: the xrdp package
 * makes those symlinks to the snakeoil pair, so writing them would overwrite the snakeoil files,
 * and the setup script's snakeoil refresh would then overwrite ours. xrdp.ini's `certificate` and
 * `key_file` name these instead (the setup script sets them when both files are there).
 */
export const XRDP_TLS_CERT_PATH = "/etc/xrdp/blueprints-cert.pem";
export const XRDP_TLS_KEY_PATH = "/etc/xrdp/blueprints-key.pem";

/**
 * The per-employee TLS part: certificate and key in write_files. `defer`: written in cloud-init's
 * final stage, after the packages are installed, since the key's group (xrdp) exists only then.
 * The key is root:xrdp 0640: xrdp's daemon runs as user xrdp, group xrdp (its systemd unit), and
 * reads the key itself; group xrdp has no other member, unlike ssl-cert (which the snakeoil key in
 * /etc/ssl/private needs, and which other services' users join).
 */
export function xrdpTlsCloudConfig(tls: XrdpTlsFiles | undefined): CloudConfig {
  if (tls === undefined) return {};
  if (!/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\s*$/.test(tls.certificatePem))
    throw new Error("tls.certificatePem is not a PEM certificate");
  if (!/^-----BEGIN (RSA )?PRIVATE KEY-----\n[\s\S]+\n-----END (RSA )?PRIVATE KEY-----\s*$/.test(tls.privateKeyPem))
    throw new Error("tls.privateKeyPem is not an unencrypted PEM private key");
  return {
    write_files: [
      { path: XRDP_TLS_CERT_PATH, content: tls.certificatePem, owner: "root:root", permissions: "0644", defer: true },
      { path: XRDP_TLS_KEY_PATH, content: tls.privateKeyPem, owner: "root:xrdp", permissions: "0640", defer: true },
    ],
  };
}

/**
 * The home-volume part of an employee's user data ({} without one): the employee's and the
 * admin's homes live on it. Merge it first, so its runcmd step runs before the workspace's.
 */
export function employeeHomeCloudConfig(employee: {
  user: string;
  adminUser?: string;
  homeVolumeId?: string;
}): CloudConfig {
  if (employee.homeVolumeId === undefined) return {};
  return homeVolumeCloudConfig(employee.homeVolumeId, [
    employee.user,
    ...(employee.adminUser !== undefined ? [employee.adminUser] : []),
  ]);
}

function checkRdpGroup(group: string): string {
  if (!GROUP_NAME.test(group) || group.length > 32) {
    throw new Error(
      `rdpGroup "${group}" is not a valid group name: use lower-case letters, digits, '-' and '_', starting with a letter`,
    );
  }
  return group;
}

function checkSeconds(field: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${field} ${value} must be a whole number of seconds (0 or more)`);
  return value;
}

/**
 * Shell (for a renderRemoteScript body with a `changed` variable): the snakeoil certificate is
 * made for the host name at package install time; a baked image or a renamed guest would present
 * another host's certificate (and share its key): remake it once per host name.
 */
export const SNAKEOIL_FOR_THIS_HOST = `# The snakeoil certificate is made for the host name at package install time; a baked image or
# a renamed desktop would present another host's certificate (and share its key): remake it once
# per host name.
marker=/var/lib/openstack-blueprints/snakeoil-host
host=$(hostname)
if [ "$(cat "$marker" 2>/dev/null || true)" != "$host" ]; then
  DEBIAN_FRONTEND=noninteractive make-ssl-cert generate-default-snakeoil --force-overwrite
  mkdir -p "$(dirname "$marker")"
  printf '%s\\n' "$host" >"$marker"
  echo "changed: new snakeoil certificate for $host"
  changed=1
fi
`;

/** The polkit rule that stops colord from asking remote (xrdp) users for an admin password. */
export function colordPolkitRule(rdpGroup: string): string {
  return [
    "// openstack-blueprints: colord would ask every RDP user for an administrator password to",
    "// create a colour profile for the virtual display; deny it to remote sessions instead.",
    "polkit.addRule(function (action, subject) {",
    '  if (action.id.indexOf("org.freedesktop.color-manager.") === 0 &&',
    `      (!subject.local || subject.isInGroup(${JSON.stringify(rdpGroup)}))) {`,
    "    return polkit.Result.NO;",
    "  }",
    "});",
    "",
  ].join("\n");
}

/**
 * The idempotent setup script the stack part runs after packages are installed: sesman and xrdp
 * hardening, xrdp in ssl-cert, xfce as the session, a snakeoil certificate for this host name.
 * It prints "changed: …" for each change, and restarts xrdp only when something changed.
 */
export function desktopSetupScript(options: DesktopStackOptions = {}): string {
  const group = checkRdpGroup(options.rdpGroup ?? DEFAULT_RDP_GROUP);
  const disconnected = checkSeconds("disconnectedTimeLimitSeconds", options.disconnectedTimeLimitSeconds);
  const idle = checkSeconds("idleTimeLimitSeconds", options.idleTimeLimitSeconds);
  const sessionSettings: string[] = [];
  if (disconnected !== undefined) {
    sessionSettings.push(
      `set_ini /etc/xrdp/sesman.ini Sessions KillDisconnected ${disconnected > 0 ? "true" : "false"}`,
    );
    sessionSettings.push(`set_ini /etc/xrdp/sesman.ini Sessions DisconnectedTimeLimit ${disconnected}`);
  }
  if (idle !== undefined) sessionSettings.push(`set_ini /etc/xrdp/sesman.ini Sessions IdleTimeLimit ${idle}`);
  // Unset: the file keeps xrdp's default, so existing desktops' user data (and baked images'
  // package hash) do not change until a pool sets them.
  for (const [field, channel] of [
    ["clipboard", "cliprdr"],
    ["driveRedirection", "rdpdr"],
  ] as const) {
    const value = options[field];
    if (value === undefined) continue;
    if (typeof value !== "boolean") throw new Error(`${field} ${JSON.stringify(value)} must be true or false`);
    sessionSettings.push(`set_ini /etc/xrdp/xrdp.ini Channels ${channel} ${value}`);
  }
  const body = `
changed=0
# set_ini FILE SECTION KEY VALUE: sets KEY=VALUE in [SECTION] (replacing an uncommented KEY there,
# else adding it at the end of the section, else adding the section), only when it differs.
set_ini() {
  local file=$1 section=$2 key=$3 value=$4 tmp
  tmp=$(mktemp)
  awk -v section="$section" -v key="$key" -v value="$value" '
    # Blank lines are held back so an added key lands right after the last line of its section.
    function flush() { if (in_section && !done) { print key "=" value; done = 1 } }
    function blanks() { while (pending > 0) { print ""; pending-- } }
    /^[[:space:]]*$/ { pending++; next }
    /^[[:space:]]*\\[.*\\][[:space:]]*$/ {
      flush(); blanks()
      name = $0; gsub(/^[[:space:]]*\\[|\\][[:space:]]*$/, "", name)
      in_section = (name == section); if (in_section) seen = 1
      print; next
    }
    { blanks() }
    in_section && !done && index($0, key "=") == 1 { print key "=" value; done = 1; next }
    in_section && !done && $0 ~ "^" key "[[:space:]]*=" { print key "=" value; done = 1; next }
    { print }
    END { flush(); if (!seen) { print ""; print "[" section "]"; print key "=" value } blanks() }
  ' "$file" >"$tmp"
  if cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
  else
    cat "$tmp" >"$file"; rm -f "$tmp"
    echo "changed: $file [$section] $key=$value"
    changed=1
  fi
}

id -u xrdp >/dev/null 2>&1 || die "user xrdp is missing: the xrdp package is not installed"
if [ ! -f /etc/xrdp/sesman.ini ] || [ ! -f /etc/xrdp/xrdp.ini ]; then
  die "/etc/xrdp/sesman.ini or xrdp.ini is missing: the xrdp package is not installed"
fi

# xrdp runs as user xrdp and reads the snakeoil key, which only group ssl-cert may read.
if ! id -nG xrdp | tr ' ' '\\n' | grep -qx ssl-cert; then
  usermod -a -G ssl-cert xrdp
  echo "changed: added xrdp to group ssl-cert"
  changed=1
fi

# sesman: no root sessions, only members of the RDP group, checked on every login.
set_ini /etc/xrdp/sesman.ini Security AllowRootLogin false
set_ini /etc/xrdp/sesman.ini Security TerminalServerUsers ${shellQuote(group)}
set_ini /etc/xrdp/sesman.ini Security AlwaysGroupCheck true
${sessionSettings.join("\n")}
# xrdp: TLS only (no RDP standard security), TLS 1.2 and 1.3.
set_ini /etc/xrdp/xrdp.ini Globals security_layer tls
set_ini /etc/xrdp/xrdp.ini Globals ssl_protocols 'TLSv1.2, TLSv1.3'

# xfce for every user whose ~/.xsession does not say otherwise.
if [ -x /usr/bin/xfce4-session ] && [ "$(update-alternatives --query x-session-manager | sed -n 's/^Value: //p')" != /usr/bin/xfce4-session ]; then
  update-alternatives --set x-session-manager /usr/bin/xfce4-session >/dev/null
  echo "changed: x-session-manager is xfce4-session"
fi

${SNAKEOIL_FOR_THIS_HOST}
# The pool's own certificate and key (user data), when it gave them: their fingerprint is on the
# connection sheet, the snakeoil's is not. Without them xrdp keeps its default (the snakeoil pair).
if [ -f ${XRDP_TLS_CERT_PATH} ] && [ -f ${XRDP_TLS_KEY_PATH} ]; then
  set_ini /etc/xrdp/xrdp.ini Globals certificate ${XRDP_TLS_CERT_PATH}
  set_ini /etc/xrdp/xrdp.ini Globals key_file ${XRDP_TLS_KEY_PATH}
fi

# Restart only when something changed, and only under a running systemd (not in an image chroot).
if [ -d /run/systemd/system ]; then
  if ! systemctl is-enabled --quiet xrdp; then systemctl enable --quiet xrdp; echo "changed: xrdp enabled"; fi
  if [ "$changed" = 1 ] || ! systemctl is-active --quiet xrdp; then
    # At first boot xrdp may still be starting (pid file, listening socket); one retry covers it.
    if ! { systemctl restart xrdp-sesman && systemctl restart xrdp; }; then
      log "xrdp did not restart; retrying in 3 s"
      sleep 3
      systemctl restart xrdp-sesman
      systemctl restart xrdp
    fi
    echo "changed: restarted xrdp-sesman and xrdp"
  fi
fi
`;
  return renderRemoteScript({ description: "configure xrdp and xfce for thin-client desktops", body });
}

/** Every package the stack installs (what a baked image or a test root must contain). */
export function desktopPackages(options: DesktopStackOptions = {}): string[] {
  return [...new Set([...DESKTOP_BASE_PACKAGES, ...(options.extraPackages ?? [])])];
}

/**
 * The package part of a cloud-config: `base` plus the checked `extraPackages`, installed (after
 * an apt update, optionally without recommends) unless `install` is false — an image that
 * already has them needs no mirror.
 */
export function packagesCloudConfig(
  base: readonly string[],
  options: { extraPackages?: string[]; installPackages?: boolean; installRecommends?: boolean },
): CloudConfig {
  const extra = options.extraPackages ?? [];
  for (const [i, name] of extra.entries()) {
    if (!DEBIAN_PACKAGE.test(name)) throw new Error(`extraPackages[${i}] "${name}" is not a Debian package name`);
  }
  if (options.installPackages === false) return {};
  return {
    package_update: true,
    packages: [...new Set([...base, ...extra])],
    ...(options.installRecommends === false ? { apt: { conf: 'APT::Install-Recommends "false";\n' } } : {}),
  };
}

/** The desktop stack part of the user data: identical for every employee of a pool. */
export function desktopStackCloudConfig(options: DesktopStackOptions = {}): CloudConfig {
  const group = checkRdpGroup(options.rdpGroup ?? DEFAULT_RDP_GROUP);
  return {
    groups: [group],
    ...packagesCloudConfig(DESKTOP_BASE_PACKAGES, options),
    write_files: [
      {
        path: DESKTOP_SETUP_SCRIPT_PATH,
        content: desktopSetupScript(options),
        owner: "root:root",
        permissions: "0755",
      },
      {
        path: "/etc/polkit-1/rules.d/45-blueprints-colord.rules",
        content: colordPolkitRule(group),
        owner: "root:root",
        permissions: "0644",
      },
    ],
    // runcmd runs after packages are installed (cloud-init's final stage).
    runcmd: [[DESKTOP_SETUP_SCRIPT_PATH]],
  };
}

/**
 * The optional admin user: sudo, reachable over SSH with a key only (never a password). Checks
 * that adminUser and adminPublicKey come together and differ from the employee.
 */
export function adminUserEntry(options: {
  user: string;
  adminUser?: string;
  adminPublicKey?: string;
}): CloudConfigUser | undefined {
  if ((options.adminUser === undefined) !== (options.adminPublicKey === undefined)) {
    throw new Error("adminUser and adminPublicKey go together: give both for key-only SSH administration, or neither");
  }
  if (options.adminUser === undefined || options.adminPublicKey === undefined) return undefined;
  const adminProblem = linuxUserNameProblem(options.adminUser);
  if (adminProblem && options.adminUser !== "admin")
    throw new Error(`adminUser "${options.adminUser}": ${adminProblem}`);
  if (options.adminUser === options.user)
    throw new Error(`adminUser "${options.adminUser}" must differ from the employee's user name`);
  if (!OPENSSH_PUBLIC_KEY.test(options.adminPublicKey.trim())) {
    throw new Error('adminPublicKey is not an OpenSSH public key line (e.g. "ssh-ed25519 AAAA… admin@host")');
  }
  return {
    name: options.adminUser,
    groups: ["sudo"],
    shell: "/bin/bash",
    sudo: "ALL=(ALL) NOPASSWD:ALL",
    lock_passwd: true,
    ssh_authorized_keys: [options.adminPublicKey.trim()],
  };
}

/** The per-employee part of the user data. */
export function employeeCloudConfig(options: EmployeeDesktopOptions): CloudConfig {
  assertLinuxUserName(options.user);
  if (!/^\$6\$(rounds=\d+\$)?[^$:\s]{1,16}\$[./0-9A-Za-z]{86}$/.test(options.hashedPassword)) {
    throw new Error(
      `hashedPassword for "${options.user}" is not a SHA-512 crypt hash ("$6$salt$…"); hash the password first, never pass it in clear`,
    );
  }
  const group = checkRdpGroup(options.rdpGroup ?? DEFAULT_RDP_GROUP);
  const users: CloudConfigUser[] = [
    {
      name: options.user,
      ...(options.fullName ? { gecos: options.fullName } : {}),
      groups: [group],
      shell: "/bin/bash",
      // lock_passwd defaults to true, which would block the password login RDP needs.
      lock_passwd: false,
      hashed_passwd: options.hashedPassword,
    },
  ];
  const admin = adminUserEntry(options);
  if (admin) users.push(admin);
  return {
    hostname: options.hostname,
    fqdn: options.fqdn ?? options.hostname,
    preserve_hostname: false,
    // Writes /etc/hosts with the host name, so sudo, xrdp and make-ssl-cert resolve it.
    manage_etc_hosts: true,
    groups: [group],
    users,
    // chpasswd.expire defaults to true: a forced change at first login, which RDP cannot show.
    chpasswd: { expire: false },
    ssh_pwauth: false,
    disable_root: true,
  };
}

function mergeList(a: unknown, b: unknown): unknown[] | undefined {
  if (a === undefined && b === undefined) return undefined;
  const out: unknown[] = [];
  for (const item of [...((a as unknown[]) ?? []), ...((b as unknown[]) ?? [])]) {
    if (typeof item === "string" && out.includes(item)) continue; // e.g. a group both parts declare
    out.push(item);
  }
  return out;
}

/**
 * Merges cloud-config parts: lists are concatenated (equal strings once), objects merged one
 * level deep, and a scalar set differently by two parts is an error naming the key.
 */
export function mergeCloudConfigs(...parts: CloudConfig[]): CloudConfig {
  const merged: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [key, value] of Object.entries(part)) {
      if (value === undefined) continue;
      const existing = merged[key];
      if (existing === undefined) {
        merged[key] = Array.isArray(value) ? [...value] : value;
      } else if (Array.isArray(existing) && Array.isArray(value)) {
        merged[key] = mergeList(existing, value);
      } else if (
        existing &&
        value &&
        typeof existing === "object" &&
        typeof value === "object" &&
        !Array.isArray(existing) &&
        !Array.isArray(value)
      ) {
        for (const [k, v] of Object.entries(value)) {
          const prev = (existing as Record<string, unknown>)[k];
          if (prev !== undefined && JSON.stringify(prev) !== JSON.stringify(v))
            throw new Error(`cloud-config parts disagree on ${key}.${k}`);
        }
        merged[key] = { ...(existing as object), ...(value as object) };
      } else if (JSON.stringify(existing) !== JSON.stringify(value)) {
        throw new Error(
          `cloud-config parts disagree on "${key}": ${JSON.stringify(existing)} vs ${JSON.stringify(value)}`,
        );
      }
    }
  }
  return merged as CloudConfig;
}

/** The xrdp port a desktop's session report watches (a connected RDP client is a session). */
export const XRDP_PORT = 3389;

/**
 * The complete user data of one employee's desktop: stack part + per-employee part (+ the AutoStop
 * session reporter when the pool reports to a portal).
 */
export function renderDesktopUserData(
  stack: DesktopStackOptions,
  employee: EmployeeDesktopOptions,
  report?: Omit<SessionReportOptions, "port" | "employee">,
): string {
  if ((stack.rdpGroup ?? DEFAULT_RDP_GROUP) !== (employee.rdpGroup ?? DEFAULT_RDP_GROUP)) {
    throw new Error(
      `the stack's rdpGroup "${stack.rdpGroup}" and the employee's "${employee.rdpGroup}" must be the same group`,
    );
  }
  return renderCloudConfig(
    mergeCloudConfigs(
      employeeHomeCloudConfig(employee),
      desktopStackCloudConfig(stack),
      employeeCloudConfig(employee),
      xrdpTlsCloudConfig(employee.tls),
      report ? sessionReportCloudConfig({ ...report, employee: employee.user, port: XRDP_PORT }) : {},
    ),
  );
}

/**
 * The user data of a desktop booted from a baked image (XrdpDesktopImage): the per-employee part
 * only, plus a run of the setup script the image already carries (it remakes the TLS certificate
 * for this host name and applies nothing else when the image is current).
 */
export function renderBakedDesktopUserData(
  employee: EmployeeDesktopOptions,
  report?: Omit<SessionReportOptions, "port" | "employee">,
): string {
  return renderCloudConfig(
    mergeCloudConfigs(
      employeeHomeCloudConfig(employee),
      { ...employeeCloudConfig(employee), runcmd: [[DESKTOP_SETUP_SCRIPT_PATH]] },
      xrdpTlsCloudConfig(employee.tls),
      report ? sessionReportCloudConfig({ ...report, employee: employee.user, port: XRDP_PORT }) : {},
    ),
  );
}
