package inventory

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"
)

func TestSlotsTable(t *testing.T) {
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	tests := []struct {
		subnet, gw string
		bits, slot int
		want       string
	}{
		{"192.168.148.0/22", "192.168.148.1", 25, 0, "192.168.148.128/25"}, // slice 0 holds the gateway
		{"192.168.148.0/22", "192.168.148.1", 25, 6, "192.168.151.128/25"},
		{"192.0.2.0/25", "192.0.2.1", 28, 0, "192.0.2.16/28"},
		{"192.0.2.0/25", "192.0.2.1", 28, 6, "192.0.2.112/28"},
		{"192.0.2.0/24", "192.0.2.254", 26, 0, "192.0.2.0/26"}, // gateway at the top
		{"192.0.2.0/24", "192.0.2.254", 26, 2, "192.0.2.128/26"},
		{"192.0.2.0/24", "192.0.2.100", 26, 1, "192.0.2.128/26"}, // gateway in the middle
	}
	for _, tc := range tests {
		s := Slices{Subnet: p(tc.subnet), Gateway: a(tc.gw), Bits: tc.bits}
		got, err := s.Slot(tc.slot)
		if err != nil || got.String() != tc.want {
			t.Errorf("%s gw %s /%d slot %d = %v, %v; want %s", tc.subnet, tc.gw, tc.bits, tc.slot, got, err, tc.want)
		}
	}
	s := Slices{Subnet: p("192.0.2.0/25"), Gateway: a("192.0.2.1"), Bits: 28}
	if _, err := s.Slot(7); err == nil {
		t.Error("slot 7 of 7 slots was allocated")
	}
	if got := ProbeAddr(p("192.0.2.112/28"), p("192.0.2.0/25")); got != a("192.0.2.126") {
		t.Errorf("probe in the subnet's last slice = %s, want 192.0.2.126 (not the broadcast)", got)
	}
	if got := ProbeAddr(p("192.0.2.16/28"), p("192.0.2.0/25")); got != a("192.0.2.31") {
		t.Errorf("probe = %s, want 192.0.2.31", got)
	}
}

// TestSlotsProperties checks random subnets: slices stay inside the
// subnet, never overlap, never hold the gateway, keep the probe inside the
// slice and off the gateway and broadcast, and an agent's slice depends on
// nothing but its own slot.
func TestSlotsProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		bits := 8 + r.IntN(22) // subnet /8../29
		base := netip.AddrFrom4([4]byte{byte(r.IntN(224)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		subnet := netip.PrefixFrom(base, bits).Masked()
		size := bits + r.IntN(min(31-bits, 10)) // slices no smaller than /30
		gw := a4(u32(subnet.Addr()) + 1 + uint32(r.Int64N(int64(1)<<(32-bits)-2)))
		s := Slices{Subnet: subnet, Gateway: gw, Bits: size}
		seen := map[netip.Prefix]int{}
		for slot := range min(s.Count(), 64) {
			sl, err := s.Slot(slot)
			if err != nil {
				t.Fatalf("%+v slot %d: %v", s, slot, err)
			}
			if !contains(subnet, sl) || sl.Contains(gw) {
				t.Fatalf("%+v slot %d = %s: outside the subnet or holds the gateway", s, slot, sl)
			}
			for prev, ps := range seen {
				if prev.Overlaps(sl) {
					t.Fatalf("%+v: slots %d and %d overlap (%s, %s)", s, ps, slot, prev, sl)
				}
			}
			seen[sl] = slot
			pr := ProbeAddr(sl, subnet)
			if !sl.Contains(pr) || pr == gw || pr == lastAddr(subnet) {
				t.Fatalf("%+v slot %d: probe %s is not a free address of %s", s, slot, pr, sl)
			}
		}
	}
}

// TestSlicesStayPut adds and removes agents and checks that no other
// agent's ip-range moves.
func TestSlicesStayPut(t *testing.T) {
	inv := func(slots ...int) map[string]string {
		src := `trunk "t" {
  vlans = ["150"]
  nic   = "eth1"
}
vlan "v" {
  id        = 150
  subnet    = "192.0.2.0/24"
  gateway   = "192.0.2.1"
  network   = "z_v"
  per_agent = 28
}
group "g" {
  agents = ["a*"]
  vlans  = ["v"]
}
`
		for _, s := range slots {
			src += "agent \"a" + itoa(s) + "\" {\n  address = \"192.0.2." + itoa(200+s) + "\"\n  slot = " + itoa(s) + "\n}\n"
		}
		i, diags := Parse(Options{}, "t.hcl", []byte(src))
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		out := map[string]string{}
		for _, a := range i.Agents {
			out[a.Name] = a.Networks.VLANs[0].IPRange.String()
		}
		return out
	}
	before := inv(0, 1, 2, 3, 5)
	for _, after := range []map[string]string{inv(0, 1, 3, 5), inv(0, 1, 2, 3, 4, 5, 9), inv(5, 3)} {
		for name, r := range after {
			if b, ok := before[name]; ok && b != r {
				t.Errorf("agent %s moved from %s to %s", name, b, r)
			}
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
