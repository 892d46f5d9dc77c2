package plan

import (
	"strings"
	"testing"

	"github.com/kasmfleet/push/remote/helper/docker"
	"github.com/kasmfleet/push/remote/proto"
)

// allKinds are the action kinds the planner emits (proto's list).
var allKinds = []proto.ActionKind{
	proto.ActLoadModule, proto.ActPersistModule, proto.ActTrunkUp, proto.ActTrunkFlush,
	proto.ActPersistTrunk, proto.ActCreateNetwork, proto.ActReplaceNetwork, proto.ActRemoveNetwork,
	proto.ActAddSNAT, proto.ActRemoveSNAT, proto.ActAddAddress, proto.ActRemoveAddress,
	proto.ActInstallUnit, proto.ActWriteState,
}

// Every step of every case says what was expected and what was found,
// and the cases between them cover every kind, refused and failed
// steps included.
func TestEveryStepSaysExpectedAndActual(t *testing.T) {
	seen := map[proto.ActionKind]bool{}
	outcomes := map[proto.Outcome]bool{}
	for _, tc := range planCases() {
		for _, s := range tc.steps(t) {
			seen[s.Kind] = true
			outcomes[s.Outcome] = true
			if s.Expected == "" || s.Actual == "" || s.Expected == s.Actual {
				t.Errorf("%s: %s %s: expected %q, actual %q: want both, different", tc.name, s.Kind, s.Target, s.Expected, s.Actual)
			}
			if strings.ContainsAny(s.Expected+s.Actual, "\n\t") {
				t.Errorf("%s: %s %s: expected/actual must fit one table cell: %q / %q", tc.name, s.Kind, s.Target, s.Expected, s.Actual)
			}
		}
	}
	for _, k := range allKinds {
		if !seen[k] {
			t.Errorf("no case emits %s", k)
		}
	}
	for _, o := range []proto.Outcome{proto.OutcomePending, proto.OutcomeRefused, proto.OutcomeFailed} {
		if !outcomes[o] {
			t.Errorf("no case has a %s step", o)
		}
	}
}

// What each kind says, one row per kind and situation: a swap or a
// dropped side fails here even if the goldens were regenerated.
func TestExpectedActual(t *testing.T) {
	cases := map[string]planCase{}
	for _, tc := range planCases() {
		cases[tc.name] = tc
	}
	for _, tc := range []struct {
		plan             string // planCases name
		kind             proto.ActionKind
		target           string
		expected, actual string
		extra            bool
		outcome          proto.Outcome
	}{
		{"fresh-host", proto.ActLoadModule, "8021q", "8021q loaded", "not loaded", false, proto.OutcomePending},
		{"fresh-host", proto.ActPersistModule, "/etc/modules-load.d/push-8021q.conf", "8021q loaded at boot", "in no modules-load.d file nor /etc/modules", false, proto.OutcomePending},
		{"fresh-host", proto.ActPersistTrunk, "/etc/systemd/network/10-push-trunk.network", "eth1 up, no address at boot (systemd-networkd)",
			"/etc/systemd/network/10-push-trunk.network is missing or differs", false, proto.OutcomePending},
		{"trunk-down-not-persisted", proto.ActPersistTrunk, "/etc/network/interfaces.d/push-trunk", "eth1 up, no address at boot (ifupdown)",
			"/etc/network/interfaces does not source /etc/network/interfaces.d/push-trunk", false, proto.OutcomePending},
		{"unknown-netconfig-and-unit-stale", proto.ActPersistTrunk, "eth1", "eth1 up, no address at boot",
			"cannot tell how this host configures its network", false, proto.OutcomeFailed},
		{"fresh-host", proto.ActTrunkFlush, "eth1", "no address", "192.168.1.5/24", false, proto.OutcomePending},
		{"trunk-down-with-address", proto.ActTrunkFlush, "eth1", "no address", "192.168.1.5/24, 192.168.2.5/24", false, proto.OutcomePending},
		{"trunk-down-not-persisted", proto.ActTrunkUp, "eth1", "up, no address", "down", false, proto.OutcomePending},
		{"trunk-down-with-address", proto.ActTrunkUp, "eth1", "up, no address", "down, 192.168.1.5/24, 192.168.2.5/24", false, proto.OutcomePending},
		{"fresh-host", proto.ActAddAddress, "198.51.100.111/24", "198.51.100.111/24 on eth2", "absent", false, proto.OutcomePending},
		{"prune", proto.ActRemoveAddress, "198.51.100.111/24", "absent", "198.51.100.111 on eth2", true, proto.OutcomePending},
		{"fresh-host", proto.ActCreateNetwork, "z_vlan150", "ipvlan l2, parent eth1.150, subnet 192.0.2.0/25, ip-range 192.0.2.16/28", "absent", false, proto.OutcomePending},
		{"drift", proto.ActCreateNetwork, "z_custom_a", "bridge z_custom_a, subnet 172.19.0.0/16, no masquerade", "absent", false, proto.OutcomePending},
		{"drift", proto.ActReplaceNetwork, "z_vlan150", "ip-range 192.0.2.16/28", "ip-range 192.0.2.0/28", false, proto.OutcomePending},
		{"drift", proto.ActReplaceNetwork, "z_vlan160", "macvlan mode bridge", "macvlan mode vepa", false, proto.OutcomeRefused},
		{"drift", proto.ActAdoptNetwork, "z_enclave_2", "push's (created or adopted)", "made by hand, not adopted", false, proto.OutcomePending},
		{"parent-missing-and-snat-foreign", proto.ActReplaceNetwork, "z_vlan150", "parent eth1.150 present", "parent eth1.150 missing", false, proto.OutcomePending},
		{"network-fields", proto.ActReplaceNetwork, "z_vlan150", "parent eth1.150, ipvlan mode l2, gateway 192.0.2.1",
			"parent eth1.151, ipvlan mode l3, gateway 192.0.2.2", false, proto.OutcomePending},
		{"network-fields", proto.ActReplaceNetwork, "z_vlan160", "macvlan bridge, parent eth1.160, subnet 192.0.2.128/25, ip-range 192.0.2.144/28",
			"ipvlan l2, parent eth1.160, subnet 192.0.2.128/25, ip-range 192.0.2.144/28", false, proto.OutcomePending},
		{"network-fields", proto.ActReplaceNetwork, "z_custom_a", "bridge z_custom_a, no masquerade, subnet 172.19.0.0/16",
			"bridge br-1234, masquerade, subnet 172.20.0.0/16", false, proto.OutcomePending},
		{"prune", proto.ActRemoveNetwork, "z_custom_a", "absent", "bridge z_custom_a, subnet 172.19.0.0/16, no masquerade", true, proto.OutcomePending},
		{"prune", proto.ActRemoveNetwork, "z_old", "absent", "bridge z_old, subnet chosen by Docker", true, proto.OutcomeRefused},
		{"drift", proto.ActAddSNAT, SNATTarget + " z_custom_a", "172.19.0.0/16 to 198.51.100.111", "absent", false, proto.OutcomePending},
		{"snat-source-not-local", proto.ActAddSNAT, SNATTarget + " z_custom_a", "Docker-chosen subnet to 198.51.100.111", "absent", false, proto.OutcomeFailed},
		{"snat-rule-differs", proto.ActAddSNAT, SNATTarget + " z_custom_a", "172.19.0.0/16 to 198.51.100.111", "172.19.0.0/16 to 198.51.100.112", false, proto.OutcomePending},
		{"parent-missing-and-snat-foreign", proto.ActAddSNAT, SNATTarget, "chain postrouting (srcnat postrouting) with push's rules only", "1 rule push did not write", false, proto.OutcomePending},
		{"snat-rule-differs", proto.ActRemoveSNAT, SNATTarget + " z_custom_a", "172.19.0.0/16 to 198.51.100.111", "172.19.0.0/16 to 198.51.100.112", false, proto.OutcomePending},
		{"prune", proto.ActRemoveSNAT, SNATTarget + " z_custom_a", "absent", "172.19.0.0/16 to 198.51.100.111", true, proto.OutcomePending},
		{"snat-bridge-no-longer-sources", proto.ActRemoveSNAT, SNATTarget + " z_custom_a", "absent", "172.19.0.0/16 to 198.51.100.111", true, proto.OutcomePending},
		{"fresh-host", proto.ActInstallUnit, "push-restore.service", "installed and enabled, runs this helper",
			"unit missing, changed or not enabled; helper link missing or stale", false, proto.OutcomePending},
		{"unknown-netconfig-and-unit-stale", proto.ActInstallUnit, "push-restore.service", "installed and enabled, runs this helper", "helper link missing or stale", false, proto.OutcomePending},
		{"trunk-down-not-persisted", proto.ActInstallUnit, "push-restore.service", "installed and enabled, runs this helper", "unit missing, changed or not enabled", false, proto.OutcomePending},
		{"fresh-host", proto.ActWriteState, "/var/lib/push/applied.json", "this spec recorded", "no spec recorded", false, proto.OutcomePending},
		{"prune", proto.ActWriteState, "/var/lib/push/applied.json", "this spec recorded", "another spec recorded", false, proto.OutcomePending},
	} {
		t.Run(tc.plan+"/"+string(tc.kind)+"/"+tc.target, func(t *testing.T) {
			pc, ok := cases[tc.plan]
			if !ok {
				t.Fatalf("no plan case %q", tc.plan)
			}
			var found []Step
			for _, s := range pc.steps(t) {
				if s.Kind == tc.kind && s.Target == tc.target {
					found = append(found, s)
				}
			}
			if len(found) != 1 {
				t.Fatalf("%d %s steps on %s, want 1", len(found), tc.kind, tc.target)
			}
			s := found[0]
			if s.Expected != tc.expected || s.Actual != tc.actual {
				t.Errorf("expected %q, actual %q; want expected %q, actual %q", s.Expected, s.Actual, tc.expected, tc.actual)
			}
			if s.Extra != tc.extra {
				t.Errorf("extra %v, want %v", s.Extra, tc.extra)
			}
			if s.Outcome != tc.outcome {
				t.Errorf("outcome %s, want %s", s.Outcome, tc.outcome)
			}
		})
	}
}

// networkDrift names exactly the fields docker.Diff finds different.
func TestNetworkDrift(t *testing.T) {
	vlan := docker.FromVLAN(spec().VLANs[0], "eth1", "kasm-agent-1")
	bridge := docker.FromBridge(spec().Bridges[0], "kasm-agent-1")
	for _, tc := range []struct {
		name             string
		want             docker.Network
		change           func(n *docker.Network)
		expected, actual string
	}{
		{"ip-range", vlan, func(n *docker.Network) { n.IPRange = "192.0.2.0/28" }, "ip-range 192.0.2.16/28", "ip-range 192.0.2.0/28"},
		{"subnet and gateway", vlan, func(n *docker.Network) { n.Subnet, n.Gateway = "192.0.2.0/24", "" },
			"subnet 192.0.2.0/25, gateway 192.0.2.1", "subnet 192.0.2.0/24, no gateway"},
		{"parent gone from options", vlan, func(n *docker.Network) { n.Options = map[string]string{docker.OptIPVlanMode: "l2"} },
			"parent eth1.150", "no parent"},
		{"mode default counts as l2", vlan, func(n *docker.Network) {
			n.Options = map[string]string{docker.OptParent: "eth1.150"}
			n.IPRange = ""
		}, "ip-range 192.0.2.16/28", "no ip-range"},
		{"masquerade on, bridge renamed", bridge, func(n *docker.Network) {
			n.Options = map[string]string{docker.OptBridgeName: "br-x", docker.OptMasquerade: "true"}
		}, "bridge z_custom_a, no masquerade", "bridge br-x, masquerade"},
		{"bridge name chosen by Docker", bridge, func(n *docker.Network) { delete(n.Options, docker.OptBridgeName) },
			"bridge z_custom_a", "bridge chosen by Docker"},
		{"made by hand, masquerading", bridge, func(n *docker.Network) { n.Labels, n.Options[docker.OptMasquerade] = nil, "true" },
			"no masquerade, push's (created or adopted)", "masquerade, made by hand"},
		{"driver", vlan, func(n *docker.Network) { n.Driver = "bridge"; n.Options = nil },
			"ipvlan l2, parent eth1.150, subnet 192.0.2.0/25, ip-range 192.0.2.16/28",
			"bridge chosen by Docker, subnet 192.0.2.0/25, ip-range 192.0.2.16/28"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := docker.Normalize(tc.want)
			got.Options = map[string]string{}
			for k, v := range tc.want.Options {
				got.Options[k] = v
			}
			tc.change(&got)
			diff := docker.Diff(tc.want, got)
			if len(diff) == 0 {
				t.Fatalf("test network does not differ")
			}
			e, a := networkDrift(tc.want, got, false)
			if e != tc.expected || a != tc.actual {
				t.Errorf("networkDrift = %q / %q, want %q / %q", e, a, tc.expected, tc.actual)
			}
			if got.Driver == tc.want.Driver {
				n := len(diff)
				if !got.Owned() {
					n++
				}
				if fields := len(strings.Split(e, ", ")); fields != n {
					t.Errorf("networkDrift names %d fields, docker.Diff %d (%q)", fields, n, diff)
				}
			}
		})
	}
}
