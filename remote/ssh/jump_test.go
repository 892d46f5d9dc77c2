package ssh

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/kasmfleet/push/examples/lab/sshfleet"
)

func TestJumpHost(t *testing.T) {
	f := sshfleet.StartT(t, 3, sshfleet.Options{})
	bastion := f.Host(0)

	t.Run("one connection to the bastion, many hosts behind it", func(t *testing.T) {
		d := newDialer(t, testOptions(t))
		for _, i := range []int{1, 2} {
			c := rootConfig(f, i)
			c.Jump = "root@" + bastion.Addr
			out := mustExec(t, dial(t, d, c), "echo $SSH_CLIENT")
			// The target sees the connection coming from the bastion.
			if from := strings.Fields(out); len(from) == 0 || from[0] != bastion.Addr {
				t.Errorf("host %d: SSH_CLIENT = %q, want from %s", i, out, bastion.Addr)
			}
		}
		if s := d.Stats(); s.JumpConnections != 1 || s.Connections != 3 {
			t.Errorf("stats %+v, want 1 jump connection of 3", s)
		}
	})

	t.Run("ProxyJump from ssh_config", func(t *testing.T) {
		o := testOptions(t)
		o.SSHConfigPath = writeFile(t, t.TempDir(), "config",
			"Host bastion\n  HostName "+bastion.Addr+"\n  User root\n\nHost behind-*\n  ProxyJump bastion\n")
		c := rootConfig(f, 2)
		c.Alias = "behind-2"
		d := newDialer(t, o)
		mustExec(t, dial(t, d, c), "true")
		if s := d.Stats(); s.JumpConnections != 1 {
			t.Errorf("stats %+v, want a jump connection", s)
		}
	})

	t.Run("jump host key is checked", func(t *testing.T) {
		// known_hosts has the right key for the target, a wrong one for
		// the bastion.
		wrong := bastion.Addr + " " + string(ssh.MarshalAuthorizedKey(f.Host(2).HostKey))
		right := f.Host(1).Addr + " " + string(ssh.MarshalAuthorizedKey(f.Host(1).HostKey))
		c := rootConfig(f, 1)
		c.Jump = "root@" + bastion.Addr + ":22"
		c.KnownHosts = []string{writeFile(t, t.TempDir(), "known_hosts", wrong+right)}
		_, err := newDialer(t, testOptions(t)).Dial(testCtx(t), c)
		var changed *HostKeyChangedError
		if !errors.As(err, &changed) || changed.Host != bastion.HostPort() {
			t.Fatalf("got %v, want HostKeyChangedError for the bastion", err)
		}
	})

	t.Run("target key is checked behind the jump", func(t *testing.T) {
		right := bastion.Addr + " " + string(ssh.MarshalAuthorizedKey(bastion.HostKey))
		wrong := f.Host(1).Addr + " " + string(ssh.MarshalAuthorizedKey(f.Host(2).HostKey))
		c := rootConfig(f, 1)
		c.Jump = "root@" + bastion.Addr
		c.KnownHosts = []string{writeFile(t, t.TempDir(), "known_hosts", right+wrong)}
		_, err := newDialer(t, testOptions(t)).Dial(testCtx(t), c)
		var changed *HostKeyChangedError
		if !errors.As(err, &changed) || changed.Host != f.Host(1).HostPort() {
			t.Fatalf("got %v, want HostKeyChangedError for the target", err)
		}
	})
}
