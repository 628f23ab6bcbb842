/**
 * Debian root filesystems for test guests, built once and cached on disk.
 *
 * Two layers, so that different package sets share one debootstrap (~35-50 s):
 *  - base: `debootstrap --variant=minbase` of the suite with systemd, dbus, sshd and iproute2;
 *  - derived: a copy of the base with the caller's extra packages installed by apt, run inside
 *    `systemd-nspawn` (it mounts /proc, /dev and copies resolv.conf for us).
 * Each layer lives in `<cacheRoot>/rootfs/<key>/root`, where key is a hash of what went into it,
 * and is complete only when `<key>/manifest.json` exists. Builds hold an flock on
 * `<cacheRoot>/rootfs/<key>.lock`, so concurrent test processes build a layer once and the others
 * wait for it. Downloaded .debs are kept in `<cacheRoot>/debs` for the next build.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { bash, run } from "./process";

/** Bump when the build recipe of a layer changes, so stale caches are not reused. */
const RECIPE_VERSION = "3";
const DERIVED_RECIPE_VERSION = "4";

export const DEFAULT_CACHE_ROOT = process.env.BLUEPRINTS_TESTHOSTS_CACHE ?? "/var/cache/openstack-blueprints";
export const DEFAULT_MIRROR = "http://deb.debian.org/debian";

/** What every guest needs: systemd as init, a system bus, sshd for the SSH tests, `ip`. */
export const BASE_PACKAGES = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "openssh-server",
  "iproute2",
  "procps",
  "ca-certificates",
];

/**
 * Packages that make a guest behave like a Debian cloud image under cloud-init: cloud-init itself,
 * `locales` (cloud-init's locale module runs update-locale/locale-gen and errors without it),
 * sudo (default-user and `sudo:` entries), netbase.
 */
export const CLOUD_GUEST_PACKAGES = ["cloud-init", "locales", "sudo", "netbase"];

const SUITES = ["bookworm"];
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

export interface RootfsSpec {
  /** A label for logs and the manifest (the cache key does not depend on it). */
  name: string;
  /** Packages to install on top of BASE_PACKAGES (e.g. "cloud-init", "xrdp"). */
  packages?: string[];
  /** Debian suite; only "bookworm" is supported (the CI machine's own release). */
  suite?: string;
  cacheRoot?: string;
  mirror?: string;
}

export interface Rootfs {
  name: string;
  /** Cache key (directory name under <cacheRoot>/rootfs). */
  key: string;
  /**
   * The root directory; treat it as read-only, guests get an overlay or a copy of it. For a
   * layered capture this is only its top layer (the captured changes): read files through a guest.
   */
  dir: string;
  /** Overlay lower layers, top first (a built layer: [dir]; a capture: [changes, ...its source's layers]). */
  layers: string[];
  suite: string;
  packages: string[];
  /** Seconds the build took (0 when it came from the cache). */
  buildSeconds: number;
  /** True for roots made by captureRootfs; those are removed with remove(). */
  captured: boolean;
}

interface Manifest {
  name: string;
  key: string;
  suite: string;
  packages: string[];
  builtAt: string;
  buildSeconds: number;
  captured?: boolean;
  /** Layer directories, top first, for layered captures. */
  layers?: string[];
}

function sha(parts: string[]): string {
  return createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 16);
}

function validateSpec(spec: RootfsSpec): { suite: string; packages: string[] } {
  const suite = spec.suite ?? "bookworm";
  if (!SUITES.includes(suite)) {
    throw new Error(`buildRootfs(${spec.name}): suite "${suite}" is not supported; use one of ${SUITES.join(", ")}`);
  }
  const packages = [...new Set(spec.packages ?? [])].sort();
  for (const pkg of packages) {
    if (!PACKAGE_NAME.test(pkg)) {
      throw new Error(
        `buildRootfs(${spec.name}): "${pkg}" is not a Debian package name (lowercase letters, digits, + - .)`,
      );
    }
  }
  return { suite, packages };
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}

function toRootfs(layerDir: string, manifest: Manifest, fresh: boolean): Rootfs {
  return {
    name: manifest.name,
    key: manifest.key,
    dir: manifest.layers ? manifest.layers[0] : path.join(layerDir, "root"),
    layers: manifest.layers ?? [path.join(layerDir, "root")],
    suite: manifest.suite,
    packages: manifest.packages,
    buildSeconds: fresh ? manifest.buildSeconds : 0,
    captured: manifest.captured ?? false,
  };
}

/**
 * The build script, run under `flock`. It checks the manifest again after taking the lock (another
 * process may have finished the layer meanwhile), builds into a temporary directory and renames it
 * into place, so a killed build never leaves a half layer that looks complete.
 * Arguments: MODE(base|derived) LAYER_DIR DEBS_DIR SUITE MIRROR BASE_ROOT MANIFEST_JSON PACKAGES...
 */
export const BUILD_ROOTFS_SCRIPT = `#!/usr/bin/env bash
# Builds one cached root filesystem layer for test guests (see test/hosts/rootfs.ts).
set -euo pipefail
mode=$1 layer=$2 debs=$3 suite=$4 mirror=$5 base_root=$6 manifest=$7
shift 7
if [ -f "$layer/manifest.json" ]; then exit 0; fi
tmp="$layer.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp" "$debs/partial"
trap 'rm -rf "$tmp"' EXIT
if [ "$mode" = base ]; then
  include=$(IFS=,; echo "$*")
  debootstrap --variant=minbase --include="$include" --cache-dir="$debs" "$suite" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 \\
    || { tail -n 30 "$tmp/debootstrap.log" >&2; exit 1; }
else
  cp -a "$base_root" "$tmp/root"
  # apt inside nspawn: the host's network and resolv.conf, the shared .deb cache bound in.
  systemd-nspawn --quiet --register=no --keep-unit --pipe -D "$tmp/root" \\
    --bind="$debs:/var/cache/apt/archives" \\
    --setenv=DEBIAN_FRONTEND=noninteractive \\
    /bin/sh -c 'apt-get -q update && apt-get -q -y -o DPkg::Lock::Timeout=600 install --no-install-recommends "$@"
      # With locales installed, behave like a configured cloud image: en_US.UTF-8 generated,
      # C.UTF-8 as the system locale (the cloud-init locale module errors on an unset one).
      if [ -x /usr/sbin/locale-gen ]; then
        sed -i "s/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/" /etc/locale.gen && locale-gen && echo LANG=C.UTF-8 >/etc/default/locale
      fi' sh "$@" \\
    >"$tmp/apt.log" 2>&1 || { tail -n 30 "$tmp/apt.log" >&2; exit 1; }
fi
root="$tmp/root"
# Make the tree neutral, so each guest gets its own identity at start: an empty machine-id
# (systemd then creates one per boot), no sshd host keys, no apt lists or caches.
: >"$root/etc/machine-id"
rm -f "$root"/etc/ssh/ssh_host_*
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -delete
rm -f "$root/etc/hostname"
printf '%s\\n' "$manifest" >"$tmp/manifest.json"
rm -rf "$layer"
mv "$tmp" "$layer"
trap - EXIT
`;

async function buildLayer(
  cacheRoot: string,
  mode: "base" | "derived",
  manifest: Manifest,
  args: { suite: string; mirror: string; baseRoot: string; packages: string[] },
): Promise<Rootfs> {
  const rootfsDir = path.join(cacheRoot, "rootfs");
  const layerDir = path.join(rootfsDir, manifest.key);
  const existing = readManifest(layerDir);
  if (existing) return toRootfs(layerDir, existing, false);
  fs.mkdirSync(rootfsDir, { recursive: true });
  const started = Date.now();
  const lock = `${layerDir}.lock`;
  const debs = path.join(cacheRoot, "debs");
  // flock -w: a waiting process gives up after an hour rather than hanging CI forever.
  await run(
    [
      "flock",
      "-w",
      "3600",
      lock,
      "bash",
      "-c",
      BUILD_ROOTFS_SCRIPT,
      "build-rootfs",
      mode,
      layerDir,
      debs,
      args.suite,
      args.mirror,
      args.baseRoot,
      JSON.stringify(manifest),
      ...args.packages,
    ],
    {
      timeoutMs: 3_600_000,
    },
  );
  const built = readManifest(layerDir);
  if (!built) throw new Error(`rootfs layer ${layerDir} has no manifest after its build`);
  const seconds = (Date.now() - started) / 1000;
  return { ...toRootfs(layerDir, built, true), buildSeconds: seconds };
}

/**
 * Returns a cached root filesystem with systemd, sshd and the given packages, building it (once,
 * across processes) when it is missing. Needs root, debootstrap and systemd-nspawn.
 */
export async function buildRootfs(spec: RootfsSpec): Promise<Rootfs> {
  const { suite, packages } = validateSpec(spec);
  const cacheRoot = spec.cacheRoot ?? DEFAULT_CACHE_ROOT;
  const mirror = spec.mirror ?? DEFAULT_MIRROR;
  const baseKey = `base-${suite}-${sha([RECIPE_VERSION, suite, mirror, ...BASE_PACKAGES])}`;
  const baseStarted = Date.now();
  const base = await buildLayer(
    cacheRoot,
    "base",
    {
      name: `base-${suite}`,
      key: baseKey,
      suite,
      packages: BASE_PACKAGES,
      builtAt: new Date().toISOString(),
      buildSeconds: 0,
    },
    { suite, mirror, baseRoot: "", packages: BASE_PACKAGES },
  );
  const extra = packages.filter((p) => !BASE_PACKAGES.includes(p));
  if (extra.length === 0) return { ...base, name: spec.name };
  const key = `pkgs-${suite}-${sha([DERIVED_RECIPE_VERSION, baseKey, ...extra])}`;
  const derived = await buildLayer(
    cacheRoot,
    "derived",
    {
      name: spec.name,
      key,
      suite,
      packages: [...BASE_PACKAGES, ...extra],
      builtAt: new Date().toISOString(),
      buildSeconds: 0,
    },
    { suite, mirror, baseRoot: base.dir, packages: extra },
  );
  const total = derived.buildSeconds > 0 || base.buildSeconds > 0 ? (Date.now() - baseStarted) / 1000 : 0;
  return { ...derived, buildSeconds: total };
}

/** Writes the manifest of a freshly filled layer directory (used by captureRootfs). */
export function writeCapturedManifest(
  layerDir: string,
  name: string,
  key: string,
  source: Rootfs,
  seconds: number,
  layers?: string[],
): Rootfs {
  const manifest: Manifest = {
    name,
    key,
    suite: source.suite,
    packages: source.packages,
    builtAt: new Date().toISOString(),
    buildSeconds: seconds,
    captured: true,
    layers,
  };
  fs.writeFileSync(path.join(layerDir, "manifest.json"), `${JSON.stringify(manifest)}\n`);
  return toRootfs(layerDir, manifest, true);
}

export function capturedLayerDir(cacheRoot: string, name: string): { key: string; dir: string } {
  const key = `captured-${name.replace(/[^A-Za-z0-9_.-]/g, "_")}-${randomBytes(4).toString("hex")}`;
  return { key, dir: path.join(cacheRoot, "rootfs", key) };
}

/**
 * True when `relative` exists in some layer of the rootfs (a quick check for "is X installed";
 * it does not evaluate whiteouts).
 */
export function rootfsHas(rootfs: Rootfs, relative: string): boolean {
  return rootfs.layers.some((layer) => fs.existsSync(path.join(layer, relative)));
}

/**
 * Deletes a captured root filesystem (cached build layers are kept; they are shared). Remove
 * captures in reverse order when one was taken from a guest booted from another.
 */
export async function removeRootfs(rootfs: Rootfs): Promise<void> {
  if (!rootfs.captured)
    throw new Error(`removeRootfs: ${rootfs.key} is a shared cached layer; only captured roots are removed`);
  await bash(`rm -rf -- "$1"`, { args: [path.dirname(rootfs.layers[0])] });
}
