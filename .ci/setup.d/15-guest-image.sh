#!/usr/bin/env bash
# Builds the Debian guest image minicloud's Nova boots (debootstrap from Debian's mirror, ext4 on
# the whole disk, kernel and initrd beside it) into /var/cache/openstack-blueprints/guest-image/<key>
# unless this recipe's image is already there (cold: ~4–5 min on 2 busy cores; warm: none).
# packages/minicloud/test/guest-image.test.ts boots it under QEMU TCG.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
started=$SECONDS
bash packages/minicloud/guest-image/build-guest-image.sh
echo "15-guest-image: guest image ready after $((SECONDS - started)) s"
