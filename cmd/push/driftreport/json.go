package driftreport

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/kasmfleet/push/playbooks"
)

// The JSON document, version 1 (SCHEMA.md). Its own types, so that a
// change to playbooks' structs cannot change the schema unnoticed.
type jsonReport struct {
	Version   int          `json:"version"`
	Generated string       `json:"generated"`
	Inventory string       `json:"inventory"`
	Status    string       `json:"status"`
	Summary   jsonSummary  `json:"summary"`
	Targets   []jsonTarget `json:"targets"`
}

type jsonSummary struct {
	Targets int `json:"targets"`
	InSync  int `json:"in_sync"`
	Drifted int `json:"drifted"`
	Unknown int `json:"unknown"`
	Drifts  int `json:"drifts"`
	Extra   int `json:"extra"`
}

type jsonTarget struct {
	Name   string      `json:"name"`
	Kind   string      `json:"kind"`
	Status string      `json:"status"`
	Error  string      `json:"error,omitempty"`
	Drifts []jsonDrift `json:"drifts"`
}

type jsonDrift struct {
	Component string `json:"component"`
	Object    string `json:"object"`
	Expected  string `json:"expected"`
	Actual    string `json:"actual"`
	Action    string `json:"action"`
	Extra     bool   `json:"extra"`
}

// WriteJSON writes r as one JSON document, in the schema SCHEMA.md
// documents; its "version" is SchemaVersion. r.Version may be 0 (the
// current version) or SchemaVersion.
func WriteJSON(w io.Writer, r Report) error {
	if r.Version != 0 && r.Version != SchemaVersion {
		return fmt.Errorf("write JSON report: schema version %d not supported (this build writes %d)", r.Version, SchemaVersion)
	}
	s := r.Summary()
	doc := jsonReport{
		Version:   SchemaVersion,
		Generated: r.Generated.UTC().Format(time.RFC3339),
		Inventory: r.Inventory,
		Status:    string(s.Status()),
		Summary: jsonSummary{Targets: s.Targets, InSync: s.InSync, Drifted: s.Drifted,
			Unknown: s.Unknown, Drifts: s.Drifts, Extra: s.Extra},
		Targets: make([]jsonTarget, 0, len(r.Targets)),
	}
	for _, t := range r.Targets {
		doc.Targets = append(doc.Targets, toJSONTarget(t))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

func toJSONTarget(t playbooks.TargetDrift) jsonTarget {
	jt := jsonTarget{Name: t.Name, Kind: t.Kind, Status: string(statusOf(t)), Error: t.Error,
		Drifts: make([]jsonDrift, 0, len(t.Drifts))}
	for _, d := range t.Drifts {
		jt.Drifts = append(jt.Drifts, jsonDrift{Component: d.Component, Object: d.Object,
			Expected: d.Expected, Actual: d.Actual, Action: d.Action, Extra: d.Extra})
	}
	return jt
}
