/**
 * Cloud-init user data for a Jupyter workspace (a college's ML lab: students reaching notebooks remotely),
 * the `workspace: "jupyter"` choice of ThinClientDesktopPool.
 *
 * What the lab's by-hand setup did, and what this does instead:
 *  - `pip install jupyter` + `jupyter notebook --ip=0.0.0.0` run by hand over SSH, with the
 *    printed token passed around → a systemd service that starts at boot as the employee, with
 *    password login whose secret is a generated Pulumi secret; the guest only gets its salted
 *    hash (Jupyter's `algorithm:salt:hexdigest` format), no token in any file or URL;
 *  - ngrok to reach it from outside → the pool's security group opens the port only to the
 *    thin clients' block, like RDP, and the server speaks HTTPS (the host's snakeoil
 *    certificate, remade for its host name).
 *
 * Server: "notebook" (default) is Jupyter Notebook from the distribution (`jupyter-notebook`,
 * Debian 12 / Ubuntu 24.04: Notebook 6.4), installable from a plain package mirror — tested
 * here for real. "lab" installs JupyterLab from PyPI into /opt/blueprints-jupyterlab (the guest
 * needs PyPI access; JupyterLab is not packaged by Debian or Ubuntu): the same service and the
 * same password scheme, but it cannot run on this machine (no PyPI), so only its document and
 * script are checked here.
 *
 * Why a single salted SHA-512 is enough here, unlike the desktops' 5000-round crypt: the secret
 * is 12–128 random letters and digits (20 by default, ~119 bits), which no guessing reaches
 * however fast the hash; Jupyter's other scheme, argon2, has no implementation in Node.
 */
import { CloudConfig, CloudConfigUser, renderCloudConfig } from "../cloudinit/cloud-config";
import { renderRemoteScript, shellQuote } from "../scripts/remote-script";
import {
  adminUserEntry,
  employeeHomeCloudConfig,
  mergeCloudConfigs,
  packagesCloudConfig,
  SNAKEOIL_FOR_THIS_HOST,
} from "./desktop-user-data";
import { assertLinuxUserName } from "./employees";
import { SessionReportOptions, sessionReportCloudConfig } from "./session-report";

export const JUPYTER_PORT = 8888;
export const JUPYTER_SERVERS = ["notebook", "lab"] as const;
export type JupyterServer = (typeof JUPYTER_SERVERS)[number];
/** Distribution packages of the "notebook" server; "lab" needs only Python's venv and pip. */
export const JUPYTER_NOTEBOOK_PACKAGES: readonly string[] = ["jupyter-notebook", "python3-ipykernel", "ssl-cert"];
export const JUPYTER_LAB_PACKAGES: readonly string[] = ["python3-venv", "python3-pip", "ssl-cert"];
export const JUPYTER_CONFIG_PATH = "/etc/openstack-blueprints/jupyter/jupyter_config.json";
export const JUPYTER_SETUP_SCRIPT_PATH = "/usr/local/sbin/blueprints-jupyter-setup";
export const JUPYTER_UNIT = "blueprints-jupyter.service";
export const JUPYTER_LAB_VENV = "/opt/blueprints-jupyterlab";
const SNAKEOIL_CERT = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
const SNAKEOIL_KEY = "/etc/ssl/private/ssl-cert-snakeoil.key";

/** Jupyter's password format with SHA-512: "sha512:<salt>:<128 hex digits>". */
export const JUPYTER_SHA512_HASH = /^sha512:[0-9A-Za-z./]{8,64}:[0-9a-f]{128}$/;

// Jupyter's password hash lives beside SHA-512 crypt: the DesktopCredential provider needs it
// without loading this renderer (and its cloud-config and script modules) in its process.
export { jupyterPasswordHash } from "./sha512-crypt";

export interface JupyterWorkspaceOptions {
  /** "notebook" (distribution package, default) or "lab" (JupyterLab from PyPI). */
  server?: JupyterServer;
  /** Extra Debian/Ubuntu packages, e.g. python3-numpy, python3-pandas, python3-sklearn. */
  extraPackages?: string[];
  /** false when the image already has the packages (and, for "lab", the venv). Default true. */
  installPackages?: boolean;
  installRecommends?: boolean;
  /** TCP port of the server; default 8888. */
  port?: number;
}

export interface JupyterEmployeeOptions {
  /** Linux user the server runs as; notebooks live in their home. */
  user: string;
  fullName?: string;
  /** Jupyter password hash ("sha512:salt:hex", see jupyterPasswordHash); never the secret itself. */
  passwordHash: string;
  hostname: string;
  fqdn?: string;
  adminUser?: string;
  adminPublicKey?: string;
  /** ID of the Cinder volume (attached at boot) that holds /home; see EmployeeDesktopOptions. */
  homeVolumeId?: string;
}

/** The server's TCP port: unprivileged, since it runs as the employee. */
export function checkJupyterPort(port: number): number {
  if (!Number.isInteger(port) || port < 1024 || port > 65535)
    throw new Error(
      `jupyterPort ${port} must be a whole number from 1024 to 65535 (the server runs as the employee, not root)`,
    );
  return port;
}

/** The server kind, checked. */
export function checkJupyterServer(server: string): JupyterServer {
  if (!(JUPYTER_SERVERS as readonly string[]).includes(server))
    throw new Error(`jupyterServer "${server}" is not one of ${JUPYTER_SERVERS.join(", ")}`);
  return server as JupyterServer;
}

function basePackages(server: JupyterServer): readonly string[] {
  return server === "lab" ? JUPYTER_LAB_PACKAGES : JUPYTER_NOTEBOOK_PACKAGES;
}

/** Every package the workspace installs (what a prepared image or a test root must contain). */
export function jupyterPackages(options: JupyterWorkspaceOptions = {}): string[] {
  return [...new Set([...basePackages(options.server ?? "notebook"), ...(options.extraPackages ?? [])])];
}

/**
 * The server's configuration. Keys for both servers are written: NotebookApp for Notebook 6,
 * ServerApp for jupyter_server (JupyterLab); each ignores the other's section. `token: ""` turns
 * token login off, so the hashed password is the only way in.
 */
export function jupyterConfig(
  employee: Pick<JupyterEmployeeOptions, "user" | "passwordHash">,
  port = JUPYTER_PORT,
): Record<string, unknown> {
  if (!JUPYTER_SHA512_HASH.test(employee.passwordHash)) {
    throw new Error(
      `passwordHash for "${employee.user}" is not a Jupyter SHA-512 hash ("sha512:salt:hex"); hash the secret first, never pass it in clear`,
    );
  }
  const common = {
    ip: "0.0.0.0",
    port: checkJupyterPort(port),
    open_browser: false,
    allow_remote_access: true,
    allow_root: false,
    password: employee.passwordHash,
    token: "",
    certfile: SNAKEOIL_CERT,
    keyfile: SNAKEOIL_KEY,
  };
  return {
    NotebookApp: { ...common, notebook_dir: `/home/${employee.user}` },
    ServerApp: { ...common, root_dir: `/home/${employee.user}` },
  };
}

/**
 * The systemd unit: the server as the employee, with group ssl-cert so it can read the TLS key.
 * The key is NOT readable by the service only: everything the server starts inherits that group,
 * so a notebook cell or a Jupyter terminal reads the key too. Nor would systemd's LoadCredential
 * or a service-only group change that: the server, its kernels and its terminals all run as the
 * employee's uid, and a credential file (or the server's memory) readable by that uid is readable
 * by the employee's code. Only TLS ended by another user (a proxy in front of a loopback-only
 * server) would keep the key from them. It is accepted here because the key is this host's own
 * snakeoil key (remade per host name), used by nothing but this server, and whoever can run code
 * in it already holds the employee's password, which is what the key protects.
 */
export function jupyterUnit(user: string, server: JupyterServer = "notebook"): string {
  const command =
    server === "lab"
      ? `${JUPYTER_LAB_VENV}/bin/jupyter-lab --config=${JUPYTER_CONFIG_PATH}`
      : `/usr/bin/jupyter-notebook --config=${JUPYTER_CONFIG_PATH}`;
  return [
    "# openstack-blueprints: the employee's Jupyter server (HTTPS, password login only).",
    "[Unit]",
    `Description=Jupyter ${server === "lab" ? "Lab" : "Notebook"} of ${user}`,
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    `User=${user}`,
    `Group=${user}`,
    // The server reads the TLS key through ssl-cert; its kernels and terminals inherit the group,
    // so the employee's own code can read the key (see above: same uid, by design accepted).
    "SupplementaryGroups=ssl-cert",
    `WorkingDirectory=/home/${user}`,
    `Environment=HOME=/home/${user}`,
    `ExecStart=${command}`,
    "Restart=on-failure",
    "RestartSec=5",
    "NoNewPrivileges=true",
    "PrivateTmp=true",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/**
 * The idempotent setup script (cloud-init runcmd, after packages and users): JupyterLab's venv
 * when asked, the certificate for this host name, and
 * the service enabled and (re)started only when the unit or config changed. Prints "changed: …".
 */
export function jupyterSetupScript(user: string, options: JupyterWorkspaceOptions = {}): string {
  assertLinuxUserName(user);
  const server = checkJupyterServer(options.server ?? "notebook");
  const install = options.installPackages ?? true;
  const venv =
    server !== "lab"
      ? `
[ -x /usr/bin/jupyter-notebook ] || die "/usr/bin/jupyter-notebook is missing: the jupyter-notebook package is not installed"
`
      : !install
        ? `
[ -x ${JUPYTER_LAB_VENV}/bin/jupyter-lab ] || die "${JUPYTER_LAB_VENV} is missing from the image (installPackages is false)"
`
        : `
# JupyterLab is not packaged by Debian or Ubuntu: a venv from PyPI (the guest needs PyPI access).
if [ ! -x ${JUPYTER_LAB_VENV}/bin/jupyter-lab ]; then
  python3 -m venv ${JUPYTER_LAB_VENV}
  ${JUPYTER_LAB_VENV}/bin/pip install --quiet --disable-pip-version-check jupyterlab
  echo "changed: JupyterLab installed in ${JUPYTER_LAB_VENV}"
  changed=1
fi
`;
  const body = `
changed=0
user=${shellQuote(user)}
id -u "$user" >/dev/null 2>&1 || die "user $user does not exist (cloud-init's users module did not run?)"
${venv}
${SNAKEOIL_FOR_THIS_HOST}
config=${JUPYTER_CONFIG_PATH}
[ -f "$config" ] || die "$config is missing"

# Restart when the unit or the config changed since the last run (or the server is not running).
applied=/var/lib/openstack-blueprints/jupyter-applied
current=$(cat /etc/systemd/system/${JUPYTER_UNIT} "$config" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$applied" 2>/dev/null || true)" != "$current" ]; then
  mkdir -p "$(dirname "$applied")"
  printf '%s\\n' "$current" >"$applied"
  echo "changed: Jupyter unit or configuration"
  changed=1
fi
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if ! systemctl is-enabled --quiet ${JUPYTER_UNIT}; then systemctl enable --quiet ${JUPYTER_UNIT}; echo "changed: ${JUPYTER_UNIT} enabled"; fi
  if [ "$changed" = 1 ] || ! systemctl is-active --quiet ${JUPYTER_UNIT}; then
    systemctl restart ${JUPYTER_UNIT}
    echo "changed: restarted ${JUPYTER_UNIT}"
  fi
fi
`;
  return renderRemoteScript({ description: `set up the Jupyter ${server} workspace of ${user}`, body });
}

/**
 * The complete user data of one employee's Jupyter workspace (+ the AutoStop session reporter,
 * watching the server's port, when the pool reports to a portal).
 */
export function renderJupyterUserData(
  workspace: JupyterWorkspaceOptions,
  employee: JupyterEmployeeOptions,
  report?: Omit<SessionReportOptions, "port" | "employee">,
): string {
  assertLinuxUserName(employee.user);
  const server = checkJupyterServer(workspace.server ?? "notebook");
  const config = jupyterConfig(employee, workspace.port ?? JUPYTER_PORT);
  const users: CloudConfigUser[] = [
    {
      name: employee.user,
      ...(employee.fullName ? { gecos: employee.fullName } : {}),
      shell: "/bin/bash",
      // No OS password: the employee works through Jupyter (whose terminal runs as them).
      lock_passwd: true,
    },
  ];
  const admin = adminUserEntry(employee);
  if (admin) users.push(admin);
  const doc: CloudConfig = {
    hostname: employee.hostname,
    fqdn: employee.fqdn ?? employee.hostname,
    preserve_hostname: false,
    manage_etc_hosts: true,
    users,
    ssh_pwauth: false,
    disable_root: true,
    ...packagesCloudConfig(basePackages(server), workspace),
    write_files: [
      {
        path: `/etc/systemd/system/${JUPYTER_UNIT}`,
        content: jupyterUnit(employee.user, server),
        owner: "root:root",
        permissions: "0644",
      },
      // It holds the password hash: readable by the employee's server only. Deferred to the final
      // stage, after the users module has made the employee's group.
      {
        path: JUPYTER_CONFIG_PATH,
        content: `${JSON.stringify(config, null, 2)}\n`,
        owner: `root:${employee.user}`,
        permissions: "0640",
        defer: true,
      },
      {
        path: JUPYTER_SETUP_SCRIPT_PATH,
        content: jupyterSetupScript(employee.user, workspace),
        owner: "root:root",
        permissions: "0755",
      },
    ],
    runcmd: [[JUPYTER_SETUP_SCRIPT_PATH]],
  };
  return renderCloudConfig(
    mergeCloudConfigs(
      // The home volume is mounted (bootcmd) before the users module makes the employee's home.
      employeeHomeCloudConfig(employee),
      doc,
      report
        ? sessionReportCloudConfig({ ...report, employee: employee.user, port: workspace.port ?? JUPYTER_PORT })
        : {},
    ),
  );
}
