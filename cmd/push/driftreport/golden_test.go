package driftreport

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasmfleet/push/playbooks"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// generated is the fixed time of every report in the tests.
var generated = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

// fixture reads testdata/fixtures/NAME.json into a report.
func fixture(t *testing.T, name string) Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		Inventory string                  `json:"inventory"`
		Targets   []playbooks.TargetDrift `json:"targets"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return Report{Version: SchemaVersion, Generated: generated, Inventory: in.Inventory, Targets: in.Targets}
}

var fixtures = []string{"in-sync", "drift", "unknown", "vsphere", "mixed", "workspaces"}

// formats are the writers under golden test, by file suffix.
var formats = []struct {
	suffix string
	write  func(io.Writer, Report) error
}{
	{".txt", func(w io.Writer, r Report) error { return WriteText(w, r, false) }},
	{".color.txt", func(w io.Writer, r Report) error { return WriteText(w, r, true) }},
	{".json", WriteJSON},
	{".junit.xml", WriteJUnit},
	{".html", WriteHTML},
}

func TestGolden(t *testing.T) {
	for _, name := range fixtures {
		for _, f := range formats {
			t.Run(name+f.suffix, func(t *testing.T) {
				var b bytes.Buffer
				if err := f.write(&b, fixture(t, name)); err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("testdata", name+f.suffix), b.Bytes())
			})
		}
	}
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (go test -update rewrites it):\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first line where want and got part.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant: %q\ngot:  %q", i+1, w, g)
		}
	}
	return "(same lines, different bytes)"
}
