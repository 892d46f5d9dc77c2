package ssh

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/examples/lab/sshfleet"
)

func TestBecome(t *testing.T) {
	needs.Command(t, "sudo")
	f := sshfleet.StartT(t, 1, sshfleet.Options{Users: []sshfleet.User{
		{Name: "deploy", Sudo: sshfleet.SudoNoPassword},
		{Name: "alice", Sudo: sshfleet.SudoPassword},
		{Name: "bob", Sudo: sshfleet.NoSudo},
	}})
	h := buildHelper(t, "become")
	as := func(user string, become bool) Config {
		c := rootConfig(f, 0)
		c.User, c.Become = user, become
		return c
	}

	t.Run("passwordless sudo runs the helper as root", func(t *testing.T) {
		for round, wantExecs := range []int{3, 1} {
			conn := dial(t, newDialer(t, testOptions(t)), as("deploy", true))
			run, err := conn.RunHelper(testCtx(t), helperSet(h), nil, []byte("x"))
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			e := decodeEcho(t, run)
			if e.UID != 0 || e.Exe != "/var/lib/push/bin/push-helper-"+h.SHA256 || run.Execs != wantExecs || e.Stdin != "x" {
				t.Errorf("round %d: execs=%d, helper saw %+v", round, run.Execs, e)
			}
		}
	})

	t.Run("sudo wanting a password is a clear error", func(t *testing.T) {
		for _, user := range []string{"alice", "bob"} {
			conn := dial(t, newDialer(t, testOptions(t)), as(user, true))
			_, err := conn.RunHelper(testCtx(t), helperSet(h), nil, nil)
			var pw *SudoPasswordError
			if !errors.As(err, &pw) {
				t.Errorf("%s: got %v, want SudoPasswordError", user, err)
			}
		}
	})

	t.Run("without become the helper lives in the user's cache", func(t *testing.T) {
		uid, _ := f.UID("bob")
		for round, wantExecs := range []int{3, 1} {
			conn := dial(t, newDialer(t, testOptions(t)), as("bob", false))
			run, err := conn.RunHelper(testCtx(t), helperSet(h), nil, nil)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			e := decodeEcho(t, run)
			want := filepath.Join(f.Dir(), "home", "bob", ".cache/push/bin", "push-helper-"+h.SHA256)
			if e.UID != uid || e.Exe != want || run.Execs != wantExecs {
				t.Errorf("round %d: execs=%d, helper saw %+v, want exe %s", round, run.Execs, e, want)
			}
		}
	})
}
