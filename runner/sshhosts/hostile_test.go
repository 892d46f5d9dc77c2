package sshhosts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/examples/lab/sshfleet"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/helperbin"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/ssh"
	"github.com/kasmfleet/push/runner"
)

// leaveHelper puts script at the path of this machine's helper build on
// host i: what a host may hold there that is not push's helper.
func leaveHelper(t *testing.T, f *sshfleet.Fleet, i int, script string) string {
	t.Helper()
	sha, err := helperbin.SHA256(runtime.GOARCH)
	if err != nil {
		needs.Skip(t, "no embedded helper for "+runtime.GOARCH+": run `make helpers` first")
	}
	p := filepath.Join(f.HelperDir(i), "bin", "push-helper-"+sha)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/sh\ncat >/dev/null\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func plan(t *testing.T, tr *Transport, h playbooks.Host) (proto.Result, int, error) {
	return tr.Helper(context.Background(), h, playbooks.Request(playbooks.ModePlan, h, playbooks.RunOptions{}), func(string) {})
}

func TestBrokenAnswers(t *testing.T) {
	f := sshfleet.StartT(t, 3, sshfleet.Options{})
	tr := newTransport(t, ssh.Options{})
	hosts := fleetHosts(f)

	t.Run("malformed", func(t *testing.T) {
		leaveHelper(t, f, 0, "echo 'Segmentation fault'\nexit 139\n")
		_, exit, err := plan(t, tr, hosts[0])
		var re *ssh.RemoteError
		if !errors.As(err, &re) || exit != 139 || !strings.Contains(err.Error(), "the helper's answer is not a result: invalid character 'S'") ||
			!strings.Contains(err.Error(), `stdout: "Segmentation fault"`) || !strings.Contains(err.Error(), "(exit 139)") {
			t.Fatalf("got exit %d, %v", exit, err)
		}
	})

	t.Run("truncated", func(t *testing.T) {
		leaveHelper(t, f, 1, `printf '{"version":1,"verb":"plan","facts":{'`+"\n")
		_, _, err := plan(t, tr, hosts[1])
		if !strings.Contains(fmt.Sprint(err), "the helper's answer is cut off after 36 bytes") {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("another protocol version is replaced, not trusted", func(t *testing.T) {
		p := leaveHelper(t, f, 2, `echo '{"version":0,"verb":"plan","error":"unknown field \"spec\""}'`+"\nexit 1\n")
		steps := map[string]bool{}
		res, exit, err := tr.Helper(context.Background(), hosts[2], playbooks.Request(playbooks.ModePlan, hosts[2], playbooks.RunOptions{}),
			func(s string) { steps[s] = true })
		if err != nil || res.Version != proto.Version || res.Error != "" || exit == proto.ExitFailed || !steps["replace helper"] {
			t.Fatalf("exit %d, result %+v, steps %v: %v", exit, res, steps, err)
		}
		want, err := helperbin.For(runtime.GOARCH)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, want.Data) {
			t.Errorf("the file at the helper's path is not push's helper after the run (%d bytes, %v)", len(got), err)
		}
	})
}

// TestRollingApplyWithBrokenHosts applies to 20 hosts, 5 of them broken
// in different ways, in a canary and batches of 25%: the healthy 15 are
// converged, each broken host fails with its own cause, and a tighter
// failure budget stops the rollout.
func TestRollingApplyWithBrokenHosts(t *testing.T) {
	needs.NotShort(t)
	needs.Command(t, "sudo")
	f := sshfleet.StartT(t, 20, sshfleet.Options{
		// What an apply with an empty spec writes: push's state, its boot
		// unit, and the host lock.
		PrivateDirs:  []string{"/etc/systemd/system"},
		PrivateFiles: []string{"/run/push.lock"},
		Users:        []sshfleet.User{{Name: "nologin", Shell: "/usr/sbin/nologin"}, {Name: "tty", Sudo: sshfleet.SudoRequireTTY}},
	})
	hosts := fleetHosts(f)
	ctx := context.Background()
	force := func(i int, script string) {
		p := filepath.Join(f.Dir(), fmt.Sprintf("force-%d.sh", i))
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := f.Restart(ctx, i, "ForceCommand "+p+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	broken := map[int]string{
		3:  "sent more than 4 MiB on stdout",
		7:  "did not run push's command",
		9:  "No space left on device",
		12: "the helper's answer is not a result",
		16: "requiretty",
	}
	force(3, "exec cat /dev/zero\n")
	hosts[7].Conn.User = "nologin"
	if err := f.SetHelperDisk(ctx, 9, sshfleet.HelperDisk{Size: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	leaveHelper(t, f, 12, "echo 'Bus error'\n")
	hosts[16].Conn.User, hosts[16].Conn.Become = "tty", true
	// A healthy host whose .bashrc prints: it converges, with a warning.
	if err := os.WriteFile(filepath.Join(f.RootHome(5), ".bashrc"), []byte("echo 'Last login: never'\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tr := newTransport(t, ssh.Options{})
	job := func(budget int) runner.Summary {
		return playbooks.Job{Mode: playbooks.ModeApply, Hosts: hosts, Transport: tr,
			Run: playbooks.RunOptions{Holder: "test@controller"},
			Options: runner.Options{Batches: []runner.Size{{N: 1}, {N: 25, Percent: true}},
				MaxFailures: runner.Size{N: budget}}}.Go(ctx)
	}

	s := job(5)
	if s.Count(runner.StateDone) != 15 || s.Count(runner.StateFailed) != 5 || s.Stopped != "" {
		t.Fatalf("budget 5: %s; stopped %q", states(s), s.Stopped)
	}
	for i, h := range s.Hosts {
		cause, bad := broken[i]
		switch {
		case bad && (h.State != runner.StateFailed || !strings.Contains(fmt.Sprint(h.Err), cause)):
			t.Errorf("%s: %s, %v; want failed with %q", h.Host, h.State, h.Err, cause)
		case !bad && (h.State != runner.StateDone || h.Result == nil || len(playbooks.Taken(*h.Result)) == 0):
			t.Errorf("%s: %s, %v; want converged", h.Host, h.State, h.Err)
		}
	}
	for _, h := range s.Hosts {
		if h.Err != nil {
			t.Log(h.Err)
		}
	}
	if _, err := os.Stat(filepath.Join(f.HelperDir(0), "applied.json")); err != nil {
		t.Errorf("host-0 was not converged: %v", err)
	}
	w := tr.Warnings()
	if len(w) != 1 || !strings.Contains(w["host-5"], `printed "Last login: never" before push's command`) {
		t.Errorf("warnings %q", w)
	}

	// Batches [0] [1-5] [6-10] [11-15] [16-19]: with a budget of 2, the
	// third failure (host 9, third batch) stops the rollout.
	s = job(2)
	if s.Count(runner.StateNotStarted) != 9 || s.Count(runner.StateFailed) != 3 || s.Stopped == "" {
		t.Errorf("budget 2: %s; stopped %q", states(s), s.Stopped)
	}
}
