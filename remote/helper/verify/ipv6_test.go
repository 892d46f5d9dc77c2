package verify

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/kasmfleet/push/remote/proto"
)

// TestVLANProbeIPv6 probes a dual-stack macvlan network: gateway6 answers
// over IPv6, and the gateway's endpoint at [gateway6] sees the probe's
// address of the agent's IPv6 slice.
func TestVLANProbeIPv6(t *testing.T) {
	l := newLab(t)
	trgw, err := l.gwH.LinkByName("tr-gw")
	must(t, err)
	a, err := netlink.ParseAddr("2001:db8:160::1/64")
	must(t, err)
	a.Flags = unix.IFA_F_NODAD
	must(t, l.gwH.AddrAdd(trgw, a))
	l.echo(t, "[2001:db8:160::1]:8080")

	// A bound, not a measurement: under load the kernel's macvlan
	// multicast delivery (neighbour discovery) is deferred to a workqueue.
	p := Prober{Handle: l.agentH, Timeout: answerBound}
	v := proto.VLANNetwork{Name: "z_vlan160", Driver: "macvlan", Mode: "bridge", VID: 160,
		Subnet: "192.0.2.128/25", Gateway: "192.0.2.129", IPRange: "192.0.2.144/28", ProbeIP: "192.0.2.158",
		VerifyURL: "http://192.0.2.129:8080/",
		Subnet6:   "2001:db8:160::/64", Gateway6: "2001:db8:160::1",
		IPRange6: "2001:db8:160:0:2000::/67", ProbeIP6: "2001:db8:160:0:3fff:ffff:ffff:ffff"}
	checks := p.VLAN(context.Background(), v, "tr0", ProbeAddrs(v, true, nil))
	if len(checks) != 4 {
		t.Fatalf("checks %+v, want IPv4 gateway and endpoint, IPv6 gateway and endpoint", checks)
	}
	for _, c := range checks {
		if !c.OK {
			t.Errorf("check failed: %+v", c)
		}
	}
	if got := checks[3].Got; net.ParseIP(got) == nil || got != "2001:db8:160:0:3fff:ffff:ffff:ffff" {
		t.Errorf("IPv6 endpoint saw %q, want the probe's IPv6 address", got)
	}
	if !strings.Contains(checks[3].What, "[2001:db8:160::1]:8080") {
		t.Errorf("IPv6 endpoint check %q", checks[3].What)
	}

	v.Gateway6 = "2001:db8:160::2" // nobody there
	v.VerifyURL = ""
	checks = p.VLAN(context.Background(), v, "tr0", ProbeAddrs(v, true, nil))
	if len(checks) != 2 || !checks[0].OK || checks[1].OK {
		t.Fatalf("absent gateway6: %+v, want IPv4 OK and IPv6 failed", checks)
	}
	if left := probeLinks(t, l.agentH); len(left) > 0 {
		t.Fatalf("probe links left: %v", left)
	}
}

func TestURL6(t *testing.T) {
	v := proto.VLANNetwork{Gateway: "192.0.2.1", Gateway6: "2001:db8:150::1", VerifyURL: "http://192.0.2.1:8080/"}
	if got := url6(v); got != "http://[2001:db8:150::1]:8080/" {
		t.Errorf("url6 = %q", got)
	}
	v.VerifyURL = "http://198.51.100.1:8080/"
	if got := url6(v); got != "" {
		t.Errorf("url6 of another host = %q, want none", got)
	}
}
