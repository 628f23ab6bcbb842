/**
 * Debian packages minicloud needs. It installs the Python libraries and the `*-common` packages
 * (which carry the `*-manage` tools, paste and rootwrap files) rather than the daemon packages
 * (`nova-compute`, `keystone`, `glance-api`, ...): those ship init scripts their postinst may
 * start with stock configuration, and `nova-compute` pulls in libvirt and QEMU, which the fake
 * driver does not use. minicloud starts every daemon itself from the same Python modules.
 */
import { run } from "./exec";

export const PACKAGES = [
  "mariadb-server",
  "python3-pymysql",
  "rabbitmq-server",
  "uwsgi-core",
  "uwsgi-plugin-python3",
  "python3-keystone",
  "python3-glance",
  "glance-common",
  "python3-placement",
  "python3-nova",
  "nova-common",
  "python3-neutron",
  "neutron-common",
  // Cinder (API, scheduler, volume with the NFS driver); qemu-img inspects its volume files.
  "python3-cinder",
  "cinder-common",
  "qemu-utils",
  "bridge-utils",
  "ebtables",
  "iproute2",
  "sudo",
] as const;

export function missingPackages(packages: readonly string[] = PACKAGES): string[] {
  const out = run(["dpkg-query", "-W", "-f=${Package} ${Status}\\n", ...packages], { okCodes: [1] });
  const installed = new Set(
    out
      .split("\n")
      .filter((l) => l.endsWith(" install ok installed"))
      .map((l) => l.split(" ")[0]),
  );
  return packages.filter((p) => !installed.has(p));
}

/** Installs what is missing; returns the names installed (empty when nothing was to do). */
export function ensurePackages(log: (msg: string) => void, extra: readonly string[] = []): string[] {
  const missing = missingPackages([...PACKAGES, ...extra]);
  if (missing.length === 0) return [];
  log(`installing ${missing.length} Debian packages: ${missing.join(" ")}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const apt = ["apt-get", "-o", "DPkg::Lock::Timeout=600"];
  try {
    run([...apt, "install", "-y", "-q", "--no-install-recommends", ...missing], { env });
  } catch {
    // Package lists may be stale or absent on a fresh machine: refresh once, then retry.
    run([...apt, "update", "-q"], { env });
    run([...apt, "install", "-y", "-q", "--no-install-recommends", ...missing], { env });
  }
  return missing;
}
