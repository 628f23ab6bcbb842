/**
 * The guest's side of AutoStop (the self-service portal shelves a desktop, stops a notebook, that
 * nobody uses): a systemd timer runs a small reporter every minute, which looks at the guest's own
 * TCP table for an established connection to the workspace's port (xrdp's 3389 for a desktop, the
 * Jupyter server's for a notebook) and posts `{"active": true|false}` to the portal with this
 * desktop's own token.
 *
 * What counts as a session: an RDP client connected to xrdp right now (a session left disconnected
 * is idle: AWS WorkSpaces' AutoStop counts from the disconnect, too), or a browser connected to the
 * Jupyter server (an open notebook keeps its kernel's WebSocket open; a closed tab ends it). It is
 * measured, not guessed: the kernel's socket table (/proc/net/tcp and tcp6, what `ss` reads).
 *
 * Why Python: cloud-init itself is Python 3, so every image that runs this user data has it, while
 * curl is not in every Debian or Ubuntu image (and the test guests have no mirror to fetch it).
 *
 * The token: a Pulumi secret of the pool, written into a root-only file (0600) by cloud-init and
 * read by the reporter (root) from there: never in argv, the environment, a URL or a log. The
 * portal keeps only its SHA-256 (`sessionReportTokenHash`).
 */
import { createHash } from "node:crypto";
import type { CloudConfig } from "../cloudinit/cloud-config";

export const SESSION_REPORT_DIR = "/etc/openstack-blueprints/session-report";
export const SESSION_REPORT_CONFIG_PATH = `${SESSION_REPORT_DIR}/config.json`;
export const SESSION_REPORT_TOKEN_PATH = `${SESSION_REPORT_DIR}/token`;
export const SESSION_REPORT_CA_PATH = `${SESSION_REPORT_DIR}/portal-ca.pem`;
export const SESSION_REPORT_SCRIPT_PATH = "/usr/local/sbin/blueprints-session-report";
export const SESSION_REPORT_SERVICE = "blueprints-session-report.service";
export const SESSION_REPORT_TIMER = "blueprints-session-report.timer";
/** How often the guest reports; the portal's reportTimeoutMinutes (15) is many of these. */
export const SESSION_REPORT_INTERVAL = "1min";

/** Report tokens are long random strings: one SHA-256 is the right hash (no password to stretch). */
export function sessionReportTokenHash(token: string): string {
  return `sha256:${createHash("sha256").update(token, "utf8").digest("hex")}`;
}

/** The portal's report endpoint for one employee's desktop. */
export function sessionReportUrl(portalUrl: string, employee: string): string {
  const base = portalUrl.endsWith("/") ? portalUrl : `${portalUrl}/`;
  return new URL(`api/desktops/${encodeURIComponent(employee)}/session`, base).toString();
}

/** A portal URL the reporter can post to: http(s), no credentials, no query. Returns the problem. */
export function portalUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL; give the portal\'s address as the guests reach it, e.g. "https://portal.office.example/"';
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    return "must be an http(s) URL of the self-service portal";
  if (parsed.username || parsed.password)
    return "must not carry a user name or password (the guests authenticate with their own token)";
  if (parsed.search || parsed.hash) return "must not have a query or fragment; give the portal's base URL";
  return undefined;
}

/** The reporter (python3, standard library only). Reads its config and token from files. */
export const SESSION_REPORT_SCRIPT = `#!/usr/bin/python3
"""Reports to the self-service portal whether a session is active in this guest (AutoStop).

Run by ${SESSION_REPORT_TIMER} every ${SESSION_REPORT_INTERVAL} (openstack-blueprints). A session is
an established TCP connection to the workspace's port: an RDP client on xrdp, a browser on the
Jupyter server. The token is read from a root-only file and sent in a header, never printed.
"""
import json
import ssl
import sys
import urllib.error
import urllib.request

CONFIG = sys.argv[1] if len(sys.argv) > 1 else "${SESSION_REPORT_CONFIG_PATH}"
TCP_ESTABLISHED = "01"


def connections_on(port):
    """Established TCP connections whose local port is \`port\` (IPv4 and IPv6), from the kernel."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as rows:
                next(rows)  # the header
                for row in rows:
                    fields = row.split()
                    local_port = int(fields[1].rsplit(":", 1)[1], 16)
                    if fields[3] == TCP_ESTABLISHED and local_port == port:
                        count += 1
        except FileNotFoundError:
            continue  # a kernel without IPv6
    return count


def main():
    with open(CONFIG, encoding="utf-8") as f:
        config = json.load(f)
    with open(config["tokenFile"], encoding="utf-8") as f:
        token = f.read().strip()
    connections = connections_on(int(config["port"]))
    active = connections > 0
    context = ssl.create_default_context(cafile=config.get("caFile"))
    request = urllib.request.Request(
        config["url"],
        data=json.dumps({"active": active}).encode("utf-8"),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20, context=context) as answer:
            status = answer.status
    except urllib.error.HTTPError as refused:
        # The portal's answer names the problem (a wrong token: 401); it never echoes the token.
        body = refused.read(200).decode("utf-8", "replace")
        print(f"the portal refused the report: HTTP {refused.code} {body}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as unreachable:
        print(f"the portal is not reachable: {unreachable}", file=sys.stderr)
        return 1
    print(f"reported active={str(active).lower()} ({connections} connection(s) on port {config['port']}): HTTP {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
`;

export const SESSION_REPORT_SERVICE_UNIT = `# openstack-blueprints: tells the self-service portal whether a session is active (AutoStop).
[Unit]
Description=Report whether a session is active to the self-service portal
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
# Root, only to read the root-only token file; nothing else is writable to it here.
ExecStart=/usr/bin/python3 ${SESSION_REPORT_SCRIPT_PATH}
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
`;

export const SESSION_REPORT_TIMER_UNIT = `# openstack-blueprints: reports every minute (the portal treats many missed reports as "unknown").
[Unit]
Description=Report whether a session is active to the self-service portal, every minute

[Timer]
OnBootSec=30s
OnUnitActiveSec=${SESSION_REPORT_INTERVAL}
AccuracySec=5s

[Install]
WantedBy=timers.target
`;

export interface SessionReportOptions {
  /** The portal's base URL as the guest reaches it, e.g. "https://portal.office.example/". */
  portalUrl: string;
  /** The employee whose desktop this is (the report URL names them). */
  employee: string;
  /** This desktop's report token (a Pulumi secret: the user data holding it is one). */
  token: string;
  /** The port whose established connections are a session: 3389 (xrdp) or the Jupyter port. */
  port: number;
  /** PEM of the CA that signed the portal's certificate, when the guests' trust store lacks it. */
  caCertificate?: string;
}

/** The reporter's part of a guest's cloud-config: its files, and its timer enabled and started. */
export function sessionReportCloudConfig(options: SessionReportOptions): CloudConfig {
  const problem = portalUrlProblem(options.portalUrl);
  if (problem) throw new Error(`portalUrl ${JSON.stringify(options.portalUrl)} ${problem}`);
  if (!/^[A-Za-z0-9._~-]{32,256}$/.test(options.token))
    throw new Error(`the session report token of ${options.employee} must be 32 to 256 URL-safe characters`);
  if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)
    throw new Error(`the session port ${options.port} must be a TCP port (1-65535)`);
  const config = {
    url: sessionReportUrl(options.portalUrl, options.employee),
    port: options.port,
    tokenFile: SESSION_REPORT_TOKEN_PATH,
    ...(options.caCertificate ? { caFile: SESSION_REPORT_CA_PATH } : {}),
  };
  return {
    write_files: [
      { path: SESSION_REPORT_TOKEN_PATH, content: `${options.token}\n`, owner: "root:root", permissions: "0600" },
      {
        path: SESSION_REPORT_CONFIG_PATH,
        content: `${JSON.stringify(config, null, 2)}\n`,
        owner: "root:root",
        permissions: "0644",
      },
      ...(options.caCertificate
        ? [{ path: SESSION_REPORT_CA_PATH, content: options.caCertificate, owner: "root:root", permissions: "0644" }]
        : []),
      { path: SESSION_REPORT_SCRIPT_PATH, content: SESSION_REPORT_SCRIPT, owner: "root:root", permissions: "0755" },
      {
        path: `/etc/systemd/system/${SESSION_REPORT_SERVICE}`,
        content: SESSION_REPORT_SERVICE_UNIT,
        owner: "root:root",
        permissions: "0644",
      },
      {
        path: `/etc/systemd/system/${SESSION_REPORT_TIMER}`,
        content: SESSION_REPORT_TIMER_UNIT,
        owner: "root:root",
        permissions: "0644",
      },
    ],
    // enable reloads systemd's units; --now starts the timer (idempotent on a re-run).
    runcmd: [["systemctl", "enable", "--now", "--quiet", SESSION_REPORT_TIMER]],
  };
}
