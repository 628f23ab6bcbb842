// A Debian 12 root file system for systemd-nspawn guests of the calculator lab: systemd as
// init, cloud-init with the NoCloud datasource, and the distribution's nodejs (what
// `nodejsSource: "image"` expects on the image). Built once with debootstrap and cached.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const GUEST_ROOTFS_CACHE = "/var/cache/openstack-blueprints/calculator/guest-rootfs-bookworm";
// python3-cffi-backend is named explicitly: debootstrap's resolver does not follow the virtual
// package python3-cryptography needs from it, and cloud-init would stay unconfigured.
const PACKAGES = ["systemd", "systemd-sysv", "dbus", "cloud-init", "python3-cffi-backend", "nodejs", "iproute2"];
/** Written last; its version changes when configureGuestRootfs does (older cached roots are reconfigured in place). */
const MARKER = ".calculator-guest-complete-v2";

/** Why guests cannot boot here, or undefined when they can. */
export function guestsUnavailable(): string | undefined {
  for (const [tool, pkg] of [
    ["debootstrap", "debootstrap"],
    ["systemd-nspawn", "systemd-container"],
  ]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed (Debian package ${pkg})`;
  }
  return undefined;
}

function write(root: string, file: string, content: string): void {
  const target = path.join(root, file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, content);
}

/** Returns the cached root, building it first if needed (debootstrap: minutes, once). */
export function ensureGuestRootfs(root = GUEST_ROOTFS_CACHE): string {
  if (fs.existsSync(path.join(root, MARKER))) return root;
  if (fs.existsSync(path.join(root, "etc/debian_version"))) {
    // A root of an earlier version of this file: its packages are right, apply the settings again.
    configureGuestRootfs(root);
    return root;
  }
  const staging = `${root}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(root), { recursive: true });
  const result = spawnSync(
    "debootstrap",
    ["--variant=minbase", `--include=${PACKAGES.join(",")}`, "bookworm", staging, "http://deb.debian.org/debian"],
    {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (result.status !== 0)
    throw new Error(`debootstrap failed (${result.status}):\n${(result.stdout + result.stderr).slice(-4000)}`);
  configureGuestRootfs(staging);
  fs.rmSync(root, { recursive: true, force: true });
  fs.renameSync(staging, root);
  return root;
}

/** Lab settings inside a freshly debootstrapped root, then the completion marker. */
export function configureGuestRootfs(staging: string): void {
  // NoCloud only; the lab configures the interface (as Neutron's DHCP would), so cloud-init
  // must not write network config, and nothing should wait for "network online".
  write(
    staging,
    "etc/cloud/cloud.cfg.d/99-calculator-lab.cfg",
    "datasource_list: [ NoCloud, None ]\nnetwork:\n  config: disabled\n",
  );
  for (const unit of [
    "systemd-networkd-wait-online.service",
    "systemd-networkd.service",
    "getty@tty1.service",
    "console-getty.service",
  ]) {
    fs.rmSync(path.join(staging, "etc/systemd/system", unit), { force: true });
    fs.symlinkSync("/dev/null", path.join(staging, "etc/systemd/system", unit));
  }
  fs.mkdirSync(path.join(staging, "var/lib/cloud/seed/nocloud"), { recursive: true });
  // A configured system locale, as on a cloud image. Without one, cloud-init's locale module
  // sets en_US.UTF-8, which this root cannot generate (no locales package): update-locale fails,
  // cloud-config.service fails, and systemd in the container then hung stopping it (one run in
  // three on the shared machine).
  write(staging, "etc/default/locale", "LANG=C.UTF-8\n");
  fs.rmSync(path.join(staging, "etc/machine-id"), { force: true });
  fs.writeFileSync(path.join(staging, "etc/machine-id"), "");
  fs.writeFileSync(path.join(staging, MARKER), new Date().toISOString() + "\n");
}
