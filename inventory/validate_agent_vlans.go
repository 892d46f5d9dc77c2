package inventory

import (
	"net/netip"
	"slices"

	"github.com/hashicorp/hcl/v2"
)

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
		if av, ok := v.agentSlice(a, vl.VLAN); ok && v.agentSlice6(a, vl.VLAN, &av) {
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
	case vl.ID == prev.ID && vl.ID != 0:
		if v.first(vl.at, "Two VLANs with one id", prev.Name+" "+vl.Name) {
			v.errorf(vl.at, "Two VLANs with one id",
				"Agent %q serves vlan %q and, named here, vlan %q: both are VLAN %d of trunk %q, so both would be Docker networks on the agent's one sub-interface for VLAN %d, and Docker refuses a second network on a parent interface. An agent serves one vlan block per VLAN id.",
				a.Name, prev.Name, vl.Name, vl.ID, vl.Trunk, vl.ID)
		}
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
		switch {
		case t == nil:
			v.errorf(a.DefRange, "Missing trunk NIC",
				"Agent %q serves VLANs but no trunk NIC is named: set trunk_nic here, or a trunk block with a nic.", a.Name)
		case v.first(t.DefRange, "Missing trunk NIC", ""):
			v.errorf(t.DefRange, "Missing trunk NIC",
				"Trunk %q names no nic, and agent %q serves its VLANs without a trunk_nic of its own (other agents may too): set nic here, or trunk_nic in each of its agents.", t.Name, a.Name)
		}
		return
	}
	if ownNIC {
		v.trunkNIC(a.Range("trunk_nic"), a.TrunkNIC)
	}
	if t != nil && t.VSphere != "" && a.VM == "" && !a.BareMetal {
		a.VM = a.Name
	}
	switch {
	case a.TrunkNIC != "auto":
	case ownNIC && (t == nil || !t.withVSphere()):
		v.errorf(a.Range("trunk_nic"), "Trunk NIC cannot be found automatically",
			"trunk_nic = \"auto\" finds the NIC by the MAC address vSphere gives it, but agent %q's trunk has no vsphere.", a.Name)
	case ownNIC && a.BareMetal:
		v.errorf(a.Range("trunk_nic"), "Trunk NIC cannot be found automatically",
			"trunk_nic = \"auto\" finds the NIC by the MAC address vSphere gives the agent's VM, but agent %q is bare metal (no VM): name its trunk NIC, e.g. trunk_nic = \"eno2\".", a.Name)
	case a.BareMetal && t != nil && t.withVSphere() && !a.unreadable("trunk_nic"):
		v.errorf(a.Range("bare_metal"), "Trunk NIC cannot be found automatically",
			"Agent %q is bare metal (no VM), so vSphere cannot tell its trunk NIC, and trunk %q's nic is \"auto\": set trunk_nic here, e.g. trunk_nic = \"eno2\".", a.Name, t.Name)
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
