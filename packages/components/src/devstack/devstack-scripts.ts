// The scripts DevstackHost runs on the host, one per step. All are built with renderRemoteScript
// (strict mode, idempotent helpers that print `changed: …`, secrets only from stdin), so running
// any of them twice changes nothing the second time.
import { renderRemoteScript, shellQuote } from "../scripts/remote-script";
import { type DevstackQuotas, SUPPORTED_DISTROS_BY_BRANCH } from "./devstack-args";
import {
  type DevstackSettings,
  DEVSTACK_DIR,
  LOCAL_CONF_PATH,
  LOG_DIR,
  PASSWORD_VARIABLES,
  STACK_HOME,
  STACK_LOG,
  STACK_USER,
  STATE_DIR,
  TLS_CA_CHAIN,
  renderLocalConfTemplate,
} from "./local-conf";

export const NAT_UNIT = "devstack-nat.service";
export const NAT_UNIT_PATH = `/etc/systemd/system/${NAT_UNIT}`;
export const NAT_HELPER_PATH = "/usr/local/sbin/devstack-nat";
export const NAT_ENV_PATH = "/etc/default/devstack-nat";
export const FORWARDING_SYSCTL_PATH = "/etc/sysctl.d/60-devstack-forwarding.conf";
export const SUDOERS_PATH = `/etc/sudoers.d/${STACK_USER}`;
/** The cinder volume group devstack creates for the lvmdriver-1 backend. */
export const DEFAULT_CINDER_VOLUME_GROUP = "stack-volumes-lvmdriver-1";

/** The marker stack.sh's step leaves after a successful run, per rebuild key. */
export function stackMarkerPath(rebuildKey: string): string {
  return `${STATE_DIR}/stack.sh.${rebuildKey}.done`;
}

export interface PrecheckOptions {
  branch: string;
  hostIp: string;
  minRamMiB: number;
  minFreeDiskGiB: number;
  /** When true, prepare maps the hostname in /etc/hosts, so an unresolvable name is not fatal. */
  manageEtcHosts: boolean;
  /** PUBLIC_INTERFACE: refused when it carries our SSH session (DevStack moves it onto br-ex). */
  publicInterface?: string;
}

/** Checks the host before anything changes; every failure names the check and the fix. */
export function renderPrecheckScript(o: PrecheckOptions): string {
  const supported = SUPPORTED_DISTROS_BY_BRANCH[o.branch];
  if (!supported) throw new Error(`precheck: unknown branch ${o.branch}`);
  return renderRemoteScript({
    description: "devstack prechecks",
    body: `
BRANCH=${shellQuote(o.branch)}
HOST_IP=${shellQuote(o.hostIp)}
SUPPORTED=${shellQuote(supported.join(" "))}
MIN_RAM_MIB=${o.minRamMiB}
MIN_DISK_GIB=${o.minFreeDiskGiB}
MANAGE_ETC_HOSTS=${o.manageEtcHosts ? 1 : 0}
PUBLIC_INTERFACE=${shellQuote(o.publicInterface ?? "")}
failures=0
check_failed() {
  printf 'precheck %s failed: %s\\n  fix: %s\\n' "$1" "$2" "$3" >&2
  failures=$((failures + 1))
}

# distribution: devstack's stack.sh refuses distributions its branch does not list.
os_id=unknown
os_codename=unknown
if [ -r /etc/os-release ]; then
  # shellcheck source=/dev/null
  os_id=$(. /etc/os-release && printf '%s' "\${ID:-unknown}")
  # shellcheck source=/dev/null
  os_codename=$(. /etc/os-release && printf '%s' "\${VERSION_CODENAME:-unknown}")
fi
case " $SUPPORTED " in
  *" $os_id:$os_codename "*) ;;
  *) check_failed distribution "$os_id $os_codename is not supported by devstack $BRANCH" "use one of: $SUPPORTED (or pick a branch that supports this release)" ;;
esac
command -v apt-get >/dev/null 2>&1 || check_failed package-manager "apt-get not found" "use a Debian or Ubuntu host"

# memory and disk: stack.sh needs several GiB for MySQL, RabbitMQ and two dozen services.
ram_mib=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
if [ "$ram_mib" -lt "$MIN_RAM_MIB" ]; then
  check_failed memory "$ram_mib MiB of RAM, need $MIN_RAM_MIB MiB" "give the host more memory (or lower minRamMiB knowingly)"
fi
disk_dir=${shellQuote(STACK_HOME)}
[ -d "$disk_dir" ] || disk_dir=/
free_gib=$(df -Pk "$disk_dir" | awk 'NR == 2 { print int($4 / 1048576) }')
if [ "$free_gib" -lt "$MIN_DISK_GIB" ]; then
  check_failed disk "$free_gib GiB free under $disk_dir, need $MIN_DISK_GIB GiB" "free space or grow the filesystem (images, the cinder backing file and logs live there)"
fi

# hostname: RabbitMQ fails to start when the host's own name does not resolve.
host_name=$(hostname)
if [ -z "$host_name" ] || [ "$host_name" = localhost ]; then
  check_failed hostname "the hostname is '$host_name'" "give the host a real name (hostnamectl set-hostname NAME)"
elif ! getent hosts "$host_name" >/dev/null 2>&1; then
  if [ "$MANAGE_ETC_HOSTS" = 1 ]; then
    echo "precheck hostname: $host_name does not resolve yet; the prepare step maps it to $HOST_IP in /etc/hosts"
  else
    check_failed hostname "$host_name does not resolve" "add '$HOST_IP $host_name' to /etc/hosts (or enable manageEtcHosts)"
  fi
fi

# HOST_IP: devstack binds every service to it; it must be configured on this host.
if ! ip -4 -o addr show | awk '{ sub(/\\/.*/, "", $4); print $4 }' | grep -qxF "$HOST_IP"; then
  check_failed host-ip "$HOST_IP is not on any interface of this host" "set hostIp to one of: $(ip -4 -o addr show scope global | awk '{ sub(/\\/.*/, "", $4); printf "%s ", $4 }')"
fi

# publicInterface: stack.sh moves that NIC's addresses onto br-ex. If our SSH session runs over it,
# the session (and pulumi up) drops halfway through stack.sh and the host may be left unreachable.
if [ -n "$PUBLIC_INTERFACE" ]; then
  if ! ip link show "$PUBLIC_INTERFACE" >/dev/null 2>&1; then
    check_failed public-interface "$PUBLIC_INTERFACE does not exist on this host" "set publicInterface to a NIC as ip link shows it: $(ip -o link show | awk -F': ' '$2 != "lo" { printf "%s ", $2 }')"
  else
    # The local addresses of the established SSH sessions (sudo drops SSH_CONNECTION, so ask the kernel).
    ssh_ips=$(ss -tnpH state established 2>/dev/null | awk '/"sshd/ { a = $3; sub(/:[0-9]+$/, "", a); gsub(/[][]/, "", a); sub(/^::ffff:/, "", a); print a }' | sort -u)
    if [ -n "\${SSH_CONNECTION:-}" ]; then ssh_ips="$ssh_ips $(printf '%s' "$SSH_CONNECTION" | awk '{ print $3 }')"; fi
    public_ips=$(ip -o addr show dev "$PUBLIC_INTERFACE" | awk '{ sub(/\\/.*/, "", $4); print $4 }')
    for ip in $ssh_ips; do
      if printf '%s\n' "$public_ips" | grep -qxF "$ip"; then
        check_failed public-interface "$PUBLIC_INTERFACE carries this SSH session ($ip); stack.sh moves it onto br-ex and the session drops" "give DevStack a second NIC on the floating LAN as publicInterface and keep SSH and hostIp on the management NIC"
        break
      fi
    done
    if printf '%s\n' "$public_ips" | grep -qxF "$HOST_IP"; then
      check_failed public-interface "$PUBLIC_INTERFACE carries hostIp $HOST_IP" "keep hostIp on the management NIC, not on publicInterface"
    fi
  fi
fi

# KVM: without /dev/kvm, DevStack's nova-compute silently falls back to QEMU emulation (desktops
# crawl). A warning, not a failure: a nested test host may be meant to emulate.
if [ ! -c /dev/kvm ]; then
  echo "precheck kvm: warning: /dev/kvm is missing; Nova will use plain QEMU emulation (slow guests). fix: enable VT-x/AMD-V in the firmware (or nested virtualisation on a VM host) and load kvm_intel/kvm_amd" >&2
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures precheck(s) failed; nothing on the host was changed" >&2
  exit 1
fi
echo "prechecks passed: $os_id $os_codename, $ram_mib MiB RAM, $free_gib GiB free, hostname $host_name, HOST_IP $HOST_IP, kvm $([ -c /dev/kvm ] && echo yes || echo no)"
`,
  });
}

export interface PrepareOptions {
  hostIp: string;
  manageEtcHosts: boolean;
  extraPackages: string[];
}

/** Packages, the stack user with a traversable home, its sudoers file, the hostname mapping. */
export function renderPrepareScript(o: PrepareOptions): string {
  for (const p of o.extraPackages) {
    if (!/^[a-z0-9][a-z0-9+.-]+$/.test(p)) throw new Error(`extraPackages: "${p}" is not a Debian package name`);
  }
  const packages = ["sudo", "git", "ca-certificates", "iproute2", ...o.extraPackages];
  return renderRemoteScript({
    description: "devstack prepare host",
    body: `
ensure_packages ${packages.join(" ")}
ensure_user ${STACK_USER} ${STACK_HOME} /bin/bash
# devstack's services (e.g. Apache serving Horizon) must traverse the stack user's home.
ensure_dir ${STACK_HOME} 0755 ${STACK_USER}:${STACK_USER}
ensure_dir ${LOG_DIR} 0755 ${STACK_USER}:${STACK_USER}
ensure_dir ${STATE_DIR} 0700 root:root
# stack.sh runs sudo non-interactively as the stack user. Validate before installing: a broken
# file in /etc/sudoers.d breaks sudo for everyone.
sudoers_tmp=$(mktemp)
printf '%s\\n' '# Managed by openstack-blueprints: devstack runs sudo non-interactively.' '${STACK_USER} ALL=(ALL) NOPASSWD: ALL' >"$sudoers_tmp"
if ! visudo -cqf "$sudoers_tmp" >/dev/null; then rm -f "$sudoers_tmp"; die "the generated sudoers file does not validate with visudo -cf"; fi
ensure_file ${SUDOERS_PATH} 0440 root:root <"$sudoers_tmp"
rm -f "$sudoers_tmp"
${
  o.manageEtcHosts
    ? `host_name=$(hostname)
if ! getent hosts "$host_name" >/dev/null 2>&1; then
  ensure_line /etc/hosts "${o.hostIp} $host_name"
fi`
    : "# manageEtcHosts is off: the precheck required the hostname to resolve."
}
`,
  });
}

export interface CloneOptions {
  repoUrl: string;
  branch: string;
}

/** Clones devstack at the pinned branch as the stack user; when present, fetches and checks out. */
export function renderCloneScript(o: CloneOptions): string {
  return renderRemoteScript({
    description: "devstack clone",
    body: `
REPO=${shellQuote(o.repoUrl)}
BRANCH=${shellQuote(o.branch)}
DEST=${shellQuote(DEVSTACK_DIR)}
as_stack() { runuser -u ${STACK_USER} -- "$@"; }
if [ ! -d "$DEST/.git" ]; then
  ensure_dir "$DEST" 0755 ${STACK_USER}:${STACK_USER}
  as_stack git -C "$DEST" init -q
  echo "changed: initialised $DEST"
fi
if [ "$(as_stack git -C "$DEST" remote get-url origin 2>/dev/null || true)" != "$REPO" ]; then
  as_stack git -C "$DEST" remote remove origin >/dev/null 2>&1 || true
  as_stack git -C "$DEST" remote add origin "$REPO"
  echo "changed: origin of $DEST is $REPO"
fi
as_stack git -C "$DEST" fetch -q origin "+refs/heads/$BRANCH:refs/remotes/origin/$BRANCH" || die "cannot fetch $BRANCH from $REPO (check the URL, the branch name and the host's internet access)"
target=$(as_stack git -C "$DEST" rev-parse "refs/remotes/origin/$BRANCH")
current=$(as_stack git -C "$DEST" rev-parse -q --verify HEAD || true)
current_branch=$(as_stack git -C "$DEST" symbolic-ref -q --short HEAD || true)
if [ "$current" != "$target" ] || [ "$current_branch" != "$BRANCH" ]; then
  as_stack git -C "$DEST" checkout -q -f -B "$BRANCH" "refs/remotes/origin/$BRANCH"
  echo "changed: $DEST at $BRANCH ($target)"
fi
`,
  });
}

const LOCAL_CONF_EOF = "OPENSTACK_BLUEPRINTS_LOCAL_CONF";

/**
 * Writes local.conf (mode 0600, owner stack). The template travels in the command text; the
 * passwords arrive on stdin (ADMIN, DATABASE, RABBIT, SERVICE, one per line) and are joined
 * in on the host with printf (a builtin: no argv), so no secret is ever in the command.
 */
export function renderWriteLocalConfScript(settings: DevstackSettings): string {
  const t = renderLocalConfTemplate(settings);
  if (t.rest.split("\n").includes(LOCAL_CONF_EOF))
    throw new Error(`local.conf: a line equals the heredoc delimiter ${LOCAL_CONF_EOF}`);
  return renderRemoteScript({
    description: "devstack local.conf",
    stdinSecrets: [...PASSWORD_VARIABLES],
    body: `
for value in "$ADMIN_PASSWORD" "$DATABASE_PASSWORD" "$RABBIT_PASSWORD" "$SERVICE_PASSWORD"; do
  case "$value" in
    '' | *[!A-Za-z0-9]*) die "devstack passwords must be non-empty and alphanumeric (devstack breaks on others)" ;;
  esac
done
ensure_dir ${DEVSTACK_DIR} 0755 ${STACK_USER}:${STACK_USER}
{
  printf '%s\\n' ${shellQuote(t.header)}
  printf 'ADMIN_PASSWORD=%s\\n' "$ADMIN_PASSWORD"
  printf 'DATABASE_PASSWORD=%s\\n' "$DATABASE_PASSWORD"
  printf 'RABBIT_PASSWORD=%s\\n' "$RABBIT_PASSWORD"
  printf 'SERVICE_PASSWORD=%s\\n' "$SERVICE_PASSWORD"
  cat <<'${LOCAL_CONF_EOF}'
${t.rest.replace(/\n$/, "")}
${LOCAL_CONF_EOF}
} | ensure_file ${LOCAL_CONF_PATH} 0600 ${STACK_USER}:${STACK_USER}
`,
  });
}

/** The helper that runs stack.sh detached from the SSH session and records its exit status. */
export const STACK_RUNNER_PATH = `${STATE_DIR}/run-stack.sh`;
export const STACK_RUNNER = `#!/bin/bash
# Managed by openstack-blueprints: runs DevStack's stack.sh as ${STACK_USER}, detached from the SSH
# session that started it (setsid + nohup), and writes its exit status for the follower.
# Arguments: console log, status file.
runuser -l ${STACK_USER} -c 'cd ${DEVSTACK_DIR} && ./stack.sh' </dev/null >"$1" 2>&1
echo "$?" >"$2"
`;

const STACK_RUNNER_EOF = "OPENSTACK_BLUEPRINTS_STACK_RUNNER";

/**
 * Runs stack.sh as the stack user, once per rebuild key. stack.sh drops and recreates every
 * service database, so a second run would wipe the cloud: the marker keeps later runs (a
 * changed script, a replaced resource) from touching a built cloud.
 *
 * stack.sh runs detached (setsid + nohup) so a dropped SSH session or a killed pulumi does not
 * kill it halfway (which leaves a cloud only unstack/clean can recover); this step follows its
 * log, printing progress with passwords masked, and gives up after timeoutMinutes (stopping
 * stack.sh's whole process group). A step re-run while stack.sh still runs follows the running
 * one instead of starting another.
 */
export function renderStackScript(rebuildKey: string, timeoutMinutes = 88): string {
  assertRebuildKey(rebuildKey);
  if (!Number.isInteger(timeoutMinutes) || timeoutMinutes < 1)
    throw new Error(`stack.sh timeout ${timeoutMinutes} must be a whole number of minutes, 1 or more`);
  if (STACK_RUNNER.split("\n").includes(STACK_RUNNER_EOF))
    throw new Error(`the stack runner must not contain a line ${STACK_RUNNER_EOF}`);
  return renderRemoteScript({
    description: "devstack stack.sh",
    body: `
MARKER=${shellQuote(stackMarkerPath(rebuildKey))}
PID_FILE=${shellQuote(`${STATE_DIR}/stack.sh.${rebuildKey}.pid`)}
STATUS_FILE=${shellQuote(`${STATE_DIR}/stack.sh.${rebuildKey}.status`)}
LOCAL_CONF=${shellQuote(LOCAL_CONF_PATH)}
STACK_LOG=${shellQuote(STACK_LOG)}
CONSOLE_LOG=${shellQuote(`${LOG_DIR}/stack.sh.console.log`)}
TIMEOUT_SECONDS=${timeoutMinutes * 60}
PROGRESS_SECONDS=30
if [ -e "$MARKER" ]; then
  log "stack.sh already completed for rebuild key ${rebuildKey} ($(cat "$MARKER")); not running it again: a second run recreates every database. Change the rebuild argument to rebuild."
  if [ "$LOCAL_CONF" -nt "$MARKER" ]; then
    log "note: local.conf changed after that run; the change takes effect only on a rebuild"
  fi
  exit 0
fi
[ -x ${DEVSTACK_DIR}/stack.sh ] || die "${DEVSTACK_DIR}/stack.sh is missing; the clone step did not complete"
[ -f "$LOCAL_CONF" ] || die "$LOCAL_CONF is missing; the local.conf step did not complete"
ensure_dir ${LOG_DIR} 0755 ${STACK_USER}:${STACK_USER}
ensure_dir ${STATE_DIR} 0700 root:root
ensure_file ${STACK_RUNNER_PATH} 0755 root:root <<'${STACK_RUNNER_EOF}'
${STACK_RUNNER.replace(/\n$/, "")}
${STACK_RUNNER_EOF}
# Mask the passwords devstack traces into its logs (filters stdin to stderr).
secrets=()
while IFS= read -r line; do secrets+=("\${line#*=}"); done < <(grep -E '^[A-Z_]*PASSWORD=' "$LOCAL_CONF" || true)
redact() {
  local line secret
  while IFS= read -r line; do
    for secret in "\${secrets[@]}"; do
      if [ -n "$secret" ]; then line=\${line//"$secret"/'********'}; fi
    done
    printf '%s\\n' "$line" >&2
  done
}
redacted_tail() {
  if [ -s "$STACK_LOG" ]; then tail -n 60 "$STACK_LOG" | redact; else tail -n 60 "$CONSOLE_LOG" 2>/dev/null | redact; fi
}
pid=""
if [ -s "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
  pid=$(cat "$PID_FILE")
  log "stack.sh is already running (pid $pid, started by an earlier attempt); following it"
else
  rm -f "$STATUS_FILE"
  log "running stack.sh as ${STACK_USER}, detached from this session (15-30 minutes); log: $STACK_LOG"
  setsid nohup ${STACK_RUNNER_PATH} "$CONSOLE_LOG" "$STATUS_FILE" </dev/null >/dev/null 2>&1 &
  pid=$!
  echo "$pid" >"$PID_FILE"
fi
deadline=$(( $(date +%s) + TIMEOUT_SECONDS ))
last=""
while [ ! -s "$STATUS_FILE" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    sleep 2
    if [ -s "$STATUS_FILE" ]; then break; fi
    redacted_tail
    die "stack.sh (pid $pid) ended without an exit status (killed?); the full log is $STACK_LOG on the host. Run ./unstack.sh and ./clean.sh as ${STACK_USER} before the next pulumi up."
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    redacted_tail
    kill -TERM -- "-$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
    die "stack.sh did not finish within $((TIMEOUT_SECONDS / 60)) minutes and was stopped. Check the mirrors and $STACK_LOG, run ./unstack.sh and ./clean.sh as ${STACK_USER}, then pulumi up again (or raise stackTimeoutMinutes)."
  fi
  now=$(tail -n 1 "$CONSOLE_LOG" 2>/dev/null || true)
  if [ -n "$now" ] && [ "$now" != "$last" ]; then
    printf 'stack.sh: %s\\n' "\${now:0:300}" | redact
    last=$now
  fi
  sleep "$PROGRESS_SECONDS"
done
status=$(cat "$STATUS_FILE")
rm -f "$PID_FILE"
if [ "$status" != 0 ]; then
  redacted_tail
  die "stack.sh failed (exit $status); the last lines are above (passwords masked), the full log is $STACK_LOG on the host. Fix the cause, then run ./unstack.sh and ./clean.sh as ${STACK_USER} before the next pulumi up."
fi
mkdir -p "$(dirname "$MARKER")"
date -u +%Y-%m-%dT%H:%M:%SZ >"$MARKER"
echo "changed: stack.sh completed (marker $MARKER)"
`,
  });
}

export function assertRebuildKey(rebuildKey: string): void {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(rebuildKey)) {
    throw new Error(
      `rebuild = ${JSON.stringify(rebuildKey)} is not a usable rebuild key. Fix: use 1-64 letters, digits, '.', '_' or '-' (e.g. "1", then "2" to rebuild)`,
    );
  }
}

export interface DeleteOptions {
  unstack: boolean;
  clean: boolean;
  rebuildKey: string;
}

/** What deleting the stack step does: optionally unstack.sh and clean.sh as the stack user. */
export function renderDeleteScript(o: DeleteOptions): string {
  assertRebuildKey(o.rebuildKey);
  const steps: string[] = [];
  if (o.unstack) {
    steps.push(`if [ -x ${DEVSTACK_DIR}/unstack.sh ]; then
  runuser -l ${STACK_USER} -c 'cd ${DEVSTACK_DIR} && ./unstack.sh' </dev/null >${LOG_DIR}/unstack.sh.log 2>&1 || die "unstack.sh failed; see ${LOG_DIR}/unstack.sh.log on the host"
  echo "changed: ran unstack.sh"
fi`);
  }
  if (o.clean) {
    steps.push(`if [ -x ${DEVSTACK_DIR}/clean.sh ]; then
  runuser -l ${STACK_USER} -c 'cd ${DEVSTACK_DIR} && ./clean.sh' </dev/null >${LOG_DIR}/clean.sh.log 2>&1 || die "clean.sh failed; see ${LOG_DIR}/clean.sh.log on the host"
  echo "changed: ran clean.sh"
fi
# The cloud's data is gone: the next create must run stack.sh again.
if [ -e ${shellQuote(stackMarkerPath(o.rebuildKey))} ]; then rm -f ${shellQuote(stackMarkerPath(o.rebuildKey))}; echo "changed: removed the stack.sh marker"; fi`);
  } else {
    steps.push(`log "clean.sh not requested: the cloud's data and the stack.sh marker stay on the host"`);
  }
  return renderRemoteScript({ description: "devstack delete", body: steps.join("\n") });
}

export interface ExtraVolumeOptions {
  device: string;
  volumeGroup: string;
}

/** Adds a block device to cinder's volume group (pvcreate + vgextend), once. */
export function renderExtraVolumeScript(o: ExtraVolumeOptions): string {
  if (!/^\/dev\/[A-Za-z0-9/_.-]+$/.test(o.device))
    throw new Error(
      `extraVolumeDevice = ${JSON.stringify(o.device)} is not a /dev path. Fix: use e.g. /dev/sdb or /dev/disk/by-id/...`,
    );
  if (!/^[A-Za-z0-9+_.-]+$/.test(o.volumeGroup))
    throw new Error(`cinderVolumeGroup = ${JSON.stringify(o.volumeGroup)} is not a volume group name`);
  return renderRemoteScript({
    description: "devstack extra cinder capacity",
    body: `
DEVICE=${shellQuote(o.device)}
VG=${shellQuote(o.volumeGroup)}
[ -b "$DEVICE" ] || die "$DEVICE is not a block device on this host (set extraVolumeDevice to a free disk)"
vgs "$VG" >/dev/null 2>&1 || die "volume group $VG does not exist; is cinder (c-vol) enabled and did stack.sh complete?"
if ! pvs "$DEVICE" >/dev/null 2>&1; then
  pvcreate -q "$DEVICE" >/dev/null
  echo "changed: pvcreate $DEVICE"
fi
pv_vg=$(pvs --noheadings -o vg_name "$DEVICE" | tr -d '[:space:]')
if [ -z "$pv_vg" ]; then
  vgextend -q "$VG" "$DEVICE" >/dev/null
  echo "changed: added $DEVICE to $VG"
elif [ "$pv_vg" != "$VG" ]; then
  die "$DEVICE already belongs to volume group $pv_vg; use another device"
fi
`,
  });
}

export interface NatOptions {
  floatingRange: string;
  /** Uplink for MASQUERADE; empty: the default-route interface, resolved when the step runs. */
  natInterface?: string;
  /** Also answer ARP for floating IPs on br-ex and the uplink (the proxy_arp a college's ML lab set by hand). */
  proxyArp: boolean;
}

/** The helper the boot-time unit runs; it reads its settings from NAT_ENV_PATH. */
export const NAT_HELPER = `#!/bin/bash
# Managed by openstack-blueprints: NAT and forwarding for DevStack's floating range.
# Run at boot by ${NAT_UNIT}; settings in ${NAT_ENV_PATH}. Idempotent.
set -euo pipefail
: "\${NAT_INTERFACE:?set in ${NAT_ENV_PATH}}" "\${FLOATING_RANGE:?set in ${NAT_ENV_PATH}}"
rule=(POSTROUTING -s "$FLOATING_RANGE" -o "$NAT_INTERFACE" -j MASQUERADE)
case "\${1:-up}" in
  up)
    if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != 1 ]; then
      echo 1 >/proc/sys/net/ipv4/ip_forward
      echo "changed: enabled net.ipv4.ip_forward"
    fi
    if ! iptables -w -t nat -C "\${rule[@]}" 2>/dev/null; then
      iptables -w -t nat -A "\${rule[@]}"
      echo "changed: MASQUERADE $FLOATING_RANGE out of $NAT_INTERFACE"
    fi
    if [ "\${PROXY_ARP:-0}" = 1 ]; then
      for dev in br-ex "$NAT_INTERFACE"; do
        knob=/proc/sys/net/ipv4/conf/$dev/proxy_arp
        if [ -e "$knob" ] && [ "$(cat "$knob")" != 1 ]; then echo 1 >"$knob"; echo "changed: proxy_arp on $dev"; fi
      done
    fi
    ;;
  down)
    while iptables -w -t nat -C "\${rule[@]}" 2>/dev/null; do iptables -w -t nat -D "\${rule[@]}"; done
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
`;

export const NAT_UNIT_FILE = `[Unit]
Description=NAT and IP forwarding for DevStack's floating range (openstack-blueprints)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
EnvironmentFile=${NAT_ENV_PATH}
ExecStart=${NAT_HELPER_PATH} up
ExecStop=${NAT_HELPER_PATH} down

[Install]
WantedBy=multi-user.target
`;

export const FORWARDING_SYSCTL = `# Managed by openstack-blueprints: instances on DevStack's floating range reach the outside.
net.ipv4.ip_forward = 1
`;

/**
 * Makes the by-hand NAT of a DevStack host (ip_forward, MASQUERADE, proxy_arp) survive reboots: a
 * sysctl.d file plus a oneshot systemd unit, applied now and at every boot, each only once.
 */
export function renderNatScript(o: NatOptions): string {
  if (o.natInterface !== undefined && !/^[A-Za-z0-9_.-]{1,15}$/.test(o.natInterface)) {
    throw new Error(
      `natInterface = ${JSON.stringify(o.natInterface)} is not an interface name. Fix: use the uplink's name as \`ip link\` shows it`,
    );
  }
  for (const text of [NAT_HELPER, NAT_UNIT_FILE, FORWARDING_SYSCTL]) {
    if (text.split("\n").includes("EOF")) throw new Error("NAT files must not contain a line EOF");
  }
  return renderRemoteScript({
    description: "devstack persistent NAT",
    body: `
FLOATING_RANGE=${shellQuote(o.floatingRange)}
NAT_INTERFACE=${shellQuote(o.natInterface ?? "")}
PROXY_ARP=${o.proxyArp ? 1 : 0}
[ -d /run/systemd/system ] || die "systemd is not running on this host; the boot-time NAT unit needs it"
ensure_packages iptables
if [ -z "$NAT_INTERFACE" ]; then
  NAT_INTERFACE=$(ip -4 route show default | awk '{ print $5; exit }')
  [ -n "$NAT_INTERFACE" ] || die "no default route to take the NAT interface from; set natInterface"
fi
updates=$(
  ensure_file ${NAT_HELPER_PATH} 0755 root:root <<'EOF'
${NAT_HELPER.replace(/\n$/, "")}
EOF
  printf 'NAT_INTERFACE=%s\\nFLOATING_RANGE=%s\\nPROXY_ARP=%s\\n' "$NAT_INTERFACE" "$FLOATING_RANGE" "$PROXY_ARP" | ensure_file ${NAT_ENV_PATH} 0644 root:root
  ensure_file ${NAT_UNIT_PATH} 0644 root:root <<'EOF'
${NAT_UNIT_FILE.replace(/\n$/, "")}
EOF
  ensure_file ${FORWARDING_SYSCTL_PATH} 0644 root:root <<'EOF'
${FORWARDING_SYSCTL.replace(/\n$/, "")}
EOF
)
if [ -n "$updates" ]; then
  printf '%s\\n' "$updates"
  systemctl daemon-reload
fi
if ! systemctl is-enabled -q ${NAT_UNIT}; then
  systemctl enable -q ${NAT_UNIT}
  echo "changed: enabled ${NAT_UNIT}"
fi
if [ -n "$updates" ] || ! systemctl is-active -q ${NAT_UNIT}; then
  systemctl restart ${NAT_UNIT}
  echo "changed: (re)started ${NAT_UNIT}"
fi
`,
  });
}

/** Quotas of DevStack's admin project (the project the stack's provider works in). */
const QUOTA_FLAGS: Record<keyof DevstackQuotas, string> = {
  instances: "--instances",
  cores: "--cores",
  ramMiB: "--ram",
  floatingIps: "--floating-ips",
  ports: "--ports",
  securityGroups: "--secgroups",
  securityGroupRules: "--secgroup-rules",
  volumes: "--volumes",
  volumeGiB: "--gigabytes",
};

/**
 * Sets the admin project's compute and network quotas with DevStack's own openrc and client, as
 * the stack user. A fresh DevStack project allows 10 instances, 20 cores and 50 GiB of RAM; the
 * stack declares what it needs instead. Re-run when the numbers change (they are in the command
 * text); setting the same numbers twice changes nothing.
 */
/**
 * tlsProxy: prints the CA chain DevStack's tls-proxy certificates are signed by (public
 * certificates, no key) on stdout, the only thing on stdout: the component gives it to its
 * openstack.Provider as cacertFile and exports it.
 */
export function renderCaCertificateScript(): string {
  return renderRemoteScript({
    description: "devstack TLS CA chain",
    body: `
[ -s ${TLS_CA_CHAIN} ] || die "${TLS_CA_CHAIN} is missing or empty; did stack.sh run with tls-proxy enabled?"
grep -q 'BEGIN CERTIFICATE' ${TLS_CA_CHAIN} || die "${TLS_CA_CHAIN} holds no PEM certificate"
cat ${TLS_CA_CHAIN}
`,
  });
}

export function renderQuotaScript(q: DevstackQuotas): string {
  const flags: string[] = [];
  for (const key of Object.keys(QUOTA_FLAGS) as (keyof DevstackQuotas)[]) {
    const v = q[key];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < -1)
      throw new Error(
        `quotas.${key} = ${JSON.stringify(v)} is not a quota. Fix: use a whole number (-1 for unlimited)`,
      );
    flags.push(`${QUOTA_FLAGS[key]} ${v}`);
  }
  if (flags.length === 0)
    throw new Error(
      "quotas is empty. Fix: give at least one of instances, cores, ramMiB, floatingIps, ports, securityGroups, securityGroupRules, or leave quotas out",
    );
  return renderRemoteScript({
    description: "devstack project quotas",
    body: `
[ -r ${DEVSTACK_DIR}/openrc ] || die "${DEVSTACK_DIR}/openrc is missing; did stack.sh complete?"
# openrc reads the admin password from local.conf on the host: no secret crosses the SSH command.
runuser -l ${STACK_USER} -c ${shellQuote(`. ${DEVSTACK_DIR}/openrc admin admin >/dev/null && openstack quota set ${flags.join(" ")} admin`)} \
  || die "openstack quota set failed for project admin; check the cloud with: openstack quota show admin"
log "quotas of project admin: ${flags.join(" ")}"
`,
  });
}
