/**
 * The processes minicloud runs, in start order, with their command lines and what "ready"
 * means for each. Pure: paths come from the layout.
 */
import * as path from "path";
import { HOST, Layout, PORTS } from "./layout";
import { storagePath, storagePaths } from "./storage";
import { GPU_DRIVER_MODULE } from "./service-configs";

export type Readiness =
  | { kind: "tcp"; port: number }
  | { kind: "http"; url: string }
  /** A unix socket accepts connections (libvirtd, virtlogd). */
  | { kind: "unix"; path: string }
  | { kind: "none" };

/** libvirt's system sockets: fixed paths, shared by every libvirt client on the machine. */
export const LIBVIRT_SOCKET = "/run/libvirt/libvirt-sock";
export const VIRTLOGD_SOCKET = "/run/libvirt/virtlogd-sock";

export interface ProfileOptions {
  /** The guests profile: libvirt, the guests compute host and Neutron's DHCP/L3/metadata agents. */
  guests?: boolean;
}

export interface ServiceSpec {
  name: string;
  argv: string[];
  env?: Record<string, string>;
  ready: Readiness;
  /** Seconds to wait for readiness before failing. */
  readyTimeout: number;
  /** Files whose content the running process depends on (restart when they change). */
  configFiles: string[];
}

function pythonMain(module: string, fn: string, prog: string, args: string[], preload?: string): string[] {
  // The daemon packages that carry /usr/bin/<prog> are not installed (see install.ts); this is
  // what their console scripts do. `preload` is imported after the entry point's module (which
  // may monkey-patch with eventlet first) and before it runs.
  const pre = preload ? ` import ${preload};` : "";
  return [
    "/usr/bin/python3",
    "-c",
    `import sys; sys.argv[0] = ${JSON.stringify(prog)}; from ${module} import ${fn};${pre} sys.exit(${fn}())`,
    ...args,
  ];
}

export function mariadbArgs(layout: Layout): string[] {
  const run = layout.runDir;
  return [
    "--no-defaults",
    `--datadir=${path.join(layout.stateDir, "mysql")}`,
    `--socket=${path.join(run, "mysqld.sock")}`,
    `--pid-file=${path.join(run, "mysqld.pid-internal")}`,
    `--port=${PORTS.mariadb}`,
    `--bind-address=${HOST}`,
    "--user=root",
    "--skip-name-resolve",
    "--max-connections=1000",
    "--innodb-buffer-pool-size=256M",
    "--innodb-flush-log-at-trx-commit=2",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_general_ci",
  ];
}

export function mariadbSocket(layout: Layout): string {
  return path.join(layout.runDir, "mysqld.sock");
}

export function rabbitEnv(layout: Layout): Record<string, string> {
  const base = path.join(layout.stateDir, "rabbitmq");
  return {
    HOME: base,
    RABBITMQ_NODENAME: "minicloud@localhost",
    RABBITMQ_NODE_IP_ADDRESS: HOST,
    RABBITMQ_NODE_PORT: String(PORTS.rabbitmq),
    RABBITMQ_DIST_PORT: String(PORTS.rabbitmqDist),
    RABBITMQ_MNESIA_BASE: path.join(base, "mnesia"),
    RABBITMQ_LOG_BASE: path.join(layout.logDir, "rabbitmq"),
    RABBITMQ_LOGS: "-",
    RABBITMQ_CONFIG_FILE: path.join(layout.configDir, "rabbitmq", "rabbitmq.conf"),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(base, "enabled_plugins"),
    RABBITMQ_PID_FILE: path.join(layout.runDir, "rabbitmq.pid-internal"),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
    ERL_EPMD_ADDRESS: HOST,
    ERL_EPMD_PORT: String(PORTS.epmd),
  };
}

/** Where the GPU host's fake driver module lives (see novaGpuDriverPy). */
export function novaPythonDir(layout: Layout): string {
  return path.join(layout.configDir, "nova", "python");
}

/** Where the guests profile's Python module for neutron-server lives (see neutronSchedulersPy). */
export function neutronPythonDir(layout: Layout): string {
  return path.join(layout.configDir, "neutron", "python");
}

export function serviceSpecs(layout: Layout, profile: ProfileOptions = {}): ServiceSpec[] {
  const c = (...p: string[]) => path.join(layout.configDir, ...p);
  const novaArgs = ["--config-file", c("nova", "nova.conf")];
  const neutronArgs = ["--config-file", c("neutron", "neutron.conf"), "--config-file", c("neutron", "ml2_conf.ini")];
  const base = baseSpecs(layout, c, novaArgs, neutronArgs, profile);
  return profile.guests ? [...base, ...guestSpecs(layout, c, novaArgs)] : base;
}

/** Every process either profile may run, in start order: what `down` and `status` look after. */
export function allServiceSpecs(layout: Layout): ServiceSpec[] {
  return serviceSpecs(layout, { guests: true });
}

function agent(name: string, module: string, files: string[]): ServiceSpec {
  return {
    name,
    argv: pythonMain(
      module,
      "main",
      name,
      files.flatMap((f) => ["--config-file", f]),
    ),
    ready: { kind: "none" },
    readyTimeout: 0,
    configFiles: files,
  };
}

function guestSpecs(layout: Layout, c: (...p: string[]) => string, novaArgs: string[]): ServiceSpec[] {
  const neutronConf = c("neutron", "neutron.conf");
  return [
    {
      name: "virtlogd",
      argv: ["/usr/sbin/virtlogd", "--pid-file", path.join(layout.runDir, "virtlogd.pid-internal")],
      ready: { kind: "unix", path: VIRTLOGD_SOCKET },
      readyTimeout: 30,
      configFiles: [],
    },
    {
      // Monolithic libvirtd in the foreground (bookworm has no modular daemons), on its default
      // system socket; no TCP listener.
      name: "libvirtd",
      argv: ["/usr/sbin/libvirtd", "--pid-file", path.join(layout.runDir, "libvirtd.pid-internal")],
      ready: { kind: "unix", path: LIBVIRT_SOCKET },
      readyTimeout: 60,
      configFiles: [],
    },
    agent("neutron-linuxbridge-agent-guests", "neutron.cmd.eventlet.plugins.linuxbridge_neutron_agent", [
      neutronConf,
      c("neutron", "linuxbridge_agent_guests.ini"),
    ]),
    agent("neutron-dhcp-agent", "neutron.cmd.eventlet.agents.dhcp", [neutronConf, c("neutron", "dhcp_agent.ini")]),
    agent("neutron-l3-agent", "neutron.cmd.eventlet.agents.l3", [neutronConf, c("neutron", "l3_agent.ini")]),
    agent("neutron-metadata-agent", "neutron.cmd.eventlet.agents.metadata", [
      neutronConf,
      c("neutron", "metadata_agent.ini"),
    ]),
    {
      name: "nova-api-metadata",
      argv: pythonMain("nova.cmd.api_metadata", "main", "nova-api-metadata", novaArgs),
      ready: { kind: "http", url: `http://${HOST}:${PORTS.novaMetadata}/` },
      readyTimeout: 90,
      configFiles: [c("nova", "nova.conf")],
    },
    agent("neutron-linuxbridge-agent-gpu", "neutron.cmd.eventlet.plugins.linuxbridge_neutron_agent", [
      neutronConf,
      c("neutron", "linuxbridge_agent_gpu.ini"),
    ]),
    {
      // The fake host with PCI devices (GPUs) in zone `gpu`: its driver comes from our module.
      name: "nova-compute-gpu",
      argv: pythonMain(
        "nova.cmd.compute",
        "main",
        "nova-compute",
        [...novaArgs, "--config-file", c("nova", "nova-compute-gpu.conf")],
        GPU_DRIVER_MODULE,
      ),
      env: { PYTHONPATH: novaPythonDir(layout) },
      ready: { kind: "none" },
      readyTimeout: 0,
      configFiles: [
        c("nova", "nova.conf"),
        c("nova", "nova-compute-gpu.conf"),
        path.join(novaPythonDir(layout), `${GPU_DRIVER_MODULE}.py`),
      ],
    },
    {
      name: "nova-compute-guests",
      argv: pythonMain("nova.cmd.compute", "main", "nova-compute", [
        ...novaArgs,
        "--config-file",
        c("nova", "nova-compute-guests.conf"),
      ]),
      ready: { kind: "none" },
      readyTimeout: 0,
      configFiles: [
        c("nova", "nova.conf"),
        c("nova", "nova-compute-guests.conf"),
        path.join(storagePaths(layout).binDir, "mount"),
      ],
    },
  ];
}

function baseSpecs(
  layout: Layout,
  c: (...p: string[]) => string,
  novaArgs: string[],
  neutronArgs: string[],
  profile: ProfileOptions,
): ServiceSpec[] {
  return [
    {
      name: "mariadb",
      argv: ["/usr/sbin/mariadbd", ...mariadbArgs(layout)],
      ready: { kind: "tcp", port: PORTS.mariadb },
      readyTimeout: 60,
      configFiles: [],
    },
    {
      name: "epmd",
      argv: ["/usr/bin/epmd", "-address", HOST, "-port", String(PORTS.epmd)],
      ready: { kind: "tcp", port: PORTS.epmd },
      readyTimeout: 10,
      configFiles: [],
    },
    {
      name: "rabbitmq",
      argv: ["/usr/lib/rabbitmq/bin/rabbitmq-server"],
      env: rabbitEnv(layout),
      ready: { kind: "tcp", port: PORTS.rabbitmq },
      readyTimeout: 90,
      configFiles: [c("rabbitmq", "rabbitmq.conf")],
    },
    {
      name: "keystone",
      argv: ["/usr/bin/uwsgi", "--ini", c("keystone", "uwsgi.ini")],
      ready: { kind: "http", url: `http://${HOST}:${PORTS.keystone}/v3` },
      readyTimeout: 60,
      configFiles: [c("keystone", "uwsgi.ini"), c("keystone", "keystone.conf")],
    },
    {
      name: "glance-api",
      argv: pythonMain("glance.cmd.api", "main", "glance-api", ["--config-file", c("glance", "glance-api.conf")]),
      ready: { kind: "http", url: `http://${HOST}:${PORTS.glance}/versions` },
      readyTimeout: 60,
      configFiles: [c("glance", "glance-api.conf")],
    },
    {
      name: "placement-api",
      argv: ["/usr/bin/uwsgi", "--ini", c("placement", "uwsgi.ini")],
      ready: { kind: "http", url: `http://${HOST}:${PORTS.placement}/` },
      readyTimeout: 60,
      configFiles: [c("placement", "uwsgi.ini"), c("placement", "placement.conf")],
    },
    {
      name: "neutron-server",
      argv: pythonMain("neutron.cmd.eventlet.server", "main", "neutron-server", neutronArgs),
      // The guests profile's schedulers (network_scheduler_driver / router_scheduler_driver).
      env: profile.guests ? { PYTHONPATH: neutronPythonDir(layout) } : undefined,
      ready: { kind: "http", url: `http://${HOST}:${PORTS.neutron}/` },
      readyTimeout: 90,
      configFiles: [
        c("neutron", "neutron.conf"),
        c("neutron", "ml2_conf.ini"),
        ...(profile.guests ? [path.join(neutronPythonDir(layout), "minicloud_neutron_schedulers.py")] : []),
      ],
    },
    {
      name: "neutron-linuxbridge-agent",
      argv: pythonMain("neutron.cmd.eventlet.plugins.linuxbridge_neutron_agent", "main", "neutron-linuxbridge-agent", [
        "--config-file",
        c("neutron", "neutron.conf"),
        "--config-file",
        c("neutron", "linuxbridge_agent.ini"),
      ]),
      ready: { kind: "none" },
      readyTimeout: 0,
      configFiles: [c("neutron", "neutron.conf"), c("neutron", "linuxbridge_agent.ini")],
    },
    {
      name: "nova-api",
      argv: pythonMain("nova.cmd.api", "main", "nova-api", novaArgs),
      ready: { kind: "http", url: `http://${HOST}:${PORTS.nova}/` },
      readyTimeout: 90,
      configFiles: [c("nova", "nova.conf")],
    },
    {
      name: "nova-conductor",
      argv: pythonMain("nova.cmd.conductor", "main", "nova-conductor", novaArgs),
      ready: { kind: "none" },
      readyTimeout: 0,
      configFiles: [c("nova", "nova.conf")],
    },
    {
      name: "nova-scheduler",
      argv: pythonMain("nova.cmd.scheduler", "main", "nova-scheduler", novaArgs),
      ready: { kind: "none" },
      readyTimeout: 0,
      configFiles: [c("nova", "nova.conf")],
    },
    {
      name: "nova-compute",
      argv: pythonMain("nova.cmd.compute", "main", "nova-compute", novaArgs),
      ready: { kind: "none" },
      readyTimeout: 0,
      configFiles: [c("nova", "nova.conf")],
    },
    ...cinderSpecs(layout, c),
  ];
}

/** Cinder: API, scheduler, and the volume service with its NFS backend (see storage.ts). */
function cinderSpecs(layout: Layout, c: (...p: string[]) => string): ServiceSpec[] {
  const conf = c("cinder", "cinder.conf");
  const args = ["--config-file", conf];
  return [
    {
      name: "cinder-api",
      argv: pythonMain("cinder.cmd.api", "main", "cinder-api", args),
      ready: { kind: "http", url: `http://${HOST}:${PORTS.cinder}/` },
      readyTimeout: 90,
      configFiles: [conf],
    },
    {
      name: "cinder-scheduler",
      argv: pythonMain("cinder.cmd.scheduler", "main", "cinder-scheduler", args),
      ready: { kind: "none" },
      readyTimeout: 0,
      configFiles: [conf],
    },
    {
      name: "cinder-volume",
      argv: pythonMain("cinder.cmd.volume", "main", "cinder-volume", args),
      // As root, oslo's execute runs `mount` itself (no root helper): the wrapper comes first.
      env: { PATH: storagePath(layout) },
      ready: { kind: "none" },
      readyTimeout: 0,
      configFiles: [
        conf,
        c("cinder", "nfs_shares"),
        path.join(storagePaths(layout).binDir, "mount"),
        path.join(storagePaths(layout).binDir, "mount.nfs"),
      ],
    },
  ];
}
