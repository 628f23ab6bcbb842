#!/usr/bin/env bash
# Builds Pulumi's YAML language host (pulumi-language-yaml) from its Go module into
# /var/cache/openstack-blueprints/engine-yaml/v<version> unless that version is already built
# (~3 min cold on 2 cores, module downloads included; none when cached). The YAML consumer's
# engine test (test/engine/yaml-consumer.engine.test.ts) finds it with
# `scripts/engine/build-yaml-host.sh --print-bin`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
started=$SECONDS
bash scripts/engine/build-yaml-host.sh
echo "11-yaml-host: YAML language host ready after $((SECONDS - started)) s"
