package labvm

import (
	"os/exec"
	"testing"
)

// A process is found by its command line, as down finds a VM's qemu whose
// pid file was removed.
func TestFindProcess(t *testing.T) {
	cmd := exec.Command("sleep", "3600.25")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid, ok := FindProcess("sleep\x00", "\x003600.25\x00")
	if !ok || pid != cmd.Process.Pid {
		t.Fatalf("FindProcess = %d, %t; want %d", pid, ok, cmd.Process.Pid)
	}
	if pid, ok := FindProcess("sleep\x00", "\x003600.75\x00"); ok {
		t.Fatalf("FindProcess found %d for a command line nobody has", pid)
	}
}
