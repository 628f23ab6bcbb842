/**
 * The pure plan of an xrdp desktop image bake (XrdpDesktopImage): the builder's user data, the package-set
 * hash that names the image and decides re-bakes, and the image's Glance properties.
 *
 * The builder's user data is the desktop **stack** part of the desktop user data
 * (`desktopStackCloudConfig`, the same function the cloud-init-built desktops use, so the two
 * paths cannot drift) plus a finishing script. It carries no per-employee data and no secrets.
 * The finishing script checks the result, clears the machine id (every desktop booted from the
 * image must get its own) and prints a marker line to the console, which the baker reads through
 * Nova's os-getConsoleOutput: no SSH to the builder is needed.
 */
import { createHash } from "node:crypto";
import { CloudConfig, renderCloudConfig } from "../cloudinit/cloud-config";
import { renderRemoteScript, shellQuote } from "../scripts/remote-script";
import {
  DESKTOP_BASE_PACKAGES,
  DESKTOP_SETUP_SCRIPT_PATH,
  DesktopStackOptions,
  desktopPackages,
  desktopStackCloudConfig,
} from "../desktop/desktop-user-data";

/** Where the bake user data installs its finishing script. */
export const BAKE_FINISH_SCRIPT_PATH = "/usr/local/sbin/blueprints-bake-finish";
/** Console line printed when the bake succeeded: `BLUEPRINTS-BAKE-OK <hash>`. */
export const BAKE_OK_MARKER = "BLUEPRINTS-BAKE-OK";
/** Console line printed when the bake failed: `BLUEPRINTS-BAKE-FAILED <hash>: <reason>`. */
export const BAKE_FAILED_MARKER = "BLUEPRINTS-BAKE-FAILED";
/** Glance keeps property values up to 255 characters. */
const GLANCE_PROPERTY_MAX = 255;

export interface BakePlanOptions {
  /**
   * What the image is baked from, as a stable identity: the base image's ID, or the URL it is
   * uploaded from (plus its checksum if known). A different value means a different image.
   */
  baseImage: string;
  /** Glance os_distro of the result (e.g. "debian", "ubuntu"). */
  osDistro: string;
  /** Glance os_version of the result (e.g. "12"); optional. */
  osVersion?: string;
  /** Prefix of the image name; the name ends with the first 12 hex digits of the hash. */
  namePrefix: string;
  /** The desktop stack: the same options the pool uses (installPackages is forced to true). */
  stack?: DesktopStackOptions;
}

export interface BakePlan {
  /** sha256 hex of everything that decides the image's content. */
  packageHash: string;
  /** The image's name: `<namePrefix>-<hash[0..12]>`. */
  imageName: string;
  /** The builder's #cloud-config user data (no secrets). */
  userData: string;
  /** The parsed document, for inspection and tests. */
  cloudConfig: CloudConfig;
  /** Every package the image contains on top of the base image. */
  packages: string[];
  /** Glance properties of the baked image. */
  properties: Record<string, string>;
}

/** An image name prefix: 1-101 letters, digits, '.', '_' or '-', starting with a letter or digit. */
export const BAKE_NAME_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;
/** A Glance os_distro value in lower case, e.g. "debian". */
export const BAKE_OS_DISTRO = /^[a-z][a-z0-9._-]{0,30}$/;
/** A short Glance os_version such as "12" or "24.04". */
export const BAKE_OS_VERSION = /^[A-Za-z0-9._-]{1,32}$/;

/** The finishing script: verify, clear the machine id, print the marker (OK or FAILED) to the console. */
export function bakeFinishScript(packageHash: string, packages: string[]): string {
  const body = `
hash=${shellQuote(packageHash)}
# The console is where the baker looks (Nova os-getConsoleOutput); stdout also reaches it through
# cloud-init's output log.
report() {
  printf '%s\\n' "$1"
  { printf '%s\\n' "$1" >/dev/console; } 2>/dev/null || true
}
fail() {
  report "${BAKE_FAILED_MARKER} $hash: $1"
  exit 1
}
${DESKTOP_SETUP_SCRIPT_PATH} || fail "the desktop setup script failed"
for pkg in ${packages.map(shellQuote).join(" ")}; do
  dpkg -s "$pkg" 2>/dev/null | grep -qx 'Status: install ok installed' || fail "package $pkg is not installed"
done
# Every desktop booted from this image must get its own machine id (systemd makes one at first
# boot when the file is empty).
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
sync
report "${BAKE_OK_MARKER} $hash"
`;
  return renderRemoteScript({ description: "finish an xrdp desktop image bake", body });
}

/**
 * The stack options a bake uses: packages always installed, extra packages sorted, without
 * duplicates and without base packages, so equal package sets give equal documents and hashes.
 */
function stackOptionsForBake(stack: DesktopStackOptions | undefined): DesktopStackOptions {
  const base = new Set(DESKTOP_BASE_PACKAGES);
  const extra = [...new Set(stack?.extraPackages ?? [])].filter((p) => !base.has(p)).sort();
  return { ...(stack ?? {}), extraPackages: extra, installPackages: true };
}

/**
 * The hash of the package set: base image, sorted package list, recommends on/off, and the
 * rendered stack definition (setup script, polkit rule, apt settings) and finishing script. It
 * does not depend on names, employees, flavors or networks: those never re-bake.
 */
export function desktopPackageHash(baseImage: string, stack: DesktopStackOptions = {}): string {
  if (!baseImage || !baseImage.trim())
    throw new Error("baseImage must name the base image (its ID, or the URL it is uploaded from)");
  const options = stackOptionsForBake(stack);
  const packages = [...desktopPackages(options)].sort();
  const identity = {
    baseImage: baseImage.trim(),
    packages,
    installRecommends: options.installRecommends ?? true,
    // Rendered documents, so any change to the stack's definition re-bakes.
    stack: renderCloudConfig(desktopStackCloudConfig(options)),
    finish: bakeFinishScript("", packages),
  };
  return createHash("sha256").update(JSON.stringify(identity)).digest("hex");
}

/** The complete bake plan; validates every field before anything is created. */
export function planDesktopBake(options: BakePlanOptions): BakePlan {
  if (!BAKE_NAME_PREFIX.test(options.namePrefix ?? "")) {
    throw new Error(
      `namePrefix "${options.namePrefix}" must be 1-101 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  if (!BAKE_OS_DISTRO.test(options.osDistro ?? "")) {
    throw new Error(
      `osDistro "${options.osDistro}" must be a Glance os_distro value in lower case, e.g. "debian" or "ubuntu"`,
    );
  }
  if (options.osVersion !== undefined && !BAKE_OS_VERSION.test(options.osVersion)) {
    throw new Error(`osVersion "${options.osVersion}" must be a short version like "12" or "24.04"`);
  }
  const stack = stackOptionsForBake(options.stack);
  const packageHash = desktopPackageHash(options.baseImage, stack);
  const packages = desktopPackages(stack);
  const base = desktopStackCloudConfig(stack);
  const cloudConfig: CloudConfig = {
    ...base,
    write_files: [
      ...(base.write_files ?? []),
      {
        path: BAKE_FINISH_SCRIPT_PATH,
        content: bakeFinishScript(packageHash, [...packages].sort()),
        owner: "root:root",
        permissions: "0755",
      },
    ],
    // The finishing script runs the stack's setup script itself, so a failure there is reported.
    runcmd: [[BAKE_FINISH_SCRIPT_PATH]],
  };
  const packageList = [...packages].sort().join(",");
  const properties: Record<string, string> = {
    os_distro: options.osDistro,
    ...(options.osVersion ? { os_version: options.osVersion } : {}),
    desktop: "xrdp",
    blueprints_package_hash: packageHash,
    blueprints_packages:
      packageList.length <= GLANCE_PROPERTY_MAX ? packageList : `${packageList.slice(0, GLANCE_PROPERTY_MAX - 3)}...`,
    blueprints_base_image: options.baseImage.trim().slice(0, GLANCE_PROPERTY_MAX),
    blueprints_rdp_group: stack.rdpGroup ?? "tsusers",
  };
  return {
    packageHash,
    imageName: `${options.namePrefix}-${packageHash.slice(0, 12)}`,
    userData: renderCloudConfig(cloudConfig),
    cloudConfig,
    packages,
    properties,
  };
}

export type BakeConsoleState = { state: "done" } | { state: "failed"; reason: string } | { state: "pending" };

/** Reads a console log for this bake's marker (a marker of another hash does not count). */
export function bakeConsoleState(consoleLog: string, packageHash: string): BakeConsoleState {
  for (const line of consoleLog.split(/\r?\n/)) {
    const text = line.trim();
    if (text === `${BAKE_OK_MARKER} ${packageHash}` || text.endsWith(` ${BAKE_OK_MARKER} ${packageHash}`))
      return { state: "done" };
    const failed = text.indexOf(`${BAKE_FAILED_MARKER} ${packageHash}: `);
    if (failed >= 0)
      return { state: "failed", reason: text.slice(failed + BAKE_FAILED_MARKER.length + packageHash.length + 3) };
  }
  return { state: "pending" };
}
