package vsphere

import (
	"bytes"
	"errors"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/vmware/govmomi/vim25/types"
)

// wantStandardPG checks a host's port group as read independently.
func wantStandardPG(t *testing.T, s *sim, host string) {
	t.Helper()
	pg := s.hostPortGroup(t, host, "kasm-trunk")
	if pg == nil {
		t.Fatalf("host %s has no port group kasm-trunk", host)
	}
	if pg.VlanId != 4095 || pg.VswitchName != "vSwitch0" {
		t.Errorf("host %s port group: VLAN %d on %s, want 4095 on vSwitch0", host, pg.VlanId, pg.VswitchName)
	}
}

// wantOneNIC checks that vm has exactly one vmxnet3 NIC on the standard
// port group, connected as the power state allows, and returns its MAC.
func wantOneNIC(t *testing.T, s *sim, vm string, on bool) string {
	t.Helper()
	nics := s.standardNICs(t, vm, "kasm-trunk")
	if len(nics) != 1 {
		t.Fatalf("%s has %d NICs on kasm-trunk, want 1", vm, len(nics))
	}
	if _, ok := nics[0].(*types.VirtualVmxnet3); !ok {
		t.Errorf("%s trunk NIC is %T, want vmxnet3", vm, nics[0])
	}
	ec := nics[0].GetVirtualEthernetCard()
	if !ec.Connectable.StartConnected || ec.Connectable.Connected != on {
		t.Errorf("%s trunk NIC connectable %+v, want startConnected, connected=%t", vm, *ec.Connectable, on)
	}
	return ec.MacAddress
}

func TestStandardFromNothingThenNothing(t *testing.T) {
	s := newStandardSim(t)
	c := s.connect(t)
	spec := standardSpec([]string{"DC0_H0", "DC0_C0_H0"}, "DC0_H0_VM0", "DC0_H0_VM1")
	s.power(t, "DC0_H0_VM1", false)

	var events []Event
	r, err := c.Apply(testCtx(t), spec, func(e Event) { events = append(events, e) })
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	wantKinds(t, r.Changes,
		"create-portgroup port group kasm-trunk on host DC0_H0 done",
		"create-portgroup port group kasm-trunk on host DC0_C0_H0 done",
		"add-nic VM DC0_H0_VM0 trunk NIC done",
		"add-nic VM DC0_H0_VM1 trunk NIC done")
	for _, h := range []string{"DC0_H0", "DC0_C0_H0"} {
		wantStandardPG(t, s, h)
	}
	for _, h := range []string{"DC0_C0_H1", "DC0_C0_H2"} {
		if pg := s.hostPortGroup(t, h, "kasm-trunk"); pg != nil {
			t.Errorf("host %s not in hosts got the port group", h)
		}
	}
	macs := map[string]string{
		"agent-DC0_H0_VM0": wantOneNIC(t, s, "DC0_H0_VM0", true),
		"agent-DC0_H0_VM1": wantOneNIC(t, s, "DC0_H0_VM1", false),
	}
	if len(r.NICs) != 2 {
		t.Fatalf("report NICs %+v, want 2", r.NICs)
	}
	for _, n := range r.NICs {
		if n.MAC == "" || n.MAC != strings.ToLower(macs[n.Agent]) {
			t.Errorf("report MAC of %s = %q, vCenter has %q", n.Agent, n.MAC, macs[n.Agent])
		}
	}
	if !slices.ContainsFunc(events, func(e Event) bool {
		return e.Outcome == proto.OutcomeDone && e.Object == "port group kasm-trunk on host DC0_C0_H0"
	}) {
		t.Errorf("no done event for the second host's port group in %+v", events)
	}

	r2, err := c.Apply(testCtx(t), spec, nil)
	if err != nil || len(r2.Changes) != 0 || r2.Changed() {
		t.Fatalf("second apply: %q, %v", kinds(r2.Changes), err)
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
	if got := o.MAC("agent-DC0_H0_VM0"); got == "" || got != r.NICs[0].MAC {
		t.Errorf("Observed.MAC = %q, want %q", got, r.NICs[0].MAC)
	}
}

func TestStandardDefaultHostsAreTheVMsClusters(t *testing.T) {
	s := newStandardSim(t)
	c := s.connect(t)
	spec := standardSpec(nil, "DC0_C0_RP0_VM0") // runs on one of the cluster's hosts
	r, err := c.Apply(testCtx(t), spec, nil)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	wantKinds(t, r.Changes,
		"create-portgroup port group kasm-trunk on host DC0_C0_H0 done",
		"create-portgroup port group kasm-trunk on host DC0_C0_H1 done",
		"create-portgroup port group kasm-trunk on host DC0_C0_H2 done",
		"add-nic VM DC0_C0_RP0_VM0 trunk NIC done")
	for _, h := range []string{"DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2"} {
		wantStandardPG(t, s, h)
	}
	if s.hostPortGroup(t, "DC0_H0", "kasm-trunk") != nil {
		t.Error("the standalone host, which runs no agent VM, got the port group")
	}
	wantOneNIC(t, s, "DC0_C0_RP0_VM0", true)
	if len(r.Observed.Hosts) != 3 || r.Observed.VMs[0].Host != s.vmHost(t, "DC0_C0_RP0_VM0") {
		t.Errorf("observed hosts %+v, VM host %q", r.Observed.Hosts, r.Observed.VMs[0].Host)
	}
}

func TestStandardRepairsDrift(t *testing.T) {
	s := newStandardSim(t)
	c := s.connect(t)
	spec := standardSpec([]string{"DC0_H0", "DC0_C0_H0"}, "DC0_H0_VM0", "DC0_H0_VM1")
	if _, err := c.Apply(testCtx(t), spec, nil); err != nil {
		t.Fatal(err)
	}

	// VLAN set to 150 by hand on one host, with a security policy push
	// must keep; one NIC removed, one disconnected.
	ns := s.hostNetworkSystem(t, "DC0_C0_H0")
	pg := *s.hostPortGroup(t, "DC0_C0_H0", "kasm-trunk")
	pg.VlanId = 150
	pg.Policy.Security = &types.HostNetworkSecurityPolicy{ForgedTransmits: types.NewBool(true), MacChanges: types.NewBool(false)}
	if err := ns.UpdatePortGroup(testCtx(t), "kasm-trunk", pg); err != nil {
		t.Fatal(err)
	}
	s.reconfigureVM(t, "DC0_H0_VM0", types.VirtualDeviceConfigSpecOperationRemove,
		s.standardNICs(t, "DC0_H0_VM0", "kasm-trunk")[0].(types.BaseVirtualDevice))
	nic := s.standardNICs(t, "DC0_H0_VM1", "kasm-trunk")[0]
	nic.GetVirtualEthernetCard().Connectable.Connected = false
	nic.GetVirtualEthernetCard().Connectable.StartConnected = false
	s.reconfigureVM(t, "DC0_H0_VM1", types.VirtualDeviceConfigSpecOperationEdit, nic.(types.BaseVirtualDevice))
	macVM1 := nic.GetVirtualEthernetCard().MacAddress

	o, err := c.Observe(testCtx(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	plan := Diff(spec, o)
	wantKinds(t, plan,
		"update-portgroup port group kasm-trunk on host DC0_C0_H0 pending",
		"add-nic VM DC0_H0_VM0 trunk NIC pending",
		"connect-nic VM DC0_H0_VM1 trunk NIC pending")
	if plan[0].Actual != "VLAN 150 on vSwitch vSwitch0" || plan[0].Expected != "VLAN 4095 (all VLANs) on vSwitch vSwitch0" {
		t.Errorf("port group drift: expected %q actual %q", plan[0].Expected, plan[0].Actual)
	}

	r, err := c.Apply(testCtx(t), spec, nil)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	wantKinds(t, r.Changes,
		"update-portgroup port group kasm-trunk on host DC0_C0_H0 done",
		"add-nic VM DC0_H0_VM0 trunk NIC done",
		"connect-nic VM DC0_H0_VM1 trunk NIC done")
	wantStandardPG(t, s, "DC0_C0_H0")
	sec := s.hostPortGroup(t, "DC0_C0_H0", "kasm-trunk").Policy.Security
	if sec == nil || sec.ForgedTransmits == nil || !*sec.ForgedTransmits {
		t.Errorf("the update lost the port group's security policy: %+v", sec)
	}
	wantOneNIC(t, s, "DC0_H0_VM0", true)
	if mac := wantOneNIC(t, s, "DC0_H0_VM1", true); mac != macVM1 {
		t.Errorf("reconnecting replaced the NIC: MAC %s, was %s", mac, macVM1)
	}

	r, err = c.Apply(testCtx(t), spec, nil)
	if err != nil || len(r.Changes) != 0 {
		t.Fatalf("third apply: %q, %v", kinds(r.Changes), err)
	}
	wantOneNIC(t, s, "DC0_H0_VM0", true)
}

func TestStandardRefusesPortGroupOnAnotherVSwitch(t *testing.T) {
	s := newStandardSim(t)
	ctx := testCtx(t)
	ns := s.hostNetworkSystem(t, "DC0_H0")
	if err := ns.AddVirtualSwitch(ctx, "vSwitch1", nil); err != nil {
		t.Fatal(err)
	}
	if err := ns.AddPortGroup(ctx, types.HostPortGroupSpec{Name: "kasm-trunk", VswitchName: "vSwitch1", VlanId: 150}); err != nil {
		t.Fatal(err)
	}
	c := s.connect(t)
	spec := standardSpec([]string{"DC0_H0", "DC0_C0_H0"}, "DC0_H0_VM0")
	r, err := c.Apply(ctx, spec, nil)
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "port group kasm-trunk on host DC0_H0") {
		t.Fatalf("error %v, want ErrConflict naming the host's port group", err)
	}
	// The other host converges; the VM on the refused host is left alone.
	wantKinds(t, r.Changes,
		"conflict port group kasm-trunk on host DC0_H0 refused",
		"create-portgroup port group kasm-trunk on host DC0_C0_H0 done")
	if r.Changes[0].Actual != "on vSwitch vSwitch1, VLAN 150" || !strings.Contains(r.Changes[0].Action, "remove it from vSwitch1 by hand") {
		t.Errorf("conflict says actual %q, action %q", r.Changes[0].Actual, r.Changes[0].Action)
	}
	if pg := s.hostPortGroup(t, "DC0_H0", "kasm-trunk"); pg.VswitchName != "vSwitch1" || pg.VlanId != 150 {
		t.Errorf("the conflicting port group was changed: %+v", pg)
	}
	if n := len(s.standardNICs(t, "DC0_H0_VM0", "kasm-trunk")); n != 0 {
		t.Errorf("a NIC was added on the conflicting port group")
	}
	if len(r.NICs) != 0 {
		t.Errorf("NICs reported: %+v", r.NICs)
	}
}

func TestStandardRefusesDistributedPortGroupOfTheName(t *testing.T) {
	s := newStandardSim(t)
	c := s.connect(t)
	spec := standardSpec([]string{"DC0_H0"}, "DC0_H0_VM0")
	spec.PortGroup = "DC0_DVPG0"
	r, err := c.Apply(testCtx(t), spec, nil)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("error %v, want ErrConflict", err)
	}
	wantKinds(t, r.Changes, "conflict port group DC0_DVPG0 refused")
	if want := `a distributed port group "DC0_DVPG0" on another switch`; r.Changes[0].Actual != want {
		t.Errorf("actual %q, want %q", r.Changes[0].Actual, want)
	}
	if s.hostPortGroup(t, "DC0_H0", "DC0_DVPG0") != nil {
		t.Error("a standard port group was created beside the distributed one")
	}
}

func TestStandardMissingObjects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(*sim, *proto.VSphereSpec)
		kinds  []string
		substr string
	}{
		{
			name:   "host",
			edit:   func(_ *sim, sp *proto.VSphereSpec) { sp.Hosts = []string{"DC0_H0", "esxi-gone.example.com"} },
			kinds:  []string{"create-portgroup port group kasm-trunk on host DC0_H0 done", "missing-host host esxi-gone.example.com refused", "add-nic VM DC0_H0_VM0 trunk NIC done"},
			substr: "host esxi-gone.example.com: not found: no ESXi host named esxi-gone.example.com in datacenter DC0",
		},
		{
			name:   "host by another case",
			edit:   func(_ *sim, sp *proto.VSphereSpec) { sp.Hosts = []string{"dc0_h0"} },
			kinds:  []string{"missing-host host dc0_h0 refused", "conflict VM DC0_H0_VM0 trunk NIC refused"},
			substr: "host dc0_h0: not found: no ESXi host named dc0_h0 in datacenter DC0 (did you mean DC0_H0?)",
		},
		{
			name:   "vSwitch",
			edit:   func(_ *sim, sp *proto.VSphereSpec) { sp.Switch = "vSwitch9" },
			kinds:  []string{"missing-switch vSwitch vSwitch9 on host DC0_H0 refused"},
			substr: "vSwitch vSwitch9 on host DC0_H0: not found: host DC0_H0 has only vSwitch0",
		},
		{
			name: "disconnected host",
			edit: func(s *sim, sp *proto.VSphereSpec) {
				sp.Hosts = []string{"DC0_H0", "DC0_C0_H2"}
				h := s.hosts(t)["DC0_C0_H2"]
				setHostState(s, h.Self, types.HostSystemConnectionStateNotResponding)
			},
			kinds:  []string{"create-portgroup port group kasm-trunk on host DC0_H0 done", "missing-host host DC0_C0_H2 refused", "add-nic VM DC0_H0_VM0 trunk NIC done"},
			substr: "host DC0_C0_H2: not found: ESXi host DC0_C0_H2 is notResponding in vCenter",
		},
		{
			name:   "VM on a host not listed",
			edit:   func(_ *sim, sp *proto.VSphereSpec) { sp.Hosts = []string{"DC0_C0_H0"} },
			kinds:  []string{"create-portgroup port group kasm-trunk on host DC0_C0_H0 done", "conflict VM DC0_H0_VM0 trunk NIC refused"},
			substr: "VM DC0_H0_VM0 trunk NIC: conflict: VM runs on host DC0_H0, which is not in the trunk's hosts",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandardSim(t)
			c := s.connect(t)
			spec := standardSpec([]string{"DC0_H0"}, "DC0_H0_VM0")
			tc.edit(s, &spec)
			o, err := c.Observe(testCtx(t), spec)
			if err != nil {
				t.Fatalf("observe: %v", err)
			}
			if d := Diff(spec, o); len(d) != len(tc.kinds) {
				t.Errorf("plan %q, want %d changes", kinds(d), len(tc.kinds))
			}
			r, err := c.Apply(testCtx(t), spec, nil)
			if err == nil || !strings.Contains(err.Error(), tc.substr) {
				t.Fatalf("apply error %v, want it to say %q", err, tc.substr)
			}
			wantKinds(t, r.Changes, tc.kinds...)
			if tc.name != "VM on a host not listed" && !errors.Is(err, ErrNotFound) {
				t.Errorf("error %v is not ErrNotFound", err)
			}
		})
	}
}

func TestStandardObserveChangesNothing(t *testing.T) {
	s := newStandardSim(t)
	c := s.connect(t)
	spec := standardSpec(nil, "DC0_H0_VM0", "DC0_C0_RP0_VM1")
	before, err := s.vm(t, "DC0_H0_VM0").Device(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.Observe(testCtx(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Standard || len(o.Hosts) != 4 || o.VMs[0].Host != "DC0_H0" || !strings.HasPrefix(o.VMs[1].Host, "DC0_C0_H") {
		t.Fatalf("observed %+v", o)
	}
	if len(Diff(spec, o)) != 6 { // four port groups, two NICs
		t.Errorf("plan %q", kinds(Diff(spec, o)))
	}
	for h := range s.hosts(t) {
		if s.hostPortGroup(t, h, "kasm-trunk") != nil {
			t.Errorf("observe created the port group on %s", h)
		}
	}
	after, err := s.vm(t, "DC0_H0_VM0").Device(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("observe changed the VM's devices: %d then %d", len(before), len(after))
	}
}

func stdHost(name string, pg *HostPortGroup) HostState {
	return HostState{Name: name, Switches: []string{"vSwitch0", "vSwitch1"}, PortGroup: pg}
}

func stdPG(vswitch string, vlan int) *HostPortGroup {
	return &HostPortGroup{Name: "kasm-trunk", VSwitch: vswitch, VLANID: vlan}
}

func stdVMs(a, b VMState) []VMState {
	vs := vms(a, b)
	vs[0].Host, vs[1].Host = "esxi-1", "esxi-2"
	return vs
}

func TestDiffStandard(t *testing.T) {
	trunk := func() *HostPortGroup { return stdPG("vSwitch0", 4095) }
	tests := []struct {
		name  string
		obs   Observed
		kinds []string
	}{
		{
			name: "std-from-nothing",
			obs: Observed{Hosts: []HostState{stdHost("esxi-1", nil), stdHost("esxi-2", nil)},
				VMs: stdVMs(VMState{PowerState: on, Other: 1}, VMState{PowerState: off, Other: 1})},
			kinds: []string{
				"create-portgroup port group kasm-trunk on host esxi-1 pending",
				"create-portgroup port group kasm-trunk on host esxi-2 pending",
				"add-nic VM kasm-agent-1 trunk NIC pending",
				"add-nic VM kasm-agent-2 trunk NIC pending",
			},
		},
		{
			name: "std-in-sync",
			obs: Observed{Hosts: []HostState{stdHost("esxi-1", trunk()), stdHost("esxi-2", trunk())},
				VMs: stdVMs(VMState{PowerState: on, NICs: []NIC{goodNIC("00:50:56:aa:00:01")}},
					VMState{PowerState: off, NICs: []NIC{{Type: "vmxnet3", MAC: "00:50:56:aa:00:02", StartConnected: true}}})},
		},
		{
			name: "std-vlan-drift-and-nics",
			obs: Observed{Hosts: []HostState{stdHost("esxi-1", stdPG("vSwitch0", 150)), stdHost("esxi-2", stdPG("vSwitch0", 0))},
				VMs: stdVMs(VMState{PowerState: on},
					VMState{PowerState: on, NICs: []NIC{{Label: "Network adapter 2", Type: "vmxnet3", MAC: "00:50:56:aa:00:02"}}})},
			kinds: []string{
				"update-portgroup port group kasm-trunk on host esxi-1 pending",
				"update-portgroup port group kasm-trunk on host esxi-2 pending",
				"add-nic VM kasm-agent-1 trunk NIC pending",
				"connect-nic VM kasm-agent-2 trunk NIC pending",
			},
		},
		{
			name: "std-other-vswitch",
			obs: Observed{Hosts: []HostState{stdHost("esxi-1", stdPG("vSwitch1", 4095)), stdHost("esxi-2", trunk())},
				VMs: stdVMs(VMState{PowerState: on, NICs: []NIC{goodNIC("00:50:56:aa:00:01")}}, VMState{PowerState: on})},
			kinds: []string{
				"conflict port group kasm-trunk on host esxi-1 refused",
				"add-nic VM kasm-agent-2 trunk NIC pending",
			},
		},
		{
			name: "std-missing-host-and-vswitch",
			obs: Observed{Hosts: []HostState{{Name: "esxi-1", Switches: []string{"vSwitch1"}},
				{Name: "esxi-2", Missing: true, Problem: "no ESXi host named esxi-2 in datacenter DC1"}},
				VMs: stdVMs(VMState{PowerState: on}, VMState{Missing: true, Problem: "no VM named kasm-agent-2"})},
			kinds: []string{
				"missing-switch vSwitch vSwitch0 on host esxi-1 refused",
				"missing-host host esxi-2 refused",
				"missing-vm VM kasm-agent-2 refused",
			},
		},
		{
			name: "std-vm-on-unlisted-host",
			obs: Observed{Hosts: []HostState{stdHost("esxi-1", trunk())},
				VMs: stdVMs(VMState{PowerState: on, NICs: []NIC{goodNIC("00:50:56:aa:00:01")}}, VMState{PowerState: on})},
			kinds: []string{"conflict VM kasm-agent-2 trunk NIC refused"},
		},
		{
			name: "std-distributed-of-the-name",
			obs: Observed{Foreign: `a distributed port group "kasm-trunk" on another switch`,
				Hosts: []HostState{stdHost("esxi-1", nil), {Name: "esxi-2", Switches: []string{"vSwitch1"}}},
				VMs:   stdVMs(VMState{PowerState: on}, VMState{PowerState: on})},
			kinds: []string{
				"conflict port group kasm-trunk refused",
				"missing-switch vSwitch vSwitch0 on host esxi-2 refused",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := diffSpec()
			spec.SwitchType, spec.Switch = proto.SwitchStandard, "vSwitch0"
			tc.obs.Standard, tc.obs.Switch = true, Switch{Name: "vSwitch0"}
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

func TestAgentNICsStandard(t *testing.T) {
	o := Observed{Standard: true, Switch: Switch{Name: "vSwitch0"},
		Hosts: []HostState{stdHost("esxi-1", stdPG("vSwitch0", 4095)), stdHost("esxi-2", stdPG("vSwitch0", 150))},
		VMs: stdVMs(VMState{PowerState: on, NICs: []NIC{goodNIC("00:50:56:aa:00:01")}},
			VMState{PowerState: on, NICs: []NIC{goodNIC("00:50:56:aa:00:02")}})}
	got := o.AgentNICs()
	if len(got) != 1 || got[0].Agent != "kasm-agent-1" || got[0].MAC != "00:50:56:aa:00:01" {
		t.Fatalf("AgentNICs = %+v, want only kasm-agent-1's (esxi-2's port group is VLAN 150, no trunk)", got)
	}
	o.Hosts[0].PortGroup.VSwitch = "vSwitch1"
	if got := o.AgentNICs(); len(got) != 0 {
		t.Errorf("a NIC on a port group of another vSwitch is listed: %+v", got)
	}
}

func TestValidateStandard(t *testing.T) {
	good := diffSpec()
	good.SwitchType, good.Switch, good.Hosts = proto.SwitchStandard, "vSwitch0", []string{"esxi-1", "esxi-2"}
	if err := Validate(good); err != nil {
		t.Fatalf("valid standard spec: %v", err)
	}
	for name, edit := range map[string]func(*proto.VSphereSpec){
		"unknown type":           func(s *proto.VSphereSpec) { s.SwitchType = "nsx" },
		"no vSwitch":             func(s *proto.VSphereSpec) { s.Switch = "" },
		"ports":                  func(s *proto.VSphereSpec) { s.Ports = 16 },
		"empty host":             func(s *proto.VSphereSpec) { s.Hosts = []string{"esxi-1", " "} },
		"host twice":             func(s *proto.VSphereSpec) { s.Hosts = []string{"esxi-1", "esxi-1"} },
		"hosts with distributed": func(s *proto.VSphereSpec) { s.SwitchType = proto.SwitchDistributed },
		"hosts with default":     func(s *proto.VSphereSpec) { s.SwitchType = "" },
	} {
		s := good
		s.Hosts = slices.Clone(good.Hosts)
		edit(&s)
		if err := Validate(s); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: error %v, want ErrConfig", name, err)
		}
	}
}

// failingHostNetwork fails every port group creation on its host.
type failingHostNetwork struct {
	*hostNetwork
}

func (s *failingHostNetwork) AddPortGroup(ctx *simulator.Context, req *types.AddPortGroup) soap.HasFault {
	return &methods.AddPortGroupBody{Fault_: simulator.Fault("", &types.PlatformConfigFault{
		Text: "vmnic1", HostConfigFault: types.HostConfigFault{VimFault: types.VimFault{MethodFault: types.MethodFault{
			FaultMessage: []types.LocalizableMessage{{Key: "test", Message: "the host's network configuration is locked"}}}}}})}
}

func TestStandardHostFailureSkipsItsVMs(t *testing.T) {
	s := newStandardSim(t)
	ns := s.model.Map().Get(*s.hosts(t)["DC0_H0"].ConfigManager.NetworkSystem).(*hostNetwork)
	s.model.Map().Put(&failingHostNetwork{ns})
	c := s.connect(t)
	cluster := s.vmHost(t, "DC0_C0_RP0_VM0")
	spec := standardSpec([]string{"DC0_H0", cluster}, "DC0_H0_VM0", "DC0_C0_RP0_VM0")
	var events []Event
	r, err := c.Apply(testCtx(t), spec, func(e Event) { events = append(events, e) })
	want := "port group kasm-trunk on host DC0_H0: vsphere task failed: create it: the host's network configuration is locked [PlatformConfigFault]"
	if !errors.Is(err, ErrTask) || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want ErrTask saying %q", err, want)
	}
	wantKinds(t, r.Changes,
		"create-portgroup port group kasm-trunk on host DC0_H0 failed",
		"create-portgroup port group kasm-trunk on host "+cluster+" done",
		"add-nic VM DC0_H0_VM0 trunk NIC skipped",
		"add-nic VM DC0_C0_RP0_VM0 trunk NIC done")
	if !strings.Contains(r.Changes[2].Error, "port group kasm-trunk is not in place on host DC0_H0") {
		t.Errorf("skipped change says %q", r.Changes[2].Error)
	}
	if len(r.NICs) != 1 || r.NICs[0].Agent != "agent-DC0_C0_RP0_VM0" {
		t.Errorf("NICs %+v, want only DC0_C0_RP0_VM0's", r.NICs)
	}
	if n := len(s.standardNICs(t, "DC0_H0_VM0", "kasm-trunk")); n != 0 {
		t.Errorf("DC0_H0_VM0 got %d NICs on a port group its host does not have", n)
	}
	noSecret(t, append(reportTexts(t, r, events), err.Error())...)
}
