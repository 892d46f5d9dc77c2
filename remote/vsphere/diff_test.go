package vsphere

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/kasmfleet/push/remote/proto"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

const on, off = "poweredOn", "poweredOff"

func goodNIC(mac string) NIC {
	return NIC{Key: 4001, Label: "Network adapter 2", Type: "vmxnet3", MAC: mac, Connected: true, StartConnected: true}
}

func trunkPG() *PortGroup {
	return &PortGroup{Name: "kasm-trunk", Key: "dvportgroup-9", VLANMode: VLANTrunk,
		Ranges: []proto.Range{{Start: 150, End: 150}, {Start: 160, End: 169}}, Binding: "earlyBinding", NumPorts: 8, AutoExpand: true}
}

func diffSpec() proto.VSphereSpec {
	return proto.VSphereSpec{
		Datacenter: "DC1", Trunk: "kasm", Switch: "DSwitch-Prod", PortGroup: "kasm-trunk",
		VLANs: []proto.Range{{Start: 160, End: 169}, {Start: 150, End: 150}},
		VMs:   []proto.TrunkVM{{Agent: "kasm-agent-1", VM: "kasm-agent-1"}, {Agent: "kasm-agent-2", VM: "kasm-agent-2"}},
	}
}

func vms(a, b VMState) []VMState {
	a.Agent, a.VM = "kasm-agent-1", "kasm-agent-1"
	b.Agent, b.VM = "kasm-agent-2", "kasm-agent-2"
	return []VMState{a, b}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name  string
		spec  func(*proto.VSphereSpec)
		obs   Observed
		kinds []string
	}{
		{
			name:  "from-nothing",
			obs:   Observed{VMs: vms(VMState{PowerState: on, Other: 1}, VMState{PowerState: off, Other: 1})},
			kinds: []string{"create-portgroup port group kasm-trunk pending", "add-nic VM kasm-agent-1 trunk NIC pending", "add-nic VM kasm-agent-2 trunk NIC pending"},
		},
		{
			name: "in-sync",
			obs: Observed{PortGroup: trunkPG(), VMs: vms(
				VMState{PowerState: on, NICs: []NIC{goodNIC("00:50:56:aa:00:01")}},
				VMState{PowerState: off, NICs: []NIC{{Type: "vmxnet3", MAC: "00:50:56:aa:00:02", StartConnected: true}}})},
		},
		{
			name: "ranges-merged-in-sync",
			spec: func(s *proto.VSphereSpec) {
				s.VLANs = []proto.Range{{Start: 165, End: 169}, {Start: 150, End: 150}, {Start: 160, End: 166}}
				s.VMs = nil
			},
			obs: Observed{PortGroup: trunkPG()},
		},
		{
			name: "drift-portgroup",
			spec: func(s *proto.VSphereSpec) { s.Ports = 16; s.VMs = nil },
			obs: Observed{PortGroup: func() *PortGroup {
				p := trunkPG()
				p.Ranges, p.Binding = []proto.Range{{Start: 150, End: 155}}, "lateBinding"
				return p
			}()},
			kinds: []string{"update-portgroup port group kasm-trunk pending"},
		},
		{
			name: "drift-fixed-to-elastic",
			spec: func(s *proto.VSphereSpec) { s.VMs = nil },
			obs: Observed{PortGroup: func() *PortGroup {
				p := trunkPG()
				p.AutoExpand, p.NumPorts = false, 128
				return p
			}()},
			kinds: []string{"update-portgroup port group kasm-trunk pending"},
		},
		{
			name: "not-a-trunk",
			obs: Observed{PortGroup: &PortGroup{Name: "kasm-trunk", Key: "dvportgroup-9", VLANMode: VLANID, VLANID: 150, Binding: "earlyBinding"},
				VMs: vms(VMState{PowerState: on, NICs: []NIC{goodNIC("00:50:56:aa:00:01")}}, VMState{PowerState: on})},
			kinds: []string{"conflict port group kasm-trunk refused"},
		},
		{
			name:  "private-vlan",
			obs:   Observed{PortGroup: &PortGroup{Name: "kasm-trunk", VLANMode: VLANPrivate, VLANID: 12}, VMs: vms(VMState{Missing: true, Problem: "no VM named kasm-agent-1"}, VMState{PowerState: on})},
			kinds: []string{"conflict port group kasm-trunk refused", "missing-vm VM kasm-agent-1 refused"},
		},
		{
			name:  "foreign-network",
			spec:  func(s *proto.VSphereSpec) { s.VMs = nil },
			obs:   Observed{Foreign: `a standard port group "kasm-trunk"`},
			kinds: []string{"conflict port group kasm-trunk refused"},
		},
		{
			name: "nic-problems",
			obs: Observed{PortGroup: trunkPG(), VMs: vms(
				VMState{PowerState: on, NICs: []NIC{
					{Key: 4000, Label: "Network adapter 1", Type: "e1000", MAC: "00:50:56:aa:00:01", Connected: false, StartConnected: true},
					goodNIC("00:50:56:aa:00:03"),
				}},
				VMState{Missing: true, Problem: "2 VMs are named kasm-agent-2; give its inventory path"})},
			kinds: []string{
				"conflict VM kasm-agent-1 trunk NIC refused",
				"conflict VM kasm-agent-1 trunk NIC refused",
				"connect-nic VM kasm-agent-1 trunk NIC pending",
				"missing-vm VM kasm-agent-2 refused",
			},
		},
		{
			name: "powered-off-not-start-connected",
			obs: Observed{PortGroup: trunkPG(), VMs: vms(
				VMState{PowerState: off, NICs: []NIC{{Label: "Network adapter 2", Type: "vmxnet3", MAC: "00:50:56:aa:00:01"}}},
				VMState{PowerState: on, NICs: []NIC{{Label: "Network adapter 2", Type: "vmxnet3", MAC: "00:50:56:aa:00:02", StartConnected: true}}})},
			kinds: []string{"connect-nic VM kasm-agent-1 trunk NIC pending", "connect-nic VM kasm-agent-2 trunk NIC pending"},
		},
		{
			name:  "vm-not-observed",
			spec:  func(s *proto.VSphereSpec) { s.VMs = s.VMs[:1] },
			obs:   Observed{PortGroup: trunkPG()},
			kinds: []string{"missing-vm VM kasm-agent-1 refused"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := diffSpec()
			if tc.spec != nil {
				tc.spec(&spec)
			}
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

func TestAgentNICs(t *testing.T) {
	o := Observed{PortGroup: trunkPG(), VMs: vms(
		VMState{PowerState: on, NICs: []NIC{goodNIC("00:50:56:aa:00:01"), goodNIC("00:50:56:aa:00:09")}},
		VMState{PowerState: on})}
	got := o.AgentNICs()
	if len(got) != 1 || got[0].MAC != "00:50:56:aa:00:01" || got[0].Agent != "kasm-agent-1" {
		t.Fatalf("AgentNICs = %+v, want kasm-agent-1's first NIC", got)
	}
	if o.MAC("kasm-agent-2") != "" {
		t.Errorf("an agent without a trunk NIC has a MAC")
	}
	o.PortGroup.VLANMode = VLANID
	if got := o.AgentNICs(); got != nil {
		t.Errorf("NICs on a non-trunk port group reported: %+v", got)
	}
}

func TestNormalizeAndFormatRanges(t *testing.T) {
	tests := []struct {
		in   []proto.Range
		want string
	}{
		{nil, "none"},
		{[]proto.Range{{Start: 150, End: 150}}, "150"},
		{[]proto.Range{{Start: 160, End: 169}, {Start: 150, End: 150}}, "150,160-169"},
		{[]proto.Range{{Start: 150, End: 155}, {Start: 156, End: 160}}, "150-160"},
		{[]proto.Range{{Start: 10, End: 20}, {Start: 12, End: 14}, {Start: 19, End: 30}}, "10-30"},
		{[]proto.Range{{Start: 20, End: 10}}, "10-20"},
		{[]proto.Range{{Start: 1, End: 1}, {Start: 3, End: 3}}, "1,3"},
	}
	for _, tc := range tests {
		if got := FormatRanges(NormalizeRanges(tc.in)); got != tc.want {
			t.Errorf("%v: got %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	good := diffSpec()
	if err := Validate(good); err != nil {
		t.Fatalf("valid spec: %v", err)
	}
	for name, edit := range map[string]func(*proto.VSphereSpec){
		"no switch":     func(s *proto.VSphereSpec) { s.Switch = "" },
		"no port group": func(s *proto.VSphereSpec) { s.PortGroup = "" },
		"no VLANs":      func(s *proto.VSphereSpec) { s.VLANs = nil },
		"VLAN 4095":     func(s *proto.VSphereSpec) { s.VLANs = []proto.Range{{Start: 4000, End: 4095}} },
		"negative":      func(s *proto.VSphereSpec) { s.Ports = -1 },
	} {
		s := diffSpec()
		edit(&s)
		if err := Validate(s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
