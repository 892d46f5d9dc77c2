package verify

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/kasmfleet/push/examples/lab/nstest"
	"github.com/kasmfleet/push/remote/helper/snat"
	"github.com/kasmfleet/push/remote/proto"
)

// lab is a small world in namespaces: "agent" plays the Docker host,
// "gw" the network's gateway with an endpoint that answers the caller's
// address. They are joined by veths: up0 (LAN) and tr0 (the trunk).
type lab struct {
	agent, gw   netns.NsHandle
	agentH, gwH *netlink.Handle
}

func newLab(t *testing.T) *lab {
	l := &lab{}
	l.agent, l.agentH = nstest.New(t)
	l.gw, l.gwH = nstest.New(t)
	l.veth(t, "up0", "198.51.100.11/24", "gw0", "198.51.100.1/24")
	l.veth(t, "tr0", "", "tr-gw", "192.0.2.129/25")
	l.addr(t, l.agentH, "up0", "198.51.100.111/24")
	// the bridge Docker would make for z_custom_a
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "z_custom_a"}}
	must(t, l.agentH.LinkAdd(br))
	must(t, l.agentH.LinkSetUp(br))
	l.addr(t, l.agentH, "z_custom_a", "172.19.0.1/16")
	must(t, nstest.Do(l.agent, func() error {
		return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644)
	}))
	for _, a := range []string{"198.51.100.1:8080", "192.0.2.129:8080"} {
		l.echo(t, a)
	}
	return l
}

func (l *lab) veth(t *testing.T, agentEnd, agentAddr, gwEnd, gwAddr string) {
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: agentEnd}, PeerName: gwEnd, PeerNamespace: netlink.NsFd(int(l.gw))}
	must(t, l.agentH.LinkAdd(v))
	must(t, l.agentH.LinkSetUp(v))
	peer, err := l.gwH.LinkByName(gwEnd)
	must(t, err)
	must(t, l.gwH.LinkSetUp(peer))
	if agentAddr != "" {
		l.addr(t, l.agentH, agentEnd, agentAddr)
	}
	l.addr(t, l.gwH, gwEnd, gwAddr)
}

func (l *lab) addr(t *testing.T, h *netlink.Handle, link, cidr string) {
	lk, err := h.LinkByName(link)
	must(t, err)
	a, err := netlink.ParseAddr(cidr)
	must(t, err)
	must(t, h.AddrAdd(lk, a))
}

// echo serves the caller's IP address on addr inside gw.
func (l *lab) echo(t *testing.T, addr string) {
	var ln net.Listener
	must(t, nstest.Do(l.gw, func() error {
		var err error
		ln, err = net.Listen("tcp", addr)
		return err
	}))
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		w.Write([]byte(host + "\n"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// probeLinks lists links a probe may have left in the agent namespace.
func probeLinks(t *testing.T, h *netlink.Handle) []string {
	links, err := h.LinkList()
	must(t, err)
	var out []string
	for _, lk := range links {
		if n := lk.Attrs().Name; strings.HasPrefix(n, "pv") || strings.HasPrefix(n, "pp") {
			out = append(out, n)
		}
	}
	return out
}

// TestSNATProbe: without push's SNAT the endpoint cannot answer the
// probe (the gateway has no route back to the bridge subnet); with it,
// the endpoint sees the source address. Either way no probe is left.
// answerBound bounds probes that must succeed: a loaded machine may take
// seconds to answer in a namespace; it is a bound, never a measure.
const answerBound = 20 * time.Second

func TestSNATProbe(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	p := Prober{Handle: l.agentH, Timeout: 2 * time.Second} // for probes that must fail
	answers := Prober{Handle: l.agentH, Timeout: answerBound}
	b := Bridge{Network: "z_custom_a", Bridge: "z_custom_a", Subnet: netip.MustParsePrefix("172.19.0.0/16"),
		InUse: []netip.Addr{netip.MustParseAddr("172.19.255.254")}}
	const url = "http://198.51.100.1:8080/"

	checks := p.SNAT(ctx, b, "198.51.100.111", url)
	if len(checks) != 1 || checks[0].OK {
		t.Fatalf("without SNAT: %+v, want one failed check", checks)
	}
	if left := probeLinks(t, l.agentH); len(left) > 0 {
		t.Fatalf("probe links left after a failed probe: %v", left)
	}

	must(t, snat.Rules{NetNS: int(l.agent)}.Replace([]proto.SNATRule{{Subnet: "172.19.0.0/16", Bridge: "z_custom_a", SourceIP: "198.51.100.111"}}))
	checks = answers.SNAT(ctx, b, "198.51.100.111", url)
	if len(checks) != 1 || !checks[0].OK || checks[0].Got != "198.51.100.111" {
		t.Fatalf("with SNAT: %+v, want the endpoint to see 198.51.100.111", checks)
	}
	checks = answers.SNAT(ctx, b, "198.51.100.112", url)
	if checks[0].OK || !strings.Contains(checks[0].Error, "saw 198.51.100.111") {
		t.Fatalf("wrong source accepted: %+v", checks)
	}
	// A probe address reserved in Docker is the one the probe takes.
	b.Probe = netip.MustParseAddr("172.19.0.200")
	checks = answers.SNAT(ctx, b, "198.51.100.112", url)
	if checks[0].OK || !strings.Contains(checks[0].Error, "from probe 172.19.0.200") {
		t.Fatalf("probe with a reserved address: %+v, want it to probe from 172.19.0.200", checks)
	}
	if left := probeLinks(t, l.agentH); len(left) > 0 {
		t.Fatalf("probe links left: %v", left)
	}
}

// TestVLANProbeMacvlan probes a macvlan network on tr0 (the host kernel
// has no 802.1Q, so the parent is the trunk itself rather than tr0.160).
func TestVLANProbeMacvlan(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	p := Prober{Handle: l.agentH, Timeout: 2 * time.Second} // for probes that must fail
	answers := Prober{Handle: l.agentH, Timeout: answerBound}
	v := proto.VLANNetwork{Name: "z_vlan160", Driver: "macvlan", Mode: "bridge", VID: 160,
		Subnet: "192.0.2.128/25", Gateway: "192.0.2.129", IPRange: "192.0.2.144/28", ProbeIP: "192.0.2.158",
		VerifyURL: "http://192.0.2.129:8080/"}
	checks := answers.VLAN(ctx, v, "tr0", ProbeAddrs(v, true, nil))
	if len(checks) != 2 || !checks[0].OK || !checks[1].OK || checks[1].Got != "192.0.2.158" {
		t.Fatalf("macvlan probe: %+v, want gateway and endpoint checks to pass", checks)
	}

	v.Gateway = "192.0.2.130" // nobody there
	v.VerifyURL = ""
	checks = p.VLAN(ctx, v, "tr0", ProbeAddrs(v, true, nil))
	if len(checks) != 1 || checks[0].OK || !strings.Contains(checks[0].Error, "no ICMP echo reply") {
		t.Fatalf("probe of an absent gateway: %+v, want a failed check", checks)
	}
	checks = p.VLAN(ctx, v, "tr0.160", ProbeAddrs(v, true, nil))
	if checks[0].OK || !strings.Contains(checks[0].Error, "parent tr0.160") {
		t.Fatalf("probe on a missing parent: %+v", checks)
	}
	if left := probeLinks(t, l.agentH); len(left) > 0 {
		t.Fatalf("probe links left: %v", left)
	}
}

func TestFreeAddr(t *testing.T) {
	s := netip.MustParsePrefix("172.19.0.0/16")
	a, err := freeAddr(s, []netip.Addr{netip.MustParseAddr("172.19.255.254")})
	if err != nil || a != netip.MustParseAddr("172.19.255.253") {
		t.Fatalf("freeAddr = %v, %v", a, err)
	}
	if _, err := freeAddr(netip.MustParsePrefix("10.0.0.0/30"), []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")}); err == nil {
		t.Fatal("freeAddr found room in a full /30")
	}
}

func TestChecksum(t *testing.T) {
	b := echoRequest(8, 0x1234, 1)
	if checksum(b) != 0 {
		t.Fatalf("checksum of a packet with its checksum is %#x, want 0", checksum(b))
	}
}

func TestParseEchoed(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.30\n": "192.0.2.30", "[::ffff:192.0.2.30]": "192.0.2.30", "::ffff:198.51.100.111": "198.51.100.111",
	} {
		if a, err := parseEchoed(in); err != nil || a.String() != want {
			t.Errorf("parseEchoed(%q) = %v, %v; want %s", in, a, err, want)
		}
	}
	if _, err := parseEchoed("<html>"); err == nil {
		t.Error("parseEchoed accepted html")
	}
}

func TestProbeAddrs(t *testing.T) {
	v := proto.VLANNetwork{Subnet: "192.0.2.0/25", Gateway: "192.0.2.1", IPRange: "192.0.2.16/28", ProbeIP: "192.0.2.30"}
	addrs := func(ss ...string) []netip.Addr {
		var out []netip.Addr
		for _, s := range ss {
			out = append(out, netip.MustParseAddr(s))
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		v        proto.VLANNetwork
		reserved bool
		inUse    []netip.Addr
		want     []netip.Addr
	}{
		{"push's network: the reserved address only", v, true, addrs("192.0.2.17"), addrs("192.0.2.30")},
		{"hand-made: the top of the range, sessions' addresses skipped", v, false, addrs("192.0.2.17", "192.0.2.31", "192.0.2.29"),
			addrs("192.0.2.30", "192.0.2.28", "192.0.2.27")},
		{"hand-made, range at the top of the subnet: never its broadcast", proto.VLANNetwork{Subnet: "192.0.2.0/25", Gateway: "192.0.2.1",
			IPRange: "192.0.2.112/28"}, false, nil, addrs("192.0.2.126", "192.0.2.125", "192.0.2.124")},
		{"hand-made, range holding the gateway", proto.VLANNetwork{Subnet: "192.0.2.0/29", Gateway: "192.0.2.6",
			IPRange: "192.0.2.4/30"}, false, addrs("192.0.2.5"), addrs("192.0.2.4")},
	} {
		if got := ProbeAddrs(tc.v, tc.reserved, tc.inUse); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
