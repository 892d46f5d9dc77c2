package vsphere

import (
	"slices"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"
)

// TestPortGroupVMs: push import finds the agents' VMs by the MAC of their
// trunk NIC, whatever the VMs are called: every VM with a NIC on the port
// group is listed with those MACs (and its inventory path when its name is
// not unique); VMs without one are not.
func TestPortGroupVMs(t *testing.T) {
	s := newSim(t)
	c := s.connect(t)
	ctx := testCtx(t)
	r, err := c.Apply(ctx, trunkSpec("DC0_H0_VM0", "DC0_C0_RP0_VM1"), func(Event) {})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	macs := map[string]string{}
	for _, n := range r.NICs {
		macs[n.VM] = n.MAC
	}
	// DC0_H0_VM0 moves to folder kasm and takes the name of another VM.
	dc, err := s.finder(t).Datacenter(ctx, "DC0")
	if err != nil {
		t.Fatal(err)
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kasm, err := folders.VmFolder.CreateFolder(ctx, "kasm")
	if err != nil {
		t.Fatal(err)
	}
	vm := s.vm(t, "DC0_H0_VM0")
	waitTask(t, func() (*object.Task, error) {
		return kasm.MoveInto(ctx, []types.ManagedObjectReference{vm.Reference()})
	})
	waitTask(t, func() (*object.Task, error) { return vm.Rename(ctx, "DC0_C0_RP0_VM0") })

	obs, err := c.Observe(ctx, trunkSpec())
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	got, err := c.PortGroupVMs(ctx, obs)
	if err != nil {
		t.Fatalf("port group VMs: %v", err)
	}
	want := []PortGroupVM{
		{Name: "DC0_C0_RP0_VM0", Path: "/DC0/vm/kasm/DC0_C0_RP0_VM0", MACs: []string{macs["DC0_H0_VM0"]}},
		{Name: "DC0_C0_RP0_VM1", MACs: []string{macs["DC0_C0_RP0_VM1"]}},
	}
	slices.SortFunc(got, func(a, b PortGroupVM) int { return strings.Compare(a.Name, b.Name) })
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Path != want[i].Path || !slices.Equal(got[i].MACs, want[i].MACs) || got[i].MACs[0] == "" {
			t.Errorf("VM %d: got %+v, want %+v", i, got[i], want[i])
		}
	}

	obs.PortGroup = nil
	if got, err := c.PortGroupVMs(ctx, obs); err != nil || len(got) != 0 {
		t.Errorf("without the port group: %+v, %v; want none", got, err)
	}
}

func waitTask(t *testing.T, start func() (*object.Task, error)) {
	t.Helper()
	task, err := start()
	if err == nil {
		err = task.Wait(testCtx(t))
	}
	if err != nil {
		t.Fatal(err)
	}
}
