#!/usr/bin/env bash
# Starts minicloud (a real OpenStack on 127.0.0.1) so the integration tests find it running, with
# the guests profile: a libvirt/QEMU TCG compute host in zone `guests` and Neutron's DHCP, L3 and
# metadata agents, for packages/minicloud/test/guests.test.ts (the guest image comes from
# 15-guest-image.sh). Servers and networks that name no zone stay on the fake driver as before.
# Idempotent: a second run only starts what is not running. Logs: /var/log/minicloud/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
started=$SECONDS
if ! npx --no-install minicloud up --guests; then
  echo "20-minicloud: 'minicloud up --guests' failed; last lines of each log:" >&2
  for log in /var/log/minicloud/*.log; do
    [ -f "$log" ] || continue
    echo "== $log" >&2
    tail -n 20 "$log" >&2
  done
  exit 1
fi
echo "20-minicloud: minicloud up --guests took $((SECONDS - started)) s"
npx --no-install minicloud status
