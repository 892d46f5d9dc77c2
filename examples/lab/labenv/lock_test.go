package labenv

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// The lock must outlive garbage collection: another open of the file (as
// another test process would make) cannot take it.
func TestLockHeldUntilExit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lab.lock")
	if err := holdLock(path, func() { t.Error("nobody else holds a fresh lock") }); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Fatalf("second flock: %v, want EWOULDBLOCK", err)
	}
}
