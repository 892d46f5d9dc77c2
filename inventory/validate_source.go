package inventory

import (
	"net/netip"

	"github.com/hashicorp/hcl/v2"
)

// sourceIP checks one source address of egress e: a plain address, or with
// add_address the address with its prefix. It must be a unicast host
// address outside the subnet whose traffic leaves with it.
func (v *validator) sourceIP(rng hcl.Range, s string, e *Egress) {
	var a netip.Addr
	if e.AddAddress {
		p, err := parseHostPrefix(s)
		if err != nil {
			v.errorf(rng, "Invalid source address", "%s; with add_address = true write the address with its prefix, such as \"192.0.2.10/24\".", err)
			return
		}
		if net := p.Masked(); p.Bits() <= 30 && (p.Addr() == net.Addr() || p.Addr() == lastAddr(net)) {
			v.errorf(rng, "Source address is not a host address",
				"%s is the network or broadcast address of %s, which the kernel will not use as a source.", p.Addr(), net)
			return
		}
		a = p.Addr()
	} else {
		var err error
		if a, err = parseAddr(s); err != nil {
			v.errorf(rng, "Invalid source address", "%s.", err)
			return
		}
	}
	switch {
	case notUnicast(a) != "":
		v.errorf(rng, "Source address cannot be used",
			"%s is %s; source NAT needs a unicast address the host holds on its network.", a, notUnicast(a))
	case e.Subnet.IsValid() && e.Subnet.Contains(a):
		v.errorf(rng, "Source address inside its own subnet",
			"%s is inside subnet %s of egress %q, whose traffic leaves with it: replies would be delivered to the Docker bridge, not the network. Use an address of the host's network.", a, e.Subnet, e.Name)
	}
}

var (
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	reserved    = netip.MustParsePrefix("240.0.0.0/4")
)

// notUnicast says why a cannot be a host's source address, or "".
func notUnicast(a netip.Addr) string {
	switch {
	case thisNetwork.Contains(a):
		return "in 0.0.0.0/8, which means \"this host\" and is never a source on the wire"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsMulticast():
		return "a multicast address"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the limited broadcast address"
	case reserved.Contains(a):
		return "in 240.0.0.0/4, reserved and dropped by routers"
	case a.IsLinkLocalUnicast():
		return "a link-local address, which routers never forward"
	}
	return ""
}
