package helperbin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os/exec"
	"testing"

	"github.com/kasmfleet/push/examples/lab/needs"
)

// The recorded sha256 (read on every run) must be that of the helper
// For returns, and gzip -d on a host must give the same bytes.
func TestRecordedSHA256(t *testing.T) {
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
		got := sha256.Sum256(b.Data)
		if err != nil || sum != b.SHA256 || sum != hex.EncodeToString(got[:]) {
			t.Errorf("%s: SHA256 %q, %v; For %q; data %x", arch, sum, err, b.SHA256, got)
		}
		if len(b.Gzip) == 0 || len(b.Gzip) >= len(b.Data) {
			t.Errorf("%s: gzip %d bytes, helper %d", arch, len(b.Gzip), len(b.Data))
		}
		needs.Command(t, "gzip")
		cmd := exec.Command("gzip", "-dc")
		cmd.Stdin = bytes.NewReader(b.Gzip)
		out, err := cmd.Output()
		if err != nil || !bytes.Equal(out, b.Data) {
			t.Errorf("%s: gzip -dc gives %d bytes (%v), want the helper's %d", arch, len(out), err, len(b.Data))
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
