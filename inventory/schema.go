package inventory

import "github.com/hashicorp/hcl/v2"

var fileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "defaults"},
	{Type: "vsphere", LabelNames: []string{"name"}},
	{Type: "trunk", LabelNames: []string{"name"}},
	{Type: "vlan", LabelNames: []string{"name"}},
	{Type: "egress", LabelNames: []string{"name"}},
	{Type: "bridge", LabelNames: []string{"name"}},
	{Type: "group", LabelNames: []string{"name"}},
	{Type: "agent", LabelNames: []string{"name"}},
	{Type: "rollout"},
	{Type: "kasm"},
	{Type: "workspace", LabelNames: []string{"name"}},
}}

func attrs(required []string, optional ...string) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, n := range required {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n, Required: true})
	}
	for _, n := range optional {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}

var sshAttrs = []string{"user", "port", "identity_file", "known_hosts", "become", "jump"}

var blockSchemas = map[string]*hcl.BodySchema{
	"defaults": attrs(nil, append([]string{"adopt"}, sshAttrs...)...),
	"vsphere":  attrs(nil, "url", "username", "password", "datacenter", "insecure", "thumbprint", "ca_file"),
	"trunk":    attrs([]string{"vlans"}, "vsphere", "switch_type", "switch", "hosts", "portgroup", "nic"),
	"vlan": attrs([]string{"id", "subnet", "gateway", "network", "per_agent"},
		"trunk", "driver", "mode", "verify_url", "subnet6", "gateway6", "per_agent6"),
	"egress": attrs([]string{"network", "subnet"},
		"bridge", "source_ip", "add_address", "verify_url"),
	"bridge": attrs([]string{"network"}, "bridge", "subnet"),
	"group":  attrs([]string{"agents"}, "vlans", "egress", "bridges"),
	"agent": attrs([]string{"address"}, append([]string{"vm", "bare_metal", "trunk_nic", "slot", "adopt",
		"vlans", "egress", "bridges", "ip_ranges", "source_ips"}, sshAttrs...)...),
	"rollout":   attrs(nil, "batch", "max_failures", "pause", "drain", "drain_timeout", "before", "after"),
	"kasm":      attrs([]string{"url"}, "username", "password", "api_key", "api_key_secret", "ca_file"),
	"workspace": attrs([]string{"networks"}, "allow_network_selection"),
}
