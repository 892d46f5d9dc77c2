package ssh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kevinburke/ssh_config"
	"golang.org/x/crypto/ssh"
)

// Dialer connects to hosts. It is safe for concurrent use; make one per
// run and Close it at the end (which closes the jump host connections).
type Dialer struct {
	o    Options
	auth *auth

	sshcfgOnce sync.Once
	sshcfg     *ssh_config.Config
	sshcfgErr  error

	mu       sync.Mutex
	hostKeys map[string]*hostKeys
	jumps    map[string]*jump
	closed   bool

	connections, jumpConnections, execs, bytesUploaded atomic.Int64

	// corruptUpload, set by tests, alters helper bytes in flight.
	corruptUpload func([]byte) []byte
}

// Stats counts what a Dialer did, for benchmarks and reports.
type Stats struct {
	Connections     int64 // SSH connections established, jump hosts included
	JumpConnections int64 // of which to jump hosts
	Execs           int64 // sessions (remote commands) started
	BytesUploaded   int64 // helper bytes sent
}

// NewDialer makes a Dialer; see Options for the defaults.
func NewDialer(o Options) *Dialer {
	o = o.withDefaults()
	return &Dialer{o: o, auth: newAuth(o), hostKeys: map[string]*hostKeys{}, jumps: map[string]*jump{}}
}

// Stats returns the counts so far.
func (d *Dialer) Stats() Stats {
	return Stats{
		Connections:     d.connections.Load(),
		JumpConnections: d.jumpConnections.Load(),
		Execs:           d.execs.Load(),
		BytesUploaded:   d.bytesUploaded.Load(),
	}
}

// Dial connects and authenticates to one host, through its jump hosts if
// any. The host key of every hop is checked.
func (d *Dialer) Dial(ctx context.Context, c Config) (*Conn, error) {
	target, hops, err := d.resolve(c)
	if err != nil {
		return nil, err
	}
	var via *ssh.Client
	for i := range hops {
		if via, err = d.jumpClient(ctx, via, hops[:i+1]); err != nil {
			return nil, fmt.Errorf("%s: %w", target, err)
		}
	}
	client, err := d.connect(ctx, via, target)
	if err != nil {
		return nil, err
	}
	conn := &Conn{d: d, e: target, become: c.Become && target.user != "root", client: client}
	conn.ka = startKeepalive(client, d.o)
	return conn, nil
}

// Close closes the jump host connections. Conns made by the Dialer are
// closed by their owners.
func (d *Dialer) Close() error {
	d.mu.Lock()
	d.closed = true
	jumps := d.jumps
	d.jumps = map[string]*jump{}
	d.mu.Unlock()
	var errs []error
	for _, j := range jumps {
		<-j.ready
		if j.client != nil {
			j.ka.stop()
			if err := j.client.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
	}
	d.auth.close()
	return errors.Join(errs...)
}

// connect makes one SSH connection to e, directly or through via.
func (d *Dialer) connect(ctx context.Context, via *ssh.Client, e endpoint) (*ssh.Client, error) {
	hk := d.hostKeysFor(e.knownHosts)
	algos, err := hk.algorithms(e.addr())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e, err)
	}
	methods, notes := d.auth.methods(e)
	// Once the host key is accepted, what is left of the handshake is
	// authentication.
	var keyAccepted atomic.Bool
	cfg := &ssh.ClientConfig{
		User: e.user,
		Auth: methods,
		HostKeyCallback: func(host string, remote net.Addr, key ssh.PublicKey) error {
			err := hk.callback(host, remote, key)
			keyAccepted.Store(err == nil)
			return err
		},
		HostKeyAlgorithms: algos,
		ClientVersion:     "SSH-2.0-push",
	}
	dctx, cancel := context.WithTimeout(ctx, d.o.DialTimeout)
	var nc net.Conn
	if via == nil {
		nc, err = (&net.Dialer{}).DialContext(dctx, "tcp", e.addr())
	} else {
		nc, err = via.DialContext(dctx, "tcp", e.addr())
	}
	var netErr net.Error
	timedOut := ctx.Err() == nil && (dctx.Err() != nil || errors.As(err, &netErr) && netErr.Timeout())
	cancel()
	if err != nil {
		if timedOut {
			return nil, &TimeoutError{Op: "connect to", Addr: e.String(), After: d.o.DialTimeout}
		}
		return nil, fmt.Errorf("%s: %w", e, err)
	}
	client, err := handshake(ctx, nc, e.addr(), cfg, d.o.HandshakeTimeout)
	if err != nil {
		var timeout *TimeoutError
		if errors.As(err, &timeout) {
			timeout.Addr = e.String()
			return nil, timeout
		}
		if hkErr := hostKeyError(err); hkErr != nil {
			return nil, fmt.Errorf("%s: %w", e, hkErr)
		}
		if keyAccepted.Load() && !transportFailure(err) {
			return nil, &AuthError{Endpoint: e.String(), Notes: notes(), Err: err}
		}
		return nil, fmt.Errorf("%s: %w", e, err)
	}
	d.connections.Add(1)
	return client, nil
}

// transportFailure reports a handshake that failed because the
// connection did, not the server's answer.
func transportFailure(err error) bool {
	var netErr net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr)
}

func hostKeyError(err error) error {
	var changed *HostKeyChangedError
	var unknown *UnknownHostKeyError
	var revoked *RevokedHostKeyError
	switch {
	case errors.As(err, &changed):
		return changed
	case errors.As(err, &unknown):
		return unknown
	case errors.As(err, &revoked):
		return revoked
	}
	return nil
}

// handshake runs the SSH handshake on nc, closing nc if it does not
// finish in time (net.Conn deadlines do not work on jump host channels).
func handshake(ctx context.Context, nc net.Conn, addr string, cfg *ssh.ClientConfig, timeout time.Duration) (*ssh.Client, error) {
	type result struct {
		c     ssh.Conn
		chans <-chan ssh.NewChannel
		reqs  <-chan *ssh.Request
		err   error
	}
	done := make(chan result, 1)
	go func() {
		c, chans, reqs, err := ssh.NewClientConn(nc, addr, cfg)
		done <- result{c, chans, reqs, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var err error
	select {
	case r := <-done:
		if r.err != nil {
			return nil, r.err
		}
		return ssh.NewClient(r.c, r.chans, r.reqs), nil
	case <-timer.C:
		err = &TimeoutError{Op: "handshake with", Addr: addr, After: timeout}
	case <-ctx.Done():
		err = ctx.Err()
	}
	nc.Close()
	go func() {
		if r := <-done; r.err == nil {
			r.c.Close()
		}
	}()
	return nil, err
}

// jump is one cached connection to a jump host.
type jump struct {
	ready  chan struct{}
	client *ssh.Client
	ka     *keepalive
	err    error
}

// jumpClient returns the connection to the last hop of chain, reached
// through the earlier hops (parent is the connection to the one before).
// One connection per chain is made, however many dials wait for it.
func (d *Dialer) jumpClient(ctx context.Context, parent *ssh.Client, chain []endpoint) (*ssh.Client, error) {
	keys := make([]string, len(chain))
	for i, e := range chain {
		keys[i] = e.String()
	}
	key := strings.Join(keys, " > ")
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, errors.New("dialer closed")
	}
	j := d.jumps[key]
	if j == nil {
		j = &jump{ready: make(chan struct{})}
		d.jumps[key] = j
		d.mu.Unlock()
		d.openJump(ctx, parent, chain[len(chain)-1], key, j)
	} else {
		d.mu.Unlock()
	}
	select {
	case <-j.ready:
		return j.client, j.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (d *Dialer) openJump(ctx context.Context, parent *ssh.Client, e endpoint, key string, j *jump) {
	defer close(j.ready)
	forget := func() {
		d.mu.Lock()
		if d.jumps[key] == j {
			delete(d.jumps, key)
		}
		d.mu.Unlock()
	}
	// The connection outlives the dial that opened it: only the timeouts
	// bound it, not the caller's cancellation.
	client, err := d.connect(context.WithoutCancel(ctx), parent, e)
	if err != nil {
		j.err = fmt.Errorf("jump host %s: %w", e, err)
		forget() // a later dial tries again
		return
	}
	d.jumpConnections.Add(1)
	j.client = client
	j.ka = startKeepalive(client, d.o)
	go func() {
		client.Wait()
		forget()
	}()
}
