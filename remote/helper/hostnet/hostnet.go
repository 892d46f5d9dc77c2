// Package hostnet reads and changes the host's links and addresses over
// netlink: the trunk NIC, secondary addresses, and the interfaces that
// carry the controller's SSH session.
package hostnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/kasmfleet/push/remote/helper/internal/nlsafe"
	"golang.org/x/sys/unix"
)

// Net works in the network namespace of its handle (the host's when
// Handle is nil).
type Net struct {
	Handle *netlink.Handle
}

func (n Net) h() *netlink.Handle {
	if n.Handle != nil {
		return n.Handle
	}
	return &netlink.Handle{} // the zero handle uses the current namespace
}

// Link is what push needs to know about one link.
type Link struct {
	Name  string
	Index int
	MAC   string
	Up    bool // administratively up
	Type  string
	// Addrs are its addresses except IPv6 link-local ones.
	Addrs []netip.Prefix
}

// LinkByName returns a link; ok is false when there is none.
func (n Net) LinkByName(name string) (Link, bool, error) {
	l, err := n.h().LinkByName(name)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return Link{}, false, nil
	}
	if err != nil {
		return Link{}, false, fmt.Errorf("link %s: %w", name, err)
	}
	out, err := n.describe(l)
	return out, err == nil, err
}

func (n Net) describe(l netlink.Link) (Link, error) {
	addrs, err := nlsafe.AddrList(n.h(), l, netlink.FAMILY_ALL)
	if err != nil {
		return linkOf(l, nil), fmt.Errorf("addresses of %s: %w", l.Attrs().Name, err)
	}
	return linkOf(l, prefixes(addrs)), nil
}

// linkOf describes l with its addresses.
func linkOf(l netlink.Link, addrs []netip.Prefix) Link {
	a := l.Attrs()
	return Link{Name: a.Name, Index: a.Index, MAC: a.HardwareAddr.String(), Up: a.Flags&net.FlagUp != 0, Type: l.Type(), Addrs: addrs}
}

// prefixes are the addresses push considers (considered).
func prefixes(addrs []netlink.Addr) []netip.Prefix {
	var out []netip.Prefix
	for _, ad := range addrs {
		if p, ok := considered(ad); ok {
			out = append(out, p)
		}
	}
	return out
}

// considered reads an address push considers: any but IPv6 link-local.
func considered(ad netlink.Addr) (netip.Prefix, bool) {
	p, ok := toPrefix(ad.IPNet)
	return p, ok && !(p.Addr().Is6() && p.Addr().IsLinkLocalUnicast())
}

// sharesMAC are link types that copy their lower link's MAC address.
func sharesMAC(linkType string) bool {
	switch linkType {
	case "vlan", "macvlan", "macvtap", "ipvlan", "ipvtap", "bridge":
		return true
	}
	return false
}

// ResolveTrunk finds the trunk NIC by name, by MAC, or both (View.ResolveTrunk).
func (n Net) ResolveTrunk(name, mac string) (Link, error) {
	v, err := n.Read()
	if err != nil {
		return Link{}, err
	}
	return v.ResolveTrunk(name, mac)
}

// SetUp brings a link administratively up.
func (n Net) SetUp(name string) error {
	l, err := n.h().LinkByName(name)
	if err != nil {
		return fmt.Errorf("link %s: %w", name, err)
	}
	if err := n.h().LinkSetUp(l); err != nil {
		return fmt.Errorf("set %s up: %w", name, err)
	}
	return nil
}

// DelAddrs removes the given addresses from a link; ones already gone
// are not an error.
func (n Net) DelAddrs(name string, addrs []netip.Prefix) error {
	l, err := n.h().LinkByName(name)
	if err != nil {
		return fmt.Errorf("link %s: %w", name, err)
	}
	for _, p := range addrs {
		a := &netlink.Addr{IPNet: toIPNet(p)}
		if err := n.h().AddrDel(l, a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return fmt.Errorf("remove %s from %s: %w", p, name, err)
		}
	}
	return nil
}

// AddAddr adds a secondary address; one already there is not an error.
func (n Net) AddAddr(name string, p netip.Prefix) error {
	l, err := n.h().LinkByName(name)
	if err != nil {
		return fmt.Errorf("link %s: %w", name, err)
	}
	if err := n.h().AddrAdd(l, &netlink.Addr{IPNet: toIPNet(p)}); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add %s to %s: %w", p, name, err)
	}
	return nil
}

// Owner is an address and the link that holds it.
type Owner struct {
	Link   string
	Prefix netip.Prefix
}

// Addresses lists the host's addresses (View.Addresses).
func (n Net) Addresses() ([]Owner, error) {
	v, err := n.Read()
	if err != nil {
		return nil, err
	}
	return v.Addresses(), nil
}

// OwnerOf returns the link holding ip, if any.
func OwnerOf(all []Owner, ip netip.Addr) (string, bool) {
	for _, o := range all {
		if o.Prefix.Addr() == ip {
			return o.Link, true
		}
	}
	return "", false
}

// ConnectedLink returns the link whose connected network contains p's
// address: the link of an address whose prefix contains it.
func ConnectedLink(all []Owner, p netip.Prefix) (string, error) {
	var found []string
	for _, o := range all {
		if o.Prefix.Masked().Contains(p.Addr()) && o.Prefix.Bits() > 0 {
			found = append(found, o.Link)
		}
	}
	switch {
	case len(found) == 0:
		return "", fmt.Errorf("no interface is connected to a network containing %s", p.Addr())
	case len(uniq(found)) > 1:
		return "", fmt.Errorf("several interfaces are connected to networks containing %s: %s", p.Addr(), strings.Join(uniq(found), ", "))
	}
	return found[0], nil
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func toPrefix(ipn *net.IPNet) (netip.Prefix, bool) {
	if ipn == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(ipn.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	bits, _ := ipn.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), bits), true
}

func toIPNet(p netip.Prefix) *net.IPNet {
	a := p.Addr()
	return &net.IPNet{IP: net.IP(a.AsSlice()), Mask: net.CIDRMask(p.Bits(), a.BitLen())}
}
