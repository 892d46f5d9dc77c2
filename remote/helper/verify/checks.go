package verify

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/kasmfleet/push/remote/helper/internal/nlsafe"

	"github.com/kasmfleet/push/remote/proto"
)

// VLAN probes a VLAN network: a link of the same driver and mode on its
// parent, holding the first of addrs it can take (see ProbeAddrs), must
// reach the gateway, and the verify URL must see an address of the
// agent's ip-range.
func (p Prober) VLAN(ctx context.Context, v proto.VLANNetwork, parent string, addrs []netip.Addr) []proto.Check {
	gwCheck := proto.Check{Network: v.Name, What: fmt.Sprintf("gateway %s answers a probe on %s", v.Gateway, parent), Want: "echo reply"}
	if routed(v) {
		gwCheck.What = fmt.Sprintf("gateway %s answers a probe on %s (ipvlan %s: routed by the host)", v.Gateway, parent, v.Mode)
	}
	fail := func(err error) []proto.Check {
		gwCheck.Error = err.Error()
		return []proto.Check{gwCheck}
	}
	if len(addrs) == 0 {
		return fail(fmt.Errorf("no free address in ip-range %s for a probe of %s", v.IPRange, v.Name))
	}
	par, err := p.h().LinkByName(parent)
	if err != nil {
		return fail(fmt.Errorf("parent %s: %w", parent, err))
	}
	var pr *probe
	for _, a := range addrs {
		if pr, err = p.vlanProbe(v, par, a); !errors.Is(err, unix.EADDRINUSE) {
			break
		}
	}
	if err != nil {
		return fail(err)
	}
	defer pr.close()
	checks := []proto.Check{gwCheck}
	if err := pr.ping(ctx, netip.MustParseAddr(v.Gateway)); err != nil {
		checks[0].Error = err.Error() + p.l3Hint(v, parent)
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
	if v.Subnet6 != "" && v.ProbeIP6 != "" {
		checks = append(checks, pr.vlan6(ctx, v, parent)...)
	}
	return checks
}

// vlanProbe makes a probe namespace with a link on par holding addr. An
// ipvlan parent refuses an address another of its links holds (a
// container's): the error is then EADDRINUSE and nothing is left.
func (p Prober) vlanProbe(v proto.VLANNetwork, par netlink.Link, addr netip.Addr) (*probe, error) {
	pr, err := newProbe(p)
	if err != nil {
		return nil, err
	}
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
		pr.close()
		return nil, fmt.Errorf("create %s %s probe link on %s: %w", v.Driver, v.Mode, par.Attrs().Name, err)
	}
	route := netip.MustParseAddr(v.Gateway)
	if routed(v) {
		route = netip.Addr{} // as Docker does in l3 modes: default route out of the link
	}
	bits := netip.MustParsePrefix(v.Subnet).Bits()
	if err := pr.configure(netip.PrefixFrom(addr, bits), route); err != nil {
		pr.close()
		return nil, err
	}
	return pr, nil
}

// ProbeAddrs are the addresses a VLAN probe may take, best first.
//
// Why the probe never takes a session's address: on a network push
// created, v.ProbeIP is reserved as a Docker auxiliary address
// (reserved), which Docker's IPAM never hands out; it is the only one.
// A network made by hand (adopted) has no reservation and cannot get
// one (Docker networks cannot be edited), so the candidates are the
// highest addresses of the agent's ip-range that no endpoint holds
// (inUse: every container address and auxiliary address Docker's inspect
// reports, read just before the probe) and that are not the gateway.
// Docker's IPAM hands out the lowest free address of the range, so a
// session starting meanwhile takes the top ones only when the range is
// all but full. And on ipvlan, the kernel refuses an address another
// link of the same parent holds (EADDRINUSE): if a container took the
// candidate in between, the probe moves to the next one instead of
// sharing it (VLAN retries).
func ProbeAddrs(v proto.VLANNetwork, reserved bool, inUse []netip.Addr) []netip.Addr {
	if reserved && v.ProbeIP != "" {
		return []netip.Addr{netip.MustParseAddr(v.ProbeIP)}
	}
	subnet, rng := netip.MustParsePrefix(v.Subnet), netip.MustParsePrefix(v.IPRange)
	taken := map[netip.Addr]bool{netip.MustParseAddr(v.Gateway): true, subnet.Masked().Addr(): true, lastAddr(subnet): true}
	for _, a := range inUse {
		taken[a] = true
	}
	var out []netip.Addr
	for a := lastAddr(rng); rng.Contains(a) && len(out) < 3; a = a.Prev() {
		if !taken[a] {
			out = append(out, a)
		}
	}
	return out
}

// Bridge describes a bridge network as Docker reports it.
type Bridge struct {
	Network string
	Bridge  string // Linux bridge name
	Subnet  netip.Prefix
	Gateway netip.Addr
	// InUse are addresses the probe must not take (containers').
	InUse []netip.Addr
	// Probe, when valid, is the probe's own address, reserved in Docker
	// (docker.BridgeProbe); InUse is then not needed.
	Probe netip.Addr
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
	addr := b.Probe
	if !addr.IsValid() {
		if addr, err = freeAddr(b.Subnet, append(b.InUse, b.Gateway)); err != nil {
			return fail(err)
		}
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
