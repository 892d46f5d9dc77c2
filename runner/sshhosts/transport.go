// Package sshhosts is the runner's transport over SSH: it runs the
// embedded push-helper on each host with one request.
package sshhosts

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/helperbin"
	"github.com/kasmfleet/push/remote/proto"
	"github.com/kasmfleet/push/remote/ssh"
)

// Transport runs the helper on hosts over SSH: one connection and, when
// the helper is already there, one exec per host.
type Transport struct {
	dialer  *ssh.Dialer
	helpers ssh.HelperSet
}

// New makes a Transport carrying the embedded helpers.
func New(o ssh.Options) (*Transport, error) {
	set := ssh.HelperSet{SHAs: map[string]string{}, Load: func(arch string) (ssh.Helper, error) {
		b, err := helperbin.For(arch)
		return ssh.Helper{GOARCH: b.GOARCH, SHA256: b.SHA256, Data: b.Data}, err
	}}
	for _, arch := range helperbin.Arches() {
		sum, err := helperbin.SHA256(arch)
		if err != nil {
			return nil, err
		}
		set.SHAs[arch] = sum
	}
	if len(set.SHAs) == 0 {
		return nil, fmt.Errorf("this push has no embedded helper; build it with `make build`")
	}
	return &Transport{dialer: ssh.NewDialer(o), helpers: set}, nil
}

// Close closes shared connections (jump hosts).
func (t *Transport) Close() error { return t.dialer.Close() }

// Helper runs the helper on h with req.
func (t *Transport) Helper(ctx context.Context, h playbooks.Host, req proto.Request, step func(string)) (proto.Result, int, error) {
	step("connect")
	conn, err := t.dialer.Dial(ctx, Config(h))
	if err != nil {
		return proto.Result{}, 0, err
	}
	defer conn.Close()
	stdin, err := json.Marshal(req)
	if err != nil {
		return proto.Result{}, 0, fmt.Errorf("encode request: %w", err)
	}
	step(string(req.Verb))
	run, err := conn.RunHelper(ctx, t.helpers, nil, stdin)
	if err != nil {
		return proto.Result{}, 0, err
	}
	var res proto.Result
	if err := json.Unmarshal(run.Stdout, &res); err != nil {
		return proto.Result{}, run.ExitCode, fmt.Errorf("helper answered no result (exit %d): %s", run.ExitCode, tail(run.Stderr))
	}
	return res, run.ExitCode, nil
}

// Config is how to reach h.
func Config(h playbooks.Host) ssh.Config {
	c := h.Conn
	cfg := ssh.Config{Alias: h.Name, Host: c.Address, Port: c.Port, User: c.User, Jump: c.Jump, Become: c.Become}
	if c.IdentityFile != "" {
		cfg.IdentityFiles = []string{c.IdentityFile}
	}
	if c.KnownHosts != "" {
		cfg.KnownHosts = []string{c.KnownHosts}
	}
	return cfg
}

// tail is the last lines of a helper's stderr, for an error message.
func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 500 {
		s = "…" + s[len(s)-500:]
	}
	if s == "" {
		return "no output"
	}
	return s
}

// Stats are the SSH connections, execs and bytes uploaded so far.
func (t *Transport) Stats() ssh.Stats { return t.dialer.Stats() }
