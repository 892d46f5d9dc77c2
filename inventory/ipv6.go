package inventory

import (
	"fmt"
	"net/netip"
)

// A VLAN may carry an IPv6 subnet beside its IPv4 one (subnet6,
// gateway6): Docker's --ipv6 network with a second IPAM pool. Each agent
// gets a slice of it by the same rule as IPv4 (Slices): the slice
// holding gateway6 is skipped, slot N is the N-th slice left.

// maxPerAgent6 is the longest IPv6 slice prefix: 16 addresses.
const maxPerAgent6 = 124

// parsePrefix6 accepts an IPv6 network in CIDR form, host bits clear.
func parsePrefix6(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv6 network in CIDR form such as \"2001:db8:150::/64\"", s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set; the network is %s", s, p.Masked())
	}
	return p, nil
}

// parseAddr6 accepts an IPv6 address without zone.
func parseAddr6(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv6 address such as \"2001:db8:150::1\"", s)
	}
	return a, nil
}

func (r *attrReader) prefix6(name string) netip.Prefix {
	s := r.str(name)
	if s == "" {
		return netip.Prefix{}
	}
	p, err := parsePrefix6(s)
	if err != nil {
		r.errorf(r.block.Range(name), "Invalid subnet", "%s", err)
		r.block.invalid[name] = true
	}
	return p
}

func (r *attrReader) addr6(name string) netip.Addr {
	s := r.str(name)
	if s == "" {
		return netip.Addr{}
	}
	a, err := parseAddr6(s)
	if err != nil {
		r.errorf(r.block.Range(name), "Invalid IP address", "%s", err)
		r.block.invalid[name] = true
	}
	return a
}

// ProbeAddr6 is the address of an IPv6 slice reserved for verify's probe:
// its last address (IPv6 has no broadcast).
func ProbeAddr6(slice netip.Prefix) netip.Addr {
	hi, lo := u128(slice.Masked().Addr())
	host := uint(128 - slice.Bits())
	switch {
	case host >= 64:
		lo = ^uint64(0)
		hi |= (uint64(1) << (host - 64)) - 1
	default:
		lo |= (uint64(1) << host) - 1
	}
	return from128(hi, lo)
}

// vlan6 checks a VLAN's IPv6 half and fills per_agent6's default: as many
// IPv6 slices as IPv4 ones, so slot N is a slice of both.
func (v *validator) vlan6(vl *VLAN) {
	has6 := vl.Has("subnet6") || vl.unreadable("subnet6")
	hasGW6 := vl.Has("gateway6") || vl.unreadable("gateway6")
	switch {
	case has6 && !hasGW6:
		v.errorf(vl.Range("subnet6"), "Missing required argument", "subnet6 needs gateway6, the router's IPv6 address in it.")
	case hasGW6 && !has6:
		v.errorf(vl.Range("gateway6"), "Missing required argument", "gateway6 needs subnet6, the VLAN's IPv6 network.")
	case vl.Has("per_agent6") && !has6:
		v.errorf(vl.Range("per_agent6"), "IPv6 slices without an IPv6 subnet", "per_agent6 cuts subnet6 into slices; set subnet6 and gateway6, or remove per_agent6.")
	}
	if !vl.Subnet6.IsValid() {
		return
	}
	if vl.Gateway6.IsValid() {
		switch {
		case !vl.Subnet6.Contains(vl.Gateway6):
			v.errorf(vl.Range("gateway6"), "Gateway outside its subnet", "Gateway %s is not inside subnet %s.", vl.Gateway6, vl.Subnet6)
		case vl.Gateway6 == vl.Subnet6.Addr():
			v.errorf(vl.Range("gateway6"), "Gateway is not a host address", "%s is the subnet-router anycast address of %s.", vl.Gateway6, vl.Subnet6)
		}
	}
	if !vl.Has("per_agent6") {
		if vl.unreadable("per_agent6") || !vl.Subnet.IsValid() || vl.PerAgent < vl.Subnet.Bits() {
			return // nothing to derive it from; reported elsewhere
		}
		vl.PerAgent6 = min(vl.Subnet6.Bits()+vl.PerAgent-vl.Subnet.Bits(), maxPerAgent6)
	}
	if vl.PerAgent6 < vl.Subnet6.Bits() || vl.PerAgent6 > maxPerAgent6 {
		v.errorf(vl.Range("per_agent6"), "Slice does not fit the subnet",
			"per_agent6 = %d asks for /%d slices of %s; use a prefix length from %d to %d.",
			vl.PerAgent6, vl.PerAgent6, vl.Subnet6, vl.Subnet6.Bits(), maxPerAgent6)
	}
	for _, o := range v.inv.VLANs {
		if o == vl {
			break
		}
		if overlaps(o.Subnet6, vl.Subnet6) {
			v.errorf(vl.Range("subnet6"), "Overlapping subnets", "Subnet %s of vlan %q overlaps subnet %s of vlan %q.", vl.Subnet6, vl.Name, o.Subnet6, o.Name)
		}
	}
}

// agentSlice6 gives av its slice of the VLAN's IPv6 subnet, by a's slot.
func (v *validator) agentSlice6(a *Agent, vl *VLAN, av *AgentVLAN) bool {
	if !vl.Subnet6.IsValid() || !vl.Gateway6.IsValid() || vl.PerAgent6 < vl.Subnet6.Bits() || vl.PerAgent6 > maxPerAgent6 {
		return true // nothing to give, or reported at the vlan
	}
	if a.Slot == nil {
		v.errorf(a.KeyRange("ip_ranges", vl.Name), "Missing slot",
			"vlan %q has subnet6, and an agent's IPv6 slice comes from its slot: give agent %q slot = N.", vl.Name, a.Name)
		return false
	}
	sl := Slices{Subnet: vl.Subnet6, Gateway: vl.Gateway6, Bits: vl.PerAgent6}
	r, err := sl.Slot(*a.Slot)
	if err != nil {
		v.errorf(a.Range("slot"), "Not enough slices",
			"Slot %d of agent %q does not exist in the IPv6 subnet of vlan %q: %s cut into /%d slices leaves %d slots besides the gateway's.",
			*a.Slot, a.Name, vl.Name, vl.Subnet6, vl.PerAgent6, sl.Count())
		return false
	}
	av.IPRange6, av.ProbeIP6 = r, ProbeAddr6(r)
	return true
}
