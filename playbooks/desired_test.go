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
