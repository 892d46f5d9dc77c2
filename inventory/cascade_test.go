package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestOneWrongTypeOneError gives each attribute of every valid inventory,
// in turn, a value of the wrong type: exactly one error must follow, at
// that attribute, with no follow-on errors elsewhere (issue 21, class 10).
func TestOneWrongTypeOneError(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.hcl")
	files = append(files, examples(t)...)
	tried := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(src), "\n")
		for i, line := range lines {
			name, value, ok := strings.Cut(line, "=")
			value = strings.TrimSpace(value)
			if !ok || strings.HasPrefix(strings.TrimSpace(line), "#") || value == "" || strings.ContainsAny(value[len(value)-1:], "[{,") {
				continue // not an attribute written on one line
			}
			tried++
			for _, wrong := range []string{`{ x = [1] }`, `[["x"]]`} {
				mutated := append([]string(nil), lines...)
				mutated[i] = name + "= " + wrong
				_, diags := Parse(testOptions, f, []byte(strings.Join(mutated, "\n")))
				var errs hcl.Diagnostics
				for _, d := range diags {
					if d.Severity == hcl.DiagError {
						errs = append(errs, d)
					}
				}
				if len(errs) != 1 || errs[0].Subject.Start.Line != i+1 {
					t.Errorf("%s:%d %s: want one error on that line, got:\n%s", f, i+1, mutated[i], diagsText(errs))
				}
			}
		}
	}
	if tried < 100 {
		t.Fatalf("only %d attributes tried", tried)
	}
}
