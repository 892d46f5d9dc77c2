package ssh

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/examples/lab/sshfleet"
)

// Broken and hostile hosts, each made real on its own sshd: a
// ForceCommand wrapper, a login shell, a sudoers rule or a disk. Each
// fails with a specific error, or works with a warning.

// forceCommand makes host i run script (sh) instead of every command;
// the command asked for is in $SSH_ORIGINAL_COMMAND.
func forceCommand(t *testing.T, f *sshfleet.Fleet, i int, script string) {
	t.Helper()
	p := filepath.Join(f.Dir(), fmt.Sprintf("force-%d.sh", i))
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := f.Restart(testCtx(t), i, "ForceCommand "+p+"\n"); err != nil {
		t.Fatal(err)
	}
}

func remoteError(t *testing.T, err error, problem string) *RemoteError {
	t.Helper()
	var re *RemoteError
	if !errors.As(err, &re) || !strings.Contains(re.Problem, problem) {
		t.Fatalf("got %v, want a RemoteError saying %q", err, problem)
	}
	return re
}

func TestHostileHosts(t *testing.T) {
	needs.Command(t, "sudo")
	f := sshfleet.StartT(t, 8, sshfleet.Options{Users: []sshfleet.User{
		{Name: "deploy", Sudo: sshfleet.SudoNoPassword},
		{Name: "tty", Sudo: sshfleet.SudoRequireTTY},
		{Name: "falsesh", Shell: "/bin/false"},
		{Name: "nologin", Shell: "/usr/sbin/nologin"},
	}})
	h := buildHelper(t, "hostile")
	run := func(t *testing.T, c Config, args ...string) (HelperRun, error) {
		return dial(t, newDialer(t, testOptions(t)), c).RunHelper(testCtx(t), helperSet(h), args, []byte("req"))
	}
	as := func(i int, user string, become bool) Config {
		c := rootConfig(f, i)
		c.User, c.Become = user, become
		return c
	}

	t.Run("endless stdout ends the command at the limit", func(t *testing.T) {
		forceCommand(t, f, 0, "exec cat /dev/zero\n")
		_, err := run(t, rootConfig(f, 0))
		re := remoteError(t, err, "sent more than 4 MiB on stdout")
		if re.ExitCode != -1 || len(re.Stdout) > headSize || !strings.Contains(err.Error(), "run helper on root@") {
			t.Errorf("exit %d, %d bytes kept: %v", re.ExitCode, len(re.Stdout), err)
		}
	})

	t.Run("endless stderr ends the command at the limit", func(t *testing.T) {
		forceCommand(t, f, 0, "exec cat /dev/zero >&2\n")
		_, err := run(t, rootConfig(f, 0))
		remoteError(t, err, "sent more than 1 MiB on stderr")
	})

	t.Run("a .bashrc that prints is set aside with a warning", func(t *testing.T) {
		// Debian's bash reads ~/.bashrc for commands sshd runs.
		if err := os.WriteFile(filepath.Join(f.RootHome(1), ".bashrc"), []byte("echo 'Welcome to host-1'\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for round, wantExecs := range []int{3, 1} {
			r, err := run(t, rootConfig(f, 1), "exit=2")
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if e := decodeEcho(t, r); e.Stdin != "req" || r.ExitCode != 2 || r.Execs != wantExecs {
				t.Errorf("round %d: exit %d, execs %d, helper saw %+v", round, r.ExitCode, r.Execs, e)
			}
			w := r.NoiseWarning()
			if r.Noise != `"Welcome to host-1"` || !strings.Contains(w, `printed "Welcome to host-1" before push's command`) || !strings.Contains(w, "root's ~/.bashrc") {
				t.Errorf("round %d: noise %q, warning %q", round, r.Noise, w)
			}
		}
	})

	t.Run("a ForceCommand banner, through sudo, with the exit status lost", func(t *testing.T) {
		forceCommand(t, f, 2, "echo 'Authorized use only'\nsh -c \"$SSH_ORIGINAL_COMMAND\"\necho bye\nexit 0\n")
		r, err := run(t, as(2, "deploy", true), "exit=2")
		if err != nil {
			t.Fatal(err)
		}
		if e := decodeEcho(t, r); e.UID != 0 || r.ExitCode != 2 {
			t.Errorf("exit %d (the helper's 2 is in push's end marker), helper saw %+v", r.ExitCode, e)
		}
		if !strings.Contains(r.NoiseWarning(), `"Authorized use only" before`) {
			t.Errorf("warning %q", r.NoiseWarning())
		}
	})

	t.Run("a login shell of /bin/false or nologin", func(t *testing.T) {
		for user, line := range map[string]string{"falsesh": "", "nologin": "This account is currently not available."} {
			_, err := run(t, as(3, user, false))
			re := remoteError(t, err, "did not run push's command")
			if re.ExitCode != 1 || !strings.Contains(err.Error(), "is the login shell of "+user+" /bin/false or nologin") || !strings.Contains(err.Error(), line) {
				t.Errorf("%s: %v", user, err)
			}
		}
	})

	t.Run("sudo with requiretty", func(t *testing.T) {
		_, err := run(t, as(3, "tty", true))
		var se *SudoError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "Defaults:tty !requiretty") {
			t.Fatalf("got %v, want a SudoError naming requiretty", err)
		}
	})

	t.Run("a full disk fails the upload and leaves no partial file", func(t *testing.T) {
		if err := f.SetHelperDisk(testCtx(t), 4, sshfleet.HelperDisk{Size: 1 << 20}); err != nil {
			t.Fatal(err)
		}
		conn := dial(t, newDialer(t, testOptions(t)), rootConfig(f, 4))
		_, err := conn.RunHelper(testCtx(t), helperSet(h), nil, nil)
		re := remoteError(t, err, "the upload failed")
		if re.ExitCode != 1 || !strings.Contains(err.Error(), "No space left on device") || !strings.Contains(err.Error(), "upload helper on") {
			t.Errorf("got %v", err)
		}
		if left := mustExec(t, conn, "ls -A /var/lib/push/bin"); left != "" {
			t.Errorf("the helper folder holds %q after a failed upload", left)
		}
	})

	t.Run("a read-only /var/lib/push", func(t *testing.T) {
		if err := f.SetHelperDisk(testCtx(t), 5, sshfleet.HelperDisk{ReadOnly: true}); err != nil {
			t.Fatal(err)
		}
		_, err := run(t, rootConfig(f, 5))
		remoteError(t, err, "the upload failed")
		if !strings.Contains(err.Error(), "Read-only file system") {
			t.Errorf("got %v", err)
		}
	})

	t.Run("the server closes the connection mid-answer", func(t *testing.T) {
		// With the helper in place, the wrapper passes on the first bytes
		// of the answer and 3 MiB more (under the 4 MiB limit), then kills the sshd serving the
		// connection. sshd reads no more than the client's window (2 MiB)
		// ahead of what the client took, so the client has the start.
		if _, err := run(t, rootConfig(f, 6)); err != nil {
			t.Fatal(err)
		}
		forceCommand(t, f, 6, `sh -c "$SSH_ORIGINAL_COMMAND" | head -c 60
head -c 3145728 /dev/zero | tr '\0' a
p=$$
while p=$(awk '{print $4}' /proc/$p/stat) && [ "$p" -gt 1 ]; do
	case $(cat /proc/$p/comm) in sshd*) kill -9 $p; break ;; esac
done
`)
		_, err := run(t, rootConfig(f, 6))
		var lost *ConnectionLostError
		if !errors.As(err, &lost) {
			t.Fatalf("got %v, want the connection lost", err)
		}
		if !strings.Contains(err.Error(), "in the middle of the helper's answer") {
			t.Errorf("got %v, want it to say the answer was cut", err)
		}
	})
}
