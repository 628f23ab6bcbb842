/**
 * Top-level keys cloud-init accepts in a #cloud-config document.
 *
 * `cloud-init schema` does not report unknown top-level keys (it validates only the keys its
 * modules declare), so a typo such as `package` for `packages` would pass it and be ignored on
 * the guest. The builder therefore checks keys itself against this list: the module keys of
 * cloud-init 22.4's schema (Debian bookworm), a few base-config keys, and keys of newer releases
 * that our documents may target. A test compares the module keys with the installed schema.
 */
export const CLOUD_INIT_MODULE_KEYS: readonly string[] = [
  "allow_public_ssh_keys", "ansible", "apk_repos", "apt", "apt_pipelining", "apt_reboot_if_required",
  "apt_update", "apt_upgrade", "authkey_hash", "autoinstall", "bootcmd", "byobu_by_default", "ca-certs",
  "ca_certs", "chef", "chpasswd", "cloud_config_modules", "cloud_final_modules", "cloud_init_modules",
  "device_aliases", "disable_ec2_metadata", "disable_root", "disable_root_opts", "disk_setup", "drivers",
  "fan", "final_message", "fqdn", "fs_setup", "groups", "growpart", "grub-dpkg", "grub_dpkg", "hostname",
  "keyboard", "landscape", "locale", "locale_configfile", "lxd", "manage_etc_hosts", "manage_resolv_conf",
  "mcollective", "migrate", "mount_default_fields", "mounts", "no_ssh_fingerprints", "ntp",
  "package_reboot_if_required", "package_update", "package_upgrade", "packages", "password", "phone_home",
  "power_state", "prefer_fqdn_over_hostname", "preserve_hostname", "puppet", "random_seed", "reporting",
  "resize_rootfs", "resolv_conf", "rh_subscription", "rsyslog", "runcmd", "salt_minion", "snap",
  "spacewalk", "ssh", "ssh_authorized_keys", "ssh_deletekeys", "ssh_fp_console_blacklist",
  "ssh_genkeytypes", "ssh_import_id", "ssh_key_console_blacklist", "ssh_keys", "ssh_publish_hostkeys",
  "ssh_pwauth", "ssh_quiet_keygen", "swap", "timezone", "ubuntu_advantage", "updates", "user", "users",
  "vendor_data", "wireguard", "write_files", "yum_repo_dir", "yum_repos", "zypper",
];

/** Base-configuration keys that are valid in user data but not declared by any module schema. */
export const CLOUD_INIT_BASE_KEYS: readonly string[] = [
  "merge_how", "merge_type", "output", "system_info", "datasource", "datasource_list", "cloud_final_modules",
];

export const KNOWN_CLOUD_CONFIG_KEYS: ReadonlySet<string> = new Set([...CLOUD_INIT_MODULE_KEYS, ...CLOUD_INIT_BASE_KEYS]);
