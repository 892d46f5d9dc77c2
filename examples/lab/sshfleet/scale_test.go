package sshfleet_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kasmfleet/push/examples/lab/needs"
	"github.com/kasmfleet/push/examples/lab/sshfleet"
)

// TestFleetAtScale starts the benchmark's largest fleet and runs one exec
// on every host at once.
func TestFleetAtScale(t *testing.T) {
	needs.NotShort(t)
	const n = 300
	start := time.Now()
	f := sshfleet.StartT(t, n, sshfleet.Options{})
	t.Logf("started %d sshd in %s", n, time.Since(start))

	key, err := os.ReadFile(f.KeyPath())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	hk, err := knownhosts.New(f.KnownHostsPath())
	if err != nil {
		t.Fatal(err)
	}
	cfg := &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hk, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start = time.Now()
	var wg sync.WaitGroup
	errs := make([]error, n)
	outs := make([]string, n)
	for i, h := range f.Hosts() {
		wg.Go(func() {
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			c, err := ssh.Dial("tcp", h.HostPort(), cfg)
			if err != nil {
				errs[i] = err
				return
			}
			defer c.Close()
			s, err := c.NewSession()
			if err != nil {
				errs[i] = err
				return
			}
			out, err := s.Output("echo $SSH_CONNECTION")
			outs[i], errs[i] = string(out), err
		})
	}
	wg.Wait()
	t.Logf("one exec on each of %d hosts in %s", n, time.Since(start))
	for i, h := range f.Hosts() {
		if errs[i] != nil {
			t.Errorf("%s: %v", h.Name, errs[i])
		} else if fields := strings.Fields(outs[i]); len(fields) != 4 || fields[2] != h.Addr {
			t.Errorf("%s: SSH_CONNECTION = %q", h.Name, outs[i])
		}
	}
	start = time.Now()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("closed in %s", time.Since(start))
}
