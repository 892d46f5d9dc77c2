package importinv

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/kasmfleet/push/inventory"
	"github.com/zclconf/go-cty/cty"
)

// Comments import writes where the admin must decide start with this.
const notePrefix = "# push import: "

func render(f Fleet, l layout) []byte {
	file := hclwrite.NewEmptyFile()
	body := file.Body()
	comment(body, fmt.Sprintf("# Written by push import from %d of %d agents.", len(l.agents), len(f.Hosts)))
	for _, n := range l.notes {
		comment(body, notePrefix+n)
	}
	writeDefaults(body, f.Defaults)
	if v := f.VSphere; v != nil {
		writeVSphere(body, *v)
	}
	if l.trunk != nil {
		writeTrunk(body, l, f.VSphere.Name)
	}
	for _, b := range l.blocks {
		writeNetwork(body, b)
	}
	for _, g := range l.groups {
		gb := newBlock(body, "group", []string{g.name})
		gb.SetAttributeValue("agents", stringList(g.agents))
		writeServes(gb, g.blocks)
	}
	for _, a := range l.agents {
		writeAgent(body, f, l, a)
	}
	return hclwrite.Format(file.Bytes())
}

func newBlock(body *hclwrite.Body, typ string, labels []string, notes ...string) *hclwrite.Body {
	body.AppendNewline()
	for _, n := range notes {
		comment(body, notePrefix+n)
	}
	return body.AppendNewBlock(typ, labels).Body()
}

func comment(body *hclwrite.Body, text string) {
	body.AppendUnstructuredTokens(hclwrite.Tokens{
		{Type: hclsyntax.TokenComment, Bytes: []byte(text + "\n")},
	})
}

func setString(b *hclwrite.Body, name, v string) {
	if v != "" {
		b.SetAttributeValue(name, cty.StringVal(v))
	}
}

func setInt(b *hclwrite.Body, name string, v int) {
	if v != 0 {
		b.SetAttributeValue(name, cty.NumberIntVal(int64(v)))
	}
}

// setEnv writes env("VARIABLE", ""): unset, the value falls back to GOVC_*.
func setEnv(b *hclwrite.Body, name, variable string) {
	b.SetAttributeRaw(name, hclwrite.TokensForFunctionCall("env",
		hclwrite.TokensForValue(cty.StringVal(variable)), hclwrite.TokensForValue(cty.StringVal(""))))
}

func stringList(list []string) cty.Value {
	vals := make([]cty.Value, len(list))
	for i, s := range list {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}

func writeDefaults(body *hclwrite.Body, d inventory.SSH) {
	if d == (inventory.SSH{}) {
		return
	}
	b := newBlock(body, "defaults", nil)
	setString(b, "user", d.User)
	setInt(b, "port", d.Port)
	setString(b, "identity_file", d.IdentityFile)
	setString(b, "known_hosts", d.KnownHosts)
	if d.Become != nil {
		b.SetAttributeValue("become", cty.BoolVal(*d.Become))
	}
	setString(b, "jump", d.Jump)
}

func writeVSphere(body *hclwrite.Body, v VSphere) {
	b := newBlock(body, "vsphere", []string{v.Name})
	setString(b, "url", v.URL)
	setEnv(b, "username", "VSPHERE_USERNAME")
	setEnv(b, "password", "VSPHERE_PASSWORD")
	setString(b, "datacenter", v.Datacenter)
}

func writeTrunk(body *hclwrite.Body, l layout, vsphere string) {
	t := l.trunk
	b := newBlock(body, "trunk", []string{t.PortGroup})
	setString(b, "vsphere", vsphere)
	setString(b, "switch", t.Switch)
	setString(b, "portgroup", t.PortGroup)
	var ranges []string
	for _, r := range t.VLANs {
		s := strconv.Itoa(r.Start)
		if r.End != r.Start {
			s += "-" + strconv.Itoa(r.End)
		}
		ranges = append(ranges, s)
	}
	b.SetAttributeValue("vlans", stringList(ranges))
	setString(b, "nic", l.nic)
}

func writeNetwork(body *hclwrite.Body, n *block) {
	b := newBlock(body, n.kind, []string{n.name()}, n.notes...)
	switch n.kind {
	case kindVLAN:
		setInt(b, "id", n.vid)
		setString(b, "subnet", n.subnet.String())
		setString(b, "gateway", n.gateway.String())
		setString(b, "network", n.network)
		setString(b, "driver", n.driver)
		setString(b, "mode", n.mode)
		setInt(b, "per_agent", n.perAgent)
	case kindEgress:
		setString(b, "network", n.network)
		setString(b, "bridge", n.bridge)
		setString(b, "subnet", n.subnet.String())
		setString(b, "source_ip", n.sourceIP)
	case kindBridge:
		setString(b, "network", n.network)
		setString(b, "bridge", n.bridge)
		if n.subnetOK {
			setString(b, "subnet", n.subnet.String())
		}
	}
}

func writeServes(b *hclwrite.Body, blocks []*block) {
	for _, kind := range []string{kindVLAN, kindEgress, kindBridge} {
		var names []string
		for _, n := range blocks {
			if n.kind == kind {
				names = append(names, n.name())
			}
		}
		if len(names) > 0 {
			b.SetAttributeValue(map[string]string{kindVLAN: "vlans", kindEgress: "egress", kindBridge: "bridges"}[kind], stringList(names))
		}
	}
}

func writeAgent(body *hclwrite.Body, f Fleet, l layout, a *agent) {
	b := newBlock(body, "agent", []string{a.Name}, a.notes...)
	setString(b, "address", a.Address)
	if a.User != f.Defaults.User {
		setString(b, "user", a.User)
	}
	if a.Port != f.Defaults.Port {
		setInt(b, "port", a.Port)
	}
	if a.vm != "" && (l.trunk == nil || a.vm != a.Name) {
		setString(b, "vm", a.vm)
	}
	if a.bareMetal {
		b.SetAttributeValue("bare_metal", cty.True)
	}
	if a.nic != "" && (l.trunk == nil || a.nic != l.nic) {
		setString(b, "trunk_nic", a.nic)
	}
	if a.slot != nil {
		b.SetAttributeValue("slot", cty.NumberIntVal(int64(*a.slot)))
	}
	if a.group == nil {
		writeServes(b, a.blocks)
	}
	setMap(b, "ip_ranges", a.ipRanges, netip.Prefix.String)
	setMap(b, "source_ips", a.sourceIPs, func(s string) string { return s })
}

func setMap[V any](b *hclwrite.Body, name string, m map[string]V, str func(V) string) {
	if len(m) == 0 {
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var attrs []hclwrite.ObjectAttrTokens
	for _, k := range keys {
		attrs = append(attrs, hclwrite.ObjectAttrTokens{
			Name:  hclwrite.TokensForIdentifier(k),
			Value: hclwrite.TokensForValue(cty.StringVal(str(m[k]))),
		})
	}
	b.SetAttributeRaw(name, hclwrite.TokensForObject(attrs))
}
