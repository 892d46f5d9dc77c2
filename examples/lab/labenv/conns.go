package labenv

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/crypto/ssh"

	"github.com/kasmfleet/push/examples/lab/labssh"
)

// conns keeps one SSH connection per VM and login for Lab.Run. A new
// connection to a VM under TCG costs over a second (sshd's fork, key
// exchange and login, all emulated); a session on an open one about a
// tenth of that, and the tests run hundreds of commands.
type conns struct {
	mu sync.Mutex
	m  map[connKey]*ssh.Client
}

type connKey struct{ user, addr string }

func newConns() *conns { return &conns{m: map[connKey]*ssh.Client{}} }

// run runs cmd over the VM's kept connection, dialing one when there is
// none or the kept one opens no session.
func (p *conns) run(ctx context.Context, c labssh.Client, addr, cmd string) (string, error) {
	key := connKey{c.User, addr}
	p.mu.Lock()
	cl := p.m[key]
	p.mu.Unlock()
	if cl != nil {
		out, err := c.RunOn(ctx, cl, cmd)
		if !errors.Is(err, labssh.ErrNoSession) {
			return out, err
		}
		p.mu.Lock()
		if p.m[key] == cl {
			delete(p.m, key)
		}
		p.mu.Unlock()
		cl.Close()
	}
	cl, err := c.Dial(ctx, addr)
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	kept := p.m[key] == nil
	if kept {
		p.m[key] = cl
	}
	p.mu.Unlock()
	if !kept { // another goroutine's connection is kept already
		defer cl.Close()
	}
	return c.RunOn(ctx, cl, cmd)
}

// forget closes the kept connections to addr: the VM goes down.
func (p *conns) forget(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for key, cl := range p.m {
		if key.addr == addr {
			cl.Close()
			delete(p.m, key)
		}
	}
}
