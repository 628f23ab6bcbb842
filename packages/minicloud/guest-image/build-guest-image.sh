#!/usr/bin/env bash
# Builds the Debian guest image minicloud boots through Nova (libvirt, QEMU TCG), from Debian's
# packages only (this kind of machine reaches Debian's mirrors and nothing else):
#   root.qcow2   ext4 on the whole disk (no partition table, no bootloader)
#   vmlinuz      the kernel  } uploaded to Glance as aki / ari; the root image gets kernel_id,
#   initrd.img   its initrd  } ramdisk_id and os_command_line (direct kernel boot)
#   manifest.json  sizes, sha256, kernel version, command line, the Glance properties to set
# into /var/cache/openstack-blueprints/guest-image/<key>/, <key> a hash of this script, the
# package list and the suite: a changed recipe rebuilds, the same recipe is a no-op.
#
#   build-guest-image.sh              build if missing; prints the folder
#   build-guest-image.sh --print-dir  prints the folder if built, else exits 1
#   build-guest-image.sh --variant desktop [--print-dir]
#       the same image plus the packages of packages-desktop.txt (what a thin-client desktop
#       installs at first boot: guests have no internet), apt-installed into the root without
#       recommends; cached apart, in guest-image-desktop/<key>, its key covering both lists.
#
# Runs as root (debootstrap, chroot); needs debootstrap, qemu-utils (qemu-img), e2fsprogs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite=${GUEST_IMAGE_SUITE:-bookworm}
variant=""
print_dir=0
while [ $# -gt 0 ]; do
  case $1 in
    --print-dir) print_dir=1 ;;
    --variant)
      variant=${2:-}
      shift
      ;;
    *)
      echo "build-guest-image: unknown argument '$1' (use --variant NAME, --print-dir)" >&2
      exit 2
      ;;
  esac
  shift
done
variant_packages=""
if [ -n "$variant" ]; then
  if [ ! -f "$here/packages-$variant.txt" ]; then
    echo "build-guest-image: no variant '$variant' (no $here/packages-$variant.txt)" >&2
    exit 2
  fi
  variant_packages=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/packages-$variant.txt" | paste -sd' ' -)
fi
# Each variant has its own folder: "only the current recipe is kept" (below) prunes one variant's
# older builds, never another variant's.
cache_root=${BLUEPRINTS_CACHE_DIR:-/var/cache/openstack-blueprints}/guest-image${variant:+-$variant}
# Nova uses it as the guest's kernel command line (image property os_command_line): the root
# file system is the whole first virtio disk; the serial console is what `nova console-log` shows.
cmdline="root=/dev/vda console=ttyS0"

packages=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/packages.txt" | paste -sd, -)
key=$(
  {
    cat "${BASH_SOURCE[0]}"
    echo "$packages"
    echo "$suite"
    [ -z "$variant" ] || echo "$variant: $variant_packages"
  } | sha256sum | cut -c1-16
)
dest=$cache_root/$key
if [ -f "$dest/manifest.json" ]; then
  echo "$dest"
  exit 0
fi
if [ "$print_dir" = 1 ]; then
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "build-guest-image: run as root (debootstrap and chroot need it)" >&2
  exit 1
fi
for tool in debootstrap qemu-img mkfs.ext4 python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "build-guest-image: $tool is missing: apt-get install -y --no-install-recommends" \
      "debootstrap qemu-utils e2fsprogs python3" >&2
    exit 1
  fi
done

# The Debian mirror this machine already uses (deb822 "URIs:" or one-line "deb" entries); the
# security and updates archives are not the main archive debootstrap needs.
mirror=${GUEST_IMAGE_MIRROR:-$(
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
    sed -n -e 's/^URIs:[[:space:]]*//p' -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p' |
    tr ' ' '\n' | { grep -v -e security -e '^$' || true; } | head -n 1
)}
mirror=${mirror:-http://deb.debian.org/debian}

started=$SECONDS
phase_started=$SECONDS
phase() {
  echo "build-guest-image: $1 took $((SECONDS - phase_started)) s (total $((SECONDS - started)) s)" >&2
  phase_started=$SECONDS
}

mkdir -p "$cache_root"
# Half-built trees of a run killed more than two hours ago (a running build is younger).
find "$cache_root" -mindepth 1 -maxdepth 1 -name '.build.*' -mmin +120 -exec rm -rf --one-file-system {} +
# Same file system as the cache, so the final rename is atomic; removed on any exit.
work=$(mktemp -d "$cache_root/.build.XXXXXX")
root=$work/root
cleanup() {
  # debootstrap mounts /proc and /sys inside the target; never rm -rf through a mount.
  for m in "$root/proc" "$root/sys" "$root/dev/pts" "$root/dev"; do
    if mountpoint -q "$m" 2>/dev/null; then umount -l "$m" || true; fi
  done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

echo "build-guest-image: building $dest ($suite from $mirror)" >&2
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 40 "$work/debootstrap.log" >&2
  [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 40 "$root/debootstrap/debootstrap.log" >&2
  exit 1
}
phase "debootstrap"

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# --- a variant's packages: apt in the root (debootstrap's --include resolves no virtual
# packages, which a desktop's dependencies use), no recommends, no service started ---
if [ -n "$variant_packages" ]; then
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  mount -t proc proc "$root/proc"
  if ! in_root sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends $variant_packages" >"$work/apt.log" 2>&1; then
    tail -n 40 "$work/apt.log" >&2
    exit 1
  fi
  umount "$root/proc"
  rm -f "$root/usr/sbin/policy-rc.d"
  phase "$variant packages ($(grep -c '^Setting up ' "$work/apt.log" || true) set up)"
fi

# --- configuration: everything per-guest is left to cloud-init at first boot ---
cat >"$root/etc/fstab" <<'EOF'
/dev/vda / ext4 defaults,errors=remount-ro 0 1
EOF
cat >"$root/etc/network/interfaces" <<'EOF'
# cloud-init writes lo and the NICs (DHCP on the first one unless the datasource says
# otherwise) into interfaces.d/50-cloud-init before networking.service starts.
source /etc/network/interfaces.d/*
EOF
mkdir -p "$root/etc/network/interfaces.d"
# Which datasources to look for: NoCloud (seed disk labelled cidata), a Nova config drive, the
# Nova metadata service; None last so a guest without any still boots and is reachable.
cat >"$root/etc/cloud/cloud.cfg.d/90-openstack-blueprints.cfg" <<'EOF'
datasource_list: [ NoCloud, ConfigDrive, OpenStack, None ]
EOF
# sshd: keys only (cloud-init's ssh_authorized_keys / users[].ssh_authorized_keys), no reverse DNS
# (a guest on a test network has no resolver that answers quickly).
cat >"$root/etc/ssh/sshd_config.d/10-openstack-blueprints.conf" <<'EOF'
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
UseDNS no
EOF
# Host keys are made per guest: removed here; cloud-init's ssh module generates them (and prints
# their fingerprints on the console). sshd waits for it; ssh-keygen -A covers a boot where
# cloud-init found no datasource and did not run (it only creates the missing keys). It must
# come before Debian's `sshd -t`, which fails without host keys: the list is reset and refilled.
rm -f "$root"/etc/ssh/ssh_host_*
mkdir -p "$root/etc/systemd/system/ssh.service.d"
cat >"$root/etc/systemd/system/ssh.service.d/10-after-cloud-init.conf" <<'EOF'
[Unit]
After=cloud-init.service
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
EOF
# cloud-init's locale module would otherwise run locale-gen at every first boot (slow under TCG).
sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' "$root/etc/locale.gen"
in_root locale-gen >/dev/null
echo 'LANG=en_US.UTF-8' >"$root/etc/default/locale"
# Per-guest identity: machine-id made at first boot, hostname from the datasource, the host's
# resolver not copied in.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/etc/hostname" "$root/etc/resolv.conf"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# No password for anyone: root stays locked, the default user (debian) gets keys from cloud-init.
in_root passwd -l root >/dev/null

# --- smaller: no documentation, no package caches ---
cat >"$root/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/*
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
in_root apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old \
  "$root"/var/log/apt/* "$root/debootstrap" "$root"/tmp/* "$root"/var/tmp/*
# Logs emptied, not removed: a package's log file keeps the owner its daemon writes as (xrdp runs
# as user xrdp and cannot create /var/log/xrdp.log itself: it refuses to start without it).
find "$root/var/log" -maxdepth 1 -name '*.log' -type f -exec truncate -s 0 {} +

kernel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sort -V | tail -n 1)
kernel_version=${kernel#vmlinuz-}
if [ -z "$kernel_version" ] || [ ! -f "$root/boot/initrd.img-$kernel_version" ]; then
  echo "build-guest-image: no kernel/initrd in $root/boot (linux-image-cloud-amd64 and initramfs-tools installed?)" >&2
  exit 1
fi
mkdir -p "$work/out"
cp "$root/boot/vmlinuz-$kernel_version" "$work/out/vmlinuz"
cp "$root/boot/initrd.img-$kernel_version" "$work/out/initrd.img"
phase "configuration"

# --- the disk: ext4 on the whole disk, filled from the folder (mkfs -d: no loop device, no mount) ---
used_mib=$(du -sm --apparent-size "$root" | cut -f1)
# Room for a first boot (logs, cloud-init's state, apt lists if the user updates); Nova grows
# the disk to the flavor's size and cloud-init's resizefs grows the file system.
size_mib=$((used_mib * 11 / 10 + 160))
truncate -s "${size_mib}M" "$work/root.raw"
mkfs.ext4 -q -F -L cloudimg-rootfs -m 1 -d "$root" "$work/root.raw"
phase "ext4 (${size_mib} MiB, ${used_mib} MiB of files)"
qemu-img convert -f raw -O qcow2 "$work/root.raw" "$work/out/root.qcow2"
rm -f "$work/root.raw"
phase "qcow2"

python3 - "$work/out" "$kernel_version" "$cmdline" "$suite" "$key" "$size_mib" "$packages" "$variant" "$variant_packages" <<'EOF'
import hashlib, json, os, sys
out, kernel_version, cmdline, suite, key, size_mib, packages, variant, variant_packages = sys.argv[1:]
def describe(name):
    path = os.path.join(out, name)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return {"file": name, "bytes": os.path.getsize(path), "sha256": digest.hexdigest()}
manifest = {
    "key": key,
    "distribution": f"Debian {suite}",
    "packages": packages.split(","),
    "variant": variant or None,
    "variantPackages": variant_packages.split(),
    "kernelVersion": kernel_version,
    "cmdline": cmdline,
    "rootVirtualSizeBytes": int(size_mib) * 1024 * 1024,
    "root": describe("root.qcow2"),
    "kernel": describe("vmlinuz"),
    "ramdisk": describe("initrd.img"),
    # Set on upload (kernel_id / ramdisk_id: the ids Glance gives vmlinuz and initrd.img).
    "glance": {
        "kernel": {"disk_format": "aki", "container_format": "aki"},
        "ramdisk": {"disk_format": "ari", "container_format": "ari"},
        "root": {
            "disk_format": "qcow2",
            "container_format": "bare",
            "properties": {
                "kernel_id": "<id of vmlinuz>",
                "ramdisk_id": "<id of initrd.img>",
                "os_command_line": cmdline,
                "hw_disk_bus": "virtio",
                "hw_vif_model": "virtio",
                "architecture": "x86_64",
                "os_distro": "debian",
                "os_version": "12" if suite == "bookworm" else suite,
            },
        },
    },
}
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
EOF

# Only the current recipe's image is kept.
find "$cache_root" -mindepth 1 -maxdepth 1 -type d ! -name '.build.*' ! -name "$key" -exec rm -rf --one-file-system {} +
rm -rf "$dest"
mv "$work/out" "$dest"
phase "manifest"
echo "build-guest-image: $dest ready after $((SECONDS - started)) s" >&2
echo "$dest"
