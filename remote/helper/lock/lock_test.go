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

// TestLoserWaitsForHolderName: the winner takes the flock before it
// writes its name; a loser that reads the file in between reads again
// until the name is there instead of saying "holder unknown".
func TestLoserWaitsForHolderName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "push.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	pauses := 0
	_, err = acquire(path, "bob@other", func() {
		pauses++
		if pauses == 3 { // the winner writes its name now
			f.WriteString("holder=alice@controller since=2026-12-02T02:00:00Z pid=42\n")
		}
	})
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "holder=alice@controller") || pauses != 3 {
		t.Fatalf("acquire: %v after %d pauses; want ErrHeld naming alice after 3", err, pauses)
	}
	// A holder that never writes its name: the loser gives up, bounded.
	f.Truncate(0)
	pauses = 0
	_, err = acquire(path, "bob@other", func() { pauses++ })
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "holder unknown") || pauses != holderWait {
		t.Fatalf("acquire: %v after %d pauses; want ErrHeld, holder unknown, after %d", err, pauses, holderWait)
	}
}
