package lock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSecondAcquireFailsNamingHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "push.lock")
	l, err := Acquire(path, "alice@controller")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(path, "bob@other")
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "holder=alice@controller") ||
		!strings.Contains(err.Error(), "pid=") {
		t.Fatalf("second Acquire: %v; want ErrHeld naming alice@controller and a pid", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := Acquire(path, "bob@other")
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release()
}

// TestKilledHolderLeavesNoLock runs this test binary as a child that
// takes the lock and waits, kills it with SIGKILL, and takes the lock.
func TestKilledHolderLeavesNoLock(t *testing.T) {
	if p := os.Getenv("PUSH_LOCK_CHILD"); p != "" {
		if _, err := Acquire(p, "child"); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "push.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledHolderLeavesNoLock$")
	cmd.Env = append(os.Environ(), "PUSH_LOCK_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf[:6]) != "locked" {
		t.Fatalf("child did not lock: %q %v", buf, err)
	}
	if _, err := Acquire(path, "parent"); !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "holder=child") {
		t.Fatalf("Acquire while the child holds it: %v", err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	l, err := Acquire(path, "parent")
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}
