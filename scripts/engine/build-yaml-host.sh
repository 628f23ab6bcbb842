#!/usr/bin/env bash
# Builds Pulumi's YAML language host, pulumi-language-yaml, from the Go module
# github.com/pulumi/pulumi-yaml (package cmd/pulumi-language-yaml), once per version, into
#   /var/cache/openstack-blueprints/engine-yaml/v<version>/bin
# next to, not inside, the engine's folder (build-engine.sh): its version moves on its own and
# a new one must not rebuild the CLI and the providers. The engine tests put this folder on PATH
# after the engine's; the engine then runs Pulumi YAML programs (examples/yaml-consumer).
#
#   scripts/engine/build-yaml-host.sh             build if missing; prints the bin folder
#   scripts/engine/build-yaml-host.sh --print-bin prints the bin folder if built, else exits 1
#
# pulumi-yaml's go.mod has no replace directives, so `go install <package>@<version>` builds it
# exactly as its go.sum pins (no wrapper module needed). v1.25.0 is the newest version the Go
# module proxy lists (`go list -m -versions github.com/pulumi/pulumi-yaml`: v1.11.1 v1.25.0).
set -euo pipefail
PULUMI_YAML_VERSION=1.25.0
cache_root=${BLUEPRINTS_CACHE_DIR:-/var/cache/openstack-blueprints}/engine-yaml
dest=$cache_root/v$PULUMI_YAML_VERSION

if [ -f "$dest/complete" ]; then
  echo "$dest/bin"
  exit 0
fi
if [ "${1:-}" = "--print-bin" ]; then
  exit 1
fi
if ! command -v go >/dev/null; then
  echo "build-yaml-host: the Go toolchain is missing (this kind of machine ships it in /usr/local/go)" >&2
  exit 1
fi

started=$SECONDS
phase() { echo "build-yaml-host: $1 after $((SECONDS - started)) s" >&2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"

# The flags Pulumi's release builds of pulumi-yaml use: static, no paths, the version stamped.
# GOFLAGS is cleared: `go install pkg@version` builds in module mode of its own.
CGO_ENABLED=0 GOFLAGS='' GOBIN="$work/bin" go install -trimpath \
  -ldflags "-w -s -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$PULUMI_YAML_VERSION" \
  "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v$PULUMI_YAML_VERSION"
phase "pulumi-language-yaml $PULUMI_YAML_VERSION built"

mkdir -p "$cache_root"
rm -rf "$dest.partial" && mkdir -p "$dest.partial" && mv "$work/bin" "$dest.partial/bin"
touch "$dest.partial/complete"
rm -rf "$dest" && mv "$dest.partial" "$dest"
# Other versions are no longer used by this checkout (~30 MB each).
find "$cache_root" -mindepth 1 -maxdepth 1 -type d ! -name "v$PULUMI_YAML_VERSION" -exec rm -rf {} +
phase "YAML language host ready in $dest"
echo "$dest/bin"
