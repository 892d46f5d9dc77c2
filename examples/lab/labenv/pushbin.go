package labenv

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// PushBinary is the repository's bin/push, built by make as users get it
// (a no-op when it is up to date).
func PushBinary(t testing.TB) string {
	t.Helper()
	root, err := LabRoot()
	if err != nil {
		t.Fatal(err)
	}
	root = filepath.Join(root, "..", "..")
	if out, err := exec.Command("make", "-s", "-C", root, "build").CombinedOutput(); err != nil {
		t.Fatalf("make build: %v: %s", err, out)
	}
	return filepath.Join(root, "bin", "push")
}
