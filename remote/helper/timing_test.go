package helper

import (
	"slices"
	"testing"
	"time"

	"github.com/kasmfleet/push/remote/proto"
)

// TestApplyTimesPhasesAndActions: with a clock, an apply result says how
// long each phase and each action took; without one (every other test)
// it says nothing, so results stay comparable.
func TestApplyTimesPhasesAndActions(t *testing.T) {
	cfg, _ := trunkHost(t)
	var now time.Time
	cfg.Clock = func() time.Time { now = now.Add(5 * time.Millisecond); return now }
	spec := proto.HostSpec{Agent: "a1", Trunk: &proto.Trunk{NIC: "tr0"}}

	res, code := runMain(t, cfg, nil, request(proto.VerbApply, spec))
	if code != proto.ExitOK || res.Error != "" {
		t.Fatalf("apply: code %d error %q", code, res.Error)
	}
	for _, p := range res.Phases {
		if p.MS <= 0 {
			t.Errorf("phase %s took %d ms", p.Name, p.MS)
		}
	}
	if names, want := phaseNames(res), []string{"observe", "apply", "read back"}; !slices.Equal(names, want) {
		t.Errorf("phases %v, want %v", names, want)
	}
	if len(res.Actions) == 0 {
		t.Fatal("no actions")
	}
	for _, a := range res.Actions {
		if a.Outcome == proto.OutcomeDone && a.MS != 5 {
			t.Errorf("%s %s took %d ms, want one tick (5)", a.Kind, a.Target, a.MS)
		}
	}

	// A second apply has nothing to take, so nothing to read back.
	res, _ = runMain(t, cfg, nil, request(proto.VerbApply, spec))
	if names, want := phaseNames(res), []string{"observe"}; !slices.Equal(names, want) || res.Facts == nil {
		t.Errorf("apply on a converged host: phases %v (want %v), facts %v", names, want, res.Facts)
	}

	cfg.Clock = nil
	res, _ = runMain(t, cfg, nil, request(proto.VerbPlan, spec))
	if len(res.Phases) != 0 {
		t.Errorf("without a clock: phases %+v", res.Phases)
	}
}

func phaseNames(res proto.Result) []string {
	var names []string
	for _, p := range res.Phases {
		names = append(names, p.Name)
	}
	return names
}
