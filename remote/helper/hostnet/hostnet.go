// Package hostnet reads and changes the host's links and addresses over
// netlink: the trunk NIC, secondary addresses, and the interfaces that
// carry the controller's SSH session.
package hostnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
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
	a := l.Attrs()
	out := Link{Name: a.Name, Index: a.Index, MAC: a.HardwareAddr.String(), Up: a.Flags&net.FlagUp != 0, Type: l.Type()}
	addrs, err := nlsafe.AddrList(n.h(), l, netlink.FAMILY_ALL)
	if err != nil {
		return out, fmt.Errorf("addresses of %s: %w", a.Name, err)
	}
	for _, ad := range addrs {
		p, ok := toPrefix(ad.IPNet)
		if !ok || (p.Addr().Is6() && p.Addr().IsLinkLocalUnicast()) {
			continue
		}
		out.Addrs = append(out.Addrs, p)
	}
	return out, nil
}

// sharesMAC are link types that copy their lower link's MAC address.
func sharesMAC(linkType string) bool {
	switch linkType {
	case "vlan", "macvlan", "macvtap", "ipvlan", "ipvtap", "bridge":
		return true
	}
	return false
}

// ResolveTrunk finds the trunk NIC by name, by MAC, or both; when both
// are given they must name the same link.
func (n Net) ResolveTrunk(name, mac string) (Link, error) {
	if name == "" && mac == "" {
		return Link{}, errors.New("trunk: neither a NIC name nor a MAC address given")
	}
	var byMAC *Link
	if mac != "" {
		hw, err := net.ParseMAC(mac)
		if err != nil {
			return Link{}, fmt.Errorf("trunk: MAC %q: %w", mac, err)
		}
		links, err := nlsafe.LinkList(n.h())
		if err != nil {
			return Link{}, fmt.Errorf("list links: %w", err)
		}
		// VLAN sub-interfaces, macvlans and bridges may share the MAC;
		// the trunk is the NIC under them (a physical device if any).
		for _, l := range links {
			if sharesMAC(l.Type()) || l.Attrs().HardwareAddr.String() != hw.String() {
				continue
			}
			if byMAC != nil && byMAC.Type == "device" {
				continue
			}
			d, err := n.describe(l)
			if err != nil {
				return Link{}, err
			}
			byMAC = &d
		}
		if byMAC == nil {
			return Link{}, fmt.Errorf("trunk: no NIC has MAC %s", hw)
		}
		if name == "" {
			return *byMAC, nil
		}
	}
	l, ok, err := n.LinkByName(name)
	if err != nil {
		return Link{}, err
	}
	if !ok {
		return Link{}, fmt.Errorf("trunk: no NIC named %s", name)
	}
	if byMAC != nil && byMAC.Name != l.Name {
		return Link{}, fmt.Errorf("trunk: NIC %s has MAC %s, but MAC %s belongs to %s", l.Name, l.MAC, mac, byMAC.Name)
	}
	return l, nil
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

// Addresses lists every address on the host except loopback and IPv6
// link-local ones, sorted by link then address.
func (n Net) Addresses() ([]Owner, error) {
	links, err := nlsafe.LinkList(n.h())
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	var out []Owner
	for _, l := range links {
		if l.Attrs().Flags&net.FlagLoopback != 0 {
			continue
		}
		d, err := n.describe(l)
		if err != nil {
			return nil, err
		}
		for _, p := range d.Addrs {
			out = append(out, Owner{Link: d.Name, Prefix: p})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Link != out[j].Link {
			return out[i].Link < out[j].Link
		}
		return out[i].Prefix.Addr().Less(out[j].Prefix.Addr())
	})
	return out, nil
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
