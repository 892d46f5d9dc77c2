// Package plan decides, without touching the host, which actions bring
// it from what was observed to what the spec wants, in an order where
// every step can be repeated.
package plan

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/kasmfleet/push/remote/proto"
)

// Validate checks a spec on its own and reports every problem at once.
// push validates the inventory too; the helper never trusts its input.
func Validate(s proto.HostSpec) error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	names := map[string]bool{}
	dupName := func(n string) {
		if names[n] {
			bad("network %s: named twice", n)
		}
		names[n] = true
	}
	if len(s.VLANs) > 0 && s.Trunk == nil {
		bad("vlan networks need a trunk NIC")
	}
	if s.Trunk != nil {
		if s.Trunk.NIC == "" && s.Trunk.MAC == "" {
			bad("trunk: give a NIC name or a MAC address")
		}
		if s.Trunk.MAC != "" {
			if _, err := net.ParseMAC(s.Trunk.MAC); err != nil {
				bad("trunk: MAC %q: %v", s.Trunk.MAC, err)
			}
		}
		if len(s.Trunk.NIC) > 15-5 { // room for ".4094"
			bad("trunk: NIC name %q is too long for VLAN sub-interfaces (at most 10 bytes)", s.Trunk.NIC)
		}
	}
	vids := map[int]string{}
	for _, v := range s.VLANs {
		dupName(v.Name)
		if v.Name == "" {
			bad("vlan network with VID %d: no name", v.VID)
		}
		if modes := proto.Modes(v.Driver); !contains(modes, v.Mode) {
			if modes == nil {
				bad("network %s: driver %q is not ipvlan or macvlan", v.Name, v.Driver)
			} else {
				bad("network %s: %s mode %q is not one of %s", v.Name, v.Driver, v.Mode, strings.Join(modes, ", "))
			}
		}
		if v.VID < 1 || v.VID > 4094 {
			bad("network %s: VLAN id %d is not within 1-4094", v.Name, v.VID)
		}
		if other, ok := vids[v.VID]; ok {
			bad("network %s: VLAN %d is also used by %s (one Docker network per parent)", v.Name, v.VID, other)
		}
		vids[v.VID] = v.Name
		subnet, ok := prefix(&errs, v.Name, "subnet", v.Subnet, true)
		gw, gok := addr(&errs, v.Name, "gateway", v.Gateway, true)
		rng, rok := prefix(&errs, v.Name, "ip-range", v.IPRange, true)
		if ok && gok && !subnet.Contains(gw) {
			bad("network %s: gateway %s is outside subnet %s", v.Name, gw, subnet)
		}
		if ok && rok && !within(rng, subnet) {
			bad("network %s: ip-range %s is outside subnet %s", v.Name, rng, subnet)
		}
		if rok && gok && rng.Contains(gw) {
			bad("network %s: ip-range %s contains the gateway %s", v.Name, rng, gw)
		}
		if v.ProbeIP != "" {
			p, pok := addr(&errs, v.Name, "probe ip", v.ProbeIP, true)
			if pok && rok && !rng.Contains(p) {
				bad("network %s: probe ip %s is outside ip-range %s", v.Name, p, rng)
			}
		}
		if v.Subnet6 != "" {
			s6, ok6 := prefix6(&errs, v.Name, "subnet6", v.Subnet6)
			g6, gok6 := addr6(&errs, v.Name, "gateway6", v.Gateway6)
			r6, rok6 := prefix6(&errs, v.Name, "ip-range6", v.IPRange6)
			if ok6 && gok6 && !s6.Contains(g6) {
				bad("network %s: gateway6 %s is outside subnet6 %s", v.Name, g6, s6)
			}
			if ok6 && rok6 && !within(r6, s6) {
				bad("network %s: ip-range6 %s is outside subnet6 %s", v.Name, r6, s6)
			}
		}
		urlCheck(&errs, v.Name, v.VerifyURL)
	}
	bridges := map[string]string{}
	for _, b := range s.Bridges {
		dupName(b.Name)
		if b.Name == "" {
			bad("bridge network: no name")
		}
		if b.Bridge == "" || len(b.Bridge) > 15 || strings.ContainsAny(b.Bridge, " /:") {
			bad("network %s: bridge name %q must be 1-15 bytes without spaces, '/' or ':'", b.Name, b.Bridge)
		}
		if other, ok := bridges[b.Bridge]; ok {
			bad("network %s: bridge %s is also used by %s", b.Name, b.Bridge, other)
		}
		bridges[b.Bridge] = b.Name
		subnet, sok := prefix(&errs, b.Name, "subnet", b.Subnet, false)
		gw, gok := addr(&errs, b.Name, "gateway", b.Gateway, false)
		if b.Gateway != "" && b.Subnet == "" {
			bad("network %s: a gateway needs a subnet", b.Name)
		}
		if sok && gok && !subnet.Contains(gw) {
			bad("network %s: gateway %s is outside subnet %s", b.Name, gw, subnet)
		}
		src, srcOK := addr(&errs, b.Name, "source ip", b.SourceIP, false)
		if b.AddAddress != "" {
			p, err := netip.ParsePrefix(b.AddAddress)
			switch {
			case err != nil:
				bad("network %s: add address %q: %v", b.Name, b.AddAddress, err)
			case !srcOK:
				bad("network %s: add address %s without a source ip", b.Name, b.AddAddress)
			case p.Addr() != src:
				bad("network %s: add address %s is not the source ip %s", b.Name, b.AddAddress, src)
			}
		}
		if b.VerifyURL != "" && b.SourceIP == "" {
			bad("network %s: verify url needs a source ip to compare with", b.Name)
		}
		urlCheck(&errs, b.Name, b.VerifyURL)
	}
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func prefix(errs *[]error, net, what, s string, required bool) (netip.Prefix, bool) {
	if s == "" {
		if required {
			*errs = append(*errs, fmt.Errorf("network %s: no %s", net, what))
		}
		return netip.Prefix{}, false
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		*errs = append(*errs, fmt.Errorf("network %s: %s %q is not an IPv4 CIDR", net, what, s))
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

func addr(errs *[]error, net, what, s string, required bool) (netip.Addr, bool) {
	if s == "" {
		if required {
			*errs = append(*errs, fmt.Errorf("network %s: no %s", net, what))
		}
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		*errs = append(*errs, fmt.Errorf("network %s: %s %q is not an IPv4 address", net, what, s))
		return netip.Addr{}, false
	}
	return a, true
}

func within(inner, outer netip.Prefix) bool {
	return inner.Bits() >= outer.Bits() && outer.Contains(inner.Addr())
}

func urlCheck(errs *[]error, net, u string) {
	if u != "" && !strings.HasPrefix(u, "http://") {
		*errs = append(*errs, fmt.Errorf("network %s: verify url %q: only http:// is supported", net, u))
	}
}

func prefix6(errs *[]error, net, what, s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() {
		*errs = append(*errs, fmt.Errorf("network %s: %s %q is not an IPv6 CIDR", net, what, s))
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

func addr6(errs *[]error, net, what, s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Is4In6() {
		*errs = append(*errs, fmt.Errorf("network %s: %s %q is not an IPv6 address", net, what, s))
		return netip.Addr{}, false
	}
	return a, true
}
