/**
 * Pure renderers of every service's configuration. Kept free of I/O so tests can check them
 * and `up` can compare them with what is on disk (a changed file means a restart).
 */
import * as path from "path";
import { IniDocument, renderIni } from "./ini";
import { COMPUTE_HOST, HOST, Layout, PORTS, PROVIDER_INTERFACE, PROVIDER_PHYSNET, REGION } from "./layout";
import { Secrets } from "./secrets";

export interface ConfigContext {
  layout: Layout;
  secrets: Secrets;
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
    keystone_authtoken: authtoken(ctx.secrets, "glance"),
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
    },
    api: { auth_strategy: "keystone" },
    wsgi: { api_paste_config: "/etc/nova/api-paste.ini" },
    api_database: { connection: sqlUrl(s, "nova", "nova_api"), max_pool_size: 5 },
    database: { connection: sqlUrl(s, "nova", "nova"), max_pool_size: 5 },
    keystone_authtoken: authtoken(s, "nova"),
    service_user: { send_service_user_token: false },
    placement: serviceAuth(s, "placement"),
    neutron: { ...serviceAuth(s, "neutron"), service_metadata_proxy: false },
    glance: { region_name: REGION },
    cinder: { os_region_name: REGION },
    conductor: { workers: 1 },
    scheduler: { workers: 1, discover_hosts_in_cells_interval: 30 },
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
      // No DHCP or L3 agent runs: routers and floating IPs exist in the API only.
      dhcp_agent_notification: false,
      api_paste_config: "/etc/neutron/api-paste.ini",
      use_stderr: true,
    },
    experimental: { linuxbridge: true },
    database: { connection: sqlUrl(s, "neutron", "neutron"), max_pool_size: 5 },
    keystone_authtoken: authtoken(s, "neutron"),
    nova: serviceAuth(s, "nova"),
    agent: { root_helper: "env", root_helper_daemon: "" },
    oslo_concurrency: { lock_path: state(ctx, "neutron", "lock") },
    oslo_messaging_notifications: { driver: "noop" },
  };
  return renderIni(doc);
}

export function ml2Conf(): string {
  const doc: IniDocument = {
    ml2: {
      type_drivers: "flat,vxlan",
      tenant_network_types: "vxlan",
      mechanism_drivers: "linuxbridge",
      extension_drivers: "port_security",
    },
    ml2_type_flat: { flat_networks: PROVIDER_PHYSNET },
    ml2_type_vxlan: { vni_ranges: "1:1000" },
    securitygroup: { enable_security_group: true, enable_ipset: false },
  };
  return renderIni(doc);
}

export function linuxbridgeAgentConf(): string {
  const doc: IniDocument = {
    linux_bridge: { physical_interface_mappings: `${PROVIDER_PHYSNET}:${PROVIDER_INTERFACE}` },
    // Tenant networks are VXLAN over loopback: no VLAN module here, and one host needs no fabric.
    vxlan: { enable_vxlan: true, local_ip: HOST, l2_population: false },
    // noop: no iptables chains on the host; security groups still exist in the API.
    securitygroup: { firewall_driver: "noop", enable_security_group: true, enable_ipset: false },
    agent: { polling_interval: 2 },
  };
  return renderIni(doc);
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
