package helperbin

import (
	"testing"

	"github.com/kasmfleet/push/examples/lab/needs"
)

// SHA256 (streamed, for every run) must agree with For (the upload).
func TestSHA256MatchesFor(t *testing.T) {
	arches := Arches()
	if len(arches) == 0 {
		needs.Skip(t, "no embedded helper: run make helpers")
	}
	for _, arch := range arches {
		b, err := For(arch)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := SHA256(arch)
		if err != nil || sum != b.SHA256 || len(sum) != 64 {
			t.Errorf("%s: SHA256 %q, %v; For %q", arch, sum, err, b.SHA256)
		}
	}
	if _, err := SHA256("mips"); err == nil {
		t.Error("SHA256 of an architecture with no helper: no error")
	}
}

func BenchmarkSHA256(b *testing.B) {
	for b.Loop() {
		if _, err := SHA256("amd64"); err != nil {
			b.Fatal(err)
		}
	}
}
