/**
 * The guest side of ThinClientDesktopPool's `homeVolumes`: each employee's /home lives on a Cinder
 * volume of their own, which outlives the desktop's server (a password rotation, a re-baked image
 * or an extraPackages change replaces the server; the new one boots with the same volume).
 *
 * Two small scripts, both carried inline in the user data (cloud-init runs bootcmd before
 * write_files, so the first cannot be a file the document writes):
 *  - **bootcmd** (cloud-init's init stage, every boot, before the users module makes the employee
 *    and their home): find the volume by its serial (the volume ID: Nova's libvirt driver gives a
 *    volume's ID as the disk's serial, virtio-blk keeps its first 20 characters, and udev links it
 *    as /dev/disk/by-id/virtio-<serial>, or scsi-…<serial> on a SCSI bus), make an ext4 file system
 *    ONLY when the volume is blank, mount it at /home through /etc/fstab (by file system UUID, with
 *    `nofail`), and grow the file system when the volume was extended. A volume that holds anything
 *    (a file system, a partition table, or bytes that are not zeros) is never formatted.
 *  - **runcmd** (after the users module): a new server may give the employee another uid than the
 *    old one did (a re-baked image with one more user); their home is handed back to them.
 *
 * Why not cloud-init's own disk_setup/fs_setup and mounts: fs_setup formats a device whose label
 * or type differ from what the document asks for ("cleared for formatting"), and with
 * `partition: none` it checks nothing at all: one changed setting would wipe every employee's home.
 */
import { CloudConfig } from "../cloudinit/cloud-config";
import { renderRemoteScript } from "../scripts/remote-script";
import { assertLinuxUserName } from "./employees";

/** Label of the file system the guest makes on a blank home volume (ext4 labels: 16 bytes at most). */
export const HOME_VOLUME_LABEL = "blueprints-home";
/** How long the guest waits for the volume's disk to appear (udev, slow TCG boots). */
export const HOME_VOLUME_WAIT_SECONDS = 120;
/** A volume ID: a UUID in Cinder; letters, digits and dashes in general (it becomes a disk serial). */
const VOLUME_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,254}$/;

/**
 * The mount script (bootcmd). Argument: the volume ID. The environment variables
 * BLUEPRINTS_DISK_BY_ID, BLUEPRINTS_HOME_MOUNT and BLUEPRINTS_FSTAB move /dev/disk/by-id, /home and
 * /etc/fstab: only the tests set them (they run it on a loop device, a scratch directory and fstab).
 */
export function homeVolumeMountScript(): string {
  const body = `
volume_id=\${1:-}
[ -n "$volume_id" ] || die "usage: blueprints-home-volume VOLUME_ID"
by_id=\${BLUEPRINTS_DISK_BY_ID:-/dev/disk/by-id}
mount_point=\${BLUEPRINTS_HOME_MOUNT:-/home}
fstab=\${BLUEPRINTS_FSTAB:-/etc/fstab}
wait_seconds=\${BLUEPRINTS_HOME_WAIT_SECONDS:-${HOME_VOLUME_WAIT_SECONDS}}
# virtio-blk gives the guest the first 20 characters of the serial (the volume ID).
serial=\${volume_id:0:20}

# The volume's disk: every by-id link naming the serial (partitions aside), all to one device.
find_device() {
  local link devices=()
  for link in "$by_id"/*"$serial"*; do
    [ -e "$link" ] || continue
    case $link in *-part[0-9]*) continue ;; esac
    devices+=("$(readlink -f "$link")")
  done
  [ "\${#devices[@]}" -gt 0 ] || return 1
  mapfile -t devices < <(printf '%s\\n' "\${devices[@]}" | sort -u)
  if [ "\${#devices[@]}" -ne 1 ]; then
    log "error: more than one disk has serial $serial: \${devices[*]}"
    return 2
  fi
  printf '%s\\n' "\${devices[0]}"
}

changed=0
deadline=$((SECONDS + wait_seconds))
while :; do
  found=0
  device=$(find_device) || found=$?
  [ "$found" -ne 0 ] || break
  [ "$found" -eq 1 ] || die "which disk is the home volume $volume_id is ambiguous; nothing was changed"
  [ "$SECONDS" -lt "$deadline" ] || die "no disk with serial $serial (home volume $volume_id) under $by_id after $wait_seconds s: is the volume attached to this server?"
  if command -v udevadm >/dev/null 2>&1; then udevadm settle --timeout=5 || true; fi
  sleep 2
done
[ -b "$device" ] || die "$device (home volume $volume_id) is not a block device"

# What the volume holds. blkid -p reads the device itself (no cache): exit 2 means no signature.
probe_status=0
probe=$(blkid -p -o export "$device") || probe_status=$?
fstype=''
if [ "$probe_status" -eq 0 ]; then
  fstype=$(printf '%s\\n' "$probe" | sed -n 's/^TYPE=//p')
  usage=$(printf '%s\\n' "$probe" | sed -n 's/^USAGE=//p')
  if [ -z "$fstype" ] || [ "$usage" != filesystem ]; then
    die "$device (home volume $volume_id) holds $(printf '%s' "$probe" | tr '\\n' ' ')but no file system to mount; it is left alone (never formatted). Mount it by hand, or wipe it (wipefs) if it really is unused"
  fi
elif [ "$probe_status" -eq 2 ]; then
  # No signature. Still refuse a disk whose first MiB is not all zeros: a new Cinder volume is
  # blank, and bytes without a signature may be someone's data.
  if ! cmp -s -n 1048576 "$device" /dev/zero; then
    die "$device (home volume $volume_id) has no file system but is not blank; it is left alone (never formatted). Look at it by hand"
  fi
  log "$device (home volume $volume_id) is blank: making an ext4 file system"
  mkfs.ext4 -q -L ${HOME_VOLUME_LABEL} "$device"
  fstype=ext4
  echo "changed: made an ext4 file system on $device"
  changed=1
else
  die "blkid could not read $device (exit $probe_status)"
fi
uuid=$(blkid -p -o value -s UUID "$device")
[ -n "$uuid" ] || die "the file system on $device has no UUID"

# /etc/fstab: one entry for the mount point, ours, by UUID; nofail: a missing volume never stops a boot.
others=$(awk -v mp="$mount_point" '
  /^# BEGIN blueprints-home-volume$/ { ours = 1; next }
  /^# END blueprints-home-volume$/ { ours = 0; next }
  !ours && $0 !~ /^[[:space:]]*#/ && $2 == mp' "$fstab" 2>/dev/null || true)
[ -z "$others" ] || die "$fstab already mounts something at $mount_point ($others); the home volume is not mounted over it"
ensure_block "$fstab" blueprints-home-volume <<EOF
UUID=$uuid $mount_point $fstype defaults,nofail 0 2
EOF

# Mounted where it belongs, or mount it now (before cloud-init's users module makes the homes).
mounted=$(findmnt -n -o SOURCE --mountpoint "$mount_point" || true)
if [ -n "$mounted" ]; then
  [ "$(readlink -f "$mounted")" = "$device" ] || die "$mount_point is already a mount of $mounted, not of the home volume $device"
else
  elsewhere=$(findmnt -n -o TARGET --source "$device" || true)
  [ -z "$elsewhere" ] || die "$device (home volume $volume_id) is mounted at $elsewhere, not $mount_point"
  mkdir -p "$mount_point"
  hidden=$(find "$mount_point" -mindepth 1 -maxdepth 1 -printf '%f ')
  [ -z "$hidden" ] || log "$mount_point on the root disk is not empty ($hidden); the home volume hides it"
  mount -T "$fstab" "$mount_point"
  echo "changed: mounted $device at $mount_point"
  changed=1
fi

# A volume extended in Cinder (a larger sizeGiB): grow the file system to the disk (ext4 grows online).
if [ "$fstype" = ext4 ]; then
  disk_bytes=$(blockdev --getsize64 "$device")
  fs_bytes=$(dumpe2fs -h "$device" 2>/dev/null | awk -F: '/^Block count/ { c = $2 } /^Block size/ { s = $2 } END { printf "%.0f", c * s }')
  if [ "$disk_bytes" -ge $((fs_bytes + 16 * 1024 * 1024)) ]; then
    # Not fatal: the home is mounted and usable at its old size (and the users module must still run).
    if grown=$(resize2fs "$device" 2>&1); then
      echo "changed: grew the file system on $device to $disk_bytes bytes"
      changed=1
    else
      log "warning: the volume is larger than its file system, but resize2fs $device failed: $(printf '%s' "$grown" | tr '\\n' ' ')"
    fi
  fi
fi

# systemd mounts /home from fstab at the next boot; tell it about the entry now.
if [ "$changed" = 1 ] && [ "$fstab" = /etc/fstab ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
fi
`;
  return renderRemoteScript({ description: "mount the employee's home volume at /home", body });
}

/**
 * The ownership script (runcmd). Arguments: the users whose homes are on the volume. A home whose
 * owner (or group) is not the user's uid (gid) on this server is handed over: only the files that
 * belonged to the old id change, so shared or foreign files keep theirs.
 */
export function homeOwnershipScript(): string {
  const body = `
[ "$#" -gt 0 ] || die "usage: blueprints-home-owner USER..."
for user in "$@"; do
  entry=$(getent passwd "$user") || die "user $user does not exist (cloud-init's users module did not run?)"
  home=$(printf '%s\\n' "$entry" | cut -d: -f6)
  uid=$(printf '%s\\n' "$entry" | cut -d: -f3)
  gid=$(printf '%s\\n' "$entry" | cut -d: -f4)
  [ -d "$home" ] || continue
  owner=$(stat -c %u "$home")
  group=$(stat -c %g "$home")
  if [ "$owner" != "$uid" ]; then
    chown -R -h --from="$owner" "$uid" "$home"
    echo "changed: $home belonged to uid $owner; now to $user ($uid)"
  fi
  if [ "$group" != "$gid" ]; then
    chown -R -h --from=":$group" ":$gid" "$home"
    echo "changed: $home had gid $group; now $user's group ($gid)"
  fi
done
`;
  return renderRemoteScript({ description: "give the home volume's homes to their users", body });
}

/**
 * The cloud-config part of a desktop (or Jupyter workspace) whose /home is the Cinder volume
 * `volumeId`: the mount at bootcmd, the ownership check at runcmd for `users` (the employee, and
 * the admin when there is one). Merge it FIRST, so its runcmd step runs before the workspace's.
 */
export function homeVolumeCloudConfig(volumeId: string, users: string[]): CloudConfig {
  if (!VOLUME_ID.test(volumeId))
    throw new Error(`home volume ID ${JSON.stringify(volumeId)} is not a volume ID (a UUID in Cinder)`);
  if (users.length === 0) throw new Error("homeVolumeCloudConfig: name the users whose homes are on the volume");
  // "admin" is a system account name on some images, yet the usual name of the admin's own user.
  for (const user of users) if (user !== "admin") assertLinuxUserName(user);
  return {
    bootcmd: [["bash", "-c", homeVolumeMountScript(), "blueprints-home-volume", volumeId]],
    runcmd: [["bash", "-c", homeOwnershipScript(), "blueprints-home-owner", ...users]],
  };
}
