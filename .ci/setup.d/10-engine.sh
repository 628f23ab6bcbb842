#!/usr/bin/env bash
# Builds the Pulumi engine (CLI, Node.js language host, OpenStack provider) from Go modules
# into /var/cache/openstack-blueprints/engine/<key> unless that version set is already built
# (a cold build takes several minutes on 2 cores; a warm one, none). The real-engine tests
# (test/engine/) find it with `scripts/engine/build-engine.sh --print-bin`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
if ! command -v go >/dev/null; then
  echo "10-engine: the Go toolchain is missing (this kind of machine ships Go 1.26 in /usr/local/go)" >&2
  exit 1
fi
started=$SECONDS
bash scripts/engine/build-engine.sh
echo "10-engine: engine ready after $((SECONDS - started)) s"
