package playbooks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/runner"
)

// Status is a target's standing in a drift check.
type Status string

const (
	InSync  Status = "in-sync"
	Drifted Status = "drift"
	Unknown Status = "unknown" // could not be observed: never "in sync"
)

// Drift is one difference between the inventory and what is there.
type Drift struct {
	Component string `json:"component"` // "8021q", "trunk NIC", "Docker network", "SNAT", "port group", "VM NIC"...
	Object    string `json:"object"`
	Expected  string `json:"expected,omitempty"`
	Actual    string `json:"actual,omitempty"`
	Action    string `json:"action"` // what push apply would do about it
	Extra     bool   `json:"extra,omitempty"`
}

// TargetDrift is the drift of one host, or of one trunk in vSphere.
type TargetDrift struct {
	Name   string  `json:"name"`
	Kind   string  `json:"kind"` // "host" or "vsphere"
	Status Status  `json:"status"`
	Error  string  `json:"error,omitempty"`
	Drifts []Drift `json:"drifts,omitempty"`
}

// HostDrift reads a helper's plan result as drift.
func HostDrift(name string, res *proto.Result, err error) TargetDrift {
	t := TargetDrift{Name: name, Kind: "host", Status: InSync}
	if err != nil || res == nil {
		t.Status = Unknown
		if err != nil {
			t.Error = err.Error()
		}
		return t
	}
	for _, a := range res.Actions {
		if a.Outcome == proto.OutcomeDone {
			continue
		}
		t.Drifts = append(t.Drifts, Drift{Component: component(a.Kind), Object: a.Target,
			Expected: a.Expected, Actual: a.Actual, Action: applyWould(a), Extra: a.Extra})
	}
	if len(t.Drifts) > 0 {
		t.Status = Drifted
	}
	return t
}

// applyWould says what push apply would do about a's drift.
func applyWould(a proto.Action) string {
	switch {
	case a.Outcome == proto.OutcomeRefused:
		return "none, refused: " + a.Error
	case a.Outcome == proto.OutcomeFailed:
		return "fail: " + a.Error
	case a.Extra:
		return "with --prune: " + a.Summary
	}
	return a.Summary
}

// component names the part of the host an action touches.
func component(k proto.ActionKind) string {
	s := string(k)
	switch {
	case strings.HasSuffix(s, "module"):
		return "8021q"
	case strings.HasPrefix(s, "trunk") || k == proto.ActPersistTrunk:
		return "trunk NIC"
	case strings.HasSuffix(s, "network"):
		return "Docker network"
	case strings.HasSuffix(s, "snat"):
		return "SNAT"
	case k == proto.ActAddAddress || k == proto.ActRemoveAddress:
		return "source address"
	case k == proto.ActInstallUnit || k == proto.ActWriteState:
		return "boot persistence"
	}
	return s
}

// VSphereDrift is the drift of one trunk in vSphere, from its changes.
func VSphereDrift(name string, changes []VSphereChange, err error) TargetDrift {
	t := TargetDrift{Name: name, Kind: "vsphere", Status: InSync}
	if err != nil {
		t.Status, t.Error = Unknown, err.Error()
	}
	for _, c := range changes {
		t.Drifts = append(t.Drifts, Drift{Component: c.Component, Object: c.Object,
			Expected: c.Expected, Actual: c.Actual, Action: c.Action})
	}
	if len(t.Drifts) > 0 && t.Status == InSync {
		t.Status = Drifted
	}
	return t
}

// driftStep reads every target's outcome as drift: each trunk, then each
// host in the run's order, then each workspace. A host that was not observed is unknown.
type driftStep struct{}

func (driftStep) Name() string { return StepDrift }

func (driftStep) Run(_ context.Context, _ Playbook, o *Outcome) error {
	for _, t := range o.VSphere {
		o.Drift = append(o.Drift, t.Drift())
	}
	for _, h := range o.Fleet.Hosts {
		o.Drift = append(o.Drift, resultDrift(h))
	}
	for _, w := range o.Workspaces {
		o.Drift = append(o.Drift, w.Drift())
	}
	return nil
}

// resultDrift reads one host's result as drift.
func resultDrift(h runner.HostResult) TargetDrift {
	res, err := h.Result, h.Err
	if res != nil && res.Error != "" {
		err, res = res.Err(), nil
	}
	if h.State == runner.StateNotStarted || h.State == runner.StateAborted {
		err = fmt.Errorf("not observed: %s", h.State)
	}
	if res == nil && err == nil {
		err = errors.New("no answer")
	}
	return HostDrift(h.Host, res, err)
}
