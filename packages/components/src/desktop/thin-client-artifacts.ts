/**
 * What a thin client needs to reach a desktop: a Microsoft/FreeRDP `.rdp` file, a Remmina
 * profile (the 2017 office study's Raspberry Pi client), and a connection sheet for the admin. None of them
 * carries a password: passwords are Pulumi secrets handed over separately.
 */

export interface DesktopConnection {
  /** Employee (Linux user) name. */
  user: string;
  fullName?: string;
  /** Address the thin client dials: floating IP, fixed IP or DNS name. */
  address: string;
  /** Desktop (server) name, for the sheet. */
  desktop: string;
  port?: number;
  powerState?: string;
  /** SHA-256 of the desktop's xrdp TLS certificate, "AB:CD:…" (XrdpCertificate); absent: unknown here. */
  tlsFingerprintSha256?: string;
}

const SHA256_FINGERPRINT = /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/;

function checkField(field: string, value: string): string {
  // A newline or a NUL would let a value inject lines into these line-based formats.
  if (/[\r\n\0]/.test(value) || value.length === 0)
    throw new Error(`${field} "${value}" must be a non-empty single line`);
  return value;
}

function hostPort(c: DesktopConnection): string {
  const port = c.port ?? 3389;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port ${port} is not a TCP port`);
  const address = checkField("address", c.address);
  return port === 3389 ? address : `${address}:${port}`;
}

/**
 * A `.rdp` file (read by mstsc, FreeRDP's `xfreerdp file.rdp` and Remmina's import). The server
 * uses TLS (xrdp security_layer=tls); the client asks for the password.
 */
export function renderRdpFile(c: DesktopConnection): string {
  return [
    `full address:s:${hostPort(c)}`,
    `username:s:${checkField("user", c.user)}`,
    "prompt for credentials:i:1",
    "authentication level:i:2",
    "screen mode id:i:2",
    "session bpp:i:24",
    "audiomode:i:2",
    "redirectclipboard:i:1",
    "",
  ].join("\r\n");
}

/** A Remmina connection profile (~/.local/share/remmina/<name>.remmina); no password stored. */
export function renderRemminaProfile(c: DesktopConnection): string {
  return [
    "[remmina]",
    `name=${checkField("desktop", c.desktop)} (${checkField("user", c.user)})`,
    "protocol=RDP",
    `server=${hostPort(c)}`,
    `username=${c.user}`,
    "password=",
    "security=tls",
    "colordepth=24",
    "scale=1",
    "viewmode=4",
    "",
  ].join("\n");
}

function sheet(
  title: string,
  intro: string[],
  addressHeader: string,
  address: (c: DesktopConnection) => string,
  connections: DesktopConnection[],
  after: (rows: DesktopConnection[]) => string[] = () => [],
): string {
  const rows = [...connections].sort((a, b) => a.user.localeCompare(b.user));
  return [
    title,
    "",
    ...intro,
    "Passwords are not on this sheet: read them with `pulumi stack output --show-secrets passwords`",
    "and hand each one over privately. Shelved desktops must be set to `active` before use.",
    "",
    `| Employee | Name | Desktop | ${addressHeader} | User | State |`,
    "|---|---|---|---|---|---|",
    ...rows.map(
      (c) =>
        `| ${c.user} | ${(c.fullName ?? "").replace(/\|/g, "/")} | ${c.desktop} | ${address(c)} | ${c.user} | ${c.powerState ?? "active"} |`,
    ),
    "",
    ...after(rows),
  ].join("\n");
}

/**
 * The admin's connection sheet: one row per employee, no passwords; with each desktop's TLS
 * certificate fingerprint when the pool made the certificates (it knows them before the desktops
 * boot), so thin clients pin them instead of trusting the first answer.
 */
export function renderConnectionSheet(poolName: string, connections: DesktopConnection[]): string {
  const pinned = connections.length > 0 && connections.every((c) => c.tlsFingerprintSha256 !== undefined);
  for (const c of connections)
    if (c.tlsFingerprintSha256 !== undefined && !SHA256_FINGERPRINT.test(c.tlsFingerprintSha256))
      throw new Error(
        `tlsFingerprintSha256 "${c.tlsFingerprintSha256}" of ${c.user} is not a SHA-256 fingerprint (AB:CD:…, 32 bytes)`,
      );
  const intro = pinned
    ? [
        "Thin clients connect with RDP (TLS) to the address below, as the employee's user name.",
        "",
        "Each desktop has its own TLS certificate, made by the pool; its SHA-256 fingerprint is listed below.",
        "Pin it on the thin client, so a client never trusts another machine answering on that address:",
        "`xfreerdp <employee>.rdp /cert:deny,fingerprint:sha256:<fingerprint in lower case>` (FreeRDP with `/cert:`, e.g. 2.11).",
        "Remmina and mstsc show the certificate at the first connection: accept it only if the fingerprint matches.",
      ]
    : [
        "Thin clients connect with RDP (TLS) to the address below, as the employee's user name.",
        "",
        // Without the pool's certificate the desktop makes its own at first boot (the host name's
        // snakeoil certificate), so no fingerprint exists when this sheet is written.
        "The first connection asks to trust the desktop's certificate. Each desktop makes its own at first",
        "boot, so its fingerprint is not known here; read it before handing the desktop out and compare:",
        "`ssh <admin>@<address> openssl x509 -in /etc/ssl/certs/ssl-cert-snakeoil.pem -noout -fingerprint -sha256`",
      ];
  return sheet(`# Desktop pool ${poolName}: connection sheet`, intro, "Address", hostPort, connections, (rows) =>
    pinned
      ? [
          "## TLS certificate fingerprints (SHA-256)",
          "",
          ...rows.map((c) => `- ${c.user} (${c.desktop}): \`${c.tlsFingerprintSha256}\``),
          "",
        ]
      : [],
  );
}

/** The HTTPS address of an employee's Jupyter server. */
export function jupyterUrl(address: string, port: number): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port ${port} is not a TCP port`);
  const host = checkField("address", address);
  return `https://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}/`;
}

/** The admin's sheet for a Jupyter pool: the URL each employee opens, no passwords. */
export function renderJupyterConnectionSheet(poolName: string, connections: DesktopConnection[], port: number): string {
  return sheet(
    `# Jupyter pool ${poolName}: connection sheet`,
    [
      "Each employee opens their URL in a browser (HTTPS with the server's own certificate: the browser",
      "asks to accept it once) and logs in with their password; the server runs as their user.",
    ],
    "URL",
    (c) => jupyterUrl(c.address, port),
    connections,
  );
}
