#!/usr/bin/env bash
# Builds the Pulumi engine this project's tests drive, from Go modules, once per version set:
#   pulumi                        the CLI (github.com/pulumi/pulumi/pkg/v3, cmd/pulumi)
#   pulumi-language-nodejs        the Node.js language host (sdk 3.68.0's, behind cli/langhost)
#   pulumi-resource-openstack     the OpenStack provider (Terraform provider + Pulumi's bridge)
#   pulumi-resource-pulumi-nodejs the script dynamic providers run, from the sdk module
# into /var/cache/openstack-blueprints/engine/<key>/bin, <key> a hash of everything that goes
# into the build (versions.env, the wrapper modules, the npm SDK's tokens). A user with
# internet access installs Pulumi the usual way and does not need this; it is for machines
# that reach only the Go module proxy (CI, the development machines).
#
#   scripts/engine/build-engine.sh             build if missing; prints the bin folder
#   scripts/engine/build-engine.sh --print-bin prints the bin folder if built, else exits 1
# Versions and why each piece comes from where: versions.env and each go.mod's comment.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=versions.env
source "$here/versions.env"
cache_root=${BLUEPRINTS_CACHE_DIR:-/var/cache/openstack-blueprints}/engine

openstack_sdk=$repo/node_modules/@pulumi/openstack
if [ ! -f "$openstack_sdk/package.json" ]; then
  echo "build-engine: $openstack_sdk is missing: run 'npm ci' first" >&2
  exit 1
fi

key=$(
  cd "$here"
  {
    cat versions.env
    find cli nodejs-host openstack -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name '*.mjs' \) \
      ! -name schema.json -print0 | sort -z | xargs -0 sha256sum
    node -p "require('$openstack_sdk/package.json').version"
    go version
  } | sha256sum | cut -c1-16
)
dest=$cache_root/$key
if [ -f "$dest/complete" ]; then
  echo "$dest/bin"
  exit 0
fi
if [ "${1:-}" = "--print-bin" ]; then
  exit 1
fi

started=$SECONDS
phase() { echo "build-engine: $1 after $((SECONDS - started)) s" >&2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$here/cli" "$here/nodejs-host" "$here/openstack" "$work/"
mkdir -p "$work/bin"

export CGO_ENABLED=0 GOFLAGS=-mod=readonly
# The flags Pulumi's own release builds use.
version_pkg=github.com/pulumi/pulumi/sdk/v3/go/common/version.Version
(cd "$work/cli" && go build -trimpath -tags osusergo,grpcnotrace \
  -ldflags "-w -s -X $version_pkg=v$PULUMI_VERSION" -o "$work/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
phase "pulumi $PULUMI_VERSION built"
(cd "$work/nodejs-host" && go build -trimpath -ldflags "-w -s -X $version_pkg=v$NODEJS_HOST_SDK_VERSION" \
  -o "$work/bin/pulumi-language-nodejs-sdk3" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
# In front of it, our proxy (cli/langhost): everything is forwarded, and policy packs, which the
# old host cannot start (RunPlugin), are started by the proxy.
(cd "$work/cli" && go build -trimpath -ldflags "-w -s" -o "$work/bin/pulumi-language-nodejs" ./langhost)
phase "pulumi-language-nodejs (sdk $NODEJS_HOST_SDK_VERSION behind the RunPlugin proxy) built"

# The script the engine runs for dynamic providers, from the CLI's sdk module. (Policy packs
# need no script: the engine runs them through the language host's RunPlugin.)
sdk_dir=$(cd "$work/cli" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$sdk_dir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$work/bin/"

# OpenStack: tokens of the npm SDK → tfgen writes the schema → the provider embeds it.
node "$work/openstack/sdk-tokens.mjs" "$openstack_sdk" >"$work/openstack/bridge/sdk-tokens.json"
echo '{}' >"$work/openstack/cmd/pulumi-resource-openstack/schema.json"
openstack_ldflags="-w -s -X main.version=$OPENSTACK_PLUGIN_VERSION"
(cd "$work/openstack" && go build -trimpath -ldflags "$openstack_ldflags" -o "$work/tfgen" ./cmd/pulumi-tfgen-openstack)
phase "pulumi-tfgen-openstack built"
(cd "$work/openstack" && "$work/tfgen" schema --skip-docs --out "$work/schema" >"$work/tfgen.log" 2>&1) || {
  tail -n 40 "$work/tfgen.log" >&2
  exit 1
}
cp "$work/schema/schema.json" "$work/openstack/cmd/pulumi-resource-openstack/schema.json"
(cd "$work/openstack" && go build -trimpath -ldflags "$openstack_ldflags" -o "$work/bin/pulumi-resource-openstack" ./cmd/pulumi-resource-openstack)
cp "$work/schema/schema.json" "$work/bin/openstack-schema.json"
phase "pulumi-resource-openstack built"

mkdir -p "$cache_root"
rm -rf "$dest.partial" && mv "$work/bin" "$dest.partial"
mkdir -p "$dest.partial/bin" && mv "$dest.partial"/pulumi* "$dest.partial"/openstack-schema.json "$dest.partial/bin/"
touch "$dest.partial/complete"
rm -rf "$dest" && mv "$dest.partial" "$dest"
# Builds of other version sets are no longer used by this checkout: ~200 MB each.
find "$cache_root" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
"$dest/bin/pulumi" version >&2
phase "engine ready in $dest"
echo "$dest/bin"
