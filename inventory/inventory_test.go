package inventory

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// testOptions make env() see a fixed environment.
var testOptions = Options{LookupEnv: func(k string) (string, bool) {
	v, ok := map[string]string{"VSPHERE_USERNAME": "admin", "VSPHERE_PASSWORD": "s3cret"}[k]
	return v, ok
}}

func TestValidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.hcl")
	files = append(files, examples(t)...)
	if len(files) < 4 {
		t.Fatalf("found only %d valid inventories", len(files))
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			_, diags := Load(testOptions, f)
			for _, d := range diags {
				t.Errorf("unexpected %s", describe(d))
			}
		})
	}
}

// examples are the committed example inventories; each must be valid.
func examples(t *testing.T) []string {
	files, err := filepath.Glob("../examples/*/inventory.hcl")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// expectRe is a fixture's statement of one diagnostic: its severity, the
// line and column where its range starts, and its summary.
var expectRe = regexp.MustCompile(`^# expect (error|warning) at (\d+):(\d+): (.+)$`)

// TestInvalidFixtures loads every file in testdata/invalid and compares
// its diagnostics (severity, line, column and summary) with the
// "# expect" lines at its top.
func TestInvalidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.hcl")
	if len(files) < 40 {
		t.Fatalf("found only %d invalid fixtures", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".hcl"), func(t *testing.T) {
			want := expectations(t, f)
			_, diags := Load(testOptions, f)
			var got []string
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("diagnostic without a range: %s", describe(d))
					continue
				}
				got = append(got, fmt.Sprintf("%s at %d:%d: %s", severity(d), d.Subject.Start.Line, d.Subject.Start.Column, d.Summary))
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("diagnostics differ\n got: %q\nwant: %q\nfull:\n%s", got, want, diagsText(diags))
			}
		})
	}
}

func expectations(t *testing.T, file string) []string {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(string(src), "\n") {
		if m := expectRe.FindStringSubmatch(line); m != nil {
			want = append(want, fmt.Sprintf("%s at %s:%s: %s", m[1], m[2], m[3], m[4]))
		} else if strings.HasPrefix(line, "# expect") {
			t.Fatalf("%s: %q is not \"# expect error|warning at LINE:COL: Summary\"", file, line)
		}
	}
	if len(want) == 0 {
		t.Fatalf("%s states no expected diagnostics", file)
	}
	return want
}

func severity(d *hcl.Diagnostic) string {
	if d.Severity == hcl.DiagWarning {
		return "warning"
	}
	return "error"
}

func describe(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return fmt.Sprintf("%s: %s: %s", severity(d), d.Summary, d.Detail)
	}
	return fmt.Sprintf("%s: %s: %s: %s", d.Subject, severity(d), d.Summary, d.Detail)
}

func diagsText(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		b.WriteString("  " + describe(d) + "\n")
	}
	return b.String()
}
