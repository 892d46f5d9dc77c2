package vsphere

import (
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// vcsim's switch DVS0 reports the simulated vCenter's version, 6.5.0: a
// switch without MAC learning. setSwitchVersion makes it report another
// version, as an upgraded switch would; the simulator keeps whatever MAC
// management policy it is sent, so learning can be read back.
func setSwitchVersion(t *testing.T, s *sim, version string) {
	t.Helper()
	n, err := s.finder(t).Network(testCtx(t), "DVS0")
	if err != nil {
		t.Fatal(err)
	}
	dvs := s.model.Map().Get(n.Reference()).(*simulator.DistributedVirtualSwitch)
	info := *dvs.Summary.ProductInfo
	info.Version = version
	dvs.Summary.ProductInfo = &info
}

// portSetting reads the port group's default port setting independently.
func (s *sim) portSetting(t *testing.T, name string) *types.VMwareDVSPortSetting {
	t.Helper()
	return s.portGroup(t, name).Config.DefaultPortConfig.(*types.VMwareDVSPortSetting)
}

// editPortSetting reconfigures the port group by hand: edit changes a
// copy of its current setting, which is sent whole.
func (s *sim) editPortSetting(t *testing.T, name string, edit func(*types.VMwareDVSPortSetting)) {
	t.Helper()
	ctx := testCtx(t)
	pg := s.portGroup(t, name)
	setting := *pg.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting)
	edit(&setting)
	spec := types.DVPortgroupConfigSpec{ConfigVersion: pg.Config.ConfigVersion, Name: pg.Config.Name, Type: pg.Config.Type,
		NumPorts: pg.Config.NumPorts, AutoExpand: pg.Config.AutoExpand, DefaultPortConfig: &setting}
	task, err := object.NewDistributedVirtualPortgroup(s.admin.Client, pg.Self).Reconfigure(ctx, spec)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func wantLearning(t *testing.T, s *sim) {
	t.Helper()
	m := s.portSetting(t, "kasm-trunk").MacManagementPolicy
	if m == nil || m.MacLearningPolicy == nil {
		t.Fatalf("no MAC learning policy read back: %+v", m)
	}
	l := m.MacLearningPolicy
	if !l.Enabled || !isTrue(l.AllowUnicastFlooding) || !isTrue(m.ForgedTransmits) {
		t.Errorf("MAC policy read back: learning %t, flooding %v, forged transmits %v", l.Enabled, l.AllowUnicastFlooding, m.ForgedTransmits)
	}
	if isTrue(m.AllowPromiscuous) {
		t.Error("promiscuous mode turned on beside MAC learning")
	}
	if l.Limit == nil || *l.Limit != macLearnLimit || l.LimitPolicy != macLearnLimitPolicy {
		t.Errorf("learning limit %v %q, want %d %q", l.Limit, l.LimitPolicy, macLearnLimit, macLearnLimitPolicy)
	}
}

func TestMacvlanLearningOnDistributedSwitch(t *testing.T) {
	s := newSim(t)
	setSwitchVersion(t, s, "8.0.0")
	c := s.connect(t)
	spec := trunkSpec("DC0_H0_VM0")
	spec.Macvlan = []string{"z_vlan150"}

	r, err := c.Apply(testCtx(t), spec, nil)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	wantKinds(t, r.Changes, "create-portgroup port group kasm-trunk done", "add-nic VM DC0_H0_VM0 trunk NIC done")
	wantLearning(t, s)
	if r.Observed.PortGroup == nil || !r.Observed.PortGroup.MAC.Learning {
		t.Errorf("report's read back has no learning: %+v", r.Observed.PortGroup)
	}
	if r2, err := c.Apply(testCtx(t), spec, nil); err != nil || len(r2.Changes) != 0 {
		t.Fatalf("second apply: %q, %v", kinds(r2.Changes), err)
	}

	// Learning turned off by hand: check (observe + diff) reports it,
	// apply turns it on again and reads it back.
	s.editPortSetting(t, "kasm-trunk", func(p *types.VMwareDVSPortSetting) {
		m := *p.MacManagementPolicy
		l := *m.MacLearningPolicy
		l.Enabled, m.ForgedTransmits = false, types.NewBool(false)
		m.MacLearningPolicy = &l
		p.MacManagementPolicy = &m
	})
	o, err := c.Observe(testCtx(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	plan := Diff(spec, o)
	wantKinds(t, plan, "update-portgroup port group kasm-trunk pending")
	if plan[0].Actual != "MAC learning off, forged transmits rejected" {
		t.Errorf("drift actual %q", plan[0].Actual)
	}
	if r, err = c.Apply(testCtx(t), spec, nil); err != nil {
		t.Fatalf("repair: %v", err)
	}
	wantKinds(t, r.Changes, "update-portgroup port group kasm-trunk done")
	wantLearning(t, s)

	// A VLAN drift alone is repaired without losing learning.
	s.editPortSetting(t, "kasm-trunk", func(p *types.VMwareDVSPortSetting) {
		p.Vlan = &types.VmwareDistributedVirtualSwitchTrunkVlanSpec{VlanId: []types.NumericRange{{Start: 150, End: 150}}}
	})
	if r, err = c.Apply(testCtx(t), spec, nil); err != nil {
		t.Fatalf("repair VLANs: %v", err)
	}
	wantKinds(t, r.Changes, "update-portgroup port group kasm-trunk done")
	wantLearning(t, s)
}

func TestMacvlanSecurityPolicyOnOldSwitch(t *testing.T) {
	s := newSim(t) // DVS0 is 6.5.0: no MAC learning
	c := s.connect(t)
	spec := trunkSpec()
	spec.Macvlan = []string{"z_vlan150"}
	if _, err := c.Apply(testCtx(t), spec, nil); err != nil {
		t.Fatalf("apply: %v", err)
	}
	p := s.portSetting(t, "kasm-trunk")
	if p.MacManagementPolicy != nil {
		t.Errorf("MAC management policy sent to a 6.5 switch: %+v", p.MacManagementPolicy)
	}
	sp := p.SecurityPolicy
	if sp == nil || !boolPolicy(sp.AllowPromiscuous) || !boolPolicy(sp.MacChanges) || !boolPolicy(sp.ForgedTransmits) {
		t.Fatalf("security policy read back: %+v", sp)
	}
	// Without macvlan, the same port group is in sync: nothing is undone.
	spec.Macvlan = nil
	o, err := c.Observe(testCtx(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(spec, o); len(d) != 0 {
		t.Errorf("diff without macvlan: %q", kinds(d))
	}
}

func TestMacvlanStandardSecurityPolicy(t *testing.T) {
	s := newStandardSim(t)
	c := s.connect(t)
	spec := standardSpec([]string{"DC0_H0", "DC0_C0_H0"}, "DC0_H0_VM0")
	spec.Macvlan = []string{"z_vlan150"}
	r, err := c.Apply(testCtx(t), spec, nil)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	wantKinds(t, r.Changes,
		"create-portgroup port group kasm-trunk on host DC0_H0 done",
		"create-portgroup port group kasm-trunk on host DC0_C0_H0 done",
		"add-nic VM DC0_H0_VM0 trunk NIC done")
	wantHostSecurity := func(host string, want bool) {
		t.Helper()
		pg := s.hostPortGroup(t, host, "kasm-trunk")
		sec := pg.Policy.Security
		got := sec != nil && isTrue(sec.AllowPromiscuous) && isTrue(sec.MacChanges) && isTrue(sec.ForgedTransmits)
		if got != want || pg.VlanId != vlanAll {
			t.Errorf("host %s port group: VLAN %d, security %+v; want 4095 and all accepted = %t", host, pg.VlanId, sec, want)
		}
	}
	wantHostSecurity("DC0_H0", true)
	wantHostSecurity("DC0_C0_H0", true)

	// Promiscuous mode rejected by hand on one host: reported, repaired.
	pg := *s.hostPortGroup(t, "DC0_C0_H0", "kasm-trunk")
	pg.Policy.Security = &types.HostNetworkSecurityPolicy{AllowPromiscuous: types.NewBool(false),
		MacChanges: types.NewBool(true), ForgedTransmits: types.NewBool(true)}
	if err := s.hostNetworkSystem(t, "DC0_C0_H0").UpdatePortGroup(testCtx(t), "kasm-trunk", pg); err != nil {
		t.Fatal(err)
	}
	o, err := c.Observe(testCtx(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	plan := Diff(spec, o)
	wantKinds(t, plan, "update-portgroup port group kasm-trunk on host DC0_C0_H0 pending")
	if plan[0].Actual != "promiscuous mode rejected, MAC changes accepted, forged transmits accepted" {
		t.Errorf("drift actual %q", plan[0].Actual)
	}
	if r, err = c.Apply(testCtx(t), spec, nil); err != nil {
		t.Fatalf("repair: %v", err)
	}
	wantKinds(t, r.Changes, "update-portgroup port group kasm-trunk on host DC0_C0_H0 done")
	wantHostSecurity("DC0_C0_H0", true)
	if r, err = c.Apply(testCtx(t), spec, nil); err != nil || len(r.Changes) != 0 {
		t.Fatalf("third apply: %q, %v", kinds(r.Changes), err)
	}
}
