package hostnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"

	"github.com/vishvananda/netlink"

	"github.com/kasmfleet/push/remote/helper/internal/nlsafe"
)

// View is one read of the host's links and their addresses: two netlink
// dumps, whatever the number of links. A Kasm agent has a veth per
// session; asking for each link's addresses on its own would dump every
// address of the host once per link.
type View struct {
	n     Net
	links []netlink.Link
	addrs map[int][]netip.Prefix // by link index (considered)
}

// Read takes a View of the host.
func (n Net) Read() (View, error) {
	links, err := nlsafe.LinkList(n.h())
	if err != nil {
		return View{}, fmt.Errorf("list links: %w", err)
	}
	all, err := nlsafe.AddrList(n.h(), nil, netlink.FAMILY_ALL)
	if err != nil {
		return View{}, fmt.Errorf("list addresses: %w", err)
	}
	v := View{n: n, links: links, addrs: map[int][]netip.Prefix{}}
	for _, a := range all {
		if p, ok := considered(a); ok {
			v.addrs[a.LinkIndex] = append(v.addrs[a.LinkIndex], p)
		}
	}
	return v, nil
}

func (v View) link(l netlink.Link) Link { return linkOf(l, v.addrs[l.Attrs().Index]) }

// LinkByName returns a link; ok is false when there is none.
func (v View) LinkByName(name string) (Link, bool) {
	for _, l := range v.links {
		if l.Attrs().Name == name {
			return v.link(l), true
		}
	}
	return Link{}, false
}

// Addresses lists every address on the host except loopback and IPv6
// link-local ones, sorted by link then address.
func (v View) Addresses() []Owner {
	var out []Owner
	for _, l := range v.links {
		if l.Attrs().Flags&net.FlagLoopback != 0 {
			continue
		}
		for _, p := range v.addrs[l.Attrs().Index] {
			out = append(out, Owner{Link: l.Attrs().Name, Prefix: p})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Link != out[j].Link {
			return out[i].Link < out[j].Link
		}
		return out[i].Prefix.Addr().Less(out[j].Prefix.Addr())
	})
	return out
}

// ResolveTrunk finds the trunk NIC by name, by MAC, or both; when both
// are given they must name the same link.
func (v View) ResolveTrunk(name, mac string) (Link, error) {
	if name == "" && mac == "" {
		return Link{}, errors.New("trunk: neither a NIC name nor a MAC address given")
	}
	var byMAC *Link
	if mac != "" {
		hw, err := net.ParseMAC(mac)
		if err != nil {
			return Link{}, fmt.Errorf("trunk: MAC %q: %w", mac, err)
		}
		// VLAN sub-interfaces, macvlans and bridges may share the MAC;
		// the trunk is the NIC under them (a physical device if any).
		for _, l := range v.links {
			if sharesMAC(l.Type()) || l.Attrs().HardwareAddr.String() != hw.String() {
				continue
			}
			if byMAC != nil && byMAC.Type == "device" {
				continue
			}
			d := v.link(l)
			byMAC = &d
		}
		if byMAC == nil {
			return Link{}, fmt.Errorf("trunk: no NIC has MAC %s", hw)
		}
		if name == "" {
			return *byMAC, nil
		}
	}
	l, ok := v.LinkByName(name)
	if !ok {
		return Link{}, fmt.Errorf("trunk: no NIC named %s", name)
	}
	if byMAC != nil && byMAC.Name != l.Name {
		return Link{}, fmt.Errorf("trunk: NIC %s has MAC %s, but MAC %s belongs to %s", l.Name, l.MAC, mac, byMAC.Name)
	}
	return l, nil
}
