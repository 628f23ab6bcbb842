/**
 * Block storage: Cinder's NFS volume driver on a share that is a directory of this host.
 *
 * Cinder's NFS driver keeps each volume as a file (raw, sparse) on an NFS share it mounts
 * under its own mount point base; Nova's libvirt NFS volume driver mounts the same share on
 * the compute host and hands the file to QEMU as the guest's disk. Both mount it with
 * `mount -t nfs [-o OPTIONS] 127.0.0.1:<dir> <mountpoint>` (Cinder directly: it runs as root,
 * so oslo's execute skips its root helper; Nova from its privsep daemon). This kind of machine has no NFS client in its kernel (no
 * `nfs` in /proc/filesystems, no modules to load), so minicloud puts a `mount` in front of the
 * real one, on the PATH of exactly those two callers, that turns a mount of *this one share*
 * into a bind mount of its directory and passes every other mount through unchanged. What an
 * NFS server would add across hosts (the network hop, locking, another machine's disk) is not
 * here; everything else — the volume files, their sizes, Nova's mount/unmount bookkeeping and
 * the disk QEMU reads and writes — is the real drivers' own work.
 */
import * as fs from "fs";
import * as path from "path";
import { commandSucceeds } from "./exec";
import { CINDER_SHARE_HOST, Layout } from "./layout";

export interface StoragePaths {
  /** The directory the share stands for: every volume's file lives here. */
  exportDir: string;
  /** The share as Cinder's nfs_shares_config names it (`host:/dir`). */
  share: string;
  /** Where cinder-volume mounts the share (nfs_mount_point_base). */
  cinderMountBase: string;
  /** Where the guests host's nova-compute mounts it ([libvirt] nfs_mount_point_base). */
  novaMountBase: string;
  /** The directory with the `mount` wrapper and `mount.nfs`, first on the PATH of the two callers. */
  binDir: string;
}

export function storagePaths(layout: Layout): StoragePaths {
  const exportDir = path.join(layout.stateDir, "cinder", "volumes");
  return {
    exportDir,
    share: `${CINDER_SHARE_HOST}:${exportDir}`,
    cinderMountBase: path.join(layout.stateDir, "cinder", "mnt"),
    novaMountBase: path.join(layout.stateDir, "nova-guests", "mnt"),
    binDir: path.join(layout.configDir, "storage", "bin"),
  };
}

/** PATH for the processes that mount the share: the wrapper first, then the usual system dirs. */
export function storagePath(layout: Layout): string {
  return [
    storagePaths(layout).binDir,
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
  ].join(":");
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `mount` wrapper (POSIX sh). `mount -t nfs|nfs4 [-o OPTS] <share> <mountpoint>` for our
 * share becomes `mount --bind <exportDir> <mountpoint>` (the NFS options mean nothing to a
 * bind mount and are dropped); any other NFS share is refused with mount's own exit code for
 * a failed mount (32), and every other invocation runs the real mount unchanged.
 */
export function mountWrapperSh(paths: StoragePaths): string {
  return [
    "#!/bin/sh",
    "# minicloud: this kernel has no NFS client. Cinder's NFS volume driver and Nova's libvirt",
    "# NFS volume driver mount minicloud's one share, a directory of this host, with",
    "#   mount -t nfs [-o OPTIONS] SHARE MOUNTPOINT",
    "# which becomes a bind mount of that directory. Anything else goes to the real mount.",
    "set -eu",
    "REAL_MOUNT=/usr/bin/mount",
    `SHARE=${shQuote(paths.share)}`,
    `EXPORT_DIR=${shQuote(paths.exportDir)}`,
    'fstype=""',
    'source=""',
    'target=""',
    "extra=0",
    'for arg in "$@"; do',
    '  case "${want:-}" in',
    '    type) fstype="$arg"; want=""; continue ;;',
    '    opts) want=""; continue ;;',
    "  esac",
    '  case "$arg" in',
    '    -t) want="type" ;;',
    '    -o) want="opts" ;;',
    '    -t*) fstype="${arg#-t}" ;;',
    "    -*) extra=1 ;;",
    "    *)",
    '      if [ -z "$source" ]; then source="$arg"',
    '      elif [ -z "$target" ]; then target="$arg"',
    "      else extra=1",
    "      fi",
    "      ;;",
    "  esac",
    "done",
    'case "$fstype" in',
    "  nfs | nfs4) ;;",
    '  *) exec "$REAL_MOUNT" "$@" ;;',
    "esac",
    'if [ "$source" != "$SHARE" ] || [ -z "$target" ] || [ "$extra" -ne 0 ]; then',
    '  echo "mount: minicloud has no NFS client; only its own share $SHARE can be mounted (asked: $*)" >&2',
    "  exit 32",
    "fi",
    'exec "$REAL_MOUNT" --bind "$EXPORT_DIR" "$target"',
    "",
  ].join("\n");
}

/**
 * `mount.nfs`, which Cinder's NFS driver runs once at start-up (no arguments) to check that an
 * NFS client is installed. Called as mount(8) would call it (`mount.nfs SHARE DIR [-o OPTS]`),
 * it hands over to the wrapper.
 */
export function mountNfsSh(paths: StoragePaths): string {
  return [
    "#!/bin/sh",
    "# minicloud: stands in for nfs-common's mount.nfs (see the mount wrapper beside it).",
    "set -eu",
    'if [ "$#" -lt 2 ]; then',
    '  echo "usage: mount.nfs remotetarget dir [-o nfsoptions] (minicloud: a bind mount of its one share)" >&2',
    "  exit 1",
    "fi",
    `exec ${shQuote(path.join(paths.binDir, "mount"))} -t nfs "$@"`,
    "",
  ].join("\n");
}

/** One line per share (Cinder's nfs_shares_config). */
export function nfsSharesConf(layout: Layout): string {
  return `${storagePaths(layout).share}\n`;
}

/** Mount points listed in /proc/self/mountinfo (octal escapes decoded). */
export function mountPoints(): string[] {
  let text: string;
  try {
    text = fs.readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** Mounts at or below one of the bases, deepest first. */
export function mountsUnder(bases: string[], all: string[] = mountPoints()): string[] {
  return all
    .filter((m) => bases.some((b) => m === b || m.startsWith(b.endsWith("/") ? b : `${b}/`)))
    .sort((a, b) => b.length - a.length);
}

function sameDirectory(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/**
 * Unmounts what the share's mounts left under our mount point bases. `all`: every one (for
 * `down`, after the guests and the daemons are stopped). Otherwise only stale ones (for `up`):
 * a mount that no longer shows the share's directory (the state was removed and made again
 * while it stayed mounted) would hand Cinder or Nova an empty, unrelated directory.
 */
export function unmountShares(layout: Layout, log: (m: string) => void, all: boolean): string[] {
  const p = storagePaths(layout);
  const done: string[] = [];
  for (const m of mountsUnder([p.cinderMountBase, p.novaMountBase])) {
    if (!all && sameDirectory(m, p.exportDir)) continue;
    // Lazy only for a stale mount: nothing of ours can use it any more.
    if (commandSucceeds(["umount", m]) || (!all && commandSucceeds(["umount", "-l", m]))) {
      done.push(m);
      try {
        fs.rmdirSync(m);
      } catch {
        /* not empty or gone: leave it */
      }
    } else {
      log(`could not unmount ${m} (in use?); left mounted`);
    }
  }
  if (done.length) log(`unmounted ${done.length} volume share mount(s): ${done.join(" ")}`);
  return done;
}
