package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/kasmfleet/push/examples/lab/labenv"
)

// vsphere logs into the lab's vcsim as a client would: TLS verified
// against the lab's CA, user and password from the lab's state.
func vsphere(ctx context.Context, t *testing.T, lab *labenv.Lab) *govmomi.Client {
	t.Helper()
	u, err := url.Parse(lab.VSphereURL())
	if err != nil {
		t.Fatal(err)
	}
	password, err := lab.VSpherePassword()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vim25.NewClient(ctx, soap.NewClient(u, false)); err == nil {
		t.Fatal("vcsim's certificate verified without the lab's CA")
	}
	sc := soap.NewClient(u, false)
	if err := sc.SetRootCAs(lab.VSphereCAPath()); err != nil {
		t.Fatal(err)
	}
	vimc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	vc := &govmomi.Client{Client: vimc, SessionManager: session.NewManager(vimc)}
	if err := vc.Login(ctx, url.UserPassword(lab.VSphereUser(), "wrong")); err == nil {
		t.Fatal("vcsim accepted a wrong password")
	}
	if err := vc.Login(ctx, url.UserPassword(lab.VSphereUser(), password)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = vc.Logout(context.Background()) })
	return vc
}

func TestVCSimTrunkNICGetsLabMAC(t *testing.T) {
	lab := labenv.Require(t)
	ctx := testContext(t, 2*time.Minute)
	vc := vsphere(ctx, t, lab)
	f := find.NewFinder(vc.Client)
	dc, err := f.Datacenter(ctx, "Lab")
	if err != nil {
		t.Fatal(err)
	}
	f.SetDatacenter(dc)
	netw, err := f.Network(ctx, "DSwitch-Lab")
	if err != nil {
		t.Fatal(err)
	}
	dvs, ok := netw.(*object.DistributedVirtualSwitch)
	if !ok {
		t.Fatalf("DSwitch-Lab is a %T", netw)
	}
	agent := lab.Agents()[0]
	vm, err := f.VirtualMachine(ctx, agent.Name)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		portgroup string
		wantLab   bool
	}{
		{"kasm-trunk", true},
		{"lab-e2e-other", false},
	}
	for _, c := range cases {
		pg := addPortgroup(ctx, t, f, dvs, c.portgroup)
		mac := addNIC(ctx, t, vm, pg)
		if got := mac == agent.TrunkMAC; got != c.wantLab {
			t.Errorf("NIC on %s got MAC %s; lab trunk MAC %s expected: %v", c.portgroup, mac, agent.TrunkMAC, c.wantLab)
		}
	}
}

func wait(ctx context.Context, t *testing.T, task *object.Task, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// addPortgroup finds or creates a trunk port group; one it created goes at
// cleanup. (push's own tests may have left kasm-trunk behind: making it is
// what push apply does.)
func addPortgroup(ctx context.Context, t *testing.T, f *find.Finder, dvs *object.DistributedVirtualSwitch, name string) *object.DistributedVirtualPortgroup {
	t.Helper()
	if n, err := f.Network(ctx, name); err == nil {
		pg, ok := n.(*object.DistributedVirtualPortgroup)
		if !ok {
			t.Fatalf("%s is a %T, not a distributed port group", name, n)
		}
		return pg
	}
	spec := types.DVPortgroupConfigSpec{
		Name:     name,
		Type:     string(types.DistributedVirtualPortgroupPortgroupTypeEarlyBinding),
		NumPorts: 8,
		DefaultPortConfig: &types.VMwareDVSPortSetting{
			Vlan: &types.VmwareDistributedVirtualSwitchTrunkVlanSpec{
				VlanId: []types.NumericRange{{Start: 150, End: 150}, {Start: 160, End: 169}},
			},
		},
	}
	task, err := dvs.AddPortgroup(ctx, []types.DVPortgroupConfigSpec{spec})
	wait(ctx, t, task, err)
	n, err := f.Network(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	pg := n.(*object.DistributedVirtualPortgroup)
	t.Cleanup(func() {
		ctx := context.Background()
		task, err := pg.Destroy(ctx)
		if err == nil {
			err = task.Wait(ctx)
		}
		if err != nil {
			t.Errorf("remove port group %s: %v", name, err)
		}
	})
	return pg
}

// addNIC adds a NIC on pg to vm, reads the VM back, returns the NIC's MAC,
// and removes the NIC at cleanup.
func addNIC(ctx context.Context, t *testing.T, vm *object.VirtualMachine, pg *object.DistributedVirtualPortgroup) string {
	t.Helper()
	backing, err := pg.EthernetCardBackingInfo(ctx)
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
	var added types.BaseVirtualDevice
	for _, d := range after.SelectByType((*types.VirtualEthernetCard)(nil)) {
		if before.FindByKey(d.GetVirtualDevice().Key) == nil {
			added = d
		}
	}
	if added == nil {
		t.Fatal("the added NIC is not on the VM")
	}
	t.Cleanup(func() {
		if err := vm.RemoveDevice(context.Background(), false, added); err != nil {
			t.Errorf("remove NIC: %v", err)
		}
	})
	return strings.ToLower(added.(types.BaseVirtualEthernetCard).GetVirtualEthernetCard().MacAddress)
}
