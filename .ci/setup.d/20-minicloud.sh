#!/usr/bin/env bash
# Starts minicloud (a real OpenStack on 127.0.0.1) so the integration tests find it running.
# Idempotent: a second run only starts what is not running. Logs: /var/log/minicloud/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if ! npx --no-install minicloud up; then
  echo "20-minicloud: 'minicloud up' failed; last lines of each log:" >&2
  for log in /var/log/minicloud/*.log; do
    [ -f "$log" ] || continue
    echo "== $log" >&2
    tail -n 20 "$log" >&2
  done
  exit 1
fi
npx --no-install minicloud status
