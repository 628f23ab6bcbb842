#!/usr/bin/env bash
# Builds the Debian guest images minicloud's Nova boots (debootstrap from Debian's mirror, ext4 on
# the whole disk, kernel and initrd beside it) into /var/cache/openstack-blueprints/guest-image/<key>
# and, with xrdp, xorgxrdp, xfce and Debian's Jupyter Notebook baked (the guests have no internet to
# install them at first boot), /var/cache/openstack-blueprints/guest-image-desktop/<key>, unless that recipe's image is
# already there (cold: ~4–5 min for the base, several more for the desktop on 2 busy cores; warm:
# none). packages/minicloud/test/guest-image.test.ts boots the base one under QEMU TCG;
# test/engine/desktops-guests.engine.test.ts and jupyter-guests.engine.test.ts upload the desktop
# one as `debian-12-desktop`.
# ci: background
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
started=$SECONDS
bash packages/minicloud/guest-image/build-guest-image.sh
echo "15-guest-image: guest image ready after $((SECONDS - started)) s"
started=$SECONDS
bash packages/minicloud/guest-image/build-guest-image.sh --variant desktop
echo "15-guest-image: desktop guest image ready after $((SECONDS - started)) s"
