package vsphere

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/vim25/types"
)

func kinds(changes []Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, string(c.Kind)+" "+c.Object+" "+string(c.Outcome))
	}
	return out
}

func wantKinds(t *testing.T, changes []Change, want ...string) {
	t.Helper()
	if got := kinds(changes); !slices.Equal(got, want) {
		t.Fatalf("changes:\n got %q\nwant %q", got, want)
	}
}

func TestApplyFromNothingThenNothing(t *testing.T) {
	s := newSim(t)
	c := s.connect(t)
	spec := trunkSpec("DC0_H0_VM0", "DC0_C0_RP0_VM1")
	s.power(t, "DC0_C0_RP0_VM1", false)

	var events []Event
	r, err := c.Apply(testCtx(t), spec, func(e Event) { events = append(events, e) })
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	wantKinds(t, r.Changes,
		"create-portgroup port group kasm-trunk done",
		"add-nic VM DC0_H0_VM0 trunk NIC done",
		"add-nic VM DC0_C0_RP0_VM1 trunk NIC done")
	if !r.Changed() {
		t.Error("Changed() = false after creating")
	}

	// Read back independently of the package.
	pg := s.portGroup(t, "kasm-trunk")
	setting := pg.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting)
	trunk, ok := setting.Vlan.(*types.VmwareDistributedVirtualSwitchTrunkVlanSpec)
	if !ok {
		t.Fatalf("VLAN setting is %T, want a trunk", setting.Vlan)
	}
	wantRanges := []types.NumericRange{{Start: 150, End: 150}, {Start: 160, End: 169}}
	if !slices.Equal(trunk.VlanId, wantRanges) {
		t.Errorf("trunk ranges %v, want %v", trunk.VlanId, wantRanges)
	}
	if pg.Config.Type != "earlyBinding" || pg.Config.AutoExpand == nil || !*pg.Config.AutoExpand {
		t.Errorf("binding %q autoExpand %v, want earlyBinding, elastic", pg.Config.Type, pg.Config.AutoExpand)
	}
	macs := map[string]string{}
	for vm, on := range map[string]bool{"DC0_H0_VM0": true, "DC0_C0_RP0_VM1": false} {
		nics := s.nicsOn(t, vm, pg.Config.Key)
		if len(nics) != 1 {
			t.Fatalf("%s has %d NICs on the trunk, want 1", vm, len(nics))
		}
		if _, ok := nics[0].(*types.VirtualVmxnet3); !ok {
			t.Errorf("%s trunk NIC is %T, want vmxnet3", vm, nics[0])
		}
		ec := nics[0].GetVirtualEthernetCard()
		if !ec.Connectable.StartConnected || ec.Connectable.Connected != on {
			t.Errorf("%s trunk NIC connectable %+v, want startConnected, connected=%t", vm, *ec.Connectable, on)
		}
		macs["agent-"+vm] = ec.MacAddress
	}
	if len(r.NICs) != 2 {
		t.Fatalf("report NICs %+v, want 2", r.NICs)
	}
	for _, n := range r.NICs {
		if n.MAC == "" || n.MAC != macs[n.Agent] {
			t.Errorf("report MAC of %s = %q, vCenter has %q", n.Agent, n.MAC, macs[n.Agent])
		}
	}
	if !slices.ContainsFunc(events, func(e Event) bool { return e.Outcome == proto.OutcomeDone && e.Object == "port group kasm-trunk" }) {
		t.Errorf("no done event for the port group in %+v", events)
	}

	// A second run changes nothing, and plan agrees.
	r2, err := c.Apply(testCtx(t), spec, nil)
	if err != nil {
		t.Fatalf("second apply: %v", err)
	}
	if len(r2.Changes) != 0 || r2.Changed() {
		t.Fatalf("second apply changed %q", kinds(r2.Changes))
	}
	if !slices.Equal(r2.NICs, r.NICs) {
		t.Errorf("NICs moved: %+v then %+v", r.NICs, r2.NICs)
	}
	o, err := c.Observe(testCtx(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(spec, o); len(d) != 0 {
		t.Errorf("diff after apply: %q", kinds(d))
	}
	if got := o.MAC("agent-DC0_H0_VM0"); got != macs["agent-DC0_H0_VM0"] {
		t.Errorf("Observed.MAC = %q, want %q", got, macs["agent-DC0_H0_VM0"])
	}
}

func TestApplyRepairsDrift(t *testing.T) {
	s := newSim(t)
	c := s.connect(t)
	spec := trunkSpec("DC0_H0_VM0", "DC0_H0_VM1")
	if _, err := c.Apply(testCtx(t), spec, nil); err != nil {
		t.Fatal(err)
	}
	key := s.portGroup(t, "kasm-trunk").Config.Key

	// Ranges and binding changed by hand; one NIC removed, one disconnected.
	s.setTrunk(t, "kasm-trunk", &types.VmwareDistributedVirtualSwitchTrunkVlanSpec{
		VlanId: []types.NumericRange{{Start: 150, End: 155}}}, "lateBinding")
	s.reconfigureVM(t, "DC0_H0_VM0", types.VirtualDeviceConfigSpecOperationRemove,
		s.nicsOn(t, "DC0_H0_VM0", key)[0].(types.BaseVirtualDevice))
	nic := s.nicsOn(t, "DC0_H0_VM1", key)[0]
	nic.GetVirtualEthernetCard().Connectable.Connected = false
	nic.GetVirtualEthernetCard().Connectable.StartConnected = false
	s.reconfigureVM(t, "DC0_H0_VM1", types.VirtualDeviceConfigSpecOperationEdit, nic.(types.BaseVirtualDevice))

	o, err := c.Observe(testCtx(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	plan := Diff(spec, o)
	wantKinds(t, plan,
		"update-portgroup port group kasm-trunk pending",
		"add-nic VM DC0_H0_VM0 trunk NIC pending",
		"connect-nic VM DC0_H0_VM1 trunk NIC pending")
	if plan[0].Expected != "VLAN trunk 150,160-169; static binding" || plan[0].Actual != "VLAN trunk 150-155; dynamic binding" {
		t.Errorf("port group drift: expected %q actual %q", plan[0].Expected, plan[0].Actual)
	}
	if plan[2].Actual != "disconnected now, not connected at power-on" {
		t.Errorf("NIC drift actual %q", plan[2].Actual)
	}

	r, err := c.Apply(testCtx(t), spec, nil)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	wantKinds(t, r.Changes,
		"update-portgroup port group kasm-trunk done",
		"add-nic VM DC0_H0_VM0 trunk NIC done",
		"connect-nic VM DC0_H0_VM1 trunk NIC done")
	pg := s.portGroup(t, "kasm-trunk")
	trunk := pg.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting).Vlan.(*types.VmwareDistributedVirtualSwitchTrunkVlanSpec)
	if len(trunk.VlanId) != 2 || pg.Config.Type != "earlyBinding" {
		t.Errorf("after repair: ranges %v binding %s", trunk.VlanId, pg.Config.Type)
	}
	for _, vm := range []string{"DC0_H0_VM0", "DC0_H0_VM1"} {
		nics := s.nicsOn(t, vm, key)
		if len(nics) != 1 {
			t.Fatalf("%s has %d trunk NICs, want exactly 1", vm, len(nics))
		}
		if cn := nics[0].GetVirtualEthernetCard().Connectable; !cn.Connected || !cn.StartConnected {
			t.Errorf("%s NIC %+v, want connected", vm, *cn)
		}
	}
	// And once more: the added NIC is not added again.
	r, err = c.Apply(testCtx(t), spec, nil)
	if err != nil || len(r.Changes) != 0 {
		t.Fatalf("third apply: %q, %v", kinds(r.Changes), err)
	}
	if n := len(s.nicsOn(t, "DC0_H0_VM0", key)); n != 1 {
		t.Errorf("DC0_H0_VM0 has %d trunk NICs after a third run", n)
	}
}

func TestApplyPoweredOffNeedsOnlyStartConnected(t *testing.T) {
	s := newSim(t)
	c := s.connect(t)
	spec := trunkSpec("DC0_H0_VM1")
	if _, err := c.Apply(testCtx(t), spec, nil); err != nil {
		t.Fatal(err)
	}
	key := s.portGroup(t, "kasm-trunk").Config.Key
	s.power(t, "DC0_H0_VM1", false)

	// Off: the NIC reads disconnected, which is as good as it gets.
	o, err := c.Observe(testCtx(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(spec, o); len(d) != 0 {
		t.Fatalf("powered-off VM with a startConnected NIC drifts: %q", kinds(d))
	}

	nic := s.nicsOn(t, "DC0_H0_VM1", key)[0]
	nic.GetVirtualEthernetCard().Connectable.StartConnected = false
	s.reconfigureVM(t, "DC0_H0_VM1", types.VirtualDeviceConfigSpecOperationEdit, nic.(types.BaseVirtualDevice))
	r, err := c.Apply(testCtx(t), spec, nil)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	wantKinds(t, r.Changes, "connect-nic VM DC0_H0_VM1 trunk NIC done")
	if want := "connected at power-on (the VM is powered off)"; r.Changes[0].Expected != want {
		t.Errorf("expected %q, want %q", r.Changes[0].Expected, want)
	}
	s.power(t, "DC0_H0_VM1", true)
	if cn := s.nicsOn(t, "DC0_H0_VM1", key)[0].GetVirtualEthernetCard().Connectable; !cn.Connected {
		t.Errorf("after power-on the NIC is not connected: %+v", *cn)
	}
}

func TestApplyRefusesNonTrunkPortGroup(t *testing.T) {
	for _, tc := range []struct {
		name, portgroup, actual string
	}{
		{"plain VLAN port group", "DC0_DVPG0", "no VLAN"},
		{"standard network", "VM Network", `a standard port group "VM Network"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t)
			c := s.connect(t)
			spec := trunkSpec("DC0_H0_VM0")
			spec.PortGroup = tc.portgroup
			r, err := c.Apply(testCtx(t), spec, nil)
			if !errors.Is(err, ErrConflict) {
				t.Fatalf("apply error %v, want ErrConflict", err)
			}
			wantKinds(t, r.Changes, "conflict port group "+tc.portgroup+" refused")
			if r.Changes[0].Actual != tc.actual {
				t.Errorf("actual %q, want %q", r.Changes[0].Actual, tc.actual)
			}
			if len(r.NICs) != 0 {
				t.Errorf("NICs on a non-trunk reported as trunk NICs: %+v", r.NICs)
			}
		})
	}
	// The plain port group is left as it was.
	s := newSim(t)
	c := s.connect(t)
	spec := trunkSpec()
	spec.PortGroup = "DC0_DVPG0"
	before := s.portGroup(t, "DC0_DVPG0").Config.ConfigVersion
	_, _ = c.Apply(testCtx(t), spec, nil)
	if after := s.portGroup(t, "DC0_DVPG0"); after.Config.ConfigVersion != before {
		t.Errorf("conflicting port group was reconfigured")
	}
	if _, ok := s.portGroup(t, "DC0_DVPG0").Config.DefaultPortConfig.(*types.VMwareDVSPortSetting).Vlan.(*types.VmwareDistributedVirtualSwitchVlanIdSpec); !ok {
		t.Errorf("conflicting port group's VLAN setting was rewritten")
	}
}

func TestObserveChangesNothing(t *testing.T) {
	s := newSim(t)
	c := s.connect(t)
	spec := trunkSpec("DC0_H0_VM0")
	before, err := s.vm(t, "DC0_H0_VM0").Device(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.Observe(testCtx(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	if o.PortGroup != nil || o.Switch.Name != "DVS0" || o.Datacenter != "DC0" || len(o.VMs) != 1 || o.VMs[0].PowerState != "poweredOn" {
		t.Fatalf("observed %+v", o)
	}
	wantKinds(t, Diff(spec, o), "create-portgroup port group kasm-trunk pending", "add-nic VM DC0_H0_VM0 trunk NIC pending")
	if _, err := s.finder(t).Network(testCtx(t), "kasm-trunk"); err == nil {
		t.Error("observe created the port group")
	}
	after, err := s.vm(t, "DC0_H0_VM0").Device(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("observe changed the VM's devices: %d then %d", len(before), len(after))
	}
}

func TestApplyRefusesPortGroupOnAnotherSwitch(t *testing.T) {
	s := newSim(t)
	ctx := testCtx(t)
	s.createDVS(t, "DVS1")
	c := s.connect(t)
	other := trunkSpec()
	other.Switch = "DVS1"
	if _, err := c.Apply(ctx, other, nil); err != nil {
		t.Fatal(err)
	}

	r, err := c.Apply(ctx, trunkSpec("DC0_H0_VM0"), nil)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("error %v, want ErrConflict", err)
	}
	wantKinds(t, r.Changes, "conflict port group kasm-trunk refused")
	if want := `a distributed port group "kasm-trunk" on another switch`; r.Changes[0].Actual != want {
		t.Errorf("actual %q, want %q", r.Changes[0].Actual, want)
	}
}

func TestApplyHostNotOnSwitch(t *testing.T) {
	s := newSim(t)
	s.createDVS(t, "DVS1") // vcsim joins no host to a new switch
	c := s.connect(t)
	spec := trunkSpec("DC0_H0_VM0")
	spec.Switch = "DVS1"
	r, err := c.Apply(testCtx(t), spec, nil)
	if !errors.Is(err, ErrTask) || !strings.Contains(err.Error(), "is the VM's host a member of switch DVS1?") {
		t.Fatalf("error %v, want a hint at switch membership", err)
	}
	wantKinds(t, r.Changes, "create-portgroup port group kasm-trunk done", "add-nic VM DC0_H0_VM0 trunk NIC failed")
}
