package labenv

import (
	"path/filepath"
	"testing"

	"github.com/kasmfleet/push/examples/lab/topology"
	"github.com/kasmfleet/push/inventory"
)

// bare-metal.hcl, after inventory.hcl, is a valid inventory whose
// bare-metal agents are the lab's, as topology describes them.
func TestBareMetalInventory(t *testing.T) {
	root, err := LabRoot()
	if err != nil {
		t.Fatal(err)
	}
	l := &Lab{root: root}
	inv, diags := inventory.Load(inventory.Options{}, l.InventoryPath(), l.BareMetalInventoryPath())
	if diags.HasErrors() {
		t.Fatalf("inventory.hcl + bare-metal.hcl: %v", diags)
	}
	metal := topology.BareMetalAgents()
	found := 0
	for _, a := range inv.Agents {
		if !a.BareMetal {
			continue
		}
		found++
		var vm topology.VM
		for _, m := range metal {
			if m.Name == a.Name {
				vm = m
			}
		}
		if vm.Name == "" {
			t.Errorf("%s is bare metal in bare-metal.hcl but not in the lab's topology", a.Name)
			continue
		}
		become := a.SSH.Become != nil && *a.SSH.Become
		if a.SSH.Port != vm.SSHPort || a.SSH.User != vm.LoginUser() || !become || a.TrunkNIC != "eth1" || a.VM != "" {
			t.Errorf("%s: port %d user %s become %v trunk_nic %q vm %q; want %d, %s, true, eth1, none",
				a.Name, a.SSH.Port, a.SSH.User, become, a.TrunkNIC, a.VM, vm.SSHPort, vm.LoginUser())
		}
		if got := a.SourceIPs["site_a"]; got != vm.ExtraAddr {
			t.Errorf("%s: site_a source IP %s, want %s", a.Name, got, vm.ExtraAddr)
		}
	}
	if found != len(metal) {
		t.Errorf("%d bare-metal agents in the inventory, %d in the lab", found, len(metal))
	}
	if filepath.Base(l.BareMetalInventoryPath()) != "bare-metal.hcl" {
		t.Errorf("path %s", l.BareMetalInventoryPath())
	}
}
