package verify

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/kasmfleet/push/remote/proto"
)

// vlan6 probes the IPv6 half of a dual-stack VLAN network from the probe
// that checked its IPv4 half: the probe takes v.ProbeIP6 (reserved as a
// Docker auxiliary address of the IPv6 pool on a network push created;
// on an adopted one the top address of the agent's IPv6 slice, which
// Docker hands out last), gateway6 must answer an echo over IPv6, and
// when the verify URL is the gateway's, the same URL at gateway6 must see
// an address of the agent's IPv6 slice.
func (pr *probe) vlan6(ctx context.Context, v proto.VLANNetwork, parent string) []proto.Check {
	gw := netip.MustParseAddr(v.Gateway6)
	c := proto.Check{Network: v.Name, What: fmt.Sprintf("gateway6 %s answers a probe over IPv6 on %s", gw, parent), Want: "echo reply"}
	route := gw
	if routed(v) {
		route = netip.Addr{}
	}
	addr := netip.PrefixFrom(netip.MustParseAddr(v.ProbeIP6), netip.MustParsePrefix(v.Subnet6).Bits())
	if err := pr.configure6(addr, route); err != nil {
		c.Error = err.Error()
		return []proto.Check{c}
	}
	if err := pr.ping(ctx, gw); err != nil {
		c.Error = err.Error()
	} else {
		c.OK, c.Got = true, "echo reply"
	}
	checks := []proto.Check{c}
	if u6 := url6(v); u6 != "" {
		rng := netip.MustParsePrefix(v.IPRange6)
		c := proto.Check{Network: v.Name, What: "endpoint " + u6 + " sees an address of this agent's IPv6 ip-range", Want: rng.String()}
		got, err := pr.get(ctx, u6)
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

// url6 is the verify URL at gateway6 when it names the IPv4 gateway
// ("http://192.0.2.1:8080/" → "http://[2001:db8:150::1]:8080/"); else "".
func url6(v proto.VLANNetwork) string {
	u, err := url.Parse(v.VerifyURL)
	if v.VerifyURL == "" || err != nil || u.Hostname() != v.Gateway {
		return ""
	}
	host := "[" + v.Gateway6 + "]"
	if p := u.Port(); p != "" {
		host += ":" + p
	}
	u.Host = host
	return u.String()
}

// configure6 adds addr to the probe link (without duplicate address
// detection, which would hold it tentative for a second) and a default
// IPv6 route via gw, or out of the link when gw is invalid.
func (pr *probe) configure6(addr netip.Prefix, gw netip.Addr) error {
	l, err := pr.h.LinkByName(pr.link)
	if err != nil {
		return fmt.Errorf("probe link: %w", err)
	}
	if err := pr.h.AddrAdd(l, &netlink.Addr{IPNet: ipNet(addr), Flags: unix.IFA_F_NODAD}); err != nil {
		return fmt.Errorf("probe address %s: %w", addr, err)
	}
	r := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: &net.IPNet{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)}}
	if gw.IsValid() {
		r.Gw = net.IP(gw.AsSlice())
	} else {
		r.Scope = netlink.SCOPE_LINK
	}
	if err := pr.h.RouteAdd(r); err != nil {
		return fmt.Errorf("probe default IPv6 route: %w", err)
	}
	return nil
}
