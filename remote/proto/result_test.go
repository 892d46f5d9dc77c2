package proto

import (
	"slices"
	"testing"
)

func TestBlocking(t *testing.T) {
	busy := func(o Outcome, containers ...string) Action {
		return Action{Kind: ActReplaceNetwork, Outcome: o, Busy: containers}
	}
	for _, tc := range []struct {
		name    string
		actions []Action
		want    []string
	}{
		{"nothing busy", []Action{{Kind: ActCreateNetwork, Outcome: OutcomePending}}, nil},
		{"one network", []Action{busy(OutcomeRefused, "s1", "s2")}, []string{"s1", "s2"}},
		{"named once", []Action{busy(OutcomeRefused, "s1"), busy(OutcomeRefused, "s2", "s1")}, []string{"s1", "s2"}},
		{"force-disconnect leaves them named", []Action{busy(OutcomePending, "s1")}, []string{"s1"}},
		{"refused for another reason: a drain would not do",
			[]Action{busy(OutcomeRefused, "s1"), {Kind: ActReplaceNetwork, Outcome: OutcomeRefused, Error: "made by hand"}}, nil},
	} {
		if got := Blocking(tc.actions); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Blocking = %q, want %q", tc.name, got, tc.want)
		}
	}
}
