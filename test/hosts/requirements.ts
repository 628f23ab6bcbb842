/**
 * What real test hosts need on the machine running the tests. In CI (BLUEPRINTS_CI=1) a missing
 * piece fails the suite with the fix; elsewhere the suite is skipped after saying why.
 */
import { spawnSync } from "node:child_process";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

const TOOLS: Array<[string, string]> = [
  ["debootstrap", "debootstrap"],
  ["systemd-nspawn", "systemd-container"],
  ["ssh", "openssh-client"],
  ["ssh-keygen", "openssh-client"],
  ["ip", "iproute2"],
  ["nsenter", "util-linux"],
  ["flock", "util-linux"],
];

/** Returns what is missing for test hosts on this machine (empty when everything is there). */
export function missingForTestHosts(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root privileges (network namespaces, mounts, systemd-nspawn)");
  for (const [tool, pkg] of TOOLS) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) missing.push(`${tool} (apt-get install ${pkg})`);
  }
  return missing;
}

/**
 * Call first in a suite's before(): fails in CI, skips elsewhere, when test hosts cannot run.
 * Usage: `before(function () { requireTestHosts(this); })`.
 */
export function requireTestHosts(context: Mocha.Context): void {
  const missing = missingForTestHosts();
  if (missing.length === 0) return;
  const message = `test hosts (systemd-nspawn guests) cannot run here; missing: ${missing.join(", ")}`;
  unavailableHere(context, message);
}
