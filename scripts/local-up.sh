#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root) to a deployed `local` stack:
#   sudo npm run local:up
# 1. npm ci when node_modules is missing;
# 2. minicloud up: a real OpenStack on 127.0.0.1 (packages/minicloud);
# 3. the Pulumi engine: the `pulumi` on PATH if there is one (a user with internet installs it
#    the usual way), else built once from Go modules (scripts/engine/build-engine.sh);
# 4. pulumi up --stack local with a local file backend, then the stack's outputs.
# State:        /var/lib/openstack-blueprints/local-state (PULUMI_BACKEND_URL overrides it)
# Passphrase:   /var/lib/openstack-blueprints/local-passphrase, 0600, made once
#               (PULUMI_CONFIG_PASSPHRASE overrides it)
# Tear down:    sudo npm run local:down   (pulumi destroy; minicloud keeps running)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
action=${1:-up}
case "$action" in up | down) ;; *) echo "usage: local-up.sh [up|down]" >&2; exit 2 ;; esac
if [ "$(id -u)" -ne 0 ]; then
  echo "local-up: run as root (minicloud starts services and network namespaces): sudo npm run local:$action" >&2
  exit 1
fi
started=$SECONDS
phase() { echo "local-up: $1 ($((SECONDS - started)) s)"; }

[ -d node_modules ] || npm ci --no-audit --no-fund
npx --no-install minicloud up
phase "minicloud is up"

if ! command -v pulumi >/dev/null; then
  bin=$(bash scripts/engine/build-engine.sh)
  export PATH="$bin:$PATH"
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
fi
phase "engine: $(pulumi version)"

state=/var/lib/openstack-blueprints
mkdir -p "$state/local-state" && chmod 0700 "$state"
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$state/local-state}
export PULUMI_SKIP_UPDATE_CHECK=true
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ]; then
  if [ ! -s "$state/local-passphrase" ]; then
    (umask 077 && head -c 24 /dev/urandom | base64 >"$state/local-passphrase")
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$state/local-passphrase"
fi
pulumi stack select local --create --non-interactive >/dev/null

if [ "$action" = down ]; then
  pulumi destroy --stack local --yes --non-interactive
  phase "local stack destroyed"
  exit 0
fi
pulumi up --stack local --yes --non-interactive
phase "local stack deployed"
echo "What was made (secrets hidden; add --show-secrets for the desktop passwords):"
pulumi stack output --stack local
echo "State: $PULUMI_BACKEND_URL; the stack's resources: pulumi stack --stack local"
