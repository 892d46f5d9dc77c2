package helper

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/kasmfleet/push/remote/helper/handsnat"
	"github.com/kasmfleet/push/remote/helper/plan"
	"github.com/kasmfleet/push/remote/proto"
)

func TestLeaveUnadopted(t *testing.T) {
	steps := func() []plan.Step {
		return []plan.Step{
			{Action: proto.Action{Kind: proto.ActAdoptNetwork, Target: "z_custom_a", Outcome: proto.OutcomePending}},
			{Action: proto.Action{Kind: proto.ActAdoptSNAT, Target: "hand SNAT 172.19.0.0/16 iptables-nft", Outcome: proto.OutcomePending}},
			{Action: proto.Action{Kind: proto.ActInstallUnit, Target: "push-restore.service", Outcome: proto.OutcomePending}},
		}
	}
	s := steps()
	leaveUnadopted(s, proto.Options{})
	if s[0].Outcome != proto.OutcomeLeft || s[1].Outcome != proto.OutcomeLeft || s[2].Outcome != proto.OutcomePending {
		t.Errorf("without --adopt: outcomes %s, %s, %s; want left, left, pending", s[0].Outcome, s[1].Outcome, s[2].Outcome)
	}
	if exitCode(proto.Result{Verb: proto.VerbApply, Actions: []proto.Action{s[0].Action, s[1].Action}}) != proto.ExitOK {
		t.Error("an apply that left hand-made objects alone exits non-zero")
	}
	s = steps()
	leaveUnadopted(s, proto.Options{Adopt: true})
	for _, x := range s {
		if x.Outcome != proto.OutcomePending {
			t.Errorf("with --adopt: %s is %s, want pending", x.Kind, x.Outcome)
		}
	}
}

// push's new rule for a subnet a hand-made rule serves goes in only when
// that rule is being adopted now, or when push's table has it already.
func TestWithoutHandSubnets(t *testing.T) {
	a := proto.SNATRule{Subnet: "172.19.0.0/16", Bridge: "z_custom_a", SourceIP: "198.51.100.111"}
	b := proto.SNATRule{Subnet: "172.20.0.0/16", Bridge: "z_custom_b", SourceIP: "198.51.100.112"}
	hand := &handsnat.Rule{Subnet: netip.MustParsePrefix("172.19.0.0/16")}
	step := func(o proto.Outcome) []plan.Step {
		return []plan.Step{{Action: proto.Action{Kind: proto.ActAdoptSNAT, Outcome: o}, Hand: hand}}
	}
	for _, tc := range []struct {
		name  string
		cur   []proto.SNATRule
		steps []plan.Step
		want  []proto.SNATRule
	}{
		{"adopting now", nil, step(proto.OutcomePending), []proto.SNATRule{a, b}},
		{"left alone", nil, step(proto.OutcomeLeft), []proto.SNATRule{b}},
		{"in conflict", nil, step(proto.OutcomeRefused), []proto.SNATRule{b}},
		{"left alone, push's in place", []proto.SNATRule{a}, step(proto.OutcomeLeft), []proto.SNATRule{a, b}},
	} {
		if got := withoutHandSubnets([]proto.SNATRule{a, b}, tc.cur, tc.steps); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The hand-made rule comes out only once push's table maps its subnet to
// its address.
func TestHolds(t *testing.T) {
	hand := handsnat.Rule{Subnet: netip.MustParsePrefix("172.19.0.0/16"), SourceIP: netip.MustParseAddr("198.51.100.111")}
	for _, tc := range []struct {
		rules []proto.SNATRule
		want  bool
	}{
		{[]proto.SNATRule{{Subnet: "172.19.0.0/16", Bridge: "z_custom_a", SourceIP: "198.51.100.111"}}, true},
		{[]proto.SNATRule{{Subnet: "172.19.0.0/16", Bridge: "z_custom_a", SourceIP: "198.51.100.112"}}, false},
		{nil, false},
	} {
		if got := holds(tc.rules, hand); got != tc.want {
			t.Errorf("holds(%v) = %v, want %v", tc.rules, got, tc.want)
		}
	}
}
