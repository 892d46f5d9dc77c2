// Package sshhosts is the runner's transport over SSH: it runs the
// embedded push-helper on each host with one request.
package sshhosts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"

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

	mu       sync.Mutex
	warnings map[string]string     // host → warning, one per host
	loaded   map[string]ssh.Helper // GOARCH → build, copied once per run
}

// New makes a Transport carrying the embedded helpers.
func New(o ssh.Options) (*Transport, error) {
	t := &Transport{dialer: ssh.NewDialer(o), warnings: map[string]string{}, loaded: map[string]ssh.Helper{}}
	t.helpers = ssh.HelperSet{SHAs: map[string]string{}, Load: t.load}
	for _, arch := range helperbin.Arches() {
		sum, err := helperbin.SHA256(arch)
		if err != nil {
			return nil, err
		}
		t.helpers.SHAs[arch] = sum
	}
	if len(t.helpers.SHAs) == 0 {
		return nil, fmt.Errorf("this push has no embedded helper; build it with `make build`")
	}
	return t, nil
}

// load copies the build for arch out of push once, however many hosts
// need it.
func (t *Transport) load(arch string) (ssh.Helper, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if h, ok := t.loaded[arch]; ok {
		return h, nil
	}
	b, err := helperbin.For(arch)
	if err != nil {
		return ssh.Helper{}, err
	}
	t.loaded[arch] = ssh.Helper{GOARCH: b.GOARCH, SHA256: b.SHA256, Data: b.Data, Gzip: b.Gzip}
	return t.loaded[arch], nil
}

// Close closes shared connections (jump hosts).
func (t *Transport) Close() error { return t.dialer.Close() }

// Helper runs the helper on h with req. A file at the helper's path that
// answers as another build or protocol version is replaced, not trusted.
func (t *Transport) Helper(ctx context.Context, h playbooks.Host, req proto.Request, step func(string)) (proto.Result, int, error) {
	step("connect")
	conn, err := t.dialer.Dial(ctx, Config(h))
	if err != nil {
		return proto.Result{}, 0, proto.WithCode(proto.CodeUnreachable, err)
	}
	defer conn.Close()
	stdin, err := json.Marshal(req)
	if err != nil {
		return proto.Result{}, 0, fmt.Errorf("encode request: %w", err)
	}
	step(string(req.Verb))
	run, err := conn.RunHelper(ctx, t.helpers, nil, stdin)
	t.warn(h.Name, run)
	if err != nil {
		return proto.Result{}, 0, err
	}
	res, err := decode(run)
	if err == nil && t.stale(res) {
		step("replace helper")
		if run, err = conn.ReplaceHelper(ctx, t.helpers, nil, stdin); err != nil {
			return proto.Result{}, 0, err
		}
		if res, err = decode(run); err == nil && t.stale(res) {
			err = run.Bad(fmt.Sprintf("the helper answers as protocol %d, build %.12s even after it was replaced", res.Version, res.Helper.SHA256))
		}
	}
	if err != nil {
		return proto.Result{}, run.ExitCode, err
	}
	return res, run.ExitCode, nil
}

// decode reads the helper's answer.
func decode(run ssh.HelperRun) (proto.Result, error) {
	var res proto.Result
	if len(bytes.TrimSpace(run.Stdout)) == 0 {
		return res, run.Bad("the helper answered nothing")
	}
	dec := json.NewDecoder(bytes.NewReader(run.Stdout))
	switch err := dec.Decode(&res); {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return res, run.Bad(fmt.Sprintf("the helper's answer is cut off after %d bytes", len(run.Stdout)))
	case err != nil:
		return res, run.Bad(fmt.Sprintf("the helper's answer is not a result: %v", err))
	}
	return res, nil
}

// stale reports an answer from something other than the builds push
// carries: another protocol version, or a build push does not know.
func (t *Transport) stale(res proto.Result) bool {
	sha := res.Helper.SHA256
	return res.Version != proto.Version || res.Code == proto.CodeProtocolMismatch ||
		sha != "" && !slices.Contains(slices.Collect(maps.Values(t.helpers.SHAs)), sha)
}

// warn records what h's shell printed around push's commands, once.
func (t *Transport) warn(host string, run ssh.HelperRun) {
	w := run.NoiseWarning()
	if w == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.warnings[host]; !ok {
		t.warnings[host] = w
	}
}

// Warnings are the hosts whose shells print around push's commands, by
// host name, each with what it printed and the fix.
func (t *Transport) Warnings() map[string]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.warnings)
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

// Stats are the SSH connections, execs and bytes uploaded so far.
func (t *Transport) Stats() ssh.Stats { return t.dialer.Stats() }
