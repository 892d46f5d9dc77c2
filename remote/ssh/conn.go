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
// use sudo, whatever Config.Become says.
func (c *Conn) Exec(ctx context.Context, cmd string, stdin []byte) (ExecResult, error) {
	return c.exec(ctx, "exec on", cmd, stdin)
}

func (c *Conn) exec(ctx context.Context, op, cmd string, stdin []byte) (ExecResult, error) {
	timeout := c.d.o.OpTimeout
	octx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		r   ExecResult
		err error
	}
	done := make(chan result, 1)
	var mu sync.Mutex
	var sess *ssh.Session
	abandoned := false
	go func() {
		s, err := c.client.NewSession()
		if err != nil {
			done <- result{err: err}
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
		var out, errOut bytes.Buffer
		s.Stdout, s.Stderr = &out, &errOut
		s.Stdin = bytes.NewReader(stdin)
		err = s.Run(cmd)
		done <- result{ExecResult{Stdout: out.Bytes(), Stderr: errOut.Bytes()}, err}
	}()
	select {
	case r := <-done:
		return c.result(op, r.r, r.err)
	case <-octx.Done():
		mu.Lock()
		abandoned = true
		s := sess
		mu.Unlock()
		if s != nil {
			go s.Close() // may block on a stuck transport; do not wait
		}
		if ctx.Err() != nil {
			return ExecResult{}, fmt.Errorf("%s %s: %w", op, c.e, ctx.Err())
		}
		return ExecResult{}, &TimeoutError{Op: op, Addr: c.e.String(), After: timeout}
	}
}

func (c *Conn) result(op string, r ExecResult, err error) (ExecResult, error) {
	if err == nil {
		return r, nil
	}
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		if sig := exit.Signal(); sig != "" {
			return r, fmt.Errorf("%s %s: killed by signal %s", op, c.e, sig)
		}
		r.ExitCode = exit.ExitStatus()
		return r, nil
	}
	if lost := c.ka.err(); lost != nil {
		return r, &ConnectionLostError{Endpoint: c.e.String(), Err: lost}
	}
	var missing *ssh.ExitMissingError
	if errors.As(err, &missing) {
		return r, &ConnectionLostError{Endpoint: c.e.String(), Err: errors.New("the command ended without an exit status")}
	}
	return r, fmt.Errorf("%s %s: %w", op, c.e, err)
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
