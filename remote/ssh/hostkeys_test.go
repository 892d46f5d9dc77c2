package ssh

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/kasmfleet/push/examples/lab/sshfleet"
)

func TestHostKeys(t *testing.T) {
	f := sshfleet.StartT(t, 3, sshfleet.Options{})
	h0 := f.Host(0)
	line0 := h0.Addr + " " + string(ssh.MarshalAuthorizedKey(h0.HostKey))
	otherKey := f.Host(1).HostKey
	dir := t.TempDir()

	withKnown := func(content string) Config {
		c := rootConfig(f, 0)
		c.KnownHosts = []string{writeFile(t, t.TempDir(), "known_hosts", content)}
		return c
	}

	t.Run("known key accepted", func(t *testing.T) {
		d := newDialer(t, testOptions(t))
		if out := mustExec(t, dial(t, d, withKnown(line0)), "echo ok"); out != "ok\n" {
			t.Errorf("got %q", out)
		}
	})

	t.Run("changed key refused with the fix", func(t *testing.T) {
		c := withKnown(h0.Addr + " " + string(ssh.MarshalAuthorizedKey(otherKey)))
		for _, accept := range []bool{false, true} { // trust on first use never replaces a key
			o := testOptions(t)
			o.AcceptNewHostKeys = accept
			_, err := newDialer(t, o).Dial(testCtx(t), c)
			var changed *HostKeyChangedError
			if !errors.As(err, &changed) {
				t.Fatalf("accept=%v: got %v, want HostKeyChangedError", accept, err)
			}
			want := fmt.Sprintf("ssh-keygen -R %s -f %s", h0.Addr, c.KnownHosts[0])
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), ssh.FingerprintSHA256(h0.HostKey)) {
				t.Errorf("message %q lacks %q or the offered fingerprint", err, want)
			}
			if changed.File != c.KnownHosts[0] || changed.Line != 1 {
				t.Errorf("changed entry at %s:%d", changed.File, changed.Line)
			}
		}
	})

	t.Run("unknown key refused", func(t *testing.T) {
		c := withKnown(f.Host(1).Addr + " " + string(ssh.MarshalAuthorizedKey(otherKey)))
		_, err := newDialer(t, testOptions(t)).Dial(testCtx(t), c)
		var unknown *UnknownHostKeyError
		if !errors.As(err, &unknown) {
			t.Fatalf("got %v, want UnknownHostKeyError", err)
		}
		if got := readFile(t, c.KnownHosts[0]); strings.Count(got, "\n") != 1 {
			t.Errorf("known_hosts changed: %q", got)
		}
	})

	t.Run("trust on first use records once", func(t *testing.T) {
		known := filepath.Join(dir, "tofu", "known_hosts") // neither file nor dir exists yet
		o := testOptions(t)
		o.AcceptNewHostKeys = true
		d := newDialer(t, o)
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Go(func() {
				c := rootConfig(f, i%2)
				c.KnownHosts = []string{known}
				conn, err := d.Dial(testCtx(t), c)
				if err == nil {
					conn.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		got := readFile(t, known)
		if strings.Count(got, "\n") != 2 || !strings.Contains(got, f.Host(0).Addr+" ") || !strings.Contains(got, f.Host(1).Addr+" ") {
			t.Errorf("known_hosts after first use:\n%s", got)
		}
		c := rootConfig(f, 1)
		c.KnownHosts = []string{known}
		mustExec(t, dial(t, newDialer(t, testOptions(t)), c), "true")
	})

	t.Run("hashed entry", func(t *testing.T) {
		c := withKnown(line0)
		keygen(t, "-H", "-f", c.KnownHosts[0])
		if got := readFile(t, c.KnownHosts[0]); !strings.HasPrefix(got, "|1|") || strings.Contains(got, h0.Addr) {
			t.Fatalf("not hashed: %q", got)
		}
		mustExec(t, dial(t, newDialer(t, testOptions(t)), c), "true")
	})

	t.Run("revoked key refused", func(t *testing.T) {
		c := withKnown(line0 + "@revoked * " + string(ssh.MarshalAuthorizedKey(h0.HostKey)))
		_, err := newDialer(t, testOptions(t)).Dial(testCtx(t), c)
		var revoked *RevokedHostKeyError
		if !errors.As(err, &revoked) || revoked.Line != 2 {
			t.Fatalf("got %v, want RevokedHostKeyError at line 2", err)
		}
	})

	t.Run("host with several key types", func(t *testing.T) {
		// known_hosts has only the ECDSA key of a host that also offers
		// ed25519: the client must ask for ECDSA (golang/go#29286).
		ecdsa := filepath.Join(t.TempDir(), "ssh_host_ecdsa_key")
		keygen(t, "-q", "-t", "ecdsa", "-N", "", "-f", ecdsa)
		if err := f.Restart(testCtx(t), 2, "HostKey "+ecdsa+"\n"); err != nil {
			t.Fatal(err)
		}
		c := rootConfig(f, 2)
		c.KnownHosts = []string{writeFile(t, t.TempDir(), "known_hosts", f.Host(2).Addr+" "+readFile(t, ecdsa+".pub"))}
		mustExec(t, dial(t, newDialer(t, testOptions(t)), c), "true")
	})

	t.Run("cert-authority", func(t *testing.T) {
		ca := filepath.Join(t.TempDir(), "ca")
		otherCA := filepath.Join(t.TempDir(), "other-ca")
		keygen(t, "-q", "-t", "ed25519", "-N", "", "-f", ca)
		keygen(t, "-q", "-t", "ed25519", "-N", "", "-f", otherCA)
		h := f.Host(1)
		keygen(t, "-q", "-s", ca, "-I", h.Name, "-h", "-n", h.Addr, h.HostKeyPath+".pub")
		if err := f.Restart(testCtx(t), 1, "HostCertificate "+h.HostKeyPath+"-cert.pub\n"); err != nil {
			t.Fatal(err)
		}
		c := rootConfig(f, 1)
		c.KnownHosts = []string{writeFile(t, t.TempDir(), "known_hosts", "@cert-authority 198.18.* "+readFile(t, ca+".pub"))}
		mustExec(t, dial(t, newDialer(t, testOptions(t)), c), "true")

		c.KnownHosts = []string{writeFile(t, t.TempDir(), "known_hosts", "@cert-authority 198.18.* "+readFile(t, otherCA+".pub"))}
		o := testOptions(t)
		o.AcceptNewHostKeys = true
		if conn, err := newDialer(t, o).Dial(testCtx(t), c); err == nil {
			conn.Close()
			t.Fatal("host certificate of another CA accepted")
		}
		if got := readFile(t, c.KnownHosts[0]); strings.Count(got, "\n") != 1 {
			t.Errorf("known_hosts changed: %q", got)
		}

		// A host in the authority's range that shows a plain key is
		// unknown, not changed.
		c = rootConfig(f, 0)
		c.KnownHosts = []string{writeFile(t, t.TempDir(), "known_hosts", "@cert-authority 198.18.* "+readFile(t, ca+".pub"))}
		_, err := newDialer(t, testOptions(t)).Dial(testCtx(t), c)
		var unknown *UnknownHostKeyError
		if !errors.As(err, &unknown) {
			t.Errorf("plain key under a CA line: got %v, want UnknownHostKeyError", err)
		}
	})
}
