// Writes the provider's Pulumi schema (`pulumi-tfgen-openstack schema --out DIR --skip-docs`).
package main

import (
	"openstack-blueprints/engine/openstack/bridge"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"
)

var version = "0.0.0-dev" // set with -ldflags -X main.version=…

func main() {
	tfgen.Main("openstack", version, bridge.Provider(version))
}
