package hostnet_test

import (
	"fmt"
	"net/netip"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/kasmfleet/push/examples/lab/nstest"
	"github.com/kasmfleet/push/remote/helper/hostnet"
)

func TestConnectedLink(t *testing.T) {
	all := []hostnet.Owner{
		{Link: "eth0", Prefix: netip.MustParsePrefix("10.0.2.15/24")},
		{Link: "eth2", Prefix: netip.MustParsePrefix("198.51.100.11/24")},
		{Link: "eth3", Prefix: netip.MustParsePrefix("203.0.113.5/24")},
		{Link: "eth4", Prefix: netip.MustParsePrefix("203.0.113.6/24")},
	}
	for _, tc := range []struct {
		addr, want, err string
	}{
		{"198.51.100.111/24", "eth2", ""},
		{"192.0.2.7/24", "", "no interface is connected"},
		{"203.0.113.9/24", "", "several interfaces"},
	} {
		got, err := hostnet.ConnectedLink(all, netip.MustParsePrefix(tc.addr))
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ConnectedLink(%s) = %q, %v; want %q, %q", tc.addr, got, err, tc.want, tc.err)
		}
	}
}

func TestParseSSHConnection(t *testing.T) {
	c, s, err := hostnet.ParseSSHConnection("10.0.2.2 50000 ::ffff:10.0.2.15 22")
	if err != nil || c.String() != "10.0.2.2" || s.String() != "10.0.2.15" {
		t.Fatalf("got %v %v %v", c, s, err)
	}
	if _, _, err := hostnet.ParseSSHConnection("10.0.2.2 50000"); err == nil {
		t.Fatal("short SSH_CONNECTION accepted")
	}
}

// TestSessionLinks: a session arriving on a macvlan of eth0, which is a
// port of nothing, protects the macvlan and eth0; one arriving on a
// bridge protects the bridge and its ports.
func TestSessionLinks(t *testing.T) {
	_, h := nstest.New(t)
	n := hostnet.Net{Handle: h}
	add := func(l netlink.Link) netlink.Link {
		t.Helper()
		if err := h.LinkAdd(l); err != nil {
			t.Fatal(err)
		}
		if err := h.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
		got, err := h.LinkByName(l.Attrs().Name)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	addr := func(l netlink.Link, cidr string) {
		t.Helper()
		a, _ := netlink.ParseAddr(cidr)
		if err := h.AddrAdd(l, a); err != nil {
			t.Fatal(err)
		}
	}
	eth0 := add(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}, PeerName: "eth0-peer"})
	mv := add(&netlink.Macvlan{LinkAttrs: netlink.LinkAttrs{Name: "mgmt", ParentIndex: eth0.Attrs().Index}, Mode: netlink.MACVLAN_MODE_BRIDGE})
	addr(mv, "10.0.2.15/24")
	br := add(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}})
	port := add(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "port0", MasterIndex: br.Attrs().Index}, PeerName: "port0-peer"})
	_ = port
	addr(br, "192.168.50.2/24")

	for conn, want := range map[string][]string{
		"10.0.2.2 40000 10.0.2.15 22":        {"eth0", "mgmt"},
		"192.168.50.9 40000 192.168.50.2 22": {"br0", "port0"},
	} {
		v, err := n.Read()
		if err != nil {
			t.Fatal(err)
		}
		s, err := v.Session(conn)
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(s.Links)
		if !reflect.DeepEqual(s.Links, want) {
			t.Errorf("Session(%q).Links = %v, want %v", conn, s.Links, want)
		}
	}

	// The trunk by MAC is the lower device, not the macvlan... which has
	// its own MAC; a bridge port's MAC may be the bridge's: the port wins.
	got, err := n.ResolveTrunk("", port.Attrs().HardwareAddr.String())
	if err != nil || got.Name != "port0" {
		t.Errorf("ResolveTrunk by port0's MAC = %q, %v", got.Name, err)
	}
	if _, err := n.ResolveTrunk("port0", eth0.Attrs().HardwareAddr.String()); err == nil || !strings.Contains(err.Error(), "belongs to eth0") {
		t.Errorf("ResolveTrunk with disagreeing name and MAC: %v", err)
	}
}

// TestViewMatchesLinkByName: one read of every link and address gives
// each link the addresses a read of that link alone gives (IPv6
// link-local left out), and Addresses lists them all, loopback aside.
func TestViewMatchesLinkByName(t *testing.T) {
	_, h := nstest.New(t)
	n := hostnet.Net{Handle: h}
	for i, cidrs := range [][]string{{"192.0.2.10/24", "192.0.2.11/24", "2001:db8::10/64"}, {"198.51.100.7/24"}, nil} {
		l := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("d%d", i)}, PeerName: fmt.Sprintf("d%dp", i)}
		if err := h.LinkAdd(l); err != nil {
			t.Fatal(err)
		}
		if err := h.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
		for _, c := range cidrs {
			a, _ := netlink.ParseAddr(c)
			if err := h.AddrAdd(l, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	v, err := n.Read()
	if err != nil {
		t.Fatal(err)
	}
	var fromLinks []hostnet.Owner
	for _, name := range []string{"d0", "d1", "d2"} {
		alone, ok, err := n.LinkByName(name)
		if err != nil || !ok {
			t.Fatalf("LinkByName(%s): %v %v", name, ok, err)
		}
		inView, ok := v.LinkByName(name)
		if !ok || !reflect.DeepEqual(inView, alone) {
			t.Errorf("%s in the view = %+v, alone = %+v", name, inView, alone)
		}
		for _, p := range alone.Addrs {
			fromLinks = append(fromLinks, hostnet.Owner{Link: name, Prefix: p})
		}
	}
	if len(fromLinks) != 4 || !reflect.DeepEqual(v.Addresses(), fromLinks) {
		t.Errorf("Addresses() = %v, want %v (4 addresses)", v.Addresses(), fromLinks)
	}
	if _, ok := v.LinkByName("nope"); ok {
		t.Error("a missing link found")
	}
}
