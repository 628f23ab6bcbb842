/**
 * Where minicloud keeps things and which loopback ports it uses. Everything it creates lives
 * under these paths, so `down --purge` can remove exactly what `up` made.
 */
import * as path from "path";

export interface Layout {
  /** Data: databases, images, keys, secrets, pid files. */
  stateDir: string;
  /** Pid files of the processes minicloud started. */
  runDir: string;
  /** One log file per process. */
  logDir: string;
  /** Rendered service configuration files. */
  configDir: string;
  /** clouds.yaml written for users (also copied into stateDir). */
  cloudsYaml: string;
}

export function defaultLayout(env: NodeJS.ProcessEnv = process.env): Layout {
  const stateDir = env.MINICLOUD_STATE_DIR ?? "/var/lib/minicloud";
  return {
    stateDir,
    runDir: path.join(stateDir, "run"),
    logDir: env.MINICLOUD_LOG_DIR ?? "/var/log/minicloud",
    configDir: env.MINICLOUD_CONFIG_DIR ?? "/etc/minicloud",
    cloudsYaml: env.MINICLOUD_CLOUDS_YAML ?? "/etc/openstack/clouds.yaml",
  };
}

/** Everything listens on 127.0.0.1 only. */
export const HOST = "127.0.0.1";

/**
 * MariaDB, epmd and RabbitMQ use non-standard ports: installing mariadb-server or
 * rabbitmq-server on a machine without policy-rc.d may start the stock daemons on the standard
 * ones, and other users of the machine may run their own.
 */
export const PORTS = {
  mariadb: 13306,
  epmd: 14369,
  rabbitmq: 15682,
  rabbitmqDist: 15683,
  keystone: 5000,
  glance: 9292,
  placement: 8778,
  nova: 8774,
  neutron: 9696,
  /** nova-api-metadata (guests profile): Neutron's metadata agent forwards guests' requests here. */
  novaMetadata: 8775,
  cinder: 8776,
} as const;

/** Nova compute and the Neutron agent must report the same host name, or port binding fails. */
export const COMPUTE_HOST = "minicloud";

/**
 * The guests profile (`up --guests`) adds a second compute host that boots real guests (libvirt,
 * QEMU TCG). It sits in a host aggregate with its own availability zone, so only servers that ask
 * for `guests` land there; everything else keeps landing on the fake host in Nova's default zone.
 * Its Neutron agents (L2 with enforced security groups, DHCP, L3, metadata) report the same host
 * name, and the DHCP and L3 agents sit in a Neutron availability zone of the same name.
 */
export const GUESTS_HOST = "minicloud-guests";
export const GUESTS_AZ = "guests";
/**
 * The guests profile also adds a fake compute host with PCI devices: Nova's scheduler
 * (PciPassthroughFilter), PCI tracker and claims are real, the devices are reported by a fake
 * driver (see novaGpuDriverPy). It sits in its own aggregate and availability zone `gpu`, so
 * only servers that ask for the zone land there.
 */
export const GPU_HOST = "minicloud-gpu";
export const GPU_AZ = "gpu";
/** Nova's `[pci] alias` name of the fake host's GPUs: a flavor asks with `pci_passthrough:alias` = `gpu:<n>`. */
export const GPU_ALIAS = "gpu";
/**
 * The PCI devices the GPU host reports: NVIDIA (10de) Tesla T4 (1eb8) ids, so the alias and the
 * device spec look like a real cloud's. Two devices: three asked for cannot be scheduled.
 */
export const GPU_DEVICE = { vendorId: "10de", productId: "1eb8", addresses: ["0000:81:00.0", "0000:82:00.0"] } as const;
/** Nova's availability zone for hosts in no zone-aggregate: where servers without a zone go. */
export const DEFAULT_AZ = "nova";

export const REGION = "RegionOne";

/** Provider veth pair: the linuxbridge agent bridges `mcprov0`; `mcprov1` is its free end. */
export const PROVIDER_INTERFACE = "mcprov0";
export const PROVIDER_PEER = "mcprov1";
export const PROVIDER_PHYSNET = "provider";

export const EXTERNAL_NETWORK = {
  name: "public",
  subnetName: "public-subnet",
  cidr: "172.24.4.0/24",
  gateway: "172.24.4.1",
  poolStart: "172.24.4.10",
  poolEnd: "172.24.4.250",
} as const;

export function endpoint(service: "keystone" | "glance" | "placement" | "nova" | "neutron" | "cinder"): string {
  switch (service) {
    case "keystone":
      return `http://${HOST}:${PORTS.keystone}/v3`;
    case "glance":
      return `http://${HOST}:${PORTS.glance}`;
    case "placement":
      return `http://${HOST}:${PORTS.placement}`;
    case "nova":
      return `http://${HOST}:${PORTS.nova}/v2.1`;
    case "neutron":
      return `http://${HOST}:${PORTS.neutron}`;
    case "cinder":
      return `http://${HOST}:${PORTS.cinder}/v3`;
  }
}

/**
 * Cinder's one backend: the NFS volume driver (file-backed raw volumes) on a share that is a
 * directory of this host; see storage.ts for how `mount -t nfs` of it becomes a bind mount.
 */
export const CINDER_BACKEND = "nfs";
/** The "NFS server" address in the share's name: this host (the share is a local directory). */
export const CINDER_SHARE_HOST = HOST;
