package playbooks

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/remote/proto"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestDesireGolden derives the desired state of each example inventory
// and compares it with testdata/<example>.json.
func TestDesireGolden(t *testing.T) {
	for _, name := range []string{"ipvlan", "bridged-snat", "enclaves"} {
		t.Run(name, func(t *testing.T) {
			inv := load(t, filepath.Join("..", "examples", name, "inventory.hcl"))
			got, _ := json.MarshalIndent(Desire(inv), "", "  ")
			path := filepath.Join("testdata", name+".json")
			if *update {
				os.WriteFile(path, append(got, '\n'), 0o644)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(string(got)) != strings.TrimSpace(string(want)) {
				t.Errorf("desired state differs from %s (go test -update rewrites it):\n%s", path, got)
			}
		})
	}
}

// load reads a valid inventory; every environment variable it names is
// set, and empty.
func load(t *testing.T, path string) *inventory.Inventory {
	t.Helper()
	inv, diags := inventory.Load(inventory.Options{LookupEnv: func(string) (string, bool) { return "", true }}, path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return inv
}

func TestRequest(t *testing.T) {
	h := Host{Name: "a", Spec: proto.HostSpec{Agent: "a", Trunk: &proto.Trunk{}}, TrunkAuto: true}
	req := Request(ModeApply, WithTrunkMAC(h, "52:54:00:00:01:01"), RunOptions{Prune: true, Holder: "me@here"})
	if req.Verb != proto.VerbApply || !req.Options.Verify || !req.Options.Prune || req.Spec.Trunk.MAC != "52:54:00:00:01:01" {
		t.Errorf("apply request %+v, trunk %+v", req, req.Spec.Trunk)
	}
	if h.Spec.Trunk.MAC != "" {
		t.Error("WithTrunkMAC changed the host it was given")
	}
	for _, m := range []Mode{ModePlan, ModeCheck} {
		if r := Request(m, h, RunOptions{}); r.Verb != proto.VerbPlan || r.Options.Verify {
			t.Errorf("%s request %+v: want a plan without verify", m, r)
		}
	}
	if r := Request(ModeCheck, h, RunOptions{}); !r.Options.Prune {
		t.Error("check request without prune: extra objects would go unreported")
	}
	if r := Request(ModePlan, h, RunOptions{}); r.Options.Prune {
		t.Error("plan request with prune the user did not ask for")
	}
}

func TestJudge(t *testing.T) {
	done := proto.Action{Kind: proto.ActCreateNetwork, Summary: "create", Outcome: proto.OutcomeDone}
	pending := proto.Action{Kind: proto.ActCreateNetwork, Summary: "create", Outcome: proto.OutcomePending}
	refused := proto.Action{Kind: proto.ActReplaceNetwork, Summary: "replace z", Outcome: proto.OutcomeRefused, Error: "containers attached: c1"}
	badCheck := proto.Check{Network: "z_vlan150", What: "source ip seen", Want: "192.0.2.16/28", Got: "10.0.0.1"}
	tests := []struct {
		name    string
		mode    Mode
		res     proto.Result
		exit    int
		wantErr string
	}{
		{"apply done", ModeApply, proto.Result{Actions: []proto.Action{done}, Checks: []proto.Check{{OK: true}}}, 0, ""},
		{"apply refused", ModeApply, proto.Result{Actions: []proto.Action{refused}}, 1, "containers attached"},
		{"verify failed", ModeApply, proto.Result{Checks: []proto.Check{badCheck}}, 1, "want 192.0.2.16/28, got 10.0.0.1"},
		{"helper error", ModeApply, proto.Result{Error: "docker is not running"}, 1, "docker is not running"},
		{"bare failure", ModeApply, proto.Result{}, 1, "status 1"},
		{"plan pending", ModePlan, proto.Result{Actions: []proto.Action{pending}}, 2, ""},
		{"check pending", ModeCheck, proto.Result{Actions: []proto.Action{pending}}, 2, ""},
		{"check finds a refusal", ModeCheck, proto.Result{Actions: []proto.Action{refused}}, 2, ""},
		{"plan refused", ModePlan, proto.Result{Actions: []proto.Action{refused}}, 2, "containers attached"},
		{"check helper error", ModeCheck, proto.Result{Error: "docker is not running"}, 1, "docker is not running"},
		{"apply left changes pending", ModeApply, proto.Result{}, 2, "status 2"},
	}
	for _, tc := range tests {
		err := Judge(tc.mode, tc.res, tc.exit)
		if (tc.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: Judge = %v, want error containing %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestHostDrift(t *testing.T) {
	res := &proto.Result{Actions: []proto.Action{
		{Kind: proto.ActTrunkUp, Target: "eth1", Summary: "bring trunk NIC eth1 up", Outcome: proto.OutcomePending, Expected: "up", Actual: "down"},
		{Kind: proto.ActReplaceNetwork, Target: "z_vlan150", Summary: "replace", Outcome: proto.OutcomeRefused, Error: "not created by push"},
		{Kind: proto.ActRemoveNetwork, Target: "z_old", Summary: "remove", Outcome: proto.OutcomePending, Extra: true},
	}}
	d := HostDrift("a", res, nil)
	if d.Status != Drifted || len(d.Drifts) != 3 || d.Drifts[0].Component != "trunk NIC" || d.Drifts[0].Actual != "down" || !d.Drifts[2].Extra {
		t.Fatalf("drift %+v", d)
	}
	for i, want := range []string{"bring trunk NIC eth1 up", "none, refused: not created by push", "with --prune: remove"} {
		if d.Drifts[i].Action != want {
			t.Errorf("drift %d: apply would %q, want %q", i, d.Drifts[i].Action, want)
		}
	}
	if d := HostDrift("a", &proto.Result{}, nil); d.Status != InSync {
		t.Errorf("no actions: %s, want in sync", d.Status)
	}
	if d := HostDrift("a", nil, errors.New("connection refused")); d.Status != Unknown || d.Error == "" {
		t.Errorf("unreachable: %+v, want unknown with the error", d)
	}
}
