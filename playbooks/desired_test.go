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
