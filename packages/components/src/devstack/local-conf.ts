// Renders DevStack's local.conf from validated settings. The passwords are NOT part of what
// Pulumi sees: the component ships the secret-free template in the command text and the
// passwords on stdin; the host joins them (see renderWriteLocalConfScript).

/** DevstackHost's local.conf settings, validated and with every default applied (devstack-plan.ts). */
export interface DevstackSettings {
  hostIp: string;
  branch: string;
  devstackRepoUrl: string;
  gitBase?: string;
  floatingRange: string;
  publicNetworkGateway: string;
  floatingAllocationPool?: { start: string; end: string };
  fixedRange: string;
  publicInterface?: string;
  enabledServices: string[];
  disabledServices: string[];
  /** enable_service tls-proxy: HTTPS endpoints with DevStack's own CA. */
  tlsProxy: boolean;
  volumeBackingFileSize?: string;
  cpuAllocationRatio?: number;
  ramAllocationRatio?: number;
  diskAllocationRatio?: number;
  region: string;
  extraLocalrcLines: string[];
  /** Nova PCI passthrough aliases (pciPassthrough); empty: no PCI settings. */
  pciAliases: { name: string; vendorId: string; productId: string; deviceType: string }[];
}

/**
 * DevStack's `[filter_scheduler] enabled_filters` (NOVA_FILTERS in lib/nova, set unconditionally
 * on master, stable/2026.1, 2025.2 and 2025.1): pciPassthrough writes it back with
 * PciPassthroughFilter added, as post-config overrides what lib/nova wrote.
 */
export const DEVSTACK_NOVA_FILTERS = [
  "ComputeFilter",
  "ComputeCapabilitiesFilter",
  "ImagePropertiesFilter",
  "ServerGroupAntiAffinityFilter",
  "ServerGroupAffinityFilter",
  "SameHostFilter",
  "DifferentHostFilter",
] as const;

/**
 * A JSON value as a post-config line must carry it: DevStack's merge_config_file reads each
 * generated `iniset … "<value>"` line with `read` (no -r: a backslash escapes the next
 * character) and then `eval`s it (inside double quotes a bare `"` ends the word). So every `"`
 * is written `\\\"`: `read` leaves `\"`, eval leaves `"`. Plain `{"name":"gpu"}` would reach
 * nova.conf as `{name:gpu}`, which Nova refuses as JSON.
 */
export function devstackJsonValue(value: unknown): string {
  return JSON.stringify(value).replace(/"/g, '\\\\\\"');
}

/** Nova's `[pci] alias` JSON of one alias. */
export function pciAliasJson(a: DevstackSettings["pciAliases"][number]): Record<string, string> {
  return { name: a.name, vendor_id: a.vendorId, product_id: a.productId, device_type: a.deviceType };
}

export const STACK_USER = "stack";
export const STACK_HOME = "/opt/stack";
export const DEVSTACK_DIR = `${STACK_HOME}/devstack`;
export const LOCAL_CONF_PATH = `${DEVSTACK_DIR}/local.conf`;
export const LOG_DIR = `${STACK_HOME}/logs`;
export const STACK_LOG = `${LOG_DIR}/stack.sh.log`;
/**
 * The CA chain tls-proxy's certificates are signed by: DevStack's lib/tls makes a root and an
 * intermediate CA under $DATA_DIR/CA and writes root + intermediate to int-ca/ca-chain.pem (it also
 * appends them to $DATA_DIR/ca-bundle.pem and, on Ubuntu, to the host's own trust store).
 */
export const TLS_CA_CHAIN = `${STACK_HOME}/data/CA/int-ca/ca-chain.pem`;

/** Where the component keeps its own state on the host (markers). */
export const STATE_DIR = `${STACK_HOME}/.openstack-blueprints`;

/** The password variables, in the order they are read from stdin and written to local.conf. */
export const PASSWORD_VARIABLES = [
  "ADMIN_PASSWORD",
  "DATABASE_PASSWORD",
  "RABBIT_PASSWORD",
  "SERVICE_PASSWORD",
] as const;

export interface DevstackPasswords {
  admin: string;
  database: string;
  rabbit: string;
  service: string;
}

/** local.conf split around the password lines, which only the host ever writes. */
export interface LocalConfTemplate {
  /** "[[local|localrc]]" — the password lines follow it. */
  header: string;
  /** Everything after the password lines (localrc settings and post-config sections). */
  rest: string;
}

function ratio(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** The secret-free parts of local.conf. */
export function renderLocalConfTemplate(s: DevstackSettings): LocalConfTemplate {
  const localrc: string[] = [
    `HOST_IP=${s.hostIp}`,
    `SERVICE_HOST=${s.hostIp}`,
    `FLOATING_RANGE=${s.floatingRange}`,
    `PUBLIC_NETWORK_GATEWAY=${s.publicNetworkGateway}`,
  ];
  if (s.floatingAllocationPool) {
    localrc.push(
      `Q_FLOATING_ALLOCATION_POOL=start=${s.floatingAllocationPool.start},end=${s.floatingAllocationPool.end}`,
    );
  }
  localrc.push(`IPV4_ADDRS_SAFE_TO_USE=${s.fixedRange}`);
  if (s.publicInterface) localrc.push(`PUBLIC_INTERFACE=${s.publicInterface}`);
  if (s.region !== "RegionOne") localrc.push(`REGION_NAME=${s.region}`);
  if (s.gitBase) localrc.push(`GIT_BASE=${s.gitBase}`);
  if (s.volumeBackingFileSize) localrc.push(`VOLUME_BACKING_FILE_SIZE=${s.volumeBackingFileSize}`);
  localrc.push(`LOGFILE=${STACK_LOG}`, "LOG_COLOR=False");
  const enabled = s.tlsProxy ? [...s.enabledServices, "tls-proxy"] : s.enabledServices;
  if (enabled.length) localrc.push(`enable_service ${enabled.join(" ")}`);
  if (s.disabledServices.length) localrc.push(`disable_service ${s.disabledServices.join(" ")}`);
  if (s.extraLocalrcLines.length) localrc.push("# extra lines", ...s.extraLocalrcLines);

  const nova: string[] = [];
  if (s.cpuAllocationRatio !== undefined) nova.push(`cpu_allocation_ratio = ${ratio(s.cpuAllocationRatio)}`);
  if (s.ramAllocationRatio !== undefined) nova.push(`ram_allocation_ratio = ${ratio(s.ramAllocationRatio)}`);
  if (s.diskAllocationRatio !== undefined) nova.push(`disk_allocation_ratio = ${ratio(s.diskAllocationRatio)}`);
  const novaConf = nova.length ? ["[DEFAULT]", ...nova] : [];
  const cpuConf: string[] = [];
  if (s.pciAliases.length > 0) {
    // API: aliases turn flavors' pci_passthrough:alias into PCI requests; scheduler: the filter.
    const aliasLines = s.pciAliases.map((a) => `alias = ${devstackJsonValue(pciAliasJson(a))}`);
    novaConf.push(
      "[filter_scheduler]",
      `enabled_filters = ${[...DEVSTACK_NOVA_FILTERS, "PciPassthroughFilter"].join(",")}`,
      "[pci]",
      ...aliasLines,
    );
    // nova-compute: which of the host's devices are assignable, and the aliases (resize, migration).
    const specs = [...new Map(s.pciAliases.map((a) => [`${a.vendorId}:${a.productId}`, a])).values()];
    cpuConf.push(
      "[pci]",
      ...specs.map((a) => `device_spec = ${devstackJsonValue({ vendor_id: a.vendorId, product_id: a.productId })}`),
      ...aliasLines,
    );
  }
  const sections = [
    ...(novaConf.length ? ["", "[[post-config|$NOVA_CONF]]", ...novaConf] : []),
    ...(cpuConf.length ? ["", "[[post-config|$NOVA_CPU_CONF]]", ...cpuConf] : []),
  ];
  return { header: "[[local|localrc]]", rest: [...localrc, ...sections, ""].join("\n") };
}

/** The complete local.conf as it ends up on the host (for tests and documentation). */
export function renderLocalConf(s: DevstackSettings, passwords: DevstackPasswords): string {
  const t = renderLocalConfTemplate(s);
  const values = [passwords.admin, passwords.database, passwords.rabbit, passwords.service];
  return [t.header, ...PASSWORD_VARIABLES.map((v, i) => `${v}=${values[i]}`), t.rest].join("\n");
}
