package inventory

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds mutated inventories to Load: it must never panic, and
// every diagnostic must point into the file.
func FuzzLoad(f *testing.F) {
	for _, glob := range []string{"testdata/valid/*.hcl", "testdata/invalid/*.hcl", "testdata/fuzz-corpus/*.hcl", "../examples/*/inventory.hcl"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			src, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src)
		}
	}
	opts := Options{
		LookupEnv: func(string) (string, bool) { return "", false },
		ReadFile:  func(string) ([]byte, error) { return nil, os.ErrNotExist },
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		_, diags := Parse(opts, "fuzz.hcl", src)
		for _, d := range diags {
			if d.Subject == nil {
				t.Fatalf("diagnostic without a range: %s: %s", d.Summary, d.Detail)
			}
			if d.Subject.Filename != "fuzz.hcl" || d.Subject.Start.Byte > len(src) || d.Subject.End.Byte > len(src) {
				t.Fatalf("diagnostic range %s outside the input (%d bytes)", d.Subject, len(src))
			}
		}
	})
}
