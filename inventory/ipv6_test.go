package inventory

import (
	"net/netip"
	"path/filepath"
	"testing"
)

func TestSlicesIPv6(t *testing.T) {
	p, a := netip.MustParsePrefix, netip.MustParseAddr
	for _, tc := range []struct {
		s     Slices
		count int
		slots map[int]string
		probe map[int]string
	}{
		{ // gateway in slice 0: slot 0 is the second slice
			s:     Slices{Subnet: p("2001:db8:150::/64"), Gateway: a("2001:db8:150::1"), Bits: 67},
			count: 7,
			slots: map[int]string{0: "2001:db8:150:0:2000::/67", 1: "2001:db8:150:0:4000::/67", 6: "2001:db8:150:0:e000::/67"},
			probe: map[int]string{0: "2001:db8:150:0:3fff:ffff:ffff:ffff"},
		},
		{ // the lab's shape: /64 cut like 192.0.2.0/25 by /28
			s:     Slices{Subnet: p("2001:db8:150::/64"), Gateway: a("2001:db8:150::1"), Bits: 67},
			count: 7,
			slots: map[int]string{2: "2001:db8:150:0:6000::/67"},
		},
		{ // gateway in a middle slice is skipped
			s:     Slices{Subnet: p("2001:db8::/120"), Gateway: a("2001:db8::41"), Bits: 122},
			count: 3,
			slots: map[int]string{0: "2001:db8::/122", 1: "2001:db8::80/122", 2: "2001:db8::c0/122"},
			probe: map[int]string{1: "2001:db8::bf"},
		},
		{ // slices across the 64-bit boundary
			s:     Slices{Subnet: p("2001:db8::/48"), Gateway: a("2001:db8::1"), Bits: 64},
			count: 65535,
			slots: map[int]string{0: "2001:db8:0:1::/64", 65534: "2001:db8:0:ffff::/64"},
			probe: map[int]string{0: "2001:db8:0:1:ffff:ffff:ffff:ffff"},
		},
	} {
		if got := tc.s.Count(); got != tc.count {
			t.Errorf("%v: count %d, want %d", tc.s, got, tc.count)
		}
		for n, want := range tc.slots {
			got, err := tc.s.Slot(n)
			if err != nil || got.String() != want {
				t.Errorf("%v slot %d: %v %v, want %s", tc.s, n, got, err, want)
			}
			if pr, ok := tc.probe[n]; ok && ProbeAddr6(got).String() != pr {
				t.Errorf("%v slot %d probe %s, want %s", tc.s, n, ProbeAddr6(got), pr)
			}
		}
		if _, err := tc.s.Slot(tc.count); err == nil {
			t.Errorf("%v: slot %d exists", tc.s, tc.count)
		}
	}
}

func TestIPv6Allocation(t *testing.T) {
	inv, diags := Load(testOptions, filepath.Join("testdata", "valid", "ipv6.hcl"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := map[string][2]string{
		"kasm-agent-1": {"2001:db8:150:0:2000::/67", "2001:db8:150:0:3fff:ffff:ffff:ffff"},
		"kasm-agent-2": {"2001:db8:150:0:4000::/67", "2001:db8:150:0:5fff:ffff:ffff:ffff"},
	}
	for _, a := range inv.Agents {
		v := a.Networks.VLANs[0]
		if got := [2]string{v.IPRange6.String(), v.ProbeIP6.String()}; got != want[a.Name] {
			t.Errorf("%s: IPv6 slice %v, want %v", a.Name, got, want[a.Name])
		}
		if v.PerAgent6 != 67 {
			t.Errorf("per_agent6 default %d, want 67 (as many slices as /25 by /28)", v.PerAgent6)
		}
	}
}
