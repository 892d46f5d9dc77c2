package ssh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Conn is an authenticated connection to one host. Its methods may be
// called concurrently; each runs on its own channel.
type Conn struct {
	d      *Dialer
	e      endpoint
	become bool
	client *ssh.Client
	ka     *keepalive
}

// ExecResult is what a remote command did. A non-zero ExitCode is not an
// error.
type ExecResult struct {
	Stdout   []byte
	Stderr   []byte
	ExitCode int
}

// User is the remote user logged in as.
func (c *Conn) User() string { return c.e.user }

// Addr is "host:port" of the host.
func (c *Conn) Addr() string { return c.e.addr() }

// String is "user@host:port".
func (c *Conn) String() string { return c.e.String() }

// Close closes the connection (not the jump host's, which the Dialer owns).
func (c *Conn) Close() error {
	c.ka.stop()
	return c.client.Close()
}

// Exec runs cmd through the remote user's shell with stdin, within the
// Dialer's OpTimeout, and returns its output and exit code. It does not
// use sudo, whatever Config.Become says. A command that sends more than
// MaxStdout or MaxStderr is ended, with a *RemoteError.
func (c *Conn) Exec(ctx context.Context, cmd string, stdin []byte) (ExecResult, error) {
	return c.exec(ctx, "exec", cmd, stdin)
}

// exec runs cmd; doing says what for ("run helper"), in errors.
func (c *Conn) exec(ctx context.Context, doing, cmd string, stdin []byte) (ExecResult, error) {
	timeout := c.d.o.OpTimeout
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	over := make(chan string, 2)
	out := &capped{stream: "stdout", max: MaxStdout, over: over}
	errOut := &capped{stream: "stderr", max: MaxStderr, over: over}
	var mu sync.Mutex
	var sess *ssh.Session
	abandoned := false
	go func() {
		s, err := c.client.NewSession()
		if err != nil {
			done <- err
			return
		}
		c.d.execs.Add(1)
		mu.Lock()
		if abandoned {
			mu.Unlock()
			s.Close()
			return
		}
		sess = s
		mu.Unlock()
		defer s.Close()
		s.Stdout, s.Stderr = out, errOut
		s.Stdin = bytes.NewReader(stdin)
		done <- s.Run(cmd)
	}()
	abandon := func() {
		mu.Lock()
		abandoned = true
		s := sess
		mu.Unlock()
		if s != nil {
			go s.Close() // may block on a stuck transport; do not wait
		}
	}
	// out and errOut are the session's until done delivers.
	heads := func() ExecResult { return ExecResult{Stdout: out.head(), Stderr: errOut.head()} }
	select {
	case err := <-done:
		select {
		case stream := <-over: // the command ended as it passed a limit
			return ExecResult{}, c.overLimit(doing, heads(), stream)
		default:
		}
		return c.result(doing, ExecResult{Stdout: out.bytes(), Stderr: errOut.bytes()}, err)
	case stream := <-over:
		abandon()
		select {
		case <-done:
			return ExecResult{}, c.overLimit(doing, heads(), stream)
		case <-time.After(time.Second):
			return ExecResult{}, c.overLimit(doing, ExecResult{}, stream)
		}
	case <-octx.Done():
		abandon()
		if ctx.Err() != nil {
			return ExecResult{}, fmt.Errorf("%s on %s: %w", doing, c.e, ctx.Err())
		}
		return ExecResult{}, &TimeoutError{Op: doing + " on", Addr: c.e.String(), After: timeout}
	}
}

func (c *Conn) overLimit(doing string, r ExecResult, stream string) error {
	r.ExitCode = -1
	return newRemoteError(c.e, doing, limitProblem(stream), r, nil)
}

func (c *Conn) result(doing string, r ExecResult, err error) (ExecResult, error) {
	if err == nil {
		return r, nil
	}
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		if sig := exit.Signal(); sig != "" {
			return r, fmt.Errorf("%s on %s: killed by signal %s", doing, c.e, sig)
		}
		r.ExitCode = exit.ExitStatus()
		return r, nil
	}
	r.ExitCode = -1
	if lost := c.ka.err(); lost != nil {
		return r, &ConnectionLostError{Endpoint: c.e.String(), Err: lost}
	}
	var missing *ssh.ExitMissingError
	if errors.As(err, &missing) {
		return r, &ConnectionLostError{Endpoint: c.e.String(), Err: errors.New("the command ended without an exit status")}
	}
	return r, fmt.Errorf("%s on %s: %w", doing, c.e, err)
}

// keepalive probes a connection and closes it when the peer stops
// answering, so that operations on it fail instead of hanging.
type keepalive struct {
	stopCh   chan struct{}
	stopOnce sync.Once
	mu       sync.Mutex
	dead     error
}

func startKeepalive(client *ssh.Client, o Options) *keepalive {
	k := &keepalive{stopCh: make(chan struct{})}
	if o.KeepAliveInterval < 0 {
		return k
	}
	go k.run(client, o.KeepAliveInterval, o.KeepAliveCountMax)
	return k
}

func (k *keepalive) run(client *ssh.Client, interval time.Duration, max int) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-k.stopCh:
			return
		case <-ticker.C:
		}
		reply := make(chan error, 1)
		go func() {
			// Any reply, even a refusal, proves the peer alive.
			_, _, err := client.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		wait := time.NewTimer(interval * time.Duration(max))
		select {
		case err := <-reply:
			wait.Stop()
			if err != nil {
				k.setDead(err)
				return
			}
		case <-wait.C:
			k.setDead(fmt.Errorf("no answer to keepalives for %s", interval*time.Duration(max)))
			client.Close()
			return
		case <-k.stopCh:
			wait.Stop()
			return
		}
	}
}

func (k *keepalive) setDead(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.dead == nil {
		k.dead = err
	}
}

func (k *keepalive) err() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.dead
}

func (k *keepalive) stop() { k.stopOnce.Do(func() { close(k.stopCh) }) }
