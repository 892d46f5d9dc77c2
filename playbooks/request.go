package playbooks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kasmfleet/push/remote/proto"
)

// Mode is what a run does on each host.
type Mode string

const (
	ModeApply Mode = "apply" // converge, then verify, in one helper exec
	ModePlan  Mode = "plan"  // what apply would change; nothing changes
	ModeCheck Mode = "check" // drift: what no longer matches; nothing changes
)

// RunOptions are the per-run settings a request carries.
type RunOptions struct {
	Prune  bool
	Holder string // who holds the host lock: "user@controller"
	// Adopt takes over matching hand-made objects on every host (as the
	// inventory's adopt = true does on its hosts).
	Adopt bool
	// ForceDisconnect disconnects the sessions that block a change
	// instead of waiting for them to end (--force-disconnect).
	ForceDisconnect bool
}

// Request is what the helper is asked on h.
func Request(mode Mode, h Host, o RunOptions) proto.Request {
	spec := h.Spec
	req := proto.Request{Version: proto.Version, Spec: &spec,
		Options: proto.Options{Prune: o.Prune, Holder: o.Holder, Adopt: o.Adopt || h.Adopt, ForceDisconnect: o.ForceDisconnect}}
	// A check lists what push created that the spec no longer wants:
	// planning with prune names those objects (and changes nothing).
	if mode == ModeCheck {
		req.Options.Prune = true
	}
	switch mode {
	case ModeApply:
		req.Verb, req.Options.Verify = proto.VerbApply, true
	default:
		req.Verb = proto.VerbPlan
	}
	return req
}

// WithTrunkMAC returns h with its trunk found by mac, for agents whose
// trunk_nic is "auto" once vSphere has told the NIC's MAC address.
func WithTrunkMAC(h Host, mac string) Host {
	if h.Spec.Trunk != nil && h.TrunkAuto {
		t := *h.Spec.Trunk
		t.MAC = mac
		h.Spec.Trunk = &t
	}
	return h
}

// Judge reads a helper's result: nil when the host is fine for mode, or
// an error saying what went wrong. Pending changes are not errors in plan
// and check; a failed verify is one in apply. In check, a change apply
// would refuse or fail is drift to report, not a failure to observe.
func Judge(mode Mode, res proto.Result, exit int) error {
	var errs []error
	if err := res.Err(); err != nil {
		errs = append(errs, err)
	}
	for _, a := range res.Actions {
		switch a.Outcome {
		case proto.OutcomeFailed, proto.OutcomeRefused:
			if mode == ModeCheck {
				continue
			}
			errs = append(errs, fmt.Errorf("%s %s: %s", a.Outcome, a.Summary, a.Error))
		}
	}
	for _, c := range res.Checks {
		if !c.OK {
			errs = append(errs, fmt.Errorf("verify %s: %s: want %s, got %s%s", c.Network, c.What, c.Want, c.Got, suffixed(c.Error)))
		}
	}
	if len(errs) == 0 && (exit == proto.ExitFailed || (exit == proto.ExitChanges && mode == ModeApply) || exit > proto.ExitChanges) {
		errs = append(errs, fmt.Errorf("helper exited with status %d", exit))
	}
	return errors.Join(errs...)
}

// Pending lists the actions a plan or check result would take.
func Pending(res proto.Result) []proto.Action {
	var out []proto.Action
	for _, a := range res.Actions {
		if a.Outcome == proto.OutcomePending || a.Outcome == "" {
			out = append(out, a)
		}
	}
	return out
}

// Taken lists the actions an apply result took.
func Taken(res proto.Result) []proto.Action { return withOutcome(res, proto.OutcomeDone) }

// Left lists the hand-made objects an apply result left alone because it
// was not asked to adopt them.
func Left(res proto.Result) []proto.Action { return withOutcome(res, proto.OutcomeLeft) }

func withOutcome(res proto.Result, o proto.Outcome) []proto.Action {
	var out []proto.Action
	for _, a := range res.Actions {
		if a.Outcome == o {
			out = append(out, a)
		}
	}
	return out
}

func suffixed(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return ""
	}
	return " (" + s + ")"
}
