package main

import (
	"context"
	"strings"
	"testing"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/kasmfleet/push/examples/lab/topology"
)

// In process, no TLS: the lab's model and its trunk MAC rule.
func TestTrunkNICGetsLabMAC(t *testing.T) {
	ctx := context.Background()
	model, err := newModel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Remove()
	if err := wrapTrunkVMs(model.Map(), trunkMACs()); err != nil {
		t.Fatal(err)
	}
	c, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		t.Fatal(err)
	}
	f := find.NewFinder(c)
	dc, err := f.Datacenter(ctx, Datacenter)
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	n, err := f.Network(ctx, Switch)
	if err != nil {
		t.Fatal(err)
	}
	dvs := n.(*object.DistributedVirtualSwitch)
	for _, pg := range []string{TrunkPG, "other"} {
		task, err := dvs.AddPortgroup(ctx, []types.DVPortgroupConfigSpec{{Name: pg, Type: "earlyBinding", NumPorts: 4}})
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range topology.Agents() {
		vm, err := f.VirtualMachine(ctx, a.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			pg      string
			wantLab bool
		}{{"other", false}, {TrunkPG, true}} {
			mac := addNIC(ctx, t, f, vm, tc.pg)
			if (mac == a.TrunkMAC) != tc.wantLab {
				t.Errorf("%s: NIC on %s got %s (lab trunk MAC %s expected: %v)", a.Name, tc.pg, mac, a.TrunkMAC, tc.wantLab)
			}
		}
	}
}

func addNIC(ctx context.Context, t *testing.T, f *find.Finder, vm *object.VirtualMachine, pgName string) string {
	t.Helper()
	n, err := f.Network(ctx, pgName)
	if err != nil {
		t.Fatal(err)
	}
	backing, err := n.EthernetCardBackingInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before, err := vm.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nic, err := before.CreateEthernetCard("vmxnet3", backing)
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.AddDevice(ctx, nic); err != nil {
		t.Fatal(err)
	}
	after, err := vm.Device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range after.SelectByType((*types.VirtualEthernetCard)(nil)) {
		if before.FindByKey(d.GetVirtualDevice().Key) == nil {
			return strings.ToLower(d.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard().MacAddress)
		}
	}
	t.Fatal("added NIC not found")
	return ""
}
