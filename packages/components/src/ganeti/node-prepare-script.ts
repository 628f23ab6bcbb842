/**
 * The per-node preparation script of a Ganeti cluster with DRBD (what its by-hand setup ran on every node): host
 * identity, /etc/hosts, time sync, packages, LVM with the DRBD filter, VLAN bridges, DRBD module
 * options, the cluster's root SSH key and known_hosts, and the storage paths Ganeti allows.
 * It only reads the plan (never another node's state), so every node prepares in parallel.
 */
import { renderRemoteScript, shellQuote } from "../scripts/remote-script";
import { GanetiClusterPlan, PlannedNode, usesLvm } from "./ganeti-plan";

/** The LVM device filter Ganeti's install guide asks for: never scan CD-ROMs or DRBD devices. */
export const LVM_DRBD_FILTER = `filter = [ "r|/dev/cdrom|", "r|/dev/drbd[0-9]+|" ]`;

/** Debian packages a node needs for this plan. */
export function nodePackages(plan: GanetiClusterPlan): string[] {
  const packages = ["ganeti", "openssh-client", "openssh-server"];
  if (usesLvm(plan)) packages.push("lvm2");
  if (plan.diskTemplates.includes("drbd")) packages.push("drbd-utils");
  if (plan.hypervisor === "kvm") packages.push("qemu-system-x86", "qemu-utils", "socat");
  if (plan.network.manage) packages.push("bridge-utils", "vlan", "ifupdown");
  if (plan.timeSync !== "none") packages.push(plan.timeSync);
  for (const os of plan.osProviders) {
    if (os === "debootstrap") packages.push("ganeti-instance-debootstrap");
    if (os === "noop") packages.push("ganeti-os-noop");
  }
  return [...new Set(packages)];
}

/** A node's /etc/hosts line (in the ganeti-cluster block). */
export function hostsLine(node: PlannedNode): string {
  return `${node.address} ${node.fqdn} ${node.shortName}`;
}

/** /etc/hosts lines for every node and the cluster name (Ganeti needs FQDN → real address, not 127.0.1.1). */
export function hostsBlock(plan: GanetiClusterPlan): string {
  const lines = plan.nodes.map(hostsLine);
  lines.push(`${plan.clusterAddress} ${plan.clusterName} ${plan.clusterName.split(".")[0]}`);
  return lines.join("\n");
}

/** root's known_hosts: every node's pinned host key under its FQDN, short name and addresses. */
export function knownHostsBlock(plan: GanetiClusterPlan): string {
  return plan.nodes
    .map((n) => {
      const names = [...new Set([n.fqdn, n.shortName, n.address, n.replicationAddress])].join(",");
      const [type, blob] = n.hostKey.split(/\s+/);
      return `${names} ${type} ${blob}`;
    })
    .join("\n");
}

/** /etc/network/interfaces.d stanza for the two VLAN bridges of one node (the cluster's management and public VLANs). */
export function bridgeInterfaces(plan: GanetiClusterPlan, node: PlannedNode): string {
  const n = plan.network;
  const man = `${node.parentInterface}.${n.managementVlan}`;
  const pub = `${node.parentInterface}.${n.publicVlan}`;
  const lines = [
    `auto ${man}`,
    `iface ${man} inet manual`,
    `    vlan-raw-device ${node.parentInterface}`,
    "",
    `auto ${n.managementBridge}`,
    `iface ${n.managementBridge} inet static`,
    `    address ${node.address}/${n.prefixLength}`,
  ];
  if (n.gateway) lines.push(`    gateway ${n.gateway}`);
  lines.push(`    bridge_ports ${man}`, "    bridge_stp off", "    bridge_fd 0");
  if (node.replicationAddress !== node.address) {
    lines.push(`    up ip address add ${node.replicationAddress}/${n.prefixLength} dev ${n.managementBridge}`);
  }
  lines.push(
    "",
    `auto ${pub}`,
    `iface ${pub} inet manual`,
    `    vlan-raw-device ${node.parentInterface}`,
    "",
    `auto ${n.publicBridge}`,
    `iface ${n.publicBridge} inet manual`,
    `    bridge_ports ${pub}`,
    "    bridge_stp off",
    "    bridge_fd 0",
  );
  return lines.join("\n");
}

/**
 * awk program turning `iface PARENT inet static` in /etc/network/interfaces into `inet manual`
 * and dropping that stanza's address lines (address, netmask, gateway, broadcast, network), so
 * the next boot puts the node's address on the management bridge only. Other stanzas stay.
 */
export function parentStanzaToManualAwk(parent: string): string {
  return [
    `$1 == "iface" && $2 == "${parent}" && $3 == "inet" && $4 == "static" { print "iface ${parent} inet manual"; inside = 1; next }`,
    `$1 ~ /^(iface|auto|allow-|source|mapping)/ { inside = 0 }`,
    `inside && $1 ~ /^(address|netmask|gateway|broadcast|network)$/ { next }`,
    `{ print }`,
  ].join("\n");
}

/**
 * The node's management address moves from its NIC to the management bridge: two interfaces
 * with one address (and two default routes) break routing, and ifup refuses the bridge's gateway
 * while the NIC still holds the default route. Persisted in /etc/network/interfaces (backup kept),
 * then done live in one go — address and default route off the NIC, bridge up — and undone if the
 * bridge does not come up, so a failed move never leaves the node without its address.
 */
function moveAddressToBridgeLines(plan: GanetiClusterPlan, node: PlannedNode): string[] {
  const q = shellQuote;
  const parent = node.parentInterface;
  const cidr = `${node.address}/${plan.network.prefixLength}`;
  const bridge = plan.network.managementBridge;
  return [
    `# The node's address belongs on ${bridge}, not on ${parent} (see the interfaces stanza above).`,
    `if grep -Eq '^[[:space:]]*iface[[:space:]]+${parent.replace(/\./g, "\\.")}[[:space:]]+inet[[:space:]]+static' /etc/network/interfaces; then`,
    `  [ -f /etc/network/interfaces.blueprints.bak ] || cp -p /etc/network/interfaces /etc/network/interfaces.blueprints.bak`,
    `  interfaces_tmp=$(mktemp)`,
    `  awk ${q(parentStanzaToManualAwk(parent))} /etc/network/interfaces >"$interfaces_tmp"`,
    `  cat "$interfaces_tmp" >/etc/network/interfaces; rm -f "$interfaces_tmp"`,
    `  echo "changed: ${parent} is manual in /etc/network/interfaces (its address moves to ${bridge}; backup in /etc/network/interfaces.blueprints.bak)"`,
    `fi`,
    `if [ ! -e /sys/class/net/${bridge} ] && grep -qF ${q(` ${cidr} `)} <<<"$(ip -o -4 address show dev ${q(parent)})"; then`,
    `  old_default=$(ip -4 route show default dev ${q(parent)} | head -n 1)`,
    `  # One command line: the SSH session may ride on this address; TCP outlives the short gap.`,
    `  if ! { ip address del ${q(cidr)} dev ${q(parent)} && { ip -4 route del default dev ${q(parent)} 2>/dev/null || true; } && timeout 120 ifup ${bridge} >/dev/null; }; then`,
    `    ip address add ${q(cidr)} dev ${q(parent)} 2>/dev/null || true`,
    `    if [ -n "$old_default" ]; then read -ra route_args <<<"$old_default"; ip -4 route replace "\${route_args[@]}" || true; fi`,
    `    die "could not bring ${bridge} up with ${cidr}; the address is back on ${parent}. Check /etc/network/interfaces.d/ganeti (VLAN ${plan.network.managementVlan} must reach this node)"`,
    `  fi`,
    `  echo "changed: moved ${cidr} from ${parent} to ${bridge}"`,
    `fi`,
  ];
}

/** Paths Ganeti may use for file-based templates (/etc/ganeti/file-storage-paths). */
export function fileStoragePaths(plan: GanetiClusterPlan): string[] {
  const paths: string[] = [];
  if (plan.diskTemplates.includes("file")) paths.push(plan.fileStorageDir);
  if (plan.diskTemplates.includes("sharedfile")) paths.push(plan.sharedFileStorageDir);
  return paths;
}

export function renderNodePrepareScript(plan: GanetiClusterPlan, node: PlannedNode): string {
  const q = shellQuote;
  const body: string[] = [];
  body.push(
    `# Refuse to touch a host that is not the node we pinned.`,
    `assert_host_key ${q(node.hostKey)}`,
    "",
    `# Hostname: the FQDN (Ganeti compares it with the node name).`,
    `if [ "$(hostname)" != ${q(node.fqdn)} ]; then`,
    `  if command -v hostnamectl >/dev/null && hostnamectl set-hostname ${q(node.fqdn)} 2>/dev/null; then :; else hostname ${q(node.fqdn)}; fi`,
    `  echo "changed: hostname ${node.fqdn}"`,
    `fi`,
    `printf '%s\\n' ${q(node.fqdn)} | ensure_file /etc/hostname 0644 root:root`,
    "",
    `# /etc/hosts: FQDNs map to real addresses; drop Debian's 127.0.1.1 line for this host.`,
    `if grep -Eq '^127\\.0\\.1\\.1[[:space:]]' /etc/hosts; then sed -i '/^127\\.0\\.1\\.1[[:space:]]/d' /etc/hosts; echo "changed: removed the 127.0.1.1 line from /etc/hosts"; fi`,
    `# A node dropped from the declaration keeps its line while Ganeti still lists it (ssconf_node_list):`,
    `# its delete step (evacuate, gnt-node remove) runs after this step, and Ganeti reaches the node by`,
    `# name until then (verify reports ENODESSH without it). That step drops the line once the node is out.`,
    `hosts_members=$(cat /var/lib/ganeti/ssconf_node_list 2>/dev/null || true)`,
    `hosts_kept=$(awk -v declared=${q(` ${[...plan.nodes.map((n) => n.fqdn), plan.clusterName].join(" ")} `)} -v members="$hosts_members" \\`,
    `  'BEGIN { n = split(members, m, "\\n"); for (i = 1; i <= n; i++) member[m[i]] = 1 }`,
    `   $0 == "# BEGIN ganeti-cluster" { s = 1; next } $0 == "# END ganeti-cluster" { s = 0 }`,
    `   s && !index(declared, " " $2 " ") && ($2 in member)' /etc/hosts 2>/dev/null || true)`,
    `{`,
    `  cat <<'EOF'`,
    hostsBlock(plan),
    `EOF`,
    `  if [ -n "$hosts_kept" ]; then printf '%s\\n' "$hosts_kept"; fi`,
    `} | ensure_block /etc/hosts ganeti-cluster`,
    "",
    `# Packages (only missing ones are installed). A fresh machine's package lists are empty or stale:`,
    `# refresh them first, but only when something is missing (a second run stays offline and quiet).`,
    `node_packages=(${nodePackages(plan).join(" ")})`,
    `for pkg in "\${node_packages[@]}"; do`,
    `  if [ "$(dpkg-query -W -f='\${Status}' "$pkg" 2>/dev/null || true)" != 'install ok installed' ]; then`,
    `    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null`,
    `    break`,
    `  fi`,
    `done`,
    `ensure_packages "\${node_packages[@]}"`,
  );
  if (plan.timeSync !== "none") {
    const service = plan.timeSync === "chrony" ? "chrony" : "ntpsec";
    body.push(
      "",
      `# Time sync: Ganeti's verify flags clock skew between nodes.`,
      `if [ -d /run/systemd/system ] && ! systemctl is-enabled --quiet ${service} 2>/dev/null; then systemctl enable --now ${service} >/dev/null 2>&1 || log "could not enable ${service}"; echo "changed: enabled ${service}"; fi`,
    );
  }
  if (usesLvm(plan)) {
    body.push(
      "",
      `# LVM: never scan DRBD devices (they mirror the LVs underneath), then the volume group.`,
      `current_filter=$(lvmconfig --type current devices/filter 2>/dev/null || true)`,
      `if ! grep -qF 'r|/dev/drbd[0-9]+|' <<<"$current_filter"; then`,
      `  if grep -Eq '^[[:space:]]*filter[[:space:]]*=' /etc/lvm/lvm.conf; then`,
      `    die "/etc/lvm/lvm.conf already sets devices/filter to something else ($current_filter); add \\"r|/dev/drbd[0-9]+|\\" to it by hand"`,
      `  fi`,
      `  sed -i '0,/^devices {/s//devices {\\n\\t${LVM_DRBD_FILTER.replace(/[|\/&]/g, (c) => (c === "/" ? "\\/" : c === "&" ? "\\&" : c))}/' /etc/lvm/lvm.conf`,
      `  grep -qF 'r|/dev/drbd[0-9]+|' <<<"$(lvmconfig --type current devices/filter)" || die "could not set the LVM filter in /etc/lvm/lvm.conf"`,
      `  echo "changed: LVM filter excludes DRBD devices"`,
      `fi`,
    );
    for (const device of node.volumeGroupDevices) {
      body.push(
        `if ! pvs ${q(device)} >/dev/null 2>&1; then pvcreate -y ${q(device)} >/dev/null; echo "changed: pvcreate ${device}"; fi`,
      );
    }
    const vg = q(plan.volumeGroup);
    if (node.volumeGroupDevices.length > 0) {
      const devices = node.volumeGroupDevices.map(q).join(" ");
      body.push(
        `if ! vgs ${vg} >/dev/null 2>&1; then vgcreate ${vg} ${devices} >/dev/null; echo "changed: vgcreate ${plan.volumeGroup}"; fi`,
        `vg_devices=(${devices})`,
        `for device in "\${vg_devices[@]}"; do`,
        `  if [ "$(pvs --noheadings -o vg_name "$device" | tr -d ' ')" != ${vg} ]; then vgextend ${vg} "$device" >/dev/null; echo "changed: vgextend ${plan.volumeGroup} $device"; fi`,
        `done`,
      );
    } else {
      body.push(
        `vgs ${vg} >/dev/null 2>&1 || die "volume group ${plan.volumeGroup} does not exist on ${node.fqdn}; create it or list volumeGroupDevices for this node"`,
      );
    }
  }
  if (plan.network.manage) {
    body.push(
      "",
      `# VLAN bridges (management and public). New bridges are brought up; a changed existing bridge is left`,
      `# for a maintenance window (re-configuring it under this SSH session could cut it off).`,
      `grep -Eq '^[[:space:]]*(source|source-directory)[[:space:]]+/etc/network/interfaces.d' /etc/network/interfaces 2>/dev/null || ensure_line /etc/network/interfaces 'source /etc/network/interfaces.d/*'`,
      `ensure_file /etc/network/interfaces.d/ganeti 0644 root:root <<'EOF'`,
      bridgeInterfaces(plan, node),
      `EOF`,
      ...moveAddressToBridgeLines(plan, node),
      `for iface in ${plan.network.managementBridge} ${plan.network.publicBridge}; do`,
      `  if [ ! -e "/sys/class/net/$iface" ]; then timeout 120 ifup "$iface" >/dev/null; echo "changed: brought up $iface"; fi`,
      `done`,
    );
  }
  if (plan.diskTemplates.includes("drbd")) {
    const options = `options drbd minor_count=${plan.drbdMinorCount} usermode_helper=${plan.drbdUsermodeHelper}`;
    body.push(
      "",
      `# DRBD 8.4 module options, persisted; the usermode helper must match the cluster's.`,
      `printf '%s\\n' ${q(options)} | ensure_file /etc/modprobe.d/drbd.conf 0644 root:root`,
      `ensure_line /etc/modules drbd`,
      `if [ ! -d /sys/module/drbd ]; then modprobe drbd || die "cannot load the drbd kernel module (install the kernel's DRBD 8.4 module)"; echo "changed: loaded drbd"; fi`,
      `if [ "$(cat /sys/module/drbd/parameters/usermode_helper 2>/dev/null)" != ${q(plan.drbdUsermodeHelper)} ]; then log "the loaded drbd module uses another usermode_helper; it takes ${plan.drbdUsermodeHelper} after reloading the module (rmmod drbd; modprobe drbd) or a reboot"; fi`,
    );
  }
  const paths = fileStoragePaths(plan);
  if (paths.length > 0) {
    body.push(
      "",
      `# File storage: Ganeti only uses directories listed in /etc/ganeti/file-storage-paths.`,
      ...paths.map((p) => `ensure_dir ${q(p)} 0750 root:root`),
      `ensure_file /etc/ganeti/file-storage-paths 0644 root:root <<'EOF'`,
      ...paths,
      `EOF`,
    );
  }
  body.push(
    "",
    `# Root SSH: the cluster key is root's identity on every node (any node may become master)`,
    `# and is authorised everywhere; known_hosts pins every node's host key, so no prompt ever.`,
    `ensure_dir /root/.ssh 0700 root:root`,
    `# The private key arrives base64-encoded on standard input (one line), never in argv or output.`,
    `key_tmp=$(umask 077 && mktemp)`,
    `printf '%s' "$CLUSTER_SSH_PRIVATE_KEY_B64" | base64 -d >"$key_tmp" || { rm -f "$key_tmp"; die "the cluster SSH private key on standard input is not base64"; }`,
    `if [ -f /root/.ssh/id_ganeti_cluster ] && cmp -s "$key_tmp" /root/.ssh/id_ganeti_cluster; then rm -f "$key_tmp"; else mv -f "$key_tmp" /root/.ssh/id_ganeti_cluster; echo "changed: wrote /root/.ssh/id_ganeti_cluster"; fi`,
    `chmod 600 /root/.ssh/id_ganeti_cluster`,
    `printf '%s\\n' ${q(plan.clusterSshPublicKey)} | ensure_file /root/.ssh/id_ganeti_cluster.pub 0644 root:root`,
    `# A node kept in /etc/hosts above is kept here too: Ganeti's node-to-node SSH (verify) needs the key.`,
    `ssh_kept=""`,
    `if [ -n "$hosts_kept" ]; then ssh_kept=$(awk '{ printf " %s", $2 }' <<<"$hosts_kept"); fi`,
    `ensure_block /root/.ssh/config ganeti-cluster <<EOF`,
    `Host ${plan.nodes.map((n) => n.fqdn).join(" ")} ${plan.nodes.map((n) => n.address).join(" ")}$ssh_kept`,
    `    IdentityFile /root/.ssh/id_ganeti_cluster`,
    `    StrictHostKeyChecking yes`,
    `EOF`,
    `chmod 600 /root/.ssh/config`,
    `ensure_line /root/.ssh/authorized_keys ${q(plan.clusterSshPublicKey)}`,
    `chmod 600 /root/.ssh/authorized_keys`,
    `ensure_block /root/.ssh/known_hosts ganeti-cluster <<'EOF'`,
    knownHostsBlock(plan),
    `EOF`,
    "",
    `# Ganeti's SSH pins one RSA host key for the whole cluster (the master's, copied to each node`,
    `# when it is added): sshd must serve /etc/ssh/ssh_host_rsa_key besides the key Pulumi pins.`,
    `if [ ! -f /etc/ssh/ssh_host_rsa_key ]; then ssh-keygen -q -t rsa -b 3072 -N '' -f /etc/ssh/ssh_host_rsa_key; echo "changed: generated an RSA host key"; reload_sshd=yes; fi`,
    `served_host_keys() { (sshd -T 2>/dev/null || true) | awk '$1 == "hostkey" { print $2 }'; }`,
    `if ! grep -qxF /etc/ssh/ssh_host_rsa_key <<<"$(served_host_keys)"; then`,
    `  # Only reached when HostKey is set explicitly elsewhere (the defaults include RSA); HostKey lines add up.`,
    `  printf 'HostKey /etc/ssh/ssh_host_rsa_key\\n' | ensure_file /etc/ssh/sshd_config.d/50-ganeti-cluster-host-key.conf 0644 root:root`,
    `  grep -qxF /etc/ssh/ssh_host_rsa_key <<<"$(served_host_keys)" || die "sshd does not serve /etc/ssh/ssh_host_rsa_key even after adding it to /etc/ssh/sshd_config.d"`,
    `  reload_sshd=yes`,
    `fi`,
    `if [ "\${reload_sshd:-no}" = yes ]; then`,
    `  if [ -d /run/systemd/system ]; then systemctl reload ssh; else kill -HUP "$(cat /run/sshd.pid)"; fi`,
    `  # sshd re-executes on reload; wait until it listens again so the next step can connect.`,
    `  ssh_port=$( (sshd -T 2>/dev/null || true) | awk '$1 == "port" && !seen { print $2; seen = 1 }')`,
    `  for _ in $(seq 1 50); do if (exec 3<>"/dev/tcp/127.0.0.1/\${ssh_port:-22}") 2>/dev/null; then break; fi; sleep 0.2; done`,
    `  echo "changed: sshd reloaded to serve the RSA host key"`,
    `fi`,
    "",
    `# Ganeti's node daemon is not started here: it needs the cluster certificate, which`,
    `# gnt-cluster init (master) or gnt-node add (other nodes) installs before starting it.`,
    `log "node ${node.fqdn} prepared"`,
  );
  return renderRemoteScript({
    description: `ganeti: prepare node ${node.fqdn}`,
    stdinSecrets: ["CLUSTER_SSH_PRIVATE_KEY_B64"],
    body: body.join("\n"),
  });
}
