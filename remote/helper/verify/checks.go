package verify

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/kasmfleet/push/remote/helper/internal/nlsafe"

	"github.com/kasmfleet/push/remote/proto"
)

// VLAN probes a VLAN network: a link of the same driver and mode on its
// parent, holding v.ProbeIP, must reach the gateway, and the verify URL
// must see an address of the agent's ip-range.
func (p Prober) VLAN(ctx context.Context, v proto.VLANNetwork, parent string) []proto.Check {
	gwCheck := proto.Check{Network: v.Name, What: fmt.Sprintf("gateway %s answers a probe on %s", v.Gateway, parent), Want: "echo reply"}
	fail := func(err error) []proto.Check {
		gwCheck.Error = err.Error()
		return []proto.Check{gwCheck}
	}
	if v.ProbeIP == "" {
		return fail(fmt.Errorf("the spec reserves no probe address for %s", v.Name))
	}
	subnet := netip.MustParsePrefix(v.Subnet)
	probeAddr := netip.PrefixFrom(netip.MustParseAddr(v.ProbeIP), subnet.Bits())
	par, err := p.h().LinkByName(parent)
	if err != nil {
		return fail(fmt.Errorf("parent %s: %w", parent, err))
	}
	pr, err := newProbe(p)
	if err != nil {
		return fail(err)
	}
	defer pr.close()
	pr.link = linkName("pp")
	attrs := netlink.LinkAttrs{Name: pr.link, ParentIndex: par.Attrs().Index, Namespace: netlink.NsFd(int(pr.ns))}
	var link netlink.Link
	switch v.Driver {
	case "ipvlan":
		link = &netlink.IPVlan{LinkAttrs: attrs, Mode: ipvlanMode(v.Mode)}
	default:
		link = &netlink.Macvlan{LinkAttrs: attrs, Mode: macvlanMode(v.Mode)}
	}
	if err := p.h().LinkAdd(link); err != nil {
		return fail(fmt.Errorf("create %s %s probe link on %s: %w", v.Driver, v.Mode, parent, err))
	}
	gw := netip.MustParseAddr(v.Gateway)
	route := gw
	if v.Driver == "ipvlan" && v.Mode != "l2" {
		route = netip.Addr{} // l3 modes have no neighbours: route out of the link
	}
	if err := pr.configure(probeAddr, route); err != nil {
		return fail(err)
	}
	checks := []proto.Check{gwCheck}
	if err := pr.ping(ctx, gw); err != nil {
		checks[0].Error = err.Error()
	} else {
		checks[0].OK, checks[0].Got = true, "echo reply"
	}
	if v.VerifyURL != "" {
		rng := netip.MustParsePrefix(v.IPRange)
		c := proto.Check{Network: v.Name, What: "endpoint " + v.VerifyURL + " sees an address of this agent's ip-range", Want: rng.String()}
		got, err := pr.get(ctx, v.VerifyURL)
		c.Got = got
		switch a, perr := parseEchoed(got); {
		case err != nil:
			c.Error = err.Error()
		case perr != nil || !rng.Contains(a):
			c.Error = fmt.Sprintf("endpoint saw %q, not an address of %s", got, rng)
		default:
			c.OK = true
		}
		checks = append(checks, c)
	}
	return checks
}

// Bridge describes a bridge network as Docker reports it.
type Bridge struct {
	Network string
	Bridge  string // Linux bridge name
	Subnet  netip.Prefix
	Gateway netip.Addr
	// InUse are addresses the probe must not take (containers').
	InUse []netip.Addr
}

// SNAT probes a bridge network with source NAT: from a veth on the
// bridge, with an unused address of the subnet and a default route via
// the bridge's gateway, the verify URL must see sourceIP.
func (p Prober) SNAT(ctx context.Context, b Bridge, sourceIP, verifyURL string) []proto.Check {
	c := proto.Check{Network: b.Network, What: "endpoint " + verifyURL + " sees the SNAT source address", Want: sourceIP}
	fail := func(err error) []proto.Check {
		c.Error = err.Error()
		return []proto.Check{c}
	}
	br, err := p.h().LinkByName(b.Bridge)
	if err != nil {
		return fail(fmt.Errorf("bridge %s: %w", b.Bridge, err))
	}
	if !b.Gateway.IsValid() {
		// Docker reports no gateway it chose itself; it is the bridge's
		// address in the subnet.
		if b.Gateway, err = p.addrIn(br, b.Subnet); err != nil {
			return fail(err)
		}
	}
	addr, err := freeAddr(b.Subnet, append(b.InUse, b.Gateway))
	if err != nil {
		return fail(err)
	}
	pr, err := newProbe(p)
	if err != nil {
		return fail(err)
	}
	defer pr.close()
	pr.link = "eth0"
	host := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: linkName("pv"), MasterIndex: br.Attrs().Index},
		PeerName: pr.link, PeerNamespace: netlink.NsFd(int(pr.ns))}
	if err := p.h().LinkAdd(host); err != nil {
		return fail(fmt.Errorf("create probe veth on %s: %w", b.Bridge, err))
	}
	pr.host = host
	if err := p.h().LinkSetUp(host); err != nil {
		return fail(fmt.Errorf("probe veth up: %w", err))
	}
	if err := pr.configure(netip.PrefixFrom(addr, b.Subnet.Bits()), b.Gateway); err != nil {
		return fail(err)
	}
	got, err := pr.get(ctx, verifyURL)
	c.Got = got
	seen, perr := parseEchoed(got)
	switch {
	case err != nil:
		c.Error = err.Error()
	case perr != nil || seen.String() != sourceIP:
		c.Error = fmt.Sprintf("endpoint saw %s, want %s (from probe %s)", got, sourceIP, addr)
	default:
		c.OK = true
	}
	return []proto.Check{c}
}

// addrIn is link's address inside subnet.
func (p Prober) addrIn(link netlink.Link, subnet netip.Prefix) (netip.Addr, error) {
	addrs, err := nlsafe.AddrList(p.h(), link, netlink.FAMILY_V4)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("addresses of %s: %w", link.Attrs().Name, err)
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && subnet.Contains(ip.Unmap()) {
			return ip.Unmap(), nil
		}
	}
	return netip.Addr{}, fmt.Errorf("bridge %s has no address in %s to use as gateway", link.Attrs().Name, subnet)
}

// parseEchoed reads the address an endpoint echoed, in any of the ways
// servers print one: "192.0.2.30", "[::ffff:192.0.2.30]", "::ffff:...".
func parseEchoed(s string) (netip.Addr, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return a, err
	}
	return a.Unmap(), nil
}

// freeAddr picks the highest host address of subnet not in used; Docker
// hands out addresses from the bottom.
func freeAddr(subnet netip.Prefix, used []netip.Addr) (netip.Addr, error) {
	taken := map[netip.Addr]bool{}
	for _, u := range used {
		taken[u] = true
	}
	last := lastAddr(subnet)
	for a, n := last.Prev(), 0; subnet.Contains(a) && n < 256; a, n = a.Prev(), n+1 {
		if a != subnet.Addr() && !taken[a] {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("no free address near the top of %s for a probe", subnet)
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func ipvlanMode(m string) netlink.IPVlanMode {
	switch m {
	case "l3":
		return netlink.IPVLAN_MODE_L3
	case "l3s":
		return netlink.IPVLAN_MODE_L3S
	}
	return netlink.IPVLAN_MODE_L2
}

func macvlanMode(m string) netlink.MacvlanMode {
	switch m {
	case "private":
		return netlink.MACVLAN_MODE_PRIVATE
	case "vepa":
		return netlink.MACVLAN_MODE_VEPA
	case "passthru":
		return netlink.MACVLAN_MODE_PASSTHRU
	}
	return netlink.MACVLAN_MODE_BRIDGE
}
