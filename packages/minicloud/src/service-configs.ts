/**
 * Pure renderers of every service's configuration. Kept free of I/O so tests can check them
 * and `up` can compare them with what is on disk (a changed file means a restart).
 */
import * as path from "path";
import { IniDocument, renderIni } from "./ini";
import {
  CINDER_BACKEND,
  COMPUTE_HOST,
  DEFAULT_AZ,
  GPU_ALIAS,
  GPU_DEVICE,
  GPU_HOST,
  GUESTS_AZ,
  GUESTS_HOST,
  HOST,
  Layout,
  PORTS,
  PROVIDER_INTERFACE,
  PROVIDER_PHYSNET,
  REGION,
} from "./layout";
import { Secrets } from "./secrets";
import { storagePath, storagePaths } from "./storage";

export interface ConfigContext {
  layout: Layout;
  secrets: Secrets;
  /** The guests profile (`up --guests`): a libvirt compute host and Neutron's DHCP/L3/metadata agents. */
  guests?: boolean;
}

function metadataSecret(secrets: Secrets): string {
  if (!secrets.metadata) throw new Error("no generated metadata proxy secret (secrets.json lacks 'metadata')");
  return secrets.metadata;
}

const KEYSTONE_URL = `http://${HOST}:${PORTS.keystone}`;

export function sqlUrl(secrets: Secrets, user: string, database: string): string {
  return `mysql+pymysql://${user}:${secrets.db[user]}@${HOST}:${PORTS.mariadb}/${database}?charset=utf8`;
}

export function transportUrl(secrets: Secrets): string {
  return `rabbit://minicloud:${secrets.rabbit}@${HOST}:${PORTS.rabbitmq}/`;
}

/** keystonemiddleware / keystoneauth section for a service user in project `service`. */
function serviceAuth(secrets: Secrets, user: string): Record<string, string> {
  const password = secrets.service[user];
  if (!password) throw new Error(`no generated password for service user '${user}'`);
  return {
    auth_url: KEYSTONE_URL,
    auth_type: "password",
    project_domain_name: "Default",
    user_domain_name: "Default",
    project_name: "service",
    username: user,
    password,
    region_name: REGION,
  };
}

function authtoken(secrets: Secrets, user: string): Record<string, string> {
  return { www_authenticate_uri: KEYSTONE_URL, ...serviceAuth(secrets, user) };
}

function state(ctx: ConfigContext, ...parts: string[]): string {
  return path.join(ctx.layout.stateDir, ...parts);
}

export function keystoneConf(ctx: ConfigContext): string {
  const doc: IniDocument = {
    DEFAULT: { use_stderr: true },
    database: { connection: sqlUrl(ctx.secrets, "keystone", "keystone"), max_pool_size: 5 },
    token: { provider: "fernet", expiration: 14400 },
    fernet_tokens: { key_repository: state(ctx, "keystone", "fernet-keys") },
    credential: { key_repository: state(ctx, "keystone", "credential-keys") },
    // Per-process caches would go stale between the two uwsgi workers (a role granted in one
    // would be unknown to the other for minutes); tests create and use things immediately.
    cache: { enabled: false },
    // bcrypt's minimum cost: a throw-away test cloud issues many tokens and must not burn CPU on them.
    identity: { password_hash_rounds: 4 },
  };
  return renderIni(doc);
}

export function glanceApiConf(ctx: ConfigContext): string {
  const doc: IniDocument = {
    DEFAULT: {
      bind_host: HOST,
      bind_port: PORTS.glance,
      workers: 1,
      enabled_backends: "fs:file",
      show_image_direct_url: false,
      use_stderr: true,
    },
    database: { connection: sqlUrl(ctx.secrets, "glance", "glance"), max_pool_size: 5 },
    glance_store: { default_backend: "fs" },
    fs: { filesystem_store_datadir: state(ctx, "glance", "images") },
    os_glance_staging_store: { filesystem_store_datadir: state(ctx, "glance", "staging") },
    os_glance_tasks_store: { filesystem_store_datadir: state(ctx, "glance", "tasks") },
    keystone_authtoken: { ...authtoken(ctx.secrets, "glance"), service_type: "image" },
    paste_deploy: { flavor: "keystone", config_file: "/etc/glance/glance-api-paste.ini" },
    oslo_concurrency: { lock_path: state(ctx, "glance", "lock") },
    image_format: { disk_formats: "raw,qcow2,vmdk,vdi,iso,ami,ari,aki,vhd,vhdx,ploop" },
  };
  return renderIni(doc);
}

export function placementConf(ctx: ConfigContext): string {
  const doc: IniDocument = {
    DEFAULT: { use_stderr: true },
    placement_database: { connection: sqlUrl(ctx.secrets, "placement", "placement"), max_pool_size: 5 },
    api: { auth_strategy: "keystone" },
    keystone_authtoken: authtoken(ctx.secrets, "placement"),
  };
  return renderIni(doc);
}

export function novaConf(ctx: ConfigContext): string {
  const s = ctx.secrets;
  const doc: IniDocument = {
    DEFAULT: {
      host: COMPUTE_HOST,
      my_ip: HOST,
      state_path: state(ctx, "nova"),
      instances_path: state(ctx, "nova", "instances"),
      transport_url: transportUrl(s),
      enabled_apis: "osapi_compute",
      osapi_compute_listen: HOST,
      osapi_compute_listen_port: PORTS.nova,
      osapi_compute_workers: 1,
      metadata_workers: 1,
      compute_driver: "fake.FakeDriver",
      // The fake driver reports plenty of resources; keep Nova from overcommit surprises in tests.
      cpu_allocation_ratio: 16.0,
      ram_allocation_ratio: 1.5,
      // One compute host: a resize (a flavor change in a stack) can only land where the server
      // already is. Without this the scheduler finds no host and the server stays on its old
      // flavor (the OpenStack provider then times out waiting for VERIFY_RESIZE). DevStack sets it too.
      allow_resize_to_same_host: true,
      use_stderr: true,
      // Guests profile: a server that names no zone goes to the fake host's zone, never to the
      // guests host (booting a real guest takes a minute and a GiB; the API-only tests make many).
      default_schedule_zone: ctx.guests ? DEFAULT_AZ : undefined,
      metadata_listen: ctx.guests ? HOST : undefined,
      metadata_listen_port: ctx.guests ? PORTS.novaMetadata : undefined,
    },
    api: { auth_strategy: "keystone" },
    wsgi: { api_paste_config: "/etc/nova/api-paste.ini" },
    api_database: { connection: sqlUrl(s, "nova", "nova_api"), max_pool_size: 5 },
    database: { connection: sqlUrl(s, "nova", "nova"), max_pool_size: 5 },
    // service_type: keystonemiddleware checks an application credential's access rules only
    // against its own service type; without it every request made with a restricted credential
    // (the self-service portal's) is refused with 401, whatever the rules allow.
    keystone_authtoken: { ...authtoken(s, "nova"), service_type: "compute" },
    // Nova sends its own token beside the user's (X-Service-Token) with the `service` role:
    // Cinder (OSSA-2023-003) refuses to delete a volume attachment unless the request comes from
    // a service, so without it a deleted server leaves its volumes "in-use" (a kept home volume
    // could never be attached to the server that replaces it).
    service_user: { send_service_user_token: true, ...serviceAuth(s, "nova") },
    placement: serviceAuth(s, "placement"),
    neutron: ctx.guests
      ? {
          ...serviceAuth(s, "neutron"),
          service_metadata_proxy: true,
          metadata_proxy_shared_secret: metadataSecret(s),
        }
      : { ...serviceAuth(s, "neutron"), service_metadata_proxy: false },
    glance: { region_name: REGION },
    // Volumes: Cinder from the catalog (volumev3); Nova's own calls (e.g. cleaning up an
    // attachment of a deleted server) authenticate as its service user.
    cinder: { ...serviceAuth(s, "nova"), os_region_name: REGION },
    conductor: { workers: 1 },
    scheduler: { workers: 1, discover_hosts_in_cells_interval: 30 },
    // The zone filter enforces default_schedule_zone for the fake host's zone, which has no
    // aggregate (placement's zone prefilter only narrows zones that have one). The PCI filter
    // keeps a server whose flavor asks for more GPUs than a host has free off that host
    // (NoValidHost instead of a failed claim on the compute host).
    ...(ctx.guests
      ? {
          filter_scheduler: {
            enabled_filters: [
              "AvailabilityZoneFilter",
              "ComputeFilter",
              "ComputeCapabilitiesFilter",
              "ImagePropertiesFilter",
              "ServerGroupAntiAffinityFilter",
              "ServerGroupAffinityFilter",
              "PciPassthroughFilter",
            ],
          },
          // The API turns a flavor's `pci_passthrough:alias` into PCI requests with it; the
          // compute host needs it for resizes. Every process reads this file.
          pci: { alias: gpuAlias() },
        }
      : {}),
    oslo_concurrency: { lock_path: state(ctx, "nova", "lock") },
    oslo_messaging_notifications: { driver: "noop" },
    vnc: { enabled: false },
    spice: { enabled: false },
  };
  return renderIni(doc);
}

export function neutronConf(ctx: ConfigContext): string {
  const s = ctx.secrets;
  const doc: IniDocument = {
    DEFAULT: {
      host: COMPUTE_HOST,
      bind_host: HOST,
      bind_port: PORTS.neutron,
      core_plugin: "ml2",
      service_plugins: "router",
      allow_overlapping_ips: true,
      auth_strategy: "keystone",
      transport_url: transportUrl(s),
      state_path: state(ctx, "neutron"),
      api_workers: 1,
      rpc_workers: 1,
      rpc_state_report_workers: 1,
      notify_nova_on_port_status_changes: true,
      notify_nova_on_port_data_changes: true,
      // Without the guests profile no DHCP or L3 agent runs: routers and floating IPs exist in the
      // API only. With it, ports must reach dnsmasq (with false they never do, and deleted
      // networks leave their namespaces behind).
      dhcp_agent_notification: ctx.guests === true,
      // Guests profile: only networks and routers that ask for the `guests` zone get dnsmasq or a
      // router namespace (see neutronSchedulersPy); the API-only tests' networks stay as they were.
      network_scheduler_driver: ctx.guests ? "minicloud_neutron_schedulers.OptInDhcpScheduler" : undefined,
      router_scheduler_driver: ctx.guests ? "minicloud_neutron_schedulers.OptInL3Scheduler" : undefined,

      api_paste_config: "/etc/neutron/api-paste.ini",
      use_stderr: true,
    },
    experimental: { linuxbridge: true },
    database: { connection: sqlUrl(s, "neutron", "neutron"), max_pool_size: 5 },
    // service_type: a restricted application credential's token that Nova passes on (the portal's
    // server list shows each server's security groups, from Neutron) is refused with 401 unless
    // the service knows its own type; with it, Nova's service token lets the call through.
    keystone_authtoken: { ...authtoken(s, "neutron"), service_type: "network" },
    nova: serviceAuth(s, "nova"),
    agent: { root_helper: "env", root_helper_daemon: "" },
    oslo_concurrency: { lock_path: state(ctx, "neutron", "lock") },
    oslo_messaging_notifications: { driver: "noop" },
  };
  return renderIni(doc);
}

export function ml2Conf(guests = false): string {
  const doc: IniDocument = {
    ml2: {
      type_drivers: "flat,vxlan",
      tenant_network_types: "vxlan",
      // l2population: the agents' VXLAN devices get no multicast group. With a group on `lo`
      // every flooded frame came back into the bridge through the VXLAN device, the bridge
      // learnt the guest's MAC on it and dnsmasq's offers never reached the guest. Every agent
      // here has the same tunnel address, so l2population installs no forwarding entries and
      // each tenant network is exactly its local bridge.
      mechanism_drivers: guests ? "linuxbridge,l2population" : "linuxbridge",
      extension_drivers: "port_security",
    },
    ml2_type_flat: { flat_networks: PROVIDER_PHYSNET },
    ml2_type_vxlan: { vni_ranges: "1:1000" },
    securitygroup: { enable_security_group: true, enable_ipset: false },
  };
  return renderIni(doc);
}

export function linuxbridgeAgentConf(guests = false): string {
  const doc: IniDocument = {
    linux_bridge: { physical_interface_mappings: `${PROVIDER_PHYSNET}:${PROVIDER_INTERFACE}` },
    // Tenant networks are VXLAN over loopback: no VLAN module here, and one host needs no fabric.
    vxlan: { enable_vxlan: true, local_ip: HOST, l2_population: guests },
    // noop: no iptables chains on the host; security groups still exist in the API. The fake
    // host's ports have no device, so there is nothing to filter anyway.
    securitygroup: { firewall_driver: "noop", enable_security_group: true, enable_ipset: false },
    agent: { polling_interval: 2 },
  };
  return renderIni(doc);
}

/**
 * The guests host's L2 agent: the same bridges, but bound to `minicloud-guests` (the fake host's
 * agent asks the server about the same tap devices, is told they belong to another host and
 * leaves them alone) and with the iptables firewall, so security groups are enforced.
 */
export function linuxbridgeGuestsAgentConf(): string {
  const doc: IniDocument = {
    DEFAULT: { host: GUESTS_HOST },
    linux_bridge: { physical_interface_mappings: `${PROVIDER_PHYSNET}:${PROVIDER_INTERFACE}` },
    vxlan: { enable_vxlan: true, local_ip: HOST, l2_population: true },
    securitygroup: { firewall_driver: "iptables", enable_security_group: true, enable_ipset: false },
    agent: { polling_interval: 2 },
  };
  return renderIni(doc);
}

export function dhcpAgentConf(): string {
  const doc: IniDocument = {
    DEFAULT: {
      host: GUESTS_HOST,
      interface_driver: "linuxbridge",
      dhcp_driver: "neutron.agent.linux.dhcp.Dnsmasq",
      // Guests reach the metadata service through their router (the L3 agent's proxy).
      enable_isolated_metadata: false,
      num_sync_threads: 2,
    },
    agent: { availability_zone: GUESTS_AZ },
  };
  return renderIni(doc);
}

export function l3AgentConf(): string {
  const doc: IniDocument = {
    DEFAULT: { host: GUESTS_HOST, interface_driver: "linuxbridge", agent_mode: "legacy" },
    agent: { availability_zone: GUESTS_AZ },
  };
  return renderIni(doc);
}

export function metadataAgentConf(ctx: ConfigContext): string {
  const doc: IniDocument = {
    DEFAULT: {
      host: GUESTS_HOST,
      nova_metadata_host: HOST,
      nova_metadata_port: PORTS.novaMetadata,
      nova_metadata_protocol: "http",
      metadata_proxy_shared_secret: metadataSecret(ctx.secrets),
      metadata_workers: 1,
    },
  };
  return renderIni(doc);
}

/**
 * Overrides for the guests compute host (read after nova.conf): its own host name, state and
 * locks, and the libvirt driver with QEMU's software emulation. `/dev/kvm` exists on this kind
 * of machine but cannot run a stock kernel (`-cpu host` fails on an MSR, `kvm64` hangs), so
 * virt_type is qemu (TCG) and cpu_mode none (QEMU's default CPU model).
 */
export function novaGuestsComputeConf(ctx: ConfigContext): string {
  const doc: IniDocument = {
    DEFAULT: {
      host: GUESTS_HOST,
      compute_driver: "libvirt.LibvirtDriver",
      state_path: state(ctx, "nova-guests"),
      instances_path: state(ctx, "nova-guests", "instances"),
      // Placement subtracts this from what libvirt reports; it must stay below that.
      reserved_host_memory_mb: 512,
      // Real guests are not overcommitted on memory: TCG's translation cache adds to each one.
      ram_allocation_ratio: 1.0,
      // Guests get their configuration from the metadata service through their router, never
      // a config drive (the cloud kernel has no AHCI, so a q35 CD-ROM would be invisible).
      force_config_drive: false,
    },
    libvirt: {
      virt_type: "qemu",
      cpu_mode: "none",
      connection_uri: "qemu:///system",
      // Cinder volumes (NFS driver): the share is mounted here while a guest uses a volume on it.
      nfs_mount_point_base: storagePaths(ctx.layout).novaMountBase,
    },
    oslo_concurrency: { lock_path: state(ctx, "nova-guests", "lock") },
    // Nova mounts a volume's share from its privsep daemon. Started directly (nova-compute
    // runs as root; the default is sudo + nova-rootwrap, whose sudo resets PATH), with
    // minicloud's `mount` wrapper first on its PATH (see storage.ts).
    nova_sys_admin: {
      helper_command: [
        "env",
        `PATH=${storagePath(ctx.layout)}`,
        "privsep-helper",
        "--config-file",
        path.join(ctx.layout.configDir, "nova", "nova.conf"),
        "--config-file",
        path.join(ctx.layout.configDir, "nova", "nova-compute-guests.conf"),
      ].join(" "),
    },
  };
  return renderIni(doc);
}

/**
 * Cinder: API (eventlet, like nova-api), scheduler and one volume backend, the NFS driver on
 * minicloud's share (see storage.ts). Volumes are sparse raw files; `nas_secure_*` true: the
 * files are 0660 and Cinder works on them as its own user (root here); libvirt gives a file to
 * QEMU's user while a guest uses it. cinder-volume runs as root, so oslo's execute runs even
 * `run_as_root` commands directly, with the process's PATH (services.ts puts the wrapper first).
 */
export function cinderConf(ctx: ConfigContext): string {
  const s = ctx.secrets;
  const c = (...p: string[]) => path.join(ctx.layout.configDir, ...p);
  const doc: IniDocument = {
    DEFAULT: {
      host: COMPUTE_HOST,
      my_ip: HOST,
      state_path: state(ctx, "cinder"),
      transport_url: transportUrl(s),
      auth_strategy: "keystone",
      osapi_volume_listen: HOST,
      osapi_volume_listen_port: PORTS.cinder,
      osapi_volume_workers: 1,
      api_paste_config: "/etc/cinder/api-paste.ini",
      enabled_backends: CINDER_BACKEND,
      // Cinder's one zone is Nova's default one; a volume asked for in another zone (e.g. next
      // to a server in `guests`) lands there too instead of failing. Nova attaches across zones.
      storage_availability_zone: DEFAULT_AZ,
      default_availability_zone: DEFAULT_AZ,
      allow_availability_zone_fallback: true,
      glance_api_servers: `http://${HOST}:${PORTS.glance}`,
      use_stderr: true,
    },
    database: { connection: sqlUrl(s, "cinder", "cinder"), max_pool_size: 5 },
    keystone_authtoken: { ...authtoken(s, "cinder"), service_type: "block-storage" },
    nova: { ...serviceAuth(s, "cinder"), interface: "public" },
    oslo_concurrency: { lock_path: state(ctx, "cinder", "lock") },
    oslo_messaging_notifications: { driver: "noop" },
    coordination: { backend_url: `file://${state(ctx, "cinder", "coordination")}` },
    [CINDER_BACKEND]: {
      volume_driver: "cinder.volume.drivers.nfs.NfsDriver",
      volume_backend_name: CINDER_BACKEND,
      nfs_shares_config: c("cinder", "nfs_shares"),
      nfs_mount_point_base: storagePaths(ctx.layout).cinderMountBase,
      nfs_sparsed_volumes: true,
      nfs_mount_attempts: 1,
      nas_secure_file_permissions: true,
      nas_secure_file_operations: true,
    },
  };
  return renderIni(doc);
}

/** Nova's `[pci] alias` (JSON) naming the GPU host's devices. */
export function gpuAlias(): string {
  return JSON.stringify({
    name: GPU_ALIAS,
    vendor_id: GPU_DEVICE.vendorId,
    product_id: GPU_DEVICE.productId,
    device_type: "type-PCI",
  });
}

/** The fake GPU driver's module and class: what nova-compute-gpu imports before it starts. */
export const GPU_DRIVER_MODULE = "minicloud_nova_gpu";

/**
 * Overrides for the GPU host (read after nova.conf): its own host name and state, the fake
 * driver with PCI devices (see novaGpuDriverPy) and the device spec that makes them assignable
 * (`[pci] device_spec`, Zed's name for passthrough_whitelist). Only this host gets a device spec:
 * on the libvirt host it would match the machine's real PCI devices.
 */
export function novaGpuComputeConf(ctx: ConfigContext): string {
  const doc: IniDocument = {
    DEFAULT: {
      host: GPU_HOST,
      // Nova loads drivers from nova.virt only; the launcher puts ours into nova.virt.fake.
      compute_driver: "fake.MinicloudGpuDriver",
      state_path: state(ctx, "nova-gpu"),
      instances_path: state(ctx, "nova-gpu", "instances"),
    },
    pci: { device_spec: JSON.stringify({ vendor_id: GPU_DEVICE.vendorId, product_id: GPU_DEVICE.productId }) },
    oslo_concurrency: { lock_path: state(ctx, "nova-gpu", "lock") },
  };
  return renderIni(doc);
}

/**
 * The GPU host's fake driver: Nova's fake driver reporting two PCI devices with NVIDIA ids.
 * Nova's own PCI-capable fake driver (fake.FakeDriverWithPciResources, used by its functional
 * tests on SQLite) reports vendor "fake-vendor_id", which does not fit the pci_devices table's
 * VARCHAR(4) under MariaDB's strict mode, and which no `[pci] alias` can name (4 hex digits);
 * so the same method, with ids an alias can match. Everything after the report is Nova's own
 * code: the PCI tracker, the scheduler's PciPassthroughFilter, claims and their release.
 */
export function novaGpuDriverPy(): string {
  const devices = GPU_DEVICE.addresses.map((address) => ({
    address,
    vendor_id: GPU_DEVICE.vendorId,
    product_id: GPU_DEVICE.productId,
    dev_type: "type-PCI",
    status: "available",
    parent_addr: null,
    numa_node: null,
    label: `label_${GPU_DEVICE.vendorId}_${GPU_DEVICE.productId}`,
    dev_id: `pci_${address.replace(/[:.]/g, "_")}`,
  }));
  return [
    '"""minicloud: a fake compute host with two GPUs for Nova\'s PCI passthrough (nova-compute-gpu)."""',
    "import json",
    "",
    "from nova.virt import fake",
    "",
    `GPUS = json.loads(${JSON.stringify(JSON.stringify(devices))})`,
    "",
    "",
    "class MinicloudGpuDriver(fake.FakeDriver):",
    "    # A GPU workstation host: room for a few desktops, two GPUs.",
    "    vcpus = 16",
    "    memory_mb = 65536",
    "    local_gb = 1000",
    "",
    "    def get_available_resource(self, nodename):",
    "        status = super().get_available_resource(nodename)",
    "        if status:",
    '            status["pci_passthrough_devices"] = json.dumps(GPUS)',
    "        return status",
    "",
    "",
    "# nova.virt.driver.load_compute_driver imports from nova.virt only.",
    "fake.MinicloudGpuDriver = MinicloudGpuDriver",
    "",
  ].join("\n");
}

/** The GPU host's L2 agent: Neutron binds the host's ports only where an agent of that host is alive. */
export function linuxbridgeGpuAgentConf(): string {
  const doc: IniDocument = {
    DEFAULT: { host: GPU_HOST },
    linux_bridge: { physical_interface_mappings: `${PROVIDER_PHYSNET}:${PROVIDER_INTERFACE}` },
    vxlan: { enable_vxlan: true, local_ip: HOST, l2_population: true },
    // A fake host's ports have no device to filter.
    securitygroup: { firewall_driver: "noop", enable_security_group: true, enable_ipset: false },
    agent: { polling_interval: 2 },
  };
  return renderIni(doc);
}

/**
 * A Python module neutron-server imports (PYTHONPATH) for the guests profile: the stock
 * zone-aware schedulers, except that a network or router with no availability-zone hint gets
 * no agent. Neutron's own `default_availability_zones` cannot express this: it is written into
 * every new network's hints (visible in the API) and must name a zone that has an agent.
 */
export function neutronSchedulersPy(): string {
  return [
    '"""minicloud guests profile: only networks/routers hinted to an availability zone get agents."""',
    "from neutron.scheduler import dhcp_agent_scheduler, l3_agent_scheduler",
    "",
    "",
    "def _hinted(resource):",
    '    return bool(resource.get("availability_zone_hints"))',
    "",
    "",
    "class _HintedNetworksOnly:",
    '    """The core plugin, except that get_subnets leaves out subnets of unhinted networks."""',
    "",
    "    def __init__(self, plugin):",
    "        self._plugin = plugin",
    "",
    "    def __getattr__(self, name):",
    "        return getattr(self._plugin, name)",
    "",
    "    def get_subnets(self, context, *args, **kwargs):",
    "        hinted = {n['id'] for n in self._plugin.get_networks(context) if _hinted(n)}",
    "        subnets = self._plugin.get_subnets(context, *args, **kwargs)",
    "        return [s for s in subnets if s['network_id'] in hinted]",
    "",
    "",
    "class OptInDhcpScheduler(dhcp_agent_scheduler.AZAwareWeightScheduler):",
    "    def schedule(self, plugin, context, network):",
    "        if not _hinted(network):",
    "            return []",
    "        return super().schedule(plugin, context, network)",
    "",
    "    # An agent's (re)start schedules every network without an agent; only hinted ones here.",
    "    def auto_schedule_networks(self, plugin, context, host):",
    "        return super().auto_schedule_networks(_HintedNetworksOnly(plugin), context, host)",
    "",
    "",
    "class OptInL3Scheduler(l3_agent_scheduler.AZLeastRoutersScheduler):",
    "    def _get_routers_can_schedule(self, plugin, context, routers, l3_agent):",
    "        hinted = [r for r in routers if _hinted(r)]",
    "        if not hinted:",
    "            return []",
    "        return super()._get_routers_can_schedule(plugin, context, hinted, l3_agent)",
    "",
    "    def _get_candidates(self, plugin, context, sync_router):",
    "        if not _hinted(sync_router):",
    "            return []",
    "        return super()._get_candidates(plugin, context, sync_router)",
    "",
  ].join("\n");
}

export interface UwsgiApp {
  name: string;
  port: number;
  wsgiFile: string;
  env: Record<string, string>;
  processes: number;
}

export function uwsgiIni(app: UwsgiApp): string {
  const doc: IniDocument = {
    uwsgi: {
      plugins: "python3",
      master: true,
      "http-socket": `${HOST}:${app.port}`,
      "wsgi-file": app.wsgiFile,
      processes: app.processes,
      threads: 1,
      "lazy-apps": true,
      "die-on-term": true,
      "buffer-size": 65535,
      "add-header": "Connection: close",
      "procname-prefix": `minicloud-${app.name}-`,
      vacuum: true,
    },
  };
  return renderIni(doc, { uwsgi: { env: Object.entries(app.env).map(([k, v]) => `${k}=${v}`) } });
}

export function rabbitmqConf(secrets: Secrets): string {
  return [
    `listeners.tcp.default = ${HOST}:${PORTS.rabbitmq}`,
    "default_vhost = /",
    "default_user = minicloud",
    `default_pass = ${secrets.rabbit}`,
    "default_permissions.configure = .*",
    "default_permissions.read = .*",
    "default_permissions.write = .*",
    "log.console = true",
    "log.file = false",
    "",
  ].join("\n");
}
