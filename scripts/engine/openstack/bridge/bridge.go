// Package bridge maps the Terraform OpenStack provider onto the type tokens and property
// names that the @pulumi/openstack npm SDK this project depends on sends to its provider.
//
// Why not pulumi-openstack's own provider module: the Go module proxy that our machines
// reach serves no version of github.com/pulumi/pulumi-openstack/provider (every version,
// including v3.0.0-20240329191609-a9de4228c2fb, the commit of tag v3.15.2, answers 403
// "not available"). It does serve Pulumi's Terraform bridge and the upstream Terraform
// provider, so this package bridges them the way pulumi-openstack does, with one
// difference: instead of a hand-written token table it derives every token from the list
// of tokens the npm SDK really uses (sdk-tokens.json, written by build-engine.sh from
// node_modules/@pulumi/openstack), so the SDK's resources find their Terraform resource.
package bridge

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-provider-openstack/terraform-provider-openstack/v3/openstack"
)

//go:embed sdk-tokens.json
var sdkTokensJSON []byte

// sdkTokens lists the resource and function tokens of the npm SDK.
type sdkTokens struct {
	Resources []string `json:"resources"`
	Functions []string `json:"functions"`
}

// moduleAliases: Terraform resource-name prefixes whose Pulumi module has another name.
var moduleAliases = map[string]string{
	"lb": "loadbalancer",
	"fw": "firewall",
	"db": "database",
}

// splitTerraformName splits "openstack_networking_secgroup_rule_v2" into its module
// ("networking"), the words after it ("secgroup", "rule") and its API version ("v2").
func splitTerraformName(tfName string) (module string, words []string, version string) {
	parts := strings.Split(strings.TrimPrefix(tfName, "openstack_"), "_")
	last := parts[len(parts)-1]
	if len(parts) > 2 && len(last) >= 2 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" {
		version = last
		parts = parts[:len(parts)-1]
	}
	module = parts[0]
	if alias, ok := moduleAliases[module]; ok {
		module = alias
	}
	return module, parts[1:], version
}

func normalize(s string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "/", "", "-", "").Replace(s))
}

// tokenKey is how a token compares with a Terraform name: module and name, lower case,
// without separators ("openstack:networking/secGroupRule:SecGroupRule" → "networkingsecgrouprule").
func tokenKey(token string, function bool) string {
	parts := strings.Split(token, ":")
	module := strings.Split(parts[1], "/")[0]
	name := parts[2]
	if function {
		name = strings.TrimPrefix(name, "get")
	}
	return normalize(module + name)
}

func indexTokens(list []string, function bool) map[string]string {
	index := map[string]string{}
	for _, token := range list {
		index[tokenKey(token, function)] = token
	}
	return index
}

// matchToken finds the SDK's token for a Terraform name: first with its API version in the
// name (VolumeV2 for blockstorage_volume_v2), then without (Volume for blockstorage_volume_v3).
func matchToken(index map[string]string, tfName string) (string, bool) {
	module, words, version := splitTerraformName(tfName)
	base := normalize(module + strings.Join(words, ""))
	if token, ok := index[base+version]; ok && version != "" {
		return token, true
	}
	token, ok := index[base]
	return token, ok
}

func camel(words []string, upperFirst bool) string {
	var b strings.Builder
	for i, w := range words {
		if w == "" {
			continue
		}
		r := []rune(w)
		if i > 0 || upperFirst {
			r[0] = unicode.ToUpper(r[0])
		}
		b.WriteString(string(r))
	}
	return b.String()
}

// fallbackToken names a Terraform resource the SDK does not know (newer than the SDK).
func fallbackToken(tfName string, function bool) string {
	module, words, version := splitTerraformName(tfName)
	if version != "" {
		words = append(words, version)
	}
	if function {
		name := "get" + camel(words, true)
		return fmt.Sprintf("openstack:%s/%s:%s", module, name, name)
	}
	return fmt.Sprintf("openstack:%s/%s:%s", module, camel(words, false), camel(words, true))
}

// Provider returns the bridge's provider info; version is what the plugin reports.
func Provider(version string) tfbridge.ProviderInfo {
	var sdk sdkTokens
	if err := json.Unmarshal(sdkTokensJSON, &sdk); err != nil {
		panic(fmt.Sprintf("sdk-tokens.json: %v", err))
	}
	upstream := openstack.Provider()
	resourceIndex := indexTokens(sdk.Resources, false)
	functionIndex := indexTokens(sdk.Functions, true)

	resources := map[string]*tfbridge.ResourceInfo{}
	used := map[string]string{}
	// Terraform names that would take a token another name already has (the provider keeps
	// aliases such as openstack_lb_flavor_v2 / openstack_loadbalancer_flavor_v2): left out.
	var ignored []string
	names := make([]string, 0, len(upstream.ResourcesMap))
	for name := range upstream.ResourcesMap {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		token, ok := matchToken(resourceIndex, name)
		if !ok || used[token] != "" {
			token = fallbackToken(name, false)
		}
		if used[token] != "" {
			ignored = append(ignored, name)
			continue
		}
		used[token] = name
		resources[name] = &tfbridge.ResourceInfo{Tok: tokens.Type(token)}
	}

	dataSources := map[string]*tfbridge.DataSourceInfo{}
	names = names[:0]
	for name := range upstream.DataSourcesMap {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		token, ok := matchToken(functionIndex, name)
		if !ok || used[token] != "" {
			token = fallbackToken(name, true)
		}
		if used[token] != "" {
			ignored = append(ignored, name)
			continue
		}
		used[token] = name
		dataSources[name] = &tfbridge.DataSourceInfo{Tok: tokens.ModuleMember(token)}
	}

	info := tfbridge.ProviderInfo{
		P:              shimv2.NewProvider(upstream),
		Name:           "openstack",
		DisplayName:    "OpenStack",
		Version:        version,
		Publisher:      "Pulumi",
		GitHubOrg:      "terraform-provider-openstack",
		Description:    "OpenStack through the Terraform OpenStack provider (built by openstack-blueprints).",
		Resources:      resources,
		DataSources:    dataSources,
		IgnoreMappings: ignored,
		JavaScript:     &tfbridge.JavaScriptInfo{},
	}
	// As pulumi-openstack does: a resource's `name` left out defaults to its Pulumi name plus a
	// random suffix (SecGroup, Keypair, … require a name in Terraform, not in the npm SDK).
	info.SetAutonaming(255, "-")
	return info
}
