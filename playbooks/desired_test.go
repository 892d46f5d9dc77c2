package playbooks

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/kasmfleet/push/remote/proto"
)

func TestDesireStandardVSwitch(t *testing.T) {
	inv := load(t, filepath.Join("..", "inventory", "testdata", "valid", "standard-vswitch.hcl"))
	d := Desire(inv)
	if len(d.VSphere) != 1 {
		t.Fatalf("vSphere specs %+v, want 1", d.VSphere)
	}
	s := d.VSphere[0]
	if !s.IsStandard() || s.Switch != "vSwitch0" || s.PortGroup != "kasm-trunk" ||
		!slices.Equal(s.Hosts, []string{"esxi-1.example.com", "esxi-2.example.com"}) {
		t.Errorf("spec %+v: want standard vSwitch0 port group kasm-trunk on the two hosts", s)
	}
	wantVMs := []proto.TrunkVM{{Agent: "kasm-agent-1", VM: "kasm-agent-1"}, {Agent: "kasm-agent-2", VM: "kasm-agent-2"}}
	if !slices.Equal(s.VMs, wantVMs) {
		t.Errorf("VMs %+v, want %+v", s.VMs, wantVMs)
	}
	for _, h := range d.Hosts {
		if !h.TrunkAuto || h.VM != h.Name {
			t.Errorf("host %s: TrunkAuto %t VM %q; the MAC must come from vSphere as for a distributed switch", h.Name, h.TrunkAuto, h.VM)
		}
	}
}

// A trunk's vSphere spec names the macvlan networks its agents serve (the
// port group must pass their MACs); a trunk without macvlan names none.
func TestDesireMacvlanTrunk(t *testing.T) {
	inv := load(t, filepath.Join("..", "inventory", "testdata", "invalid", "macvlan-standard-vswitch.hcl"))
	if got := Desire(inv).VSphere[0].Macvlan; !slices.Equal(got, []string{"z_vlan150"}) {
		t.Errorf("Macvlan %q, want [z_vlan150]", got)
	}
	inv = load(t, filepath.Join("..", "inventory", "testdata", "valid", "standard-vswitch.hcl"))
	if got := Desire(inv).VSphere[0].Macvlan; got != nil {
		t.Errorf("an ipvlan trunk asks for a MAC policy for %q", got)
	}
}

// A bare-metal agent on a vSphere trunk is left out of the vSphere spec
// (no VM to find or give a NIC) and keeps its named trunk NIC; the VMs
// beside it are in the spec, found by MAC.
func TestDesireMixedFleet(t *testing.T) {
	inv := load(t, filepath.Join("..", "inventory", "testdata", "valid", "mixed-fleet.hcl"))
	d := Desire(inv)
	if len(d.VSphere) != 1 {
		t.Fatalf("vSphere specs %+v, want 1", d.VSphere)
	}
	wantVMs := []proto.TrunkVM{{Agent: "kasm-vm-1", VM: "kasm-vm-1"}, {Agent: "kasm-vm-2", VM: "kasm-vm-2.prod"}}
	if got := d.VSphere[0].VMs; !slices.Equal(got, wantVMs) {
		t.Errorf("VMs %+v, want %+v", got, wantVMs)
	}
	tests := []struct {
		name, vm, nic   string
		auto, bareMetal bool
	}{
		{"kasm-vm-1", "kasm-vm-1", "", true, false},
		{"kasm-vm-2", "kasm-vm-2.prod", "", true, false},
		{"kasm-metal-1", "", "eno2", false, true},
	}
	for i, tt := range tests {
		h := d.Hosts[i]
		if h.Name != tt.name || h.VM != tt.vm || h.Spec.Trunk == nil || h.Spec.Trunk.NIC != tt.nic ||
			h.TrunkAuto != tt.auto || h.BareMetal != tt.bareMetal {
			t.Errorf("host %d = %+v (trunk %+v), want %+v", i, h, h.Spec.Trunk, tt)
		}
	}
	// Limited to the bare-metal agent, the run has no VM and skips vSphere.
	if specs := limitVMs(d.VSphere, d.Hosts[2:]); len(specs) != 0 {
		t.Errorf("limited to kasm-metal-1: vSphere specs %+v, want none", specs)
	}
}
