// Package verify probes networks end to end from throwaway network
// namespaces: a VLAN network from an ipvlan/macvlan link on the same
// parent, a bridge network from a veth on its bridge. No container image
// is needed, and every probe is removed, on failure too.
package verify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/kasmfleet/push/remote/helper/hostnet"
	"github.com/kasmfleet/push/remote/helper/internal/http1"
)

// Prober makes probe namespaces from the namespace of Handle (the
// current one when nil).
type Prober struct {
	Handle *netlink.Handle
	// Timeout bounds each network exchange (default 10s: a TCP connect
	// sends its SYN at 0, 1, 3 and 7 s, so a busy gateway may miss two;
	// with 3s a connect got one retry, and a loaded lab once lost both).
	Timeout time.Duration
}

func (p Prober) h() *netlink.Handle {
	if p.Handle != nil {
		return p.Handle
	}
	return &netlink.Handle{}
}

func (p Prober) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return 10 * time.Second
}

// probe is one namespace with one link in it.
type probe struct {
	ns   netns.NsHandle
	h    *netlink.Handle // inside ns
	link string          // name inside ns
	host netlink.Link    // the host-side end, when there is one (veth)
	p    Prober
}

func (pr *probe) close() {
	if pr.host != nil {
		pr.p.h().LinkDel(pr.host)
	}
	if pr.h != nil {
		pr.h.Close()
	}
	pr.ns.Close() // the kernel deletes links left inside with the namespace
}

func newProbe(p Prober) (*probe, error) {
	ns, err := hostnet.NewNS()
	if err != nil {
		return nil, err
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("netlink in probe netns: %w", err)
	}
	pr := &probe{ns: ns, h: h, p: p}
	if lo, err := h.LinkByName("lo"); err == nil {
		h.LinkSetUp(lo)
	}
	// No duplicate address detection on the probe's links: their IPv6
	// link-local address would stay tentative for a second or more.
	_ = hostnet.InNS(ns, func() error {
		return os.WriteFile("/proc/sys/net/ipv6/conf/default/accept_dad", []byte("0"), 0o644)
	})
	return pr, nil
}

// configure brings the probe link up with addr and a default route via
// gw (or straight out of the link when gw is invalid).
func (pr *probe) configure(addr netip.Prefix, gw netip.Addr) error {
	l, err := pr.h.LinkByName(pr.link)
	if err != nil {
		return fmt.Errorf("probe link: %w", err)
	}
	if err := pr.h.AddrAdd(l, &netlink.Addr{IPNet: ipNet(addr)}); err != nil {
		return fmt.Errorf("probe address %s: %w", addr, err)
	}
	if err := pr.h.LinkSetUp(l); err != nil {
		return fmt.Errorf("probe link up: %w", err)
	}
	r := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: nil}
	if gw.IsValid() {
		r.Gw = net.IP(gw.AsSlice())
	} else {
		// Out of the link, as Docker routes ipvlan l3 containers; netlink
		// wants the default destination spelled out then.
		r.Dst, r.Scope = &net.IPNet{IP: net.IPv4zero, Mask: net.CIDRMask(0, 32)}, netlink.SCOPE_LINK
	}
	if err := pr.h.RouteAdd(r); err != nil {
		return fmt.Errorf("probe default route: %w", err)
	}
	return nil
}

// ping sends ICMP echo requests to dst from inside the probe until one
// is answered (the first may be lost to neighbour resolution).
func (pr *probe) ping(ctx context.Context, dst netip.Addr) error {
	var c net.PacketConn
	network, any, reqType, replyType := "ip4:icmp", "0.0.0.0", byte(8), byte(0)
	if dst.Is6() {
		// The kernel fills in ICMPv6 checksums on raw sockets.
		network, any, reqType, replyType = "ip6:ipv6-icmp", "::", 128, 129
	}
	err := hostnet.InNS(pr.ns, func() error {
		var err error
		c, err = net.ListenPacket(network, any)
		return err
	})
	if err != nil {
		return fmt.Errorf("icmp socket: %w", err)
	}
	defer c.Close()
	id := uint16(time.Now().UnixNano())
	deadline := time.Now().Add(pr.p.timeout())
	for seq := uint16(1); time.Now().Before(deadline) && ctx.Err() == nil; seq++ {
		if _, err := c.WriteTo(echoRequest(reqType, id, seq), &net.IPAddr{IP: net.IP(dst.AsSlice())}); err != nil {
			return fmt.Errorf("icmp to %s: %w", dst, err)
		}
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				break // timeout: send the next one
			}
			if isEchoReply(buf[:n], replyType, id) && from.(*net.IPAddr).IP.Equal(net.IP(dst.AsSlice())) {
				return nil
			}
		}
	}
	return fmt.Errorf("no ICMP echo reply from %s within %s", dst, pr.p.timeout())
}

// get fetches rawURL from inside the probe and returns the trimmed body.
func (pr *probe) get(ctx context.Context, rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	hostport := u.Host
	if u.Port() == "" {
		hostport = net.JoinHostPort(u.Hostname(), "80")
	}
	ctx, cancel := context.WithTimeout(ctx, pr.p.timeout())
	defer cancel()
	var conn net.Conn
	err = hostnet.InNS(pr.ns, func() error {
		var d net.Dialer
		var err error
		conn, err = d.DialContext(ctx, "tcp", hostport)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", hostport, err)
	}
	resp, err := http1.Do(ctx, conn, http1.Request{Method: "GET", Host: u.Host, Path: u.RequestURI(), Limit: 4096})
	if err != nil {
		return "", fmt.Errorf("GET %s: %w", rawURL, err)
	}
	if resp.Status != 200 {
		return "", fmt.Errorf("GET %s: %d %s", rawURL, resp.Status, resp.Reason)
	}
	body := resp.Body
	return strings.TrimSpace(string(body)), nil
}

func echoRequest(typ byte, id, seq uint16) []byte {
	b := []byte{typ, 0, 0, 0, byte(id >> 8), byte(id), byte(seq >> 8), byte(seq), 'p', 'u', 's', 'h'}
	cs := checksum(b)
	b[2], b[3] = byte(cs>>8), byte(cs)
	return b
}

func isEchoReply(b []byte, typ byte, id uint16) bool {
	return len(b) >= 8 && b[0] == typ && b[1] == 0 && uint16(b[4])<<8|uint16(b[5]) == id
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// linkName is a short unique name for a probe link ("pp" + 8 hex).
func linkName(prefix string) string {
	return fmt.Sprintf("%s%08x", prefix, rand.Uint32())
}
