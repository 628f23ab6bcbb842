// The Pulumi OpenStack resource provider: the Terraform OpenStack provider behind Pulumi's
// Terraform bridge, with the schema pulumi-tfgen-openstack wrote (embedded at build time).
package main

import (
	_ "embed"

	"openstack-blueprints/engine/openstack/bridge"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
)

//go:embed schema.json
var schema []byte

var version = "0.0.0-dev" // set with -ldflags -X main.version=…

func main() {
	tfbridge.Main("openstack", version, bridge.Provider(version), schema)
}
