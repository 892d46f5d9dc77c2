package driftreport

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// schemaV1 is the JSON document as SCHEMA.md describes version 1; decoding
// with unknown fields disallowed catches an undocumented addition.
type schemaV1 struct {
	Version   int    `json:"version"`
	Generated string `json:"generated"`
	Inventory string `json:"inventory"`
	Status    string `json:"status"`
	Summary   struct {
		Targets, InSync, Drifted, Unknown, Drifts, Extra *int
	} `json:"summary"`
	Targets []struct {
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Status string `json:"status"`
		Error  string `json:"error"`
		Drifts []struct {
			Component string `json:"component"`
			Object    string `json:"object"`
			Expected  string `json:"expected"`
			Actual    string `json:"actual"`
			Action    string `json:"action"`
			Extra     *bool  `json:"extra"`
		} `json:"drifts"`
	} `json:"targets"`
}

func TestJSONMatchesSchema(t *testing.T) {
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			r := fixture(t, name)
			var b bytes.Buffer
			if err := WriteJSON(&b, r); err != nil {
				t.Fatal(err)
			}
			// Summary's keys are snake case: rename for the strict decode.
			doc := strings.NewReplacer(`"in_sync"`, `"InSync"`).Replace(b.String())
			dec := json.NewDecoder(strings.NewReader(doc))
			dec.DisallowUnknownFields()
			var got schemaV1
			if err := dec.Decode(&got); err != nil {
				t.Fatalf("not schema v1: %v\n%s", err, b.String())
			}
			if got.Version != 1 || got.Generated != "2026-11-21T09:30:00Z" || got.Inventory != r.Inventory {
				t.Errorf("header: version %d, generated %q, inventory %q", got.Version, got.Generated, got.Inventory)
			}
			s := r.Summary()
			if got.Status != string(s.Status()) || got.Summary.Targets == nil || *got.Summary.Targets != s.Targets ||
				*got.Summary.InSync != s.InSync || *got.Summary.Drifted != s.Drifted ||
				*got.Summary.Unknown != s.Unknown || *got.Summary.Drifts != s.Drifts || *got.Summary.Extra != s.Extra {
				t.Errorf("status %q, summary %s; want %q, %+v", got.Status, b.String(), s.Status(), s)
			}
			if len(got.Targets) != len(r.Targets) {
				t.Fatalf("%d targets, want %d", len(got.Targets), len(r.Targets))
			}
			for i, gt := range got.Targets {
				want := r.Targets[i]
				if gt.Name != want.Name || gt.Status != string(statusOf(want)) || gt.Error != want.Error || gt.Drifts == nil {
					t.Errorf("target %d: %+v, want %+v (drifts always an array)", i, gt, want)
				}
				for j, d := range gt.Drifts {
					if d.Extra == nil || *d.Extra != want.Drifts[j].Extra || d.Object != want.Drifts[j].Object {
						t.Errorf("target %s drift %d: %+v", gt.Name, j, d)
					}
				}
			}
		})
	}
}

func TestJSONRefusesOtherVersions(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, Report{Version: 2}); err == nil || b.Len() > 0 {
		t.Errorf("version 2: err %v, %d bytes written; want an error and nothing", err, b.Len())
	}
	if err := WriteJSON(&b, Report{}); err != nil {
		t.Errorf("version 0 (current): %v", err)
	}
}
