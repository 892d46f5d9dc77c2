// Package playbooks turns the inventory into the desired state of each
// target (a host spec per agent, a vSphere spec per trunk), and plays
// apply, plan and check as a list of steps (Steps). It reaches vCenter and
// the hosts only through the small interfaces it declares (VSphere,
// Transport), which cmd/push wires in.
package playbooks

import (
	"slices"
	"strings"

	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/remote/proto"
)

// Desired is what the whole fleet should look like.
type Desired struct {
	VSphere []proto.VSphereSpec `json:"vsphere,omitempty"`
	Hosts   []Host              `json:"hosts"`
	// Workspaces are the Kasm workspaces restricted to their networks.
	Workspaces []WorkspaceSpec `json:"workspaces,omitempty"`
}

// Host is one agent: how to reach it, and what it should look like.
type Host struct {
	Name string         `json:"name"`
	Conn Connection     `json:"connection"`
	Spec proto.HostSpec `json:"spec"`
	// VM and TrunkAuto tie the host to its vSphere VM: with TrunkAuto the
	// trunk NIC is found by the MAC address vSphere reports.
	VM        string `json:"vm,omitempty"`
	TrunkAuto bool   `json:"trunk_auto,omitempty"`
	// BareMetal: the host is on a vSphere trunk but is no VM (bare_metal
	// = true); the vSphere step leaves it out.
	BareMetal bool `json:"bare_metal,omitempty"`
	// Adopt: apply takes over hand-made objects that match the spec.
	Adopt bool `json:"adopt,omitempty"`
}

// Connection is how to reach a host; empty fields are left to
// ~/.ssh/config and SSH's own defaults.
type Connection struct {
	Address      string `json:"address"`
	Port         int    `json:"port,omitempty"`
	User         string `json:"user,omitempty"`
	IdentityFile string `json:"identity_file,omitempty"`
	KnownHosts   string `json:"known_hosts,omitempty"`
	Become       bool   `json:"become,omitempty"`
	Jump         string `json:"jump,omitempty"`
}

// Desire derives the desired state from a validated inventory.
func Desire(inv *inventory.Inventory) Desired {
	var d Desired
	for _, t := range inv.Trunks {
		if s, ok := vsphereSpec(inv, t); ok {
			d.VSphere = append(d.VSphere, s)
		}
	}
	for _, a := range inv.Agents {
		h := host(inv.Defaults.SSH, a)
		h.Adopt = setting(a.Adopt, inv.Defaults.Adopt)
		d.Hosts = append(d.Hosts, h)
	}
	d.Workspaces = workspaceSpecs(inv)
	return d
}

func host(def inventory.SSH, a *inventory.Agent) Host {
	h := Host{Name: a.Name, Conn: connection(def, a), Spec: proto.HostSpec{Agent: a.Name}}
	n := a.Networks
	if n.Trunk != nil && n.Trunk.VSphere != "" {
		h.VM = a.VM
		h.BareMetal = a.BareMetal
	}
	if len(n.VLANs) > 0 {
		h.Spec.Trunk = &proto.Trunk{}
		if a.TrunkNIC == "auto" {
			h.TrunkAuto = true
		} else {
			h.Spec.Trunk.NIC = a.TrunkNIC
		}
	}
	for _, v := range n.VLANs {
		pv := proto.VLANNetwork{
			Name: v.Network, Driver: v.Driver, Mode: v.Mode, VID: v.ID,
			Subnet: v.Subnet.String(), Gateway: v.Gateway.String(),
			IPRange: v.IPRange.String(), ProbeIP: v.ProbeIP.String(), VerifyURL: v.VerifyURL,
		}
		if v.IPRange6.IsValid() {
			pv.Subnet6, pv.Gateway6 = v.Subnet6.String(), v.Gateway6.String()
			pv.IPRange6, pv.ProbeIP6 = v.IPRange6.String(), v.ProbeIP6.String()
		}
		h.Spec.VLANs = append(h.Spec.VLANs, pv)
	}
	for _, e := range n.Egress {
		b := proto.BridgeNetwork{Name: e.Network, Bridge: e.Bridge, BridgeDefault: !e.Has("bridge"), Subnet: e.Subnet.String(),
			SourceIP: e.SourceIP, VerifyURL: e.VerifyURL}
		if e.AddAddress {
			b.AddAddress = e.SourceIP
			b.SourceIP = addrOnly(e.SourceIP)
		}
		h.Spec.Bridges = append(h.Spec.Bridges, b)
	}
	for _, br := range n.Bridges {
		b := proto.BridgeNetwork{Name: br.Network, Bridge: br.Bridge, BridgeDefault: !br.Has("bridge")}
		if br.Subnet.IsValid() {
			b.Subnet = br.Subnet.String()
		}
		h.Spec.Bridges = append(h.Spec.Bridges, b)
	}
	return h
}

func connection(def inventory.SSH, a *inventory.Agent) Connection {
	s := a.SSH
	c := Connection{Address: a.Address, Port: or(s.Port, def.Port), User: or(s.User, def.User),
		IdentityFile: or(s.IdentityFile, def.IdentityFile), KnownHosts: or(s.KnownHosts, def.KnownHosts),
		Jump: or(s.Jump, def.Jump)}
	switch {
	case s.Become != nil:
		c.Become = *s.Become
	case def.Become != nil:
		c.Become = *def.Become
	}
	return c
}

func vsphereSpec(inv *inventory.Inventory, t *inventory.Trunk) (proto.VSphereSpec, bool) {
	vc := inv.VSphere(t.VSphere)
	if vc == nil {
		return proto.VSphereSpec{}, false
	}
	s := proto.VSphereSpec{Server: vc.Name, URL: vc.URL, Datacenter: vc.Datacenter,
		Trunk: t.Name, SwitchType: t.SwitchType, Switch: t.Switch, Hosts: t.Hosts, PortGroup: t.PortGroup}
	for _, r := range t.Ranges {
		s.VLANs = append(s.VLANs, proto.Range{Start: r.Start, End: r.End})
	}
	for _, a := range inv.Agents {
		if a.Networks.Trunk == t && a.VM != "" {
			s.VMs = append(s.VMs, proto.TrunkVM{Agent: a.Name, VM: a.VM})
		}
	}
	s.Macvlan = macvlanNetworks(inv, t)
	return s, true
}

// macvlanNetworks names the macvlan networks that agents on trunk t
// serve, sorted: the port group must pass their containers' MACs.
func macvlanNetworks(inv *inventory.Inventory, t *inventory.Trunk) []string {
	var out []string
	for _, a := range inv.Agents {
		if a.Networks.Trunk != t {
			continue
		}
		for _, v := range a.Networks.VLANs {
			if v.Driver == "macvlan" && !slices.Contains(out, v.Network) {
				out = append(out, v.Network)
			}
		}
	}
	slices.Sort(out)
	return out
}

// setting is an agent's boolean setting, else the default's, else false.
func setting(agent, def *bool) bool {
	switch {
	case agent != nil:
		return *agent
	case def != nil:
		return *def
	}
	return false
}

func or[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

func addrOnly(cidr string) string {
	addr, _, _ := strings.Cut(cidr, "/")
	return addr
}
