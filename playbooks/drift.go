package playbooks

import (
	"strings"

	"github.com/kasmfleet/push/remote/proto"
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

// VSphereChange is a vSphere difference as the drift report needs it.
type VSphereChange struct {
	Component, Object, Expected, Actual, Action string
}
