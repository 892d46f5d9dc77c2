package plan

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/helper/handsnat"
	"github.com/kasmfleet/push/remote/helper/hostnet"
	"github.com/kasmfleet/push/remote/helper/netcfg"
	"github.com/kasmfleet/push/remote/helper/snat"
	"github.com/kasmfleet/push/remote/proto"
)

var update = flag.Bool("update", false, "rewrite golden files")

func spec() proto.HostSpec {
	return proto.HostSpec{
		Agent: "kasm-agent-1",
		Trunk: &proto.Trunk{NIC: "eth1", MAC: "52:54:00:00:01:01"},
		VLANs: []proto.VLANNetwork{
			{Name: "z_vlan150", Driver: "ipvlan", Mode: "l2", VID: 150, Subnet: "192.0.2.0/25", Gateway: "192.0.2.1",
				IPRange: "192.0.2.16/28", ProbeIP: "192.0.2.30", VerifyURL: "http://192.0.2.1:8080/"},
			{Name: "z_vlan160", Driver: "macvlan", Mode: "bridge", VID: 160, Subnet: "192.0.2.128/25", Gateway: "192.0.2.129",
				IPRange: "192.0.2.144/28", ProbeIP: "192.0.2.158"},
		},
		Bridges: []proto.BridgeNetwork{
			{Name: "z_custom_a", Bridge: "z_custom_a", Subnet: "172.19.0.0/16", SourceIP: "198.51.100.111",
				AddAddress: "198.51.100.111/24", VerifyURL: "http://198.51.100.1:8080/"},
			{Name: "z_enclave_2", Bridge: "z_enclave_2"},
		},
	}
}

// converged is what the host looks like after a successful apply.
func converged(s proto.HostSpec) Observed {
	o := Observed{
		NetConfig:    netcfg.IfUpDown,
		SessionLinks: []string{"eth0"},
		SessionAddr:  netip.MustParseAddr("10.0.2.15"),
		ModuleLoaded: true, ModulePersisted: true,
		Trunk:          hostnet.Link{Name: "eth1", MAC: "52:54:00:00:01:01", Up: true},
		TrunkPersisted: true,
		Networks:       map[string]docker.Network{},
		Links:          map[string]bool{"eth1.150": true, "eth1.160": true},
		Addresses: []hostnet.Owner{
			{Link: "eth0", Prefix: netip.MustParsePrefix("10.0.2.15/24")},
			{Link: "eth2", Prefix: netip.MustParsePrefix("198.51.100.11/24")},
			{Link: "eth2", Prefix: netip.MustParsePrefix("198.51.100.111/24")},
		},
		AppliedCurrent: true, UnitInstalled: true, LinkCurrent: true,
	}
	o.Applied = &s
	for _, n := range Desired(s, "eth1") {
		if n.Subnet == "" {
			n.Subnet, n.Gateway = "172.18.0.0/16", "172.18.0.1"
		}
		n.ID = "id-" + n.Name
		o.Networks[n.Name] = n
	}
	o.SNAT = snat.State{Exists: true, ChainOK: true, Rules: []proto.SNATRule{
		{Subnet: "172.19.0.0/16", Bridge: "z_custom_a", SourceIP: "198.51.100.111"}}}
	return o
}

// planCase is a host's observation changed from converged, planned
// against a spec changed from spec().
type planCase struct {
	name string
	spec func() proto.HostSpec
	obs  func(o *Observed)
	opts proto.Options
}

// steps plans the case.
func (tc planCase) steps(t *testing.T) []Step {
	t.Helper()
	s := spec()
	if tc.spec != nil {
		s = tc.spec()
	}
	o := converged(spec())
	tc.obs(&o)
	if err := Validate(s); err != nil {
		t.Fatalf("test spec is invalid: %v", err)
	}
	return Plan(s, o, tc.opts)
}

// seedSpec is spec() with the enclave's bridge name left to push, as the
// enclave procedure's inventory leaves it.
func seedSpec() proto.HostSpec {
	s := spec()
	s.Bridges[1].BridgeDefault = true
	return s
}

// seedBuilt is a host built by hand from the three procedures: the same
// networks without push's labels or probe reservation, not attachable
// (the enclave's bridge named by Docker), the SNAT rule typed with
// iptables and saved for boot, 8021q in /etc/modules and the trunk in
// /etc/network/interfaces (both count as persisted), no push state.
func seedBuilt(o *Observed) {
	for name, n := range o.Networks {
		n.Labels, n.Aux, n.Attachable = nil, nil, false
		if name == "z_enclave_2" {
			n.ID = "4f1c2a9e77d0b3c1"
			delete(n.Options, docker.OptBridgeName)
		}
		o.Networks[name] = n
	}
	o.SNAT = snat.State{}
	o.HandSNAT = []handsnat.Rule{{Subnet: netip.MustParsePrefix("172.19.0.0/16"), SourceIP: netip.MustParseAddr("198.51.100.111"),
		Origin: handsnat.IptablesNFT, Text: "-A POSTROUTING -s 172.19.0.0/16 ! -o z_custom_a -j SNAT --to-source 198.51.100.111",
		Boot: []handsnat.BootCopy{{File: "/etc/iptables/rules.v4", Line: 7, Removable: true}, {File: "/etc/rc.local", Line: 3}}}}
	o.Applied, o.AppliedCurrent, o.UnitInstalled, o.LinkCurrent = nil, false, false, false
}

func planCases() []planCase {
	return []planCase{
		{name: "seed-built", spec: seedSpec, obs: seedBuilt},
		{name: "seed-built-adopt", spec: seedSpec, obs: seedBuilt, opts: proto.Options{Adopt: true}},
		{name: "seed-built-snat-conflict", spec: seedSpec, opts: proto.Options{Adopt: true}, obs: func(o *Observed) {
			seedBuilt(o)
			o.HandSNAT[0].SourceIP = netip.MustParseAddr("198.51.100.99")
			o.HandSNAT[0].Text = strings.Replace(o.HandSNAT[0].Text, "198.51.100.111", "198.51.100.99", 1)
		}},
		{name: "adopted-push-rule-in-place", spec: seedSpec, opts: proto.Options{Adopt: true}, obs: func(o *Observed) {
			seedBuilt(o)
			for name, n := range o.Networks {
				n.Adopted = true
				o.Networks[name] = n
			}
			o.SNAT = converged(spec()).SNAT
			o.Applied, o.AppliedCurrent, o.UnitInstalled, o.LinkCurrent = nil, true, true, true
		}},
		{name: "hand-made-differs", obs: func(o *Observed) {
			seedBuilt(o)
			n := o.Networks["z_vlan150"]
			n.IPRange = "192.0.2.0/28"
			n.Containers = []string{"kasm_session_1"}
			o.Networks["z_vlan150"] = n
			n = o.Networks["z_vlan160"]
			n.Options = map[string]string{docker.OptParent: "eth1.160", docker.OptMacvlanMode: "private"}
			o.Networks["z_vlan160"] = n
			o.HandSNAT = nil
			o.AppliedCurrent, o.UnitInstalled, o.LinkCurrent = true, true, true
		}},
		{name: "adopted-drifts-and-pruned", opts: proto.Options{Prune: true}, obs: func(o *Observed) {
			n := o.Networks["z_vlan160"]
			n.Labels, n.Adopted = nil, true
			n.IPRange = "192.0.2.128/28"
			o.Networks["z_vlan160"] = n
			o.Networks["z_old"] = docker.Network{Name: "z_old", ID: "9", Driver: "bridge", Adopted: true,
				Options: map[string]string{docker.OptBridgeName: "z_old"}}
			o.Networks["z_admins"] = docker.Network{Name: "z_admins", ID: "8", Driver: "bridge"}
		}},
		{name: "converged", obs: func(o *Observed) {}},
		{name: "fresh-host", obs: func(o *Observed) {
			*o = Observed{
				NetConfig:        netcfg.Networkd,
				SessionLinks:     []string{"eth0"},
				Trunk:            hostnet.Link{Name: "eth1", Addrs: []netip.Prefix{netip.MustParsePrefix("192.168.1.5/24")}},
				TrunkPersistNote: "/etc/systemd/network/10-push-trunk.network is missing or differs",
				Addresses: []hostnet.Owner{
					{Link: "eth0", Prefix: netip.MustParsePrefix("10.0.2.15/24")},
					{Link: "eth2", Prefix: netip.MustParsePrefix("198.51.100.11/24")},
				},
			}
		}},
		{name: "drift", obs: func(o *Observed) {
			n := o.Networks["z_vlan150"]
			n.IPRange = "192.0.2.0/28"
			o.Networks["z_vlan150"] = n
			n = o.Networks["z_vlan160"]
			n.Options = map[string]string{"parent": "eth1.160", "macvlan_mode": "vepa"}
			n.Containers = []string{"kasm_session_7", "kasm_session_9"}
			o.Networks["z_vlan160"] = n
			n = o.Networks["z_enclave_2"]
			n.Labels = nil
			n.Attachable = false
			o.Networks["z_enclave_2"] = n
			delete(o.Networks, "z_custom_a")
			o.SNAT = snat.State{}
		}},
		{name: "parent-missing-and-snat-foreign", obs: func(o *Observed) {
			o.Links["eth1.150"] = false
			o.SNAT.Foreign = 1
		}},
		{name: "prune", opts: proto.Options{Prune: true}, spec: func() proto.HostSpec {
			s := spec()
			s.Bridges = s.Bridges[1:]
			return s
		}, obs: func(o *Observed) {
			old := spec()
			o.Applied = &old
			o.AppliedCurrent = false
			o.Networks["z_custom_a"] = docker.FromBridge(old.Bridges[0], "kasm-agent-1")
			busy := docker.FromBridge(proto.BridgeNetwork{Name: "z_old", Bridge: "z_old"}, "kasm-agent-1")
			busy.Containers = []string{"kasm_session_3"}
			o.Networks["z_old"] = busy
			o.Networks["admins_own"] = docker.Network{Name: "admins_own", Driver: "bridge"}
		}},
		{name: "force-disconnect", opts: proto.Options{Prune: true, ForceDisconnect: true}, spec: func() proto.HostSpec {
			s := spec()
			s.Bridges = s.Bridges[1:]
			return s
		}, obs: func(o *Observed) {
			old := spec()
			o.Applied = &old
			o.AppliedCurrent = false
			o.Networks["z_custom_a"] = docker.FromBridge(old.Bridges[0], "kasm-agent-1")
			busy := docker.FromBridge(proto.BridgeNetwork{Name: "z_old", Bridge: "z_old"}, "kasm-agent-1")
			busy.Containers = []string{"kasm_session_3"}
			o.Networks["z_old"] = busy
			n := o.Networks["z_vlan150"]
			n.IPRange = "192.0.2.0/28"
			n.Containers = []string{"kasm_session_7", "kasm_session_9"}
			o.Networks["z_vlan150"] = n
		}},
		{name: "no-prune-keeps-stale", spec: func() proto.HostSpec {
			s := spec()
			s.Bridges = s.Bridges[1:]
			return s
		}, obs: func(o *Observed) {
			old := spec()
			o.Applied = &old
			o.AppliedCurrent = false
			o.Networks["z_custom_a"] = docker.FromBridge(old.Bridges[0], "kasm-agent-1")
		}},
		{name: "snat-source-not-local", spec: func() proto.HostSpec {
			s := spec()
			s.Bridges[0].AddAddress = ""
			s.Bridges[0].Subnet = ""
			return s
		}, obs: func(o *Observed) {
			o.Addresses = o.Addresses[:2]
			delete(o.Networks, "z_custom_a")
			o.SNAT = snat.State{}
		}},
		{name: "unknown-netconfig-and-unit-stale", obs: func(o *Observed) {
			o.NetConfig = netcfg.Unknown
			o.TrunkPersisted = false
			o.TrunkPersistNote = "cannot tell how this host configures its network"
			o.LinkCurrent = false
		}},
		{name: "trunk-down-not-persisted", obs: func(o *Observed) {
			o.Trunk.Up = false
			o.ModulePersisted = false
			o.TrunkPersisted = false
			o.TrunkPersistNote = "/etc/network/interfaces does not source /etc/network/interfaces.d/push-trunk"
			o.UnitInstalled = false
		}},
		{name: "trunk-down-with-address", obs: func(o *Observed) {
			o.Trunk.Up = false
			o.Trunk.Addrs = []netip.Prefix{netip.MustParsePrefix("192.168.1.5/24"), netip.MustParsePrefix("192.168.2.5/24")}
			o.ModuleLoaded = false
		}},
		{name: "snat-rule-differs", obs: func(o *Observed) {
			o.SNAT.Rules = []proto.SNATRule{{Subnet: "172.19.0.0/16", Bridge: "z_custom_a", SourceIP: "198.51.100.112"}}
		}},
		{name: "snat-bridge-no-longer-sources", opts: proto.Options{Prune: true}, spec: func() proto.HostSpec {
			s := spec()
			s.Bridges[0].SourceIP, s.Bridges[0].AddAddress, s.Bridges[0].VerifyURL = "", "", ""
			return s
		}, obs: func(o *Observed) {
			n := o.Networks["z_custom_a"]
			n.Options = map[string]string{docker.OptBridgeName: "z_custom_a"}
			o.Networks["z_custom_a"] = n
			o.AppliedCurrent = false
		}},
		{name: "network-fields", obs: func(o *Observed) {
			n := o.Networks["z_vlan150"]
			n.Options = map[string]string{docker.OptParent: "eth1.151", docker.OptIPVlanMode: "l3"}
			n.Gateway = "192.0.2.2"
			n.Aux = nil
			o.Networks["z_vlan150"] = n
			n = o.Networks["z_vlan160"]
			n.Driver = "ipvlan"
			n.Options = map[string]string{docker.OptParent: "eth1.160"}
			o.Networks["z_vlan160"] = n
			n = o.Networks["z_custom_a"]
			n.Options = map[string]string{docker.OptBridgeName: "br-1234"}
			n.Subnet, n.Gateway = "172.20.0.0/16", "172.20.0.1"
			n.IPRange = "172.20.5.0/24"
			o.Networks["z_custom_a"] = n
		}},
	}
}

func TestPlanGolden(t *testing.T) {
	for _, tc := range planCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := render(tc.steps(t))
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				os.WriteFile(golden, []byte(got), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("plan differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func render(steps []Step) string {
	var b strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&b, "%-8s %s %s\n    %s\n", s.Outcome, s.Kind, s.Target, s.Summary)
		fmt.Fprintf(&b, "    expected: %s\n    actual:   %s\n", orDefault(s.Expected, "(empty)"), orDefault(s.Actual, "(empty)"))
		if s.Extra {
			fmt.Fprintf(&b, "    extra: no longer in the spec\n")
		}
		if s.Error != "" {
			fmt.Fprintf(&b, "    error: %s\n", s.Error)
		}
		if len(s.Needs) > 0 {
			fmt.Fprintf(&b, "    needs: %s\n", strings.Join(s.Needs, ", "))
		}
		if len(s.Busy) > 0 {
			fmt.Fprintf(&b, "    busy (needs a drain): %s\n", strings.Join(s.Busy, ", "))
		}
		if len(s.Disconnect) > 0 {
			fmt.Fprintf(&b, "    disconnects first: %s\n", strings.Join(s.Disconnect, ", "))
		}
	}
	if b.Len() == 0 {
		return "(no actions)\n"
	}
	return b.String()
}

// A conflicting hand-made SNAT rule refuses the host, naming the rule
// and where it lives; a host without one is not refused.
func TestConflicts(t *testing.T) {
	cases := map[string]planCase{}
	for _, tc := range planCases() {
		cases[tc.name] = tc
	}
	err := Conflicts(cases["seed-built-snat-conflict"].steps(t))
	if err == nil || !strings.Contains(err.Error(), "to 198.51.100.99, not 198.51.100.111") || !strings.Contains(err.Error(), "/etc/iptables/rules.v4:7") {
		t.Errorf("Conflicts = %v, want the conflicting rule and its boot copy named", err)
	}
	if err := Conflicts(cases["seed-built-adopt"].steps(t)); err != nil {
		t.Errorf("Conflicts on a matching hand-made rule = %v, want nil", err)
	}
}
