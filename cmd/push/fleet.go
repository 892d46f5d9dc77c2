package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/kasmfleet/push/inventory"
	"github.com/kasmfleet/push/playbooks"
	"github.com/kasmfleet/push/remote/ssh"
	"github.com/kasmfleet/push/runner"
)

// fleetFlags are the flags of every command that reaches hosts.
type fleetFlags struct {
	asJSON, acceptNew, prune, adopt bool
	allowUnreachable, offline       bool
	forceDisconnect                 bool
	junit, html                     string
	limit, batch, maxFail           string
	pause                           *time.Duration // nil: the rollout block's
	drainTimeout                    *time.Duration // nil: the rollout block's
	forks                           int
	timeout                         time.Duration
	connectTimeout                  time.Duration // 0: the SSH package's defaults
}

func (f *fleetFlags) register(fs *flag.FlagSet, mode playbooks.Mode) {
	fs.BoolVar(&f.asJSON, "json", false, "print a stream of JSON events instead of text")
	fs.BoolVar(&f.acceptNew, "accept-new-host-keys", false, "trust unknown host keys on first use and record them (changed keys are always refused)")
	fs.StringVar(&f.limit, "limit", "", "only these agents: comma-separated agent names, group names or globs")
	fs.IntVar(&f.forks, "forks", runner.DefaultForks, "hosts worked on at once within a batch")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Minute, "longest time one host may take")
	f.registerConnectTimeout(fs)
	if mode == playbooks.ModeCheck {
		fs.StringVar(&f.junit, "junit", "", "also write a JUnit XML report to this file")
		fs.StringVar(&f.html, "html", "", "also write a self-contained HTML report to this file")
		fs.BoolVar(&f.allowUnreachable, "allow-unreachable", false, "unreachable hosts are reported as unknown but do not fail the check")
	}
	if mode == playbooks.ModePlan {
		fs.BoolVar(&f.offline, "offline", false, "print the desired state without connecting anywhere (with --json: as JSON)")
	}
	if mode != playbooks.ModeCheck {
		fs.BoolVar(&f.adopt, "adopt", false, "take over hand-made Docker networks and SNAT rules that match the inventory (as adopt = true)")
		fs.BoolVar(&f.forceDisconnect, "force-disconnect", false, "disconnect the sessions (containers) that block a network change instead of waiting for them to end: they lose that network")
	}
	if mode == playbooks.ModeApply {
		fs.BoolVar(&f.prune, "prune", false, "remove networks and rules push created that the inventory no longer wants")
		fs.StringVar(&f.batch, "batch", "", `batch sizes, overriding rollout: "1,5,25%"`)
		fs.StringVar(&f.maxFail, "max-failures", "", `stop when MORE than this many hosts fail: a count or "10%"`)
		fs.Func("drain-timeout", "longest wait for a drained host's sessions to end, overriding rollout: a `duration` such as 30m", func(s string) error {
			d, err := time.ParseDuration(s)
			if err == nil && d <= 0 {
				err = errors.New("not positive")
			}
			f.drainTimeout = &d
			return err
		})
		fs.Func("pause", "pause between batches, overriding rollout: a `duration` such as 30s or 2m", func(s string) error {
			d, err := time.ParseDuration(s)
			if err == nil && d < 0 {
				err = errors.New("negative")
			}
			f.pause = &d
			return err
		})
	}
}

// playbook is what the flags ask of the inventory; vCenter, the hosts'
// transport and the stop channel are left to wire in.
func (f *fleetFlags) playbook(mode playbooks.Mode, inv *inventory.Inventory) (playbooks.Playbook, error) {
	want := playbooks.Desire(inv)
	hosts, err := limitHosts(inv, want.Hosts, f.limit)
	if err != nil {
		return playbooks.Playbook{}, err
	}
	rollout, err := f.runOptions(inv.Rollout)
	if err != nil {
		return playbooks.Playbook{}, err
	}
	pb := playbooks.Playbook{Mode: mode, Trunks: want.VSphere, Hosts: hosts, Rollout: rollout,
		Run: playbooks.RunOptions{Prune: f.prune, Adopt: f.adopt, ForceDisconnect: f.forceDisconnect, Holder: holder()}}
	if err := workspaces(inv, &pb, want.Workspaces, f.limit); err != nil {
		return playbooks.Playbook{}, err
	}
	if mode == playbooks.ModeApply {
		if pb.Drain, err = drain(inv, f.drainTimeout, f.timeout); err != nil {
			return playbooks.Playbook{}, err
		}
	}
	return pb, nil
}

// runOptions turns the rollout block and flags into runner options.
func (f *fleetFlags) runOptions(ro inventory.Rollout) (runner.Options, error) {
	o := runner.Options{Forks: f.forks, Pause: ro.Pause, MaxFailures: size(ro.MaxFailures)}
	for _, b := range ro.Batches {
		o.Batches = append(o.Batches, size(b))
	}
	if f.batch != "" {
		o.Batches = nil
		for _, s := range strings.Split(f.batch, ",") {
			b, err := inventory.ParseBatch(s, false)
			if err != nil {
				return o, fmt.Errorf("--batch: %w", err)
			}
			o.Batches = append(o.Batches, size(b))
		}
	}
	if f.maxFail != "" {
		b, err := inventory.ParseBatch(f.maxFail, true)
		if err != nil {
			return o, fmt.Errorf("--max-failures: %w", err)
		}
		o.MaxFailures = size(b)
	}
	if f.pause != nil {
		o.Pause = *f.pause
	}
	return o, nil
}

func size(b inventory.Batch) runner.Size { return runner.Size{N: b.N, Percent: b.Percent} }

// limitHosts keeps the hosts named by --limit: agent names, group names
// or globs over agent names.
func limitHosts(inv *inventory.Inventory, hosts []playbooks.Host, limit string) ([]playbooks.Host, error) {
	if limit == "" {
		return hosts, nil
	}
	var pats []string
	for _, p := range strings.Split(limit, ",") {
		p = strings.TrimSpace(p)
		if g := inv.Group(p); g != nil {
			pats = append(pats, g.Agents...)
			continue
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("--limit: bad pattern %q", p)
		}
		pats = append(pats, p)
	}
	var out []playbooks.Host
	for _, h := range hosts {
		if slices.ContainsFunc(pats, func(p string) bool { ok, _ := path.Match(p, h.Name); return ok }) {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--limit %q matches no agent", limit)
	}
	return out, nil
}

// interrupts turns the first interrupt into a graceful stop and the
// second into an abort, saying so on the terminal.
func interrupts(ctx context.Context, io stdio) (context.Context, <-chan struct{}, func()) {
	ctx, cancel := context.WithCancel(ctx)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		select {
		case <-io.interrupt:
			fmt.Fprintln(io.err, "\npush: interrupted: finishing the hosts in flight and starting no others; interrupt again to abort them")
			close(stop)
		case <-done:
			return
		}
		select {
		case <-io.interrupt:
			fmt.Fprintln(io.err, "\npush: aborting the hosts in flight")
			cancel()
		case <-done:
		}
	}()
	return ctx, stop, func() { close(done); cancel() }
}

// registerConnectTimeout adds --connect-timeout, which every command that
// dials hosts takes.
func (f *fleetFlags) registerConnectTimeout(fs *flag.FlagSet) {
	fs.DurationVar(&f.connectTimeout, "connect-timeout", 0, "longest wait for a host's TCP connect, and again for its SSH handshake (default 10s and 15s; raise it for hosts under heavy load)")
}

func sshOptions(io stdio, f *fleetFlags) ssh.Options {
	o := ssh.Options{AcceptNewHostKeys: f.acceptNew, OpTimeout: f.timeout, Getenv: io.getenv,
		DialTimeout: f.connectTimeout, HandshakeTimeout: f.connectTimeout}
	if tty, ok := io.in.(*os.File); ok && io.tty { // a passphrase is read from a terminal only
		o.Passphrase = ssh.TerminalPassphrase(tty, io.err)
	}
	return o
}

// logFile opens the run's full log under $XDG_STATE_HOME/push/logs.
// stateDir is push's state folder: $XDG_STATE_HOME/push or
// ~/.local/state/push.
func stateDir(io stdio) string {
	dir := io.getenv("XDG_STATE_HOME")
	if dir == "" {
		dir = filepath.Join(io.getenv("HOME"), ".local", "state")
	}
	return filepath.Join(dir, "push")
}

func logFile(io stdio, mode playbooks.Mode) (*os.File, error) {
	dir := filepath.Join(stateDir(io), "logs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create log folder: %w", err)
	}
	name := fmt.Sprintf("%s-%s.log", mode, time.Now().UTC().Format("20060102T150405.000Z"))
	return os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
}
