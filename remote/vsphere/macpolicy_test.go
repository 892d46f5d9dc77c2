package vsphere

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/kasmfleet/push/remote/proto"
)

func TestHasLearning(t *testing.T) {
	for v, want := range map[string]bool{
		"6.6.0": true, "6.6": true, "7.0.3": true, "8.0.0": true, "10.0": true,
		"6.5.0": false, "6.0.0": false, "5.5": false, "": false, "x.y": false, "6": false,
	} {
		if got := hasLearning(v); got != want {
			t.Errorf("hasLearning(%q) = %t, want %t", v, got, want)
		}
	}
}

func TestDiffMacvlan(t *testing.T) {
	sw := func(v string) Switch { return Switch{Name: "DSwitch-Prod", Version: v} }
	pg := func(m MACPolicy) *PortGroup { p := trunkPG(); p.MAC = m; return p }
	learning := MACPolicy{Learning: true, UnicastFlooding: true, Limit: 4096, LimitPolicy: "drop", ForgedTransmits: true}
	security := MACPolicy{Promiscuous: true, MACChanges: true, ForgedTransmits: true}
	stdPGMAC := func(m MACPolicy) *HostPortGroup { p := stdPG("vSwitch0", 4095); p.MAC = m; return p }
	tests := []struct {
		name     string
		standard bool
		obs      Observed
		kinds    []string
	}{
		{
			name:  "macvlan-from-nothing-learning",
			obs:   Observed{Switch: sw("8.0.0")},
			kinds: []string{"create-portgroup port group kasm-trunk pending"},
		},
		{
			name:  "macvlan-learning-off",
			obs:   Observed{Switch: sw("7.0.3"), PortGroup: pg(MACPolicy{Learning: true})},
			kinds: []string{"update-portgroup port group kasm-trunk pending"},
		},
		{
			name: "macvlan-learning-in-sync",
			obs:  Observed{Switch: sw("7.0.3"), PortGroup: pg(learning)},
		},
		{
			// An admin's promiscuous mode passes the frames too: no change.
			name: "macvlan-security-on-learning-switch",
			obs:  Observed{Switch: sw("8.0.0"), PortGroup: pg(security)},
		},
		{
			name:  "macvlan-old-switch",
			obs:   Observed{Switch: sw("6.5.0"), PortGroup: pg(learning)},
			kinds: []string{"update-portgroup port group kasm-trunk pending"},
		},
		{
			name:     "std-macvlan-from-nothing",
			standard: true,
			obs:      Observed{Hosts: []HostState{stdHost("esxi-1", nil)}},
			kinds:    []string{"create-portgroup port group kasm-trunk on host esxi-1 pending"},
		},
		{
			name:     "std-macvlan-policy-and-vlan",
			standard: true,
			obs: Observed{Hosts: []HostState{
				stdHost("esxi-1", stdPGMAC(MACPolicy{ForgedTransmits: true, MACChanges: true})),
				stdHost("esxi-2", func() *HostPortGroup { p := stdPGMAC(MACPolicy{}); p.VLANID = 150; return p }()),
				stdHost("esxi-3", stdPGMAC(security)),
			}},
			kinds: []string{
				"update-portgroup port group kasm-trunk on host esxi-1 pending",
				"update-portgroup port group kasm-trunk on host esxi-2 pending",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := diffSpec()
			spec.VMs = nil
			spec.Macvlan = []string{"z_vlan150"}
			if tc.standard {
				spec.SwitchType, spec.Switch = proto.SwitchStandard, "vSwitch0"
			}
			changes := Diff(spec, tc.obs)
			wantKinds(t, changes, tc.kinds...)
			var b bytes.Buffer
			if err := WriteChanges(&b, spec.Trunk, changes); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("diff", tc.name+".txt"), b.Bytes())
		})
	}
}

// Without a macvlan network, no MAC policy is asked for, whatever the
// port group has.
func TestDiffNoMacvlanNoPolicy(t *testing.T) {
	spec := diffSpec()
	spec.VMs = nil
	o := Observed{Switch: Switch{Version: "8.0.0"}, PortGroup: trunkPG()}
	if d := Diff(spec, o); len(d) != 0 {
		t.Fatalf("diff %q", kinds(d))
	}
	spec.SwitchType, spec.Switch = proto.SwitchStandard, "vSwitch0"
	o = Observed{Hosts: []HostState{stdHost("esxi-1", stdPG("vSwitch0", 4095))}}
	if d := Diff(spec, o); len(d) != 0 {
		t.Fatalf("standard diff %q", kinds(d))
	}
}
