package driftreport

import (
	"slices"
	"testing"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
)

func target(name string, st playbooks.Status, drifts ...playbooks.Drift) playbooks.TargetDrift {
	return playbooks.TargetDrift{Name: name, Kind: KindHost, Status: st, Drifts: drifts}
}

var (
	aDrift  = playbooks.Drift{Component: "SNAT", Object: "z_custom_a", Action: "add"}
	anExtra = playbooks.Drift{Component: "Docker network", Object: "z_old", Action: "remove", Extra: true}
)

func TestSummaryAndExitCode(t *testing.T) {
	tests := []struct {
		name       string
		targets    []playbooks.TargetDrift
		want       Summary
		status     playbooks.Status
		exit       int // without --allow-unreachable
		exitAllowU int // with it
	}{
		{"empty", nil, Summary{}, playbooks.InSync, 0, 0},
		{"in sync", []playbooks.TargetDrift{target("a", playbooks.InSync), target("b", playbooks.InSync)},
			Summary{Targets: 2, InSync: 2}, playbooks.InSync, 0, 0},
		{"drift", []playbooks.TargetDrift{target("a", playbooks.InSync), target("b", playbooks.Drifted, aDrift, anExtra)},
			Summary{Targets: 2, InSync: 1, Drifted: 1, Drifts: 2, Extra: 1}, playbooks.Drifted, 2, 2},
		{"unknown alone", []playbooks.TargetDrift{target("a", playbooks.InSync), target("b", playbooks.Unknown)},
			Summary{Targets: 2, InSync: 1, Unknown: 1}, playbooks.Unknown, 1, 0},
		{"unknown and drift", []playbooks.TargetDrift{target("a", playbooks.Drifted, aDrift), target("b", playbooks.Unknown)},
			Summary{Targets: 2, Drifted: 1, Unknown: 1, Drifts: 1}, playbooks.Unknown, 1, 2},
		// A status the report does not know is never taken for in sync.
		{"unknown status value", []playbooks.TargetDrift{target("a", "")},
			Summary{Targets: 1, Unknown: 1}, playbooks.Unknown, 1, 0},
		// A target said in sync that lists differences has drifted.
		{"in sync with drifts", []playbooks.TargetDrift{target("a", playbooks.InSync, aDrift)},
			Summary{Targets: 1, Drifted: 1, Drifts: 1}, playbooks.Drifted, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Report{Targets: tt.targets}
			if got := r.Summary(); got != tt.want {
				t.Errorf("Summary() = %+v, want %+v", got, tt.want)
			}
			if got := r.Summary().Status(); got != tt.status {
				t.Errorf("Status() = %q, want %q", got, tt.status)
			}
			if got := r.ExitCode(false); got != tt.exit {
				t.Errorf("ExitCode(false) = %d, want %d", got, tt.exit)
			}
			if got := r.ExitCode(true); got != tt.exitAllowU {
				t.Errorf("ExitCode(true) = %d, want %d", got, tt.exitAllowU)
			}
		})
	}
}

// The host components must be the names playbooks gives drifts, or JUnit
// would list a passing case next to a failing one for the same thing.
func TestHostComponentsMatchPlaybooks(t *testing.T) {
	// One action of each kind a helper plans, as a plan result.
	res := planOfEveryKind()
	td := playbooks.HostDrift("h", &res, nil)
	comps := Components(KindHost)
	seen := map[string]bool{}
	for _, d := range td.Drifts {
		seen[d.Component] = true
		if !slices.Contains(comps, d.Component) {
			t.Errorf("playbooks names component %q, not among Components(host) %q", d.Component, comps)
		}
	}
	for _, c := range comps {
		if !seen[c] {
			t.Errorf("Components(host) lists %q, which no action kind maps to", c)
		}
	}
}

// planOfEveryKind is a plan result with one pending action of each kind.
func planOfEveryKind() proto.Result {
	kinds := []proto.ActionKind{proto.ActLoadModule, proto.ActPersistModule, proto.ActTrunkUp,
		proto.ActTrunkFlush, proto.ActPersistTrunk, proto.ActCreateNetwork, proto.ActReplaceNetwork,
		proto.ActRemoveNetwork, proto.ActAddSNAT, proto.ActRemoveSNAT, proto.ActAddAddress,
		proto.ActRemoveAddress, proto.ActInstallUnit, proto.ActWriteState}
	var res proto.Result
	for _, k := range kinds {
		res.Actions = append(res.Actions, proto.Action{Kind: k, Target: string(k), Outcome: proto.OutcomePending})
	}
	return res
}

func contains(xs []string, x string) bool { return slices.Contains(xs, x) }
