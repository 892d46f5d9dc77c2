package ssh

import (
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/kasmfleet/push/examples/lab/sshfleet"
)

// BenchmarkFleet compares, on the same 100 sshd, one pass of push's path
// (Dial, then RunHelper with the helper present) with the floor: a bare
// x/crypto/ssh handshake and one no-op exec per host. One op is a pass
// over every host at once.
//
//	go test -run '^$' -bench Fleet -benchtime 5x ./remote/ssh
func BenchmarkFleet(b *testing.B) {
	const n = 100
	f := sshfleet.StartT(b, n, sshfleet.Options{})
	h := buildHelper(b, "bench")
	set := helperSet(h)
	o := Options{SSHConfigPath: "none", AgentSocket: "none", Getenv: func(string) string { return "" }}
	// Deliver once so that the passes measure the steady state.
	pass(b, n, func(i int) error {
		c, err := NewDialer(o).Dial(b.Context(), rootConfig(f, i))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.RunHelper(b.Context(), set, nil, nil)
		return err
	})

	b.Run("push", func(b *testing.B) {
		start := cpuTime()
		defer func() { reportCPU(b, start, n) }()
		for b.Loop() {
			d := NewDialer(o)
			pass(b, n, func(i int) error {
				c, err := d.Dial(b.Context(), rootConfig(f, i))
				if err != nil {
					return err
				}
				defer c.Close()
				run, err := c.RunHelper(b.Context(), set, []string{"facts"}, []byte("{}"))
				if err == nil && run.Execs != 1 {
					b.Errorf("host %d: %d execs", i, run.Execs)
				}
				return err
			})
			d.Close()
		}
	})

	b.Run("floor", func(b *testing.B) {
		key, err := os.ReadFile(f.KeyPath())
		if err != nil {
			b.Fatal(err)
		}
		start := cpuTime()
		defer func() { reportCPU(b, start, n) }()
		for b.Loop() {
			signer, err := ssh.ParsePrivateKey(key)
			if err != nil {
				b.Fatal(err)
			}
			hk, err := knownhosts.New(f.KnownHostsPath())
			if err != nil {
				b.Fatal(err)
			}
			cfg := &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
				HostKeyCallback: hk, Timeout: 30 * time.Second}
			pass(b, n, func(i int) error {
				c, err := ssh.Dial("tcp", f.Host(i).HostPort(), cfg)
				if err != nil {
					return err
				}
				defer c.Close()
				s, err := c.NewSession()
				if err != nil {
					return err
				}
				return s.Run("true")
			})
		}
	})
}

// cpuTime is this process's user+system CPU time (sshd, its children, are
// not counted).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the controller's CPU per host since start.
func reportCPU(b *testing.B, start time.Duration, n int) {
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N*n), "cpu-ms/host")
}

func pass(b *testing.B, n int, fn func(i int) error) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := fn(i); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
}
