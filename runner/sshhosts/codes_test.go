package sshhosts

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kasmfleet/push/examples/lab/sshfleet"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/ssh"
	"github.com/kasmfleet/push/runner"
)

// TestErrorKinds: the helper's failures reach the runner's report with
// their kind, tested with errors.Is, not by their text.
func TestErrorKinds(t *testing.T) {
	f := sshfleet.StartT(t, 3, sshfleet.Options{
		PrivateDirs:  []string{"/etc/systemd/system"},
		PrivateFiles: []string{"/run/push.lock"},
	})
	// Another run holds host-0's lock.
	lock, err := os.OpenFile(f.PrivateDir(0, "/run/push.lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if _, err := lock.WriteString("holder=alice@laptop since=2026-12-02T02:00:00Z pid=4242\n"); err != nil {
		t.Fatal(err)
	}
	hosts := fleetHosts(f)
	hosts[1].Spec.Trunk = &proto.Trunk{MAC: "not-a-mac"}
	if err := f.Stop(2); err != nil {
		t.Fatal(err)
	}
	tr := newTransport(t, ssh.Options{})
	s := playbooks.Job{Mode: playbooks.ModeApply, Hosts: hosts, Transport: tr,
		Run:     playbooks.RunOptions{Holder: "test@controller"},
		Options: runner.Options{MaxFailures: runner.Size{N: 100, Percent: true}}}.Go(context.Background())
	want := []struct {
		kind error
		text string
	}{
		{proto.ErrLockHeld, "alice@laptop"},
		{proto.ErrInvalidSpec, `MAC "not-a-mac"`},
		{proto.ErrUnreachable, "connection refused"},
	}
	for i, w := range want {
		err := s.Hosts[i].Err
		if !errors.Is(err, w.kind) || !strings.Contains(err.Error(), w.text) {
			t.Errorf("host-%d: got %v, want %v naming %q", i, err, proto.CodeOf(w.kind), w.text)
		}
		for j, other := range want {
			if j != i && errors.Is(err, other.kind) {
				t.Errorf("host-%d: %v is also %v", i, err, proto.CodeOf(other.kind))
			}
		}
	}
}
