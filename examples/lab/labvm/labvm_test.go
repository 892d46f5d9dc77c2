package labvm

import (
	"os/exec"
	"testing"
	"time"
)

// A process is found by its command line, as down finds a VM's qemu whose
// pid file was removed.
func TestFindProcess(t *testing.T) {
	cmd := exec.Command("sleep", "3600.25")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// Start returns once the exec is past its point of no return, which
	// can be before the kernel has set the new command line: wait for it.
	var pid int
	var ok bool
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if pid, ok = FindProcess("sleep\x00", "\x003600.25\x00"); ok {
			break
		}
	}
	if !ok || pid != cmd.Process.Pid {
		t.Fatalf("FindProcess = %d, %t; want %d", pid, ok, cmd.Process.Pid)
	}
	if pid, ok := FindProcess("sleep\x00", "\x003600.75\x00"); ok {
		t.Fatalf("FindProcess found %d for a command line nobody has", pid)
	}
}
