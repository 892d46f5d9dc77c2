package inventory

import (
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// group checks a group's references.
func (v *validator) group(g *Group) {
	for i, pat := range g.Agents {
		if !isGlob(pat) {
			if v.inv.Agent(pat) == nil {
				v.undefined(g.ItemRange("agents", i), "agent", pat)
			}
			continue
		}
		if _, err := path.Match(pat, ""); err != nil {
			v.errorf(g.ItemRange("agents", i), "Invalid agent pattern", "%q is not a valid glob pattern.", pat)
			continue
		}
		if !slices.ContainsFunc(v.inv.Agents, func(a *Agent) bool { return matches(pat, a.Name) }) {
			v.warnf(g.ItemRange("agents", i), "Pattern matches no agent", "No agent name matches %q.", pat)
		}
	}
	v.servesRefs(&g.Block, g.Serves)
}

// servesRefs checks that every network a group or agent names exists.
func (v *validator) servesRefs(b *Block, s Serves) {
	for i, n := range s.VLANs {
		if v.vlanNamed(n) == nil {
			v.undefined(b.ItemRange("vlans", i), "vlan", n)
		}
	}
	for i, n := range s.Egress {
		if v.egressNamed(n) == nil {
			v.undefined(b.ItemRange("egress", i), "egress", n)
		}
	}
	for i, n := range s.Bridges {
		if v.bridgeNamed(n) == nil {
			v.undefined(b.ItemRange("bridges", i), "bridge", n)
		}
	}
}

// agents resolves and checks every agent, then what agents share.
func (v *validator) agents() {
	endpoints := map[string]*Agent{}
	vms := map[string]*Agent{}
	for _, a := range v.inv.Agents {
		v.ssh(&a.Block, a.SSH)
		v.address(a)
		v.servesRefs(&a.Block, a.Serves)
		v.resolve(a)
		v.hostInterfaces(a)
		v.ownAddress(a)
		ep := fmt.Sprintf("%s:%d", a.Address, a.SSH.Port)
		if first, dup := endpoints[ep]; dup && a.Address != "" {
			v.errorf(a.Range("address"), "Duplicate agent address",
				"Agent %q is reached at the same address and port as agent %q.", a.Name, first.Name)
		} else {
			endpoints[ep] = a
		}
		if first, dup := vms[a.VM]; dup && a.VM != "" {
			rng := a.NameRange
			if a.Has("vm") {
				rng = a.Range("vm")
			}
			v.errorf(rng, "Duplicate VM",
				"Agents %q and %q are both VM %q; one VM is one agent, with one trunk NIC.", first.Name, a.Name, a.VM)
		} else {
			vms[a.VM] = a
		}
	}
	v.sharedSlices()
	v.sharedSources()
}

// resolve fills a.Networks from its groups and its own lists.
func (v *validator) resolve(a *Agent) {
	var s Serves
	var vlans []servedVLAN
	for _, g := range v.inv.Groups {
		if slices.ContainsFunc(g.Agents, func(p string) bool { return matches(p, a.Name) }) {
			s = s.add(g.Serves)
			vlans = v.servedVLANs(vlans, &g.Block, g.VLANs)
		}
	}
	s = s.add(a.Serves)
	vlans = v.servedVLANs(vlans, &a.Block, a.Serves.VLANs)
	unknown := v.servesUnreadable(&a.Block)
	if len(s.VLANs)+len(s.Egress)+len(s.Bridges) == 0 && !unknown {
		v.warnf(a.NameRange, "Agent serves no network", "Agent %q is in no group and lists no networks; push will leave it alone.", a.Name)
	}
	v.agentVLANs(a, vlans)
	for _, e := range s.Egress {
		if eg := v.egressNamed(e); eg != nil {
			a.Networks.Egress = append(a.Networks.Egress, v.agentEgress(a, eg))
		}
	}
	for _, b := range s.Bridges {
		if br := v.bridgeNamed(b); br != nil {
			a.Networks.Bridges = append(a.Networks.Bridges, br)
		}
	}
	if !unknown {
		v.keysServed(a, "ip_ranges", s.VLANs, "vlan")
		v.keysServed(a, "source_ips", s.Egress, "egress")
	}
}

// servedVLAN is a VLAN an agent serves, and the element of a group's or
// the agent's own vlans list that first named it.
type servedVLAN struct {
	*VLAN
	at hcl.Range
}

// servedVLANs appends the VLANs of list, named in block b, that are not in
// out yet. A VLAN whose trunk is unresolved is left out: it is reported at
// the VLAN.
func (v *validator) servedVLANs(out []servedVLAN, b *Block, list []string) []servedVLAN {
	for i, n := range list {
		vl := v.vlanNamed(n)
		if vl == nil || slices.ContainsFunc(out, func(s servedVLAN) bool { return s.VLAN == vl }) ||
			(len(v.inv.Trunks) > 0 && v.trunkNamed(vl.Trunk) == nil) {
			continue
		}
		out = append(out, servedVLAN{vl, b.ItemRange("vlans", i)})
	}
	return out
}

// servesUnreadable reports whether what agent b serves is unknown because
// a list naming networks (its own, or any group's) could not be read.
func (v *validator) servesUnreadable(b *Block) bool {
	unreadable := func(b *Block) bool {
		return b.unreadable("agents") || b.unreadable("vlans") || b.unreadable("egress") || b.unreadable("bridges")
	}
	return unreadable(b) || slices.ContainsFunc(v.inv.Groups, func(g *Group) bool { return unreadable(&g.Block) })
}

func (s Serves) add(o Serves) Serves {
	return Serves{VLANs: union(s.VLANs, o.VLANs), Egress: union(s.Egress, o.Egress), Bridges: union(s.Bridges, o.Bridges)}
}

func union(a, b []string) []string {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

// agentVLANs resolves the trunk and the slice of every VLAN a serves.
func (v *validator) agentVLANs(a *Agent, vlans []servedVLAN) {
	if len(vlans) == 0 {
		return
	}
	for i, vl := range vlans {
		for _, prev := range vlans[:i] {
			if !v.vlanPair(a, prev, vl) {
				return
			}
		}
	}
	t := v.trunkNamed(vlans[0].Trunk)
	v.agentTrunk(a, t)
	for _, vl := range vlans {
		v.subInterface(a, t, vl.VLAN)
	}
	needSlot := slices.ContainsFunc(vlans, func(vl servedVLAN) bool { _, ok := a.IPRanges[vl.Name]; return !ok })
	if a.Slot != nil && *a.Slot < 0 {
		v.errorf(a.Range("slot"), "Invalid slot", "Slot %d is negative; slots count from 0.", *a.Slot)
		return
	}
	if needSlot && a.Slot == nil {
		if !a.unreadable("slot") && !a.unreadable("ip_ranges") {
			v.errorf(a.DefRange, "Missing slot",
				"Agent %q serves VLANs, so it needs slot = N: its slot picks its slice of each VLAN and keeps it when other agents come and go.", a.Name)
		}
		return
	}
	for _, vl := range vlans {
		if av, ok := v.agentSlice(a, vl.VLAN); ok {
			a.Networks.VLANs = append(a.Networks.VLANs, av)
		}
	}
}

// vlanPair checks that a can serve vl besides prev, reported once where
// vl was named; ok is false when they are on two trunks.
func (v *validator) vlanPair(a *Agent, prev, vl servedVLAN) (ok bool) {
	switch {
	case vl.Trunk != prev.Trunk:
		if v.first(vl.at, "VLANs on two trunks", prev.Name+" "+vl.Name) {
			v.errorf(vl.at, "VLANs on two trunks",
				"Agent %q serves vlan %q of trunk %q and, named here, vlan %q of trunk %q; an agent has one trunk NIC.",
				a.Name, prev.Name, prev.Trunk, vl.Name, vl.Trunk)
		}
		return false
	case vl.ID == prev.ID && vl.ID != 0 && v.first(vl.at, "Two VLANs with one id", prev.Name+" "+vl.Name):
		v.errorf(vl.at, "Two VLANs with one id",
			"Agent %q serves vlan %q and, named here, vlan %q: both are VLAN %d of trunk %q, so both would be Docker networks on the agent's one sub-interface for VLAN %d, and Docker refuses a second network on a parent interface. An agent serves one vlan block per VLAN id.",
			a.Name, prev.Name, vl.Name, vl.ID, vl.Trunk, vl.ID)
	}
	return true
}

// first reports whether a problem that many agents may meet is met for
// the first time, where it was written: a group's list or a trunk's NIC is
// reported once, not once for each of its agents.
func (v *validator) first(at hcl.Range, summary, about string) bool {
	k := onceKey{at, summary, about}
	if v.reported[k] {
		return false
	}
	v.reported[k] = true
	return true
}

type onceKey struct {
	at             hcl.Range
	summary, about string
}

// agentTrunk resolves the agent's trunk NIC and VM.
func (v *validator) agentTrunk(a *Agent, t *Trunk) {
	a.Networks.Trunk = t
	ownNIC := a.TrunkNIC != ""
	if !ownNIC && t != nil {
		a.TrunkNIC = t.NIC
	}
	if a.TrunkNIC == "" {
		if a.unreadable("trunk_nic") || (t != nil && t.unreadable("nic")) {
			return
		}
		v.errorf(a.DefRange, "Missing trunk NIC",
			"Agent %q serves VLANs but no trunk NIC is named: set trunk_nic here or nic in its trunk.", a.Name)
		return
	}
	if ownNIC {
		v.trunkNIC(a.Range("trunk_nic"), a.TrunkNIC)
	}
	if t != nil && t.VSphere != "" && a.VM == "" {
		a.VM = a.Name
	}
	if ownNIC && a.TrunkNIC == "auto" && (t == nil || !t.withVSphere()) {
		v.errorf(a.Range("trunk_nic"), "Trunk NIC cannot be found automatically",
			"trunk_nic = \"auto\" finds the NIC by the MAC address vSphere gives it, but agent %q's trunk has no vsphere.", a.Name)
	}
}

// agentSlice is a's ip-range of vl: explicit, or its slot's slice.
func (v *validator) agentSlice(a *Agent, vl *VLAN) (AgentVLAN, bool) {
	if !vl.Subnet.IsValid() || !vl.Gateway.IsValid() {
		return AgentVLAN{}, false
	}
	if r, ok := a.IPRanges[vl.Name]; ok {
		rng := a.KeyRange("ip_ranges", vl.Name)
		switch {
		case !contains(vl.Subnet, r):
			v.errorf(rng, "ip-range outside its subnet", "ip-range %s of agent %q is not inside subnet %s of vlan %q.", r, a.Name, vl.Subnet, vl.Name)
		case r.Contains(vl.Gateway):
			v.errorf(rng, "Gateway inside an agent's ip-range", "ip-range %s of agent %q holds gateway %s of vlan %q; Docker would hand the gateway's address to a session.", r, a.Name, vl.Gateway, vl.Name)
		case r.Bits() > 30:
			v.errorf(rng, "ip-range too small", "ip-range %s holds fewer than 4 addresses.", r)
		default:
			return AgentVLAN{VLAN: vl, IPRange: r, ProbeIP: ProbeAddr(r, vl.Subnet)}, true
		}
		return AgentVLAN{}, false
	}
	if vl.PerAgent < vl.Subnet.Bits() || vl.PerAgent > 30 {
		return AgentVLAN{}, false // reported at the vlan
	}
	sl := Slices{Subnet: vl.Subnet, Gateway: vl.Gateway, Bits: vl.PerAgent}
	r, err := sl.Slot(*a.Slot)
	if err != nil {
		v.errorf(a.Range("slot"), "Not enough slices",
			"Slot %d of agent %q does not exist in vlan %q: %s cut into /%d slices leaves %d slots besides the gateway's (0 to %d).",
			*a.Slot, a.Name, vl.Name, vl.Subnet, vl.PerAgent, sl.Count(), sl.Count()-1)
		return AgentVLAN{}, false
	}
	return AgentVLAN{VLAN: vl, IPRange: r, ProbeIP: ProbeAddr(r, vl.Subnet)}, true
}

// agentEgress resolves a's source address for eg.
func (v *validator) agentEgress(a *Agent, eg *Egress) AgentEgress {
	src, own := a.SourceIPs[eg.Name]
	if !own {
		src = eg.SourceIP
	} else if !eg.unreadable("add_address") {
		v.sourceIP(a.KeyRange("source_ips", eg.Name), src, eg)
	}
	if src == "" && !a.unreadable("source_ips") && !eg.unreadable("source_ip") {
		v.errorf(a.DefRange, "Missing source address",
			"Agent %q serves egress %q, which has no source_ip: set source_ips = { %s = \"ADDRESS\" } here, or source_ip in the egress.", a.Name, eg.Name, eg.Name)
	}
	return AgentEgress{Egress: eg, SourceIP: src}
}

// keysServed reports keys of a per-network map that a does not serve.
func (v *validator) keysServed(a *Agent, attr string, served []string, kind string) {
	for i, k := range a.keys[attr] {
		if !slices.Contains(served, k) {
			v.errorf(a.ItemRange(attr, i), "Not served by this agent",
				"Agent %q does not serve %s %q (through its groups or its own lists), so %s[%q] has no effect.", a.Name, kind, k, attr, k)
		}
	}
}

// sharedSlices finds two agents whose slices of one VLAN overlap.
func (v *validator) sharedSlices() {
	type owner struct {
		a *Agent
		r netip.Prefix
	}
	seen := map[*VLAN][]owner{}
	for _, a := range v.inv.Agents {
		for _, av := range a.Networks.VLANs {
			for _, o := range seen[av.VLAN] {
				if !o.r.Overlaps(av.IPRange) {
					continue
				}
				_, explicitA := a.IPRanges[av.Name]
				_, explicitO := o.a.IPRanges[av.Name]
				if !explicitA && !explicitO {
					v.errorf(a.Range("slot"), "Duplicate slot",
						"Agents %q and %q both have slot %d and serve vlan %q; each needs its own slot.", o.a.Name, a.Name, *a.Slot, av.Name)
				} else {
					v.errorf(v.sliceRange(a, av.Name), "Overlapping ip-ranges",
						"ip-range %s of agent %q overlaps ip-range %s of agent %q in vlan %q.", av.IPRange, a.Name, o.r, o.a.Name, av.Name)
				}
			}
			seen[av.VLAN] = append(seen[av.VLAN], owner{a, av.IPRange})
		}
	}
}

func (v *validator) sliceRange(a *Agent, vlan string) hcl.Range {
	if _, ok := a.IPRanges[vlan]; ok {
		return a.KeyRange("ip_ranges", vlan)
	}
	return a.Range("slot")
}

// sharedSources finds two agents leaving with one source address.
func (v *validator) sharedSources() {
	seen := map[string]*Agent{}
	for _, a := range v.inv.Agents {
		for _, e := range a.Networks.Egress {
			if e.SourceIP == "" {
				continue
			}
			first, dup := seen[e.SourceIP]
			if !dup {
				seen[e.SourceIP] = a
				continue
			}
			if first == a {
				continue
			}
			rng := a.DefRange
			if _, own := a.SourceIPs[e.Name]; own {
				rng = a.KeyRange("source_ips", e.Name)
			}
			msg := fmt.Sprintf("Agents %q and %q both leave with source address %s; two hosts holding one address on one network take turns answering ARP for it. Give each agent its own with source_ips.", first.Name, a.Name, e.SourceIP)
			if e.AddAddress {
				v.errorf(rng, "Shared source address", "%s", msg)
			} else {
				v.warnf(rng, "Shared source address", "%s", msg)
			}
		}
	}
}

func isGlob(p string) bool { return strings.ContainsAny(p, "*?[") }

func matches(pattern, name string) bool {
	if ok, err := path.Match(pattern, name); err == nil && ok {
		return true
	}
	return pattern == name
}
