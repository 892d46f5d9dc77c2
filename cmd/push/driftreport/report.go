// Package driftreport renders a drift report as text, JSON, JUnit or HTML.
package driftreport

import (
	"slices"
	"strconv"
	"time"

	"github.com/kasmfleet/push/playbooks"
)

// SchemaVersion is the version of the JSON document WriteJSON writes.
const SchemaVersion = 1

// Target kinds.
const (
	KindHost      = "host"
	KindVSphere   = "vsphere"
	KindWorkspace = "workspace" // a Kasm workspace's network restriction
)

// Report is the outcome of one `push check`.
type Report struct {
	Version   int // schema version: SchemaVersion
	Generated time.Time
	Inventory string // path(s) of the inventory
	Targets   []playbooks.TargetDrift
}

// Summary counts a report's targets by status, and its differences.
type Summary struct {
	Targets int
	InSync  int
	Drifted int
	Unknown int
	Drifts  int // differences over all targets, extra objects included
	Extra   int // of Drifts, objects push manages that the inventory no longer wants
}

// Summary counts r's targets and differences.
func (r Report) Summary() Summary {
	var s Summary
	for _, t := range r.Targets {
		s.Targets++
		switch statusOf(t) {
		case playbooks.InSync:
			s.InSync++
		case playbooks.Drifted:
			s.Drifted++
		default:
			s.Unknown++
		}
		s.Drifts += len(t.Drifts)
		for _, d := range t.Drifts {
			if d.Extra {
				s.Extra++
			}
		}
	}
	return s
}

// Status is the fleet's standing: unknown if any target is, else drift if
// any target drifted, else in sync.
func (s Summary) Status() playbooks.Status {
	switch {
	case s.Unknown > 0:
		return playbooks.Unknown
	case s.Drifted > 0:
		return playbooks.Drifted
	}
	return playbooks.InSync
}

// ExitCode is the code `push check` exits with, as Terraform's
// -detailed-exitcode: 0 in sync, 2 drift, 1 when a target is unknown.
// With allowUnreachable, unknown targets alone do not fail the check: the
// code comes from the others.
func (r Report) ExitCode(allowUnreachable bool) int {
	s := r.Summary()
	switch {
	case s.Unknown > 0 && !allowUnreachable:
		return 1
	case s.Drifted > 0:
		return 2
	}
	return 0
}

// statusOf is t's status as the reports show it. A status the report does
// not know counts as unknown, never in sync; a target said to be in sync
// that lists differences has drifted.
func statusOf(t playbooks.TargetDrift) playbooks.Status {
	switch t.Status {
	case playbooks.Unknown, playbooks.Drifted:
		return t.Status
	case playbooks.InSync:
		if len(t.Drifts) > 0 {
			return playbooks.Drifted
		}
		return playbooks.InSync
	}
	return playbooks.Unknown
}

// Components lists the parts of a target of kind that a check covers, in
// the order reports show them; JUnit has one test case for each. Drift
// components use these names (playbooks names the host's).
func Components(kind string) []string {
	switch kind {
	case KindHost:
		return []string{"8021q", "trunk NIC", "Docker network", "SNAT", "source address", "boot persistence"}
	case KindVSphere:
		return []string{"port group", "VM NIC"}
	case KindWorkspace:
		return []string{"restriction", "enabled agents"}
	}
	return nil
}

// componentsOf is the components of t: its kind's, then any other its
// differences name, in order of appearance.
func componentsOf(t playbooks.TargetDrift) []string {
	cs := Components(t.Kind)
	for _, d := range t.Drifts {
		if !slices.Contains(cs, d.Component) {
			cs = append(cs, d.Component)
		}
	}
	return cs
}

// plural is "1 difference", "2 differences".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
