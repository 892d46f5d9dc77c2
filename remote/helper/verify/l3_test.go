package verify

import (
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/kasmfleet/push/remote/proto"
)

// TestConfigureRouteOutOfLink: a probe without a gateway (ipvlan l3, as
// Docker routes its containers there) gets a default route out of its
// link; netlink refuses one with neither destination nor gateway.
func TestConfigureRouteOutOfLink(t *testing.T) {
	l := newLab(t)
	pr, err := newProbe(Prober{Handle: l.agentH})
	if err != nil {
		t.Fatal(err)
	}
	defer pr.close()
	pr.link = "pp0"
	if err := pr.h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "pp0"}, PeerName: "pq0"}); err != nil {
		t.Fatal(err)
	}
	if err := pr.configure(netip.MustParsePrefix("192.0.2.30/25"), netip.Addr{}); err != nil {
		t.Fatalf("configure without a gateway: %v", err)
	}
	routes, err := pr.h.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if (r.Dst == nil || r.Dst.String() == "0.0.0.0/0") && r.Gw == nil && r.Scope == netlink.SCOPE_LINK {
			return
		}
	}
	t.Fatalf("no default route out of the link in %+v", routes)
}

func TestRouted(t *testing.T) {
	for _, tc := range []struct {
		driver, mode string
		want         bool
	}{{"ipvlan", "l2", false}, {"ipvlan", "l3", true}, {"ipvlan", "l3s", true}, {"macvlan", "bridge", false}} {
		v := l3Net(tc.driver, tc.mode)
		if got := routed(v); got != tc.want {
			t.Errorf("%s %s: routed %t, want %t", tc.driver, tc.mode, got, tc.want)
		}
		if hint := (Prober{}).l3Hint(v, "eth1.150"); (hint != "") != tc.want {
			t.Errorf("%s %s: hint %q", tc.driver, tc.mode, hint)
		}
	}
}

func l3Net(driver, mode string) (v proto.VLANNetwork) {
	v.Driver, v.Mode, v.Gateway, v.IPRange = driver, mode, "192.0.2.1", "192.0.2.16/28"
	return v
}
